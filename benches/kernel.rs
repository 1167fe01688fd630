//! The cost of one number: the per-worker kernel on one core, for each
//! generator, streaming and materialized, for the book's range and for a
//! range wide enough to need 64-bit sampling. Reported as numbers per second
//! (`Throughput::Elements`); 1 / that is the time per number.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gilfree::kernel::{self, stream_start};
use gilfree::{Generator, Workload, WorkloadSpec};

const COUNT: u64 = 1_000_000;

fn workload(generator: Generator, low: i64, high: i64) -> Workload {
    Workload::new(WorkloadSpec {
        workers: 2,
        count: COUNT,
        low,
        high,
        seed: 2015,
        generator,
        ..WorkloadSpec::default()
    })
    .expect("a valid workload")
}

/// Sums worker 1's numbers as the backends do, checking the sum every time.
fn streaming(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    workload: &Workload,
) {
    let expected = kernel::worker_sum(workload, 1);
    c.bench_function(id, |b| {
        b.iter(|| {
            let sum = kernel::worker_sum(black_box(workload), black_box(1));
            assert_eq!(sum, expected);
            sum
        })
    });
}

fn bench_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(COUNT));
    for generator in Generator::ALL {
        let name = generator.name();
        let book = workload(generator, 1, 100);
        streaming(&mut group, &format!("{name} 1..=100 streaming"), &book);

        let expected = kernel::worker_sum(&book, 1);
        let mut buffer = vec![0i64; COUNT as usize];
        group.bench_function(format!("{name} 1..=100 materialized"), |b| {
            b.iter(|| {
                kernel::fill_worker_numbers(black_box(&book), black_box(1), &mut buffer);
                let sum = kernel::sum_numbers(&buffer);
                assert_eq!(sum, expected);
                sum
            })
        });

        // As the gil backend draws: in pieces of 4096, pausing between them.
        group.bench_function(format!("{name} 1..=100 in 4096-number pieces"), |b| {
            b.iter(|| {
                let mut stream = kernel::Stream::new(black_box(&book), black_box(1));
                while stream.remaining() > 0 {
                    stream.sum_some(4096);
                }
                assert_eq!(stream.sum(), expected);
                stream.sum()
            })
        });

        let wide = workload(generator, 0, 1 << 40);
        streaming(&mut group, &format!("{name} 0..=2^40 streaming"), &wide);
    }
    group.finish();

    // The fixed cost of positioning a worker's stream (one jump_n).
    c.bench_function("stream_start (jump to worker 7)", |b| {
        b.iter(|| stream_start(black_box(2015), black_box(7)))
    });
}

criterion_group!(benches, bench_kernel);
criterion_main!(benches);
