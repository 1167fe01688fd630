//! Whole runs of each backend, as `cargo bench` measures them: one group per
//! workload size — the book's 8 × 1,000,000 and a small 8 × 100,000 where
//! start-up costs dominate — and one benchmark per backend. Every iteration
//! checks the backend's per-worker sums against the sequential ones.
//!
//! Throughput is in numbers per second. The process backend forks 8 children
//! per iteration, so the groups use criterion's smallest sample size to keep
//! `cargo bench` within a few minutes on 2 cores.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::{Backend, Workload, WorkloadSpec};

fn workload(count: u64) -> Workload {
    Workload::new(WorkloadSpec {
        workers: 8,
        count,
        seed: 2015,
        ..WorkloadSpec::default()
    })
    .expect("a valid workload")
}

/// One benchmark: a whole run of `backend`, its sums checked.
fn bench_backend(
    group: &mut BenchmarkGroup<'_, WallTime>,
    backend: &dyn Backend,
    workload: &Workload,
    expected: &[i64],
) {
    group.bench_function(backend.name(), |b| {
        b.iter(|| {
            let mut reports = backend
                .run(black_box(workload))
                .unwrap_or_else(|err| panic!("{err}"));
            reports.sort_by_key(|r| r.worker);
            let sums: Vec<i64> = reports.iter().map(|r| r.sum).collect();
            assert_eq!(
                sums,
                expected,
                "{} disagrees with sequential",
                backend.name()
            );
            sums
        })
    });
}

fn bench_backends(c: &mut Criterion) {
    let options = BackendOptions::default();
    // Built once: the rayon pool's start-up is not part of a run.
    let backends: Vec<Box<dyn Backend>> = BackendKind::in_process()
        .map(|kind| kind.build(&options).expect("a backend"))
        .collect();
    for (label, count) in [("book_8x1M", 1_000_000), ("small_8x100k", 100_000)] {
        let workload = workload(count);
        let expected: Vec<i64> = (0..workload.workers())
            .map(|i| gilfree::kernel::worker_sum(&workload, i))
            .collect();
        let mut group = c.benchmark_group(label);
        group
            .throughput(Throughput::Elements(workload.total_numbers()))
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for backend in &backends {
            bench_backend(&mut group, backend.as_ref(), &workload, &expected);
        }
        group.finish();
    }
}

criterion_group!(benches, bench_backends);
criterion_main!(benches);
