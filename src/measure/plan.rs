//! How many times the driver runs each backend: exactly so many times, or
//! until each median is known to a precision.

use super::stats;

/// The most measured runs, and the most warm-up runs, a [`Plan`] may ask
/// for: far more than any benchmark needs, and few enough that counts
/// derived from them cannot overflow.
pub const MAX_RUNS: usize = 10_000;

/// How many times to run each backend.
///
/// Either exactly `min_runs` measured runs (`min_runs == max_runs`), or
/// "until the answer is known": at least `min_runs`, then more rounds for
/// the backends whose median wall time is not yet known to ±`precision`
/// at 95 % confidence ([`stats::median_interval`]), up to `max_runs`. A
/// quiet machine stops early; a noisy one gets more runs, and the report
/// says how many each backend took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Measured runs per backend, at least (≥ 1).
    pub min_runs: usize,
    /// Measured runs per backend, at most (≥ `min_runs`).
    pub max_runs: usize,
    /// Unmeasured runs before them, to warm caches, pools and page tables.
    pub warmup: usize,
    /// The relative half-width of the 95 % confidence interval of a
    /// backend's median at which it needs no more runs (0.02 = ±2 %).
    pub precision: f64,
}

impl Plan {
    /// The default [`precision`](Plan::precision): ±2 %, finer than the
    /// differences the tables are read for, and reached in 6 to 10 runs on
    /// a quiet machine.
    pub const PRECISION: f64 = 0.02;

    /// Exactly `runs` measured runs after `warmup` warm-ups.
    pub const fn exactly(runs: usize, warmup: usize) -> Plan {
        Plan {
            min_runs: runs,
            max_runs: runs,
            warmup,
            precision: Plan::PRECISION,
        }
    }

    /// From `min` to `max` measured runs, until each median is known to
    /// ±[`PRECISION`](Plan::PRECISION).
    pub const fn until_known(min: usize, max: usize, warmup: usize) -> Plan {
        Plan {
            min_runs: min,
            max_runs: max,
            warmup,
            precision: Plan::PRECISION,
        }
    }

    /// Whether the number of runs is fixed.
    pub fn is_exact(&self) -> bool {
        self.min_runs == self.max_runs
    }

    /// The half-width of the 95 % confidence interval of the median of
    /// `walls` (in seconds), relative to the median
    /// ([`stats::median_interval`]); `None` with too few runs for an
    /// interval or a median of zero.
    pub fn half_width(&self, walls: &[f64]) -> Option<f64> {
        let (low, high) = stats::median_interval(walls, stats::CONFIDENCE)?;
        let median = stats::median(walls)?;
        (median > 0.0).then(|| (high - low) / 2.0 / median)
    }

    /// Whether a backend with these wall times (in seconds) needs more
    /// runs: fewer than `min_runs`, or its median not yet known to
    /// ±`precision`, and fewer than `max_runs`.
    pub fn wants_more(&self, walls: &[f64]) -> bool {
        let n = walls.len();
        if n < self.min_runs {
            return true;
        }
        if n >= self.max_runs {
            return false;
        }
        match self.half_width(walls) {
            Some(half) => half > self.precision,
            // Too few runs for a 95 % interval yet (unless no time at all).
            None => stats::median(walls).is_some_and(|median| median > 0.0),
        }
    }
}

impl std::fmt::Display for Plan {
    /// How many measured runs the plan makes, in words: `5`, or `5–20
    /// (until each median is known to ±2% at 95% confidence)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_exact() {
            write!(f, "{}", self.min_runs)
        } else {
            write!(
                f,
                "{}–{} (until each median is known to ±{}% at 95% confidence)",
                self.min_runs,
                self.max_runs,
                self.precision * 100.0
            )
        }
    }
}

impl Default for Plan {
    /// 1 warm-up, then 5 to 20 measured runs until each median is known to
    /// ±2 % (Victor Stinner's advice in the book: at least a few runs, keep
    /// the median).
    fn default() -> Self {
        Plan::until_known(5, 20, 1)
    }
}
