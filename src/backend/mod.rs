//! The ways of running a workload's workers, behind one trait.
//!
//! Each backend lives in its own file. [`BackendKind`] names them for the
//! command line and [`BackendKind::build`] makes one; the driver only ever sees
//! `&dyn Backend`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, WorkerFailure};
use crate::report::WorkerReport;
use crate::sys;
use crate::workload::Workload;

mod channels;
pub mod gil;
pub mod process;
pub mod python;
mod rayon;
mod sequential;
mod threads;

pub use self::channels::ChannelsBackend;
pub use self::gil::GilBackend;
pub use self::process::ProcessBackend;
pub use self::rayon::RayonBackend;
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
    /// A short, stable name, as accepted by `--backend`.
    fn name(&self) -> &'static str;

    /// One line saying how the backend runs its workers.
    fn description(&self) -> &'static str;

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

    /// Runs every worker once and returns their reports.
    ///
    /// # Errors
    /// When a worker cannot be started, fails or cannot be collected; see the
    /// trait's contract.
    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error>;
}

/// The built-in backends, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// [`SequentialBackend`].
    Sequential,
    /// [`GilBackend`].
    Gil,
    /// [`ThreadsBackend`].
    Threads,
    /// [`ChannelsBackend`].
    Channels,
    /// [`RayonBackend`].
    Rayon,
    /// [`ProcessBackend`].
    Process,
}

/// Options that some backends take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendOptions {
    /// Threads in the rayon pool (≥ 1). Defaults to the logical core count.
    pub rayon_threads: usize,
    /// How often the `gil` backend's lock holder offers the lock (> 0).
    /// Defaults to CPython's 5 ms.
    pub switch_interval: std::time::Duration,
}

impl Default for BackendOptions {
    fn default() -> Self {
        BackendOptions {
            rayon_threads: num_cpus::get(),
            switch_interval: gil::DEFAULT_SWITCH_INTERVAL,
        }
    }
}

impl BackendKind {
    /// Every built-in backend, in the order reports list them.
    pub const ALL: [BackendKind; 6] = [
        BackendKind::Sequential,
        BackendKind::Gil,
        BackendKind::Threads,
        BackendKind::Channels,
        BackendKind::Rayon,
        BackendKind::Process,
    ];

    /// The name `--backend` accepts.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sequential => "sequential",
            BackendKind::Gil => "gil",
            BackendKind::Threads => "threads",
            BackendKind::Channels => "channels",
            BackendKind::Rayon => "rayon",
            BackendKind::Process => "process",
        }
    }

    /// Makes the backend.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a rayon pool of zero threads or a zero
    /// switch interval, and
    /// [`Error::Setup`] when the rayon pool cannot be created.
    pub fn build(self, options: &BackendOptions) -> Result<Box<dyn Backend>, Error> {
        Ok(match self {
            BackendKind::Sequential => Box::new(SequentialBackend),
            BackendKind::Gil => Box::new(GilBackend::new(options.switch_interval)?),
            BackendKind::Threads => Box::new(ThreadsBackend),
            BackendKind::Channels => Box::new(ChannelsBackend),
            BackendKind::Rayon => Box::new(RayonBackend::new(options.rayon_threads)?),
            BackendKind::Process => Box::new(ProcessBackend),
        })
    }

    /// Comma-separated names of every backend, for messages.
    pub fn names() -> String {
        BackendKind::ALL.map(BackendKind::name).join(", ")
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to [`BackendKind::from_str`] is not a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend '{0}' (valid: all, {names})", names = BackendKind::names())]
pub struct UnknownBackend(pub String);

impl FromStr for BackendKind {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        BackendKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownBackend(name.to_owned()))
    }
}

/// Memory maps one live thread can take: its stack and guard page, its
/// signal stack and guard page, and a share of malloc's per-thread arenas.
/// A thread that cannot map its signal stack aborts the whole process, so
/// the thread backends stay well inside `vm.max_map_count`.
const MAPS_PER_THREAD: u64 = 8;

/// [`Backend::check`] for backends that start one thread per worker.
pub(crate) fn check_thread_limit(backend: &'static str, workload: &Workload) -> Result<(), Error> {
    let workers = workload.workers() as u64;
    let mut limits: Vec<(u64, String)> = Vec::new();
    if let Some(maps) = sys::max_map_count() {
        limits.push((
            maps / MAPS_PER_THREAD,
            format!(
                "a process may hold {maps} memory maps (vm.max_map_count), enough for about {} threads",
                maps / MAPS_PER_THREAD
            ),
        ));
    }
    if let (Some(max), Some(tasks)) = (sys::threads_max(), sys::system_tasks()) {
        let free = max.saturating_sub(tasks);
        limits.push((
            free,
            format!("the system allows {max} threads (kernel.threads-max) and {tasks} exist"),
        ));
    }
    match limits.into_iter().min_by_key(|(n, _)| *n) {
        Some((limit, why)) if workers > limit => Err(Error::WorkerLimit {
            backend,
            workers: workload.workers(),
            need: format!("{workers} threads at once"),
            limit: why,
            advice: "use fewer --workers, or the rayon backend, which runs any number of workers on a fixed pool",
        }),
        _ => Ok(()),
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

/// The message of a caught panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
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

    #[test]
    fn every_kind_parses_from_its_name_and_builds_a_backend_of_that_name() {
        for kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<BackendKind>(), Ok(kind));
            let backend = kind.build(&BackendOptions::default()).unwrap();
            assert_eq!(backend.name(), kind.name());
            assert!(!backend.description().is_empty());
        }
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let err = "fibers".parse::<BackendKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown backend 'fibers' (valid: all, sequential, gil, threads, channels, rayon, process)"
        );
    }
}
