//! The command line's types: what `gilfree`, `gilfree sweep`, `gilfree
//! lesson` and `gilfree compare` accept ([`parse`](super::parse) holds the
//! parsers of their values). The backends' names and help come from the
//! registry, [`BackendKind::ALL`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gilfree::backend::BackendKind;
use gilfree::kernel::Return;
use gilfree::measure::{MAX_RUNS, Plan, Timeout};
use gilfree::{Error, Generator, Simd, WorkloadSpec};

#[cfg(feature = "mpi")]
use super::parse::{Launcher, LauncherKind, parse_launch_timeout, parse_launcher};
use super::parse::{parse_backends, parse_count, parse_interval, parse_timeout, parse_usize};

const COLUMNS_HELP: &str = "\
Columns of the table:
  backend     how the workers ran (--list-backends describes each)
  wall        median wall-clock time of the measured runs; 'wall min' is the fastest
  user, sys   median CPU time in user and kernel mode, of this process and of the
              child processes reaped during the run (so forked workers count)
  CPU         (user + sys) / wall, as a percentage of one core, as `time` prints it:
              100% = one core busy, 200% = two
  speedup     median wall of the sequential row of the row's own language / this
              row's median wall
  efficiency  speedup / min(workers able to run at once, logical cores); 100% = every
              usable core did useful work all the time
  numbers/s   workers × count / median wall
  sums        ✓ when every measured run gave every worker the same sum as the
              sequential baseline; otherwise ✗ and the exit code is 1; n/c for the
              Python rows when they draw other numbers (without --rng python)

  others      cores other programs kept busy during the backend's runs, on average,
              steal included: the machine's busy time (/proc/stat) minus gilfree's
              own process tree's; a warning follows when they took 10% or more of
              the cores a row could use (that row then ran about that much slower)

Speedup and Summary: each row is read against the sequential row of its own
language — Rust rows against sequential, Python rows against python-sequential.
'X ran S× faster than sequential (95% CI a–b×)': S the ratio of the median wall
times, a–b its 95% confidence interval by bootstrap (2000 resamples of each row's
runs, percentile method); with fewer than 3 runs no interval can be given.
Runs: 5 to 20 per backend, in rounds, until each median is known to ±2% at 95%
confidence (--min-runs, --max-runs), or exactly --runs N.
Memory: peak resident set size of this process during each backend's runs, and of
the largest worker process where workers are processes.

The sequential backend always runs: it is the baseline for speedup and the oracle
for the sums. The export formats are described in docs/export-schema.md.
Numbers (--count, --workers, --runs, --warmup, --threads): digits, optionally in
groups joined by single underscores, and an optional suffix k, M or G (either
case) for thousands, millions or billions: 1000000, 1_000_000 and 1M are equal;
spaces around a number are ignored.

Output files (exports, --timeline-svg) are checked before the run and replaced
whole after it, or left as they were; devices and FIFOs are written as streams.
Exit codes: 0 success, 1 a run failed (or compare found differing sums for the
same workload), 2 invalid arguments, 128 + N stopped by signal N (130 Ctrl-C),
141 the reader of standard output went away (files were still written).";

