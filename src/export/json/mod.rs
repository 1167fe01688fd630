//! The JSON export: everything the driver measured, per backend, per run and
//! per worker, with the workload, the machine and the gilfree version, so
//! that a file stands on its own. `gilfree compare` reads it back.
//!
//! hyperfine's fields keep their names and meaning (`results[].command`,
//! `mean`, `stddev`, `median`, `min`, `max`, `user`, `system`, `times`, all
//! in seconds), so scripts written for hyperfine's JSON — its
//! `plot_whisker.py`, say — read these files too. The schema is described
//! field by field in `docs/export-schema.md`.

use std::io;

use serde::{Deserialize, Serialize};

use crate::export::{Exporter, rfc3339_utc};
use crate::measure::{BackendResult, Report, RunMeasurement, TimeAccounting};
use crate::worker::WorkerReport;

/// The version of the layout below. It grows by one whenever a field is
/// removed or changes meaning; adding a field does not change it.
///
/// Version 2: each row's `speedup` and `efficiency` are against its own
/// language's sequential row (`baseline`), `speedup_stddev` gave way to
/// `speedup_ci`, and the plan became `min_runs`/`max_runs`. Version 3: the
/// time accounting (`time_accounting` per row and per run, `waiting_ns` per
/// worker); in a version 3 file a `null` accounting means it could not be
/// measured, where an older file simply predates it. Also in version 3: the
/// workers may hand back their numbers (`workload.returns`), and each row
/// then says what moving them cost (`transfer`), its sums the parent's sums
/// of what it received. Version 1 and 2 files are still read ([`read`]),
/// version 1's rows brought to version 2's meaning.
pub const SCHEMA_VERSION: u32 = 3;

/// A whole JSON export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonExport {
    /// [`SCHEMA_VERSION`] of the gilfree that wrote the file.
    pub schema_version: u32,
    /// The version of the gilfree that wrote the file.
    pub gilfree_version: String,
    /// When the run started, RFC 3339 in UTC.
    pub started: String,
    /// The workload every backend ran.
    pub workload: WorkloadRecord,
    /// How often each backend ran.
    pub plan: PlanRecord,
    /// Where it ran.
    pub machine: MachineRecord,
    /// The backend whose sums are the reference for every row, and the
    /// baseline of the Rust rows (`sequential`). Each row names its own
    /// baseline (`results[].baseline`).
    pub baseline: String,
    /// The interpreter that ran the Python rows, if any did.
    #[serde(default)]
    pub interpreter: Option<InterpreterRecord>,
    /// The baseline's per-worker sums, in worker order.
    pub sums: Vec<i64>,
    /// The sum of `sums`.
    pub total: i64,
    /// `workers × count × (low + high) / 2`, as the nearest number.
    pub expected_total: f64,
    /// The same, exactly, as a decimal string (`"404000000"`, `"2.5"`):
    /// beyond 2^53 the number above is rounded. Empty in files written
    /// before it existed.
    #[serde(default)]
    pub expected_total_exact: String,
    /// How many standard deviations `total` lies from `expected_total`
    /// (`null` when every number is the same).
    pub total_z_score: Option<f64>,
    /// One entry per backend, the baseline first.
    pub results: Vec<ResultRecord>,
    /// This machine's `memcpy` bandwidth, measured in the run before the
    /// first measured run, when the workers handed their numbers back: the
    /// limit every copy is read against. Absent with sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memcpy: Option<BandwidthRecord>,
    /// What was left out to keep the file within [`MAX_BYTES`], which
    /// `gilfree compare` reads, in words; absent when nothing was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omitted: Option<String>,
}

/// A [`Bandwidth`](crate::measure::Bandwidth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandwidthRecord {
    /// Bytes per second of one thread's CPU time: the fastest copy's.
    pub bytes_per_second: f64,
    /// The bytes each copy moved.
    pub bytes: u64,
    /// The copies timed.
    pub samples: usize,
}

