//! Times backends on a workload and checks that they all agree.
//!
//! For each backend the [`Driver`] makes `warmup` unmeasured runs, then `runs`
//! measured ones (Victor Stinner's advice in the book: several runs, keep the
//! median and the minimum), interleaved in rounds across the backends. A
//! measured run records its wall time and the CPU time that `getrusage` says
//! the process and its reaped children used during it, so the process
//! backend's CPU is counted once its children are waited for. Every run's
//! per-worker sums are compared with the sequential baseline's: gilfree's
//! central correctness property.

use std::time::{Duration, Instant, SystemTime};

use crate::backend::{Backend, SequentialBackend};
use crate::error::Error;
use crate::report::WorkerReport;
use crate::stats;
use crate::sys::{self, Who};
use crate::workload::Workload;

/// How many times to run each backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Measured runs per backend (≥ 1).
    pub runs: usize,
    /// Unmeasured runs before them, to warm caches, pools and page tables.
    pub warmup: usize,
}

impl Default for Plan {
    /// 5 measured runs after 1 warm-up.
    fn default() -> Self {
        Plan { runs: 5, warmup: 1 }
    }
}

/// The machine the measurements were taken on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The processor's model name, or `"unknown"`.
    pub cpu_model: String,
    /// Logical cores (hardware threads) available to this process.
    pub logical_cores: usize,
    /// Physical cores.
    pub physical_cores: usize,
    /// The operating system, as Rust names it (`linux`, `macos`, …).
    pub os: String,
    /// The kernel's name, release and version (`uname -srv`), or `"unknown"`.
    pub kernel: String,
    /// The CPU architecture (`x86_64`, `aarch64`, …).
    pub arch: String,
}

impl Machine {
    /// Asks the operating system.
    pub fn detect() -> Machine {
        let unknown = || "unknown".to_owned();
        Machine {
            cpu_model: sys::cpu_model().unwrap_or_else(unknown),
            logical_cores: num_cpus::get().max(1),
            physical_cores: num_cpus::get_physical().max(1),
            os: std::env::consts::OS.to_owned(),
            kernel: sys::kernel().unwrap_or_else(unknown),
            arch: std::env::consts::ARCH.to_owned(),
        }
    }
}

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
    /// How many workers can compute at once ([`Backend::parallelism`]).
    pub parallelism: usize,
    /// The measured runs, in order.
    pub runs: Vec<RunMeasurement>,
    /// The first difference from the baseline's sums, if any.
    pub mismatch: Option<Mismatch>,
    /// Whether the backend draws the same numbers as the baseline
    /// ([`Backend::draws_the_same_numbers`]); if not, its sums are not
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

/// The outcome of [`Driver::run`].
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

    /// The expected total, `workers × count × (low + high) / 2`.
    pub fn expected_total(&self) -> f64 {
        self.workload.expected_worker_sum() * self.workload.workers() as f64
    }

    /// How many standard deviations the total lies from its expected value.
    pub fn total_z_score(&self) -> Option<f64> {
        let sigma = self.workload.worker_sum_std_dev() * (self.workload.workers() as f64).sqrt();
        (sigma > 0.0).then(|| (self.total() as f64 - self.expected_total()) / sigma)
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

/// What the driver is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A run of `backend` is starting; `warmup` says whether it is measured.
    Run {
        /// The backend's name.
        backend: &'static str,
        /// 1-based index among the warm-up or the measured runs.
        index: usize,
        /// How many of that kind there are.
        of: usize,
        /// Whether this is a warm-up run.
        warmup: bool,
    },
}

/// Runs backends on one workload according to a [`Plan`].
#[derive(Debug, Clone)]
pub struct Driver {
    workload: Workload,
    plan: Plan,
    machine: Machine,
}

impl Driver {
    /// A driver for `workload`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when `plan.runs` is 0.
    pub fn new(workload: Workload, plan: Plan) -> Result<Driver, Error> {
        if plan.runs == 0 {
            return Err(Error::InvalidOption {
                option: "runs",
                value: "0".to_owned(),
                reason: "at least one measured run is needed",
            });
        }
        Ok(Driver {
            workload,
            plan,
            machine: Machine::detect(),
        })
    }

    /// The workload.
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    /// The machine it measures on.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Measures the sequential baseline, then each of `backends`, and compares
    /// every run's sums with the baseline's first run.
    ///
    /// A backend named `sequential` in `backends` is the baseline itself and is
    /// not run twice. A sum that differs does not stop the run: it is recorded
    /// in [`BackendResult::mismatch`] and reported by [`Report::verify`].
    ///
    /// # Errors
    /// [`Error::WorkerLimit`] before anything runs when a backend cannot run
    /// that many workers here ([`Backend::check`]); the first backend error
    /// (a worker failed); or [`Error::BadReports`] when a backend does not
    /// report each worker exactly once.
    pub fn run(&self, backends: &[&dyn Backend]) -> Result<Report, Error> {
        self.run_with_progress(backends, |_| {})
    }