/// Run the book's parallel-sum workload (8 workers × 1,000,000 random integers in
/// [1, 100], from "The Hacker's Guide to Python", chapter 11) on threads, channels,
/// rayon and forked processes, and measure how each scales against a sequential
/// baseline.
#[derive(Debug, Parser)]
#[command(
    name = "gilfree",
    version,
    about,
    after_long_help = COLUMNS_HELP,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    #[command(flatten)]
    pub(crate) args: Args,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compare two JSON exports (from --export-json): per backend, the ratio of
    /// median wall times new/old and a verdict from a Mann–Whitney U test
    /// (faster, slower, or ~ when not significant at p < 0.05, with p and the
    /// run counts), both speedups, and every difference in workload, machine
    /// and version.
    Compare {
        /// The earlier export.
        #[arg(value_name = "OLD.json")]
        old: PathBuf,
        /// The later export.
        #[arg(value_name = "NEW.json")]
        new: PathBuf,
    },
    /// Run each backend over a list of worker counts and show how it scales:
    /// speedup against one worker, efficiency, CPU and the Karp–Flatt serial
    /// fraction, per backend; --plot draws speedup against workers.
    Sweep(Box<SweepArgs>),
    /// The book's experiment as a class sees it, in about a minute: the
    /// emulated gil, threads and processes in Rust and the book's three
    /// Python programs, all drawing CPython's numbers, the work chosen for
    /// this machine; one screen of output, and with --svg and --html the
    /// pictures for a projector.
    Lesson(LessonArgs),
    /// One MPI rank of the mpi backend, as its launcher starts it (hidden:
    /// not for people to type).
    #[cfg(feature = "mpi")]
    #[command(name = "mpi-rank", hide = true)]
    MpiRank(RankArgs),
    /// The mpi backend's supervisor of its launcher (hidden).
    #[cfg(feature = "mpi")]
    #[command(name = "mpi-launch", hide = true)]
    MpiLaunch {
        /// The run's directory for OpenMPI's files, removed at the end.
        #[arg(long)]
        dir: PathBuf,
        /// The launcher's command and arguments.
        #[arg(last = true, required = true)]
        launcher: Vec<String>,
    },
    /// The mpi backend's supervisor of the launcher's daemon on another
    /// host (hidden; OpenMPI starts it as its launch agent).
    #[cfg(feature = "mpi")]
    #[command(name = "mpi-host", hide = true)]
    MpiHost {
        /// The run's directory on this host, removed at the end if this
        /// process made it.
        #[arg(long)]
        dir: PathBuf,
        /// The daemon's command and arguments.
        #[arg(last = true, required = true)]
        daemon: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct LessonArgs {
    /// The interpreter of the Python rows [default: python3; without one
    /// the lesson runs the Rust rows and says so]. A python3.13t
    /// (free-threaded) shows the second half of the story: threads without
    /// the GIL.
    #[arg(long, value_name = "INTERPRETER", conflicts_with = "no_python")]
    pub(crate) python: Option<String>,

    /// Leave the Python rows out.
    #[arg(long)]
    pub(crate) no_python: bool,

    /// Workers per row.
    #[arg(
        short,
        long,
        default_value = "8",
        allow_negative_numbers = true,
        value_name = "N",
        value_parser = parse_usize
    )]
    pub(crate) workers: usize,

    /// Seed of every worker's stream (the book's year by default, so that a
    /// class sees the same sums on every machine).
    #[arg(
        short,
        long,
        default_value = "2015",
        allow_negative_numbers = true,
        value_name = "U64"
    )]
    pub(crate) seed: u64,

    /// Numbers per worker, instead of the calibrated count.
    #[arg(short = 'n', long, allow_negative_numbers = true, value_name = "N", value_parser = parse_count)]
    pub(crate) count: Option<u64>,

    /// Write the "cores busy over time" picture (SVG, 1280×720) to FILE.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) svg: Option<PathBuf>,

    /// Write the "where the workers' time went" picture (SVG, 1280×720) to
    /// FILE: a bar per row, its workers' lives split into running, waiting
    /// for a core and blocked — the slide that shows the GIL.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) time_svg: Option<PathBuf>,

    /// Write the whole lesson as one self-contained HTML page to FILE: the
    /// table, the explanation, the where-the-time-went and cores-busy
    /// pictures and the timelines.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) html: Option<PathBuf>,

    /// Measure without the sampler (no cores-busy picture then).
    #[arg(long)]
    pub(crate) no_sampler: bool,

    /// How long one run may take, the calibration's included: a duration
    /// (90s, 5m), auto (a minute for each calibration run; for the rows, a
    /// thousand times the first row's run and at least a minute) or none.
    #[arg(long, default_value = "auto", value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Timeout,

    /// A second act after the first: the other half of the trade. Every
    /// worker hands its numbers back (--return numbers, a byte each):
    /// threads sharing one buffer against processes copying through pipes
    /// against processes sharing memory, with the bytes and the time each
    /// took, against this machine's memcpy.
    #[arg(long)]
    pub(crate) transfer: bool,

    /// Numbers per worker in the second act [default: 50M: 400 MB a run].
    #[arg(long, value_name = "N", value_parser = parse_count, requires = "transfer")]
    pub(crate) transfer_count: Option<u64>,

    /// Write the second act's picture of where the time went (SVG,
    /// 1280×720) to FILE.
    #[arg(long, value_name = "FILE.svg", requires = "transfer")]
    pub(crate) transfer_svg: Option<PathBuf>,
}

