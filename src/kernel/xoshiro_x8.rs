//! The default generator: eight interleaved xoshiro256++ lanes per worker,
//! drawn through the widest SIMD path the CPU has.
//!
//! # The stream, exactly
//!
//! Worker `i` of a run with seed `s` and range `low..=high` draws its numbers
//! as follows; `n = high − low + 1`.
//!
//! 1. **Lanes.** The worker has `L = 8` xoshiro256++ generators, its lanes.
//!    Lane `j` (`0 ≤ j < 8`) starts where the single-lane generator's worker
//!    `8i + j` starts ([`xoshiro`](super::xoshiro), steps 1 and 2): the state
//!    `Xoshiro256PlusPlus::seed_from_u64(s)` after `8i + j` calls of
//!    `jump()`, `(8i + j) × 2^128` steps on. No two lanes of any workers
//!    overlap: each has 2^128 outputs to itself.
//! 2. **A lane's numbers** are exactly the single-lane stream's
//!    ([`xoshiro`](super::xoshiro), step 3) drawn from the lane's own
//!    outputs: for `n ≤ 2^32` each output gives two 32-bit candidates, its
//!    low half first, each kept or rejected by Lemire's test with the
//!    threshold `2^32 mod n`; for `2^32 < n < 2^64` each output is one
//!    candidate, tested with `2^64 mod n`; for `n = 2^64` each output is a
//!    number. A lane's next number is its next kept candidate, so a rejected
//!    draw is redrawn from the same lane, and a rejection in one lane moves
//!    no other lane's numbers.
//! 3. **Interleaving.** With `p` numbers per output (2 for `n ≤ 2^32`, else
//!    1), the worker's numbers come in rounds of `8p`: round `r` holds lane
//!    0's numbers `pr … pr + p − 1`, then lane 1's, …, then lane 7's. So
//!    number `k` (from 0) is number `p⌊k / 8p⌋ + k mod p` of lane
//!    `⌊k / p⌋ mod 8`. Without rejections, round `r` is the lanes' `r`-th
//!    outputs, lane by lane, each low half before its high half.
//! 4. **End.** The stream stops after `count` numbers; candidates a lane has
//!    drawn but not used are discarded.
//! 5. **Sum** as for every generator ([`kernel`](super)).
//!
//! Nothing in this definition depends on the instruction set: the paths
//! ([`Simd`]) only compute it faster.
//!
//! # Why eight lanes
//!
//! One lane is a chain of dependent instructions; independent lanes let the
//! core (and the compiler, in SIMD registers) work on several outputs at
//! once. With eight, each of the four state words of all lanes fills one
//! AVX-512 register, two AVX2 registers or four SSE2 registers: enough
//! independent work to hide the instructions' latency, while the state, the
//! per-lane sums and the constants still fit the sixteen AVX2 registers.
//! Measured on an AVX2 machine (the kernel's sum loop alone), 4 lanes were
//! three times slower than 8 with AVX2 and 16 no faster; with SSE2 8 lanes
//! were also the fastest. Eight is what the AVX-512 width needs, and no
//! path loses by it.
//!
//! # How it is drawn
//!
//! The sum does not depend on the order of its terms, so [`Stream::sum_some`]
//! draws whole rounds lane by lane: all eight lanes step together through
//! a block of outputs (the loop the compiler vectorizes), each lane counting
//! its rejections branch-free; a lane that rejected a candidate then draws
//! its missing numbers on its own. Every piece ends with every lane having
//! drawn the same number of whole rounds, so the numbers drawn are always a
//! prefix of the stream, and sums and fills can follow each other in any
//! pieces. [`fill_worker_numbers`] writes the numbers in stream order, a
//! round at a time.
//!
//! The paths are this file's generic code compiled three times: as is (the
//! baseline instruction set), and inlined into `#[target_feature]` functions
//! for AVX2 and AVX-512F. [`Simd`] explains why calling the latter is sound.
//!
//! [`Stream::sum_some`]: super::Stream::sum_some
//! [`fill_worker_numbers`]: super::fill_worker_numbers

