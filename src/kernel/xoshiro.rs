//! The default generator, xoshiro256++, and how a worker's numbers are drawn
//! from it.
//!
//! # The stream, exactly
//!
//! Worker `i` of a run with seed `s` draws its numbers as follows.
//!
//! 1. **Generator.** xoshiro256++ (Blackman & Vigna), `rand_xoshiro`'s
//!    `Xoshiro256PlusPlus`. Its 256-bit state is four successive outputs of
//!    SplitMix64 started at `s` (`Xoshiro256PlusPlus::seed_from_u64(s)`).
//! 2. **Stream.** Worker `i` starts `i × 2^128` steps further on — the state
//!    after calling `jump()` `i` times, computed in one step by
//!    `jump_n(&[0, 0, i, 0])`. Workers' streams therefore never overlap
//!    (each has 2^128 outputs to itself).
//! 3. **Sampling** `n = high − low + 1` values, without bias (Lemire's
//!    multiply-and-reject method, with the rejection threshold `t = 2^b mod n`):
//!    - for `n ≤ 2^32`, each 64-bit output `x` gives two 32-bit candidates,
//!      its low half first, then its high half. A candidate `c` gives
//!      `m = c × n` (64-bit); it is rejected when `m mod 2^32 < t` (with
//!      `b = 32`), else the number is `low + ⌊m / 2^32⌋`. The unused half of
//!      the last output is discarded.
//!    - for `2^32 < n < 2^64`, each output is one candidate with `m = x × n`
//!      (128-bit), rejected when `m mod 2^64 < t` (`b = 64`), else the number
//!      is `low + ⌊m / 2^64⌋`.
//!    - for `n = 2^64` (the whole `i64` range), the offset is `x` itself and
//!      the number `low + x` (mod 2^64).
//! 4. **Sum.** The numbers are added in 64-bit two's-complement arithmetic.
//!    [`Workload::new`] guarantees the true total fits in an `i64`, so the
//!    wrapping sum is the exact sum.
//!
//! Drawing two numbers per output keeps the kernel near half a nanosecond per
//! number on a current x86-64 core; for the book's range the rejection
//! probability is 96 / 2^32, so the check is a branch that is never taken.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::Source;
use crate::kernel::Workload;

/// The generator positioned at the start of worker `worker`'s stream: the
/// definition, computed in one (slow, ~0.4 ms) polynomial jump. [`Workload`]
/// caches every worker's start with successive `jump()`s instead.
pub fn stream_start(seed: u64, worker: usize) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // worker × 2^128 steps: the little-endian 256-bit distance [0, 0, worker, 0].
    rng.jump_n(&[0, 0, worker as u64, 0]);
    rng
}

/// The starts of streams `0..streams` ([`stream_start`]), by successive
/// `jump()`s (about half a microsecond each), in one allocation.
pub(crate) fn stream_starts(seed: u64, streams: usize) -> Arc<[Xoshiro256PlusPlus]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // A range mapped has an exact length: the Arc is allocated once, with no
    // vector copied into it.
    (0..streams)
        .map(|_| {
            let start = rng.clone();
            rng.jump();
            start
        })
        .collect()
}

/// How to turn 64-bit outputs into unbiased offsets in `0..n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sampler {
    /// `1 <= n <= 2^32`: two candidates per output; `threshold = 2^32 mod n`.
    Narrow { n: u64, threshold: u64 },
    /// `2^32 < n < 2^64`: one candidate per output; `threshold = 2^64 mod n`.
    Wide { n: u64, threshold: u64 },
    /// `n = 2^64`: every output is an offset.
    Full,
}

impl Sampler {
    /// The sampler for the inclusive range `low..=high` (`low <= high`).
    pub(crate) fn new(low: i64, high: i64) -> Sampler {
        // high − low fits u64 for any i64 pair with low <= high.
        let span_minus_one = high.wrapping_sub(low) as u64;
        match span_minus_one.checked_add(1) {
            None => Sampler::Full,
            Some(n) if n <= 1 << 32 => Sampler::Narrow {
                n,
                threshold: (1u64 << 32) % n,
            },
            Some(n) => Sampler::Wide {
                n,
                threshold: n.wrapping_neg() % n,
            },
        }
    }
}

