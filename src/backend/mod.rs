//! The ways of running a workload's workers, behind one trait, and the
//! registry of the built-in ones.
//!
//! Each backend lives in its own file and declares its registry row there
//! (a `KIND` constant: name, one-line description, constructor);
//! [`BackendKind::ALL`] lists the rows. Parsing `--backend`, its help,
//! `--list-backends` and the tests that mean every backend come from that one table, so
//! adding a backend is a new file plus one row. The driver only ever sees
//! `&dyn Backend`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, WorkerFailure};
use crate::kernel::Workload;
use crate::worker::{ThreadTime, WorkerReport};

mod channels;
pub mod gil;
#[cfg(feature = "mpi")]
pub mod mpi;
pub(crate) mod process;
pub mod python;
mod rayon;
mod sequential;
mod spawn;
mod threads;

pub use self::channels::ChannelsBackend;
pub use self::gil::GilBackend;
#[cfg(feature = "mpi")]
pub use self::mpi::{MpiBackend, MpiOptions};
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

/// The language a backend's workers run in. Each row is read against the
/// sequential row of its own language: Python's threads against Python run
/// sequentially, not against Rust, which computes the same sums about a
/// hundred times faster and would make every Python row look like 0.01×.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Language {
    /// gilfree's own code.
    #[default]
    Rust,
    /// CPython running the book's programs.
    Python,
}

impl Language {
    /// `rust`, `python`: as in exports.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
        }
    }

    /// The backend whose median wall time this language's speedups divide:
    /// `sequential`, `python-sequential`.
    pub fn baseline(self) -> &'static str {
        match self {
            Language::Rust => "sequential",
            Language::Python => "python-sequential",
        }
    }

    /// The language called `name` ([`Language::name`]).
    pub fn named(name: &str) -> Option<Language> {
        [Language::Rust, Language::Python]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

/// What a backend is: the facts by which its figures are read. Each backend
/// states its profile once (a `PROFILE` constant in its file, or built from
/// the interpreter for CPython's rows); the registry row and the backend
/// both return it, and the report carries it with the row's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    /// A short, stable name, as accepted by `--backend`.
    pub name: &'static str,
    /// One line saying how the backend runs its workers.
    pub description: &'static str,
    /// The language the workers run in, whose sequential row the row's
    /// speedup and efficiency are read against ([`Language::baseline`]).
    pub language: Language,
    /// What one worker is.
    pub worker: WorkerKind,
    /// How the workers share the cores.
    pub schedule: Schedule,
}

impl Profile {
    /// A Rust backend's profile.
    pub const fn rust(
        name: &'static str,
        description: &'static str,
        worker: WorkerKind,
        schedule: Schedule,
    ) -> Profile {
        Profile {
            name,
            description,
            language: Language::Rust,
            worker,
            schedule,
        }
    }

    /// Whether this is its language's sequential row, the baseline of the
    /// language's speedups.
    pub fn is_baseline(&self) -> bool {
        self.name == self.language.baseline()
    }
}

/// What one worker of a backend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkerKind {
    /// A thread of the process that runs the backend (or of the interpreter).
    Thread,
    /// A process of its own: a fork, or a pool's worker process.
    Process,
    /// A rank that a launcher started, on this host or another.
    Rank,
}

/// How a backend's workers share the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schedule {
    /// One worker after another, on one core: a sequential row.
    OneAfterAnother,
    /// All started at once, but computing only while holding a lock, so in
    /// turns.
    TakingTurns(Lock),
    /// All at once, as many at a time as there are cores.
    AtOnce,
}

/// A lock that makes workers take turns ([`Schedule::TakingTurns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lock {
    /// CPython's global interpreter lock, enabled in the interpreter.
    Gil,
    /// gilfree's emulation of it: the `gil` backend's one global lock.
    Emulated,
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

/// Makes a backend from the options.
type Constructor = fn(&BackendOptions) -> Result<Box<dyn Backend>, Error>;

