//! The book's Python programs, run by CPython under the same driver: the
//! same workload, timed and checked like the Rust backends.
//!
//! Three plain programs ship in the crate (`python/*.py`, compiled in with
//! `include_str!`): `sequential.py`, `threads.py` (listing 11-1, one
//! `random.Random` per thread) and `processes.py` (listing 11-2,
//! `multiprocessing.Pool`). The interpreter reads its program from standard
//! input (`python3 - ARGS`), so no file is ever written: nothing can be left
//! behind, however gilfree ends. Each
//! run starts the interpreter as a child process that the driver measures
//! like any other run — wall time with interpreter start-up, the reaped
//! child's user and system time, its peak memory — and reads the per-worker
//! reports the program prints as JSON. Their start and finish come from
//! `time.monotonic_ns()`, the same clock as gilfree's, so the time the
//! program spent computing shows apart from start-up. Each worker also
//! reads its own thread's CPU clock and `schedstat` at its start and end,
//! and the main thread (and a pool's helper threads) theirs, for the time
//! accounting ([`crate::measure::accounting`]).
//!
//! The programs draw `random.Random((seed << 32) + i).randint(low, high)`:
//! with `--rng python` their sums must equal the Rust backends' and are
//! verified; with another generator they are timed but not comparable.
//!
//! With `--return numbers` each program hands its numbers back and sums
//! them in its main process: the sequential program and the threads by
//! reference (one list), `processes.py` as the book's `Pool` returns a
//! result — pickled through its pipe — and a fourth program,
//! `processes_shared.py`, through one `multiprocessing.shared_memory`
//! segment the workers write into through a `memoryview`. gilfree names
//! that segment and removes it after the run, whatever ended it (a signal
//! exit included, through [`os::cleanup`](crate::os::cleanup)), should the
//! interpreter not have.

use std::io::Read;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use serde::Deserialize;

use crate::backend::{
    Backend, BackendRun, Deadline, Language, Lock, Profile, ReturnPath, Schedule, WorkerKind,
};
use crate::error::Error;
use crate::kernel::{Generator, Return, Workload};
use crate::os::children;
use crate::worker::{ThreadTime, WorkerReport, WorkerTransfer};

/// One of the shipped programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// `python/sequential.py`: one worker after another.
    Sequential,
    /// `python/threads.py`: the book's listing 11-1.
    Threads,
    /// `python/processes.py`: the book's listing 11-2.
    Processes,
    /// `python/processes_shared.py`: listing 11-2 handing its numbers back
    /// through shared memory (`--return numbers` only).
    ProcessesShared,
}

impl Program {
    /// All four, in report order.
    pub const ALL: [Program; 4] = [
        Program::Sequential,
        Program::Threads,
        Program::Processes,
        Program::ProcessesShared,
    ];

    /// The book's three.
    pub const BOOK: [Program; 3] = [Program::Sequential, Program::Threads, Program::Processes];