/// Calls `f` with each of the `count` offsets (number − low) of a stream, in order.
#[inline(always)]
fn for_each_offset(
    rng: &mut Xoshiro256PlusPlus,
    sampler: Sampler,
    count: u64,
    mut f: impl FnMut(u64),
) {
    const LOW_HALF: u64 = 0xFFFF_FFFF;
    let mut left = count;
    match sampler {
        Sampler::Narrow { n, threshold } => {
            // Hot loop: two candidates per output, both accepted in all but
            // ~threshold/2^32 of the cases.
            while left >= 2 {
                let x = rng.next_u64();
                let m0 = (x & LOW_HALF) * n;
                let m1 = (x >> 32) * n;
                if (m0 & LOW_HALF) >= threshold && (m1 & LOW_HALF) >= threshold {
                    f(m0 >> 32);
                    f(m1 >> 32);
                    left -= 2;
                } else {
                    for m in [m0, m1] {
                        if (m & LOW_HALF) >= threshold {
                            f(m >> 32);
                            left -= 1;
                        }
                    }
                }
            }
            // Zero or one number to go; the second half of its output is
            // discarded once the stream is complete.
            'tail: while left > 0 {
                let x = rng.next_u64();
                for c in [x & LOW_HALF, x >> 32] {
                    let m = c * n;
                    if (m & LOW_HALF) >= threshold {
                        f(m >> 32);
                        left -= 1;
                        if left == 0 {
                            break 'tail;
                        }
                    }
                }
            }
        }
        Sampler::Wide { n, threshold } => {
            while left > 0 {
                let m = u128::from(rng.next_u64()) * u128::from(n);
                if (m as u64) >= threshold {
                    f((m >> 64) as u64);
                    left -= 1;
                }
            }
        }
        Sampler::Full => {
            for _ in 0..count {
                f(rng.next_u64());
            }
        }
    }
}

/// Sums the narrow sampler's offsets a block of 64 candidates at a time, while
/// at least 64 numbers are left; returns the sum and the numbers still to draw.
///
/// Same numbers as [`for_each_offset`] (tests check it), but the block has a
/// fixed trip count and no data-dependent branch: a rejected candidate adds
/// nothing and is made up for in a later block. About 15 % faster.
#[inline(always)]
fn sum_narrow_blocks(
    rng: &mut Xoshiro256PlusPlus,
    n: u64,
    threshold: u64,
    count: u64,
) -> (u64, u64) {
    const LOW_HALF: u64 = 0xFFFF_FFFF;
    const OUTPUTS: u64 = 32;
    let mut left = count;
    let mut sum: u64 = 0;
    while left >= 2 * OUTPUTS {
        let mut rejected = 0;
        for _ in 0..OUTPUTS {
            let x = rng.next_u64();
            let m0 = (x & LOW_HALF) * n;
            let m1 = (x >> 32) * n;
            let keep0 = (m0 & LOW_HALF) >= threshold;
            let keep1 = (m1 & LOW_HALF) >= threshold;
            rejected += u64::from(!keep0) + u64::from(!keep1);
            sum = sum
                .wrapping_add((m0 >> 32) & u64::from(keep0).wrapping_neg())
                .wrapping_add((m1 >> 32) & u64::from(keep1).wrapping_neg());
        }
        left -= 2 * OUTPUTS - rejected;
    }
    (sum, left)
}

/// Worker `i`'s xoshiro256++ stream for a [`Stream`](super::Stream).
#[derive(Debug, Clone)]
pub(crate) struct XoshiroSource {
    rng: Xoshiro256PlusPlus,
    sampler: Sampler,
}

impl XoshiroSource {
    /// The start of worker `worker`'s stream, from the workload's cache.
    pub(crate) fn new(workload: &Workload, worker: usize) -> XoshiroSource {
        XoshiroSource {
            rng: workload.stream(worker),
            sampler: *workload.sampler(),
        }
    }
}