use super::Source;
use super::simd::Simd;
use super::xoshiro::Sampler;
use crate::kernel::Workload;

/// Lanes per worker.
pub const LANES: usize = 8;

/// Below this many whole rounds, stepping the lanes together is not worth
/// setting up; the numbers are drawn one at a time in order.
const MIN_BLOCK_ROUNDS: u64 = 4;

const LOW_HALF: u64 = 0xFFFF_FFFF;

/// The lanes' states, word-major (struct of arrays): `state[w][j]` is word
/// `w` of lane `j`, so that one word of all lanes is one vector.
type State = [[u64; LANES]; 4];

/// One xoshiro256++ step of a generator whose state words are `s0 … s3`:
/// its next output.
#[inline(always)]
fn step(s0: &mut u64, s1: &mut u64, s2: &mut u64, s3: &mut u64) -> u64 {
    let out = s0.wrapping_add(*s3).rotate_left(23).wrapping_add(*s0);
    let t = *s1 << 17;
    *s2 ^= *s0;
    *s3 ^= *s1;
    *s1 ^= *s2;
    *s0 ^= *s3;
    *s2 ^= t;
    *s3 = s3.rotate_left(45);
    out
}

/// One step of lane `j`: its next output.
#[inline(always)]
fn step_lane(state: &mut State, j: usize) -> u64 {
    let [s0, s1, s2, s3] = state;
    step(&mut s0[j], &mut s1[j], &mut s2[j], &mut s3[j])
}

/// One step of every lane: their next outputs.
#[inline(always)]
fn step_all(state: &mut State) -> [u64; LANES] {
    let [s0, s1, s2, s3] = state;
    let mut out = [0; LANES];
    for j in 0..LANES {
        out[j] = step(&mut s0[j], &mut s1[j], &mut s2[j], &mut s3[j]);
    }
    out
}

/// How a 32-bit candidate `c` becomes Lemire's `m = c × n` (`n ≤ 2^32`).
trait HalfProduct: Copy {
    fn product(self, candidate: u64) -> u64;
}

/// `n < 2^32`: both factors are 32-bit values widened, which lets the
/// compiler use the vector 32 × 32 → 64-bit multiply (`vpmuludq`) instead of
/// a full 64-bit product.
#[derive(Clone, Copy)]
struct TimesSmall(u32);

impl HalfProduct for TimesSmall {
    #[inline(always)]
    fn product(self, candidate: u64) -> u64 {
        u64::from(candidate as u32) * u64::from(self.0)
    }
}

/// `n = 2^32`: every candidate is kept and is its own offset.
#[derive(Clone, Copy)]
struct TimesTwoPow32;

impl HalfProduct for TimesTwoPow32 {
    #[inline(always)]
    fn product(self, candidate: u64) -> u64 {
        candidate << 32
    }
}

/// Steps every lane `rounds` times, two candidates per output, and returns
/// the wrapping sum of the kept offsets and how many each lane kept. No
/// data-dependent branch: a rejected candidate adds nothing.
#[inline(always)]
fn block_narrow(
    state: &mut State,
    times_n: impl HalfProduct,
    threshold: u64,
    rounds: u64,
) -> (u64, [u64; LANES]) {
    let threshold = threshold & LOW_HALF;
    // Each word of all lanes in a local array of its own, and the step and
    // the sampling in one loop over the lanes: the shape the compiler
    // vectorizes, one vector operation per word.
    let [mut s0, mut s1, mut s2, mut s3] = *state;
    let mut sums = [0u64; LANES];
    let mut rejected = [0u64; LANES];
    for _ in 0..rounds {
        for j in 0..LANES {
            let x = step(&mut s0[j], &mut s1[j], &mut s2[j], &mut s3[j]);
            let m0 = times_n.product(x & LOW_HALF);
            let m1 = times_n.product(x >> 32);
            let keep0 = (m0 & LOW_HALF) >= threshold;
            let keep1 = (m1 & LOW_HALF) >= threshold;
            sums[j] = sums[j]
                .wrapping_add((m0 >> 32) & u64::from(keep0).wrapping_neg())
                .wrapping_add((m1 >> 32) & u64::from(keep1).wrapping_neg());
            rejected[j] += u64::from(!keep0) + u64::from(!keep1);
        }
    }
    *state = [s0, s1, s2, s3];
    let kept = rejected.map(|r| 2 * rounds - r);
    (sums.iter().fold(0, |a, &b| a.wrapping_add(b)), kept)
}

