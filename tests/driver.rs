//! The driver: CPU accounting, verification, and what it does with a bad backend.

use std::time::Duration;

use gilfree::backend::{
    BackendKind, BackendOptions, ProcessBackend, Profile, Schedule, SequentialBackend, WorkerKind,
};
use gilfree::measure::{Driver, Plan};
use gilfree::{Backend, Error, WorkerReport, Workload, WorkloadSpec};

fn workload(workers: usize, count: u64) -> Workload {
    Workload::new(WorkloadSpec {
        workers,
        count,
        seed: 5,
        ..WorkloadSpec::default()
    })
    .unwrap()
}

#[test]
fn the_process_backends_cpu_time_is_counted_once_children_are_reaped() {
    let driver = Driver::new(workload(4, 3_000_000), Plan::exactly(2, 0)).unwrap();
    let result = driver.measure_backend(&ProcessBackend, None).unwrap();
    for run in &result.runs {
        let workers_cpu: Duration = run.workers.iter().map(|w| w.cpu_time).sum();
        assert!(workers_cpu > Duration::from_millis(1));
        // The children's own clocks and the parent's getrusage agree, roughly.
        assert!(
            run.children_cpu.as_secs_f64() >= 0.5 * workers_cpu.as_secs_f64(),
            "children {:?} < half of the workers' {workers_cpu:?}",
            run.children_cpu
        );
        assert!(run.cpu_time() >= run.children_cpu);
        assert!(run.cpu_percent() > 0.0);
    }
}

#[test]
fn a_full_run_measures_the_baseline_first_and_every_backend_once() {
    let driver = Driver::new(workload(3, 20_000), Plan::exactly(3, 1)).unwrap();
    let built: Vec<Box<dyn Backend>> = BackendKind::in_process()
        .map(|k| k.build(&BackendOptions::default()).unwrap())
        .collect();
    let backends: Vec<&dyn Backend> = built.iter().map(Box::as_ref).collect();
    let report = driver.run(&backends).unwrap();
    let names: Vec<&str> = report.results.iter().map(|r| r.name()).collect();
    let registered: Vec<&str> = BackendKind::in_process().map(|k| k.name()).collect();
    assert_eq!(
        names, registered,
        "the registry's order, the baseline first"
    );
    report.verify().unwrap();
    for result in &report.results {
        assert_eq!(result.runs.len(), 3);
        assert!(result.verified());
        assert!(
            result.wall_min() <= result.wall_median() && result.wall_median() <= result.wall_max()
        );
        let speedup = report.speedup(result).unwrap();
        let efficiency = report.efficiency(result).unwrap();
        let usable = report.usable_parallelism(result) as f64;
        assert!((efficiency * usable - speedup).abs() < 1e-9);
    }
    assert_eq!(report.speedup(report.baseline()), Some(1.0));
    assert_eq!(report.total(), report.sums.iter().sum::<i64>());
}

/// A backend that gets one worker's sum wrong, as a buggy one would.
struct OffByOne;

impl Backend for OffByOne {
    fn profile(&self) -> Profile {
        Profile::rust(
            "off-by-one",
            "adds 1 to worker 2's sum",
            WorkerKind::Thread,
            Schedule::OneAfterAnother,
        )
    }
    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let mut reports = SequentialBackend.run(workload)?;
        reports[2].sum += 1;
        Ok(reports)
    }
}

#[test]
fn a_wrong_sum_is_reported_with_backend_run_and_worker() {
    let driver = Driver::new(workload(4, 1000), Plan::exactly(2, 0)).unwrap();
    let report = driver.run(&[&OffByOne]).unwrap();
    let result = report.result("off-by-one").unwrap();
    assert!(!result.verified());
    let err = report.verify().unwrap_err();
    assert!(!err.is_usage());
    let expected = report.sums[2];
    assert_eq!(
        err.to_string(),
        format!(
            "off-by-one backend: worker 2 summed to {} in measured run 1, but the sequential baseline summed it to {expected}",
            expected + 1
        )
    );
}

/// A backend that forgets a worker.
struct Forgetful;

impl Backend for Forgetful {
    fn profile(&self) -> Profile {
        Profile::rust(
            "forgetful",
            "drops the last report",
            WorkerKind::Thread,
            Schedule::OneAfterAnother,
        )
    }
    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let mut reports = SequentialBackend.run(workload)?;
        reports.pop();
        Ok(reports)
    }
}

#[test]
fn a_backend_that_skips_a_worker_is_an_error() {
    let driver = Driver::new(workload(3, 10), Plan::exactly(1, 0)).unwrap();
    let err = driver.run(&[&Forgetful]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadReports {
                backend: "forgetful",
                ..
            }
        ),
        "{err}"
    );
}
