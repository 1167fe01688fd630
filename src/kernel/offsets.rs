//! Numbers handed back (`--return numbers`): each as its offset from `low`,
//! little-endian, in the narrowest of 1, 2, 4 or 8 bytes that holds
//! `high − low` — a byte each for the book's `1..=100`.
//!
//! A worker writes its offsets where the parent will read them (a slice of
//! the parent's buffer, a shared mapping, or its own buffer that then goes
//! through a pipe); the parent sums them as the kernel sums drawn numbers,
//! `count × low` plus the wrapping sum of the offsets, which is exact for
//! every validated workload.
//!
//! Like the rest of the kernel, nothing here allocates, locks or panics on
//! valid input: a forked child writes its offsets with it.

use super::{Stream, Workload};

/// The numbers drawn at a time into a stack buffer before they are stored
/// as offsets: 4 KiB of `i64`s, even, so that a generator that draws two
/// numbers per output never has to split one inside it.
const CHUNK: usize = 512;

/// The bytes of one offset for the range `low..=high`: the narrowest of 1,
/// 2, 4 and 8 that holds `high − low`.
pub fn offset_width(low: i64, high: i64) -> usize {
    let span = (i128::from(high) - i128::from(low)).max(0) as u128;
    match span {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xffff_ffff => 4,
        _ => 8,
    }
}

/// Stores `numbers` as offsets from `low`, `width` bytes each, into `out`
/// (which holds at least `numbers.len() × width` bytes).
fn store_offsets(numbers: &[i64], low: i64, width: usize, out: &mut [u8]) {
    // Each arm a loop of its own, so that the compiler vectorizes it.
    match width {
        1 => {
            for (o, &n) in out.iter_mut().zip(numbers) {
                *o = n.wrapping_sub(low) as u8;
            }
        }
        2 => {
            for (o, &n) in out.chunks_exact_mut(2).zip(numbers) {
                o.copy_from_slice(&(n.wrapping_sub(low) as u16).to_le_bytes());
            }
        }
        4 => {
            for (o, &n) in out.chunks_exact_mut(4).zip(numbers) {
                o.copy_from_slice(&(n.wrapping_sub(low) as u32).to_le_bytes());
            }
        }
        _ => {
            for (o, &n) in out.chunks_exact_mut(8).zip(numbers) {
                o.copy_from_slice(&(n.wrapping_sub(low) as u64).to_le_bytes());
            }
        }
    }
}

impl Stream {
    /// Writes the next numbers into `out` as offsets of `width` bytes and
    /// returns how many: as many as `out` holds or as are left, except that
    /// it may stop one short of a full `out` rather than split a 64-bit
    /// output (as [`fill_some`](Stream::fill_some)). Give it room for at
    /// least two numbers, or exactly the numbers left.
    pub fn fill_offsets_some(&mut self, out: &mut [u8], width: usize) -> usize {
        let room = out.len() / width;
        let mut chunk = [0i64; CHUNK];
        let mut at = 0;
        while at < room && self.remaining() > 0 {
            let want = (room - at).min(CHUNK);
            let written = if want == 1 {
                if self.remaining() > 1 {
                    // One slot, more numbers: a generator that draws in
                    // pairs would lose the second. Stop one short.
                    break;
                }
                // The stream's very last number, drawn through a pair.
                let mut pair = [0i64; 2];
                let written = self.fill_some(&mut pair);
                if written == 0 {
                    break;
                }
                chunk[0] = pair[0];
                1
            } else {
                self.fill_some(&mut chunk[..want])
            };
            if written == 0 {
                break;
            }
            store_offsets(
                &chunk[..written],
                self.low,
                width,
                &mut out[at * width..(at + written) * width],
            );
            at += written;
        }
        at
    }
}

/// Writes worker `worker`'s numbers into `out` as offsets, in stream order,
/// [`Workload::number_width`] bytes each: `out` must hold exactly
/// [`Workload::numbers_bytes_per_worker`] bytes; a shorter one is filled to
/// its end.
///
/// Allocates nothing: a forked child may call it on memory it mapped.
pub fn fill_worker_offsets(workload: &Workload, worker: usize, out: &mut [u8]) {
    let width = workload.number_width();
    let mut stream = Stream::new(workload, worker);
    let mut at = 0;
    while at < out.len() && stream.remaining() > 0 {
        let written = stream.fill_offsets_some(&mut out[at..], width);
        if written == 0 {
            break;
        }
        at += written * width;
    }
}

