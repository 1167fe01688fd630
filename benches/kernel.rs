//! The cost of one number: the per-worker kernel on one core, streaming and
//! materialized, for the book's range and for a range wide enough to need
//! 64-bit sampling. Reported as numbers per second (`Throughput::Elements`);
//! divide 1 by it for nanoseconds per number.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gilfree::kernel::{self, stream_start};
use gilfree::{Workload, WorkloadSpec};

const COUNT: u64 = 1_000_000;

fn workload(low: i64, high: i64) -> Workload {
    Workload::new(WorkloadSpec {
        workers: 2,
        count: COUNT,
        low,
        high,
        seed: 2015,
        ..WorkloadSpec::default()
    })
    .expect("a valid workload")
}

fn bench_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(COUNT));

    let book = workload(1, 100);
    let expected = kernel::worker_sum(&book, 1);
    group.bench_function("xoshiro256++ 1..=100 streaming", |b| {
        b.iter(|| {
            let sum = kernel::worker_sum(black_box(&book), black_box(1));
            assert_eq!(sum, expected);
            sum
        })
    });

    let mut buffer = vec![0i64; COUNT as usize];
    group.bench_function("xoshiro256++ 1..=100 materialized", |b| {
        b.iter(|| {
            kernel::fill_worker_numbers(black_box(&book), black_box(1), &mut buffer);
            let sum = kernel::sum_numbers(&buffer);
            assert_eq!(sum, expected);
            sum
        })
    });

    let wide = workload(0, 1 << 40);
    let expected_wide = kernel::worker_sum(&wide, 1);
    group.bench_function("xoshiro256++ 0..=2^40 streaming", |b| {
        b.iter(|| {
            let sum = kernel::worker_sum(black_box(&wide), black_box(1));
            assert_eq!(sum, expected_wide);
            sum
        })
    });
    group.finish();

    // The fixed cost of positioning a worker's stream (one jump_n).
    c.bench_function("stream_start (jump to worker 7)", |b| {
        b.iter(|| stream_start(black_box(2015), black_box(7)))
    });
}

criterion_group!(benches, bench_kernel);
criterion_main!(benches);
