//! Chaos: runs on random backends, handing back sums or all their numbers,
//! hit at a random moment by a random signal — to gilfree or to one of its
//! workers — must leave no process, no temporary file, no shared memory
//! segment and no torn export, and end with the exit code the signal
//! calls for. `cargo test` makes a short pass; CI a long one
//! (`GILFREE_CHAOS_ITERATIONS`, see `.ci/run`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gilfree::export::json;

use crate::export::scratch;
use crate::robustness::children_of;

/// xorshift64*: a small generator, seeded per pass and printed on failure.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What is done to the run.
#[derive(Debug, Clone, Copy)]
enum Blow {
    Signal(i32),
    StopAndContinue,
}

const BLOWS: [Blow; 6] = [
    Blow::Signal(libc::SIGINT),
    Blow::Signal(libc::SIGTERM),
    Blow::Signal(libc::SIGHUP),
    Blow::Signal(libc::SIGQUIT),
    Blow::Signal(libc::SIGKILL),
    Blow::StopAndContinue,
];

fn deliver(blow: Blow, pid: u32) {
    let pid = pid as libc::pid_t;
    // SAFETY: signalling a process of this test's (gilfree, a child of ours
    // not yet waited for, or one of its workers, which gilfree reaps only
    // after they end: a stale pid at worst signals nothing).
    unsafe {
        match blow {
            Blow::Signal(signal) => {
                libc::kill(pid, signal);
            }
            Blow::StopAndContinue => {
                libc::kill(pid, libc::SIGSTOP);
                std::thread::sleep(Duration::from_millis(20));
                libc::kill(pid, libc::SIGCONT);
            }
        }
    }
}

/// Whether `path` holds a complete JSON export.
fn complete_json(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| json::read(&bytes).is_ok())
}

/// Whether `path` holds a complete CSV export: a header and a row per backend.
fn complete_csv(path: &Path, backends: usize) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.starts_with("command,mean,")
            && text.ends_with('\n')
            && text.lines().count() == backends + 1
    })
}

