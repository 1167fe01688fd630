//! The driver: warm-ups and measured runs of each backend, interleaved in
//! rounds, each run timed and its CPU taken from `getrusage`, every run's
//! sums compared with the baseline's.

use std::time::{Duration, Instant, SystemTime};

use super::{
    BackendResult, MAX_RUNS, Machine, Mismatch, Plan, Report, RunMeasurement, accounting, sampler,
};
use crate::backend::{Backend, Deadline, SequentialBackend};
use crate::error::Error;
use crate::kernel::{Return, Workload};
use crate::os::memory;
use crate::os::signal_safe::{self as sys, Who};
use crate::worker::{ThreadClock, WorkerReport};

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
        /// How many of that kind there are; for measured runs of a plan that
        /// is not exact, the most there may be.
        of: usize,
        /// Whether this is a warm-up run.
        warmup: bool,
    },
}

/// How long one run of one backend may take ([`Driver::with_timeout`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Timeout {
    /// [`AUTO_FACTOR`] times the driver's first run (the sequential
    /// baseline's, in a [`Driver::run`]), and at least [`AUTO_MINIMUM`];
    /// the first run itself has no limit.
    #[default]
    Auto,
    /// A fixed limit.
    After(Duration),
    /// No limit: a run may take forever.
    Never,
}

/// [`Timeout::Auto`]'s multiple of the first run: CPython's rows take a
/// few hundred times as long as Rust's sequential baseline.
pub const AUTO_FACTOR: u32 = 1000;
/// [`Timeout::Auto`]'s smallest limit.
pub const AUTO_MINIMUM: Duration = Duration::from_secs(60);

/// Runs backends on one workload according to a [`Plan`].
#[derive(Debug, Clone)]
pub struct Driver {
    workload: Workload,
    plan: Plan,
    machine: Machine,
    timeout: Timeout,
    sampling: bool,
    sample_interval: Duration,
}

impl Driver {
    /// A driver for `workload`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when `plan.min_runs` is 0, `plan.max_runs`
    /// is below it or above [`MAX_RUNS`], `plan.warmup` is above
    /// [`MAX_RUNS`], or `plan.precision` is not a positive fraction.
    pub fn new(workload: Workload, plan: Plan) -> Result<Driver, Error> {
        let invalid = |option, value: String, reason| Error::InvalidOption {
            option,
            value,
            reason,
        };
        let option = if plan.is_exact() { "runs" } else { "min-runs" };
        if plan.min_runs == 0 {
            return Err(invalid(
                option,
                "0".to_owned(),
                "at least one measured run is needed",
            ));
        }
        if plan.max_runs > MAX_RUNS {
            return Err(invalid(
                if plan.is_exact() { "runs" } else { "max-runs" },
                plan.max_runs.to_string(),
                "at most 10000 measured runs are supported",
            ));
        }
        if plan.max_runs < plan.min_runs {
            return Err(invalid(
                "max-runs",
                plan.max_runs.to_string(),
                "it must be at least --min-runs",
            ));
        }
        if !(plan.precision > 0.0 && plan.precision < 1.0) {
            return Err(invalid(
                "precision",
                plan.precision.to_string(),
                "it must be a fraction between 0 and 1",
            ));
        }
        if plan.warmup > MAX_RUNS {
            return Err(invalid(
                "warmup",
                plan.warmup.to_string(),
                "at most 10000 warm-up runs are supported",
            ));
        }
        Ok(Driver {
            workload,
            plan,
            machine: Machine::detect(),
            timeout: Timeout::default(),
            sampling: true,
            sample_interval: sampler::SAMPLE_INTERVAL,
        })
    }

    /// This driver, with runs limited by `timeout` (by default
    /// [`Timeout::Auto`]). A run that passes it fails with
    /// [`Error::Timeout`] where the backend can stop its workers
    /// ([`Backend::run_until`]).
    pub fn with_timeout(mut self, timeout: Timeout) -> Driver {
        self.timeout = timeout;
        self
    }

    /// This driver, with or without a sampler beside every
    /// measured run (by default with, where `/proc` allows): without it,
    /// [`RunMeasurement::contention`] stays `None`.
    pub fn with_sampling(mut self, sampling: bool) -> Driver {
        self.sampling = sampling;
        self
    }