/// A row's [`TransferSummary`](crate::measure::TransferSummary): what
/// moving the numbers back cost. Times in ns, medians over the runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRecord {
    /// How the numbers came back: `shared` (written where the parent reads
    /// them), `pipe`, `pickle` (a Python `Pool`'s result), `gather` (MPI).
    pub mode: String,
    /// The bytes of numbers the parent received in a run.
    pub bytes: u64,
    /// How many times each byte was copied on the way: 0 for zero-copy.
    pub copies: u32,
    /// The time the numbers were on the way, summed over the workers: from
    /// each worker's finish until the parent had its numbers.
    pub ns: u64,
    /// The CPU time the copies took (writers' and readers' copy calls);
    /// `null` where it was not measured.
    pub copy_cpu_ns: Option<u64>,
    /// The workers' drawing time, summed over them.
    pub computing_ns: u64,
    /// The time the parent spent summing what it received.
    pub summing_ns: u64,
    /// For workers placed on hosts (`gather`): the bytes that came from
    /// ranks on other hosts than rank 0's and so crossed the network;
    /// absent for the other rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_bytes: Option<u64>,
}

/// A [`WorkerTransfer`](crate::worker::WorkerTransfer), in ns on
/// `CLOCK_MONOTONIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTransferRecord {
    /// The bytes of its numbers the parent received.
    pub bytes: u64,
    /// When the parent had them all where it reads them.
    pub delivered_ns: u64,
    /// The CPU time their copies took, or `null` where not measured.
    pub copy_cpu_ns: Option<u64>,
    /// When the parent began summing them.
    pub sum_start_ns: u64,
    /// When it had their sum.
    pub sum_finish_ns: u64,
}

/// The largest export gilfree writes, and the largest `gilfree compare`
/// reads: 256 MiB. A run whose whole record would be larger (thousands of
/// workers times hundreds of runs) is written with less per-run detail, and
/// the file says what it left out ([`JsonExport::omitted`]).
pub const MAX_BYTES: u64 = 256 << 20;

/// The workload, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadRecord {
    /// Number of workers.
    pub workers: usize,
    /// Numbers per worker.
    pub count: u64,
    /// Smallest number that can be drawn.
    pub low: i64,
    /// Largest number that can be drawn.
    pub high: i64,
    /// The seed of every worker's stream.
    pub seed: u64,
    /// The generator's name (`xoshiro256++x8`, `xoshiro256++`, `python`,
    /// `rand`).
    pub generator: String,
    /// The instruction-set path the generator was drawn through (`scalar`,
    /// `avx2`, `avx512`); `null` for a generator without paths, and absent
    /// from exports written before paths existed. The numbers are the same
    /// on every path: it tells only how they were computed.
    #[serde(default)]
    pub simd: Option<String>,
    /// Whether each worker built its numbers into a vector first.
    pub materialize: bool,
    /// `workers × count`.
    pub total_numbers: u64,
    /// What each worker handed back: `sums` or `numbers` (absent from files
    /// written before schema 3, which are `sums`).
    #[serde(default = "sums")]
    pub returns: String,
    /// With `numbers`: the bytes each number took on the way back, as its
    /// offset from `low`; absent with `sums`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_width: Option<usize>,
}

/// The driver's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    /// Version 1's fixed number of measured runs; read, never written.
    #[serde(default, skip_serializing)]
    pub runs: Option<usize>,
    /// Measured runs per backend, at least.
    #[serde(default)]
    pub min_runs: usize,
    /// Measured runs per backend, at most (equal to `min_runs` for
    /// `--runs N`).
    #[serde(default)]
    pub max_runs: usize,
    /// Unmeasured warm-up runs per backend.
    pub warmup: usize,
    /// When the runs are not fixed: the relative half-width of the 95 %
    /// confidence interval of a median at which a backend needed no more
    /// runs (0.02 = ±2 %).
    #[serde(default)]
    pub precision: Option<f64>,
}

/// The interpreter of the Python rows, as it reported itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterRecord {
    /// The command that ran it (`python3`).
    pub command: String,
    /// Its version (`3.11.7`).
    pub version: String,
    /// `sys.implementation.name` (`cpython`).
    pub implementation: String,
    /// `sys._is_gil_enabled()` (true before 3.13).
    pub gil_enabled: bool,
    /// `sysconfig.get_config_var("Py_GIL_DISABLED")`: a free-threaded build.
    pub free_threaded_build: bool,
}

/// The machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineRecord {
    /// The processor's model name.
    pub cpu_model: String,
    /// Logical cores available to the process.
    pub logical_cores: usize,
    /// Physical cores.
    pub physical_cores: usize,
    /// The operating system (`linux`).
    pub os: String,
    /// `uname -srv`.
    pub kernel: String,
    /// The CPU architecture (`x86_64`).
    pub arch: String,
}

