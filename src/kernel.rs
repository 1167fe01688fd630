//! The per-worker computation: draw worker `i`'s numbers and sum them.
//!
//! # The stream, exactly
//!
//! Worker `i` of a run with seed `s` draws its numbers as follows; every
//! backend calls the functions here, so every backend draws the same numbers.
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
//!
//! # The `python` generator, exactly
//!
//! With [`Generator::Python`] worker `i` of a run with seed `s` draws exactly
//! what CPython 3 draws from `random.Random((s << 32) + i).randint(low, high)`:
//!
//! 1. **Seeding** as `random.seed(n)` does for an int `n = (s << 32) + i`
//!    (up to 96 bits): MT19937's `init_by_array` with the 32-bit words of `n`,
//!    least significant first, without leading zero words (`[0]` for 0) —
//!    `rand_mt`'s `Mt::new_with_key`.
//! 2. **`randint(low, high)`** is `low + _randbelow(n)` with
//!    `n = high − low + 1` and `k = n.bit_length()`: draw `getrandbits(k)`
//!    until the result is below `n`.
//! 3. **`getrandbits(k)`** for `k ≤ 32` is one 32-bit output shifted right by
//!    `32 − k`; for `k > 32` it is `⌈k / 32⌉` outputs, least significant word
//!    first, the last one shifted right to the bits still missing.
//! 4. **Sum** as above.

use rand_core::{Rng, SeedableRng};
use rand_mt::Mt;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::workload::{Generator, Workload};

/// The generator positioned at the start of worker `worker`'s stream: the
/// definition, computed in one (slow, ~0.4 ms) polynomial jump. [`Workload`]
/// caches every worker's start with successive `jump()`s instead.
pub fn stream_start(seed: u64, worker: usize) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // worker × 2^128 steps: the little-endian 256-bit distance [0, 0, worker, 0].
    rng.jump_n(&[0, 0, worker as u64, 0]);
    rng
}

/// Every worker's stream start, `0..workers`, by successive `jump()`s
/// (about a microsecond each).
pub(crate) fn stream_starts(seed: u64, workers: usize) -> Vec<Xoshiro256PlusPlus> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut starts = Vec::with_capacity(workers);
    for _ in 0..workers {
        starts.push(rng.clone());
        rng.jump();
    }
    starts
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

/// CPython's generator for worker `worker` of a run seeded `seed`: the state
/// of `random.Random((seed << 32) + worker)`. Allocates nothing.
pub fn python_stream_start(seed: u64, worker: usize) -> Mt {
    let n = (u128::from(seed) << 32) + worker as u128;
    let words = [n as u32, (n >> 32) as u32, (n >> 64) as u32];
    // CPython passes |n|'s words without the leading zero ones, and [0] for 0.
    let len = words
        .iter()
        .rposition(|&w| w != 0)
        .map_or(1, |last| last + 1);
    Mt::new_with_key(words[..len].iter().copied())
}

/// The numbers CPython's `random.Random((seed << 32) + worker).randint(low,
/// high)` draws, one after another, without end: the python generator's
/// stream, for inspection and for checking against CPython (`low <= high`).
pub fn python_numbers(seed: u64, worker: usize, low: i64, high: i64) -> impl Iterator<Item = i64> {
    let mut mt = python_stream_start(seed, worker);
    let sampler = PythonSampler::new(low, high);
    std::iter::repeat_with(move || low.wrapping_add(sampler.draw(&mut mt) as i64))
}

/// CPython's `_randbelow(n)` by `getrandbits(k)`, `k = n.bit_length()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PythonSampler {
    /// `high − low + 1`, 1 ..= 2^64.
    n: u128,
    /// `n.bit_length()`, 1 ..= 65.
    k: u32,
}

impl PythonSampler {
    /// The sampler for `low..=high` (`low <= high`).
    pub(crate) fn new(low: i64, high: i64) -> PythonSampler {
        let n = (i128::from(high) - i128::from(low) + 1) as u128;
        PythonSampler {
            n,
            k: 128 - n.leading_zeros(),
        }
    }

