//! Failures on purpose: injected faults, real resource limits, signals,
//! EINTR, bad input and a soak. Each asserts the error a user sees, that it
//! comes in bounded time, and that nothing is left behind: no child process
//! (`waitpid(-1, WNOHANG)` answers ECHILD), no open fd, no extra thread.
//!
//! Those assertions are only exact in a process where no other test runs, so
//! most tests here run their body alone, in a fresh process of this test
//! binary (`alone!`): the `#[test]` re-runs the binary with a filter that
//! selects only the body, an `#[ignore]`d test that does nothing unless the
//! environment says it runs alone.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gilfree::backend::{
    BackendKind, BackendOptions, ChannelsBackend, GilBackend, ProcessBackend, RayonBackend,
    SequentialBackend, ThreadsBackend,
};
use gilfree::fault::{Fault, Injection};
use gilfree::{Backend, Error, Workload, WorkloadSpec};

use crate::cli::{gilfree, stderr};

fn workload(workers: usize, count: u64) -> Workload {
    Workload::new(WorkloadSpec {
        workers,
        count,
        seed: 11,
        ..WorkloadSpec::default()
    })
    .unwrap()
}

fn inject(workload: Workload, worker: usize, fault: Fault) -> Workload {
    workload.with_fault(Injection {
        worker,
        fault,
        backend: None,
    })
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Asserts that this process has no child left, zombie or running.
fn assert_no_children() {
    let mut status = 0;
    // SAFETY: `status` is writable; WNOHANG never blocks.
    let rc = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        rc == -1 && errno == Some(libc::ECHILD),
        "a child is left: waitpid(-1) = {rc}"
    );
}

/// Runs `backend` on `workload`, expecting an error whose text is `message`,
/// within a generous time, leaving no child and no fd behind.
fn expect_failure(backend: &dyn Backend, workload: &Workload, message: &str) {
    let fds = open_fds();
    let started = Instant::now();
    let err = backend
        .run(workload)
        .expect_err("the fault makes the run fail");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.to_string(), message);
    assert!(!err.is_usage(), "a runtime failure, exit code 1");
    assert_no_children();
    assert_eq!(open_fds(), fds, "fds leaked");
}

alone! {
    /// Every way a worker process can fail, each with the message a user
    /// reads, the other children killed and reaped, every pipe closed.
    fn process_backend_reports_each_kind_of_worker_failure() {
        let base = || workload(6, 2_000_000);
        let cases = [
            (Fault::Kill(libc::SIGKILL), "process backend: worker 3 was killed by signal 9 (SIGKILL)"),
            (Fault::Kill(libc::SIGSEGV), "process backend: worker 3 was killed by signal 11 (SIGSEGV)"),
            (Fault::Exit(7), "process backend: worker 3 exited with status 7"),
            (Fault::Panic, "process backend: worker 3 exited with status 5: it panicked"),
            (Fault::ShortRecord, "process backend: worker 3 sent 29 bytes instead of its 88-byte result record"),
            (Fault::NoRecord, "process backend: worker 3 exited without sending its result"),
            (Fault::Garbled, "process backend: worker 3 sent a garbled result record: wrong magic number"),
        ];
        for (fault, message) in cases {
            expect_failure(&ProcessBackend, &inject(base(), 3, fault), message);
        }
        // A worker that dies early is reported at once: the others, still
        // busy for ten minutes, are killed and reaped rather than waited for.
        let mut slow = base();
        for worker in [0, 1, 2, 4, 5] {
            slow = inject(slow, worker, Fault::Sleep(Duration::from_secs(600)));
        }
        let started = Instant::now();
        expect_failure(
            &ProcessBackend,
            &inject(slow, 3, Fault::Exit(9)),
            "process backend: worker 3 exited with status 9",
        );
        assert!(started.elapsed() < Duration::from_secs(120), "{:?}", started.elapsed());
        // Failures while starting: the children already forked are killed and reaped.
        let fork = inject(base(), 3, Fault::ForkFails);
        let err = ProcessBackend.run(&fork).unwrap_err().to_string();
        assert!(
            err.starts_with("process backend: worker 3 could not be forked: Resource temporarily unavailable (os error 11); a limit on processes was reached (ulimit -u: "),
            "{err}"
        );
        assert_no_children();
        let pipe = inject(base(), 4, Fault::PipeFails);
        let err = ProcessBackend.run(&pipe).unwrap_err().to_string();
        assert!(
            err.starts_with("process backend: worker 4 could not get a pipe: Too many open files (os error 24); the limit of open files per process is "),
            "{err}"
        );
        assert_no_children();
        // And the backend still works afterwards.
        assert_eq!(ProcessBackend.run(&base()).unwrap().len(), 6);
        assert_no_children();
    }
}

