//! Hostile input and hostile workers: hangs end at a deadline, bounds are
//! named, numbers have one grammar, messages say what to do.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{gilfree, stderr};
use crate::export::scratch;

fn has_python3() -> bool {
    Command::new("python3").arg("--version").output().is_ok()
}

/// Writes an executable script: a stand-in interpreter.
fn script(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// Asserts exit code 2 and a one-line message containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let output = gilfree(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
}

#[test]
fn a_stopped_worker_process_ends_at_the_timeout_with_the_worker_named() {
    let child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "-n", "1000", "--seed", "1", "--runs", "1", "--warmup", "0", "-b", "process",
        ])
        // Worker 3 is the last of four: once it sleeps alone, the others
        // have been forked and reaped.
        .args(["-w", "4", "--timeout", "2s"])
        .env(gilfree::fault::ENV_VAR, "3:sleep=600000@process")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The other workers finish at once; worker 3 sleeps. Stop it for good.
    let started = Instant::now();
    crate::robustness::wait_until_worker_sleeps(child.id());
    let workers = crate::robustness::children_of(child.id());
    assert_eq!(workers.len(), 1, "workers: {workers:?}");
    let sleeper = workers[0];
    // SAFETY: signalling our child's child, which it reaps only after the
    // timeout (so the pid is still that worker's).
    unsafe { libc::kill(sleeper as libc::pid_t, libc::SIGSTOP) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: process backend: the run did not finish within 2s: worker 3 still running, \
         killed (raise --timeout, or give --timeout none)\n"
    );
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn a_python_program_that_hangs_or_leaves_its_pipe_open_cannot_block_gilfree() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let dir = scratch("hanging-python");
    // Answers the probe like CPython, then, running a program, either hangs
    // or hands its stdout to a grandchild that outlives it.
    let fake = dir.join("fake-python");
    script(
        &fake,
        "#!/bin/sh\n\
         if [ \"$1\" = -c ]; then echo '{\"version\": \"3.11.0\", \"implementation\": \"cpython\", \"gil_enabled\": true}'; exit 0; fi\n\
         if [ \"$GILFREE_FAKE\" = hang ]; then sleep 601; fi\n\
         sleep 601 &\n\
         echo '{\"workers\": []}'\n",
    );
    let fake = fake.to_str().unwrap();
    for (mode, expected) in [
        (
            "hang",
            "error: python-sequential backend: the run did not finish within 2s: the interpreter \
             still running, killed (raise --timeout, or give --timeout none)\n",
        ),
        (
            "grandchild",
            "error: python-sequential backend: returned 0 reports for 8 workers, not one per worker\n",
        ),
    ] {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args([
                "-n", "1000", "--runs", "1", "--warmup", "0", "-b", "threads",
            ])
            .args(["--python", fake, "--timeout", "2s"])
            .env("GILFREE_FAKE", mode)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{mode}");
        assert_eq!(stderr(&output), expected, "{mode}");
        assert!(started.elapsed() < Duration::from_secs(120), "{mode}");
    }
    // Every `sleep 601` went with its process group.
    assert_none_left("^sleep 601$");
}

