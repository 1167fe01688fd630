//! What measuring yields: each run's measurements, each backend's runs
//! with their statistics, and the [`Report`] of a whole run of the driver,
//! with the figures derived from it — speedup, efficiency, throughput —
//! and the verification of the sums.

use std::time::{Duration, SystemTime};

use super::accounting::{AccountingSource, RunAccounting, TimeAccounting};
use super::machine::Machine;
use super::sampler::Contention;
use super::{Plan, stats};
use crate::backend::python::Interpreter;
use crate::backend::{Language, Profile};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::WorkerReport;

/// One measured run of one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMeasurement {
    /// When the run started, in ns on `CLOCK_MONOTONIC` (the clock of the
    /// workers' reports), for drawing the run's timeline.
    pub started_ns: u64,
    /// Wall-clock time of the whole run, start-up and collection included.
    pub wall: Duration,
    /// User-mode CPU time of this process and of the children reaped during the run.
    pub user: Duration,
    /// Kernel-mode CPU time, likewise.
    pub system: Duration,
    /// The part of `user + system` that reaped children used.
    pub children_cpu: Duration,
    /// This process's peak resident set size during the run, in bytes. On
    /// Linux the peak is reset before each run; elsewhere it is a high-water
    /// mark over the process's whole life.
    pub self_peak_rss_bytes: u64,
    /// The largest peak resident set size of a worker process reaped during
    /// the run ([`WorkerReport::peak_rss_bytes`]), in bytes; 0 when the
    /// workers were threads.
    pub children_peak_rss_bytes: u64,
    /// The part of `user + system` that worker processes measured
    /// themselves because the driver could not reap them: ranks on other
    /// hosts, or started by another machine's daemon (Slurm's step daemon,
    /// an ssh server). Zero for the other backends.
    pub uncounted_cpu: Duration,
    /// The workers' reports, sorted by worker index.
    pub workers: Vec<WorkerReport>,
    /// What the rest of the machine did meanwhile ([`Contention`]);
    /// `None` where it was not sampled.
    pub contention: Option<Contention>,
    /// Where the workers' time went — running, waiting for a core, blocked
    /// — and, apart, the time of the threads that started and waited for
    /// them ([`accounting`](super::accounting)); `None` where it could not
    /// be measured (no `schedstat` and no sampled states, a launched rank).
    pub accounting: Option<RunAccounting>,
}

impl RunMeasurement {
    /// `user + system`.
    pub fn cpu_time(&self) -> Duration {
        self.user + self.system
    }

    /// CPU utilization as a percentage of one core, as `time` prints it:
    /// 100 % is one core busy for the whole run, 200 % two.
    pub fn cpu_percent(&self) -> f64 {
        percent(self.cpu_time(), self.wall)
    }

    /// The workers' sums, in worker order.
    pub fn sums(&self) -> Vec<i64> {
        self.workers.iter().map(|w| w.sum).collect()
    }

    /// For a launched engine whose workers say when they were ready
    /// ([`WorkerReport::ready_ns`]): the time from the run's start until the
    /// first of them was (launching, `MPI_Init`, the start barrier). `None`
    /// for the other backends.
    pub fn launch(&self) -> Option<Duration> {
        let ready = self.workers.iter().filter_map(|w| w.ready_ns).min()?;
        Some(Duration::from_nanos(ready.saturating_sub(self.started_ns)))
    }

    /// The hosts the run's workers ran on, for a backend whose workers
    /// describe their host ([`WorkerReport::process`]); empty for the others.
    pub fn hosts(&self) -> Vec<HostFacts> {
        let mut hosts: Vec<HostFacts> = Vec::new();
        for w in &self.workers {
            let (Some(name), Some(facts)) = (&w.host, &w.process) else {
                continue;
            };
            match hosts.iter_mut().find(|h| &h.name == name) {
                Some(host) => {
                    host.workers.push(w.worker);
                    host.logical_cores = host.logical_cores.max(facts.host_cores);
                }
                None => hosts.push(HostFacts {
                    name: name.clone(),
                    logical_cores: facts.host_cores,
                    cpu_model: facts.cpu_model.clone(),
                    boot_id: facts.boot_id.clone(),
                    workers: vec![w.worker],
                }),
            }
        }
        hosts
    }