/// The sum of the numbers whose offsets from `low` are in `bytes`, `width`
/// bytes each: `count × low` plus the wrapping sum of the offsets, as
/// [`worker_sum`](super::worker_sum) adds drawn numbers (exact for any
/// validated workload).
pub fn sum_offsets(bytes: &[u8], width: usize, low: i64) -> i64 {
    let count = (bytes.len() / width.max(1)) as u64;
    let offsets: u64 = match width {
        1 => {
            // In blocks whose sum fits a u32, which the compiler vectorizes
            // four times wider than a u64 accumulator.
            bytes
                .chunks(1 << 24)
                .map(|block| u64::from(block.iter().map(|&b| u32::from(b)).sum::<u32>()))
                .sum()
        }
        2 => bytes
            .chunks(1 << 17)
            .map(|block| {
                u64::from(
                    block
                        .chunks_exact(2)
                        .map(|o| u32::from(u16::from_le_bytes([o[0], o[1]])))
                        .sum::<u32>(),
                )
            })
            .sum(),
        4 => bytes
            .chunks_exact(4)
            .map(|o| u64::from(u32::from_le_bytes([o[0], o[1], o[2], o[3]])))
            .fold(0u64, u64::wrapping_add),
        _ => bytes
            .chunks_exact(8)
            .map(|o| {
                let mut word = [0u8; 8];
                word.copy_from_slice(o);
                u64::from_le_bytes(word)
            })
            .fold(0u64, u64::wrapping_add),
    };
    low.wrapping_mul(count as i64).wrapping_add(offsets as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{Generator, Return, WorkloadSpec, worker_numbers, worker_sum};
    use proptest::prelude::{prop_assert_eq, proptest};

    #[test]
    fn the_width_is_the_narrowest_that_holds_the_span() {
        assert_eq!(offset_width(1, 100), 1);
        assert_eq!(offset_width(-128, 127), 1);
        assert_eq!(offset_width(0, 256), 2);
        assert_eq!(offset_width(0, 65_535), 2);
        assert_eq!(offset_width(0, 65_536), 4);
        assert_eq!(offset_width(-5, u32::MAX as i64 - 6), 4);
        assert_eq!(offset_width(0, 1 << 32), 8);
        assert_eq!(offset_width(i64::MIN, i64::MAX), 8);
        assert_eq!(offset_width(7, 7), 1);
    }

    proptest! {
        /// Whatever the generator and range, the offsets decode to the very
        /// numbers the worker draws, and their sum is the worker's sum.
        #[test]
        fn offsets_hold_the_workers_numbers_and_sum_to_its_sum(
            count in 0u64..3000,
            seed: u64,
            range in 0usize..6,
            generator in 0..Generator::ALL.len(),
        ) {
            let (low, high) = [(1, 100), (-3, 3), (0, 300), (-70_000, 1), (0, 1 << 40),
                (i64::MIN, i64::MAX)][range];
            let w = Workload::new_unchecked(WorkloadSpec {
                workers: 3,
                count,
                low,
                high,
                seed,
                generator: Generator::ALL[generator],
                returns: Return::Numbers,
                ..WorkloadSpec::default()
            });
            let width = w.number_width();
            let mut out = vec![0u8; w.numbers_bytes_per_worker() as usize];
            fill_worker_offsets(&w, 1, &mut out);
            let decoded: Vec<i64> = out
                .chunks_exact(width)
                .map(|o| {
                    let mut word = [0u8; 8];
                    word[..width].copy_from_slice(o);
                    low.wrapping_add(u64::from_le_bytes(word) as i64)
                })
                .collect();
            prop_assert_eq!(&decoded, &worker_numbers(&w, 1));
            prop_assert_eq!(sum_offsets(&out, width, low), worker_sum(&w, 1));
        }

        /// Drawn in pieces of any size (at least two numbers, or the rest),
        /// the offsets are the same.
        #[test]
        fn offsets_drawn_in_pieces_are_the_same(
            count in 0u64..2000,
            seed: u64,
            pieces in proptest::collection::vec(2usize..700, 1..10),
            generator in 0..Generator::ALL.len(),
        ) {
            let w = Workload::new_unchecked(WorkloadSpec {
                workers: 2,
                count,
                low: 0,
                high: 1000,
                seed,
                generator: Generator::ALL[generator],
                returns: Return::Numbers,
                ..WorkloadSpec::default()
            });
            let width = w.number_width();
            let mut whole = vec![0u8; w.numbers_bytes_per_worker() as usize];
            fill_worker_offsets(&w, 0, &mut whole);
            let mut stream = Stream::new(&w, 0);
            let mut out = vec![0u8; whole.len()];
            let (mut at, mut i) = (0, 0);
            while stream.remaining() > 0 {
                let room = (pieces[i % pieces.len()] * width).min(out.len() - at);
                at += stream.fill_offsets_some(&mut out[at..at + room], width) * width;
                i += 1;
            }
            prop_assert_eq!(at, out.len());
            prop_assert_eq!(out, whole);
        }
    }

    #[test]
    fn a_full_byte_sum_does_not_overflow_its_blocks() {
        let bytes = vec![0xffu8; (1 << 24) + 3];
        assert_eq!(sum_offsets(&bytes, 1, 0), 0xff * ((1i64 << 24) + 3));
        let words = vec![0xffu8; 2 * ((1 << 17) + 5)];
        assert_eq!(
            sum_offsets(&words, 2, -1),
            0xffff * ((1i64 << 17) + 5) - ((1 << 17) + 5)
        );
    }
}