/// Everything measured for one backend. Times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// The backend's name (hyperfine's field name, so its scripts work).
    pub command: String,
    /// The backend's name.
    pub backend: String,
    /// The backend's one-line description.
    pub description: String,
    /// The language its workers run in: `rust` or `python`.
    #[serde(default)]
    pub language: String,
    /// The row its `speedup` and `efficiency` are against: its language's
    /// sequential row (`sequential`, `python-sequential`).
    #[serde(default)]
    pub baseline: String,
    /// Workers the backend can run at once.
    pub parallelism: usize,
    /// `min(parallelism, logical cores)`: the divisor of `efficiency`.
    pub usable_parallelism: usize,
    /// Mean wall time.
    pub mean: f64,
    /// Sample standard deviation of the wall time (`null` for one run).
    pub stddev: Option<f64>,
    /// Median wall time.
    pub median: f64,
    /// Shortest wall time.
    pub min: f64,
    /// Longest wall time.
    pub max: f64,
    /// Mean user CPU time (of this process and its reaped children).
    pub user: f64,
    /// Mean system CPU time.
    pub system: f64,
    /// Median user CPU time (the table's `user` column).
    pub user_median: f64,
    /// Median system CPU time (the table's `sys` column).
    pub system_median: f64,
    /// The wall time of every measured run, in order.
    pub times: Vec<f64>,
    /// How many of `times` are outliers (more than 10 robust σ from the median).
    pub outliers: usize,
    /// Median CPU utilization, in % of one core.
    pub cpu_percent: f64,
    /// `baseline`'s median wall ÷ this median wall (`null` when the
    /// baseline did not run).
    pub speedup: Option<f64>,
    /// The 95 % confidence interval of `speedup`, `[low, high]`: bootstrap
    /// percentiles of the ratio of medians (`null` with fewer than 3 runs,
    /// and for the baseline itself).
    #[serde(default)]
    pub speedup_ci: Option<[f64; 2]>,
    /// Version 1's standard deviation of `speedup`; read, never written.
    #[serde(default, skip_serializing)]
    pub speedup_stddev: Option<f64>,
    /// Cores other processes kept busy during this backend's runs, on
    /// average (`null` when not sampled, or when the runs were too short to
    /// tell: the table's `?`).
    #[serde(default)]
    pub others_cores: Option<f64>,
    /// Cores the hypervisor gave to others during the runs (steal).
    #[serde(default)]
    pub steal_cores: Option<f64>,
    /// Whether other programs took enough of the cores this row could use
    /// to bend its figures (at least 10 % of them).
    #[serde(default)]
    pub contended: bool,
    /// Where the workers' time went over all runs: running, waiting for a
    /// core, blocked (`null` where it could not be measured, and in files
    /// written before schema 3).
    #[serde(default)]
    pub time_accounting: Option<TimeAccountingRecord>,
    /// The same for the threads that started the workers and waited for
    /// them (gilfree's thread, the interpreter's main thread, a pool's
    /// helper threads), apart from the workers.
    #[serde(default)]
    pub coordinator_time_accounting: Option<TimeAccountingRecord>,
    /// How the accounting was measured: `schedstat`, or `sampled states`
    /// where the kernel keeps no per-thread scheduler statistics.
    #[serde(default)]
    pub time_accounting_source: Option<String>,
    /// Threads wanting to run at once, on average: the workers' running and
    /// waiting time over the runs' summed wall time.
    #[serde(default)]
    pub threads_wanting_to_run: Option<f64>,
    /// For a row CPython ran: whether its GIL was on while it did (a
    /// free-threaded build's rows may differ: `PYTHON_GIL`); `null` for the
    /// other rows and in files written before it existed.
    #[serde(default)]
    pub gil_enabled: Option<bool>,
    /// What moving the numbers back cost (`--return numbers`); absent when
    /// the workers handed back sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferRecord>,
    /// `speedup / usable_parallelism`, as a fraction (1.0 = 100 %).
    pub efficiency: Option<f64>,
    /// Numbers drawn and summed per second of median wall time.
    pub throughput: Option<f64>,
    /// For a launched engine (the mpi backend): the median time from a
    /// run's start until its workers were ready to compute (launching the
    /// ranks, `MPI_Init`, the start barrier), in seconds. Absent for the
    /// other backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_median: Option<f64>,
    /// The hosts the workers ran on (the mpi backend), in the order of the
    /// first worker on each; absent for the other backends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// For a row whose workers ran on hosts (the mpi backend): each host as
    /// its ranks described it, in the order of `hosts`; absent for the
    /// other backends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_details: Vec<HostRecord>,
    /// For such a row: the logical cores of all its hosts, each machine
    /// (boot id) counted once — the cores `usable_parallelism` is taken
    /// against. Absent for the other backends (their cores are `machine`'s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<usize>,
    /// For such a row: the median over the runs of the CPU time, in
    /// seconds, that ranks not reaped by gilfree (on other hosts, or under
    /// another daemon) measured themselves; it is part of `user` and
    /// `system`. Absent for the other backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncounted_cpu: Option<f64>,
    /// The larger of the next two, in bytes.
    pub peak_rss_bytes: u64,
    /// Peak resident set size of the measuring process during the runs, in bytes.
    pub self_peak_rss_bytes: u64,
    /// Largest peak resident set size of a worker process, in bytes (0 for threads).
    pub children_peak_rss_bytes: u64,
    /// Whether every run's sums equal the baseline's.
    pub verified: bool,
    /// Whether the backend draws the baseline's numbers at all (false for the
    /// Python programs unless the generator is `python`).
    #[serde(default = "yes")]
    pub comparable: bool,
    /// The first difference from the baseline, if any.
    pub mismatch: Option<MismatchRecord>,
    /// The per-worker sums of the first measured run.
    pub sums: Vec<i64>,
    /// Every measured run.
    pub runs: Vec<RunRecord>,
}