#[test]
#[ignore = "long: it waits out the 10 s probe timeout; CI runs it in its own step (.ci/run)"]
fn an_interpreter_that_hangs_when_asked_what_it_is_is_given_up() {
    let dir = scratch("hanging-probe");
    let fake = dir.join("mute-python");
    script(&fake, "#!/bin/sh\nsleep 602\n");
    let started = Instant::now();
    refused(
        &["--python", fake.to_str().unwrap(), "-n", "1k"],
        "it did not answer within 10 s",
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_none_left("^sleep 602$");
}

/// Asserts that no process's command line matches `pattern` (pgrep -f),
/// waiting up to 60 s for killed ones to go: on a busy machine a process
/// sent SIGKILL takes a moment to end.
fn assert_none_left(pattern: &str) {
    let started = Instant::now();
    loop {
        let left = Command::new("pgrep")
            .args(["-af", pattern])
            .output()
            .unwrap();
        if left.stdout.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "left running: {}",
            String::from_utf8_lossy(&left.stdout)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn counts_of_runs_and_threads_are_bounded_with_the_limit_named() {
    for (args, needle) in [
        (
            &["--runs", "18446744073709551615"][..],
            "runs = 18446744073709551615: at most 10000",
        ),
        (&["--runs", "1000000000000"], "at most 10000 measured runs"),
        (
            &["--warmup", "10001"],
            "warmup = 10001: at most 10000 warm-up runs",
        ),
        (
            &["--threads", "100000"],
            "threads = 100000: a rayon pool of at most 1024 threads",
        ),
        (
            &["sweep", "-r", "18446744073709551615"],
            "at most 10000 measured runs",
        ),
        (
            &["sweep", "--warmup", "18446744073709551615"],
            "at most 10000 warm-up runs",
        ),
    ] {
        refused(args, needle);
    }
    // Listing the backends builds none of them, whatever --threads.
    let output = gilfree(&["--list-backends", "--threads", "1000"]);
    assert!(output.status.success());
}

#[test]
fn strong_scaling_refuses_work_that_does_not_divide_evenly() {
    refused(
        &["sweep", "--scaling", "strong", "-n", "3", "-w", "1,2,8"],
        "count = 3 among 2 workers: strong scaling divides --count evenly among the workers",
    );
    let output = gilfree(&[
        "sweep",
        "--scaling",
        "strong",
        "-n",
        "8",
        "-w",
        "1,2,8",
        "-r",
        "1",
        "--warmup",
        "0",
        "-b",
        "threads",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn every_count_like_flag_takes_one_number_grammar() {
    for good in ["8", " 8 ", "1_0", "1k", "1K", "1m", "1M", "1g"] {
        // Parsed, then refused or accepted by range, never by grammar.
        let output = gilfree(&["--workers", good, "--list-backends"]);
        assert!(output.status.success(), "{good}: {}", stderr(&output));
        let output = gilfree(&["--count", good, "--list-backends"]);
        assert!(output.status.success(), "{good}: {}", stderr(&output));
    }
    for bad in ["1_000_", "_1", "1__0", "1.5", "-1", "1e6", "ten", ""] {
        for flag in ["--workers", "--count", "--runs", "--warmup", "--threads"] {
            refused(&[flag, bad], "is not a whole number");
        }
    }
}

#[test]
fn messages_name_the_valid_choices() {
    refused(
        &["--rng", "dice"],
        "[possible values: xoshiro-x8, xoshiro, python, rand]",
    );
    refused(
        &["--switch-interval", "0ms"],
        "the switch interval must be positive",
    );
    refused(
        &["--switch-interval", "-1ms"],
        "'-1ms': the switch interval must be positive",
    );
    for interval in ["5µs", "5μs", "500ns"] {
        let output = gilfree(&["--switch-interval", interval, "--list-backends"]);
        assert!(output.status.success(), "{interval}: {}", stderr(&output));
    }
}

#[test]
fn one_worker_is_said_in_the_singular() {
    // Under a limit of 4 open files (3 standard streams), no pipe fits.
    let output = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 4 && exec \"$0\" -w 1 -b process -n 1k",
            env!("CARGO_BIN_EXE_gilfree"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("error: process backend: 1 worker needs 1 pipe open at once"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_low_open_file_limit_still_runs_the_workers_that_fit() {
    let output = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 20 && exec \"$0\" -w 4 -b process -n 1k --runs 1 --warmup 0",
            env!("CARGO_BIN_EXE_gilfree"),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn the_expected_total_and_its_distance_are_exact_for_huge_bounds() {
    let dir = scratch("exact-expectation");
    let json = dir.join("run.json");
    let output = gilfree(&[
        "--low",
        "9007199254740993",
        "--high",
        "9007199254740994",
        "-w",
        "1",
        "-n",
        "1",
        "-s",
        "1",
        "--runs",
        "1",
        "-b",
        "threads",
        "--export-json",
        json.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    // One number drawn from {…993, …994}: σ = 1/2, so the total lies
    // exactly one σ from the expected …993.5, on one side or the other.
    let total = out.lines().find(|l| l.starts_with("Total:")).unwrap();
    assert!(
        total.contains("expected 9,007,199,254,740,993.5 = "),
        "{total}"
    );
    assert!(
        total.ends_with("off by -1.00 σ)") || total.ends_with("off by +1.00 σ)"),
        "{total}"
    );
    let export: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(export["expected_total_exact"], "9007199254740993.5");
    assert_eq!(export["total_z_score"].as_f64().unwrap().abs(), 1.0);
}

#[test]
fn compare_refuses_hostile_files_and_escapes_their_text() {
    let dir = scratch("hostile-compare");
    let good = dir.join("good.json");
    let output = gilfree(&[
        "-n",
        "10k",
        "-s",
        "1",
        "--runs",
        "2",
        "-b",
        "threads",
        "--export-json",
        good.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let export: serde_json::Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    let tampered = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = export.clone();
        edit(&mut value);
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        path
    };
    let huge = tampered("huge.json", &|v| v["results"][1]["median"] = 1e20.into());
    let negative = tampered("negative.json", &|v| {
        v["results"][1]["times"][0] = (-0.5).into()
    });
    let escape = tampered("escape.json", &|v| {
        v["results"][1]["backend"] = "threads\u{1b}[2J".into();
        v["machine"]["cpu_model"] = "evil\u{7}cpu".into();
    });
    let good = good.to_str().unwrap();
    for (path, problem) in [
        (
            &huge,
            "threads's median is 100000000000000000000, not a time in seconds",
        ),
        (&negative, "threads's times is -0.5, not a time in seconds"),
    ] {
        let output = gilfree(&["compare", good, path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(problem), "{}", stderr(&output));
    }
    let started = Instant::now();
    let output = gilfree(&["compare", good, "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: /dev/zero: larger than 256 MiB: not an export gilfree can compare\n"
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    let output = gilfree(&["compare", good, escape.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("evil\\u{7}cpu"), "{out}");
}

#[test]
fn a_python_program_failing_is_explained_by_its_own_last_words() {
    let dir = scratch("failing-python");
    let fake = dir.join("python-exit-3");
    script(
        &fake,
        "#!/bin/sh\n\
         if [ \"$1\" = -c ]; then echo '{\"version\": \"3.11.0\", \"implementation\": \"cpython\", \"gil_enabled\": true}'; exit 0; fi\n\
         echo 'Traceback (most recent call last):' >&2\n\
         echo 'MemoryError: out of memory' >&2\n\
         exit 3\n",
    );
    let output = gilfree(&[
        "-n",
        "1k",
        "--runs",
        "1",
        "--warmup",
        "0",
        "-b",
        "threads",
        "--python",
        fake.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    // Not the forked worker's meaning of status 3 ("could not map memory").
    assert_eq!(
        stderr(&output),
        "error: python-sequential backend: the Python program exited with status 3: \
         MemoryError: out of memory\n"
    );
}

#[test]
fn the_timeout_binds_a_worker_that_closed_its_pipe_but_lives_on() {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "-n",
            "10k",
            "--runs",
            "1",
            "--warmup",
            "0",
            "-b",
            "process",
            "--timeout",
            "2s",
        ])
        .env(gilfree::fault::ENV_VAR, "3:linger=600000@process")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(
            "error: process backend: the run did not finish within 2s: worker 3 still running"
        ),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn inherited_quirks_and_odd_paths_do_not_break_a_run() {
    // SIGCHLD ignored by whoever started gilfree.
    let output = Command::new("python3")
        .args([
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); \
             os.execv(sys.argv[1], sys.argv[1:])",
            env!("CARGO_BIN_EXE_gilfree"),
            "-n",
            "1k",
            "--runs",
            "1",
            "-b",
            "process",
        ])
        .output();
    if let Ok(output) = output {
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // A path with a newline: still one line.
    let output = gilfree(&["--export-json", "no\nsuch/x.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
}

#[test]
fn a_python_older_than_3_8_is_refused_before_the_run() {
    let dir = scratch("old-python");
    let fake = dir.join("python3.7");
    script(
        &fake,
        "#!/bin/sh\necho '{\"version\": \"3.7.16\", \"implementation\": \"cpython\", \"gil_enabled\": true}'\n",
    );
    refused(
        &["--python", fake.to_str().unwrap(), "-n", "1k"],
        "it is Python 3.7.16; the programs need Python 3.8 or later",
    );
}

#[test]
fn compare_neither_hangs_on_a_silent_fifo_nor_accepts_missing_sums() {
    let dir = scratch("compare-fifo");
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let started = Instant::now();
    let output = gilfree(&["compare", fifo.to_str().unwrap(), fifo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(120));

    let good = dir.join("good.json");
    let output = gilfree(&[
        "-n",
        "1k",
        "--runs",
        "1",
        "-b",
        "threads",
        "--export-json",
        good.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let mut export: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    export["sums"] = serde_json::json!([]);
    let empty = dir.join("empty-sums.json");
    std::fs::write(&empty, serde_json::to_vec(&export).unwrap()).unwrap();
    refused(
        &["compare", good.to_str().unwrap(), empty.to_str().unwrap()],
        "it has 0 sums for 8 workers",
    );
}

#[test]
fn run_counts_are_refused_under_the_name_they_were_given() {
    for (args, message) in [
        (
            &["--max-runs", "0"][..],
            "max-runs = 0: at least one measured run is needed",
        ),
        (
            &["--min-runs", "0"],
            "min-runs = 0: at least one measured run is needed",
        ),
        (
            &["--min-runs", "10001"],
            "min-runs = 10001: at most 10000 measured runs are supported",
        ),
        (
            &["--max-runs", "10001"],
            "max-runs = 10001: at most 10000 measured runs are supported",
        ),
        (
            &["--runs", "0"],
            "runs = 0: at least one measured run is needed",
        ),
        (
            &["sweep", "--max-runs", "0"],
            "max-runs = 0: at least one measured run is needed",
        ),
        (
            &["--min-runs", "30", "--max-runs", "10"],
            "max-runs = 10: it must be at least --min-runs",
        ),
    ] {
        let output = gilfree(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&output), format!("error: {message}\n"), "{args:?}");
    }
}

#[test]
fn the_lesson_refuses_what_a_run_refuses_and_points_at_its_own_help() {
    let output = gilfree(&["lesson", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.ends_with("(see gilfree lesson --help)\n"), "{err}");
    // A forced SIMD path that does not exist: refused before any calibration.
    for command in [&["lesson", "--no-python", "-n", "10k"][..], &["-n", "1k"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(command)
            .env("GILFREE_SIMD", "bogus")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        assert_eq!(
            stderr(&output),
            "error: GILFREE_SIMD = bogus: expected scalar, avx2, avx512 or auto\n",
            "{command:?}"
        );
        assert!(output.stdout.is_empty(), "{command:?}");
    }
}

#[test]
fn compare_refuses_an_export_whose_workload_or_plan_gilfree_would_refuse() {
    let dir = scratch("impossible-plans");
    let good = dir.join("good.json");
    let output = gilfree(&[
        "-b",
        "threads",
        "-w",
        "2",
        "-n",
        "1k",
        "--runs",
        "1",
        "--seed",
        "1",
        "--export-json",
        good.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    for (pointer, value, message) in [
        (
            "/workload/workers",
            serde_json::json!(0),
            "its workload has 0 workers",
        ),
        (
            "/workload/low",
            serde_json::json!(101),
            "its workload's range 101..=100 is empty",
        ),
        (
            "/plan/min_runs",
            serde_json::json!(7),
            "its plan of 7 to 1 measured runs is not 1 ≤ min_runs ≤ max_runs ≤ 10000",
        ),
        (
            "/plan/max_runs",
            serde_json::json!(10_001),
            "its plan of 1 to 10001 measured runs is not 1 ≤ min_runs ≤ max_runs ≤ 10000",
        ),
        (
            "/plan/precision",
            serde_json::json!(-0.02),
            "its plan's precision is -0.02, not a fraction between 0 and 1",
        ),
        (
            "/plan/precision",
            serde_json::json!(1.5),
            "its plan's precision is 1.5, not a fraction between 0 and 1",
        ),
        (
            "/plan/warmup",
            serde_json::json!(20_000),
            "its plan's 20000 warm-up runs are more than 10000",
        ),
    ] {
        let mut edited = original.clone();
        *edited.pointer_mut(pointer).unwrap() = value;
        // workers 0 with sums for 2 is caught by the sums first: match them.
        if pointer == "/workload/workers" {
            *edited.pointer_mut("/sums").unwrap() = serde_json::json!([]);
            for r in edited["results"].as_array_mut().unwrap() {
                r["sums"] = serde_json::json!([]);
            }
        }
        let bad = dir.join("bad.json");
        std::fs::write(&bad, serde_json::to_vec(&edited).unwrap()).unwrap();
        let output = gilfree(&["compare", good.to_str().unwrap(), bad.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{pointer}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("not a gilfree JSON export ({message})")),
            "{err}"
        );
    }
}

#[test]
fn the_cores_picture_without_the_sampler_names_no_line_it_does_not_draw() {
    let dir = scratch("cores-no-sampler");
    let svg = dir.join("cores.svg");
    let output = gilfree(&[
        "-b",
        "threads",
        "-w",
        "2",
        "-n",
        "100k",
        "--runs",
        "1",
        "--seed",
        "1",
        "--no-sampler",
        "--cores-svg",
        svg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(!text.contains("Grey line"), "{text}");
    assert!(text.contains("Dashed: the machine"), "{text}");
}

#[test]
fn a_complete_python_report_is_read_though_a_new_session_holds_the_pipe() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let dir = scratch("setsid-python");
    // The real interpreter, after leaving a grandchild in a session of its
    // own that keeps the interpreter's stdout and stderr open: killing the
    // interpreter's process group misses it.
    let fake = dir.join("python-with-daemon");
    script(
        &fake,
        "#!/bin/sh\n\
         setsid sleep 603 &\n\
         exec python3 \"$@\"\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "-n", "10k", "-w", "2", "--runs", "1", "--warmup", "0", "--seed", "5",
        ])
        .args([
            "-b",
            "threads",
            "--rng",
            "python",
            "--python",
            fake.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", stderr(&output));
    for row in ["python-sequential", "python-threads", "python-processes"] {
        assert!(out.lines().any(|l| l.starts_with(row)), "{row}: {out}");
    }
    // Every grandchild that held a pipe was found by it and stopped.
    assert_none_left("^sleep 603$");
}

/// The bytes of `text` that could drive a terminal or break a file: every
/// control character but the newline (and the tab) that the formats use.
fn raw_controls(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
        .collect()
}

#[test]
fn an_interpreters_words_and_path_reach_no_output_raw() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let dir = scratch("hostile-interpreter");
    // Answers the probe with a version and an implementation full of
    // control characters; runs the programs with the real python3. It is
    // reached through a symbolic link whose name holds them too.
    let probe = serde_json::json!({
        "version": "3.11.0\u{1b}[2J\u{7}\r\nX",
        "implementation": "cpy\u{1b}[31mthon",
        "gil_enabled": true,
    });
    let fake = dir.join("fake-python");
    script(
        &fake,
        &format!(
            "#!/bin/sh\nif [ \"$1\" = -c ]; then cat <<'JSON'\n{probe}\nJSON\nexit 0; fi\n\
             exec python3 \"$@\"\n"
        ),
    );
    let link = dir.join("py\u{1b}[2Jthon\u{7}\r\nevil");
    std::os::unix::fs::symlink(&fake, &link).unwrap();
    let file = |name: &str| dir.join(name);
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "-b", "threads", "-n", "10k", "-w", "2", "--runs", "1", "--warmup", "0",
        ])
        .args(["--seed", "1", "--rng", "python", "--explain", "--python"])
        .arg(&link)
        .arg("--export-json")
        .arg(file("o.json"))
        .arg("--export-csv")
        .arg(file("o.csv"))
        .arg("--export-markdown")
        .arg(file("o.md"))
        .arg("--export-html")
        .arg(file("o.html"))
        .arg("--cores-svg")
        .arg(file("c.svg"))
        .arg("--timeline-svg")
        .arg(file("t.svg"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(
            "python:   cpy\\u{1b}[31mthon 3.11.0\\u{1b}[2J\\u{7}\\u{d}\\nX (\
             "
        ),
        "{text}"
    );
    assert!(
        text.contains("py\\u{1b}[2Jthon\\u{7}\\u{d}\\nevil), GIL enabled"),
        "{text}"
    );
    let lesson = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(["lesson", "-n", "10k", "--python"])
        .arg(&link)
        .arg("--svg")
        .arg(file("lesson.svg"))
        .arg("--html")
        .arg(file("lesson.html"))
        .output()
        .unwrap();
    assert!(lesson.status.success(), "{}", stderr(&lesson));
    for (what, bytes) in [
        ("stdout", output.stdout.clone()),
        ("stderr", output.stderr.clone()),
        ("lesson stdout", lesson.stdout.clone()),
        ("lesson stderr", lesson.stderr.clone()),
    ]
    .into_iter()
    .chain(
        [
            "o.json",
            "o.csv",
            "o.md",
            "o.html",
            "c.svg",
            "t.svg",
            "lesson.svg",
            "lesson.html",
        ]
        .map(|name| (name, std::fs::read(file(name)).unwrap())),
    ) {
        assert_eq!(raw_controls(&bytes), Vec::<u8>::new(), "{what}");
    }
    // The lesson names the interpreter too, escaped.
    let lesson_text = String::from_utf8_lossy(&lesson.stdout).replace('\n', " ");
    assert!(lesson_text.contains("3.11.0\\u{1b}[2J"), "{lesson_text}");
    // compare names its files, whatever their names hold.
    let hostile_name = dir.join("run\u{1b}[2J\u{7}\r\n.json");
    std::fs::copy(file("o.json"), &hostile_name).unwrap();
    let compared = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .arg("compare")
        .args([&hostile_name, &hostile_name])
        .output()
        .unwrap();
    assert!(compared.status.success(), "{}", stderr(&compared));
    assert_eq!(raw_controls(&compared.stdout), Vec::<u8>::new());
    assert!(
        String::from_utf8_lossy(&compared.stdout).contains("run\\u{1b}[2J\\u{7}\\u{d}\\n.json")
    );
    // The SVG pictures are well-formed XML, which a raw control would break.
    for name in ["c.svg", "t.svg", "lesson.svg"] {
        let svg = std::fs::read_to_string(file(name)).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|err| panic!("{name}: {err}"));
    }
}

#[test]
fn a_mistyped_argument_is_quoted_back_escaped() {
    for (value, shown) in [
        // clap itself drops BEL and a terminal's escape sequences.
        ("1\r\n2\u{7}x", "'1\\u{d}\\n2x' is not a whole number"),
        ("\u{1b}[2J9", "'9' is not a whole number"),
    ] {
        let output = gilfree(&["--count", value]);
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert_eq!(raw_controls(err.as_bytes()), Vec::<u8>::new(), "{err:?}");
        assert!(err.contains(shown), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
