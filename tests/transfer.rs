//! `--return numbers`: every worker hands its numbers back and the parent
//! sums them — the same sums as ever, on every backend and every width; a
//! child that dies half-way is named, never read short; a transfer that
//! cannot fit is refused before anything runs; the shared memory is gone
//! after every ending.

use std::process::Command;
use std::time::{Duration, Instant};

use gilfree::backend::{BackendKind, BackendOptions, Deadline, ReturnPath};
use gilfree::error::{Error, WorkerFailure};
use gilfree::export::json;
use gilfree::fault::{Fault, Injection};
use gilfree::kernel::{Return, worker_sum};
use gilfree::{Backend, Generator, Workload, WorkloadSpec};

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;
use crate::robustness::children_of;

fn numbers(spec: WorkloadSpec) -> Workload {
    Workload::new(WorkloadSpec {
        returns: Return::Numbers,
        ..spec
    })
    .unwrap()
}

fn in_process() -> Vec<Box<dyn Backend>> {
    let options = BackendOptions {
        rayon_threads: 3,
        ..BackendOptions::default()
    };
    BackendKind::in_process()
        .map(|kind| kind.build(&options).unwrap())
        .collect()
}

fn has_python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The segments of CPython's shared memory gilfree named, in /dev/shm.
fn segments() -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("gilfree-"))
                .collect()
        })
        .unwrap_or_default()
}

