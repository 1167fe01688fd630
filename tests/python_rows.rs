//! `--python`: the book's programs run by CPython in the same table.

use std::os::unix::fs::PermissionsExt;

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;

fn has_python3() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn row<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} row in\n{out}"))
}

#[test]
fn python_rows_verify_against_rust_with_rng_python() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let output = gilfree(&[
        "--python",
        "--rng",
        "python",
        "--seed",
        "2015",
        "-n",
        "20k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "threads",
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.contains("python:   CPython 3."), "{out}");
    assert!(
        out.contains("GIL enabled") || out.contains("GIL disabled"),
        "{out}"
    );
    for name in ["python-sequential", "python-threads", "python-processes"] {
        assert!(row(&out, name).ends_with('✓'), "{}", row(&out, name));
    }
    assert!(out.contains("CPython side by side"), "{out}");
    assert!(
        out.contains("  python-threads: ") && out.contains("% CPU; rust threads: "),
        "{out}"
    );
    assert!(out.contains("its workers computed for "), "{out}");
}

#[test]
fn python_rows_are_timed_but_not_comparable_with_another_generator() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let output = gilfree(&[
        "--python",
        "--seed",
        "1",
        "-n",
        "5k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "threads",
        "--export-json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let export = gilfree::export::json::read(&output.stdout).unwrap();
    let python = export.result("python-threads").unwrap();
    assert!(!python.comparable && !python.verified && python.mismatch.is_none());
    assert!(export.result("threads").unwrap().comparable);
    assert!(stderr(&output).contains(" n/c"), "{}", stderr(&output));
}

#[test]
fn a_missing_interpreter_is_a_note_and_the_run_goes_on() {
    let output = gilfree(&[
        "--python",
        "/nonexistent/python9",
        "-n",
        "5k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "threads",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "note: no Python interpreter '/nonexistent/python9' answered; the python rows are \
         skipped (give one with --python PATH)\n"
    );
    assert!(!stdout(&output).contains("python-"), "{}", stdout(&output));
}

#[test]
fn a_failing_python_program_names_the_row_and_the_error() {
    // An "interpreter" that answers the probe, then fails like a traceback.
    let dir = scratch("fake-python");
    let fake = dir.join("python");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = -c ]; then\n  echo '{\"version\": \"3.99.0\", \"implementation\": \"cpython\", \"gil_enabled\": true}'\n  exit 0\nfi\necho 'Traceback (most recent call last):' >&2\necho 'ValueError: boom' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = gilfree(&[
        "--python",
        fake.to_str().unwrap(),
        "-n",
        "5k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "threads",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "error: python-sequential backend: the Python program exited with status 1: ValueError: boom\n"
    );
}
