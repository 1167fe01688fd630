//! Every backend against the sequential oracle, and the reports they return.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use gilfree::backend::{BackendKind, BackendOptions, ProcessBackend, RayonBackend};
use gilfree::{Backend, Generator, Simd, Workload, WorkloadSpec, kernel};
use proptest::prelude::{ProptestConfig, prop_assert_eq, proptest};

fn all_backends() -> Vec<Box<dyn Backend>> {
    // Three rayon threads: fewer than some workloads' workers, more than others'.
    let options = BackendOptions {
        rayon_threads: 3,
        ..BackendOptions::default()
    };
    BackendKind::in_process()
        .map(|kind| kind.build(&options).unwrap())
        .collect()
}

fn sums(backend: &dyn Backend, workload: &Workload) -> Vec<i64> {
    let mut reports = backend.run(workload).unwrap();
    reports.sort_by_key(|r| r.worker);
    reports.iter().map(|r| r.sum).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every backend, every generator, and for the generator with SIMD
    /// paths a random path this machine has: the sums of the sequential
    /// kernel on the baseline path.
    #[test]
    fn every_backend_returns_the_sequential_sums(
        workers in 1usize..12,
        count in 0u64..20_000,
        low in -1_000_000i64..1_000_000,
        width in 0i64..1_000_000,
        seed: u64,
        materialize: bool,
        generator in 0..Generator::ALL.len(),
        simd in 0..Simd::ALL.len(),
    ) {
        let spec = WorkloadSpec {
            workers, count, low, high: low + width, seed, materialize,
            generator: Generator::ALL[generator],
            ..WorkloadSpec::default()
        };
        let simd = Some(Simd::ALL[simd]).filter(|simd| simd.is_supported());
        let baseline = Workload::new(WorkloadSpec { simd: Some(Simd::Scalar), ..spec.clone() }).unwrap();
        let workload = Workload::new(WorkloadSpec { simd, ..spec }).unwrap();
        let expected: Vec<i64> = (0..workers).map(|i| kernel::worker_sum(&baseline, i)).collect();
        for backend in all_backends() {
            prop_assert_eq!(
                &sums(backend.as_ref(), &workload), &expected,
                "{} {:?} {:?}", backend.name(), workload.generator(), workload.simd()
            );
        }
    }
}

#[test]
fn edge_workloads_agree_on_every_backend() {
    let cores = num_cpus::get();
    let cases = [
        WorkloadSpec {
            workers: 1,
            count: 0,
            ..WorkloadSpec::default()
        },
        WorkloadSpec {
            workers: 1,
            count: 1,
            ..WorkloadSpec::default()
        },
        WorkloadSpec {
            workers: 4 * cores + 1,
            count: 1000,
            ..WorkloadSpec::default()
        },
        WorkloadSpec {
            workers: 3,
            count: 777,
            low: -5,
            high: -5,
            ..WorkloadSpec::default()
        },
        WorkloadSpec {
            workers: 2,
            count: 1,
            low: i64::MIN / 2,
            high: i64::MAX / 2,
            ..WorkloadSpec::default()
        },
        WorkloadSpec {
            workers: 3,
            count: 5_001,
            materialize: true,
            ..WorkloadSpec::default()
        },
    ];
    for spec in cases {
        for generator in Generator::ALL {
            let spec = WorkloadSpec {
                generator,
                ..spec.clone()
            };
            let workload = Workload::new(spec.clone()).unwrap();
            let expected = sums(&gilfree::backend::SequentialBackend, &workload);
            for backend in all_backends() {
                assert_eq!(
                    sums(backend.as_ref(), &workload),
                    expected,
                    "{} on {spec:?}",
                    backend.name()
                );
            }
        }
    }
}

#[test]
fn count_zero_sums_to_zero() {
    let workload = Workload::new(WorkloadSpec {
        workers: 3,
        count: 0,
        ..WorkloadSpec::default()
    })
    .unwrap();
    for backend in all_backends() {
        assert_eq!(
            sums(backend.as_ref(), &workload),
            [0, 0, 0],
            "{}",
            backend.name()
        );
    }
}