    /// From the first worker's start to the last one's finish: the part of
    /// the run in which workers computed.
    pub fn computing(&self) -> Duration {
        let first = self.workers.iter().map(|w| w.start_ns).min().unwrap_or(0);
        let last = self.workers.iter().map(|w| w.finish_ns).max().unwrap_or(0);
        Duration::from_nanos(last.saturating_sub(first))
    }
}

fn percent(part: Duration, whole: Duration) -> f64 {
    if whole.is_zero() {
        0.0
    } else {
        100.0 * part.as_secs_f64() / whole.as_secs_f64()
    }
}

/// What the rest of the machine took during a backend's runs, over all of
/// them ([`BackendResult::contention`]). In cores: 1.0 is one core for the
/// whole of the runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContentionSummary {
    /// Cores other processes kept busy on average.
    pub others_cores: f64,
    /// Cores the hypervisor gave to other guests on average (`steal`).
    pub steal_cores: f64,
    /// The share of the time at least one runnable task waited for a CPU
    /// (`/proc/pressure/cpu`), if the kernel reports it.
    pub pressure: Option<f64>,
    /// The sampler's own CPU, in cores.
    pub sampler_cores: f64,
    /// How far `others_cores` and `steal_cores` may be off through
    /// `/proc/stat`'s clock tick, in cores: twice the standard deviation of
    /// the error of their sum over the runs (each run's error independent).
    pub uncertainty_cores: f64,
}

/// Above this share of the cores a row could use, taken by other programs
/// or by the hypervisor, a row's figures are reported as disturbed. A row
/// that loses a tenth of its cores runs about a tenth slower: far beyond
/// the ±2 % the medians are measured to, enough to turn 1.9× into 1.7×,
/// and more than a quiet machine's own housekeeping takes.
pub const CONTENTION_WARNING: f64 = 0.10;

/// Above this uncertainty, in cores, the runs were too short for
/// `/proc/stat`'s 10 ms tick to say what other programs did: no verdict is
/// given, and the table shows `?`.
pub const UNCERTAIN_OTHERS: f64 = 0.1;

/// What other programs (and the hypervisor) kept busy during a row's runs,
/// as far as the runs can tell ([`BackendResult::others`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Others {
    /// No run was sampled (`--no-sampler`, or no `/proc`).
    NotSampled,
    /// The runs were too short for `/proc/stat`'s clock tick to tell:
    /// the uncertainty exceeds [`UNCERTAIN_OTHERS`].
    TooShort,
    /// So many cores, on average, other programs' and stolen time together.
    Cores(f64),
}

/// How much a row lost to other programs ([`Report::contended`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contended {
    /// Cores the row could have used that others took (their share beyond
    /// the cores the row left idle, less the measurement's uncertainty).
    pub lost_cores: f64,
    /// `lost_cores` as a share of the cores the row could use.
    pub lost_share: f64,
    /// The readings it comes from.
    pub summary: ContentionSummary,
}

/// Whether other programs took at least [`CONTENTION_WARNING`] of the
/// `needed` cores a row could use on `cores` logical cores: what they kept
/// busy beyond the cores the row left idle, less the measurement's
/// uncertainty ([`Report::contended`]).
pub(crate) fn contended(
    summary: ContentionSummary,
    needed: usize,
    cores: usize,
) -> Option<Contended> {
    if summary.uncertainty_cores > UNCERTAIN_OTHERS {
        // Runs this short say nothing through a 10 ms tick.
        return None;
    }
    let needed = needed.max(1) as f64;
    let spare = (cores as f64 - needed).max(0.0);
    let taken = summary.others_cores + summary.steal_cores - summary.uncertainty_cores;
    let lost_cores = (taken - spare).max(0.0).min(needed);
    let lost_share = lost_cores / needed;
    (lost_share >= CONTENTION_WARNING).then_some(Contended {
        lost_cores,
        lost_share,
        summary,
    })
}

/// A difference between a backend's sum and the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The measured run (1-based) where it first showed.
    pub run: usize,
    /// The worker.
    pub worker: usize,
    /// The backend's sum.
    pub got: i64,
    /// The baseline's sum.
    pub expected: i64,
}