/// The workload of one MPI rank, as the mpi backend passes it.
#[cfg(feature = "mpi")]
#[derive(Debug, clap::Args)]
pub(crate) struct RankArgs {
    #[arg(long, value_parser = parse_usize)]
    pub(crate) workers: usize,
    #[arg(long, value_parser = parse_count)]
    pub(crate) count: u64,
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) low: i64,
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) high: i64,
    #[arg(long)]
    pub(crate) seed: u64,
    /// The generator's name (`Generator::name`).
    #[arg(long)]
    pub(crate) generator: String,
    #[arg(long)]
    pub(crate) materialize: bool,
    /// What the ranks hand back (`Return::name`); sums unless given.
    #[arg(long = "return")]
    pub(crate) returns: Option<String>,
    /// The run's directory (for OpenMPI's shared-memory files where it
    /// exists on this host).
    #[arg(long)]
    pub(crate) dir: Option<PathBuf>,
    /// The SIMD path the driver was told to take (GILFREE_SIMD).
    #[arg(long)]
    pub(crate) simd: Option<String>,
    /// The driver's process, `PID:START` (to tell whether its getrusage
    /// counts this rank).
    #[arg(long)]
    pub(crate) driver: Option<String>,
    /// The driver's boot id.
    #[arg(long)]
    pub(crate) driver_boot_id: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    #[arg(short, long = "backend", value_name = "NAME", value_delimiter = ',', value_parser = parse_backends, help = sweep_backend_help())]
    pub(crate) backends: Vec<Vec<BackendKind>>,

    /// Worker counts, comma-separated [default: 1, 2, 4, … up to twice the
    /// logical cores]. 1 is always measured: it is the reference.
    #[arg(short, long, value_name = "N,N,…", value_delimiter = ',', value_parser = parse_usize)]
    pub(crate) workers: Vec<usize>,

    /// weak: each worker draws --count numbers (the book's setup); strong:
    /// --count numbers in all, divided evenly among the workers (a --count
    /// that some worker count does not divide is refused).
    #[arg(long, value_enum, default_value = "weak")]
    pub(crate) scaling: ScalingArg,

    /// Sweep the numbers per worker instead of the workers: each count
    /// (1M,10M,50M …) a whole run, the sequential baseline and the sums
    /// included, every row's speedup against sequential at that count. With
    /// --return numbers the plot's axis is the bytes each worker hands
    /// back, and where a row stops paying for its copies shows as a curve
    /// crossing 1×. -w then gives the one worker count [default: 8]; -n,
    /// --scaling strong, --python and --export-html belong to the worker
    /// sweep and are refused with it.
    #[arg(
        long,
        value_name = "N,N,…",
        value_delimiter = ',',
        value_parser = parse_count,
        conflicts_with_all = ["count", "python", "export_html"]
    )]
    pub(crate) counts: Vec<u64>,

    /// Numbers per worker (weak) or in all (strong); 200M, 200_000_000 …
    /// [default: sized so that one worker takes about 0.3 s on this machine;
    /// with --python 1M, so that a Python run takes about a second]
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_count)]
    pub(crate) count: Option<u64>,

    #[command(flatten)]
    pub(crate) runs: RunCount,

    /// Draw speedup against workers, a line per backend, as an SVG picture.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) plot: Option<PathBuf>,

    /// Write the sweep as one self-contained HTML page: the plot and the
    /// tables.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) export_html: Option<PathBuf>,

    /// Also sweep CPython's threads and processes (INTERPRETER, default
    /// python3), each against its own one-worker run. Mind the count: a
    /// Python worker draws about a million numbers a second.
    #[arg(long, value_name = "INTERPRETER", num_args = 0..=1)]
    pub(crate) python: Option<Option<String>>,

    #[command(flatten)]
    pub(crate) common: Common,
}