alone! {
    /// A worker that panics in any thread backend is an error naming it; the
    /// other workers are joined, so the thread count returns to where it was.
    fn thread_backends_report_a_panicking_worker_and_join_the_others() {
        let rayon = RayonBackend::new(2).unwrap(); // its pool threads stay
        let gil = GilBackend::default();
        let backends: [&dyn Backend; 5] =
            [&SequentialBackend, &gil, &ThreadsBackend, &ChannelsBackend, &rayon];
        let baseline = threads();
        for backend in backends {
            let faulty = inject(workload(8, 200_000), 5, Fault::Panic);
            let started = Instant::now();
            let err = backend.run(&faulty).unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(30));
            assert_eq!(
                err.to_string(),
                format!(
                    "{} backend: worker 5 panicked: injected fault: worker 5 panics",
                    backend.name()
                )
            );
            assert!(matches!(err, Error::Worker { worker: 5, .. }));
            assert_eq!(threads(), baseline, "{} left threads behind", backend.name());
            // Still usable.
            assert_eq!(backend.run(&workload(8, 1_000)).unwrap().len(), 8);
        }
    }
}

alone! {
    /// A signal handler installed without SA_RESTART makes blocking calls
    /// fail with EINTR; the process backend's reads and waits retry.
    fn process_backend_retries_reads_and_waits_interrupted_by_signals() {
        static HANDLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        extern "C" fn on_alarm(_: libc::c_int) {
            HANDLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // SAFETY: sigaction is plain old data; the handler only touches an atomic.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = 0; // no SA_RESTART: interrupted calls return EINTR
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()), 0);
        }
        // Signal this very thread, the one blocked in read and wait, every ms.
        // SAFETY: pthread_self cannot fail.
        let target = unsafe { libc::pthread_self() } as usize;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pinger = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // SAFETY: the target thread outlives this loop (joined below).
                    unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGALRM) };
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        let plain = workload(4, 100_000);
        let expected: Vec<i64> = (0..4).map(|i| gilfree::kernel::worker_sum(&plain, i)).collect();
        // Worker 0 is slow to send its record (the parent blocks in read),
        // worker 1 slow to exit after sending it (the parent blocks in waitid).
        let slow = inject(plain, 0, Fault::Sleep(Duration::from_millis(300)));
        let slow = slow.with_fault(Injection {
            worker: 1,
            fault: Fault::Linger(Duration::from_millis(800)),
            backend: None,
        });
        let mut reports = ProcessBackend.run(&slow).expect("EINTR is retried");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        pinger.join().unwrap();
        reports.sort_by_key(|r| r.worker);
        let sums: Vec<i64> = reports.iter().map(|r| r.sum).collect();
        assert_eq!(sums, expected);
        assert!(HANDLED.load(std::sync::atomic::Ordering::Relaxed) > 20, "signals arrived");
        assert_no_children();
    }
}

alone! {
    /// A real EMFILE: with few fds allowed, `pipe` fails part-way (the
    /// backend's own check is bypassed by calling `run` directly).
    fn process_backend_reports_a_real_pipe_failure_under_a_low_fd_limit() {
        let fds = open_fds() as u64;
        // SAFETY: rlimit is plain old data, for which all-zero bytes are valid.
        let mut old: libc::rlimit = unsafe { std::mem::zeroed() };
        // SAFETY: `old` is a valid, writable rlimit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0);
        let low = libc::rlimit { rlim_cur: fds + 6, rlim_max: old.rlim_max };
        // SAFETY: a valid rlimit; this process runs only this test.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) }, 0);
        let err = ProcessBackend.run(&workload(20, 100_000)).unwrap_err().to_string();
        // SAFETY: restoring the limit read above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &old) };
        assert!(err.starts_with("process backend: worker "), "{err}");
        assert!(
            err.contains(&format!(
                "could not get a pipe: Too many open files (os error 24); the limit of open files per process is {} (ulimit -n)",
                fds + 6
            )),
            "{err}"
        );
        assert_no_children();
        assert_eq!(open_fds() as u64, fds);
    }
}