/// Everything measured for one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendResult {
    /// What the backend is: name, description, language, what a worker is
    /// and how the workers share the cores ([`Backend::profile`](crate::backend::Backend::profile)).
    pub profile: Profile,
    /// How many workers can compute at once ([`Backend::parallelism`](crate::Backend::parallelism)).
    pub parallelism: usize,
    /// The measured runs, in order.
    pub runs: Vec<RunMeasurement>,
    /// The first difference from the baseline's sums, if any.
    pub mismatch: Option<Mismatch>,
    /// Whether the backend draws the same numbers as the baseline
    /// ([`Backend::draws_the_same_numbers`](crate::Backend::draws_the_same_numbers)); if not, its sums are not
    /// compared and `mismatch` stays `None`.
    pub comparable: bool,
    /// The interpreter that ran this row's workers, as it ran them (its
    /// GIL switched on or off for this row where the lesson did so), for a
    /// row that runs CPython; `None` for the others.
    pub interpreter: Option<Interpreter>,
}

/// One host a launched row's workers ran on, as they described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// Its name.
    pub name: String,
    /// Logical cores the workers could run on there.
    pub logical_cores: usize,
    /// Its processor model.
    pub cpu_model: String,
    /// Its boot id: hosts with the same one are one machine.
    pub boot_id: String,
    /// The workers that ran there, ascending.
    pub workers: Vec<usize>,
}

/// The cores of every host a row used, counting each machine once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoresAcross {
    /// Logical cores in all: each machine's (distinct boot id) once.
    pub cores: usize,
    /// Hosts (distinct names).
    pub hosts: usize,
    /// Machines (distinct boot ids): fewer than `hosts` when hosts are
    /// containers or namespaces sharing one kernel and its cores.
    pub machines: usize,
}

impl CoresAcross {
    /// Whether some hosts are one machine (the same boot id: containers or
    /// namespaces sharing one kernel and its cores).
    pub fn hosts_share_machines(&self) -> bool {
        self.machines < self.hosts
    }
}

/// [`CoresAcross`] for `hosts`.
pub fn cores_across(hosts: &[HostFacts]) -> Option<CoresAcross> {
    if hosts.is_empty() {
        return None;
    }
    let mut machines: Vec<(&str, usize)> = Vec::new();
    for host in hosts {
        match machines.iter_mut().find(|(boot, _)| *boot == host.boot_id) {
            Some((_, cores)) => *cores = (*cores).max(host.logical_cores),
            None => machines.push((&host.boot_id, host.logical_cores)),
        }
    }
    Some(CoresAcross {
        cores: machines
            .iter()
            .map(|(_, cores)| cores)
            .sum::<usize>()
            .max(1),
        hosts: hosts.len(),
        machines: machines.len(),
    })
}