/// This process's shared anonymous mappings (`/dev/zero (deleted)` in
/// `/proc/self/maps`): what a `MAP_SHARED` anonymous mapping looks like.
fn shared_anonymous_mappings() -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.contains("/dev/zero (deleted)"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_backend_sums_the_numbers_it_received_to_the_kernels_sums() {
    // Widths 1, 2, 4 and 8; counts that are empty, odd, and across a chunk.
    let ranges = [
        (1, 100),
        (-300, 300),
        (0, 1 << 20),
        (i64::MIN / 4, i64::MAX / 4),
    ];
    for (low, high) in ranges {
        for (workers, count) in [(1, 0), (3, 1), (5, 1_027), (2, 20_001)] {
            for generator in Generator::ALL {
                let spec = WorkloadSpec {
                    workers,
                    count,
                    low,
                    high,
                    seed: 2015,
                    generator,
                    ..WorkloadSpec::default()
                };
                let Ok(sums_mode) = Workload::new(spec.clone()) else {
                    continue; // a total beyond i64
                };
                let expected: Vec<i64> = (0..workers).map(|i| worker_sum(&sums_mode, i)).collect();
                let workload = numbers(spec);
                let width = workload.number_width() as u64;
                for backend in in_process() {
                    let what = format!(
                        "{} {low}..={high} {workers}×{count} {generator:?}",
                        backend.name()
                    );
                    let mut reports = backend.run(&workload).expect(&what);
                    reports.sort_by_key(|r| r.worker);
                    let got: Vec<i64> = reports.iter().map(|r| r.sum).collect();
                    assert_eq!(got, expected, "{what}");
                    for r in &reports {
                        let t = r.transfer.unwrap_or_else(|| panic!("{what}: no transfer"));
                        assert_eq!(t.bytes, count * width, "{what}");
                        assert!(t.sum_finish_ns >= t.sum_start_ns, "{what}");
                        assert!(t.sum_start_ns >= r.finish_ns, "{what}: summed before drawn");
                        match backend.profile().returns {
                            ReturnPath::Shared => {
                                assert_eq!(t.delivered_ns, r.finish_ns, "{what}");
                                assert_eq!(t.copy_cpu_ns, Some(0), "{what}");
                            }
                            ReturnPath::Pipe => {
                                assert!(t.delivered_ns >= r.finish_ns, "{what}");
                                assert!(t.copy_cpu_ns.is_some(), "{what}");
                            }
                            other => panic!("{what}: {other:?}"),
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_two_process_rows_copy_and_share_as_their_profiles_say() {
    let process = BackendKind::named("process").unwrap();
    let shared = BackendKind::named("process-shared").unwrap();
    assert_eq!(process.profile().returns, ReturnPath::Pipe);
    assert_eq!(process.profile().returns.copies(), 2);
    assert_eq!(shared.profile().returns, ReturnPath::Shared);
    assert_eq!(shared.profile().returns.copies(), 0);
    // Threads share the parent's buffer.
    for name in ["sequential", "gil", "threads", "channels", "rayon"] {
        let kind = BackendKind::named(name).unwrap();
        assert_eq!(kind.profile().returns, ReturnPath::Shared, "{name}");
    }
}

/// A workload whose worker 2 suffers `fault` in `backend`.
fn faulty(backend: &str, fault: Fault) -> Workload {
    numbers(WorkloadSpec {
        workers: 4,
        count: 2_000_000,
        seed: 3,
        ..WorkloadSpec::default()
    })
    .with_fault(Injection {
        worker: 2,
        fault,
        backend: Some(backend.to_owned()),
    })
}

#[test]
fn a_child_that_dies_mid_write_is_named_never_read_as_a_short_result() {
    for name in ["process", "process-shared"] {
        let backend = BackendKind::named(name)
            .unwrap()
            .build(&BackendOptions::default())
            .unwrap();
        let err = backend
            .run(&faulty(name, Fault::DieMidWrite))
            .expect_err(name);
        assert!(
            matches!(
                &err,
                Error::Worker {
                    backend: b,
                    worker: 2,
                    failure: WorkerFailure::Killed { signal: 9, .. },
                } if *b == name
            ),
            "{name}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!("{name} backend: worker 2 was killed by signal 9 (SIGKILL)")
        );
        // Ended cleanly without handing anything back: not a result either.
        let err = backend.run(&faulty(name, Fault::NoRecord)).expect_err(name);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{name} backend: worker 2 ")),
            "{text}"
        );
        match name {
            "process" => assert!(
                text.contains("ended after sending 0 of its 2000000 bytes of numbers"),
                "{text}"
            ),
            _ => assert!(text.contains("exited without sending its result"), "{text}"),
        }
    }
}

#[test]
fn the_binary_names_the_worker_that_died_mid_write_and_exits_1() {
    for name in ["process", "process-shared"] {
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(["--return", "numbers", "-n", "1M", "-w", "4", "--runs", "1"])
            .args(["--warmup", "0", "-s", "1", "-b", name])
            .env("GILFREE_TEST_FAULT", format!("1:die-mid-write@{name}"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!("error: {name} backend: worker 1 was killed by signal 9 (SIGKILL)\n")
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn a_transfer_that_cannot_fit_in_memory_is_refused_before_anything_runs() {
    let dir = scratch("transfer-refused");
    let export = dir.join("out.json");
    // 8 × 10^12 one-byte numbers: 8 TB, beyond any machine's memory, and
    // their sums within i64.
    let output = gilfree(&[
        "--return",
        "numbers",
        "-n",
        "1000G",
        "-s",
        "1",
        "--export-json",
        export.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: sequential backend: handing back 8 × 1,000,000,000,000 numbers of 1 byte needs \
             8000.0 GB at once, but "
        ),
        "{err}"
    );
    assert!(
        err.ends_with(
            "of memory is available; give fewer numbers or workers (--count, or the lesson's \
             --transfer-count; --workers), or hand back sums\n"
        ),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
    assert!(!export.exists());
    // The address space itself is checked when the workload is built.
    let output = gilfree(&[
        "--return",
        "numbers",
        "-n",
        "2000000000G",
        "--low",
        "0",
        "--high",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("do not fit in the address space"),
        "{}",
        stderr(&output)
    );
    // And with --materialize, which would hold them twice.
    let output = gilfree(&["--return", "numbers", "--materialize", "-n", "1k"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("drop --materialize"));
}

alone! {
    /// Alone, so that the maps and the children are this test's only.
    fn the_shared_mapping_is_gone_after_success_failure_and_timeout() {
        let backend = BackendKind::named("process-shared")
            .unwrap()
            .build(&BackendOptions::default())
            .unwrap();
        assert!(shared_anonymous_mappings().is_empty());
        let ok = numbers(WorkloadSpec { workers: 3, count: 1_000_000, seed: 1, ..WorkloadSpec::default() });
        for _ in 0..3 {
            backend.run(&ok).unwrap();
        }
        assert_eq!(shared_anonymous_mappings(), Vec::<String>::new());
        backend.run(&faulty("process-shared", Fault::DieMidWrite)).unwrap_err();
        assert_eq!(shared_anonymous_mappings(), Vec::<String>::new());
        let slow = faulty("process-shared", Fault::Sleep(Duration::from_secs(30)));
        let started = Instant::now();
        let err = backend
            .run_until(&slow, Some(Deadline::after(Duration::from_millis(300))))
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(shared_anonymous_mappings(), Vec::<String>::new());
        // Through the driver, which prepares the mapping before each run's
        // clock and releases it after: gone too, run well or not.
        let driver = gilfree::Driver::new(ok.clone(), gilfree::Plan::exactly(2, 1)).unwrap();
        let report = driver.run(&[backend.as_ref()]).unwrap();
        report.verify().unwrap();
        assert_eq!(shared_anonymous_mappings(), Vec::<String>::new());
        let failing = gilfree::Driver::new(
            faulty("process-shared", Fault::DieMidWrite),
            gilfree::Plan::exactly(2, 0),
        )
        .unwrap();
        failing.run(&[backend.as_ref()]).unwrap_err();
        assert_eq!(shared_anonymous_mappings(), Vec::<String>::new());
        assert_eq!(children_of(std::process::id()), Vec::<u32>::new());
    }
}

#[test]
fn memcpy_is_measured_in_bytes_per_second() {
    let b = gilfree::measure::memcpy_bandwidth(1 << 20, 3).unwrap();
    assert_eq!(b.bytes, 16 << 20);
    assert_eq!(b.samples, 3);
    // Any machine copies faster than 100 MB/s and slower than 10 TB/s.
    assert!(
        b.bytes_per_second > 1e8 && b.bytes_per_second < 1e13,
        "{b:?}"
    );
}

#[test]
fn the_export_records_what_moving_cost_each_row() {
    let dir = scratch("transfer-export");
    let path = dir.join("numbers.json");
    let output = gilfree(&[
        "--return",
        "numbers",
        "-n",
        "200k",
        "-w",
        "3",
        "-s",
        "7",
        "--runs",
        "2",
        "--warmup",
        "0",
        "-b",
        "threads,process,process-shared",
        "--export-json",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("numbers:  every worker hands back its 200,000 numbers, each as its offset from 1 in 1 byte"), "{text}");
    assert!(text.contains("memcpy:   "), "{text}");
    assert!(text.contains("Moving the numbers back"), "{text}");
    assert!(text.contains("process moved its numbers at "), "{text}");
    let export = json::read(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(export.schema_version, 3);
    assert_eq!(export.workload.returns, "numbers");
    assert_eq!(export.workload.number_width, Some(1));
    assert!(export.memcpy.as_ref().unwrap().bytes_per_second > 0.0);
    let workload = numbers(WorkloadSpec {
        workers: 3,
        count: 200_000,
        seed: 7,
        ..WorkloadSpec::default()
    });
    let expected: Vec<i64> = (0..3).map(|i| worker_sum(&workload, i)).collect();
    for (name, mode, copies) in [
        ("sequential", "shared", 0),
        ("threads", "shared", 0),
        ("process", "pipe", 2),
        ("process-shared", "shared", 0),
    ] {
        let row = export.result(name).unwrap();
        assert_eq!(row.sums, expected, "{name}");
        assert!(row.verified, "{name}");
        let t = row.transfer.as_ref().unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            (t.mode.as_str(), t.copies, t.bytes),
            (mode, copies, 600_000),
            "{name}"
        );
        assert!(t.copy_cpu_ns.is_some(), "{name}");
        if copies == 0 {
            assert_eq!((t.ns, t.copy_cpu_ns), (0, Some(0)), "{name}");
        }
        let worker = &row.runs[0].workers[0];
        assert_eq!(worker.transfer.unwrap().bytes, 200_000, "{name}");
    }
    // With sums, none of it.
    let path = dir.join("sums.json");
    let output = gilfree(&[
        "-n",
        "10k",
        "-s",
        "7",
        "--runs",
        "1",
        "-b",
        "process",
        "--export-json",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let export = json::read(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(export.workload.returns, "sums");
    assert_eq!(export.workload.number_width, None);
    assert!(export.memcpy.is_none());
    assert!(export.results.iter().all(|r| r.transfer.is_none()));
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(!raw.contains("\"transfer\""));
}

#[test]
fn cpythons_rows_hand_their_numbers_back_by_list_pickle_and_shared_memory() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let dir = scratch("transfer-python");
    let path = dir.join("python.json");
    let child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "--python",
            "--rng",
            "python",
            "--return",
            "numbers",
            "-n",
            "20k",
            "--low",
            "-1000",
            "--high",
            "1000",
            "-w",
            "3",
            "-s",
            "2015",
            "--runs",
            "1",
            "--warmup",
            "0",
            "-b",
            "process",
            "--export-json",
            path.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its segments are named after it: `gilfree-PID-RUN`.
    let ours = format!("gilfree-{}-", child.id());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let export = json::read(&std::fs::read(&path).unwrap()).unwrap();
    let workload = numbers(WorkloadSpec {
        workers: 3,
        count: 20_000,
        low: -1000,
        high: 1000,
        seed: 2015,
        generator: Generator::Python,
        ..WorkloadSpec::default()
    });
    assert_eq!(workload.number_width(), 2);
    let expected: Vec<i64> = (0..3).map(|i| worker_sum(&workload, i)).collect();
    for (name, mode, copies) in [
        ("python-sequential", "shared", 0),
        ("python-threads", "shared", 0),
        ("python-processes", "pickle", 5),
        ("python-processes-shared", "shared", 0),
    ] {
        let row = export.result(name).unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(row.sums, expected, "{name}");
        assert!(row.verified, "{name}");
        let t = row.transfer.as_ref().unwrap();
        assert_eq!((t.mode.as_str(), t.copies), (mode, copies), "{name}");
        assert!(t.bytes > 0, "{name}");
        assert_eq!(t.copy_cpu_ns, None, "{name}: not measured in CPython");
    }
    // The segment: 3 × 20,000 numbers of 2 bytes, read in place.
    let shared = export.result("python-processes-shared").unwrap();
    assert_eq!(shared.transfer.as_ref().unwrap().bytes, 120_000);
    // Pickled, each of these ints takes more than its 2 bytes.
    assert!(
        export
            .result("python-processes")
            .unwrap()
            .transfer
            .as_ref()
            .unwrap()
            .bytes
            > 120_000
    );
    let left: Vec<String> = segments()
        .into_iter()
        .filter(|name| name.starts_with(&ours))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

/// Watches /dev/shm on a thread of its own while `run` runs, for a segment
/// whose name starts with `prefix`: whether it was seen.
fn seen_during(prefix: &str, run: impl FnOnce()) -> bool {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (done, prefix) = (done.clone(), prefix.to_owned());
        std::thread::spawn(move || {
            let mut seen = false;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                seen |= segments().iter().any(|s| s.starts_with(&prefix));
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        })
    };
    run();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.join().unwrap()
}

#[test]
fn cpythons_shared_segment_is_removed_when_a_timeout_ends_the_run() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    use gilfree::backend::python::{Interpreter, Program, PythonBackend};
    let interpreter = Interpreter::probe("python3").unwrap();
    let shared = PythonBackend::returning(&interpreter, Return::Numbers)
        .into_iter()
        .find(|b| b.program() == Program::ProcessesShared)
        .unwrap();
    // 5M numbers a worker: seconds of CPython, far past the deadline.
    let workload = numbers(WorkloadSpec {
        workers: 2,
        count: 5_000_000,
        generator: Generator::Python,
        ..WorkloadSpec::default()
    });
    let prefix = format!("gilfree-{}-", std::process::id());
    let mut outcome = None;
    let seen = seen_during(&prefix, || {
        outcome = Some(shared.run_until(&workload, Some(Deadline::after(Duration::from_secs(1)))));
    });
    let err = outcome.unwrap().unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(seen, "the segment never appeared");
    assert!(
        !segments().iter().any(|s| s.starts_with(&prefix)),
        "{:?}",
        segments()
    );
}

#[test]
fn cpythons_shared_segment_is_removed_when_a_signal_ends_the_run() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "--python", "--return", "numbers", "-n", "1M", "-w", "2", "--runs", "1",
        ])
        .args(["--warmup", "0", "-s", "1", "-b", "sequential"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let prefix = format!("gilfree-{}-", child.id());
    // The shared row is the last; it takes about a second.
    let started = Instant::now();
    while !segments().iter().any(|s| s.starts_with(&prefix)) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the segment never appeared"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the run ended before its segment was seen");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: signalling our own child, not yet waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    // Killed while the interpreter ran, or just after it ended.
    assert!(
        [Some(0), Some(128 + libc::SIGTERM)].contains(&status.code()),
        "{status:?}"
    );
    assert!(
        !segments().iter().any(|s| s.starts_with(&prefix)),
        "{:?}",
        segments()
    );
}

/// The lesson's second act, end to end: threads sharing one buffer,
/// processes copying through pipes, processes sharing memory; the parent's
/// sums checked; the slide and the HTML page carry it, the slide titled as
/// the findings say.
#[test]
fn the_lessons_second_act_shows_the_copies_the_slide_and_the_page() {
    let dir = scratch("transfer-lesson");
    let (svg, html) = (dir.join("act-two.svg"), dir.join("lesson.html"));
    let output = gilfree(&[
        "lesson",
        "--no-python",
        "-n",
        "200k",
        "--transfer",
        "--transfer-count",
        "2M",
        "--transfer-svg",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let act = &text[text.find("Act two").expect("the second act")..];
    assert!(
        act.contains("Each of 8 workers now hands back all 2,000,000 of its numbers, 1 byte each (16 MB a\nrun)"),
        "{act}"
    );
    let row = |name: &str| {
        act.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} row: {act}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // bytes moved and copies: threads and process-shared none, process two.
    for (name, copies) in [
        ("sequential", "0"),
        ("threads", "0"),
        ("process", "2"),
        ("process-shared", "0"),
    ] {
        let cells = row(name);
        assert!(
            cells
                .windows(3)
                .any(|w| w[0] == "16" && w[1] == "MB" && w[2] == copies),
            "{name}: {cells:?}"
        );
    }
    assert!(
        act.contains("Every row's parent summed the same 8 sums from the numbers it received ✓"),
        "{act}"
    );
    assert!(
        act.contains("below memcpy's"),
        "the pipe's rate against memcpy: {act}"
    );
    // The slide: a slide's size, every row's lane label, the legend.
    let texts = crate::pictures::slide_texts(&svg);
    for label in [
        "sequential",
        "threads",
        "process",
        "process-shared",
        "its numbers on the way to the parent",
    ] {
        assert!(texts.iter().any(|t| t == label), "{label}: {texts:?}");
    }
    // The page carries the second act, the same slide inline (its title
    // the slide's), before the fold.
    let page = std::fs::read_to_string(&html).unwrap();
    let act_two = page.find("id=\"act-two\"").expect("the act on the page");
    assert!(act_two < page.find("<details").unwrap());
    // The slide is inline SVG, whose apostrophes are `&apos;` where the
    // page's own text has `&#39;`: compared as a browser reads them.
    let shown = page[act_two..]
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    assert!(shown.contains(&texts[0]), "{}", texts[0]);
}

/// `sweep --counts` with the numbers handed back: one column per count, the
/// bytes each worker hands back as the heading, a row per backend, the time
/// on the way for the copying row, and a plot whose axis is those bytes.
#[test]
fn a_count_sweep_shows_each_row_against_sequential_over_the_bytes_handed_back() {
    let dir = scratch("transfer-count-sweep");
    let plot = dir.join("counts.svg");
    let output = gilfree(&[
        "sweep",
        "--counts",
        "100k,1M",
        "-b",
        "threads,process,process-shared",
        "--return",
        "numbers",
        "--runs",
        "1",
        "--seed",
        "3",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Sweep over the numbers per worker: 8 workers, each hands its numbers back (1 byte each)"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("row "))
        .expect("a header");
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["row", "100", "kB", "1", "MB"]
    );
    for name in ["threads", "process", "process-shared"] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name}: {text}"));
        assert_eq!(line.matches('×').count(), 2, "{line}");
    }
    assert!(
        text.contains("on the way (from each worker's finish until the parent had its numbers"),
        "{text}"
    );
    let texts = crate::pictures::slide_texts(&plot);
    assert!(texts.iter().any(|t| t.contains("bytes")), "{texts:?}");
    // A count sweep refuses a list of worker counts beside it, and a count
    // that is not one.
    for bad in [
        &["sweep", "--counts", "1M,x"][..],
        &["sweep", "--counts", "1M", "-w", "1,2"][..],
        &["sweep", "--counts", "0,1M"][..],
        &["sweep", "--counts", "1M", "--scaling", "strong"][..],
        &[
            "lesson",
            "--no-python",
            "--transfer",
            "--transfer-count",
            "0",
        ][..],
    ] {
        let output = gilfree(bad);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "{bad:?}: {}",
            stderr(&output)
        );
    }
}

/// The transfer slide with more workers than lanes fit groups them, says
/// so, and draws every bar; with more rows than fit it keeps the process
/// rows it compares and names the rows it left out.
#[test]
fn the_transfer_slide_groups_many_workers_and_names_the_rows_it_leaves_out() {
    let dir = scratch("transfer-slide-limits");
    let many = dir.join("many.svg");
    let output = gilfree(&[
        "-b",
        "threads,process,process-shared",
        "--return",
        "numbers",
        "-w",
        "64",
        "-n",
        "20k",
        "--runs",
        "1",
        "--seed",
        "1",
        "--transfer-svg",
        many.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let texts = crate::pictures::slide_texts(&many);
    assert!(texts[1].contains("a lane per "), "{texts:?}");
    let svg = std::fs::read_to_string(&many).unwrap();
    assert!(!svg.contains("height=\"0\""), "a bar of no height");
    let rows = dir.join("rows.svg");
    let output = gilfree(&[
        "-b",
        "sequential,gil,threads,channels,rayon,process,process-shared",
        "--return",
        "numbers",
        "-n",
        "20k",
        "--runs",
        "1",
        "--seed",
        "1",
        "--transfer-svg",
        rows.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let texts = crate::pictures::slide_texts(&rows);
    assert!(texts.iter().any(|t| t == "process-shared"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "process"), "{texts:?}");
    assert!(texts[1].contains("not drawn: rayon"), "{texts:?}");
}