/// A host a row's workers ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRecord {
    /// Its name.
    pub name: String,
    /// Logical cores the ranks could run on there.
    pub logical_cores: usize,
    /// Its processor model.
    pub cpu_model: String,
    /// Its boot id: hosts with the same one are one machine (one kernel),
    /// sharing its cores.
    pub boot_id: String,
    /// The workers that ran there (typical run).
    pub workers: Vec<usize>,
}

/// A difference from the baseline's sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MismatchRecord {
    /// The measured run, 1-based.
    pub run: usize,
    /// The worker.
    pub worker: usize,
    /// The backend's sum.
    pub got: i64,
    /// The baseline's sum.
    pub expected: i64,
}

/// One measured run. Times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started, ns on `CLOCK_MONOTONIC` (the workers' clock).
    #[serde(default)]
    pub started_ns: u64,
    /// Wall time.
    pub wall: f64,
    /// User CPU time of this process and of the children reaped during the run.
    pub user: f64,
    /// System CPU time, likewise.
    pub system: f64,
    /// The children's share of `user + system`.
    pub children_cpu: f64,
    /// The share of `user + system` that worker processes gilfree did not
    /// reap measured themselves (ranks on other hosts); 0 for the others.
    #[serde(default)]
    pub uncounted_cpu: f64,
    /// `(user + system) / wall`, in % of one core.
    pub cpu_percent: f64,
    /// Peak resident set size of the measuring process during the run, in bytes.
    pub self_peak_rss_bytes: u64,
    /// Largest peak resident set size of a worker process in the run, in bytes.
    pub children_peak_rss_bytes: u64,
    /// One report per worker, in worker order.
    pub workers: Vec<WorkerRecord>,
    /// What the rest of the machine did during the run (`null` when not
    /// sampled).
    #[serde(default)]
    pub contention: Option<ContentionRecord>,
    /// Where the workers' time went in this run (`null` where not measured).
    #[serde(default)]
    pub time_accounting: Option<TimeAccountingRecord>,
    /// The coordinating threads' time in this run, apart.
    #[serde(default)]
    pub coordinator_time_accounting: Option<TimeAccountingRecord>,
    /// `schedstat` or `sampled states`.
    #[serde(default)]
    pub time_accounting_source: Option<String>,
}

/// A [`TimeAccounting`]: threads' summed
/// wall time split three ways, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeAccountingRecord {
    /// On a CPU.
    pub running_ns: u64,
    /// Ready to run, no CPU free.
    pub waiting_ns: u64,
    /// Asleep: a lock, the GIL, a pipe, a join.
    pub blocked_ns: u64,
    /// How many distinct threads.
    pub threads: usize,
}

