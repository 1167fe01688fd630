//! The gil backend: CPython's GIL, emulated. The same sums as every backend,
//! one core's worth of CPU whatever the worker count, and fair turns.

use std::time::Duration;

use gilfree::backend::GilBackend;
use gilfree::measure::{Driver, Plan};
use gilfree::{Backend, Workload, WorkloadSpec};

fn workload(workers: usize, count: u64) -> Workload {
    Workload::new(WorkloadSpec {
        workers,
        count,
        seed: 2015,
        ..WorkloadSpec::default()
    })
    .unwrap()
}

alone! {
    /// Alone, because the process's CPU time (getrusage) would count other
    /// tests' threads too.
    fn gil_workers_use_about_one_core_whatever_their_number() {
        // A job of at least 200 ms on this machine and build: sized from a
        // probe, and doubled while a run (on a busy machine, the probe may have
        // been slow) comes out shorter.
        let probe = std::time::Instant::now();
        let sum = gilfree::kernel::worker_sum(&workload(1, 5_000_000), 0);
        assert!(sum > 0);
        let per_number = probe.elapsed().as_secs_f64() / 5e6;
        let mut count = ((0.3 / per_number) / 4.0).ceil() as u64;
        let result = loop {
            let driver = Driver::new(workload(4, count), Plan::exactly(1, 0)).unwrap();
            let result = driver
                .measure_backend(&GilBackend::default(), None)
                .unwrap();
            if result.wall_median() >= Duration::from_millis(200) || count > 1 << 30 {
                break result;
            }
            count *= 2;
        };
        assert!(result.wall_median() >= Duration::from_millis(200), "{:?}", result.wall_median());
        let cpu = result.cpu_percent_median();
        // Generous: one core is 100 %; hand-overs and the waiting threads'
        // wake-ups add a little. Parallel threads on 2 cores show ~190 %.
        assert!(cpu < 130.0, "gil used {cpu:.0}% CPU");
    }
}

#[test]
fn every_gil_worker_gets_turns_before_any_finishes() {
    let backend = GilBackend::new(Duration::from_millis(1)).unwrap();
    let reports = backend.run(&workload(4, 10_000_000)).unwrap();
    let first_finish = reports.iter().map(|r| r.finish_ns).min().unwrap();
    for report in &reports {
        let first_turn = report.held_ns.first().expect("it held the lock").0;
        assert!(
            first_turn < first_finish,
            "worker {} waited until another had finished",
            report.worker
        );
        assert!(
            report.held_ns.len() >= 2,
            "worker {} ran in one go",
            report.worker
        );
        // It computed only while holding the lock: its CPU time fits in its turns.
        let held: u64 = report.held_ns.iter().map(|(a, b)| b - a).sum();
        assert!(
            report.cpu_time.as_nanos() as u64 <= held + 5_000_000,
            "worker {} computed outside its turns",
            report.worker
        );
    }
    let mut turns: Vec<(u64, u64)> = reports.iter().flat_map(|r| r.held_ns.clone()).collect();
    turns.sort();
    assert!(
        turns.windows(2).all(|w| w[0].1 <= w[1].0),
        "two holders at once"
    );
}

#[test]
fn a_materialized_gil_run_gives_the_same_sums() {
    let plain = workload(3, 300_001);
    let materialized = Workload::new(WorkloadSpec {
        materialize: true,
        ..plain.spec().clone()
    })
    .unwrap();
    let sums = |w: &Workload| {
        let mut reports = GilBackend::new(Duration::from_micros(100))
            .unwrap()
            .run(w)
            .unwrap();
        reports.sort_by_key(|r| r.worker);
        reports.iter().map(|r| r.sum).collect::<Vec<_>>()
    };
    let expected: Vec<i64> = (0..3)
        .map(|i| gilfree::kernel::worker_sum(&plain, i))
        .collect();
    assert_eq!(sums(&plain), expected);
    assert_eq!(sums(&materialized), expected);
}
