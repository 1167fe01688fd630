//! The per-worker computation: draw worker `i`'s numbers and sum them.
//!
//! Worker `i`'s numbers are a pure function of the workload's seed, `i`, the
//! range and the [`Generator`]; every backend calls the functions here, so
//! every backend draws the same numbers. Each generator has a file of its
//! own whose docs define its stream exactly: [`xoshiro_x8`] (the default:
//! eight xoshiro256++ lanes, drawn through SIMD), [`xoshiro`] (one lane, the
//! default before it), [`python`] (CPython's `random`, bit for bit) and
//! [`std_rng`] (`rand`'s `StdRng`, the idiomatic baseline).
//!
//! A generator's numbers never depend on the instruction set. The one that
//! has SIMD paths is drawn through the workload's [`Simd`] path, chosen at
//! run time ([`simd`] says how, and why that is sound).
//!
//! [`Stream`] is the one place that chooses the generator: it is built for a
//! worker and then drawn from, all at once ([`worker_sum`]), a piece at a
//! time ([`Stream::sum_some`], for the `gil` backend, which pauses between
//! pieces), or into memory ([`fill_worker_numbers`], for `--materialize`).
//! However it is drawn, the numbers and the sum are the same.
//!
//! # Sum
//!
//! The numbers are added in 64-bit two's-complement arithmetic, as offsets
//! from `low` plus `count × low`. [`Workload::new`] guarantees that the true
//! total fits in an `i64`, so the wrapping sum is the exact sum.
//!
//! # Fork safety
//!
//! Nothing the backends call here allocates, locks or panics: a forked child
//! of a multi-threaded parent may build a [`Stream`] and draw from it, or
//! fill memory it mapped itself. ([`worker_numbers`], for inspection,
//! allocates its vector.)

pub mod offsets;
pub mod python;
pub mod simd;
pub mod std_rng;
pub mod workload;
pub mod xoshiro;
pub mod xoshiro_x8;

pub use self::offsets::{fill_worker_offsets, offset_width, sum_offsets};
pub use self::python::python_numbers;
pub use self::simd::Simd;
pub use self::std_rng::rand_stream_start;
pub use self::workload::{MAX_WORKERS, Return, Workload, WorkloadError, WorkloadSpec};
pub use self::xoshiro::stream_start;

/// The pseudo-random generator behind every worker's stream.
///
/// Adding one: a file in `src/kernel/` with its stream type (see
/// [`xoshiro`]), a variant here with its name and its place in
/// [`Generator::ALL`], and its arms in [`Stream`]'s methods
/// (`docs/ARCHITECTURE.md` lists them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Generator {
    /// Eight interleaved xoshiro256++ lanes per worker, each lane a
    /// single-lane stream of its own (`jump()`s 2^128 steps apart), drawn
    /// through the widest SIMD path the CPU has, the same numbers on every
    /// path. See [`xoshiro_x8`] for the exact definition.
    #[default]
    Xoshiro256PlusPlusX8,
    /// xoshiro256++ (Blackman & Vigna), as implemented by `rand_xoshiro`,
    /// seeded through SplitMix64, one `jump()` (2^128 steps) apart per worker,
    /// each 64-bit output giving two 32-bit candidates sampled with Lemire's
    /// method. The default before [`Generator::Xoshiro256PlusPlusX8`]; kept so
    /// that older exports can be reproduced. See [`xoshiro`] for the exact
    /// definition.
    Xoshiro256PlusPlus,
    /// CPython's generator, bit for bit: worker `i` of a run with seed `s`
    /// draws what `random.Random((s << 32) + i).randint(low, high)` draws in
    /// CPython 3. See [`python`] for the exact definition.
    Python,
    /// `rand`'s `StdRng` with `random_range(low..=high)`, one call per
    /// number, as idiomatic Rust draws random integers. See [`std_rng`] for
    /// the exact definition.
    Rand,
}

impl Generator {
    /// Every generator, the default first.
    pub const ALL: [Generator; 4] = [
        Generator::Xoshiro256PlusPlusX8,
        Generator::Xoshiro256PlusPlus,
        Generator::Python,
        Generator::Rand,
    ];

    /// The generator's name, as printed in reports and recorded in exports.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Xoshiro256PlusPlusX8 => "xoshiro256++x8",
            Generator::Xoshiro256PlusPlus => "xoshiro256++",
            Generator::Python => "python",
            Generator::Rand => "rand",
        }
    }

    /// The generator called `name` ([`Generator::name`]), if any.
    pub fn from_name(name: &str) -> Option<Generator> {
        Generator::ALL.into_iter().find(|g| g.name() == name)
    }

    /// Whether the generator is drawn through a [`Simd`] path (the others
    /// run the same code whatever the CPU).
    pub fn has_simd_paths(self) -> bool {
        matches!(self, Generator::Xoshiro256PlusPlusX8)
    }

    /// How many xoshiro256++ streams, `jump()`s apart, each worker starts
    /// from (the workload caches their starts).
    pub(crate) fn xoshiro_streams_per_worker(self) -> usize {
        match self {
            Generator::Xoshiro256PlusPlusX8 => xoshiro_x8::LANES,
            Generator::Xoshiro256PlusPlus => 1,
            Generator::Python | Generator::Rand => 0,
        }
    }
}