/// `x × n` as its high and low 64-bit halves, from four 32 × 32-bit
/// products: the form the vector units have (a 64 × 64 → 128-bit multiply
/// exists only for one scalar at a time).
#[inline(always)]
fn wide_product(x: u64, n: u64) -> (u64, u64) {
    let (xl, xh) = (x & LOW_HALF, x >> 32);
    let (nl, nh) = (n & LOW_HALF, n >> 32);
    let (ll, lh, hl, hh) = (xl * nl, xl * nh, xh * nl, xh * nh);
    // Below 3 × 2^32: no overflow.
    let middle = (ll >> 32) + (lh & LOW_HALF) + (hl & LOW_HALF);
    let high = hh + (lh >> 32) + (hl >> 32) + (middle >> 32);
    let low = (middle << 32) | (ll & LOW_HALF);
    (high, low)
}

/// [`block_narrow`] for one candidate per output (`2^32 < n < 2^64`). With
/// `VECTOR`, the product is formed by [`wide_product`], which the wide paths
/// vectorize; without, by the scalar 128-bit multiply, faster one lane at a
/// time. Both give the same exact product.
#[inline(always)]
fn block_wide<const VECTOR: bool>(
    state: &mut State,
    n: u64,
    threshold: u64,
    rounds: u64,
) -> (u64, [u64; LANES]) {
    let [mut s0, mut s1, mut s2, mut s3] = *state;
    let mut sums = [0u64; LANES];
    let mut rejected = [0u64; LANES];
    for _ in 0..rounds {
        for j in 0..LANES {
            let x = step(&mut s0[j], &mut s1[j], &mut s2[j], &mut s3[j]);
            let (offset, low) = if VECTOR {
                wide_product(x, n)
            } else {
                let m = u128::from(x) * u128::from(n);
                ((m >> 64) as u64, m as u64)
            };
            let keep = low >= threshold;
            sums[j] = sums[j].wrapping_add(offset & u64::from(keep).wrapping_neg());
            rejected[j] += u64::from(!keep);
        }
    }
    *state = [s0, s1, s2, s3];
    let kept = rejected.map(|r| rounds - r);
    (sums.iter().fold(0, |a, &b| a.wrapping_add(b)), kept)
}

/// [`block_narrow`] for `n = 2^64`: every output is a number.
#[inline(always)]
fn block_full(state: &mut State, rounds: u64) -> (u64, [u64; LANES]) {
    let [mut s0, mut s1, mut s2, mut s3] = *state;
    let mut sums = [0u64; LANES];
    for _ in 0..rounds {
        for j in 0..LANES {
            let x = step(&mut s0[j], &mut s1[j], &mut s2[j], &mut s3[j]);
            sums[j] = sums[j].wrapping_add(x);
        }
    }
    *state = [s0, s1, s2, s3];
    (
        sums.iter().fold(0, |a, &b| a.wrapping_add(b)),
        [rounds; LANES],
    )
}

/// The offset of an output that is one candidate, and whether it is kept.
#[inline(always)]
fn single_candidate(sampler: Sampler, x: u64) -> (u64, bool) {
    match sampler {
        Sampler::Wide { n, threshold } => {
            let m = u128::from(x) * u128::from(n);
            ((m >> 64) as u64, (m as u64) >= threshold)
        }
        Sampler::Full | Sampler::Narrow { .. } => (x, true),
    }
}

