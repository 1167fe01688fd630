//! What gilfree concludes from a run's figures, computed in one place.
//!
//! Every conclusion that a table note, `--explain`, the lesson, the HTML
//! page or a picture's title states is a [`Finding`] computed here from the
//! [`Report`](super::Report) (or a [`SweepFinding`] from the
//! [`Sweep`](super::sweep::Sweep)): which rows lost
//! cores to other programs, which took turns on a lock and which ran in
//! parallel, which speedups exceed what the cores allow and why, which
//! medians are not settled, whether the job was too short to show scaling.
//! `render/` only puts findings into words; it never compares a figure with
//! a threshold or a backend's name with a string, so that every view of one
//! run states the same conclusions.
//!
//! What a row *is* — whether its workers run one after another, take turns
//! on a lock, or run at once — comes from its
//! [`Profile`](crate::backend::Profile), never from its
//! name. What it *did* comes from its figures, against the thresholds
//! below, each argued where it is defined: first from the time accounting
//! ([`super::accounting`]) — whether its workers were running, waiting for
//! a core or blocked — which tells a lock from a busy machine whatever the
//! load; where a row was not accounted (a launched rank), from its CPU.

//!
//! The files: this one defines the findings and their thresholds,
//! `report.rs` computes a report's ([`Report::findings`](super::Report::findings)),
//! `sweep.rs` a sweep's ([`Sweep::findings`](super::sweep::Sweep::findings)).

use std::time::Duration;

use super::accounting::Shares;
use super::result::Contended;
use crate::backend::{Language, Lock};

mod report;
mod sweep;

pub use self::sweep::{FlatCause, SweepFinding};

/// Below this wall time of Rust's sequential row the job is so short that
/// starting threads (~30 µs each) and processes (~130 µs each) is a
/// visible share of it, and scaling cannot show.
pub const SHORT_JOB: Duration = Duration::from_millis(50);

/// Above this spread between a row's fastest and slowest run, relative to
/// its median, the figures are too noisy to trust to the percent.
pub const WIDE_SPREAD: f64 = 0.25;

/// Above this, a Python run is longer than a class or a benchmark session
/// will wait for, and the advice is to run the Rust rows on their own.
pub const LONGEST_PYTHON_RUN: Duration = Duration::from_secs(10);

/// Below this many cores busy, a row whose workers could use several
/// "kept about one core busy": one core is what a lock allows, and the
/// waiting threads and hand-overs add a little; 1.3 is well clear of both
/// one core and the 1.9 or so that two parallel workers reach.
pub const ONE_CORE: f64 = 1.3;

/// From this share of the cores a row could use, kept busy, it "kept its
/// cores busy": a parallel row on a quiet machine reaches 0.95 and more;
/// below three quarters something other than the work held it back.
pub const BUSY_SHARE: f64 = 0.75;

/// From this share of their summed lives asleep, the workers of a row whose
/// profile says they take turns on a lock did: a worker that only computes
/// never sleeps — Rust's threads and forked processes and CPython's pool
/// processes read 0.00–0.03 blocked on this machine, quiet or loaded
/// (tests/accounting.rs) — while a worker waiting for the lock sleeps a
/// switch interval (5 ms) between its requests. The busier the machine,
/// the longer each wake-up then waits for a core, so the blocked share falls
/// with the load: CPython's eight threads under the GIL read 0.55–0.80
/// with zero to two busy loops per core, 0.39 with a parallel test suite on
/// top; the emulated `gil`, whose waiters wake as CPython's do, 0.21 at a
/// load average of 8 on 2 cores, the worst seen. A tenth is three times the
/// free workers' most and half the lock's least.
pub const TURNS_BLOCKED: f64 = 0.10;

/// From this share of their lives asleep, the workers of a row meant to run
/// at once waited for each other on a lock of their own: most of their
/// lives. A free-threaded CPython 3.13's threads read 0.17, paused by its
/// stop-the-world garbage collections, and run at once otherwise; threads
/// taking turns on a `Mutex` without a timeout sleep until woken and read
/// 0.5 and more, quiet or loaded.
pub const LOCKED_BLOCKED: f64 = 0.5;