impl BackendResult {
    /// The backend's name.
    pub fn name(&self) -> &'static str {
        self.profile.name
    }

    /// The language its workers run in: its speedup is against that
    /// language's sequential row ([`Report::baseline_of`]).
    pub fn language(&self) -> Language {
        self.profile.language
    }

    /// Every host the workers ran on over the runs, in the order of the
    /// first worker on each (workers from the typical run); empty for a
    /// backend whose workers do not describe their host.
    pub fn host_facts(&self) -> Vec<HostFacts> {
        let mut hosts: Vec<HostFacts> = self
            .typical_run()
            .map(|(_, run)| run.hosts())
            .unwrap_or_default();
        for run in &self.runs {
            for host in run.hosts() {
                if !hosts.iter().any(|h| h.name == host.name) {
                    hosts.push(host);
                }
            }
        }
        hosts
    }

    /// The cores of every host the row used ([`cores_across`]); `None` for a
    /// backend whose workers ran on the driver's machine.
    pub fn cores_across(&self) -> Option<CoresAcross> {
        cores_across(&self.host_facts())
    }

    /// The median over the runs of the CPU time that worker processes
    /// measured themselves ([`RunMeasurement::uncounted_cpu`]).
    pub fn uncounted_cpu_median(&self) -> Duration {
        let values = self
            .runs
            .iter()
            .map(|r| r.uncounted_cpu.as_secs_f64())
            .collect();
        self.summarize(values, stats::median)
    }

    /// The median of the runs' compute times ([`RunMeasurement::computing`]),
    /// for a launched engine whose launch is apart; `None` for the others.
    pub fn compute_median(&self) -> Option<Duration> {
        self.launch_median()?;
        let values: Vec<f64> = self
            .runs
            .iter()
            .map(|r| r.computing().as_secs_f64())
            .collect();
        stats::median(&values).map(Duration::from_secs_f64)
    }

    /// The wall times of the measured runs, in seconds.
    pub fn walls(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.wall.as_secs_f64()).collect()
    }

    fn summarize(&self, values: Vec<f64>, f: fn(&[f64]) -> Option<f64>) -> Duration {
        f(&values).map_or(Duration::ZERO, Duration::from_secs_f64)
    }

    /// The median of the runs' [`launch`](RunMeasurement::launch) times, for
    /// a launched engine; `None` for the other backends.
    pub fn launch_median(&self) -> Option<Duration> {
        let launches: Option<Vec<f64>> = self
            .runs
            .iter()
            .map(|r| r.launch().map(|d| d.as_secs_f64()))
            .collect();
        stats::median(&launches?).map(Duration::from_secs_f64)
    }

    /// The hosts the workers ran on, for a backend that places them on hosts
    /// (mpi), in the order of the first worker on each over the runs; empty
    /// for the others.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        let named = self.runs.iter().flat_map(|r| &r.workers);
        for host in named.filter_map(|w| w.host.as_ref()) {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
        hosts
    }

    /// Median wall time over the measured runs.
    pub fn wall_median(&self) -> Duration {
        self.summarize(self.walls(), stats::median)
    }

    /// Shortest wall time.
    pub fn wall_min(&self) -> Duration {
        self.summarize(self.walls(), stats::min)
    }

    /// Longest wall time.
    pub fn wall_max(&self) -> Duration {
        self.summarize(self.walls(), stats::max)
    }

    /// Mean wall time.
    pub fn wall_mean(&self) -> Duration {
        self.summarize(self.walls(), stats::mean)
    }

    /// Sample standard deviation of the wall time (zero for a single run).
    pub fn wall_std_dev(&self) -> Duration {
        self.summarize(self.walls(), stats::std_dev)
    }

    /// The spread of the wall times: (slowest − fastest) ÷ median; 0 when
    /// the median is 0.
    pub fn wall_spread(&self) -> f64 {
        let median = self.wall_median().as_secs_f64();
        if median > 0.0 {
            (self.wall_max() - self.wall_min()).as_secs_f64() / median
        } else {
            0.0
        }
    }

    /// How many runs' wall times are outliers ([`stats::outliers`]).
    pub fn wall_outliers(&self) -> usize {
        stats::outliers(&self.walls())
    }

    /// Mean user CPU time.
    pub fn user_mean(&self) -> Duration {
        let values = self.runs.iter().map(|r| r.user.as_secs_f64()).collect();
        self.summarize(values, stats::mean)
    }

    /// Mean system CPU time.
    pub fn system_mean(&self) -> Duration {
        let values = self.runs.iter().map(|r| r.system.as_secs_f64()).collect();
        self.summarize(values, stats::mean)
    }

    /// Median user CPU time.
    pub fn user_median(&self) -> Duration {
        let values = self.runs.iter().map(|r| r.user.as_secs_f64()).collect();
        self.summarize(values, stats::median)
    }

    /// Median system CPU time.
    pub fn system_median(&self) -> Duration {
        let values = self.runs.iter().map(|r| r.system.as_secs_f64()).collect();
        self.summarize(values, stats::median)
    }

    /// Median of the runs' CPU utilization, in % of one core.
    pub fn cpu_percent_median(&self) -> f64 {
        let values: Vec<f64> = self.runs.iter().map(RunMeasurement::cpu_percent).collect();
        stats::median(&values).unwrap_or(0.0)
    }

    /// The highest peak resident set size seen: this process's or a worker
    /// process's, whichever is larger, in bytes.
    pub fn peak_rss_bytes(&self) -> u64 {
        self.self_peak_rss_bytes()
            .max(self.children_peak_rss_bytes())
    }

    /// This process's highest peak resident set size over the runs, in bytes.
    pub fn self_peak_rss_bytes(&self) -> u64 {
        self.runs
            .iter()
            .map(|r| r.self_peak_rss_bytes)
            .max()
            .unwrap_or(0)
    }

    /// The highest peak resident set size of any worker process, in bytes
    /// (0 when the workers were threads).
    pub fn children_peak_rss_bytes(&self) -> u64 {
        self.runs
            .iter()
            .map(|r| r.children_peak_rss_bytes)
            .max()
            .unwrap_or(0)
    }

    /// What the rest of the machine took during this backend's runs, summed
    /// over them; `None` when a run was not sampled.
    pub fn contention(&self) -> Option<ContentionSummary> {
        let wall: f64 = self.runs.iter().map(|r| r.wall.as_secs_f64()).sum();
        if wall <= 0.0 {
            return None;
        }
        let mut sums = [0.0; 4];
        let mut pressure = Some(0.0);
        for run in &self.runs {
            let c = run.contention.as_ref()?;
            let resolution = c.resolution.as_secs_f64();
            for (sum, x) in sums.iter_mut().zip([
                c.others_cpu.as_secs_f64(),
                c.steal.as_secs_f64(),
                c.sampler_cpu.as_secs_f64(),
                resolution * resolution,
            ]) {
                *sum += x;
            }
            pressure = pressure
                .zip(c.pressure_stalled)
                .map(|(p, s)| p + s.as_secs_f64());
        }
        Some(ContentionSummary {
            others_cores: sums[0] / wall,
            steal_cores: sums[1] / wall,
            sampler_cores: sums[2] / wall,
            uncertainty_cores: 2.0 * sums[3].sqrt() / wall,
            pressure: pressure.map(|p| p / wall),
        })
    }

    /// The workers' time over all measured runs, split into running,
    /// waiting for a core and blocked ([`accounting`](super::accounting));
    /// `threads` the most of any run. `None` when a run was not accounted.
    pub fn time_accounting(&self) -> Option<TimeAccounting> {
        self.summed_accounting(|a| a.workers)
    }

    /// The same for the threads that started the workers and waited for
    /// them, reported apart ([`RunAccounting::coordinators`]).
    pub fn coordinator_accounting(&self) -> Option<TimeAccounting> {
        self.summed_accounting(|a| a.coordinators)
    }

    fn summed_accounting(
        &self,
        part: fn(&RunAccounting) -> TimeAccounting,
    ) -> Option<TimeAccounting> {
        let mut runs = self.runs.iter();
        let first = part(runs.next()?.accounting.as_ref()?);
        runs.try_fold(first, |sum, run| {
            Some(sum.merged_runs(part(run.accounting.as_ref()?)))
        })
    }

    /// How the runs were accounted: [`AccountingSource::SampledStates`] if
    /// any run needed sampled states; `None` when a run was not accounted.
    pub fn accounting_source(&self) -> Option<AccountingSource> {
        let mut source = AccountingSource::Schedstat;
        for run in &self.runs {
            if run.accounting.as_ref()?.source == AccountingSource::SampledStates {
                source = AccountingSource::SampledStates;
            }
        }
        (!self.runs.is_empty()).then_some(source)
    }

    /// Threads wanting to run at once, over all runs: the workers' running
    /// and waiting time ÷ the runs' summed wall time
    /// ([`TimeAccounting::wanting_to_run`]).
    pub fn wanting_to_run(&self) -> Option<f64> {
        let wall: Duration = self.runs.iter().map(|r| r.wall).sum();
        self.time_accounting()?.wanting_to_run(wall)
    }

    /// Cores the workers kept busy on average over all runs: their running
    /// time ÷ the runs' summed wall time.
    pub fn cores_busy(&self) -> Option<f64> {
        let wall: Duration = self.runs.iter().map(|r| r.wall).sum();
        self.time_accounting()?.cores_busy(wall)
    }

    /// The cores other programs and the hypervisor kept busy during the
    /// runs, as far as the runs tell ([`Others`]).
    pub fn others(&self) -> Others {
        match self.contention() {
            None => Others::NotSampled,
            Some(c) if c.uncertainty_cores > UNCERTAIN_OTHERS => Others::TooShort,
            Some(c) => Others::Cores(c.others_cores + c.steal_cores),
        }
    }

    /// The measured run whose wall time is nearest the median: a typical
    /// run, for a timeline.
    pub fn typical_run(&self) -> Option<(usize, &RunMeasurement)> {
        let median = self.wall_median();
        self.runs
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| r.wall.abs_diff(median))
    }

    /// Whether every run's sums equal the baseline's (false when they are
    /// not comparable).
    pub fn verified(&self) -> bool {
        self.comparable && self.mismatch.is_none()
    }
}