/// Worker `i`'s eight lanes for a [`Stream`](super::Stream).
#[derive(Debug, Clone)]
pub(crate) struct XoshiroX8Source {
    lanes: State,
    /// Lane `j`'s next candidate when it is the unexamined high half of the
    /// lane's last output.
    pending: [Option<u32>; LANES],
    /// Numbers drawn of the current round, `0 .. 8p`.
    at: usize,
    sampler: Sampler,
    /// `n` when the sampler is narrow and `n < 2^32`, else 0: a 32-bit field
    /// of its own, so that the compiler sees in the hot loop that `n` fits
    /// in 32 bits (a range test on the 64-bit `n` would let it drop that
    /// fact and fall back to a full 64-bit vector multiply).
    small_n: u32,
    simd: Simd,
}

impl XoshiroX8Source {
    /// The start of worker `worker`'s stream, from the workload's cache.
    pub(crate) fn new(workload: &Workload, worker: usize) -> XoshiroX8Source {
        let mut lanes = [[0; LANES]; 4];
        for (j, start) in workload.lane_starts(worker).iter().enumerate() {
            let bytes = start.state();
            for (w, word) in bytes.chunks_exact(8).enumerate() {
                let mut le = [0; 8];
                le.copy_from_slice(word);
                lanes[w][j] = u64::from_le_bytes(le);
            }
        }
        XoshiroX8Source {
            lanes,
            pending: [None; LANES],
            at: 0,
            sampler: *workload.sampler(),
            small_n: match *workload.sampler() {
                Sampler::Narrow { n, .. } => u32::try_from(n).unwrap_or(0),
                Sampler::Wide { .. } | Sampler::Full => 0,
            },
            simd: workload.simd_path(),
        }
    }

    /// Numbers per lane per round, `p`.
    #[inline(always)]
    fn per_lane(&self) -> usize {
        match self.sampler {
            Sampler::Narrow { .. } => 2,
            Sampler::Wide { .. } | Sampler::Full => 1,
        }
    }

    /// Lane `j`'s next offset: its next kept candidate.
    #[inline(always)]
    fn next_of_lane(&mut self, j: usize) -> u64 {
        match self.sampler {
            Sampler::Narrow { n, threshold } => loop {
                let candidate = match self.pending[j].take() {
                    Some(high) => u64::from(high),
                    None => {
                        let x = step_lane(&mut self.lanes, j);
                        self.pending[j] = Some((x >> 32) as u32);
                        x & LOW_HALF
                    }
                };
                let m = candidate * n;
                if (m & LOW_HALF) >= threshold {
                    return m >> 32;
                }
            },
            Sampler::Wide { .. } | Sampler::Full => loop {
                let (offset, keep) = single_candidate(self.sampler, step_lane(&mut self.lanes, j));
                if keep {
                    return offset;
                }
            },
        }
    }

    /// The stream's next offset, in stream order.
    #[inline(always)]
    fn next_in_order(&mut self) -> u64 {
        let per_lane = self.per_lane();
        let offset = self.next_of_lane(self.at / per_lane);
        self.at = (self.at + 1) % (per_lane * LANES);
        offset
    }

    /// [`Source::sum_some`], for every path (`VECTOR` for the wide ones).
    #[inline(always)]
    fn sum_piece<const VECTOR: bool>(&mut self, budget: u64, left: u64) -> (u64, u64) {
        let per_round = (self.per_lane() * LANES) as u64;
        if self.at != 0 || left < MIN_BLOCK_ROUNDS * per_round {
            // In order, one at a time: to the end of a round a fill left
            // unfinished, or to the end of the stream.
            let take = if self.at != 0 {
                (per_round - self.at as u64).min(left)
            } else {
                left
            };
            let mut sum: u64 = 0;
            for _ in 0..take {
                sum = sum.wrapping_add(self.next_in_order());
            }
            return (sum, take);
        }
        let rounds = (budget / per_round)
            .max(MIN_BLOCK_ROUNDS)
            .min(left / per_round);
        (self.sum_rounds::<VECTOR>(rounds), rounds * per_round)
    }