    /// The backend's name: `python-sequential`, …
    pub fn name(self) -> &'static str {
        match self {
            Program::Sequential => "python-sequential",
            Program::Threads => "python-threads",
            Program::Processes => "python-processes",
            Program::ProcessesShared => "python-processes-shared",
        }
    }

    /// The program's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Program::Sequential => "sequential.py",
            Program::Threads => "threads.py",
            Program::Processes => "processes.py",
            Program::ProcessesShared => "processes_shared.py",
        }
    }

    /// The program's source.
    pub fn source(self) -> &'static str {
        match self {
            Program::Sequential => include_str!("../../python/sequential.py"),
            Program::Threads => include_str!("../../python/threads.py"),
            Program::Processes => include_str!("../../python/processes.py"),
            Program::ProcessesShared => include_str!("../../python/processes_shared.py"),
        }
    }

    /// The row's name when a free-threaded build runs the program with its
    /// GIL switched on or off on purpose (`PYTHON_GIL`): `python-threads
    /// (GIL on)`, `python-sequential (GIL on)`; the plain name for the GIL
    /// state the build runs with by default (off), which the lesson's
    /// speedups divide by.
    pub fn name_with_gil(self, gil: bool) -> &'static str {
        match (self, gil) {
            (Program::Sequential, true) => "python-sequential (GIL on)",
            (Program::Threads, true) => "python-threads (GIL on)",
            (Program::Threads, false) => "python-threads (GIL off)",
            (Program::Processes, true) => "python-processes (GIL on)",
            (Program::ProcessesShared, true) => "python-processes-shared (GIL on)",
            (program, false) => program.name(),
        }
    }

    /// The program's profile, run by an interpreter whose GIL is enabled or
    /// not: with the GIL its threads take turns on it; a free-threaded
    /// build with the GIL disabled runs them at once.
    pub fn profile(self, gil_enabled: bool) -> Profile {
        let (worker, schedule) = match self {
            Program::Sequential => (WorkerKind::Thread, Schedule::OneAfterAnother),
            Program::Threads if gil_enabled => {
                (WorkerKind::Thread, Schedule::TakingTurns(Lock::Gil))
            }
            Program::Threads => (WorkerKind::Thread, Schedule::AtOnce),
            Program::Processes | Program::ProcessesShared => {
                (WorkerKind::Process, Schedule::AtOnce)
            }
        };
        Profile {
            name: self.name(),
            description: self.description(),
            language: Language::Python,
            worker,
            schedule,
            returns: match self {
                Program::Processes => ReturnPath::Pickle,
                Program::Sequential | Program::Threads | Program::ProcessesShared => {
                    ReturnPath::Shared
                }
            },
        }
    }

    fn description(self) -> &'static str {
        match self {
            Program::Sequential => {
                "CPython running python/sequential.py: the workers one after another"
            }
            Program::Threads => {
                "CPython running python/threads.py: one thread per worker (listing 11-1)"
            }
            Program::Processes => {
                "CPython running python/processes.py: a multiprocessing.Pool (listing 11-2)"
            }
            Program::ProcessesShared => {
                "CPython running python/processes_shared.py: a multiprocessing.Pool writing its \
                 numbers into multiprocessing.shared_memory (zero-copy)"
            }
        }
    }
}

/// What the interpreter says of itself. Its words (`version`,
/// `implementation`) come from another program and are kept with their
/// control characters escaped ([`escape_controls`](crate::text::escape_controls)),
/// so that no output can carry them raw; `command` is kept as given, to run
/// it, and shown through [`Interpreter::shown_command`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Interpreter {
    /// The command that runs it, as given (`python3`): a path may hold any
    /// character, so outputs show [`Interpreter::shown_command`].
    #[serde(skip)]
    pub command: String,
    /// `sys.version`'s first word: `3.11.7`.
    pub version: String,
    /// `sys.implementation.name`: `cpython`.
    pub implementation: String,
    /// `sys._is_gil_enabled()` where it exists (3.13 and later), else true:
    /// whether the GIL is on in this process. A free-threaded build turns it
    /// back on when asked (`PYTHON_GIL=1`, `-X gil=1`) or when it imports an
    /// extension that is not marked safe without it.
    pub gil_enabled: bool,
    /// `sysconfig.get_config_var("Py_GIL_DISABLED")`: whether this is a
    /// free-threaded build (PEP 703, `python3.13t`), which can run without
    /// the GIL. False for builds that predate the option.
    #[serde(default)]
    pub free_threaded_build: bool,
}

impl Interpreter {
    /// `command` with its control characters escaped, for every output.
    pub fn shown_command(&self) -> String {
        crate::text::escape_controls(&self.command)
    }

    /// How the interpreter stands towards the GIL, in a few words for
    /// reports: `GIL enabled`, `GIL disabled (free-threaded build)`,
    /// `GIL enabled (free-threaded build, GIL turned back on)`.
    pub fn gil_words(&self) -> &'static str {
        match (self.gil_enabled, self.free_threaded_build) {
            (true, false) => "GIL enabled",
            (true, true) => "GIL enabled (a free-threaded build with the GIL turned back on)",
            (false, _) => "GIL disabled (free-threaded build)",
        }
    }
}

const PROBE: &str = "import json, sys, sysconfig\n\
print(json.dumps({'version': sys.version.split()[0], \
'implementation': sys.implementation.name, \
'gil_enabled': sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True, \
'free_threaded_build': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))";

/// How long an interpreter may take to say what it is.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