/// `--rng`'s values: one per [`Generator`], named for the command line; the
/// names reports print are accepted too.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RngArg {
    /// xoshiro256++x8: eight xoshiro256++ lanes per worker, drawn through the
    /// widest SIMD path the CPU has (the default)
    #[value(name = "xoshiro-x8", alias = "xoshiro256++x8")]
    XoshiroX8,
    /// xoshiro256++: one lane per worker (the default of earlier releases)
    #[value(alias = "xoshiro256++")]
    Xoshiro,
    /// CPython's MT19937 and randint, bit for bit
    Python,
    /// rand's StdRng and random_range, as idiomatic Rust draws them
    Rand,
}

impl RngArg {
    fn generator(self) -> Generator {
        match self {
            RngArg::XoshiroX8 => Generator::Xoshiro256PlusPlusX8,
            RngArg::Xoshiro => Generator::Xoshiro256PlusPlus,
            RngArg::Python => Generator::Python,
            RngArg::Rand => Generator::Rand,
        }
    }
}

/// `--return`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReturnArg {
    /// each worker's sum
    Sums,
    /// every number, summed by the parent
    Numbers,
}

impl ReturnArg {
    pub(crate) fn returns(self) -> Return {
        match self {
            ReturnArg::Sums => Return::Sums,
            ReturnArg::Numbers => Return::Numbers,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TimelineScaleArg {
    Shared,
    Own,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScalingArg {
    Weak,
    Strong,
}

/// Options shared by a run and a sweep.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// Smallest number that can be drawn (inclusive; may be negative).
    #[arg(
        long,
        default_value_t = 1,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    pub(crate) low: i64,

    /// Largest number that can be drawn (inclusive; may be negative).
    #[arg(
        long,
        default_value_t = 100,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    pub(crate) high: i64,

    /// Seed of every worker's stream. Without it a seed is drawn from the OS
    /// and printed, so that the run can be repeated exactly.
    #[arg(short, long, allow_negative_numbers = true, value_name = "U64")]
    pub(crate) seed: Option<u64>,

    /// Unmeasured warm-up runs per backend before the measured ones.
    #[arg(
        long,
        default_value = "1",
        allow_negative_numbers = true,
        value_name = "N",
        value_parser = parse_usize
    )]
    pub(crate) warmup: usize,

    /// Threads in the rayon pool [default: logical cores].
    #[arg(short, long, allow_negative_numbers = true, value_name = "N", value_parser = parse_usize)]
    pub(crate) threads: Option<usize>,

    /// The generator: xoshiro-x8 (eight xoshiro256++ lanes per worker, the
    /// fast default, drawn through the widest SIMD path the CPU has; the
    /// environment variable GILFREE_SIMD=scalar|avx2|avx512 forces a path,
    /// with the same numbers), xoshiro (one xoshiro256++ lane, the default of
    /// earlier releases), python (CPython's MT19937 and randint, bit for bit:
    /// worker i of seed s draws what random.Random((s << 32) + i).randint(low,
    /// high) draws) or rand (rand's StdRng and random_range, the idiomatic
    /// baseline).
    #[arg(
        long,
        value_enum,
        default_value = "xoshiro-x8",
        value_name = "GENERATOR"
    )]
    pub(crate) rng: RngArg,

    /// How often the gil backend's lock holder offers the lock to the waiting
    /// workers, like CPython's sys.setswitchinterval: 5ms, 500us, 0.01s (a
    /// number and its unit, as every duration).
    #[arg(long, default_value = "5ms", value_name = "DURATION", value_parser = parse_interval, allow_hyphen_values = true)]
    pub(crate) switch_interval: std::time::Duration,

    /// Build each worker's numbers into a vector before summing them, as the
    /// book's list comprehension does (costs count × 8 bytes per worker).
    #[arg(long)]
    pub(crate) materialize: bool,

    /// What each worker hands back to the parent: its sum (the book's), or
    /// all its numbers, which the parent sums — each as its offset from
    /// --low in the fewest bytes that hold the range (1 byte for 1..=100),
    /// count × that per worker. Threads write them into one buffer the
    /// parent owns; process copies them through its pipes, process-shared
    /// writes them into memory shared with the parent; the report says what
    /// moving them cost.
    #[arg(
        long = "return",
        value_enum,
        default_value = "sums",
        value_name = "WHAT"
    )]
    pub(crate) returns: ReturnArg,

    /// Measure without the sampler: the thread that, during every measured
    /// run, reads /proc to account for the CPU other programs took (the
    /// table's "others" column, the contention warnings). Its cost is about
    /// half a percent of one core (README: "Other programs").
    #[arg(long)]
    pub(crate) no_sampler: bool,

    /// The longest one run of one backend may take: a duration (90s, 5m,
    /// 1h), auto (1000 × the first sequential run, at least 60s) or none.
    /// A run past it has its worker processes killed and fails (exit 1);
    /// it binds the backends whose workers are processes (process, the
    /// python rows): threads cannot be stopped half-way.
    #[arg(long, default_value = "auto", value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Timeout,

    /// The mpi backend's mpirun and its own arguments, as one string that
    /// is split as a shell would (quotes and backslashes work):
    /// "mpiexec --mca plm_rsh_args '-p 2222'". gilfree appends -n WORKERS,
    /// --hostfile and the ranks' command.
    #[cfg(feature = "mpi")]
    /// [default: mpirun]
    #[arg(long, value_name = "CMD ARGS", value_parser = parse_launcher)]
    pub(crate) mpirun: Option<Launcher>,

    /// What starts the mpi backend's ranks: mpirun (on this host or a
    /// --hostfile's, or a Slurm allocation's), or srun (Slurm's own:
    /// srun --mpi=pmix --kill-on-bad-exit=1 -n WORKERS, inside or outside
    /// an allocation).
    #[cfg(feature = "mpi")]
    #[arg(long, value_enum, default_value = "mpirun")]
    pub(crate) launcher: LauncherKind,

    /// How long the mpi backend's launch may take, from the run's start
    /// until every rank has left its start barrier; past it, the run
    /// stops and the error names the hosts that never answered. Apart from
    /// --timeout, which bounds the whole run.
    #[cfg(feature = "mpi")]
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_launch_timeout)]
    pub(crate) launch_timeout: std::time::Duration,

    /// A hostfile for the mpi backend's launcher: the hosts the ranks run
    /// on (`node1 slots=4`, one a line; see docs/mpi.md).
    #[cfg(feature = "mpi")]
    #[arg(long, value_name = "FILE")]
    pub(crate) hostfile: Option<PathBuf>,
}