    /// Draws `rounds` whole rounds, in any order, and returns their wrapping
    /// sum: every lane draws `rounds × p` numbers.
    #[inline(always)]
    fn sum_rounds<const VECTOR: bool>(&mut self, rounds: u64) -> u64 {
        let per_lane = self.per_lane() as u64;
        let mut need = [rounds * per_lane; LANES];
        let mut sum: u64 = 0;
        // A lane's pending half comes before its next output.
        if let Sampler::Narrow { n, threshold } = self.sampler {
            for (j, need) in need.iter_mut().enumerate() {
                if let Some(high) = self.pending[j].take() {
                    let m = u64::from(high) * n;
                    if (m & LOW_HALF) >= threshold {
                        sum = sum.wrapping_add(m >> 32);
                        *need -= 1;
                    }
                }
            }
        }
        // Whole outputs, all lanes together, while every lane needs at
        // least one; each lane keeps at most what it needs.
        loop {
            let block = need.iter().min().copied().unwrap_or(0) / per_lane;
            if block == 0 {
                break;
            }
            let (block_sum, kept) = match self.sampler {
                Sampler::Narrow { threshold, .. } if self.small_n != 0 => {
                    block_narrow(&mut self.lanes, TimesSmall(self.small_n), threshold, block)
                }
                Sampler::Narrow { .. } => block_narrow(&mut self.lanes, TimesTwoPow32, 0, block),
                Sampler::Wide { n, threshold } => {
                    block_wide::<VECTOR>(&mut self.lanes, n, threshold, block)
                }
                Sampler::Full => block_full(&mut self.lanes, block),
            };
            sum = sum.wrapping_add(block_sum);
            for (need, kept) in need.iter_mut().zip(kept) {
                *need -= kept;
            }
        }
        // What rejections left missing, lane by lane.
        for (j, need) in need.into_iter().enumerate() {
            for _ in 0..need {
                sum = sum.wrapping_add(self.next_of_lane(j));
            }
        }
        sum
    }

    /// [`Source::fill_some`], for every path.
    #[inline(always)]
    fn fill_piece(&mut self, out: &mut [i64], low: i64, left: u64) -> usize {
        let take = usize::try_from(left).map_or(out.len(), |left| left.min(out.len()));
        let out = &mut out[..take];
        let per_round = self.per_lane() * LANES;
        let mut written = 0;
        // In order to the end of an unfinished round, then whole rounds, then
        // in order to the end of `out`.
        while written < take && self.at != 0 {
            out[written] = low.wrapping_add(self.next_in_order() as i64);
            written += 1;
        }
        while take - written >= per_round {
            let round = &mut out[written..written + per_round];
            // Every lane uses at least one output per round, and in all but
            // rare cases exactly one: step them together, then hand out the
            // candidates.
            let x = step_all(&mut self.lanes);
            let no_pending = self.pending.iter().all(Option::is_none);
            if !(no_pending && self.fill_round_unrejected(&x, round, low)) {
                self.fill_round(&x, round, low);
            }
            written += per_round;
        }
        while written < take {
            out[written] = low.wrapping_add(self.next_in_order() as i64);
            written += 1;
        }
        written
    }

    /// Writes the round the lanes' outputs `x` give when no lane has a
    /// pending half and no candidate is rejected — the usual case — and
    /// returns whether that was so (if not, [`fill_round`](Self::fill_round)
    /// writes the round again).
    #[inline(always)]
    fn fill_round_unrejected(&self, x: &[u64; LANES], round: &mut [i64], low: i64) -> bool {
        /// The narrow case, for either kind of `n`.
        #[inline(always)]
        fn pairs(
            x: &[u64; LANES],
            round: &mut [i64],
            low: i64,
            times_n: impl HalfProduct,
            threshold: u64,
        ) -> bool {
            let mut all_kept = true;
            for (pair, &x) in round.chunks_exact_mut(2).zip(x) {
                let m0 = times_n.product(x & LOW_HALF);
                let m1 = times_n.product(x >> 32);
                all_kept &= ((m0 & LOW_HALF) >= threshold) & ((m1 & LOW_HALF) >= threshold);
                pair[0] = low.wrapping_add((m0 >> 32) as i64);
                pair[1] = low.wrapping_add((m1 >> 32) as i64);
            }
            all_kept
        }

        let mut all_kept = true;
        match self.sampler {
            Sampler::Narrow { threshold, .. } if self.small_n != 0 => {
                all_kept = pairs(x, round, low, TimesSmall(self.small_n), threshold);
            }
            Sampler::Narrow { .. } => all_kept = pairs(x, round, low, TimesTwoPow32, 0),
            Sampler::Wide { .. } | Sampler::Full => {
                for (slot, &x) in round.iter_mut().zip(x) {
                    let (offset, keep) = single_candidate(self.sampler, x);
                    all_kept &= keep;
                    *slot = low.wrapping_add(offset as i64);
                }
            }
        }
        all_kept
    }

