//! How much work to give a run whose size was not given: what one number
//! costs on this machine, measured on a short piece of the very stream the
//! run will draw, and the count that makes a row last long enough for the
//! scaling to show.
//!
//! The book's 8 × 1,000,000 takes CPython about two seconds; gilfree's
//! SIMD kernel draws the same amount in a few milliseconds, where starting
//! threads (~30 µs) and processes (~130 µs) is a visible share and every
//! parallel row looks poor. So a run without `--count` sizes itself: the
//! sequential row takes about [`RUST_TARGET`], and the header says so and
//! what the book's count would have taken.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::kernel::{Workload, WorkloadSpec, worker_sum};

/// The book's numbers per worker.
pub const BOOK_COUNT: u64 = 1_000_000;

/// How long a self-sized run's sequential row should take: long enough that
/// starting threads and processes is lost in it (a thousandth of it), short
/// enough that the default 5–20 runs of six rows finish in seconds.
pub const RUST_TARGET: Duration = Duration::from_millis(400);

/// The least work a measurement of the cost of a number takes: long enough
/// for the clock (a microsecond) and the CPU's frequency to settle.
const LEAST_SAMPLE: Duration = Duration::from_millis(20);

/// What one number of `spec`'s stream costs on one core, in nanoseconds
/// (a fraction of one, for the SIMD kernel: finer than a `Duration`): the
/// fastest of three draws of worker 0's first numbers, the piece grown
/// until it takes 20 ms (long enough for the clock and the CPU's frequency
/// to settle).
///
/// # Errors
/// [`Error::InvalidWorkload`] when `spec`'s parameters are invalid.
pub fn per_number_ns(spec: &WorkloadSpec) -> Result<f64, Error> {
    let mut count: u64 = 1 << 18;
    loop {
        let workload = Workload::new(WorkloadSpec {
            workers: 1,
            count,
            materialize: false,
            ..spec.clone()
        })?;
        let fastest = (0..3)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(worker_sum(&workload, 0));
                started.elapsed()
            })
            .min()
            .unwrap_or_default();
        if fastest >= LEAST_SAMPLE || count >= 1 << 30 {
            return Ok((fastest.as_secs_f64() * 1e9 / count as f64).max(1e-6));
        }
        count *= 4;
    }
}

/// The count that makes `workers` × count numbers at `per_number` take
/// about `target`: two significant digits, at least 10,000.
pub fn choose_count(workers: usize, per_number: Duration, target: Duration) -> u64 {
    count_for(workers, per_number.as_secs_f64() * 1e9, target)
}

/// [`choose_count`] for a cost per number in nanoseconds.
pub fn count_for(workers: usize, per_number_ns: f64, target: Duration) -> u64 {
    let per_number = (per_number_ns * 1e-9).max(1e-15);
    let count = target.as_secs_f64() / per_number / workers.max(1) as f64;
    let magnitude = 10f64.powf(count.max(1.0).log10().floor() - 1.0).max(1.0);
    ((count / magnitude).round() * magnitude).clamp(10_000.0, 1e9) as u64
}

/// A count chosen for this machine ([`size`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountChoice {
    /// The numbers per worker chosen.
    pub count: u64,
    /// What a number cost, measured, in nanoseconds.
    pub per_number_ns: f64,
    /// The sequential row's expected wall time at `count`.
    pub expected: Duration,
    /// The sequential row's expected wall time at the book's count.
    pub at_book_count: Duration,
}

/// The count for `spec`'s workers that makes the sequential row take about
/// [`RUST_TARGET`], never less than the book's.
///
/// # Errors
/// As [`per_number_ns`].
pub fn size(spec: &WorkloadSpec) -> Result<CountChoice, Error> {
    let per_number_ns = per_number_ns(spec)?;
    let count = count_for(spec.workers, per_number_ns, RUST_TARGET).max(BOOK_COUNT);
    let time = |count: u64| {
        Duration::from_secs_f64(per_number_ns * 1e-9 * count as f64 * spec.workers.max(1) as f64)
    };
    Ok(CountChoice {
        count,
        per_number_ns,
        expected: time(count),
        at_book_count: time(BOOK_COUNT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_fills_the_target_to_two_digits() {
        // 0.5 µs a number, 8 workers, 4 s: 1,000,000 each.
        assert_eq!(
            choose_count(8, Duration::from_nanos(500), Duration::from_secs(4)),
            1_000_000
        );
        // 6 ns a number, 8 workers, 0.5 s: 10.4M → 10M.
        assert_eq!(
            choose_count(8, Duration::from_nanos(6), Duration::from_millis(500)),
            10_000_000
        );
        assert_eq!(
            choose_count(8, Duration::from_nanos(380), Duration::from_secs(4)),
            1_300_000
        );
        // Never below 10,000, whatever the machine.
        assert_eq!(
            choose_count(64, Duration::from_secs(1), Duration::from_secs(4)),
            10_000
        );
    }

    #[test]
    fn a_sized_run_never_draws_less_than_the_book() {
        let choice = size(&WorkloadSpec::default()).unwrap();
        assert!(choice.count >= BOOK_COUNT, "{choice:?}");
        // The kernel draws a number in well under 100 ns on any machine
        // gilfree runs on, and in more than a picosecond.
        assert!(
            choice.per_number_ns > 1e-3 && choice.per_number_ns < 100.0,
            "{choice:?}"
        );
        assert!(choice.count < 1_000_000_000, "{choice:?}");
        // The two expectations are the same cost per number, scaled.
        let ratio = choice.expected.as_secs_f64() / choice.at_book_count.as_secs_f64();
        assert!(
            (ratio - choice.count as f64 / 1e6).abs() < 1e-3,
            "{choice:?}"
        );
    }
}