impl From<TimeAccounting> for TimeAccountingRecord {
    fn from(a: TimeAccounting) -> Self {
        TimeAccountingRecord {
            running_ns: a.running_ns,
            waiting_ns: a.waiting_ns,
            blocked_ns: a.blocked_ns,
            threads: a.threads,
        }
    }
}

impl From<TimeAccountingRecord> for TimeAccounting {
    fn from(a: TimeAccountingRecord) -> Self {
        TimeAccounting {
            running_ns: a.running_ns,
            waiting_ns: a.waiting_ns,
            blocked_ns: a.blocked_ns,
            threads: a.threads,
        }
    }
}

/// A [`Contention`](crate::measure::Contention). Times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentionRecord {
    /// CPU time other processes used during the run.
    pub others_cpu: f64,
    /// Time the hypervisor ran others while this machine wanted to run.
    pub steal: f64,
    /// Time at least one runnable task waited for a CPU (`null` without PSI).
    pub pressure_stalled: Option<f64>,
    /// The sampler's own CPU time.
    pub sampler_cpu: f64,
    /// The uncertainty of `others_cpu` and `steal` (`/proc/stat`'s tick).
    pub resolution: f64,
    /// Every sample: `[seconds since the run started, cores the run's
    /// process tree kept busy, cores everything else kept busy]`, each over
    /// the interval that ended then.
    pub samples: Vec<[f64; 3]>,
}

/// A [`WorkerReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRecord {
    /// The worker's index.
    pub worker: usize,
    /// Its sum.
    pub sum: i64,
    /// When it started computing, ns on `CLOCK_MONOTONIC`.
    pub start_ns: u64,
    /// When it finished, ns on `CLOCK_MONOTONIC`.
    pub finish_ns: u64,
    /// CPU time of its thread, in ns.
    pub cpu_time_ns: u64,
    /// Time its thread waited for a CPU (schedstat), in ns; `null` where
    /// unknown.
    #[serde(default)]
    pub waiting_ns: Option<u64>,
    /// The CPU it started on.
    pub cpu_at_start: Option<u32>,
    /// The CPU it finished on.
    pub cpu_at_finish: Option<u32>,
    /// Its process id.
    pub pid: u32,
    /// Its thread id.
    pub tid: u32,
    /// Peak resident set size of its own process, in bytes (process backend).
    pub peak_rss_bytes: Option<u64>,
    /// For the gil backend: the `[from_ns, to_ns]` intervals it held the lock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_ns: Vec<(u64, u64)>,
    /// For the mpi backend: the host its rank ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// For the mpi backend: when its rank left the start barrier, ns on
    /// `CLOCK_MONOTONIC` (the run's time before it was launch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_ns: Option<u64>,
    /// For the mpi backend: its rank's process, as the rank measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRecord>,
    /// With `--return numbers`: how its numbers came back; absent with sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<WorkerTransferRecord>,
}

/// A [`ProcessFacts`](crate::worker::ProcessFacts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// User CPU time of the rank's whole process, in ns.
    pub user_ns: u64,
    /// System CPU time, in ns.
    pub system_ns: u64,
    /// Whether gilfree reaped it (its CPU time then came from `getrusage`).
    pub counted_by_driver: bool,
    /// Logical cores it could run on, on its host.
    pub host_cores: usize,
}

