//! The library's one error type.
//!
//! Errors fall in two families that a caller treats differently: the input was
//! wrong ([`Error::is_usage`] — fix the arguments and try again; the binary exits
//! with code 2), or a run failed (a worker died, a system call failed, a backend
//! returned wrong sums — the binary exits with code 1). Every runtime error
//! names the backend, and the worker when one is to blame.

use std::io;
use std::path::PathBuf;

use crate::kernel::WorkloadError;

/// Anything that can go wrong in gilfree.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The workload's parameters are out of range; see [`WorkloadError`].
    #[error(transparent)]
    InvalidWorkload(#[from] WorkloadError),

    /// A driver or backend option is out of range (for example zero measured
    /// runs, or a rayon pool of zero threads).
    #[error("{option} = {value}: {reason}")]
    InvalidOption {
        /// The option's name, as the command line spells it without dashes.
        option: &'static str,
        /// The value that was given.
        value: String,
        /// What a valid value looks like.
        reason: &'static str,
    },

    /// More workers than the Slurm allocation this process runs in has tasks
    /// (checked before anything runs): `mpirun` would silently oversubscribe
    /// the allocation's cores, and `srun` refuses.
    #[error(
        "{backend} backend: {workers} workers, but the Slurm allocation (job {job_id}) has {tasks} \
         task{}: give --workers {tasks} or fewer, or ask salloc/sbatch for more (-n)",
        if *tasks == 1 { "" } else { "s" }
    )]
    TooManyForAllocation {
        /// The backend's name.
        backend: &'static str,
        /// The workers asked for.
        workers: usize,
        /// The allocation's tasks (`SLURM_NTASKS`).
        tasks: usize,
        /// The allocation's job (`SLURM_JOB_ID`).
        job_id: String,
    },

    /// A backend could not be set up at all (before any worker started).
    #[error("{backend} backend: {what}")]
    Setup {
        /// The backend's name.
        backend: &'static str,
        /// What was being done.
        what: &'static str,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },

    /// One worker of a backend failed. (The failure is part of the message,
    /// so it is not also given as the error's `source`.)
    #[error("{backend} backend: worker {worker} {failure}")]
    Worker {
        /// The backend's name.
        backend: &'static str,
        /// The worker's index, `0..workers`.
        worker: usize,
        /// What went wrong.
        failure: WorkerFailure,
    },

    /// An external program a backend runs (the Python interpreter) failed or
    /// answered something unreadable.
    #[error("{backend} backend: {problem}")]
    Program {
        /// The backend's name.
        backend: &'static str,
        /// What went wrong.
        problem: String,
    },

    /// The workload asks a backend for more workers than this system can run
    /// at once (checked before anything runs).
    #[error(
        "{backend} backend: {workers} {} {need}, but {limit}; {advice}",
        if *workers == 1 { "worker needs" } else { "workers need" }
    )]
    WorkerLimit {
        /// The backend's name.
        backend: &'static str,
        /// The requested worker count.
        workers: usize,
        /// What that many workers need, such as "65536 threads at once".
        need: String,
        /// The limit in the way, with where it comes from.
        limit: String,
        /// What to do instead.
        advice: &'static str,
    },

    /// The numbers the workers would hand back do not fit in the memory
    /// available (checked before anything runs).
    #[error(
        "{backend} backend: handing back {} × {} numbers of {width} {} needs {} \
         at once, but {} of memory is available; give fewer numbers or workers (--count, \
         or the lesson's --transfer-count; --workers), or hand back sums",
        crate::text::group_digits(*workers as i128),
        crate::text::group_digits(*count as i128),
        if *width == 1 { "byte" } else { "bytes" },
        megabytes(*need),
        megabytes(*available)
    )]
    TransferTooLarge {
        /// The backend's name.
        backend: &'static str,
        /// Workers.
        workers: usize,
        /// Numbers per worker.
        count: u64,
        /// Bytes per number.
        width: usize,
        /// The bytes the run needs at once.
        need: u64,
        /// The bytes available.
        available: u64,
    },

    /// A run did not finish within its time limit (`--timeout`); its worker
    /// processes were killed and reaped.
    #[error(
        "{backend} backend: the run did not finish within {}: {unfinished} still running, \
         killed (raise --timeout, or give --timeout none)",
        humantime::format_duration(*limit)
    )]
    Timeout {
        /// The backend's name.
        backend: &'static str,
        /// The time the run was given.
        limit: std::time::Duration,
        /// What had not finished: `worker 3`, `workers 0 and 3`, `the
        /// interpreter`.
        unfinished: String,
    },

    /// The run was stopped by a signal (SIGINT or SIGTERM) before it finished.
    #[error("{backend} backend: interrupted by {name}")]
    Interrupted {
        /// The backend that was running.
        backend: &'static str,
        /// The signal number.
        signal: i32,
        /// The signal's name.
        name: &'static str,
    },

    /// A backend returned a set of reports that does not cover the workers
    /// exactly once (a bug in the backend, never in the user's input).
    #[error("{backend} backend: {problem}")]
    BadReports {
        /// The backend's name.
        backend: &'static str,
        /// What is wrong with the reports.
        problem: String,
    },

    /// An export destination cannot be used (checked before the run starts).
    #[error("{flag} {}: {problem}", path.display())]
    ExportPath {
        /// The flag that named it, such as `--export-json`.
        flag: &'static str,
        /// The destination.
        path: PathBuf,
        /// Why it cannot be used.
        problem: String,
    },

    /// Writing an output (an export or a picture) failed after the run.
    #[error("could not write {}", path.display())]
    Write {
        /// The destination (`-` for standard output).
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },

    /// A picture could not be drawn (in memory, before it is written).
    #[error("could not draw the {picture}: {problem}")]
    Picture {
        /// Which picture, such as "timeline".
        picture: &'static str,
        /// What went wrong.
        problem: String,
    },

    /// The interpreter named by `--python` cannot run the Python programs.
    #[error("--python {command}: {problem}")]
    InvalidInterpreter {
        /// The command as given.
        command: String,
        /// Why it cannot: it does not start, fails, hangs, or is no Python 3.
        problem: String,
    },

    /// A file given to `compare` is not a JSON export this version can read.
    #[error("{}: {problem}", path.display())]
    BadExport {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A backend computed a different sum for a worker than the sequential
    /// baseline did for the same workload: the central correctness property
    /// of gilfree is broken.
    #[error(
        "{backend} backend: worker {worker} summed to {got} in measured run {run}, \
         but the sequential baseline summed it to {expected}"
    )]
    Mismatch {
        /// The backend's name.
        backend: &'static str,
        /// The worker whose sum differs.
        worker: usize,
        /// Which measured run (1-based) showed the difference first.
        run: usize,
        /// The sum the backend reported.
        got: i64,
        /// The sequential baseline's sum.
        expected: i64,
    },
}

