//! The ways of running a workload's workers, behind one trait, and the
//! registry of the built-in ones.
//!
//! Each backend lives in its own file and declares its registry row there
//! (a `KIND` constant: name, one-line description, constructor);
//! [`BackendKind::ALL`] lists the rows. Parsing `--backend`, its help,
//! `--list-backends` and the tests that mean every backend come from that one table, so
//! adding a backend is a new file plus one row. The driver only ever sees
//! `&dyn Backend`.

use crate::error::{Error, WorkerFailure};
use crate::kernel::Workload;
use crate::worker::{ThreadTime, WorkerReport};

mod channels;
pub mod gil;
#[cfg(feature = "mpi")]
pub mod mpi;
pub(crate) mod process;
mod profile;
pub mod python;
mod rayon;
mod registry;
mod returned;
mod sequential;
mod spawn;
mod threads;

pub use self::channels::ChannelsBackend;
pub use self::gil::GilBackend;
#[cfg(feature = "mpi")]
pub use self::mpi::{MpiBackend, MpiOptions};
pub use self::process::{ProcessBackend, ProcessSharedBackend};
pub use self::profile::{Language, Lock, Profile, ReturnPath, Schedule, WorkerKind};
pub use self::rayon::RayonBackend;
pub use self::registry::{BackendKind, UnknownBackend};
pub use self::sequential::SequentialBackend;
pub use self::threads::ThreadsBackend;

/// A way of running every worker of a [`Workload`] and collecting their reports.
///
/// # Contract
///
/// - [`run`](Backend::run) runs workers `0..workload.workers()`, each exactly
///   once, each computing [`kernel::worker_sum`](crate::kernel::worker_sum)
///   (or its materialized equivalent) of its own index, and returns one
///   [`WorkerReport`] per worker, in any order. The driver checks coverage and
///   sums; a backend need not.
/// - On success every thread or process the backend started for the run has
///   finished: threads are joined and child processes reaped, so the caller's
///   `getrusage` readings after `run` include all of the run's CPU time.
/// - On failure it returns an [`Error`] naming the backend and, when one is to
///   blame, the worker, and it still leaves no thread or child process behind.
/// - A backend may keep state between runs (a thread pool, say) and may be
///   called from any thread; concurrent calls must be safe but may serialize.
pub trait Backend: Send + Sync {
    /// What the backend is: its name, what it does, its workers' language,
    /// what a worker is and how the workers share the cores. The readings
    /// of its figures rest on these facts, never on its name.
    fn profile(&self) -> Profile;