impl JsonExport {
    /// The export of `report`.
    pub fn from_report(report: &Report) -> JsonExport {
        let w = &report.workload;
        let m = &report.machine;
        JsonExport {
            schema_version: SCHEMA_VERSION,
            gilfree_version: env!("CARGO_PKG_VERSION").to_owned(),
            started: rfc3339_utc(report.started),
            workload: WorkloadRecord {
                workers: w.workers(),
                count: w.count(),
                low: w.low(),
                high: w.high(),
                seed: w.seed(),
                generator: w.generator().name().to_owned(),
                simd: w.simd().map(|simd| simd.name().to_owned()),
                materialize: w.materialize(),
                total_numbers: w.total_numbers(),
                returns: w.returns().name().to_owned(),
                number_width: (w.returns() == crate::kernel::Return::Numbers)
                    .then(|| w.number_width()),
            },
            plan: PlanRecord {
                runs: None,
                min_runs: report.plan.min_runs,
                max_runs: report.plan.max_runs,
                warmup: report.plan.warmup,
                precision: (!report.plan.is_exact()).then_some(report.plan.precision),
            },
            machine: MachineRecord {
                cpu_model: m.cpu_model.clone(),
                logical_cores: m.logical_cores,
                physical_cores: m.physical_cores,
                os: m.os.clone(),
                kernel: m.kernel.clone(),
                arch: m.arch.clone(),
            },
            baseline: report.baseline().name().to_owned(),
            interpreter: report.interpreter.as_ref().map(|i| InterpreterRecord {
                command: i.command.clone(),
                version: i.version.clone(),
                implementation: i.implementation.clone(),
                gil_enabled: i.gil_enabled,
                free_threaded_build: i.free_threaded_build,
            }),
            sums: report.sums.clone(),
            total: report.total(),
            expected_total: report.expected_total(),
            expected_total_exact: {
                let twice = report.expected_total_twice();
                let sign = if twice < 0 && twice / 2 == 0 { "-" } else { "" };
                let half = if twice % 2 == 0 { "" } else { ".5" };
                format!("{sign}{}{half}", twice / 2)
            },
            total_z_score: report.total_z_score(),
            results: report
                .results
                .iter()
                .map(|r| result_record(report, r))
                .collect(),
            memcpy: report.memcpy.map(|b| BandwidthRecord {
                bytes_per_second: b.bytes_per_second,
                bytes: b.bytes,
                samples: b.samples,
            }),
            omitted: None,
        }
    }

    /// Leaves out the next [`Detail`] level: `typical[i]` is the index of
    /// result `i`'s typical run (the one timelines draw), which keeps its
    /// detail longest.
    fn omit(&mut self, level: Detail, typical: &[Option<usize>]) {
        if level == Detail::Everything {
            return;
        }
        for (result, typical) in self.results.iter_mut().zip(typical) {
            for (index, run) in result.runs.iter_mut().enumerate() {
                let is_typical = Some(index) == *typical;
                if !(is_typical && level != Detail::RunsOnly) {
                    run.workers.clear();
                }
                if !(is_typical && level == Detail::TypicalRuns) {
                    run.workers.iter_mut().for_each(|w| w.held_ns.clear());
                    if let Some(c) = &mut run.contention {
                        c.samples.clear();
                    }
                }
            }
        }
        self.omitted = level.words().map(str::to_owned);
    }

    /// The export of the backend called `name`.
    pub fn result(&self, name: &str) -> Option<&ResultRecord> {
        self.results.iter().find(|r| r.backend == name)
    }
}