impl Error {
    /// Whether the error is the caller's input rather than a runtime failure.
    ///
    /// The command-line tool exits with code 2 for these and 1 for the rest.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::InvalidWorkload(_)
                | Error::InvalidOption { .. }
                | Error::ExportPath { .. }
                | Error::BadExport { .. }
                | Error::InvalidInterpreter { .. }
                | Error::WorkerLimit { .. }
                | Error::TooManyForAllocation { .. }
                | Error::TransferTooLarge { .. }
        )
    }
}

/// What went wrong with one worker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerFailure {
    /// The worker's thread could not be created.
    #[error("could not be started: {error}{hint}")]
    Spawn {
        /// Why.
        error: io::Error,
        /// What the error means here, starting with `"; "`, or empty.
        hint: String,
    },

    /// `pipe(2)` failed while setting the worker up.
    #[error("could not get a pipe: {error}{hint}")]
    Pipe {
        /// Why.
        error: io::Error,
        /// What the error means here, starting with `"; "`, or empty.
        hint: String,
    },

    /// `fork(2)` failed while starting the worker.
    #[error("could not be forked: {error}{hint}")]
    Fork {
        /// Why.
        error: io::Error,
        /// What the error means here, starting with `"; "`, or empty.
        hint: String,
    },

    /// The worker's thread panicked.
    #[error("panicked: {0}")]
    Panicked(String),

    /// `--materialize` could not allocate the worker's vector.
    #[error("could not allocate {bytes} bytes for its materialized numbers")]
    OutOfMemory {
        /// The size of the vector that failed.
        bytes: u64,
    },

    /// The worker process was killed by a signal.
    #[error("was killed by signal {signal} ({name})")]
    Killed {
        /// The signal number.
        signal: i32,
        /// The signal's name, such as `SIGKILL`.
        name: &'static str,
    },

    /// The worker process exited with a non-zero status.
    #[error("exited with status {code}{meaning}")]
    Exited {
        /// The exit status.
        code: i32,
        /// What gilfree's child code meant by it, if it is one of its own
        /// codes (starts with `": "`), else empty.
        meaning: &'static str,
    },

    /// The worker process sent fewer or more bytes than one result record
    /// (0: it exited without sending anything).
    #[error("{}", short_record(*got, *expected))]
    ShortRecord {
        /// Bytes received before end of file.
        got: usize,
        /// The record size.
        expected: usize,
    },

    /// The worker process, handing its numbers back, ended before all of
    /// them had come through its pipe.
    #[error(
        "ended after sending {got} of its {expected} bytes of numbers: its numbers are not \
         all there, and a short result is no result"
    )]
    ShortNumbers {
        /// Bytes of numbers received.
        got: u64,
        /// Bytes of numbers due.
        expected: u64,
    },

    /// The worker process sent a record that does not decode.
    #[error("sent a garbled result record: {0}")]
    BadRecord(&'static str),

    /// Reading the worker's pipe or waiting for it failed.
    #[error("could not be collected: {0}")]
    Collect(io::Error),
}

impl WorkerFailure {
    /// A thread that could not be spawned, with what the error means.
    pub fn spawn(error: io::Error) -> WorkerFailure {
        let hint = match error.raw_os_error() {
            Some(libc::EAGAIN | libc::ENOMEM) => "; the system's limit on threads or memory \
                maps was reached: use fewer --workers, or the rayon backend"
                .to_owned(),
            _ => String::new(),
        };
        WorkerFailure::Spawn { error, hint }
    }
}

/// `1.2 GB`, `830 MB`: decimal units, as the figures are read.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{:.1} GB", mb / 1000.0)
    } else {
        format!("{mb:.0} MB")
    }
}

fn short_record(got: usize, expected: usize) -> String {
    if got == 0 {
        "exited without sending its result".to_owned()
    } else {
        format!("sent {got} bytes instead of its {expected}-byte result record")
    }
}