    /// [`run`](Self::run), calling `progress` before every run.
    ///
    /// # Errors
    /// As for [`run`](Self::run).
    pub fn run_with_progress(
        &self,
        backends: &[&dyn Backend],
        mut progress: impl FnMut(Progress),
    ) -> Result<Report, Error> {
        let started = SystemTime::now();
        let baseline = SequentialBackend;
        let mut all: Vec<&dyn Backend> = vec![&baseline];
        all.extend(
            backends
                .iter()
                .copied()
                .filter(|b| b.name() != baseline.name()),
        );
        let mut results = self.measure(&all, &mut progress)?;
        let sums = results[0].runs[0].sums();
        for result in &mut results {
            if result.comparable {
                result.mismatch = find_mismatch(&result.runs, &sums);
            }
        }
        Ok(Report {
            workload: self.workload.clone(),
            plan: self.plan,
            machine: self.machine.clone(),
            results,
            sums,
            started,
        })
    }

    /// Warm-up and measured runs of one backend; compares sums with `expected`
    /// when given.
    ///
    /// # Errors
    /// As for [`run`](Self::run).
    pub fn measure_backend(
        &self,
        backend: &dyn Backend,
        expected: Option<&[i64]>,
    ) -> Result<BackendResult, Error> {
        let mut result = self.measure(&[backend], &mut |_| {})?.remove(0);
        if result.comparable {
            result.mismatch = expected.and_then(|sums| find_mismatch(&result.runs, sums));
        }
        Ok(result)
    }

    /// Warm-up and measured runs of each of `backends`, interleaved as in
    /// [`run`](Self::run) but without the baseline and without comparing
    /// sums, calling `progress` before every run. For sweeps, where each
    /// backend is its own reference.
    ///
    /// # Errors
    /// As for [`run`](Self::run).
    pub fn measure_backends(
        &self,
        backends: &[&dyn Backend],
        mut progress: impl FnMut(Progress),
    ) -> Result<Vec<BackendResult>, Error> {
        self.measure(backends, &mut progress)
    }