    /// A short, stable name, as accepted by `--backend`: the profile's.
    fn name(&self) -> &'static str {
        self.profile().name
    }

    /// One line saying how the backend runs its workers: the profile's.
    fn description(&self) -> &'static str {
        self.profile().description
    }

    /// How many workers can compute at the same moment, at most, if there are
    /// enough cores. Efficiency is computed against
    /// `min(parallelism, logical cores)`. Defaults to one per worker.
    fn parallelism(&self, workload: &Workload) -> usize {
        workload.workers()
    }

    /// Whether this backend draws the workload's numbers, so that its sums
    /// must equal the baseline's. True for every Rust backend; a backend that
    /// runs another program (CPython's) may draw other numbers for some
    /// generators: its sums are then reported as not comparable, not as wrong.
    fn draws_the_same_numbers(&self, workload: &Workload) -> bool {
        let _ = workload;
        true
    }

    /// The interpreter that runs the workers, for a backend that runs
    /// CPython: its version and its own report of the GIL.
    fn interpreter(&self) -> Option<&python::Interpreter> {
        None
    }

    /// Checks, before anything runs, that this system can run the workload's
    /// workers the way this backend does: enough threads, processes or open
    /// files. The driver calls it for every backend before the first run, so
    /// that an impossible `--workers` is refused at once with the limit
    /// named, instead of failing part-way (or, for threads, aborting). The
    /// default accepts everything.
    ///
    /// # Errors
    /// [`Error::WorkerLimit`].
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        let _ = workload;
        Ok(())
    }

    /// The memory a run needs for the numbers its workers hand back
    /// (`--return numbers`), in bytes, at its peak: by default the parent's
    /// buffer of them, [`Workload::returned_bytes`]. The driver refuses,
    /// before anything runs, a workload whose numbers would not fit in the
    /// memory available.
    fn returned_memory(&self, workload: &Workload) -> u64 {
        workload.returned_bytes()
    }

    /// Makes ready, before a run's clock starts, what the run would
    /// otherwise spend its own time on: the memory the parent receives the
    /// numbers in (`--return numbers`), mapped and its pages in place —
    /// preallocated, as the buffer `readinto` fills. The driver calls it
    /// before every run; a run that was not prepared does it itself, in its
    /// time. The default prepares nothing.
    ///
    /// # Errors
    /// [`Error::Setup`] when the memory cannot be mapped.
    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        let _ = workload;
        Ok(())
    }

    /// Undoes [`prepare`](Self::prepare) once a run has ended and its clock
    /// stopped, whether it succeeded or not: unmaps the memory prepared for
    /// it. The default has nothing to undo.
    fn release(&self) {}

    /// Runs every worker once and returns their reports.
    ///
    /// # Errors
    /// When a worker cannot be started, fails or cannot be collected; see the
    /// trait's contract.
    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error>;

    /// [`run`](Self::run), given up at `deadline`: a backend whose workers
    /// are processes kills and reaps them then, and returns
    /// [`Error::Timeout`] naming the workers that had not finished. The
    /// default ignores the deadline: a thread cannot be stopped half-way (and
    /// cannot be stopped alone by a signal either).
    ///
    /// # Errors
    /// As [`run`](Self::run), and [`Error::Timeout`].
    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        let _ = deadline;
        self.run(workload)
    }

    /// [`run_until`](Self::run_until), with the time of the threads the
    /// backend used to start its workers and wait for them, where the
    /// caller cannot read them itself: a launched interpreter's main thread
    /// and a pool's helper threads ([`BackendRun::coordinators`]). The
    /// driver accounts for its own thread; the default adds nothing.
    ///
    /// # Errors
    /// As [`run_until`](Self::run_until).
    fn run_accounted(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<BackendRun, Error> {
        Ok(BackendRun {
            reports: self.run_until(workload, deadline)?,
            coordinators: Vec::new(),
        })
    }
}

/// What [`Backend::run_accounted`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRun {
    /// One report per worker.
    pub reports: Vec<WorkerReport>,
    /// The threads, other than the caller's, that started the workers and
    /// waited for them (the interpreter's main thread, a pool's helper
    /// threads), each over the stretch it coordinated: their time is
    /// reported apart from the workers' (`measure::accounting`).
    pub coordinators: Vec<ThreadTime>,
}

/// When a run must have finished ([`Backend::run_until`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The moment.
    pub at: std::time::Instant,
    /// The time a run was given, for messages.
    pub limit: std::time::Duration,
}

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: std::time::Duration) -> Deadline {
        let now = std::time::Instant::now();
        Deadline {
            at: now
                .checked_add(limit)
                .unwrap_or(now + std::time::Duration::from_secs(1 << 40)),
            limit,
        }
    }

    /// The time left, zero once past.
    pub fn remaining(&self) -> std::time::Duration {
        self.at.saturating_duration_since(std::time::Instant::now())
    }

    /// The error of a run of `backend` that passed the deadline, with what
    /// had not finished (`workers 0 and 3`, `the interpreter`).
    pub fn missed(&self, backend: &'static str, unfinished: String) -> Error {
        Error::Timeout {
            backend,
            limit: self.limit,
            unfinished,
        }
    }
}

/// Options that some backends take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendOptions {
    /// Threads in the rayon pool (≥ 1). Defaults to the logical core count.
    pub rayon_threads: usize,
    /// How often the `gil` backend's lock holder offers the lock (> 0).
    /// Defaults to CPython's 5 ms.
    pub switch_interval: std::time::Duration,
    /// How the `mpi` backend launches its ranks.
    #[cfg(feature = "mpi")]
    pub mpi: MpiOptions,
}

impl Default for BackendOptions {
    fn default() -> Self {
        BackendOptions {
            rayon_threads: num_cpus::get(),
            switch_interval: gil::DEFAULT_SWITCH_INTERVAL,
            #[cfg(feature = "mpi")]
            mpi: MpiOptions::default(),
        }
    }
}

/// The error for a failed worker of `backend`.
pub(crate) fn worker_error(backend: &'static str, worker: usize, failure: WorkerFailure) -> Error {
    Error::Worker {
        backend,
        worker,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The trait must stay object-safe and shareable across threads.
    const _: fn() = || {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<dyn Backend>();
        assert_send_sync::<Box<dyn Backend>>();
    };
}