fn result_record(report: &Report, result: &BackendResult) -> ResultRecord {
    let secs = |d: std::time::Duration| d.as_secs_f64();
    let contention = result.contention();
    ResultRecord {
        command: result.name().to_owned(),
        backend: result.name().to_owned(),
        description: result.profile.description.to_owned(),
        language: result.language().name().to_owned(),
        baseline: result.language().baseline().to_owned(),
        parallelism: result.parallelism,
        usable_parallelism: report.usable_parallelism(result),
        mean: secs(result.wall_mean()),
        stddev: (result.runs.len() > 1).then(|| secs(result.wall_std_dev())),
        median: secs(result.wall_median()),
        min: secs(result.wall_min()),
        max: secs(result.wall_max()),
        user: secs(result.user_mean()),
        system: secs(result.system_mean()),
        user_median: secs(result.user_median()),
        system_median: secs(result.system_median()),
        times: result.runs.iter().map(|r| secs(r.wall)).collect(),
        outliers: result.wall_outliers(),
        cpu_percent: result.cpu_percent_median(),
        speedup: report.speedup(result),
        speedup_ci: report.speedup_interval(result).map(|(l, h)| [l, h]),
        speedup_stddev: None,
        // Only what the table shows a figure for: null where it shows `?`.
        others_cores: match result.others() {
            crate::measure::Others::Cores(_) => contention.map(|c| c.others_cores),
            _ => None,
        },
        steal_cores: match result.others() {
            crate::measure::Others::Cores(_) => contention.map(|c| c.steal_cores),
            _ => None,
        },
        contended: report.contended(result).is_some(),
        time_accounting: result.time_accounting().map(Into::into),
        coordinator_time_accounting: result.coordinator_accounting().map(Into::into),
        time_accounting_source: result.accounting_source().map(|s| s.name().to_owned()),
        threads_wanting_to_run: result.wanting_to_run(),
        gil_enabled: result.interpreter.as_ref().map(|i| i.gil_enabled),
        transfer: result.transfer().map(|t| {
            let ns = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
            TransferRecord {
                mode: t.path.name().to_owned(),
                bytes: t.bytes,
                copies: t.copies(),
                ns: ns(t.moving),
                copy_cpu_ns: t.copy_cpu.map(ns),
                computing_ns: ns(t.computing),
                summing_ns: ns(t.summing),
                network_bytes: t.network_bytes,
            }
        }),
        efficiency: report.efficiency(result),
        throughput: report.throughput(result),
        launch_median: result.launch_median().map(secs),
        hosts: result.hosts(),
        host_details: result
            .host_facts()
            .into_iter()
            .map(|h| HostRecord {
                name: h.name,
                logical_cores: h.logical_cores,
                cpu_model: h.cpu_model,
                boot_id: h.boot_id,
                workers: h.workers,
            })
            .collect(),
        cores: result.cores_across().map(|c| c.cores),
        uncounted_cpu: result
            .cores_across()
            .map(|_| secs(result.uncounted_cpu_median())),
        peak_rss_bytes: result.peak_rss_bytes(),
        self_peak_rss_bytes: result.self_peak_rss_bytes(),
        children_peak_rss_bytes: result.children_peak_rss_bytes(),
        verified: result.verified(),
        comparable: result.comparable,
        mismatch: result.mismatch.map(|m| MismatchRecord {
            run: m.run,
            worker: m.worker,
            got: m.got,
            expected: m.expected,
        }),
        sums: result
            .runs
            .first()
            .map(RunMeasurement::sums)
            .unwrap_or_default(),
        runs: result.runs.iter().map(run_record).collect(),
    }
}

fn run_record(run: &RunMeasurement) -> RunRecord {
    RunRecord {
        started_ns: run.started_ns,
        wall: run.wall.as_secs_f64(),
        user: run.user.as_secs_f64(),
        system: run.system.as_secs_f64(),
        children_cpu: run.children_cpu.as_secs_f64(),
        uncounted_cpu: run.uncounted_cpu.as_secs_f64(),
        cpu_percent: run.cpu_percent(),
        self_peak_rss_bytes: run.self_peak_rss_bytes,
        children_peak_rss_bytes: run.children_peak_rss_bytes,
        workers: run.workers.iter().map(worker_record).collect(),
        contention: run.contention.as_ref().map(|c| ContentionRecord {
            others_cpu: c.others_cpu.as_secs_f64(),
            steal: c.steal.as_secs_f64(),
            pressure_stalled: c.pressure_stalled.map(|p| p.as_secs_f64()),
            sampler_cpu: c.sampler_cpu.as_secs_f64(),
            resolution: c.resolution.as_secs_f64(),
            samples: c
                .samples
                .iter()
                .map(|s| [s.at.as_secs_f64(), s.tree_cores, s.others_cores])
                .collect(),
        }),
        time_accounting: run.accounting.map(|a| a.workers.into()),
        coordinator_time_accounting: run.accounting.map(|a| a.coordinators.into()),
        time_accounting_source: run.accounting.map(|a| a.source.name().to_owned()),
    }
}

fn worker_record(w: &WorkerReport) -> WorkerRecord {
    WorkerRecord {
        worker: w.worker,
        sum: w.sum,
        start_ns: w.start_ns,
        finish_ns: w.finish_ns,
        cpu_time_ns: u64::try_from(w.cpu_time.as_nanos()).unwrap_or(u64::MAX),
        waiting_ns: w
            .waiting_for_cpu
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        cpu_at_start: w.cpu_at_start,
        cpu_at_finish: w.cpu_at_finish,
        pid: w.pid,
        tid: w.tid,
        peak_rss_bytes: w.peak_rss_bytes,
        held_ns: w.held_ns.clone(),
        host: w.host.clone(),
        ready_ns: w.ready_ns,
        process: w.process.as_ref().map(|p| ProcessRecord {
            user_ns: u64::try_from(p.user.as_nanos()).unwrap_or(u64::MAX),
            system_ns: u64::try_from(p.system.as_nanos()).unwrap_or(u64::MAX),
            counted_by_driver: p.counted_by_driver,
            host_cores: p.host_cores,
        }),
        transfer: w.transfer.map(|t| WorkerTransferRecord {
            bytes: t.bytes,
            delivered_ns: t.delivered_ns,
            copy_cpu_ns: t.copy_cpu_ns,
            sum_start_ns: t.sum_start_ns,
            sum_finish_ns: t.sum_finish_ns,
        }),
    }
}