#[test]
fn every_sum_lies_within_six_sigma_of_its_mean() {
    for generator in Generator::ALL {
        for (seed, low, high) in [
            (1, 1, 100),
            (2, -100, 100),
            (3, 0, 1),
            // Rejects a quarter of the 32-bit candidates.
            (4, 0, 3 * (1 << 30) - 1),
            (5, -(1 << 31), 1 << 31),
        ] {
            let count = 200_000;
            let workload = Workload::new(WorkloadSpec {
                workers: 16,
                count,
                low,
                high,
                seed,
                generator,
                ..WorkloadSpec::default()
            })
            .unwrap();
            let mean = workload.expected_worker_sum();
            let sigma = workload.worker_sum_std_dev();
            for worker in 0..16 {
                let sum = kernel::worker_sum(&workload, worker) as f64;
                assert!(
                    (sum - mean).abs() <= 6.0 * sigma,
                    "{} worker {worker}: {sum} vs {mean} ± 6 × {sigma}",
                    generator.name()
                );
            }
        }
    }
}

/// The lanes of the eight-lane generator are separate streams: each lane's
/// own sum (its numbers are every eighth pair) lies within 6σ too, and the
/// first numbers of every lane of every worker differ.
#[test]
fn every_lane_of_the_eight_lane_generator_is_uniform_and_distinct() {
    let count = 800_000;
    let workload = Workload::new(WorkloadSpec {
        workers: 4,
        count,
        low: 1,
        high: 100,
        seed: 6,
        generator: Generator::Xoshiro256PlusPlusX8,
        ..WorkloadSpec::default()
    })
    .unwrap();
    let lane_count = count / 8;
    let mean = lane_count as f64 * 50.5;
    let sigma = (lane_count as f64 * (100.0f64 * 100.0 - 1.0) / 12.0).sqrt();
    let mut heads = HashSet::new();
    for worker in 0..4 {
        let numbers = kernel::worker_numbers(&workload, worker);
        for lane in 0..8 {
            let mine = numbers
                .chunks_exact(2)
                .skip(lane)
                .step_by(8)
                .flatten()
                .copied();
            let sum = mine.clone().sum::<i64>() as f64;
            assert!(
                (sum - mean).abs() <= 6.0 * sigma,
                "worker {worker} lane {lane}: {sum} vs {mean} ± 6 × {sigma}"
            );
            heads.insert(mine.take(32).collect::<Vec<i64>>());
        }
    }
    assert_eq!(heads.len(), 32);
}

#[test]
fn the_same_seed_gives_the_same_sums_and_workers_get_different_streams() {
    let spec = WorkloadSpec {
        workers: 8,
        count: 10_000,
        seed: 77,
        ..WorkloadSpec::default()
    };
    let a = Workload::new(spec.clone()).unwrap();
    let b = Workload::new(spec.clone()).unwrap();
    let first = sums(&RayonBackend::new(2).unwrap(), &a);
    assert_eq!(first, sums(&RayonBackend::new(2).unwrap(), &b));
    // Distinct streams: the first numbers of every worker differ.
    let heads: HashSet<Vec<i64>> = (0..8)
        .map(|i| kernel::worker_numbers(&a, i)[..32].to_vec())
        .collect();
    assert_eq!(heads.len(), 8);
    // And another seed changes the sums.
    let other = Workload::new(WorkloadSpec { seed: 78, ..spec }).unwrap();
    assert_ne!(first, sums(&gilfree::backend::SequentialBackend, &other));
}

