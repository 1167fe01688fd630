//! The book's Python programs, run by CPython under the same driver: the
//! same workload, timed and checked like the Rust backends.
//!
//! Three plain programs ship in the crate (`python/*.py`, compiled in with
//! `include_str!`, written to a temporary directory when a backend is made):
//! `sequential.py`, `threads.py` (listing 11-1, one `random.Random` per
//! thread) and `processes.py` (listing 11-2, `multiprocessing.Pool`). Each
//! run starts the interpreter as a child process that the driver measures
//! like any other run — wall time with interpreter start-up, the reaped
//! child's user and system time, its peak memory — and reads the per-worker
//! reports the program prints as JSON. Their start and finish come from
//! `time.monotonic_ns()`, the same clock as gilfree's, so the time the
//! program spent computing shows apart from start-up.
//!
//! The programs draw `random.Random((seed << 32) + i).randint(low, high)`:
//! with `--rng python` their sums must equal the Rust backends' and are
//! verified; with another generator they are timed but not comparable.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::backend::Backend;
use crate::error::Error;
use crate::kernel::Generator;
use crate::os::children;
use crate::os::cleanup::{self, Registered};
use crate::worker::WorkerReport;
use crate::workload::Workload;

/// One of the shipped programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// `python/sequential.py`: one worker after another.
    Sequential,
    /// `python/threads.py`: the book's listing 11-1.
    Threads,
    /// `python/processes.py`: the book's listing 11-2.
    Processes,
}

impl Program {
    /// All three, in report order.
    pub const ALL: [Program; 3] = [Program::Sequential, Program::Threads, Program::Processes];

    /// The backend's name: `python-sequential`, …
    pub fn name(self) -> &'static str {
        match self {
            Program::Sequential => "python-sequential",
            Program::Threads => "python-threads",
            Program::Processes => "python-processes",
        }
    }

    /// The program's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Program::Sequential => "sequential.py",
            Program::Threads => "threads.py",
            Program::Processes => "processes.py",
        }
    }

    /// The program's source.
    pub fn source(self) -> &'static str {
        match self {
            Program::Sequential => include_str!("../../python/sequential.py"),
            Program::Threads => include_str!("../../python/threads.py"),
            Program::Processes => include_str!("../../python/processes.py"),
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
        }
    }
}

/// What the interpreter says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Interpreter {
    /// The command that runs it, as given (`python3`).
    #[serde(skip)]
    pub command: String,
    /// `sys.version`'s first word: `3.11.7`.
    pub version: String,
    /// `sys.implementation.name`: `cpython`.
    pub implementation: String,
    /// `sys._is_gil_enabled()` where it exists (3.13 and later), else true.
    pub gil_enabled: bool,
}

const PROBE: &str = "import json, sys\n\
print(json.dumps({'version': sys.version.split()[0], \
'implementation': sys.implementation.name, \
'gil_enabled': sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True}))";

impl Interpreter {
    /// Runs `command` to ask for its version and GIL; `None` when it does not
    /// run or does not answer like a Python 3.
    pub fn probe(command: &str) -> Option<Interpreter> {
        let output = Command::new(command).args(["-c", PROBE]).output().ok()?;
        if !output.status.success() {
            return None;
        }
        let mut interpreter: Interpreter = serde_json::from_slice(&output.stdout).ok()?;
        interpreter.command = command.to_owned();
        Some(interpreter)
    }
}

/// The programs written out for the interpreter, in a fresh directory of
/// their own (`tempfile`: a random name, mode 0700, never a directory
/// someone else made, and no parent created), registered with
/// [`os::cleanup`](crate::os::cleanup) so that it goes when the backends are
/// dropped or a signal ends the process.
#[derive(Debug)]
struct ProgramDir(Registered);