fn yes() -> bool {
    true
}

fn sums() -> String {
    "sums".to_owned()
}

/// How much per-run detail an export keeps, from all to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every run's workers and sampler series.
    Everything,
    /// Workers and series of each backend's typical run only.
    TypicalRuns,
    /// Workers of the typical runs, without the gil backend's lock
    /// intervals (`held_ns`) or any series.
    TypicalRunsWithoutSeries,
    /// No per-worker record and no series at all: the figures of every run.
    RunsOnly,
}

impl Detail {
    const ALL: [Detail; 4] = [
        Detail::Everything,
        Detail::TypicalRuns,
        Detail::TypicalRunsWithoutSeries,
        Detail::RunsOnly,
    ];

    /// What this level leaves out, for [`JsonExport::omitted`].
    fn words(self) -> Option<&'static str> {
        match self {
            Detail::Everything => None,
            Detail::TypicalRuns => Some(
                "the per-worker records and sampler series of every run but each backend's \
                 typical one (the run closest to its median), to stay within 256 MiB",
            ),
            Detail::TypicalRunsWithoutSeries => Some(
                "the per-worker records of every run but each backend's typical one, and every \
                 sampler series and lock interval (held_ns), to stay within 256 MiB",
            ),
            Detail::RunsOnly => Some(
                "every per-worker record, sampler series and lock interval: only each run's \
                 figures are kept, to stay within 256 MiB",
            ),
        }
    }
}

/// Writes [`JsonExport`]s, pretty-printed, ending in a newline, within
/// [`MAX_BYTES`].
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

impl JsonExporter {
    /// The export of `report` in at most `limit` bytes: with every detail
    /// when it fits, else with less per-run detail at a time — the
    /// per-worker records and sampler series of all runs but each backend's
    /// typical one, then also its series and lock intervals, then every
    /// per-worker record — the file saying what it left out
    /// ([`JsonExport::omitted`]).
    ///
    /// # Errors
    /// [`io::ErrorKind::FileTooLarge`] when even the figures of every run
    /// do not fit (at [`MAX_BYTES`] this cannot happen: 10 rows of 10,000
    /// runs and 65,536 sums each take about 110 MB).
    pub fn serialize_within(report: &Report, limit: u64) -> io::Result<Vec<u8>> {
        let typical: Vec<Option<usize>> = report
            .results
            .iter()
            .map(|r| r.typical_run().map(|(index, _)| index))
            .collect();
        let mut export = JsonExport::from_report(report);
        let mut size = 0;
        for level in Detail::ALL {
            export.omit(level, &typical);
            let mut bytes = serde_json::to_vec_pretty(&export)?;
            bytes.push(b'\n');
            size = bytes.len();
            if size as u64 <= limit {
                return Ok(bytes);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "the JSON export would take {} MiB even without per-worker records, more than \
                 the {} MiB gilfree compare reads",
                size >> 20,
                limit >> 20
            ),
        ))
    }
}

impl Exporter for JsonExporter {
    fn serialize(&self, report: &Report) -> io::Result<Vec<u8>> {
        JsonExporter::serialize_within(report, MAX_BYTES)
    }
}

mod read;

pub use self::read::{ReadError, read};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_files_are_refused_with_a_reason() {
        let err = read(b"[1, 2]").unwrap_err();
        assert!(err.to_string().starts_with("not a gilfree JSON export"));
        let err = read(br#"{"results": []}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a gilfree JSON export (it has no schema_version field)"
        );
        let err = read(br#"{"schema_version": 99}"#).unwrap_err();
        assert_eq!(err, ReadError::Schema { found: 99 });
        let err = read(br#"{"schema_version": 1, "results": []}"#).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }
}