/// How many measured runs: exactly `--runs`, or from `--min-runs` to
/// `--max-runs` until each median is known well enough.
#[derive(Debug, clap::Args)]
pub(crate) struct RunCount {
    /// Exactly N measured runs per backend (or per point of a sweep),
    /// instead of as many as the medians need.
    #[arg(
        short,
        long,
        allow_negative_numbers = true,
        value_name = "N",
        value_parser = parse_usize,
        conflicts_with_all = ["min_runs", "max_runs"]
    )]
    pub(crate) runs: Option<usize>,

    /// At least N measured runs per backend; more follow, in rounds, until
    /// each backend's median is known to ±2% at 95% confidence (a
    /// distribution-free interval from the runs' order statistics, which
    /// needs 6 runs), or --max-runs is reached [default: 5; sweep: 3].
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = parse_usize)]
    pub(crate) min_runs: Option<usize>,

    /// At most N measured runs per backend [default: 20; sweep: 10].
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = parse_usize)]
    pub(crate) max_runs: Option<usize>,
}

impl RunCount {
    /// The plan: `--runs` exactly, else `--min-runs`..`--max-runs` around
    /// `defaults` (min, max), the one given moving the other if needed.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the option given (`--max-runs 0` is
    /// `max-runs`, not the `runs` of the plan it would make) when a count is
    /// 0 or above [`MAX_RUNS`].
    pub(crate) fn plan(&self, warmup: usize, defaults: (usize, usize)) -> Result<Plan, Error> {
        for (option, value) in [
            ("runs", self.runs),
            ("min-runs", self.min_runs),
            ("max-runs", self.max_runs),
        ] {
            let reason = match value {
                Some(0) => "at least one measured run is needed",
                Some(n) if n > MAX_RUNS => "at most 10000 measured runs are supported",
                _ => continue,
            };
            return Err(Error::InvalidOption {
                option,
                value: value.unwrap_or_default().to_string(),
                reason,
            });
        }
        Ok(match (self.runs, self.min_runs, self.max_runs) {
            (Some(runs), _, _) => Plan::exactly(runs, warmup),
            (None, Some(min), Some(max)) => Plan::until_known(min, max, warmup),
            (None, Some(min), None) => Plan::until_known(min, defaults.1.max(min), warmup),
            (None, None, Some(max)) => Plan::until_known(defaults.0.min(max), max, warmup),
            (None, None, None) => Plan::until_known(defaults.0, defaults.1, warmup),
        })
    }
}