impl ProgramDir {
    fn create() -> std::io::Result<ProgramDir> {
        // The pid in the name tells whose directory it is.
        let dir = tempfile::Builder::new()
            .prefix(&format!("gilfree-python-{}-", std::process::id()))
            .tempdir()?;
        // Dropped on an error below: the directory goes with it.
        let dir = ProgramDir(cleanup::register(dir.keep()));
        for program in Program::ALL {
            std::fs::write(dir.path().join(program.file_name()), program.source())?;
        }
        Ok(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

/// One shipped program run by one interpreter.
#[derive(Debug)]
pub struct PythonBackend {
    program: Program,
    interpreter: Interpreter,
    dir: std::sync::Arc<ProgramDir>,
}

impl PythonBackend {
    /// The three backends for `interpreter`, with the programs written to a
    /// temporary directory (removed when the last backend is dropped).
    ///
    /// # Errors
    /// [`Error::Setup`] when the programs cannot be written.
    pub fn all(interpreter: &Interpreter) -> Result<Vec<PythonBackend>, Error> {
        let dir = ProgramDir::create().map_err(|source| Error::Setup {
            backend: "python",
            what: "could not write the Python programs to the temporary directory",
            source,
        })?;
        let dir = std::sync::Arc::new(dir);
        Ok(Program::ALL
            .into_iter()
            .map(|program| PythonBackend {
                program,
                interpreter: interpreter.clone(),
                dir: dir.clone(),
            })
            .collect())
    }

    /// The program this backend runs.
    pub fn program(&self) -> Program {
        self.program
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join(self.program.file_name())
    }

    fn failure(&self, problem: String) -> Error {
        Error::Program {
            backend: self.program.name(),
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
    pid: u32,
    tid: u32,
}

#[derive(Debug, Deserialize)]
struct PythonOutput {
    workers: Vec<PythonWorker>,
}

impl Backend for PythonBackend {
    fn name(&self) -> &'static str {
        self.program.name()
    }

    fn description(&self) -> &'static str {
        self.program.description()
    }

    fn parallelism(&self, workload: &Workload) -> usize {
        match self.program {
            Program::Sequential => 1,
            Program::Threads | Program::Processes => workload.workers(),
        }
    }

    /// Only `--rng python` draws the numbers the programs draw.
    fn draws_the_same_numbers(&self, workload: &Workload) -> bool {
        workload.generator() == Generator::Python
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let mut command = Command::new(&self.interpreter.command);
        command
            .arg(self.path())
            .args([
                workload.workers().to_string(),
                workload.count().to_string(),
                workload.low().to_string(),
                workload.high().to_string(),
                workload.seed().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = children::spawn_registered(&mut command).map_err(|err| {
            self.failure(format!(
                "could not start {}: {err}",
                self.interpreter.command
            ))
        })?;
        let pid = child.id() as libc::pid_t;
        // stderr on its own thread, so that neither pipe can fill and block.
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut stdout = Vec::new();
        let read = child
            .stdout
            .take()
            .expect("stdout is piped")
            .read_to_end(&mut stdout);
        if read.is_err() {
            children::kill_registered(pid);
        }
        let reaped = children::reap(pid);
        let stderr = stderr_reader.join().unwrap_or_default();
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
        read.map_err(|err| self.failure(format!("could not read the program's output: {err}")))?;
        if let Err(failure) = children::check_status(status, |_| "") {
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(self.failure(format!(
                "the Python program {}{}",
                failure,
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {last}")
                }
            )));
        }
        let output: PythonOutput = serde_json::from_slice(&stdout)
            .map_err(|err| self.failure(format!("the program printed no valid report: {err}")))?;
        Ok(output
            .workers
            .into_iter()
            .map(|w| WorkerReport {
                worker: w.worker,
                sum: w.sum,
                start_ns: w.start_ns,
                finish_ns: w.finish_ns.max(w.start_ns),
                cpu_time: Duration::from_nanos(w.cpu_ns),
                cpu_at_start: None,
                cpu_at_finish: None,
                pid: w.pid,
                tid: w.tid,
                peak_rss_bytes: Some(peak_rss_bytes),
                held_ns: Vec::new(),
            })
            .collect())
    }
}

/// Where `backend`'s program was written (it is removed with the backends).
pub fn program_path(backend: &PythonBackend) -> PathBuf {
    backend.path()
}
