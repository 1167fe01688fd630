//! The cost of one number: the per-worker kernel on one core, for every
//! generator and, for a generator with SIMD paths, every path this CPU has;
//! streaming, materialized and in the gil backend's pieces, for the book's
//! range and for a range wide enough to need 64-bit sampling. Reported as
//! numbers per second (`Throughput::Elements`); 1 / that is the time per
//! number. The three rungs: `rand` is what idiomatic Rust costs,
//! `xoshiro256++ … scalar` the single-core scalar optimum, `xoshiro256++x8
//! avx2`/`avx512` the SIMD one.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gilfree::kernel::{self, stream_start};
use gilfree::{Generator, Simd, Workload, WorkloadSpec};

const COUNT: u64 = 1_000_000;

fn workload(generator: Generator, simd: Option<Simd>, low: i64, high: i64) -> Workload {
    Workload::new(WorkloadSpec {
        workers: 2,
        count: COUNT,
        low,
        high,
        seed: 2015,
        generator,
        simd,
        ..WorkloadSpec::default()
    })
    .expect("a valid workload on a supported path")
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

/// Every generator with every path it can be drawn through here: the
/// generators without paths once, the others once per supported path.
fn variants() -> Vec<(Generator, Option<Simd>, String)> {
    let mut variants = Vec::new();
    for generator in Generator::ALL {
        if generator.has_simd_paths() {
            for simd in Simd::supported() {
                let label = format!("{} {simd}", generator.name());
                variants.push((generator, Some(simd), label));
            }
        } else {
            variants.push((generator, None, generator.name().to_owned()));
        }
    }
    variants
}

fn bench_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(COUNT));
    let variants = variants();
    // The book's range streaming first: the figures the README quotes.
    for (generator, simd, label) in &variants {
        let book = workload(*generator, *simd, 1, 100);
        streaming(&mut group, &format!("{label} 1..=100 streaming"), &book);
    }
    for (generator, simd, label) in &variants {
        let book = workload(*generator, *simd, 1, 100);
        let expected = kernel::worker_sum(&book, 1);
        let mut buffer = vec![0i64; COUNT as usize];
        group.bench_function(format!("{label} 1..=100 materialized"), |b| {
            b.iter(|| {
                kernel::fill_worker_numbers(black_box(&book), black_box(1), &mut buffer);
                let sum = kernel::sum_numbers(&buffer);
                assert_eq!(sum, expected);
                sum
            })
        });

        // As the gil backend draws: in pieces of 4096, pausing between them.
        group.bench_function(format!("{label} 1..=100 in 4096-number pieces"), |b| {
            b.iter(|| {
                let mut stream = kernel::Stream::new(black_box(&book), black_box(1));
                while stream.remaining() > 0 {
                    stream.sum_some(4096);
                }
                assert_eq!(stream.sum(), expected);
                stream.sum()
            })
        });

        let wide = workload(*generator, *simd, 0, 1 << 40);
        streaming(&mut group, &format!("{label} 0..=2^40 streaming"), &wide);
    }
    group.finish();

    // The fixed costs: positioning a worker's stream (one jump_n), and a
    // workload of 8 workers caching its 64 lane starts (64 jump()s).
    c.bench_function("stream_start (jump to worker 7)", |b| {
        b.iter(|| stream_start(black_box(2015), black_box(7)))
    });
    c.bench_function("Workload::new (8 workers × 8 lanes)", |b| {
        b.iter(|| {
            Workload::new(WorkloadSpec {
                seed: black_box(2015),
                ..WorkloadSpec::default()
            })
        })
    });
}

/// The reference limit of every copy gilfree times when workers hand their
/// numbers back (`--return numbers`): one thread's `memcpy` of 64 MiB, more
/// than the caches hold. A copy through a pipe crosses the kernel twice and
/// cannot beat it; gilfree measures the same in each such run
/// (`measure::memcpy_bandwidth`) and states the pipe's rate against it.
fn bench_memcpy(c: &mut Criterion) {
    const BYTES: usize = 64 << 20;
    let mut group = c.benchmark_group("memcpy");
    group.throughput(Throughput::Bytes(BYTES as u64));
    let from: Vec<u8> = (0..BYTES).map(|i| i as u8).collect();
    let mut to = vec![1u8; BYTES];
    group.bench_function("64 MiB, one thread (the limit of every copy)", |b| {
        b.iter(|| {
            to.copy_from_slice(black_box(&from));
            black_box(&to);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_kernel, bench_memcpy);
criterion_main!(benches);
