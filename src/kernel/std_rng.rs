//! The idiomatic baseline: `rand`'s `StdRng` and `random_range`, exactly as
//! everyday Rust code draws random integers, to show what the specialised
//! generators save.
//!
//! # The stream, exactly
//!
//! With [`Generator::Rand`](super::Generator::Rand) worker `i` of a run with
//! seed `s` draws:
//!
//! 1. **Generator.** `rand::rngs::StdRng::from_seed(key)`, where the 32-byte
//!    key is `s` (8 bytes, little-endian), then `i` (8 bytes,
//!    little-endian), then 16 zero bytes: a different key for every seed and
//!    worker. (`seed_from_u64(s + i)` would give workers of neighbouring
//!    seeds the same streams.)
//! 2. **Numbers.** Each number is `rng.random_range(low..=high)`, one call
//!    per number, as idiomatic code writes it.
//! 3. **Sum** as for every generator ([`kernel`](super)).
//!
//! `StdRng` is ChaCha12 today, but `rand` documents it as not reproducible
//! across its releases: these numbers are those of the `rand` release in
//! `Cargo.lock` (0.10), and the tests pin a few of them so that an upgrade
//! that changes them is noticed.
//!
//! # Fork safety
//!
//! `StdRng` keeps its state and its buffer of generated blocks inline (no
//! heap), and `random_range` on a non-empty range neither allocates nor
//! panics; the range is non-empty because [`Workload::new`] checked it. So
//! a forked child may draw from it like from any other generator.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::Source;
use crate::kernel::Workload;

/// `StdRng` positioned at the start of worker `worker`'s stream.
pub fn rand_stream_start(seed: u64, worker: usize) -> StdRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(worker as u64).to_le_bytes());
    StdRng::from_seed(key)
}

/// Worker `i`'s `StdRng` stream for a [`Stream`](super::Stream).
#[derive(Debug)]
pub(crate) struct RandSource {
    rng: StdRng,
    low: i64,
    high: i64,
}

impl RandSource {
    /// The start of worker `worker`'s stream (no allocation).
    pub(crate) fn new(workload: &Workload, worker: usize) -> RandSource {
        RandSource {
            rng: rand_stream_start(workload.seed(), worker),
            low: workload.low(),
            high: workload.high(),
        }
    }
}

impl Source for RandSource {
    #[inline(always)]
    fn sum_some(&mut self, budget: u64, left: u64) -> (u64, u64) {
        let take = budget.max(1).min(left);
        let mut offsets: u64 = 0;
        for _ in 0..take {
            let number: i64 = self.rng.random_range(self.low..=self.high);
            offsets = offsets.wrapping_add(number.wrapping_sub(self.low) as u64);
        }
        (offsets, take)
    }

    fn fill_some(&mut self, out: &mut [i64], _low: i64, left: u64) -> usize {
        let take = usize::try_from(left).map_or(out.len(), |left| left.min(out.len()));
        for slot in &mut out[..take] {
            *slot = self.rng.random_range(self.low..=self.high);
        }
        take
    }
}