/// The outcome of [`Driver::run`](super::Driver::run).
#[derive(Debug, Clone)]
pub struct Report {
    /// The workload every backend ran.
    pub workload: Workload,
    /// How often each backend ran.
    pub plan: Plan,
    /// Where it ran.
    pub machine: Machine,
    /// The sequential baseline first, then the other backends in the order given.
    pub results: Vec<BackendResult>,
    /// The baseline's per-worker sums: the values every backend must reproduce.
    pub sums: Vec<i64>,
    /// When the driver started.
    pub started: SystemTime,
    /// The interpreter that ran the Python rows, if any ran.
    pub interpreter: Option<Interpreter>,
    /// This machine's `memcpy` bandwidth, measured before the first run when
    /// the workers hand their numbers back: the limit every copy is read
    /// against. `None` with sums.
    pub memcpy: Option<super::Bandwidth>,
}

impl Report {
    /// The sequential baseline's result: the oracle every row's sums are
    /// checked against, and the baseline of the Rust rows.
    pub fn baseline(&self) -> &BackendResult {
        &self.results[0]
    }

    /// The row `result`'s speedup is read against: the sequential row of its
    /// own language (`sequential` for Rust, `python-sequential` for
    /// Python), or `None` when that row did not run.
    pub fn baseline_of(&self, result: &BackendResult) -> Option<&BackendResult> {
        match result.language() {
            Language::Rust => Some(self.baseline()),
            language => self.result(language.baseline()),
        }
    }