impl Interpreter {
    /// Runs `command` to ask for its version and GIL, for at most
    /// [`PROBE_TIMEOUT`], as a registered child (a signal stops it too).
    ///
    /// # Errors
    /// Why `command` cannot run the programs, in words for a message: it
    /// does not start, fails, hangs, or does not answer like a Python 3.
    pub fn probe(command: &str) -> Result<Interpreter, String> {
        let mut probe = Command::new(command);
        probe
            .args(["-c", PROBE])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = children::spawn_registered(&mut probe)
            .map_err(|err| format!("it does not start: {err}"))?;
        let pid = child.id() as libc::pid_t;
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let reaped = children::reap_group(pid, Some(std::time::Instant::now() + PROBE_TIMEOUT));
        let reaped = match reaped {
            Ok(Some(reaped)) => reaped,
            Ok(None) => {
                children::kill_registered(pid);
                let _ = children::reap(pid);
                return Err(format!(
                    "it did not answer within {} s",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Err(err) => return Err(format!("it could not be waited for: {err}")),
        };
        let (stdout, stderr) = (stdout.finish(), stderr.finish());
        if let Err(failure) = children::check_status(reaped.status, |_| "") {
            let stderr = String::from_utf8_lossy(&stderr);
            return Err(format!("it {failure}{}", last_line(&stderr)));
        }
        let mut interpreter: Interpreter = serde_json::from_slice(&stdout)
            .map_err(|_| "it does not answer like a Python 3 interpreter".to_owned())?;
        // The programs use threading.get_native_id (3.8) and
        // time.monotonic_ns (3.7).
        let mut parts = interpreter
            .version
            .split('.')
            .map(|p| p.parse::<u32>().ok());
        let (major, minor) = (parts.next().flatten(), parts.next().flatten());
        if major != Some(3) || minor.is_none_or(|minor| minor < 8) {
            return Err(format!(
                "it is Python {}; the programs need Python 3.8 or later",
                crate::text::escape_controls(&interpreter.version)
            ));
        }
        interpreter.command = command.to_owned();
        interpreter.version = crate::text::escape_controls(&interpreter.version);
        interpreter.implementation = crate::text::escape_controls(&interpreter.implementation);
        Ok(interpreter)
    }
}

/// A child's pipe read to its end on a thread of its own, what it has read
/// so far always at hand.
struct PipeReader {
    /// What was read (at most [`MAX_OUTPUT_BYTES`]).
    bytes: Arc<Mutex<Vec<u8>>>,
    /// Says the pipe has reached its end (every writer closed it).
    ended: mpsc::Receiver<()>,
    /// The pipe's inode, to find who still holds it open.
    inode: Option<u64>,
}

/// How long a pipe may stay open after the program that was given it ended
/// and its process group was killed, before whatever still holds it (a
/// process in a session of its own) is killed too; and then how long that
/// may take.
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// The most of a program's output kept: a report of 65,536 workers is a few
/// MiB.
const MAX_OUTPUT_BYTES: usize = 64 << 20;

/// Starts reading `pipe` to its end in the background, so that it can never
/// fill and block the child.
fn read_in_background<R: Read + AsFd + Send + 'static>(pipe: Option<R>) -> PipeReader {
    let (sender, ended) = mpsc::channel();
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let inode = pipe
        .as_ref()
        .and_then(|p| nix::sys::stat::fstat(p.as_fd()).ok())
        .map(|stat| stat.st_ino);
    let shared = Arc::clone(&bytes);
    std::thread::spawn(move || {
        if let Some(mut pipe) = pipe {
            let mut buffer = [0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        // Kept up to a bound far above any report; the rest
                        // is read and dropped, so that a runaway program can
                        // neither block nor fill gilfree's memory (its report
                        // then fails to parse).
                        let mut kept = shared.lock().unwrap_or_else(PoisonError::into_inner);
                        let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                        kept.extend_from_slice(&buffer[..n.min(room)]);
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = sender.send(());
    });
    PipeReader {
        bytes,
        ended,
        inode,
    }
}

impl PipeReader {
    /// What was read, once the child has ended and its process group been
    /// killed. Everything the child wrote before it ended is in the pipe by
    /// then; if something outside the group (a process in a session of its
    /// own) still holds the pipe open after [`PIPE_GRACE`], it is killed,
    /// and the pipe read to its end — or, if even that does not end it
    /// within another grace, what was read by then.
    fn finish(self) -> Vec<u8> {
        if self.ended.recv_timeout(PIPE_GRACE).is_err() {
            if let Some(inode) = self.inode {
                children::kill_pipe_holders(inode);
            }
            let _ = self.ended.recv_timeout(PIPE_GRACE);
        }
        std::mem::take(&mut *self.bytes.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// `": LINE"` for the last non-empty line of `text`, or nothing.
fn last_line(text: &str) -> String {
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(": {}", line.trim()),
        None => String::new(),
    }
}

/// One shipped program run by one interpreter.
#[derive(Debug)]
pub struct PythonBackend {
    program: Program,
    interpreter: Interpreter,
    /// For a free-threaded build run with its GIL switched on or off on
    /// purpose: `PYTHON_GIL=1` or `0` in the program's environment, and the
    /// row named for it ([`Program::name_with_gil`]).
    gil: Option<bool>,
}

impl PythonBackend {
    /// The book's three programs for `interpreter`.
    pub fn all(interpreter: &Interpreter) -> Vec<PythonBackend> {
        Self::returning(interpreter, Return::Sums)
    }

    /// The programs for `interpreter` when the workers hand back `returns`:
    /// the book's three, and with numbers the one that shares them.
    pub fn returning(interpreter: &Interpreter, returns: Return) -> Vec<PythonBackend> {
        Program::ALL
            .into_iter()
            .filter(|&program| program != Program::ProcessesShared || returns == Return::Numbers)
            .map(|program| PythonBackend {
                program,
                interpreter: interpreter.clone(),
                gil: None,
            })
            .collect()
    }

    /// `program` run by a free-threaded `interpreter` with its GIL switched
    /// on (`PYTHON_GIL=1`) or off (`PYTHON_GIL=0`): the same interpreter,
    /// the same count, so that the only difference between two such rows
    /// is the GIL. `None` when `interpreter` is not a free-threaded build,
    /// which cannot switch its GIL off.
    pub fn with_gil(
        program: Program,
        interpreter: &Interpreter,
        gil: bool,
    ) -> Option<PythonBackend> {
        interpreter.free_threaded_build.then(|| PythonBackend {
            program,
            interpreter: Interpreter {
                gil_enabled: gil,
                ..interpreter.clone()
            },
            gil: Some(gil),
        })
    }

    /// The lesson's Python rows for `interpreter`: the three programs; for
    /// a free-threaded build, each with the GIL off (the build's default,
    /// set explicitly), and `python-sequential` and `python-threads` also
    /// with the GIL on — the GIL switched off and on in one interpreter,
    /// and the single-thread cost of running without it.
    pub fn lesson_rows(interpreter: &Interpreter) -> Vec<PythonBackend> {
        if !interpreter.free_threaded_build {
            return PythonBackend::all(interpreter);
        }
        [
            (Program::Sequential, false),
            (Program::Sequential, true),
            (Program::Threads, true),
            (Program::Threads, false),
            (Program::Processes, false),
        ]
        .into_iter()
        .filter_map(|(program, gil)| PythonBackend::with_gil(program, interpreter, gil))
        .collect()
    }

    /// The row's name: the program's, or with the GIL state it was run
    /// with ([`Program::name_with_gil`]).
    fn name(&self) -> &'static str {
        match self.gil {
            Some(gil) => self.program.name_with_gil(gil),
            None => self.program.name(),
        }
    }

    /// The program this backend runs.
    pub fn program(&self) -> Program {
        self.program
    }

    fn failure(&self, problem: String) -> Error {
        Error::Program {
            backend: self.name(),
            problem,
        }
    }
}

/// One worker as the programs print it.
#[derive(Debug, Deserialize)]
struct PythonWorker {
    worker: usize,
    sum: i64,
    start_ns: u64,
    finish_ns: u64,
    cpu_ns: u64,
    /// The worker thread's wait for a CPU over its life (its schedstat),
    /// `null` where the program could not read it.
    #[serde(default)]
    wait_ns: Option<u64>,
    pid: u32,
    tid: u32,
    /// With numbers handed back: when the parent had them.
    #[serde(default)]
    delivered_ns: Option<u64>,
    /// When the parent began and finished summing them.
    #[serde(default)]
    sum_start_ns: Option<u64>,
    #[serde(default)]
    sum_finish_ns: Option<u64>,
    /// Their size as the parent got them (a list's, a segment's slice).
    #[serde(default)]
    bytes: Option<u64>,
}

/// A thread that started the workers or waited for them, as the programs
/// print it: the main thread over `main`, a pool's helper threads.
#[derive(Debug, Deserialize)]
struct PythonThread {
    pid: u32,
    tid: u32,
    start_ns: u64,
    finish_ns: u64,
    cpu_ns: u64,
    #[serde(default)]
    wait_ns: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct PythonOutput {
    workers: Vec<PythonWorker>,
    #[serde(default)]
    coordinators: Vec<PythonThread>,
    /// `sys._is_gil_enabled()` at the program's end (true before 3.13):
    /// a free-threaded build turns the GIL back on when it imports an
    /// extension not marked safe without it.
    #[serde(default)]
    gil_enabled: Option<bool>,
    /// What the parent read from the pool's pipes while the results came
    /// back pickled.
    #[serde(default)]
    pipe_bytes: Option<u64>,
}

/// The bytes a number takes as a Python object in a list: an 8-byte
/// reference, and a 32-byte `int` of its own unless CPython keeps it among
/// its small ints (−5 to 256).
fn python_number_bytes(workload: &Workload) -> u64 {
    if workload.low() >= -5 && workload.high() <= 256 {
        8
    } else {
        40
    }
}

/// Where the processes-shared program's segment lives: `/dev/shm/NAME` on
/// Linux.
fn segment_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new("/dev/shm").join(name)
}

/// A name for one run's shared memory segment, unique in the machine:
/// gilfree's pid and a counter.
fn segment_name() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("gilfree-{}-{run}", std::process::id())
}

/// A reading of a program's as gilfree takes it: `None` when the files
/// are hidden for a test ([`crate::os::schedstat`]), as if the program
/// could not read them.
fn waiting(wait_ns: Option<u64>) -> Option<Duration> {
    wait_ns
        .filter(|_| !crate::os::schedstat::hidden())
        .map(Duration::from_nanos)
}

impl Backend for PythonBackend {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name(),
            ..self.program.profile(self.interpreter.gil_enabled)
        }
    }

    fn parallelism(&self, workload: &Workload) -> usize {
        match self.program {
            Program::Sequential => 1,
            Program::Threads | Program::Processes | Program::ProcessesShared => workload.workers(),
        }
    }

    /// The interpreter is a process, and `multiprocessing.Pool` starts one
    /// more per worker (and the shared memory its resource tracker).
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        let processes = match self.program {
            Program::Sequential | Program::Threads => 1,
            Program::Processes => workload.workers() as u64 + 1,
            Program::ProcessesShared => workload.workers() as u64 + 2,
        };
        crate::backend::process::check_process_limit(self.name(), workload, processes)
    }

    fn interpreter(&self) -> Option<&Interpreter> {
        Some(&self.interpreter)
    }

    /// An estimate, enough to refuse what cannot fit: every list in the
    /// parent (`python_number_bytes` a number); through the pool also
    /// each worker's list and its pickle (up to 9 bytes a number); shared,
    /// the segment.
    fn returned_memory(&self, workload: &Workload) -> u64 {
        if workload.returns() == Return::Sums {
            return 0;
        }
        let numbers = workload.total_numbers();
        let per_number = match self.program {
            Program::Sequential | Program::Threads => python_number_bytes(workload),
            Program::Processes => 2 * python_number_bytes(workload) + 9,
            Program::ProcessesShared => workload.number_width() as u64,
        };
        numbers.saturating_mul(per_number)
    }

    /// Only `--rng python` draws the numbers the programs draw.
    fn draws_the_same_numbers(&self, workload: &Workload) -> bool {
        workload.generator() == Generator::Python
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        self.run_until(workload, None)
    }

    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        Ok(self.run_accounted(workload, deadline)?.reports)
    }