    /// The next offset (number − low), as `randint` draws it.
    #[inline(always)]
    fn draw(self, mt: &mut Mt) -> u64 {
        if self.k <= 32 {
            // Here n < 2^32: one output per candidate.
            let n = self.n as u32;
            let shift = 32 - self.k;
            loop {
                let r = mt.next_u32() >> shift;
                if r < n {
                    return u64::from(r);
                }
            }
        }
        loop {
            let r = getrandbits_wide(mt, self.k);
            if r < self.n {
                return r as u64;
            }
        }
    }
}

/// Sums the python sampler's offsets 64 outputs at a time while at least 64
/// numbers are left (for `n < 2^32`); returns the sum and the numbers still
/// to draw. The same numbers as [`PythonSampler::draw`] (tests check it):
/// every output in order, each kept when below `n`, but with a fixed trip
/// count and no data-dependent branch — a rejected candidate adds nothing —
/// which matters with the book's range, where 28 % of candidates are
/// rejected at random.
#[inline(always)]
fn python_sum_blocks(mt: &mut Mt, sampler: PythonSampler, count: u64) -> (u64, u64) {
    const OUTPUTS: u64 = 64;
    if sampler.k > 32 {
        return (0, count);
    }
    let n = sampler.n as u32;
    let shift = 32 - sampler.k;
    let mut left = count;
    let mut sum: u64 = 0;
    let mut block = [0u32; OUTPUTS as usize];
    while left >= OUTPUTS {
        for slot in &mut block {
            *slot = mt.next_u32();
        }
        let mut kept = 0;
        for &x in &block {
            let r = x >> shift;
            let keep = r < n;
            kept += u64::from(keep);
            sum = sum.wrapping_add(u64::from(r) & u64::from(keep).wrapping_neg());
        }
        left -= kept;
    }
    (sum, left)
}

/// CPython's `getrandbits(k)` for `32 < k <= 96`: 32-bit words, least
/// significant first, the last truncated to the bits still missing.
fn getrandbits_wide(mt: &mut Mt, k: u32) -> u128 {
    let mut value: u128 = 0;
    let mut left = k;
    let mut shift = 0;
    while left > 0 {
        let mut r = mt.next_u32();
        if left < 32 {
            r >>= 32 - left;
        }
        value |= u128::from(r) << shift;
        shift += 32;
        left = left.saturating_sub(32);
    }
    value
}

/// Worker `worker`'s sum, drawing its numbers without storing them.
///
/// Pure: the same workload and worker give the same sum on every call, every
/// thread and every process. Allocates nothing, takes no lock and cannot
/// panic, so a forked child may call it. The result ignores
/// [`Workload::materialize`]; see [`fill_worker_numbers`] for that mode.
pub fn worker_sum(workload: &Workload, worker: usize) -> i64 {
    match workload.generator() {
        Generator::Xoshiro256PlusPlus => {
            let mut rng = workload.stream(worker);
            let sampler = *workload.sampler();
            let mut left = workload.count();
            let mut offsets: u64 = 0;
            if let Sampler::Narrow { n, threshold } = sampler {
                let (block_sum, block_left) = sum_narrow_blocks(&mut rng, n, threshold, left);
                offsets = block_sum;
                left = block_left;
            }
            for_each_offset(&mut rng, sampler, left, |o| {
                offsets = offsets.wrapping_add(o);
            });
            base(workload).wrapping_add(offsets as i64)
        }
        Generator::Python => {
            let mut mt = python_stream_start(workload.seed(), worker);
            let sampler = PythonSampler::new(workload.low(), workload.high());
            let (mut offsets, left) = python_sum_blocks(&mut mt, sampler, workload.count());
            for _ in 0..left {
                offsets = offsets.wrapping_add(sampler.draw(&mut mt));
            }
            base(workload).wrapping_add(offsets as i64)
        }
    }
}

/// `count × low`, wrapping: with the wrapping sum of offsets it gives the exact
/// sum, because the true sum fits in an `i64`.
fn base(workload: &Workload) -> i64 {
    workload.low().wrapping_mul(workload.count() as i64)
}