#[test]
fn worker_reports_are_plausible_on_every_backend() {
    let workload = Workload::new(WorkloadSpec {
        workers: 6,
        count: 300_000,
        ..WorkloadSpec::default()
    })
    .unwrap();
    for backend in all_backends() {
        let before = gilfree_now_ns();
        let started = Instant::now();
        let mut reports = backend.run(&workload).unwrap();
        let run_wall = started.elapsed();
        let after = gilfree_now_ns();
        reports.sort_by_key(|r| r.worker);
        let name = backend.name();
        assert_eq!(
            reports.iter().map(|r| r.worker).collect::<Vec<_>>(),
            (0..6).collect::<Vec<_>>(),
            "{name}"
        );
        for r in &reports {
            assert!(r.finish_ns >= r.start_ns, "{name}: {r:?}");
            // Worker times lie inside the run, on the shared monotonic clock,
            // even for forked children.
            assert!(
                r.start_ns >= before && r.finish_ns <= after,
                "{name}: {r:?} outside {before}..{after}"
            );
            assert!(r.cpu_time > Duration::ZERO, "{name}: {r:?}");
            assert!(
                r.cpu_time <= run_wall + cpu_over_wall_slack(run_wall),
                "{name}: {r:?} in {run_wall:?}"
            );
            assert!(
                r.cpu_at_start.is_some() && r.cpu_at_finish.is_some(),
                "{name}: {r:?}"
            );
        }
        let pids: HashSet<u32> = reports.iter().map(|r| r.pid).collect();
        let tids: HashSet<u32> = reports.iter().map(|r| r.tid).collect();
        let me = std::process::id();
        match name {
            _ if backend.profile().worker == gilfree::backend::WorkerKind::Process => {
                assert_eq!(pids.len(), 6, "{name}: one process per worker");
                assert!(!pids.contains(&me));
            }
            "sequential" => assert_eq!((pids, tids.len()), (HashSet::from([me]), 1)),
            "rayon" => assert!(pids == HashSet::from([me]) && tids.len() <= 3, "{tids:?}"),
            _ => assert!(
                pids == HashSet::from([me]) && tids.len() == 6,
                "one thread per worker"
            ),
        }
    }
}

/// CLOCK_MONOTONIC as the library reads it.
/// How far one thread's CPU time may exceed the wall time around it with
/// nothing wrong: the resolution of the thread's CPU clock and of the
/// monotonic clock (each reading may be off by one step), plus the 500 ppm
/// by which NTP may slew `CLOCK_MONOTONIC` against the scheduler's clock
/// that CPU time is counted on. Derived from the clocks, not a guess: on
/// this machine's 1 ns clocks it is about half a microsecond per second.
pub(crate) fn cpu_over_wall_slack(wall: Duration) -> Duration {
    use nix::time::{ClockId, clock_getres};
    let resolution = |clock| {
        clock_getres(clock).map_or(Duration::from_millis(10), |t| {
            Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
        })
    };
    resolution(ClockId::CLOCK_THREAD_CPUTIME_ID)
        + resolution(ClockId::CLOCK_MONOTONIC)
        + wall.mul_f64(500e-6)
}

fn gilfree_now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[test]
fn the_process_backend_leaves_no_child_and_no_open_pipe() {
    let workload = Workload::new(WorkloadSpec {
        workers: 5,
        count: 1000,
        ..WorkloadSpec::default()
    })
    .unwrap();
    let fds_before = open_fds();
    for _ in 0..20 {
        ProcessBackend.run(&workload).unwrap();
    }
    // Other tests run in parallel threads and may hold fds of their own for a
    // moment, so compare with some slack; a leak would be 5 or more per run.
    assert!(
        open_fds() <= fds_before + 8,
        "{} fds before, {} after",
        fds_before,
        open_fds()
    );
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn the_process_backend_runs_safely_after_rayon_threads_exist() {
    let workload = Workload::new(WorkloadSpec {
        workers: 4,
        count: 5_000,
        ..WorkloadSpec::default()
    })
    .unwrap();
    let rayon = RayonBackend::new(2).unwrap();
    let expected = sums(&rayon, &workload);
    for _ in 0..25 {
        assert_eq!(sums(&rayon, &workload), expected);
        assert_eq!(sums(&ProcessBackend, &workload), expected);
    }
}