/// Waits until `pid`'s main thread blocks SIGHUP, SIGINT, SIGQUIT and
/// SIGTERM (gilfree's first act), or has ended.
fn wait_until_signals_are_handled(pid: u32) {
    let wanted: u64 = [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM]
        .iter()
        .map(|&s| 1u64 << (s - 1))
        .sum();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return;
        };
        let blocked = status
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok());
        match blocked {
            Some(mask) if mask & wanted == wanted => return,
            None => return,
            Some(_) => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// Reaps every child that has ended (orphans adopted by this subreaper
/// included) and returns the living ones.
fn living_children() -> Vec<u32> {
    loop {
        // SAFETY: reaping whatever child has ended, without blocking.
        let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
        if pid <= 0 {
            break;
        }
    }
    children_of(std::process::id())
}

/// `iterations` runs, each hit by one blow; panics with the seed and the
/// run's description at the first broken promise.
fn chaos(iterations: usize) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut random = Random(seed);
    let python = Command::new("python3").arg("--version").output().is_ok();
    let dir = scratch("chaos");
    let tmpdir = dir.join("tmp");
    let out = dir.join("out");
    std::fs::create_dir_all(&tmpdir).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let previous = out.join("previous.json");
    let backends: Vec<&str> = gilfree::BackendKind::in_process()
        .map(|k| k.name())
        .collect();
    let started = Instant::now();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for iteration in 0..iterations {
        // A complete previous export, which must survive anything.
        let setup = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args([
                "-n", "1k", "-s", "1", "--runs", "1", "--warmup", "0", "-b", "threads",
            ])
            .arg("--export-json")
            .arg(&previous)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(setup.success());
        let fresh = out.join("fresh.csv");
        let _ = std::fs::remove_file(&fresh);

        let backend = *random.pick(&backends);
        let with_python = python && random.below(8) == 0;
        let count = if with_python {
            2_000
        } else {
            1_000 + random.below(3_000_000)
        };
        // Half the runs hand their numbers back: into the parent's buffer,
        // through pipes, through a shared mapping, CPython's shared_memory.
        let numbers = random.below(2) == 0;
        let blow = *random.pick(&BLOWS);
        let at_worker = random.below(2) == 0;
        // Most runs last 5 to 60 ms: most blows land during one.
        let delay = Duration::from_micros(random.below(40_000));
        let what = format!(
            "seed {seed} iteration {iteration}: -b {backend} -n {count}{}{} — {blow:?} to {} after {delay:?}",
            if with_python { " --python" } else { "" },
            if numbers { " --return numbers" } else { "" },
            if at_worker { "a worker" } else { "gilfree" },
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_gilfree"));
        command
            .args([
                "-n",
                &count.to_string(),
                "-w",
                "4",
                "--runs",
                "3",
                "--warmup",
                "0",
            ])
            .args(["-b", backend, "--export-json"])
            .arg(&previous)
            .arg("--export-csv")
            .arg(&fresh)
            .env("TMPDIR", &tmpdir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if with_python {
            command.arg("--python");
        }
        if numbers {
            command.args(["--return", "numbers"]);
        }
        let mut child = command.spawn().unwrap();
        // Between exec and the first line of main no program can handle a
        // signal: start counting once gilfree has blocked the four it handles.
        wait_until_signals_are_handled(child.id());
        std::thread::sleep(delay);
        let target = if at_worker {
            let workers = children_of(child.id());
            workers
                .get(random.below(workers.len().max(1) as u64) as usize)
                .copied()
        } else {
            Some(child.id())
        };
        if let Some(pid) = target {
            deliver(blow, pid);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what}: gilfree did not end within 60 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        };

        // The exit code the blow calls for (or success, if the run was done).
        use std::os::unix::process::ExitStatusExt;
        let outcome = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => "?".to_owned(),
        };
        let hit_worker = at_worker && target.is_some();
        let allowed: Vec<String> = match (hit_worker, blow) {
            // A worker stopped and continued finishes the run; a worker
            // process blocks INT, TERM, HUP and QUIT as gilfree does, but an
            // interpreter may die of them, and any worker of SIGKILL: the run
            // then fails (1).
            (true, Blow::StopAndContinue) => vec!["exit 0".into()],
            (true, Blow::Signal(_)) => vec!["exit 0".into(), "exit 1".into()],
            // Nothing delivered (the workers were threads).
            (false, _) if at_worker => vec!["exit 0".into()],
            (false, Blow::Signal(libc::SIGKILL)) => {
                vec!["exit 0".into(), format!("signal {}", libc::SIGKILL)]
            }
            (false, Blow::Signal(signal)) => {
                vec!["exit 0".into(), format!("exit {}", 128 + signal)]
            }
            (false, Blow::StopAndContinue) => vec!["exit 0".into()],
        };
        assert!(
            allowed.contains(&outcome),
            "{what}: {outcome}, expected one of {allowed:?}"
        );
        let whom = if hit_worker {
            "worker"
        } else if at_worker {
            "no worker process"
        } else {
            "gilfree"
        };
        *counts
            .entry(format!("{blow:?} to {whom} → {outcome}"))
            .or_default() += 1;

        // No process of the run lives on: its workers die with it.
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let living = living_children();
            if living.is_empty() {
                break;
            }
            assert!(Instant::now() < until, "{what}: left running: {living:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
        // No temporary, anywhere; every export complete.
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let temporaries: Vec<&String> = names
            .iter()
            .filter(|n| n.ends_with(".gilfree-tmp"))
            .collect();
        assert!(
            temporaries.is_empty(),
            "{what}: temporaries left: {temporaries:?}"
        );
        assert!(
            std::fs::read_dir(&tmpdir).unwrap().next().is_none(),
            "{what}: left in TMPDIR: {:?}",
            std::fs::read_dir(&tmpdir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect::<Vec<_>>()
        );
        // No shared memory segment of this run outlives it: the Python
        // rows' `shared_memory` segments are named after the gilfree that
        // made them (`gilfree-PID-RUN`, in /dev/shm), so other gilfree runs
        // on the machine meanwhile are not mistaken for this one's; the
        // anonymous mapping of process-shared dies with the last process
        // that mapped it.
        let ours = format!("gilfree-{}-", child.id());
        let left: Vec<String> = shm_segments()
            .into_iter()
            .filter(|name| name.starts_with(&ours))
            .collect();
        assert!(left.is_empty(), "{what}: left in /dev/shm: {left:?}");
        assert!(complete_json(&previous), "{what}: the JSON export is torn");
        // The python rows are skipped, with a note, if the probe was the
        // worker hit.
        let rust_rows = 1 + usize::from(backend != "sequential");
        // Three Python programs, or four when they hand their numbers back.
        let python_rows = 3 + usize::from(numbers);
        let complete = |rows| complete_csv(&fresh, rows);
        assert!(
            !fresh.exists()
                || complete(rust_rows)
                || (with_python && complete(rust_rows + python_rows)),
            "{what}: the CSV export is torn: {:?}",
            std::fs::read_to_string(&fresh)
        );
        // A run that failed writes nothing; one stopped by a signal may
        // have committed its exports just before (they are then complete).
        if outcome == "exit 1" {
            assert!(!fresh.exists(), "{what}: a failed run left a new export");
        }
    }
    eprintln!(
        "chaos: {iterations} runs in {:.1} s (seed {seed}): {counts:?}",
        started.elapsed().as_secs_f64()
    );
}

/// The names in /dev/shm, where POSIX shared memory segments live.
fn shm_segments() -> std::collections::BTreeSet<String> {
    std::fs::read_dir("/dev/shm")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// How many runs: `GILFREE_CHAOS_ITERATIONS`, default 12 (CI runs 300).
fn iterations() -> usize {
    std::env::var("GILFREE_CHAOS_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12)
}

alone! {
    /// Alone, as a subreaper: any orphan of a run becomes this process's
    /// child, so a survivor cannot escape the count.
    fn chaos_signals_leave_no_process_no_temporary_and_no_torn_export() {
        // SAFETY: makes orphans of our descendants our children.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
        chaos(iterations());
    }
}