/// Writes worker `worker`'s numbers into `out`, in stream order.
///
/// Allocates nothing and cannot panic: a forked child may call it on memory
/// it mapped itself. `out` must hold exactly [`Workload::count`] numbers;
/// if it is shorter, only its length is filled, if longer the rest is untouched.
pub fn fill_worker_numbers(workload: &Workload, worker: usize, out: &mut [i64]) {
    match workload.generator() {
        Generator::Xoshiro256PlusPlus => {
            let mut rng = workload.stream(worker);
            let low = workload.low();
            let count = workload.count().min(out.len() as u64);
            let mut slots = out.iter_mut();
            for_each_offset(&mut rng, *workload.sampler(), count, |o| {
                if let Some(slot) = slots.next() {
                    *slot = low.wrapping_add(o as i64);
                }
            });
        }
        Generator::Python => {
            let mut mt = python_stream_start(workload.seed(), worker);
            let sampler = PythonSampler::new(workload.low(), workload.high());
            let low = workload.low();
            let count = workload.count().min(out.len() as u64) as usize;
            for slot in &mut out[..count] {
                *slot = low.wrapping_add(sampler.draw(&mut mt) as i64);
            }
        }
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

/// Worker `worker`'s stream, drawn a piece at a time, for backends that must
/// pause between pieces (the `gil` backend hands its lock over every switch
/// interval). Wherever the pieces end, the sum is exactly [`worker_sum`]'s
/// and the numbers exactly [`fill_worker_numbers`]'s: a piece stops only
/// between two 64-bit outputs, never between the two halves of one, and the
/// end of the stream is drawn as in one go. Allocates nothing.
#[derive(Debug, Clone)]
pub struct WorkerStream {
    rng: Xoshiro256PlusPlus,
    sampler: Sampler,
    /// The python generator's state, instead of `rng` and `sampler`.
    python: Option<(Box<Mt>, PythonSampler)>,
    low: i64,
    base: i64,
    left: u64,
    offsets: u64,
}

impl WorkerStream {
    /// The start of worker `worker`'s stream.
    ///
    /// For the python generator this allocates its 2.5 KB state once.
    pub fn new(workload: &Workload, worker: usize) -> WorkerStream {
        let python = match workload.generator() {
            Generator::Xoshiro256PlusPlus => None,
            Generator::Python => Some((
                Box::new(python_stream_start(workload.seed(), worker)),
                PythonSampler::new(workload.low(), workload.high()),
            )),
        };
        WorkerStream {
            rng: workload.stream(worker),
            sampler: *workload.sampler(),
            python,
            low: workload.low(),
            base: base(workload),
            left: workload.count(),
            offsets: 0,
        }
    }

    /// Numbers not drawn yet.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// Draws about `budget` more numbers into the running sum (at least 64,
    /// or all that are left when fewer).
    pub fn sum_some(&mut self, budget: u64) {
        if let Some((mt, sampler)) = &mut self.python {
            // One output or more per number, no halves: any boundary will do.
            let take = budget.max(1).min(self.left);
            let (sum, rest) = python_sum_blocks(mt, *sampler, take);
            let mut offsets = self.offsets.wrapping_add(sum);
            for _ in 0..rest {
                offsets = offsets.wrapping_add(sampler.draw(mt));
            }
            self.offsets = offsets;
            self.left -= take;
            return;
        }
        let sampler = self.sampler;
        match sampler {
            Sampler::Narrow { n, threshold } if self.left >= 64 => {
                let take = budget.max(64).min(self.left);
                let (sum, rest) = sum_narrow_blocks(&mut self.rng, n, threshold, take);
                self.offsets = self.offsets.wrapping_add(sum);
                self.left -= take - rest;
            }
            Sampler::Narrow { .. } => {
                let mut offsets = self.offsets;
                for_each_offset(&mut self.rng, sampler, self.left, |o| {
                    offsets = offsets.wrapping_add(o);
                });
                self.offsets = offsets;
                self.left = 0;
            }
            Sampler::Wide { .. } | Sampler::Full => {
                let take = budget.max(1).min(self.left);
                let mut offsets = self.offsets;
                for_each_offset(&mut self.rng, sampler, take, |o| {
                    offsets = offsets.wrapping_add(o);
                });
                self.offsets = offsets;
                self.left -= take;
            }
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
        const LOW_HALF: u64 = 0xFFFF_FFFF;
        let low = self.low;
        if let Some((mt, sampler)) = &mut self.python {
            let take = (out.len() as u64).min(self.left) as usize;
            for slot in &mut out[..take] {
                *slot = low.wrapping_add(sampler.draw(mt) as i64);
            }
            self.left -= take as u64;
            return take;
        }
        let mut written = 0;
        match self.sampler {
            Sampler::Narrow { n, threshold } => {
                // Whole outputs while two numbers fit and two are due.
                while out.len() - written >= 2 && self.left >= 2 {
                    let x = self.rng.next_u64();
                    for c in [x & LOW_HALF, x >> 32] {
                        let m = c * n;
                        if (m & LOW_HALF) >= threshold {
                            out[written] = low.wrapping_add((m >> 32) as i64);
                            written += 1;
                            self.left -= 1;
                        }
                    }
                }
                if self.left < 2 && out.len() - written >= usize::from(self.left == 1) {
                    let rest = self.left;
                    let slots = &mut out[written..];
                    let mut i = 0;
                    for_each_offset(&mut self.rng, self.sampler, rest, |o| {
                        slots[i] = low.wrapping_add(o as i64);
                        i += 1;
                    });
                    written += i;
                    self.left = 0;
                }
            }
            Sampler::Wide { .. } | Sampler::Full => {
                let take = (out.len() as u64).min(self.left);
                let slots = &mut out[..take as usize];
                let mut i = 0;
                for_each_offset(&mut self.rng, self.sampler, take, |o| {
                    slots[i] = low.wrapping_add(o as i64);
                    i += 1;
                });
                written = i;
                self.left -= take;
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadSpec;
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};

    fn workload(count: u64, low: i64, high: i64, seed: u64) -> Workload {
        assert!(low <= high);
        Workload::new_unchecked(WorkloadSpec {
            workers: 4,
            count,
            low,
            high,
            seed,
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
        fn a_stream_drawn_in_pieces_gives_the_same_sum_and_numbers(
            count in 0u64..3000,
            seed: u64,
            range in 0usize..4,
            budgets in proptest::collection::vec(0u64..200, 1..20),
            python: bool,
        ) {
            let (low, high) = [(1, 100), (-3, 3), (0, 1 << 40), (i64::MIN, i64::MAX)][range];
            let mut w = workload(count, low, high, seed);
            if python {
                w = Workload::new_unchecked(WorkloadSpec {
                    generator: Generator::Python,
                    ..w.spec().clone()
                });
            }
            let mut stream = WorkerStream::new(&w, 2);
            let mut i = 0;
            while stream.remaining() > 0 {
                stream.sum_some(budgets[i % budgets.len()]);
                i += 1;
            }
            prop_assert_eq!(stream.sum(), worker_sum(&w, 2));

            let mut stream = WorkerStream::new(&w, 2);
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
            prop_assert_eq!(numbers, worker_numbers(&w, 2));
        }

        #[test]
        fn python_block_summing_draws_what_randint_draws(
            count in 0u64..3000,
            seed: u64,
            worker in 0usize..100,
            range in 0usize..4,
        ) {
            let (low, high) = [(1, 100), (-7, 7), (0, (1 << 32) - 2), (9, 9)][range];
            let w = Workload::new_unchecked(WorkloadSpec {
                workers: worker + 1,
                count,
                low,
                high,
                seed,
                generator: Generator::Python,
                ..WorkloadSpec::default()
            });
            let one_by_one: i64 = python_numbers(seed, worker, low, high)
                .take(count as usize)
                .fold(0i64, i64::wrapping_add);
            prop_assert_eq!(worker_sum(&w, worker), one_by_one);
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