/// A built-in backend: one row of the registry, [`BackendKind::ALL`].
///
/// Two kinds are equal when they have the same name, and they order as the
/// registry lists them (the order of the report's rows).
///
/// A row is *launched* when its workers run in another program that it
/// launches (`mpi`: `mpirun` and its ranks): such a row needs a system
/// package, costs a launch per run, and runs only when named — `all`
/// means the [`in_process`](BackendKind::in_process) rows.
#[derive(Clone, Copy)]
pub struct BackendKind {
    profile: Profile,
    build: Constructor,
    launched: bool,
}

impl BackendKind {
    /// The registry: every built-in backend, in the order reports list them.
    /// The sequential baseline comes first.
    pub const ALL: &'static [BackendKind] = &[
        sequential::KIND,
        gil::KIND,
        threads::KIND,
        channels::KIND,
        rayon::KIND,
        process::KIND,
        #[cfg(feature = "mpi")]
        mpi::KIND,
    ];

    /// A registry row: what a backend's file declares as its `KIND`.
    pub const fn new(profile: Profile, build: Constructor) -> BackendKind {
        BackendKind {
            profile,
            build,
            launched: false,
        }
    }

    /// A registry row whose workers run in a program it launches (see the
    /// type's documentation).
    pub const fn launched(profile: Profile, build: Constructor) -> BackendKind {
        BackendKind {
            profile,
            build,
            launched: true,
        }
    }

    /// Whether the row's workers run in a program it launches.
    pub fn is_launched(self) -> bool {
        self.launched
    }

    /// The rows whose workers run inside gilfree's process or its forks:
    /// what `--backend all` selects, and what the tests that run every
    /// backend in the test process use.
    pub fn in_process() -> impl Iterator<Item = BackendKind> {
        BackendKind::ALL
            .iter()
            .copied()
            .filter(|kind| !kind.launched)
    }

    /// The built-in backend called `name` (case-insensitive), if any.
    pub fn named(name: &str) -> Option<BackendKind> {
        BackendKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
    }

    /// What the backend is.
    pub fn profile(self) -> Profile {
        self.profile
    }

    /// The name `--backend` accepts.
    pub fn name(self) -> &'static str {
        self.profile.name
    }

    /// One line saying how the backend runs its workers.
    pub fn description(self) -> &'static str {
        self.profile.description
    }

    /// Makes the backend.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an option the backend cannot take (a
    /// rayon pool of zero threads, a zero switch interval), and
    /// [`Error::Setup`] when it cannot be made (the pool's threads).
    pub fn build(self, options: &BackendOptions) -> Result<Box<dyn Backend>, Error> {
        (self.build)(options)
    }

    /// Comma-separated names of every backend, for messages and help.
    pub fn names() -> String {
        let names: Vec<&str> = BackendKind::ALL.iter().map(|kind| kind.name()).collect();
        names.join(", ")
    }

    /// The position in the registry.
    fn position(self) -> usize {
        BackendKind::ALL
            .iter()
            .position(|kind| kind.name() == self.name())
            .unwrap_or(usize::MAX)
    }
}

impl PartialEq for BackendKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for BackendKind {}

impl PartialOrd for BackendKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BackendKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.position()
            .cmp(&other.position())
            .then_with(|| self.name().cmp(other.name()))
    }
}

impl fmt::Debug for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendKind({})", self.name())
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
        BackendKind::named(name).ok_or_else(|| UnknownBackend(name.to_owned()))
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

    #[test]
    fn every_kind_parses_from_its_name_and_builds_a_backend_of_that_name() {
        for &kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<BackendKind>(), Ok(kind));
            let backend = kind.build(&BackendOptions::default()).unwrap();
            assert_eq!(backend.name(), kind.name());
            assert_eq!(backend.profile(), kind.profile());
            assert!(!backend.description().is_empty());
        }
    }

    #[test]
    fn the_registry_has_unique_names_and_the_baseline_first() {
        let mut names: Vec<&str> = BackendKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names[0], SequentialBackend.name());
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BackendKind::ALL.len());
        let mut sorted = BackendKind::ALL.to_vec();
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, BackendKind::ALL);
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let err = "fibers".parse::<BackendKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "unknown backend 'fibers' (valid: all, {})",
                BackendKind::names()
            )
        );
        assert!(BackendKind::names().starts_with("sequential, gil, threads"));
    }
}
