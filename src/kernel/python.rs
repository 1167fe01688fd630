//! CPython's generator, bit for bit, for comparing the book's programs with
//! gilfree's backends number for number.
//!
//! # The stream, exactly
//!
//! With [`Generator::Python`](super::Generator::Python) worker `i` of a run with seed `s` draws exactly
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
//! 4. **Sum** as for every generator ([`kernel`](super)).

use rand_mt::Mt;

use super::Source;
use crate::kernel::Workload;

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

/// Worker `i`'s CPython stream for a [`Stream`](super::Stream).
#[derive(Debug, Clone)]
pub(crate) struct PythonSource {
    mt: Mt,
    sampler: PythonSampler,
}

impl PythonSource {
    /// The start of worker `worker`'s stream (2.5 KB of state, no allocation).
    pub(crate) fn new(workload: &Workload, worker: usize) -> PythonSource {
        PythonSource {
            mt: python_stream_start(workload.seed(), worker),
            sampler: PythonSampler::new(workload.low(), workload.high()),
        }
    }
}

impl Source for PythonSource {
    #[inline(always)]
    fn sum_some(&mut self, budget: u64, left: u64) -> (u64, u64) {
        // One output or more per number, no halves: any boundary will do.
        let take = budget.max(1).min(left);
        let (mut offsets, rest) = python_sum_blocks(&mut self.mt, self.sampler, take);
        for _ in 0..rest {
            offsets = offsets.wrapping_add(self.sampler.draw(&mut self.mt));
        }
        (offsets, take)
    }

    fn fill_some(&mut self, out: &mut [i64], low: i64, left: u64) -> usize {
        let take = (out.len() as u64).min(left) as usize;
        for slot in &mut out[..take] {
            *slot = low.wrapping_add(self.sampler.draw(&mut self.mt) as i64);
        }
        take
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;
    use crate::kernel::{Generator, worker_sum};
    use proptest::prelude::{prop_assert_eq, proptest};

    proptest! {
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
    }
}