/// How one generator draws a worker's offsets (number − `low`). [`Stream`]
/// keeps the count and the running sum; a source only draws.
trait Source {
    /// Draws about `budget` of the `left` numbers still due (at least one
    /// when `left > 0`, never more than `left`), and returns the wrapping sum
    /// of their offsets and how many it drew.
    fn sum_some(&mut self, budget: u64, left: u64) -> (u64, u64);

    /// Writes the next numbers (`low` + offset) into `out`, at most `left`,
    /// and returns how many. It may stop short of a full `out` where the
    /// generator cannot split its output there, but writes at least one
    /// number when `out` has room for two and `left > 0`.
    fn fill_some(&mut self, out: &mut [i64], low: i64, left: u64) -> usize;
}

/// The generator-specific state of a [`Stream`].
#[derive(Debug)]
// The python generator's state is 2.5 KB; boxing it would allocate, which a
// forked child must not do.
#[allow(clippy::large_enum_variant)]
enum Generators {
    XoshiroX8(xoshiro_x8::XoshiroX8Source),
    Xoshiro(xoshiro::XoshiroSource),
    Python(python::PythonSource),
    Rand(std_rng::RandSource),
}

/// Worker `i`'s stream, positioned at its start, to be drawn all at once or
/// a piece at a time. Wherever the pieces end, the sum is exactly
/// [`worker_sum`]'s and the numbers exactly [`fill_worker_numbers`]'s.
///
/// Allocates nothing, so a forked child may use it. (Not `Clone`: `rand`'s
/// `StdRng` is not.)
#[derive(Debug)]
pub struct Stream {
    source: Generators,
    low: i64,
    /// `count × low`, wrapping: with the wrapping sum of offsets it gives the
    /// exact sum, because the true sum fits in an `i64`.
    base: i64,
    left: u64,
    offsets: u64,
}

impl Stream {
    /// The start of worker `worker`'s stream: the one place where the
    /// workload's generator is chosen.
    pub fn new(workload: &Workload, worker: usize) -> Stream {
        let source = match workload.generator() {
            Generator::Xoshiro256PlusPlusX8 => {
                Generators::XoshiroX8(xoshiro_x8::XoshiroX8Source::new(workload, worker))
            }
            Generator::Xoshiro256PlusPlus => {
                Generators::Xoshiro(xoshiro::XoshiroSource::new(workload, worker))
            }
            Generator::Python => Generators::Python(python::PythonSource::new(workload, worker)),
            Generator::Rand => Generators::Rand(std_rng::RandSource::new(workload, worker)),
        };
        Stream {
            source,
            low: workload.low(),
            base: workload.low().wrapping_mul(workload.count() as i64),
            left: workload.count(),
            offsets: 0,
        }
    }

    fn source(&mut self) -> &mut dyn Source {
        match &mut self.source {
            Generators::XoshiroX8(source) => source,
            Generators::Xoshiro(source) => source,
            Generators::Python(source) => source,
            Generators::Rand(source) => source,
        }
    }

    /// Numbers not drawn yet.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// Draws about `budget` more numbers into the running sum (at least one,
    /// and never more than remain).
    pub fn sum_some(&mut self, budget: u64) {
        let left = self.left;
        if left == 0 {
            return;
        }
        let (sum, drawn) = match &mut self.source {
            // Matched here rather than through `source()`, so that the hot
            // loops are inlined for each generator.
            Generators::XoshiroX8(source) => source.sum_some(budget, left),
            Generators::Xoshiro(source) => source.sum_some(budget, left),
            Generators::Python(source) => source.sum_some(budget, left),
            Generators::Rand(source) => source.sum_some(budget, left),
        };
        self.offsets = self.offsets.wrapping_add(sum);
        self.left -= drawn;
    }

    /// Draws every number still due into the running sum.
    pub fn sum_rest(&mut self) {
        while self.left > 0 {
            self.sum_some(u64::MAX);
        }
    }

    /// The sum of the numbers drawn by [`sum_some`](Self::sum_some) so far:
    /// [`worker_sum`] once [`remaining`](Self::remaining) is 0.
    pub fn sum(&self) -> i64 {
        // `base` counts low once per number of the whole stream, so the sum
        // is only meaningful at the end; before, it is a running value.
        self.base.wrapping_add(self.offsets as i64)
    }