    /// This driver, its sampler looking every `interval` instead of every
    /// [`SAMPLE_INTERVAL`](super::SAMPLE_INTERVAL): finer for a picture of
    /// short runs, at the cost of the sampler's CPU (measured in every
    /// run's [`Contention::sampler_cpu`](super::Contention::sampler_cpu)).
    /// At most one sample per millisecond.
    pub fn with_sample_interval(mut self, interval: Duration) -> Driver {
        self.sample_interval = interval.max(Duration::from_millis(1));
        self
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
    /// every run's sums with the baseline's first run. With a [`Plan`] that
    /// is not exact, each backend gets as many runs as its median needs.
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
        // The limit every copy is read against, measured on this machine
        // now, before the runs (its own buffers gone before they start).
        let memcpy = (self.workload.returns() == Return::Numbers)
            .then(|| {
                let bytes = usize::try_from(self.workload.returned_bytes()).unwrap_or(usize::MAX);
                super::memcpy_bandwidth(bytes.min(super::MEMCPY_MAX_BYTES), MEMCPY_SAMPLES)
            })
            .flatten();
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
            interpreter: backends.iter().find_map(|b| b.interpreter().cloned()),
            memcpy,
        })
    }

    /// Checks, before anything runs, that `backends` (and the baseline) can
    /// run this workload here: their limits ([`Backend::check`]) and the
    /// memory the numbers they hand back need. What [`run`](Self::run)
    /// checks first; for a program that runs several drivers and wants
    /// every refusal before the first run.
    ///
    /// # Errors
    /// As [`run`](Self::run)'s refusals: [`Error::WorkerLimit`],
    /// [`Error::TransferTooLarge`].
    pub fn check(&self, backends: &[&dyn Backend]) -> Result<(), Error> {
        let baseline = SequentialBackend;
        let all: Vec<&dyn Backend> = std::iter::once(&baseline as &dyn Backend)
            .chain(backends.iter().copied())
            .collect();
        for backend in &all {
            backend.check(&self.workload)?;
        }
        check_memory(&self.workload, &all)
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
        check_memory(&self.workload, backends)?;
        let mut limit = match self.timeout {
            Timeout::After(limit) => Some(limit),
            Timeout::Auto | Timeout::Never => None,
        };
        let mut first_run = true;
        let mut note_first_run = |wall: Duration, limit: &mut Option<Duration>| {
            if first_run && self.timeout == Timeout::Auto {
                *limit = Some(wall.saturating_mul(AUTO_FACTOR).max(AUTO_MINIMUM));
            }
            first_run = false;
        };
        for backend in backends {
            for index in 1..=self.plan.warmup {
                progress(Progress::Run {
                    backend: backend.name(),
                    index,
                    of: self.plan.warmup,
                    warmup: true,
                });
                backend.prepare(&self.workload)?;
                let started = Instant::now();
                let ran = backend.run_until(&self.workload, limit.map(Deadline::after));
                let wall = started.elapsed();
                backend.release();
                ran?;
                note_first_run(wall, &mut limit);
            }
        }
        let mut results: Vec<BackendResult> = backends
            .iter()
            .map(|backend| BackendResult {
                profile: backend.profile(),
                parallelism: backend.parallelism(&self.workload),
                runs: Vec::with_capacity(self.plan.min_runs),
                mismatch: None,
                comparable: backend.draws_the_same_numbers(&self.workload),
                interpreter: backend.interpreter().cloned(),
            })
            .collect();
        // Rounds until every backend has its runs: in each round, one run of
        // every backend that still wants more, in the order given.
        for index in 1..=self.plan.max_runs {
            let wanted: Vec<bool> = results
                .iter()
                .map(|r| self.plan.wants_more(&r.walls()))
                .collect();
            if !wanted.contains(&true) {
                break;
            }
            for ((backend, result), _) in backends
                .iter()
                .zip(&mut results)
                .zip(wanted)
                .filter(|(_, wanted)| *wanted)
            {
                progress(Progress::Run {
                    backend: backend.name(),
                    index,
                    of: self.plan.max_runs,
                    warmup: false,
                });
                let run = self.measure_once(*backend, limit.map(Deadline::after))?;
                note_first_run(run.wall, &mut limit);
                result.runs.push(run);
            }
        }
        Ok(results)
    }

    fn measure_once(
        &self,
        backend: &dyn Backend,
        deadline: Option<Deadline>,
    ) -> Result<RunMeasurement, Error> {
        // Outside the timed part: what the run's parent receives the numbers
        // in, preallocated; resetting the peak walks the page tables.
        backend.prepare(&self.workload)?;
        memory::reset_peak_rss();
        let sampler = self
            .sampling
            .then(|| sampler::Sampler::start(self.sample_interval))
            .flatten();
        let self_before = sys::resource_usage(Who::SelfProcess);
        let children_before = sys::resource_usage(Who::Children);
        let started_ns = sys::monotonic_ns();
        let driving = ThreadClock::now();
        let started = Instant::now();
        let run = backend.run_accounted(&self.workload, deadline);
        let wall = started.elapsed();
        let driving = driving.until_now();
        // Children count only once reaped; every backend reaps before returning.
        let self_after = sys::resource_usage(Who::SelfProcess);
        let children_after = sys::resource_usage(Who::Children);
        let mut sampled = sampler.and_then(sampler::Sampler::stop);
        let thread_states = sampled
            .as_mut()
            .and_then(sampler::Finished::take_thread_states);
        // Outside the timed part, as it was made: the memory prepared for it.
        backend.release();
        let crate::backend::BackendRun {
            reports,
            mut coordinators,
        } = run?;
        let children_user = children_after.user.saturating_sub(children_before.user);
        let children_system = children_after.system.saturating_sub(children_before.system);
        let mut user = self_after.user.saturating_sub(self_before.user) + children_user;
        let mut system = self_after.system.saturating_sub(self_before.system) + children_system;
        let contention = sampled.and_then(|sampled| {
            // The machine's busy time holds the sampler's too; the run's
            // columns do not.
            let (own_user, own_system) = sampled.own_usage();
            let tree = user + system;
            user = user.saturating_sub(own_user);
            system = system.saturating_sub(own_system);
            sampled.contention(tree)
        });
        let workers = check_reports(backend.name(), self.workload.workers(), reports)?;
        coordinators.push(driving);
        let accounting = accounting::account_run(&workers, &coordinators, thread_states.as_ref());
        // Worker processes the driver did not reap (ranks on other hosts, or
        // under another machine's daemon) measured their own CPU time: it
        // joins the run's columns. Those that ran on this very kernel (hosts
        // that are namespaces or containers here) were seen by the sampler
        // as other programs: they are the run's own.
        let this_boot = crate::os::machine::boot_id();
        let mut uncounted_cpu = Duration::ZERO;
        let mut uncounted_here = Duration::ZERO;
        for facts in workers.iter().filter_map(|w| w.process.as_ref()) {
            if facts.counted_by_driver {
                continue;
            }
            user += facts.user;
            system += facts.system;
            uncounted_cpu += facts.user + facts.system;
            if this_boot.as_deref() == Some(facts.boot_id.as_str()) {
                uncounted_here += facts.user + facts.system;
            }
        }
        let contention = contention.map(|mut contention| {
            contention.others_cpu = contention.others_cpu.saturating_sub(uncounted_here);
            contention
        });
        let children_peak_rss_bytes = workers
            .iter()
            .filter_map(|w| w.peak_rss_bytes)
            .max()
            .unwrap_or(0);
        Ok(RunMeasurement {
            started_ns,
            wall,
            user,
            system,
            children_cpu: children_user + children_system,
            uncounted_cpu,
            contention,
            accounting,
            self_peak_rss_bytes: memory::self_peak_rss_bytes(),
            children_peak_rss_bytes,
            workers,
        })
    }
}