/// `gilfree`'s runs: 5 to 20.
pub(crate) const RUN_DEFAULTS: (usize, usize) = (5, 20);
/// `gilfree sweep`'s runs per point: 3 to 10.
pub(crate) const SWEEP_RUN_DEFAULTS: (usize, usize) = (3, 10);

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[arg(short, long = "backend", value_name = "NAME", value_delimiter = ',', default_value = "all", value_parser = parse_backends, help = backend_help())]
    pub(crate) backends: Vec<Vec<BackendKind>>,

    /// Number of workers (threads or processes) [default: 8; with -b mpi
    /// inside a Slurm allocation, its tasks (SLURM_NTASKS)].
    #[arg(
        short,
        long,
        allow_negative_numbers = true,
        value_name = "N",
        value_parser = parse_usize
    )]
    pub(crate) workers: Option<usize>,

    /// Numbers each worker draws and sums. Accepts 1000000, 1_000_000 or 1M
    /// (suffixes k, M, G); 1M is the book's count. [default: sized so that
    /// the sequential row takes about 0.4 s on this machine, at least 1M;
    /// 1M with --python or --materialize; 50M with --return numbers, 400 MB
    /// a run for 8 workers]
    #[arg(short = 'n', long, allow_negative_numbers = true, value_name = "N", value_parser = parse_count)]
    pub(crate) count: Option<u64>,

    #[command(flatten)]
    pub(crate) common: Common,

    #[command(flatten)]
    pub(crate) runs: RunCount,

    /// List the backends with a line on each, and exit.
    #[arg(long)]
    pub(crate) list_backends: bool,

    /// After the table, draw each backend's workers over time: when each
    /// computed, on which CPU (for gil, only while holding the lock).
    #[arg(long)]
    pub(crate) timeline: bool,

    /// Also run the book's programs in CPython (INTERPRETER, default python3)
    /// as three more rows: python-sequential, python-threads (listing 11-1)
    /// and python-processes (listing 11-2); with --return numbers a fourth,
    /// python-processes-shared (shared_memory). With --rng python their sums must
    /// equal the Rust rows'; otherwise they are timed but not comparable.
    /// An interpreter named here must run the programs (else exit 2); without
    /// a name, a missing python3 only skips the rows, with a note.
    #[arg(long, value_name = "INTERPRETER", num_args = 0..=1)]
    pub(crate) python: Option<Option<String>>,

    /// After the table, a few sentences that read this run's figures: what
    /// the CPU column shows, how far the speedups got, what blurs them.
    #[arg(long)]
    pub(crate) explain: bool,

    /// Write the "cores busy over time" picture (SVG, 1280×720) to FILE: for
    /// one typical run of each backend, the cores its processes kept busy.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) cores_svg: Option<PathBuf>,

    /// Write the "where the workers' time went" picture (SVG, 1280×720) to
    /// FILE: a bar per backend, its workers' lives split into running,
    /// waiting for a core and blocked, the title stating what they show.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) time_svg: Option<PathBuf>,

    /// Write the picture of where the time went, moving the numbers back
    /// included (SVG, 1280×720), to FILE: for one typical run of each row, a
    /// lane per worker — drawing, then its numbers on the way — and the
    /// parent's summing. Needs --return numbers.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) transfer_svg: Option<PathBuf>,

    /// Write the run as one self-contained HTML page to FILE (no external
    /// script, font or image): the table, the Summary, the explanation and
    /// the pictures, for a projector or a printer.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) export_html: Option<PathBuf>,

    /// Write the timelines as an SVG picture to FILE, a 1280×720 slide: a
    /// row per backend with its wall time and CPU, a lane per worker.
    #[arg(long, value_name = "FILE")]
    pub(crate) timeline_svg: Option<PathBuf>,

    /// The time axis of --timeline-svg's rows. shared: one scale for the
    /// rows of each language (Rust's and CPython's differ about 100×, so each
    /// gets its own, labelled), a run half as long drawn half as long; own:
    /// every row stretched over the whole width, its wall time in its label.
    #[arg(long, value_enum, value_name = "SCALE", default_value = "shared")]
    pub(crate) timeline_scale: TimelineScaleArg,

    /// Write every measurement (per run and per worker) as JSON to FILE; `-`
    /// for standard output. `gilfree compare` reads these files.
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    pub(crate) export_json: Option<PathBuf>,

    /// Write one row per backend as CSV to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    pub(crate) export_csv: Option<PathBuf>,

    /// Write the table as Markdown to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    pub(crate) export_markdown: Option<PathBuf>,
}