/// Below this mean life of a row's workers their accounting is not read:
/// each worker's own two readings (a file opened and read, about 6 µs, and
/// able to sleep on the kernel's locks) and its thread's start are then a
/// visible share of its life. Measured here: Rust's threads drawing 150,000
/// numbers each (lives of about 60 µs) read 35 % blocked, drawing 3 million
/// (about 1 ms) 3 %. Such a job is too short to show scaling anyway
/// ([`SHORT_JOB`]); its rows are read from their CPU.
pub const MIN_ACCOUNTED_LIFE: Duration = Duration::from_millis(1);

/// What the time accounting says of a row, over all its runs: the figures
/// a reading drawn from it is worded with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accounted {
    /// The workers' lives' shares: running, waiting for a core, blocked.
    pub shares: Shares,
    /// Threads wanting to run at once, on average over the runs' wall.
    pub wanting: f64,
    /// Cores the workers ran on, on average over the runs' wall.
    pub running_cores: f64,
    /// The distinct threads (or worker processes) accounted.
    pub threads: usize,
}

/// A conclusion drawn from a run's figures. Rows are named by their
/// backend's name; their figures are in the report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Finding {
    /// Other programs (or the hypervisor) took at least
    /// [`CONTENTION_WARNING`](super::CONTENTION_WARNING) of the cores the
    /// row could use: its wall time, CPU and speedup show a shared machine.
    Contended {
        /// The row.
        row: &'static str,
        /// What it lost, and the readings.
        contended: Contended,
        /// The cores it could use ([`Report::usable_parallelism`](super::Report::usable_parallelism)).
        usable_cores: usize,
    },
    /// A language's sequential row was itself contended: every speedup of
    /// that language divides by a slowed baseline.
    BaselineSlowed {
        /// The baseline row.
        row: &'static str,
        /// Its language.
        language: Language,
    },
    /// A row's workers took turns: accounted, those of a row whose profile
    /// names a lock were blocked at least [`TURNS_BLOCKED`] of their lives,
    /// those of a row meant to run at once at least [`LOCKED_BLOCKED`]
    /// (whatever other programs did: those make workers wait for a core,
    /// not sleep); not accounted, a row whose workers take turns on a lock
    /// kept about one core busy (below [`ONE_CORE`]) although its workers
    /// could have used several.
    TookTurns {
        /// The row.
        row: &'static str,
        /// The lock its profile names, `None` for a row whose workers were
        /// meant to run at once (they waited for each other on a lock of
        /// their own).
        lock: Option<Lock>,
        /// The accounting it was read from, `None` when it was read from
        /// the CPU.
        accounted: Option<Accounted>,
    },
    /// A row whose workers took turns on a lock kept more than one core
    /// busy ([`ONE_CORE`]): the CPU beyond one went to the lock's
    /// hand-overs and waiting threads (the emulated lock), or to the
    /// interpreter's own work outside the GIL.
    TurnsCostCpu {
        /// The row.
        row: &'static str,
        /// The lock.
        lock: Lock,
        /// The accounting it was read from, if any.
        accounted: Option<Accounted>,
    },
    /// CPython's threads, with the GIL disabled (a free-threaded build),
    /// ran Python code at the same time: accounted, they were mostly
    /// running or waiting for a core (blocked below [`LOCKED_BLOCKED`]) and
    /// not short of cores; not accounted, they kept more than one core busy.
    FreeThreads {
        /// The row.
        row: &'static str,
        /// The accounting it was read from, if any.
        accounted: Option<Accounted>,
    },
    /// A row's workers ran at once (they did not take turns) but waited
    /// for cores that other programs had: of
    /// the cores they wanted, up to the cores they could use, they ran on
    /// [`CONTENTION_WARNING`](super::CONTENTION_WARNING) or more fewer.
    /// Contention, not a lock: the row's wall time and speedup understate
    /// it.
    WaitedForCores {
        /// The row.
        row: &'static str,
        /// The accounting it was read from.
        accounted: Accounted,
        /// Cores the workers wanted (up to the cores they could use) but
        /// did not run on, on average while they computed.
        lost_cores: f64,
        /// The cores they could use: `min(parallelism, logical cores)`.
        usable_cores: usize,
    },
    /// Other programs took so much of the cores of a row whose threads
    /// share one interpreter that this run cannot show what the GIL (or its
    /// absence) does to them.
    CannotTell {
        /// The row.
        row: &'static str,
        /// The lock its threads take turns on, `None` when the interpreter
        /// reports the GIL disabled.
        lock: Option<Lock>,
    },
    /// Rows of one language whose workers run at once kept at least
    /// [`BUSY_SHARE`] of the cores they could use busy.
    RanInParallel {
        /// The rows' language.
        language: Language,
        /// The rows, in report order.
        rows: Vec<&'static str>,
        /// The most speedup their workers allow on this machine:
        /// `min(workers, logical cores)`.
        ceiling: usize,
        /// Whether one of them ran faster than that ([`Finding::AboveCeiling`]).
        ceiling_exceeded: bool,
    },
    /// A row whose workers could run at once on several cores kept fewer
    /// than [`BUSY_SHARE`] of them busy (or, for CPython's threads without
    /// the GIL, fewer than [`ONE_CORE`]).
    FewCores {
        /// The row.
        row: &'static str,
        /// Why.
        cause: FewCoresCause,
    },
    /// A row's speedup is above what its cores allow: more than
    /// `min(parallelism, logical cores)`.
    AboveCeiling {
        /// The row.
        row: &'static str,
        /// Its speedup.
        speedup: f64,
        /// What its cores allow.
        ceiling: usize,
        /// Why, as far as the figures tell.
        cause: AboveCeilingCause,
    },
    /// Rust's sequential row took less than [`SHORT_JOB`]: starting the
    /// workers is a visible share of every run.
    TooShort(Advice),
    /// Within a job that short, forked processes took measurably longer
    /// than threads: the price of fork, a pipe and waiting for each child.
    ProcessStartCost {
        /// The process row.
        process: &'static str,
        /// The thread row it is set against.
        threads: &'static str,
        /// How much longer its median run took.
        extra: Duration,
        /// `extra` per worker.
        per_worker: Duration,
    },
    /// More workers than logical cores, for rows whose workers run at once:
    /// beyond the cores, more workers only take turns.
    Oversubscribed {
        /// Workers.
        workers: usize,
        /// Logical cores.
        cores: usize,
        /// Whether some row's speedup exceeds the cores anyway
        /// ([`Finding::AboveCeiling`]).
        ceiling_exceeded: bool,
    },
    /// With `--materialize`, the numbers cost memory: the row that peaked
    /// highest, against the sequential row.
    MaterializedMemory {
        /// The row with the highest peak.
        row: &'static str,
        /// Its peak, in bytes.
        peak_bytes: u64,
        /// The sequential row's peak, in bytes.
        baseline_peak_bytes: u64,
    },
    /// Rows whose fastest and slowest runs differ by more than
    /// [`WIDE_SPREAD`] of their median.
    Noisy {
        /// Each row and its spread ((slowest − fastest) ÷ median).
        rows: Vec<(&'static str, f64)>,
        /// The widest spread of every row, these or not.
        widest: f64,
    },
    /// Rows with statistical outliers among their wall times.
    Outliers {
        /// Each row, its outliers and its runs.
        rows: Vec<(&'static str, usize, usize)>,
    },
    /// Rows whose median was still not known to the plan's precision after
    /// its most runs.
    Unsettled {
        /// Each row and the half-width of its median's 95 % interval,
        /// relative to the median.
        rows: Vec<(&'static str, f64)>,
    },
    /// A row whose workers handed their numbers back spent longer moving
    /// them than drawing them: summed over its workers, the time their
    /// numbers were on the way (from each worker's finish to the parent
    /// having them) exceeds the time they spent drawing. Moving, not
    /// computing, is then what the row's wall time is mostly about.
    MovingDominated {
        /// The row.
        row: &'static str,
        /// Its median run's time on the way, summed over the workers.
        moving: Duration,
        /// Its median run's drawing time, summed over the workers.
        computing: Duration,
        /// The bytes moved in a run.
        bytes: u64,
        /// Copies of each byte on the way.
        copies: u32,
    },
    /// Two rows of the same language whose workers are processes, one
    /// copying the numbers back (a pipe, pickling) and one sharing them
    /// (zero-copy), ran on the same workload: what copying added to the
    /// wall time, against what the sharing processes gained over their
    /// language's sequential row. Made only when the difference stands out
    /// of both rows' own spread.
    CopyCost {
        /// The copying row.
        copying: &'static str,
        /// The sharing row.
        sharing: &'static str,
        /// Their language's sequential row.
        baseline: &'static str,
        /// The bytes moved in a run.
        bytes: u64,
        /// How much longer the copying row's median run took.
        extra: Duration,
        /// How much shorter the sharing row's median run was than the
        /// baseline's; `None` when it was not shorter: the processes gained
        /// nothing for copying to eat.
        gain: Option<Duration>,
        /// Whether copying cost at least the whole gain: the copying row
        /// ran no faster than one worker after another.
        ate_gain: bool,
        /// From the figures: the bytes a number would have to take for
        /// copying to cost the whole gain — `(gain per number) ÷ (extra
        /// per byte)`. `None` without a gain.
        crossover_width: Option<f64>,
    },
    /// CPython's sequential program ran on a free-threaded build with its
    /// GIL disabled and, beside it, with the GIL (the same build with
    /// `PYTHON_GIL=1`, or a build with the GIL): what running without the
    /// GIL costs a single thread.
    SingleThreadCost {
        /// The row without the GIL.
        free: &'static str,
        /// The row with it.
        with_gil: &'static str,
        /// `free`'s median wall ÷ `with_gil`'s: above 1, the free-threaded
        /// build is slower on one thread.
        ratio: f64,
        /// Whether both rows ran the same interpreter (its GIL switched on
        /// for one of them).
        same_build: bool,
    },
    /// A row whose workers ran in programs launched for each run (mpi):
    /// its typical run's wall split into launch, compute and collection.
    Launched {
        /// The row.
        row: &'static str,
        /// The split of its typical run.
        split: LaunchSplit,
        /// Whether launching took longer than computing.
        launch_dominated: bool,
    },
}

/// Why a row that could use several cores used few ([`Finding::FewCores`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FewCoresCause {
    /// Other programs took them.
    Contended(Contended),
    /// The job was so short that starting the workers was a large share.
    ShortJob,
    /// Its workers were not all computing at once for much of the run.
    NotAtOnce,
}

/// Why a speedup is above what the cores allow ([`Finding::AboveCeiling`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum AboveCeilingCause {
    /// The baseline lost cores to other programs: it ran slower than it
    /// could, and every ratio against it is inflated.
    BaselineSlowed,
    /// The runs were shorter than [`SHORT_JOB`]: starting the workers, the
    /// sampler and the clock's granularity are a visible share of them, and
    /// a ratio of two such times is not all parallelism.
    TooShortToTime {
        /// The shorter of the two rows' median wall times.
        shortest: Duration,
    },
    /// The baseline spent more CPU time per number than the row did (a
    /// cache, a clock, an interpreter warming up): the ratio is of two
    /// different amounts of work per number.
    BaselineWorkedHarder {
        /// The baseline's median CPU time per number.
        baseline_per_number: Duration,
        /// The row's median CPU time per number.
        row_per_number: Duration,
    },
    /// The figures do not say.
    Unexplained,
}