    /// Writes the next numbers into `out` and returns how many: all of `out`
    /// or all that are left, except that it may stop one short of a full
    /// `out` rather than split a 64-bit output.
    pub fn fill_some(&mut self, out: &mut [i64]) -> usize {
        let (low, left) = (self.low, self.left);
        let written = self.source().fill_some(out, low, left);
        self.left -= written as u64;
        written
    }
}

/// Worker `worker`'s sum, drawing its numbers without storing them.
///
/// Pure: the same workload and worker give the same sum on every call, every
/// thread and every process. Allocates nothing, takes no lock and cannot
/// panic, so a forked child may call it. The result ignores
/// [`Workload::materialize`]; see [`fill_worker_numbers`] for that mode.
pub fn worker_sum(workload: &Workload, worker: usize) -> i64 {
    let mut stream = Stream::new(workload, worker);
    stream.sum_rest();
    stream.sum()
}

/// Writes worker `worker`'s numbers into `out`, in stream order.
///
/// Allocates nothing and cannot panic: a forked child may call it on memory
/// it mapped itself. `out` must hold exactly [`Workload::count`] numbers;
/// if it is shorter, only its length is filled, if longer the rest is untouched.
pub fn fill_worker_numbers(workload: &Workload, worker: usize, out: &mut [i64]) {
    let mut stream = Stream::new(workload, worker);
    let end = out
        .len()
        .min(usize::try_from(workload.count()).unwrap_or(usize::MAX));
    let mut at = 0;
    while at < end && stream.remaining() > 0 {
        let written = stream.fill_some(&mut out[at..end]);
        if written == 0 {
            // One slot left and the generator cannot split its output: draw
            // the last number through a two-slot scratch.
            let mut pair = [0i64; 2];
            if stream.fill_some(&mut pair) == 0 {
                break;
            }
            out[at] = pair[0];
            at += 1;
            continue;
        }
        at += written;
    }
}

/// Sums materialized numbers the way [`worker_sum`] does (wrapping, exact for
/// any validated workload).
pub fn sum_numbers(numbers: &[i64]) -> i64 {
    numbers.iter().fold(0i64, |acc, &x| acc.wrapping_add(x))
}

/// Worker `worker`'s numbers as a vector, for inspection and teaching.
///
/// # Panics
/// Aborts like any allocation when the vector does not fit in memory; the
/// backends use [`fill_worker_numbers`] on fallibly allocated memory instead.
pub fn worker_numbers(workload: &Workload, worker: usize) -> Vec<i64> {
    let mut numbers = vec![0; workload.count() as usize];
    fill_worker_numbers(workload, worker, &mut numbers);
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};

    proptest! {
        #[test]
        fn a_stream_drawn_in_pieces_gives_the_same_sum_and_numbers(
            count in 0u64..3000,
            seed: u64,
            range in 0usize..4,
            budgets in proptest::collection::vec(0u64..200, 1..20),
            generator in 0..Generator::ALL.len(),
        ) {
            let (low, high) = [(1, 100), (-3, 3), (0, 1 << 40), (i64::MIN, i64::MAX)][range];
            let w = Workload::new_unchecked(WorkloadSpec {
                workers: 4,
                count,
                low,
                high,
                seed,
                generator: Generator::ALL[generator],
                ..WorkloadSpec::default()
            });
            let mut stream = Stream::new(&w, 2);
            let mut i = 0;
            while stream.remaining() > 0 {
                stream.sum_some(budgets[i % budgets.len()]);
                i += 1;
            }
            prop_assert_eq!(stream.sum(), worker_sum(&w, 2));

            let mut stream = Stream::new(&w, 2);
            let mut numbers = vec![0; count as usize];
            let mut at = 0;
            let mut i = 0;
            while stream.remaining() > 0 {
                let piece = (budgets[i % budgets.len()] as usize).max(2).min(numbers.len() - at);
                at += stream.fill_some(&mut numbers[at..at + piece]);
                i += 1;
                prop_assert!(i < 100_000, "no progress");
            }
            prop_assert_eq!(at, count as usize);
            prop_assert_eq!(&numbers, &worker_numbers(&w, 2));
            prop_assert_eq!(sum_numbers(&numbers), worker_sum(&w, 2));
        }
    }

    #[test]
    fn a_buffer_shorter_than_the_stream_is_filled_to_its_end() {
        for generator in Generator::ALL {
            let w = Workload::new(WorkloadSpec {
                count: 101,
                generator,
                ..WorkloadSpec::default()
            })
            .unwrap();
            let whole = worker_numbers(&w, 1);
            for len in [0, 1, 2, 7, 100] {
                let mut part = vec![0; len];
                fill_worker_numbers(&w, 1, &mut part);
                assert_eq!(part, whole[..len], "{} {len}", generator.name());
            }
            let mut longer = vec![-1; 103];
            fill_worker_numbers(&w, 1, &mut longer);
            assert_eq!(longer[..101], whole[..]);
            assert_eq!(longer[101..], [-1, -1]);
        }
    }
}