/// `--backend`'s help, from the registry.
fn backend_help() -> String {
    format!(
        "Backends to run: {}, or all (--list-backends describes each){}. Repeat the flag or \
         separate names with commas. The sequential baseline always runs too.",
        BackendKind::names(),
        launched_note()
    )
}

/// `sweep --backend`'s help, from the registry.
fn sweep_backend_help() -> String {
    format!(
        "Backends to sweep: {}, or all{} [default: every backend but sequential]",
        BackendKind::names(),
        launched_note()
    )
}

/// What `all` leaves out, if anything: the launched rows, which run only
/// when named.
fn launched_note() -> String {
    let launched: Vec<&str> = BackendKind::ALL
        .iter()
        .filter(|kind| kind.is_launched())
        .map(|kind| kind.name())
        .collect();
    if launched.is_empty() {
        String::new()
    } else {
        format!(
            "; all leaves out {}, which runs only when named",
            launched.join(", ")
        )
    }
}

impl Common {
    /// The workload these options describe, with `workers`, `count`, `seed`
    /// and the SIMD path (`None` for the widest).
    pub(crate) fn spec(
        &self,
        workers: usize,
        count: u64,
        seed: u64,
        simd: Option<Simd>,
    ) -> WorkloadSpec {
        WorkloadSpec {
            workers,
            count,
            low: self.low,
            high: self.high,
            seed,
            materialize: self.materialize,
            generator: self.rng.generator(),
            simd,
            returns: self.returns.returns(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilfree::{Driver, Workload};
    use proptest::prelude::*;

    proptest! {
        /// Any command line, however wrong, parses or is refused by clap, and
        /// what parses is validated without a panic: the path every input
        /// takes before a run.
        #[test]
        fn no_command_line_makes_parsing_or_validation_panic(
            args in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        "-w", "--workers", "-n", "--count", "--low", "--high", "-s", "--seed",
                        "-r", "--runs", "--warmup", "-t", "--threads", "-b", "--backend",
                        "--materialize", "--export-json", "compare", "all", "rayon,process",
                        "0", "-1", "1", "8", "65536", "65537", "1M", "1_000", "9G", "1e6",
                        "18446744073709551615", "18446744073709551616", "-9223372036854775808",
                        "", " ", "x", "--", "-", "--count=", "--workers=-0",
                    ]).prop_map(str::to_owned),
                    "\\PC{0,12}",
                ],
                0..8,
            )
        ) {
            let argv = std::iter::once("gilfree".to_owned()).chain(args);
            if let Ok(Cli { command: None, args }) = Cli::try_parse_from(argv) {
                let seed = args.common.seed.unwrap_or(0);
                let _ = Workload::new(args.common.spec(args.workers.unwrap_or(8), args.count.unwrap_or(1), seed, None));
                if let Ok(plan) = args.runs.plan(args.common.warmup, RUN_DEFAULTS) {
                    let _ = Driver::new(Workload::new(WorkloadSpec::default()).unwrap(), plan);
                }
            }
        }

    }

    #[test]
    fn the_argument_definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_backend_help_and_parser_know_every_registered_backend() {
        let help = backend_help();
        for kind in BackendKind::ALL {
            assert!(help.contains(kind.name()), "{help}");
            assert_eq!(parse_backends(kind.name()), Ok(vec![*kind]));
        }
        assert_eq!(
            parse_backends("ALL"),
            Ok(BackendKind::in_process().collect())
        );
    }
}
