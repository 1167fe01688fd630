//! What measuring yields: each run's measurements, each backend's runs
//! with their statistics, and the [`Report`] of a whole run of the driver,
//! with the figures derived from it — speedup, efficiency, throughput —
//! and the verification of the sums.

use std::time::{Duration, SystemTime};

use super::machine::Machine;
use super::{Plan, stats};
use crate::error::Error;
use crate::worker::WorkerReport;
use crate::workload::Workload;

/// One measured run of one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The workers' reports, sorted by worker index.
    pub workers: Vec<WorkerReport>,
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
    /// The backend's name.
    pub name: &'static str,
    /// The backend's one-line description.
    pub description: &'static str,
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
}

impl BackendResult {
    fn walls(&self) -> Vec<f64> {
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

    /// Robust standard deviation of the wall time ([`stats::robust_std_dev`]).
    pub fn wall_robust_std_dev(&self) -> Duration {
        self.summarize(self.walls(), stats::robust_std_dev)
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
}

impl Report {
    /// The sequential baseline's result.
    pub fn baseline(&self) -> &BackendResult {
        &self.results[0]
    }

    /// The result of the backend called `name`.
    pub fn result(&self, name: &str) -> Option<&BackendResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// Baseline median wall ÷ this backend's median wall (`None` if it took no
    /// measurable time).
    pub fn speedup(&self, result: &BackendResult) -> Option<f64> {
        let wall = result.wall_median().as_secs_f64();
        (wall > 0.0).then(|| self.baseline().wall_median().as_secs_f64() / wall)
    }

    /// [`speedup`](Self::speedup) with its standard deviation, propagated
    /// from both backends' robust spread of wall times
    /// ([`BackendResult::wall_robust_std_dev`], [`stats::ratio_with_error`]):
    /// the "1.93 ± 0.04" of the summary. Medians and a median-based spread
    /// go together, and neither is thrown by one disturbed run.
    pub fn speedup_with_error(&self, result: &BackendResult) -> Option<(f64, f64)> {
        if std::ptr::eq(result, self.baseline()) {
            // Exactly 1: the same runs on both sides of the ratio.
            return self.speedup(result).map(|s| (s, 0.0));
        }
        let sample = |r: &BackendResult| {
            (
                r.wall_median().as_secs_f64(),
                r.wall_robust_std_dev().as_secs_f64(),
            )
        };
        stats::ratio_with_error(sample(self.baseline()), sample(result))
    }

    /// The workers that can really run at once: `min(parallelism, logical cores)`.
    pub fn usable_parallelism(&self, result: &BackendResult) -> usize {
        result.parallelism.min(self.machine.logical_cores).max(1)
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
                    backend: result.name,
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