    /// The result of the backend called `name`.
    pub fn result(&self, name: &str) -> Option<&BackendResult> {
        self.results.iter().find(|r| r.name() == name)
    }

    /// Whether rows of more than one language ran.
    pub fn languages(&self) -> Vec<Language> {
        let mut languages: Vec<Language> = self.results.iter().map(|r| r.language()).collect();
        languages.sort();
        languages.dedup();
        languages
    }

    /// Its baseline's median wall ÷ this backend's median wall
    /// ([`baseline_of`](Self::baseline_of)); `None` if it took no
    /// measurable time or its baseline did not run.
    pub fn speedup(&self, result: &BackendResult) -> Option<f64> {
        let wall = result.wall_median().as_secs_f64();
        let baseline = self.baseline_of(result)?.wall_median().as_secs_f64();
        (wall > 0.0).then(|| baseline / wall)
    }

    /// A 95 % confidence interval for [`speedup`](Self::speedup): the
    /// bootstrap interval of the ratio of the two rows' median wall times
    /// ([`stats::ratio_interval`]). `None` with fewer than 3 runs (one run
    /// cannot show its own spread), or for the baseline itself, which is
    /// exactly 1.
    pub fn speedup_interval(&self, result: &BackendResult) -> Option<(f64, f64)> {
        let baseline = self.baseline_of(result)?;
        if std::ptr::eq(result, baseline) {
            return None;
        }
        stats::ratio_interval(&baseline.walls(), &result.walls(), stats::CONFIDENCE)
    }

    /// The logical cores `result`'s workers could run on: those of every
    /// host it used, each machine once ([`BackendResult::cores_across`]), or
    /// this machine's.
    pub fn cores_for(&self, result: &BackendResult) -> usize {
        result
            .cores_across()
            .map_or(self.machine.logical_cores, |c| c.cores)
    }

    /// The workers that can really run at once: `min(parallelism, cores)`,
    /// the cores being those of every host the row used ([`cores_for`](Self::cores_for)).
    pub fn usable_parallelism(&self, result: &BackendResult) -> usize {
        result.parallelism.min(self.cores_for(result)).max(1)
    }