/// A typical run of a launched row, split up ([`Finding::Launched`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchSplit {
    /// The run's wall time.
    pub wall: Duration,
    /// From the run's start until the first worker was ready (the launcher,
    /// the ranks' start, `MPI_Init`, the start barrier).
    pub launch: Duration,
    /// From the first worker's start to the last one's finish.
    pub compute: Duration,
    /// The rest: gathering, finalizing, the launcher's end.
    pub collection: Duration,
}

/// A `--count` that would let the scaling show, and what it would cost
/// ([`Finding::TooShort`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    /// The count suggested.
    pub count: u64,
    /// Rust's sequential row now, per run.
    pub sequential_now: Duration,
    /// Rust's sequential row at `count`, per run, about.
    pub sequential: Duration,
    /// Python's sequential row at `count`, per run, about (with Python rows).
    pub python: Option<Duration>,
    /// Python's sequential row now, per run.
    pub python_now: Option<Duration>,
    /// The whole command at `count`, about: every row's runs, scaled.
    pub command: Duration,
}

impl Advice {
    /// Whether a Python run at the suggested count would take longer than
    /// [`LONGEST_PYTHON_RUN`]: then the Rust rows should run alone.
    pub fn python_too_long(&self) -> bool {
        self.python.is_some_and(|p| p > LONGEST_PYTHON_RUN)
    }
}

