//! `--python`: the book's programs run by CPython in the same table.

use std::os::unix::fs::PermissionsExt;

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;
use crate::robustness::children_of;

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
fn a_named_interpreter_that_cannot_run_the_programs_is_an_error() {
    let quick = [
        "-n",
        "5k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "threads",
    ];
    for (interpreter, problem) in [
        (
            "/nonexistent/python9",
            "it does not start: No such file or directory (os error 2)",
        ),
        ("/bin/false", "it exited with status 1"),
        (
            "/bin/true",
            "it does not answer like a Python 3 interpreter",
        ),
    ] {
        let mut args = vec!["--python", interpreter];
        args.extend(quick);
        let output = gilfree(&args);
        assert_eq!(output.status.code(), Some(2), "{interpreter}");
        assert_eq!(
            stderr(&output),
            format!("error: --python {interpreter}: {problem}\n")
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn a_missing_default_interpreter_is_a_note_and_the_run_goes_on() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "--python", "-n", "5k", "--runs", "1", "--warmup", "0", "-b", "threads",
        ])
        .env("PATH", "/nonexistent-gilfree-path")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "note: python3 cannot run the Python rows (it does not start: No such file or \
         directory (os error 2)); they are skipped (name an interpreter with --python PATH)\n"
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

/// Whether `pid` is a process that has not ended (a zombie has).
fn process_runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn sigterm_during_the_python_pool_stops_the_interpreter_and_its_workers() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "--python", "-w", "2", "-n", "2M", "--runs", "1", "--warmup", "0", "--seed", "1",
        ])
        .args(["--backend", "threads"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the pool's workers exist (the third Python row): an
    // interpreter, child of gilfree, with children of its own.
    let (interpreter, pool) = wait_for_pool(&mut child, |interpreter, pool| {
        (pool.len() >= 2).then_some((interpreter, pool))
    });
    // SAFETY: signalling our own child, not yet waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(143), "{err}");
    assert_eq!(
        err,
        "gilfree: interrupted by SIGTERM; stopped and reaped 1 worker process\n"
    );
    // Killed with its process group: no interpreter or pool worker runs on.
    assert_all_end(interpreter, &pool, "sigterm");
}

/// Waits (at most 60 s: a killed process may take a moment to go on a busy
/// machine) until neither `interpreter` nor any of `pool` runs.
fn assert_all_end(interpreter: u32, pool: &[u32], what: &str) {
    let started = std::time::Instant::now();
    loop {
        let left: Vec<u32> = std::iter::once(interpreter)
            .chain(pool.iter().copied())
            .filter(|&pid| process_runs(pid))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{what}: left running: {left:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Polls gilfree's children until `found` picks one (an interpreter, given
/// its own children), within 120 s; if gilfree ends first — it failed, or
/// finished before the pool was seen — says so with what it printed.
fn wait_for_pool<T>(
    gilfree: &mut std::process::Child,
    found: impl Fn(u32, Vec<u32>) -> Option<T>,
) -> T {
    let started = std::time::Instant::now();
    loop {
        let pick = children_of(gilfree.id())
            .into_iter()
            .find_map(|interpreter| found(interpreter, children_of(interpreter)));
        if let Some(pick) = pick {
            return pick;
        }
        if let Some(status) = gilfree.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut gilfree.stderr.take().unwrap(), &mut err).unwrap();
            panic!("gilfree ended ({status}) before its Python pool was seen:\n{err}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "gilfree runs, but no pool appeared in 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A process's CPU time so far (user + system), in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let fields: Vec<u64> = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse().ok())
                .collect();
            Some(fields.iter().sum())
        })
        .unwrap_or(0)
}

/// A pool worker of the book's `multiprocessing.Pool` killed from outside:
/// the Pool would start another process and wait for ever for the lost
/// task, so the program watches its processes, names the worker and stops
/// the pool. gilfree fails the run at once (exit 1, the row, the worker and
/// the signal on one line), and nothing is left: no interpreter, no pool
/// process, no shared-memory segment. Both Pool programs, pickling
/// (python-processes) and shared memory (python-processes-shared).
#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn a_killed_pool_worker_fails_the_run_at_once_and_is_named() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    for (row, extra) in [
        ("python-processes", &[][..]),
        ("python-processes-shared", &["--return", "numbers"][..]),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args([
                "--python", "-w", "2", "-n", "2M", "--runs", "1", "--warmup", "0",
            ])
            .args(["--seed", "1", "--backend", "threads", "--timeout", "3m"])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The row's interpreter: a child of gilfree with a pool of its own;
        // the shared program's is the one given a segment's name.
        let is_row = |interpreter: u32| {
            let cmdline = std::fs::read(format!("/proc/{interpreter}/cmdline")).unwrap_or_default();
            let shared = cmdline
                .split(|&b| b == 0)
                .any(|word| word.starts_with(b"gilfree-"));
            shared == (row == "python-processes-shared")
        };
        // A pool process that has computed for 0.1 s has taken its task.
        let (interpreter, pool, victim) = wait_for_pool(&mut child, |interpreter, pool| {
            let victim = pool.iter().copied().find(|&p| cpu_ticks(p) >= 10)?;
            (pool.len() >= 2 && is_row(interpreter)).then_some((interpreter, pool, victim))
        });
        // SAFETY: a grandchild of this test that has not been reaped by its
        // parent (it is computing); a stale pid would be reported below.
        unsafe { libc::kill(victim as libc::pid_t, libc::SIGKILL) };
        let killed = std::time::Instant::now();
        let status = child.wait().unwrap();
        let took = killed.elapsed();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{row}: {err}");
        assert_eq!(err.lines().count(), 1, "{row}: {err}");
        let named = (0..2).any(|worker| {
            err.starts_with(&format!(
                "error: {row} backend: the Python program exited with status 1: worker {worker} \
                 (pool process {victim}) was killed by signal 9 (SIGKILL) during the run, so the \
                 Pool was stopped"
            ))
        });
        assert!(named, "{row}: {err}");
        // Timing is not asserted, but a lost task waited out --timeout (3
        // minutes here) before.
        assert!(took < std::time::Duration::from_secs(60), "{row}: {took:?}");
        assert_all_end(interpreter, &pool, row);
        let prefix = format!("gilfree-{}-", child.id());
        let segments: Vec<_> = std::fs::read_dir("/dev/shm")
            .map(|dir| {
                dir.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        assert!(segments.is_empty(), "{row}: segments left: {segments:?}");
    }
}