/// How many `memcpy`s the reference bandwidth is the fastest of.
const MEMCPY_SAMPLES: usize = 7;

/// Refuses, before anything runs, numbers handed back that would not fit in
/// the memory available to one run of some backend: better one clear line
/// than a run the kernel's OOM killer ends, or a machine swapping.
fn check_memory(workload: &Workload, backends: &[&dyn Backend]) -> Result<(), Error> {
    if workload.returns() != Return::Numbers {
        return Ok(());
    }
    let Some(available) = memory::available_bytes() else {
        return Ok(());
    };
    for backend in backends {
        let need = backend.returned_memory(workload);
        if need > available {
            return Err(Error::TransferTooLarge {
                backend: backend.name(),
                workers: workload.workers(),
                count: workload.count(),
                width: workload.number_width(),
                need,
                available,
            });
        }
    }
    Ok(())
}

/// Sorts `reports` by worker and checks that they cover `0..workers` once each.
pub(crate) fn check_reports(
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
    use std::time::Duration;

    fn report(worker: usize, sum: i64) -> WorkerReport {
        WorkerReport {
            worker,
            sum,
            start_ns: 0,
            finish_ns: 1,
            cpu_time: Duration::ZERO,
            waiting_for_cpu: None,
            cpu_at_start: None,
            cpu_at_finish: None,
            pid: 0,
            tid: 0,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
            host: None,
            ready_ns: None,
            process: None,
            transfer: None,
        }
    }

    fn run(wall_ms: u64, sums: &[i64]) -> RunMeasurement {
        RunMeasurement {
            started_ns: 0,
            wall: Duration::from_millis(wall_ms),
            user: Duration::from_millis(wall_ms * 2),
            system: Duration::ZERO,
            children_cpu: Duration::ZERO,
            uncounted_cpu: Duration::ZERO,
            self_peak_rss_bytes: 0,
            children_peak_rss_bytes: 0,
            contention: None,
            accounting: None,
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
            profile: crate::backend::Profile::rust(
                "x",
                "",
                crate::backend::WorkerKind::Thread,
                crate::backend::Schedule::AtOnce,
            ),
            parallelism: 2,
            runs: vec![run(30, &[]), run(10, &[]), run(20, &[]), run(50, &[])],
            mismatch: None,
            comparable: true,
            interpreter: None,
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
        let workload = Workload::new(crate::kernel::WorkloadSpec::default()).unwrap();
        let err = Driver::new(workload, Plan::exactly(0, 1)).unwrap_err();
        assert!(err.is_usage());
        assert_eq!(
            err.to_string(),
            "runs = 0: at least one measured run is needed"
        );
    }
}