alone! {
    /// fork after rayon's pool threads exist, hundreds of times over.
    fn process_and_rayon_runs_alternate_hundreds_of_times() {
        let small = workload(4, 2_000);
        let rayon = RayonBackend::new(2).unwrap();
        let fds = open_fds();
        let baseline = threads();
        let sorted = |mut r: Vec<gilfree::WorkerReport>| {
            r.sort_by_key(|w| w.worker);
            r.iter().map(|w| w.sum).collect::<Vec<_>>()
        };
        let expected = sorted(rayon.run(&small).unwrap());
        for _ in 0..300 {
            assert_eq!(sorted(rayon.run(&small).unwrap()), expected);
            assert_eq!(sorted(ProcessBackend.run(&small).unwrap()), expected);
        }
        assert_no_children();
        assert_eq!(open_fds(), fds);
        assert_eq!(threads(), baseline);
    }
}

/// The real binary, sent `signal` while `backend` runs: a slow worker keeps it
/// busy. Returns (exit code, stderr, elapsed).
fn interrupt_binary(backend: &str, signal: i32) -> (Option<i32>, String, Duration) {
    let child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args([
            "-n",
            "1000",
            "--seed",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--backend",
            backend,
        ])
        .env(gilfree::fault::ENV_VAR, format!("7:sleep=600000@{backend}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // The baseline of 8 × 1,000 numbers takes microseconds; then the backend's
    // worker 0 sleeps: signalled once it is there.
    wait_until_worker_sleeps(child.id());
    // SAFETY: signalling our own child, which has not been waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed(),
    )
}

alone! {
    /// SIGINT and SIGTERM end a run on any backend with one line and exit
    /// codes 130 and 143; the worker processes are killed and reaped by
    /// gilfree itself, so none is left to be adopted by this subreaper.
    fn sigint_and_sigterm_stop_every_backend_cleanly() {
        // SAFETY: makes orphans of our descendants our children, so that a
        // worker gilfree failed to reap would show up in waitpid below.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
        for kind in BackendKind::in_process() {
            let backend = kind.name();
            for (signal, name, code) in [(libc::SIGINT, "SIGINT", 130), (libc::SIGTERM, "SIGTERM", 143)] {
                let (exit, err, elapsed) = interrupt_binary(backend, signal);
                assert_eq!(exit, Some(code), "{backend} {name}: {err}");
                // Far from the ten minutes the worker would sleep.
                assert!(elapsed < Duration::from_secs(120), "{backend} {name}: {elapsed:?}");
                assert_eq!(err.lines().count(), 1, "{backend} {name}: {err}");
                // The seven quick workers are done and reaped; the sleeping one is killed.
                let expected = if kind.profile().worker == gilfree::backend::WorkerKind::Process {
                    format!("gilfree: interrupted by {name}; stopped and reaped 1 worker process\n")
                } else {
                    format!("gilfree: interrupted by {name}\n")
                };
                assert_eq!(err, expected, "{backend}");
                assert_no_children();
            }
        }
    }
}

/// Runs the binary as user `nobody` with `RLIMIT_NPROC` = `nproc`.
fn run_as_nobody_with_nproc(nproc: u64, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gilfree"));
    command.args(args).uid(65534).gid(65534);
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork
    // and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: nproc,
                rlim_max: nproc,
            };
            if libc::setrlimit(libc::RLIMIT_NPROC, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    command.output().unwrap()
}

#[test]
fn a_real_fork_failure_under_a_low_process_limit_names_the_worker_and_the_limit() {
    // RLIMIT_NPROC does not bind root, so the binary runs as nobody; CI runs
    // as root. Elsewhere there is no way to lower the limit for one program.
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run the binary as another user");
        return;
    }
    // 7 tasks for nobody: gilfree's three threads (main, the signal
    // watcher and the sampler) and 4 children; the fifth fork fails.
    let output = run_as_nobody_with_nproc(
        7,
        &[
            "-w",
            "5",
            "-n",
            "100000",
            "--seed",
            "1",
            "--backend",
            "process",
            "--runs",
            "1",
            "--warmup",
            "0",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: process backend: worker 4 could not be forked: Resource temporarily unavailable (os error 11); a limit on processes was reached (ulimit -u: 7, "),
        "{err}"
    );
    // Asked for more workers than the limit, it refuses before forking.
    let output = run_as_nobody_with_nproc(6, &["-w", "50", "--seed", "1", "--backend", "process"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: process backend: 50 workers need 50 processes at once, but this user may run 6 \
         processes (ulimit -u); use fewer --workers, or a thread backend\n"
    );
}

#[test]
fn huge_worker_counts_run_or_are_refused_with_the_limit_named() {
    let max = gilfree::kernel::MAX_WORKERS.to_string();
    for backend in ["sequential", "rayon"] {
        let output = gilfree(&[
            "-w",
            &max,
            "-n",
            "0",
            "--seed",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--backend",
            backend,
        ]);
        assert!(output.status.success(), "{backend}: {}", stderr(&output));
    }
    for (backend, need) in [
        ("threads", "65536 threads at once"),
        ("channels", "65536 threads at once"),
        ("process", "65536"),
    ] {
        let started = Instant::now();
        let output = gilfree(&["-w", &max, "-n", "0", "--seed", "1", "--backend", backend]);
        let err = stderr(&output);
        // Whether this machine's limits allow it or not, the answer is clear:
        // success, or a one-line refusal naming the limit, before any run.
        if output.status.success() {
            continue;
        }
        assert_eq!(output.status.code(), Some(2), "{backend}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!(
                "error: {backend} backend: 65536 workers need {need}"
            )),
            "{err}"
        );
        assert!(err.contains("; use fewer --workers"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    let output = gilfree(&["-w", "65537", "--backend", "rayon"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: workers = 65537: at most 65536 workers are supported\n"
    );
}

#[test]
fn a_worker_panic_is_one_line_naming_the_backend_and_worker() {
    // The binary's panic hook stays quiet for workers: no "thread panicked"
    // message or backtrace before the error.
    // Every backend whose workers are threads of gilfree's own process.
    let thread_backends = BackendKind::in_process()
        .filter(|kind| kind.profile().worker == gilfree::backend::WorkerKind::Thread)
        .map(|kind| kind.name());
    for backend in thread_backends {
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .env(gilfree::fault::ENV_VAR, format!("2:panic@{backend}"))
            .args(["-n", "10k", "--seed", "1", "--runs", "1", "--warmup", "0"])
            .args(["--backend", backend])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{backend}");
        assert_eq!(
            stderr(&output),
            format!(
                "error: {backend} backend: worker 2 panicked: injected fault: worker 2 panics\n"
            )
        );
    }
}

#[test]
fn a_malformed_fault_injection_is_refused_with_exit_code_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .env(gilfree::fault::ENV_VAR, "3:explode")
        .args(["-n", "10"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output).lines().count(), 1);
}

#[test]
fn every_backend_kind_checks_its_worker_limit_before_running() {
    // A workload no machine allows for one thread or process per worker is
    // refused by check(), and by the driver before anything runs.
    let options = BackendOptions {
        rayon_threads: 2,
        ..BackendOptions::default()
    };
    let huge = workload(gilfree::kernel::MAX_WORKERS, 0);
    for kind in BackendKind::ALL {
        let backend = kind.build(&options).unwrap();
        match backend.check(&huge) {
            Ok(()) => {}
            Err(err) => {
                assert!(err.is_usage(), "{err}");
                assert!(matches!(err, Error::WorkerLimit { .. }), "{err}");
            }
        }
    }
    assert!(SequentialBackend.check(&huge).is_ok());
    assert!(RayonBackend::new(2).unwrap().check(&huge).is_ok());
}

/// How many runs the soak makes: `GILFREE_SOAK_RUNS`, default 2000.
fn soak_runs() -> usize {
    std::env::var("GILFREE_SOAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Thousands of runs in one process: fds, children and threads stay flat.
/// Ignored by default (it takes a while); CI runs it alone:
/// `cargo test --test tests soak -- --ignored --test-threads=1`.
#[test]
#[ignore = "a soak: cargo test --test tests soak -- --ignored --test-threads=1"]
fn soak_thousands_of_runs_leave_no_fd_child_or_thread_behind() {
    let small = workload(8, 1_000);
    let rayon = RayonBackend::new(2).unwrap();
    let thread_backends: [&dyn Backend; 3] = [&ThreadsBackend, &ChannelsBackend, &rayon];
    let fds = open_fds();
    let baseline = threads();
    let runs = soak_runs();
    for run in 0..runs {
        assert_eq!(ProcessBackend.run(&small).unwrap().len(), 8);
        if run % 10 == 0 {
            for backend in thread_backends {
                assert_eq!(backend.run(&small).unwrap().len(), 8);
            }
            assert_eq!(open_fds(), fds, "fds grew by run {run}");
            assert_eq!(threads(), baseline, "threads grew by run {run}");
            assert_no_children();
        }
    }
    assert_eq!(open_fds(), fds);
    assert_eq!(threads(), baseline);
    assert_no_children();
    eprintln!("soak: {runs} process runs, fds {fds}, threads {baseline}, no child left");
}

/// The pids of the processes whose parent is `parent`.
/// Waits until gilfree (`pid`) has reached the worker an injected `sleep`
/// fault holds — a thread of it, or its one remaining worker process, named
/// [`gilfree::fault::SLEEPING_THREAD_NAME`] — instead of guessing how long
/// that takes on a busy machine. Make the sleeping worker the last one
/// (`7:sleep=…` for 8 workers): workers are forked in order, so once it
/// sleeps as the only child, every other worker process has been forked,
/// has ended and been reaped. Panics after two minutes.
pub(crate) fn wait_until_worker_sleeps(pid: u32) {
    let named = |pid: u32| {
        std::fs::read_dir(format!("/proc/{pid}/task")).is_ok_and(|tasks| {
            tasks.flatten().any(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|comm| comm.trim_end() == gilfree::fault::SLEEPING_THREAD_NAME)
            })
        })
    };
    let started = Instant::now();
    loop {
        let children = children_of(pid);
        if named(pid) || (children.len() == 1 && named(children[0])) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gilfree {pid} never reached its sleeping worker"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub(crate) fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // The fields after the command's closing parenthesis.
                    let rest = stat.rsplit_once(')')?.1;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn process_exists(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

alone! {
    /// SIGKILL cannot be handled, yet gilfree's worker processes die with it
    /// (their parent-death signal), and SIGHUP and SIGQUIT end a run as
    /// cleanly as SIGINT does.
    fn workers_die_with_gilfree_and_hangups_stop_it_cleanly() {
        for (signal, code) in [(libc::SIGKILL, None), (libc::SIGHUP, Some(129)), (libc::SIGQUIT, Some(131))] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
                .args(["-n", "1000", "--seed", "1", "--runs", "1", "--warmup", "0", "-b", "process"])
                .env(gilfree::fault::ENV_VAR, "0:sleep=600000@process")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Wait for the sleeping worker process.
            let started = Instant::now();
            let workers = loop {
                let workers = children_of(child.id());
                if !workers.is_empty() {
                    break workers;
                }
                assert!(started.elapsed() < Duration::from_secs(120), "no worker appeared");
                std::thread::sleep(Duration::from_millis(10));
            };
            // SAFETY: signalling our own child, not yet waited for.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            let status = child.wait().unwrap();
            assert_eq!(status.code(), code, "signal {signal}");
            let started = Instant::now();
            while workers.iter().any(|&pid| process_exists(pid)) {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "signal {signal}: worker processes {workers:?} outlived gilfree"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