impl Source for XoshiroSource {
    #[inline(always)]
    fn sum_some(&mut self, budget: u64, left: u64) -> (u64, u64) {
        let mut offsets: u64 = 0;
        match self.sampler {
            // Whole blocks while at least one is due; a piece stops only
            // between two 64-bit outputs, never between their halves.
            Sampler::Narrow { n, threshold } if left >= 64 => {
                let take = budget.max(64).min(left);
                let (sum, rest) = sum_narrow_blocks(&mut self.rng, n, threshold, take);
                (sum, take - rest)
            }
            // The end of the stream, drawn as in one go.
            Sampler::Narrow { .. } => {
                for_each_offset(&mut self.rng, self.sampler, left, |o| {
                    offsets = offsets.wrapping_add(o);
                });
                (offsets, left)
            }
            Sampler::Wide { .. } | Sampler::Full => {
                let take = budget.max(1).min(left);
                for_each_offset(&mut self.rng, self.sampler, take, |o| {
                    offsets = offsets.wrapping_add(o);
                });
                (offsets, take)
            }
        }
    }

    fn fill_some(&mut self, out: &mut [i64], low: i64, mut left: u64) -> usize {
        const LOW_HALF: u64 = 0xFFFF_FFFF;
        let mut written = 0;
        match self.sampler {
            Sampler::Narrow { n, threshold } => {
                // Whole outputs while two numbers fit and two are due.
                while out.len() - written >= 2 && left >= 2 {
                    let x = self.rng.next_u64();
                    for c in [x & LOW_HALF, x >> 32] {
                        let m = c * n;
                        if (m & LOW_HALF) >= threshold {
                            out[written] = low.wrapping_add((m >> 32) as i64);
                            written += 1;
                            left -= 1;
                        }
                    }
                }
                if left < 2 && out.len() - written >= usize::from(left == 1) {
                    let slots = &mut out[written..];
                    let mut i = 0;
                    for_each_offset(&mut self.rng, self.sampler, left, |o| {
                        slots[i] = low.wrapping_add(o as i64);
                        i += 1;
                    });
                    written += i;
                }
            }
            Sampler::Wide { .. } | Sampler::Full => {
                let take = (out.len() as u64).min(left);
                let slots = &mut out[..take as usize];
                let mut i = 0;
                for_each_offset(&mut self.rng, self.sampler, take, |o| {
                    slots[i] = low.wrapping_add(o as i64);
                    i += 1;
                });
                written = i;
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;
    use crate::kernel::{sum_numbers, worker_numbers, worker_sum};
    use proptest::prelude::{prop_assert_eq, proptest};

    fn workload(count: u64, low: i64, high: i64, seed: u64) -> Workload {
        assert!(low <= high);
        Workload::new_unchecked(WorkloadSpec {
            workers: 4,
            count,
            low,
            high,
            seed,
            generator: crate::kernel::Generator::Xoshiro256PlusPlus,
            ..WorkloadSpec::default()
        })
    }

    /// A deliberately plain restatement of the module docs: one candidate at
    /// a time, with Lemire's original two-step check.
    fn reference_numbers(w: &Workload, worker: usize) -> Vec<i64> {
        let mut rng = stream_start(w.seed(), worker);
        let n = (w.high() as i128 - w.low() as i128 + 1) as u128;
        let mut out = Vec::new();
        let mut pending: Option<u64> = None; // the high half of the last output
        while (out.len() as u64) < w.count() {
            let offset = if n <= 1 << 32 {
                let c = match pending.take() {
                    Some(hi) => hi,
                    None => {
                        let x = rng.next_u64();
                        pending = Some(x >> 32);
                        x & 0xFFFF_FFFF
                    }
                };
                let m = c as u128 * n;
                let l = m % (1 << 32);
                if l < n && l < (1u128 << 32) % n {
                    continue;
                }
                (m >> 32) as u64
            } else if n < 1 << 64 {
                let m = rng.next_u64() as u128 * n;
                let l = m % (1 << 64);
                if l < n && l < (1u128 << 64) % n {
                    continue;
                }
                (m >> 64) as u64
            } else {
                rng.next_u64()
            };
            out.push((w.low() as i128 + offset as i128) as i64);
        }
        out
    }

    #[test]
    fn the_sampler_picks_the_right_case_at_each_boundary() {
        assert_eq!(
            Sampler::new(1, 100),
            Sampler::Narrow {
                n: 100,
                threshold: 96
            }
        );
        assert_eq!(Sampler::new(5, 5), Sampler::Narrow { n: 1, threshold: 0 });
        assert_eq!(
            Sampler::new(0, u32::MAX as i64),
            Sampler::Narrow {
                n: 1 << 32,
                threshold: 0
            }
        );
        assert!(matches!(Sampler::new(0, 1 << 32), Sampler::Wide { n, .. } if n == (1 << 32) + 1));
        assert_eq!(Sampler::new(i64::MIN, i64::MAX), Sampler::Full);
        assert!(matches!(
            Sampler::new(i64::MIN, i64::MAX - 1),
            Sampler::Wide { n: u64::MAX, .. }
        ));
    }

    #[test]
    fn cached_stream_starts_equal_the_definition() {
        let w = workload(1, 0, 1, 42);
        for worker in 0..4 {
            assert_eq!(
                w.stream(worker),
                stream_start(42, worker),
                "worker {worker}"
            );
        }
    }

    #[test]
    fn block_summing_handles_rejections_like_the_reference() {
        // n = 3·2^30 rejects a quarter of candidates, so blocks come up short
        // and the remainder crosses from the block loop to the tail.
        for count in [63, 64, 65, 127, 128, 129, 1000] {
            let w = workload(count, 0, 3 * (1 << 30) - 1, 9);
            let expected = reference_numbers(&w, 2)
                .iter()
                .fold(0i64, |a, &x| a.wrapping_add(x));
            assert_eq!(worker_sum(&w, 2), expected, "count {count}");
        }
    }

    #[test]
    fn worker_streams_are_jumps_of_2_pow_128() {
        for worker in 0..4 {
            let mut stepped = Xoshiro256PlusPlus::seed_from_u64(99);
            for _ in 0..worker {
                stepped.jump();
            }
            assert_eq!(stream_start(99, worker), stepped, "worker {worker}");
        }
    }

    #[test]
    fn a_small_range_uses_both_halves_of_each_output() {
        // With n = 2^32 every candidate is accepted and equals the half itself.
        let w = workload(3, 0, u32::MAX as i64, 7);
        let mut rng = stream_start(7, 2);
        let (x0, x1) = (rng.next_u64(), rng.next_u64());
        assert_eq!(
            worker_numbers(&w, 2),
            vec![
                (x0 & 0xFFFF_FFFF) as i64,
                (x0 >> 32) as i64,
                (x1 & 0xFFFF_FFFF) as i64
            ]
        );
    }

    #[test]
    fn the_full_range_returns_raw_outputs() {
        let w = workload(2, i64::MIN, i64::MAX, 3);
        let mut rng = stream_start(3, 0);
        let expected = [rng.next_u64(), rng.next_u64()].map(|x| i64::MIN.wrapping_add(x as i64));
        assert_eq!(worker_numbers(&w, 0), expected);
    }

    #[test]
    fn rejection_skips_candidates_in_order() {
        // n = 3·2^30: threshold 2^30, so about a quarter of candidates are rejected.
        let w = workload(2000, 0, 3 * (1 << 30) - 1, 11);
        assert_eq!(worker_numbers(&w, 1), reference_numbers(&w, 1));
    }

    proptest! {
        #[test]
        fn the_fast_kernel_matches_the_reference(
            count in 0u64..400,
            low in -1_000i64..1_000,
            width_bits in 0u32..64,
            seed: u64,
            worker in 0usize..4,
        ) {
            let high = low.saturating_add((1i64 << width_bits.min(62)) - 1);
            let w = workload(count, low, high, seed);
            let reference = reference_numbers(&w, worker);
            prop_assert_eq!(&worker_numbers(&w, worker), &reference);
            prop_assert_eq!(worker_sum(&w, worker), reference.iter().fold(0i64, |a, &x| a.wrapping_add(x)));
        }

        #[test]
        fn streaming_and_materialized_sums_agree(count in 0u64..5000, seed: u64) {
            let w = workload(count, -50, 50, seed);
            prop_assert_eq!(worker_sum(&w, 3), sum_numbers(&worker_numbers(&w, 3)));
        }
    }

    #[test]
    fn every_number_lies_in_the_range_and_every_value_appears() {
        let w = workload(10_000, -3, 3, 5);
        let numbers = worker_numbers(&w, 0);
        assert!(numbers.iter().all(|x| (-3..=3).contains(x)));
        for v in -3..=3 {
            assert!(numbers.contains(&v), "{v} never drawn");
        }
    }
}