    /// Writes one whole round (`round.len()` is `8p`) from the lanes'
    /// outputs `x`, stepped for it, whatever the pending halves and
    /// rejections.
    #[inline(always)]
    fn fill_round(&mut self, x: &[u64; LANES], round: &mut [i64], low: i64) {
        match self.sampler {
            Sampler::Narrow { n, threshold } => {
                for (j, pair) in round.chunks_exact_mut(2).enumerate() {
                    // Lane j's candidates: its pending half, then this output's.
                    let mut queue = [0u64; 3];
                    let mut queued = 0;
                    if let Some(high) = self.pending[j].take() {
                        queue[0] = u64::from(high);
                        queued = 1;
                    }
                    queue[queued] = x[j] & LOW_HALF;
                    queue[queued + 1] = x[j] >> 32;
                    queued += 2;
                    let mut next = 0;
                    for slot in pair {
                        let offset = loop {
                            if next == queued {
                                break self.next_of_lane(j);
                            }
                            let m = queue[next] * n;
                            next += 1;
                            if (m & LOW_HALF) >= threshold {
                                break m >> 32;
                            }
                        };
                        *slot = low.wrapping_add(offset as i64);
                    }
                    if next < queued {
                        // Only this output's high half can be left over.
                        self.pending[j] = Some(queue[next] as u32);
                    }
                }
            }
            Sampler::Wide { .. } | Sampler::Full => {
                for (j, slot) in round.iter_mut().enumerate() {
                    let (offset, keep) = single_candidate(self.sampler, x[j]);
                    let offset = if keep { offset } else { self.next_of_lane(j) };
                    *slot = low.wrapping_add(offset as i64);
                }
            }
        }
    }
}

impl Source for XoshiroX8Source {
    #[inline]
    fn sum_some(&mut self, budget: u64, left: u64) -> (u64, u64) {
        match self.simd {
            Simd::Scalar => self.sum_piece::<false>(budget, left),
            // SAFETY: a source's path is its workload's, which
            // `Workload::new` sets only to a path `Simd::is_supported`
            // confirmed this CPU has (AVX2 here).
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.sum_piece_avx2(budget, left) },
            // SAFETY: as above, for AVX-512F.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { self.sum_piece_avx512(budget, left) },
            // Never chosen elsewhere (not supported); the numbers would be
            // the same anyway.
            #[cfg(not(target_arch = "x86_64"))]
            Simd::Avx2 | Simd::Avx512 => self.sum_piece::<false>(budget, left),
        }
    }

    fn fill_some(&mut self, out: &mut [i64], low: i64, left: u64) -> usize {
        match self.simd {
            Simd::Scalar => self.fill_piece(out, low, left),
            // SAFETY: as in `sum_some`: the workload's path is supported.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.fill_piece_avx2(out, low, left) },
            // SAFETY: as in `sum_some`: the workload's path is supported.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { self.fill_piece_avx512(out, low, left) },
            #[cfg(not(target_arch = "x86_64"))]
            Simd::Avx2 | Simd::Avx512 => self.fill_piece(out, low, left),
        }
    }
}

/// The same code, compiled for the wider instruction sets. Only reachable
/// through [`Source`]'s methods, after the workload's check.
#[cfg(target_arch = "x86_64")]
impl XoshiroX8Source {
    #[target_feature(enable = "avx2")]
    fn sum_piece_avx2(&mut self, budget: u64, left: u64) -> (u64, u64) {
        self.sum_piece::<true>(budget, left)
    }