impl Finding {
    /// The row the finding is about, for findings about one row.
    pub fn row(&self) -> Option<&'static str> {
        match self {
            Finding::Contended { row, .. }
            | Finding::BaselineSlowed { row, .. }
            | Finding::TookTurns { row, .. }
            | Finding::TurnsCostCpu { row, .. }
            | Finding::FreeThreads { row, .. }
            | Finding::WaitedForCores { row, .. }
            | Finding::CannotTell { row, .. }
            | Finding::FewCores { row, .. }
            | Finding::AboveCeiling { row, .. }
            | Finding::MaterializedMemory { row, .. }
            | Finding::MovingDominated { row, .. }
            | Finding::CopyCost { copying: row, .. }
            | Finding::Launched { row, .. } => Some(row),
            _ => None,
        }
    }

    /// Whether the finding is that other programs bent the figures.
    pub fn is_contention(&self) -> bool {
        matches!(
            self,
            Finding::Contended { .. } | Finding::BaselineSlowed { .. } | Finding::CannotTell { .. }
        )
    }
}

/// The findings of one report, in the order the explanation states them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// Every finding.
    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.0.iter()
    }

    /// The findings about `row`.
    pub fn of(&self, row: &str) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(move |f| f.row() == Some(row))
    }

    /// Whether other programs took cores from `row`.
    pub fn contended(&self, row: &str) -> Option<&Contended> {
        self.of(row).find_map(|f| match f {
            Finding::Contended { contended, .. } => Some(contended),
            _ => None,
        })
    }

    /// Every row other programs took cores from.
    pub fn contended_rows(&self) -> Vec<(&'static str, &Contended)> {
        self.0
            .iter()
            .filter_map(|f| match f {
                Finding::Contended { row, contended, .. } => Some((*row, contended)),
                _ => None,
            })
            .collect()
    }

    /// What the findings say of the way `row`'s workers used the cores: the
    /// one finding among took turns, turns cost CPU, free threads, waited
    /// for cores, cannot tell and few cores; or that it ran in parallel.
    pub fn reading(&self, row: &str) -> Option<&Finding> {
        self.0.iter().find(|f| match f {
            Finding::RanInParallel { rows, .. } => rows.contains(&row),
            Finding::TookTurns { row: r, .. }
            | Finding::TurnsCostCpu { row: r, .. }
            | Finding::FreeThreads { row: r, .. }
            | Finding::WaitedForCores { row: r, .. }
            | Finding::CannotTell { row: r, .. }
            | Finding::FewCores { row: r, .. } => *r == row,
            _ => false,
        })
    }

    /// The advice, when the job was too short.
    pub fn too_short(&self) -> Option<&Advice> {
        self.0.iter().find_map(|f| match f {
            Finding::TooShort(advice) => Some(advice),
            _ => None,
        })
    }

    /// Whether a finding of this kind is among them.
    pub fn any(&self, matches: impl Fn(&Finding) -> bool) -> bool {
        self.0.iter().any(matches)
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