    /// The interpreter's main thread (over the program's `main`) and, for
    /// `multiprocessing.Pool`, the pool's helper threads, as the program
    /// reports them.
    fn run_accounted(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<BackendRun, Error> {
        let mut command = Command::new(&self.interpreter.command);
        command
            // The program comes on standard input.
            .arg("-")
            .args([
                workload.workers().to_string(),
                workload.count().to_string(),
                workload.low().to_string(),
                workload.high().to_string(),
                workload.seed().to_string(),
                workload.returns().name().to_owned(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(gil) = self.gil {
            command.env("PYTHON_GIL", if gil { "1" } else { "0" });
        }
        // The shared program's segment: named here, and removed when this
        // guard drops, or by a signal exit, should the program not have.
        let _segment = (self.program == Program::ProcessesShared).then(|| {
            let name = segment_name();
            command.arg(&name);
            crate::os::cleanup::lock().register(segment_path(&name))
        });
        let mut child = children::spawn_registered(&mut command).map_err(|err| {
            self.failure(format!(
                "could not start {}: {err}",
                self.interpreter.command
            ))
        })?;
        let pid = child.id() as libc::pid_t;
        // A few kilobytes: the pipe takes them whole, whether or not the
        // interpreter reads yet. If it has died, its status tells why.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = std::io::Write::write_all(&mut stdin, self.program.source().as_bytes());
        }
        // Both pipes on threads of their own, so that neither can fill and
        // block the program, and a pipe held open by a grandchild cannot
        // block gilfree.
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let reaped = children::reap_group(pid, deadline.map(|d| d.at));
        let reaped = match reaped {
            Ok(Some(reaped)) => Ok(reaped),
            Ok(None) => {
                // Past the deadline: the interpreter and its pool go.
                children::kill_registered(pid);
                let _ = children::reap(pid);
                if children::interrupted().is_none() {
                    let deadline = deadline.expect("only a deadline times out");
                    return Err(deadline.missed(self.name(), "the interpreter".to_owned()));
                }
                Err(std::io::Error::from(std::io::ErrorKind::Interrupted))
            }
            Err(err) => Err(err),
        };
        // The interpreter has ended; whatever of its group still holds the
        // pipes open is given a moment, then killed.
        let (stdout, stderr) = (stdout.finish(), stderr.finish());
        if let Some(signal) = children::interrupted() {
            return Err(Error::Interrupted {
                backend: self.name(),
                signal,
                name: children::signal_name(signal),
            });
        }
        let children::Reaped {
            status,
            peak_rss_bytes,
        } = reaped
            .map_err(|err| self.failure(format!("could not wait for the interpreter: {err}")))?;
        if let Err(failure) = children::check_status(status, |_| "") {
            let stderr = String::from_utf8_lossy(&stderr);
            return Err(self.failure(format!(
                "the Python program {failure}{}",
                last_line(&stderr)
            )));
        }
        let numbers = workload.returns() == Return::Numbers;
        let (mut reports, coordinators, gil_enabled) =
            parse_output(&stdout, numbers).map_err(|problem| self.failure(problem))?;
        if let (Some(asked), Some(ran)) = (self.gil, gil_enabled)
            && asked != ran
        {
            return Err(self.failure(format!(
                "the interpreter ran with the GIL {} although PYTHON_GIL={} asked for it {}",
                if ran { "on" } else { "off" },
                u8::from(asked),
                if asked { "on" } else { "off" },
            )));
        }
        for report in &mut reports {
            report.peak_rss_bytes = Some(peak_rss_bytes);
        }
        Ok(BackendRun {
            reports,
            coordinators,
        })
    }
}

/// The workers' reports in what a program printed on standard output
/// (JSON: `{"workers": [{worker, sum, start_ns, finish_ns, cpu_ns, wait_ns,
/// pid, tid}, …], "coordinators": […], "gil_enabled": …}`). Whether there
/// is one per worker is the driver's check.
///
/// # Errors
/// Why the output is no report, in words for a message (one line).
#[cfg(test)]
fn parse_report(stdout: &[u8]) -> Result<Vec<WorkerReport>, String> {
    parse_output(stdout, false).map(|(reports, _, _)| reports)
}

/// A program's output, read: the workers' reports, the threads that
/// started and waited for them (the main thread, a pool's helpers), and
/// whether the GIL was on at the end.
type ProgramOutput = (Vec<WorkerReport>, Vec<ThreadTime>, Option<bool>);

/// A program's output ([`ProgramOutput`]).
///
/// # Errors
/// Why the output is no report, in words for a message (one line).
///
/// With `numbers` handed back, each worker also says when its numbers were
/// delivered and summed, and how big they were — or the program how much
/// it read from its pool's pipes (`pipe_bytes`), which the workers share.
fn parse_output(stdout: &[u8], numbers: bool) -> Result<ProgramOutput, String> {
    let output: PythonOutput = serde_json::from_slice(stdout)
        // serde may quote what it read: escaped, one line.
        .map_err(|err| {
            format!(
                "the program printed no valid report: {}",
                crate::text::escape_controls(&err.to_string())
            )
        })?;
    let workers = output.workers.len().max(1) as u64;
    // Through the pool's pipes the parent counted what it read, for all the
    // workers: each gets its share, the first the remainder.
    let piped = |worker: usize| {
        output
            .pipe_bytes
            .map(|total| total / workers + if worker == 0 { total % workers } else { 0 })
    };
    let transfer = |w: &PythonWorker| {
        numbers.then(|| WorkerTransfer {
            bytes: w.bytes.or_else(|| piped(w.worker)).unwrap_or(0),
            delivered_ns: w.delivered_ns.unwrap_or(w.finish_ns).max(w.finish_ns),
            copy_cpu_ns: None,
            sum_start_ns: w.sum_start_ns.unwrap_or(0),
            sum_finish_ns: w.sum_finish_ns.unwrap_or(0),
        })
    };
    let reports = output
        .workers
        .iter()
        .map(|w| WorkerReport {
            transfer: transfer(w),
            worker: w.worker,
            sum: w.sum,
            start_ns: w.start_ns,
            finish_ns: w.finish_ns.max(w.start_ns),
            cpu_time: Duration::from_nanos(w.cpu_ns),
            waiting_for_cpu: waiting(w.wait_ns),
            cpu_at_start: None,
            cpu_at_finish: None,
            pid: w.pid,
            tid: w.tid,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
            host: None,
            ready_ns: None,
            process: None,
        })
        .collect();
    let coordinators = output
        .coordinators
        .into_iter()
        .map(|t| ThreadTime {
            pid: t.pid,
            tid: t.tid,
            start_ns: t.start_ns,
            finish_ns: t.finish_ns.max(t.start_ns),
            cpu: Duration::from_nanos(t.cpu_ns),
            waiting: waiting(t.wait_ns),
        })
        .collect();
    Ok((reports, coordinators, output.gil_enabled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Edit, fuzz_cases, mutate};
    use proptest::prelude::*;

    const VALID: &str = r#"{"workers": [
        {"worker": 0, "sum": 50123, "start_ns": 10, "finish_ns": 900, "cpu_ns": 880, "pid": 7, "tid": 8},
        {"worker": 1, "sum": -3, "start_ns": 12, "finish_ns": 11, "cpu_ns": 0, "pid": 7, "tid": 9}
    ]}"#;

    #[test]
    fn a_report_is_read_field_by_field() {
        let reports = parse_report(VALID.as_bytes()).unwrap();
        assert_eq!(reports.len(), 2);
        assert_eq!((reports[0].worker, reports[0].sum), (0, 50_123));
        assert_eq!(reports[0].cpu_time, Duration::from_nanos(880));
        // A finish before the start is clamped, never a negative span.
        assert_eq!(reports[1].finish_ns, 12);
        let err = parse_report(b"{\"workers\": []} trailing").unwrap_err();
        assert!(
            err.starts_with("the program printed no valid report: "),
            "{err}"
        );
    }

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        proptest::collection::vec(
            (any::<usize>(), any::<u8>(), any::<u8>()).prop_map(|(at, kind, value)| Edit {
                at,
                kind,
                value,
            }),
            1..6,
        )
    }

    /// Whatever a program prints: a report, or one line saying why not.
    fn read_or_one_line(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Err(err) = parse_report(bytes) {
            prop_assert!(!err.contains('\n'), "{err}");
            // Through the backend it is a failed run: exit 1, not bad input.
            let error = Error::Program {
                backend: "python-threads",
                problem: err,
            };
            prop_assert!(!error.is_usage());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases(1000)))]

        #[test]
        fn any_bytes_are_a_report_or_one_line(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            read_or_one_line(&bytes)?;
        }

        #[test]
        fn a_broken_report_is_a_report_or_one_line(edits in edits()) {
            read_or_one_line(&mutate(VALID.as_bytes(), &edits))?;
        }
    }
}