    #[target_feature(enable = "avx512f")]
    fn sum_piece_avx512(&mut self, budget: u64, left: u64) -> (u64, u64) {
        self.sum_piece::<true>(budget, left)
    }

    #[target_feature(enable = "avx2")]
    fn fill_piece_avx2(&mut self, out: &mut [i64], low: i64, left: u64) -> usize {
        self.fill_piece(out, low, left)
    }

    #[target_feature(enable = "avx512f")]
    fn fill_piece_avx512(&mut self, out: &mut [i64], low: i64, left: u64) -> usize {
        self.fill_piece(out, low, left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;
    use crate::kernel::xoshiro::stream_start;
    use crate::kernel::{Generator, Stream, sum_numbers, worker_numbers, worker_sum};
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn workload(count: u64, low: i64, high: i64, seed: u64, simd: Simd) -> Workload {
        assert!(low <= high);
        Workload::new_unchecked(WorkloadSpec {
            workers: 3,
            count,
            low,
            high,
            seed,
            generator: Generator::Xoshiro256PlusPlusX8,
            simd: Some(simd),
            ..WorkloadSpec::default()
        })
    }

    /// One lane of the module docs, one candidate at a time, on
    /// `rand_xoshiro`'s generator.
    struct ReferenceLane {
        rng: Xoshiro256PlusPlus,
        high_half: Option<u64>,
    }

    impl ReferenceLane {
        fn next(&mut self, n: u128) -> u64 {
            loop {
                let (candidate, bits) = if n <= 1 << 32 {
                    let c = match self.high_half.take() {
                        Some(high) => high,
                        None => {
                            let x = self.rng.next_u64();
                            self.high_half = Some(x >> 32);
                            x & LOW_HALF
                        }
                    };
                    (c, 32)
                } else {
                    (self.rng.next_u64(), 64)
                };
                if n == 1 << 64 {
                    return candidate;
                }
                let m = u128::from(candidate) * n;
                if m % (1 << bits) >= (1u128 << bits) % n {
                    return (m >> bits) as u64;
                }
            }
        }
    }

    /// The module docs restated plainly: number `k` is the next number of
    /// lane `⌊k / p⌋ mod 8`.
    fn reference_numbers(w: &Workload, worker: usize) -> Vec<i64> {
        let n = (i128::from(w.high()) - i128::from(w.low()) + 1) as u128;
        let per_lane = if n <= 1 << 32 { 2 } else { 1 };
        let mut lanes: Vec<ReferenceLane> = (0..LANES)
            .map(|j| ReferenceLane {
                rng: stream_start(w.seed(), LANES * worker + j),
                high_half: None,
            })
            .collect();
        (0..w.count() as usize)
            .map(|k| {
                let offset = lanes[(k / per_lane) % LANES].next(n);
                w.low().wrapping_add(offset as i64)
            })
            .collect()
    }

    const RANGES: [(i64, i64); 8] = [
        (1, 100),
        (5, 5),
        (-3, 3),
        // A quarter of the candidates rejected: lanes fall out of step.
        (0, 3 * (1 << 30) - 1),
        (0, u32::MAX as i64),
        (0, 1 << 32),
        (-(1 << 62), 1 << 62),
        (i64::MIN, i64::MAX),
    ];

    #[test]
    fn every_path_draws_the_reference_numbers_and_sums() {
        for simd in Simd::supported() {
            for (low, high) in RANGES {
                for count in [0, 1, 15, 16, 17, 63, 64, 65, 130, 1000, 4099] {
                    let w = workload(count, low, high, 7, simd);
                    let reference = reference_numbers(&w, 2);
                    let what = format!("{simd} {low}..={high} count {count}");
                    assert_eq!(worker_numbers(&w, 2), reference, "{what}");
                    assert_eq!(worker_sum(&w, 2), sum_numbers(&reference), "{what}");
                }
            }
        }
    }

    #[test]
    fn every_path_gives_the_same_sums_on_long_streams() {
        // Long enough for many blocks, and for the rejecting range's lanes
        // to drift apart before the end.
        for (low, high) in [(1, 100), (0, 3 * (1 << 30) - 1), (-(1 << 40), 1 << 40)] {
            let sums: Vec<(Simd, i64)> = Simd::supported()
                .map(|simd| (simd, worker_sum(&workload(200_001, low, high, 3, simd), 1)))
                .collect();
            let reference = sum_numbers(&reference_numbers(
                &workload(200_001, low, high, 3, Simd::Scalar),
                1,
            ));
            for (simd, sum) in sums {
                assert_eq!(sum, reference, "{simd} {low}..={high}");
            }
        }
    }

    #[test]
    fn lanes_start_at_successive_jumps_of_the_single_lane_streams() {
        let w = workload(1, 1, 100, 99, Simd::Scalar);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
        for worker in 0..3 {
            for lane in w.lane_starts(worker) {
                assert_eq!(*lane, rng);
                rng.jump();
            }
        }
    }

    #[test]
    fn without_rejections_a_round_is_the_lanes_outputs_low_half_first() {
        // n = 2^32 keeps every candidate, and the offset is the candidate.
        let w = workload(20, 0, u32::MAX as i64, 5, Simd::widest());
        let mut firsts: Vec<Xoshiro256PlusPlus> = w.lane_starts(1).to_vec();
        let mut expected = Vec::new();
        for _ in 0..2 {
            for rng in &mut firsts {
                let x = rng.next_u64();
                expected.extend([(x & LOW_HALF) as i64, (x >> 32) as i64]);
            }
        }
        expected.truncate(20);
        assert_eq!(worker_numbers(&w, 1), expected);
    }

    proptest! {
        #[test]
        fn pieces_of_sums_and_fills_in_any_order_draw_the_same_stream(
            count in 0u64..2500,
            seed: u64,
            range in 0usize..RANGES.len(),
            pieces in proptest::collection::vec((0u64..300, proptest::bool::ANY), 1..12),
            simd_index in 0usize..3,
        ) {
            let simd = Simd::ALL[simd_index];
            if !simd.is_supported() {
                return Ok(());
            }
            // Empty fills alone draw nothing, by design: a sum of one number
            // makes every sequence of pieces finish.
            let mut pieces = pieces;
            if pieces.iter().all(|&(size, fill)| fill && size == 0) {
                pieces.push((1, false));
            }
            let (low, high) = RANGES[range];
            let w = workload(count, low, high, seed, simd);
            let reference = reference_numbers(&w, 0);
            let mut stream = Stream::new(&w, 0);
            let mut sum = 0i64;
            let mut drawn = 0usize;
            let mut i = 0;
            while stream.remaining() > 0 {
                let (size, fill) = pieces[i % pieces.len()];
                i += 1;
                prop_assert!(i < 100_000, "no progress");
                let before = stream.remaining();
                if fill {
                    let mut out = vec![0; size as usize];
                    let written = stream.fill_some(&mut out);
                    prop_assert_eq!(&out[..written], &reference[drawn..drawn + written]);
                    sum = out[..written].iter().fold(sum, |a, &x| a.wrapping_add(x));
                    drawn += written;
                } else {
                    let offsets_before = stream.sum();
                    stream.sum_some(size);
                    let piece = (before - stream.remaining()) as usize;
                    prop_assert!(piece >= 1);
                    // The numbers summed are the stream's next ones.
                    let expected = sum_numbers(&reference[drawn..drawn + piece]);
                    let low_part = w.low().wrapping_mul(piece as i64);
                    prop_assert_eq!(
                        stream.sum().wrapping_sub(offsets_before),
                        expected.wrapping_sub(low_part)
                    );
                    sum = sum.wrapping_add(expected);
                    drawn += piece;
                }
            }
            prop_assert_eq!(drawn as u64, count);
            prop_assert_eq!(sum, worker_sum(&w, 0));
        }
    }
}