    /// Every backend's warm-ups, then the measured runs in rounds: run 1 of
    /// every backend, then run 2 of every backend, and so on. Interleaving
    /// spreads a slow drift of the machine's speed (another tenant, the clock
    /// frequency) over all backends instead of penalizing whichever ran
    /// during it, so the ratios between backends stay fair.
    fn measure(
        &self,
        backends: &[&dyn Backend],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<BackendResult>, Error> {
        for backend in backends {
            backend.check(&self.workload)?;
        }
        for backend in backends {
            for index in 1..=self.plan.warmup {
                progress(Progress::Run {
                    backend: backend.name(),
                    index,
                    of: self.plan.warmup,
                    warmup: true,
                });
                backend.run(&self.workload)?;
            }
        }
        let mut results: Vec<BackendResult> = backends
            .iter()
            .map(|backend| BackendResult {
                name: backend.name(),
                description: backend.description(),
                parallelism: backend.parallelism(&self.workload),
                runs: Vec::with_capacity(self.plan.runs),
                mismatch: None,
                comparable: backend.draws_the_same_numbers(&self.workload),
            })
            .collect();
        for index in 1..=self.plan.runs {
            for (backend, result) in backends.iter().zip(&mut results) {
                progress(Progress::Run {
                    backend: backend.name(),
                    index,
                    of: self.plan.runs,
                    warmup: false,
                });
                result.runs.push(self.measure_once(*backend)?);
            }
        }
        Ok(results)
    }

    fn measure_once(&self, backend: &dyn Backend) -> Result<RunMeasurement, Error> {
        // Outside the timed part: resetting walks the page tables.
        sys::reset_peak_rss();
        let self_before = sys::resource_usage(Who::SelfProcess);
        let children_before = sys::resource_usage(Who::Children);
        let started_ns = sys::monotonic_ns();
        let started = Instant::now();
        let reports = backend.run(&self.workload)?;
        let wall = started.elapsed();
        // Children count only once reaped; every backend reaps before returning.
        let self_after = sys::resource_usage(Who::SelfProcess);
        let children_after = sys::resource_usage(Who::Children);
        let children_user = children_after.user.saturating_sub(children_before.user);
        let children_system = children_after.system.saturating_sub(children_before.system);
        let workers = check_reports(backend.name(), self.workload.workers(), reports)?;
        let children_peak_rss_bytes = workers
            .iter()
            .filter_map(|w| w.peak_rss_bytes)
            .max()
            .unwrap_or(0);
        Ok(RunMeasurement {
            started_ns,
            wall,
            user: self_after.user.saturating_sub(self_before.user) + children_user,
            system: self_after.system.saturating_sub(self_before.system) + children_system,
            children_cpu: children_user + children_system,
            self_peak_rss_bytes: sys::self_peak_rss_bytes(),
            children_peak_rss_bytes,
            workers,
        })
    }
}

/// Sorts `reports` by worker and checks that they cover `0..workers` once each.
fn check_reports(
    backend: &'static str,
    workers: usize,
    mut reports: Vec<WorkerReport>,
) -> Result<Vec<WorkerReport>, Error> {
    reports.sort_by_key(|r| r.worker);
    let covered =
        reports.len() == workers && reports.iter().enumerate().all(|(i, r)| r.worker == i);
    if covered {
        Ok(reports)
    } else {
        Err(Error::BadReports {
            backend,
            problem: format!(
                "returned {} reports for {workers} workers, not one per worker",
                reports.len()
            ),
        })
    }
}

/// The first (run, worker) whose sum differs from `expected`.
fn find_mismatch(runs: &[RunMeasurement], expected: &[i64]) -> Option<Mismatch> {
    runs.iter().enumerate().find_map(|(run, measurement)| {
        measurement
            .workers
            .iter()
            .zip(expected)
            .find(|(report, want)| report.sum != **want)
            .map(|(report, &want)| Mismatch {
                run: run + 1,
                worker: report.worker,
                got: report.sum,
                expected: want,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(worker: usize, sum: i64) -> WorkerReport {
        WorkerReport {
            worker,
            sum,
            start_ns: 0,
            finish_ns: 1,
            cpu_time: Duration::ZERO,
            cpu_at_start: None,
            cpu_at_finish: None,
            pid: 0,
            tid: 0,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
        }
    }

    fn run(wall_ms: u64, sums: &[i64]) -> RunMeasurement {
        RunMeasurement {
            started_ns: 0,
            wall: Duration::from_millis(wall_ms),
            user: Duration::from_millis(wall_ms * 2),
            system: Duration::ZERO,
            children_cpu: Duration::ZERO,
            self_peak_rss_bytes: 0,
            children_peak_rss_bytes: 0,
            workers: sums
                .iter()
                .enumerate()
                .map(|(i, &s)| report(i, s))
                .collect(),
        }
    }

    #[test]
    fn reports_are_sorted_and_must_cover_each_worker_once() {
        let sorted = check_reports("x", 3, vec![report(2, 0), report(0, 0), report(1, 0)]).unwrap();
        assert_eq!(
            sorted.iter().map(|r| r.worker).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(check_reports("x", 3, vec![report(0, 0), report(1, 0)]).is_err());
        assert!(check_reports("x", 2, vec![report(0, 0), report(0, 0)]).is_err());
        assert!(check_reports("x", 1, vec![report(1, 0)]).is_err());
    }

    #[test]
    fn the_first_mismatch_names_run_and_worker() {
        let runs = [run(1, &[5, 6]), run(1, &[5, 7]), run(1, &[4, 7])];
        assert_eq!(
            find_mismatch(&runs, &[5, 6]),
            Some(Mismatch {
                run: 2,
                worker: 1,
                got: 7,
                expected: 6
            })
        );
        assert_eq!(find_mismatch(&runs[..1], &[5, 6]), None);
    }

    #[test]
    fn cpu_percent_is_cpu_over_wall() {
        assert_eq!(run(10, &[]).cpu_percent(), 200.0);
        let idle = RunMeasurement {
            wall: Duration::ZERO,
            ..run(0, &[])
        };
        assert_eq!(idle.cpu_percent(), 0.0);
    }

    #[test]
    fn wall_statistics_come_from_the_runs() {
        let result = BackendResult {
            name: "x",
            description: "",
            parallelism: 2,
            runs: vec![run(30, &[]), run(10, &[]), run(20, &[]), run(50, &[])],
            mismatch: None,
            comparable: true,
        };
        assert_eq!(result.wall_median(), Duration::from_millis(25));
        assert_eq!(result.wall_min(), Duration::from_millis(10));
        assert_eq!(result.wall_max(), Duration::from_millis(50));
        assert_eq!(
            result.wall_mean(),
            Duration::from_millis(27) + Duration::from_micros(500)
        );
        assert_eq!(result.cpu_percent_median(), 200.0);
    }

    #[test]
    fn zero_runs_are_refused() {
        let workload = Workload::new(crate::WorkloadSpec::default()).unwrap();
        let err = Driver::new(workload, Plan { runs: 0, warmup: 1 }).unwrap_err();
        assert!(err.is_usage());
        assert_eq!(
            err.to_string(),
            "runs = 0: at least one measured run is needed"
        );
    }
}