    /// Whether other programs (or the hypervisor) took enough of the cores
    /// `result` could use to bend its figures: the cores they kept busy
    /// beyond those the row left idle, less the measurement's uncertainty,
    /// reach [`CONTENTION_WARNING`] of the cores the row could use.
    pub fn contended(&self, result: &BackendResult) -> Option<Contended> {
        // The sampler sees this machine only.
        contended(
            result.contention()?,
            result.parallelism.min(self.machine.logical_cores).max(1),
            self.machine.logical_cores,
        )
    }

    /// Parallel efficiency: speedup ÷ [`usable_parallelism`](Self::usable_parallelism).
    /// 1.0 means every usable core did useful work for the whole run.
    pub fn efficiency(&self, result: &BackendResult) -> Option<f64> {
        Some(self.speedup(result)? / self.usable_parallelism(result) as f64)
    }

    /// Numbers drawn and summed per second of median wall time.
    pub fn throughput(&self, result: &BackendResult) -> Option<f64> {
        let wall = result.wall_median().as_secs_f64();
        (wall > 0.0).then(|| self.workload.total_numbers() as f64 / wall)
    }

    /// The sum of all workers' sums (exact: [`Workload::new`] guarantees it fits).
    pub fn total(&self) -> i64 {
        self.sums.iter().sum()
    }

    /// Twice the expected total, exactly: `workers × count × (low + high)`.
    /// (The expected total itself may end in .5.) It fits an `i128` for any
    /// validated workload: `workers × count × low` and `× high` each fit an
    /// `i64`.
    pub fn expected_total_twice(&self) -> i128 {
        let numbers = i128::from(self.workload.count()) * self.workload.workers() as i128;
        numbers * (i128::from(self.workload.low()) + i128::from(self.workload.high()))
    }

    /// The expected total, `workers × count × (low + high) / 2`, as the
    /// nearest `f64` (exactly: [`expected_total_twice`](Self::expected_total_twice)).
    pub fn expected_total(&self) -> f64 {
        self.expected_total_twice() as f64 / 2.0
    }

    /// How many standard deviations the total lies from its expected value,
    /// from the exact difference.
    pub fn total_z_score(&self) -> Option<f64> {
        let sigma = self.workload.worker_sum_std_dev() * (self.workload.workers() as f64).sqrt();
        let twice_off = 2 * i128::from(self.total()) - self.expected_total_twice();
        (sigma > 0.0).then(|| twice_off as f64 / 2.0 / sigma)
    }

    /// `Ok` when every backend reproduced the baseline's sums on every run,
    /// else [`Error::Mismatch`] for the first backend that did not.
    ///
    /// # Errors
    /// See above.
    pub fn verify(&self) -> Result<(), Error> {
        for result in &self.results {
            if let Some(m) = result.mismatch {
                return Err(Error::Mismatch {
                    backend: result.name(),
                    worker: m.worker,
                    run: m.run,
                    got: m.got,
                    expected: m.expected,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod cores_tests {
    use super::{HostFacts, cores_across};

    fn host(name: &str, cores: usize, boot: &str) -> HostFacts {
        HostFacts {
            name: name.to_owned(),
            logical_cores: cores,
            cpu_model: "x".to_owned(),
            boot_id: boot.to_owned(),
            workers: vec![0],
        }
    }

    #[test]
    fn the_cores_of_all_hosts_count_each_machine_once() {
        assert_eq!(cores_across(&[]), None);
        // Three namespaces of one 2-core machine: 2 cores, not 6.
        let one =
            cores_across(&[host("h1", 2, "b"), host("h2", 2, "b"), host("h3", 2, "b")]).unwrap();
        assert_eq!((one.cores, one.hosts, one.machines), (2, 3, 1));
        // Two machines of 4 and 8 cores, one of them seen under two names.
        let two =
            cores_across(&[host("a", 4, "m1"), host("b", 8, "m2"), host("a2", 4, "m1")]).unwrap();
        assert_eq!((two.cores, two.hosts, two.machines), (12, 3, 2));
    }
}
