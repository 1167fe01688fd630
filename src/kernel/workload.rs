//! What every backend computes: W workers, each summing `count` random integers.
//!
//! A [`Workload`] is validated once, when it is built, so backends and the
//! driver never meet an impossible one: at least one worker, a non-empty
//! range, and totals that fit the 64-bit sum whatever numbers are drawn.

use std::sync::Arc;

use rand_xoshiro::Xoshiro256PlusPlus;

use super::xoshiro::{self, Sampler};
use super::{Generator, Simd};
use crate::fault::Fault;
#[cfg(feature = "fault-injection")]
use crate::fault::Injection;

/// The largest worker count a [`Workload`] accepts.
///
/// Far beyond what is useful on any machine (each worker is a thread or a
/// process), and low enough that a typo cannot ask for millions of threads.
pub const MAX_WORKERS: usize = 65_536;

/// The parameters of a workload, before validation.
///
/// `Default` is the book's workload: 8 workers × 1,000,000 numbers in 1..=100,
/// with seed 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// Number of workers (threads, tasks or processes, depending on the backend).
    pub workers: usize,
    /// Numbers each worker draws and sums.
    pub count: u64,
    /// Smallest number that can be drawn (inclusive).
    pub low: i64,
    /// Largest number that can be drawn (inclusive).
    pub high: i64,
    /// The run's seed; worker `i`'s numbers are a pure function of `(seed, i)`.
    pub seed: u64,
    /// The generator behind the streams.
    pub generator: Generator,
    /// Collect each worker's numbers into a vector before summing them, as the
    /// book's list comprehension does, instead of summing them as they are drawn.
    pub materialize: bool,
    /// The instruction-set path for generators that have them
    /// ([`Generator::has_simd_paths`]): `None` for the widest this CPU
    /// supports ([`Simd::widest`]). The numbers are the same on every path.
    pub simd: Option<Simd>,
    /// What each worker hands back: its sum (the book's), or all its
    /// numbers, which the parent then sums ([`Return`]).
    pub returns: Return,
}

/// What each worker hands back to the parent (`--return`).
///
/// With [`Return::Numbers`] every worker hands back all its numbers, each as
/// its offset from `low` in the narrowest of 1, 2, 4 or 8 bytes that holds
/// `high − low` ([`Workload::number_width`]: a byte for the book's
/// `1..=100`), and the parent sums what it received: the sums are checked as
/// ever, and moving the numbers is measured as part of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Return {
    /// One sum per worker: eight bytes, nothing to speak of moves.
    #[default]
    Sums,
    /// Every number each worker drew.
    Numbers,
}

impl Return {
    /// `sums` or `numbers`, as the command line and exports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Return::Sums => "sums",
            Return::Numbers => "numbers",
        }
    }

    /// The mode called `name` ([`Return::name`]).
    pub fn named(name: &str) -> Option<Return> {
        [Return::Sums, Return::Numbers]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            workers: 8,
            count: 1_000_000,
            low: 1,
            high: 100,
            seed: 0,
            generator: Generator::default(),
            materialize: false,
            simd: None,
            returns: Return::Sums,
        }
    }
}

/// A validated workload. Cheap to clone; identical on every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    spec: WorkloadSpec,
    sampler: Sampler,
    /// The path chosen: the spec's, or the widest this CPU has. Always one
    /// that [`Simd::is_supported`] confirmed, which the `#[target_feature]`
    /// kernels rely on for soundness.
    simd: Simd,
    /// The start of every xoshiro256++ stream the workers draw from: worker
    /// `i`'s `k` streams ([`Generator::xoshiro_streams_per_worker`]) are
    /// `k·i .. k·i + k`; empty for the generators that are not xoshiro.
    streams: Arc<[Xoshiro256PlusPlus]>,
    /// Faults to inject, in tests ([`crate::fault`]); only in builds with
    /// the `fault-injection` feature.
    #[cfg(feature = "fault-injection")]
    faults: Vec<Injection>,
}

impl Workload {
    /// Validates `spec`.
    ///
    /// # Errors
    /// [`WorkloadError`] when there are no workers or more than
    /// [`MAX_WORKERS`], when `low > high`, when some possible total of all
    /// workers' numbers does not fit in an `i64`, when `materialize` asks
    /// for a vector larger than the address space, or when `simd` names a
    /// path this CPU does not support.
    pub fn new(spec: WorkloadSpec) -> Result<Workload, WorkloadError> {
        let WorkloadSpec {
            workers,
            count,
            low,
            high,
            materialize,
            ..
        } = spec;
        if workers == 0 {
            return Err(WorkloadError::NoWorkers);
        }
        if workers > MAX_WORKERS {
            return Err(WorkloadError::TooManyWorkers {
                workers,
                max: MAX_WORKERS,
            });
        }
        if low > high {
            return Err(WorkloadError::EmptyRange { low, high });
        }
        // The grand total must fit, which implies every worker's sum fits.
        let numbers = i128::from(count) * workers as i128;
        for bound in [low, high] {
            let fits = numbers
                .checked_mul(i128::from(bound))
                .is_some_and(|t| i64::try_from(t).is_ok());
            if !fits {
                let extreme = (numbers.unsigned_abs() as f64) * (bound as f64);
                return Err(WorkloadError::SumOverflow {
                    workers,
                    count,
                    low,
                    high,
                    extreme: format!("{extreme:.3e}"),
                });
            }
        }
        if spec.returns == Return::Numbers {
            if materialize {
                return Err(WorkloadError::ReturnMaterialized);
            }
            let width = super::offset_width(low, high) as u128;
            let bytes = u128::from(count) * workers as u128 * width;
            if bytes > isize::MAX as u128 {
                return Err(WorkloadError::ReturnTooLarge {
                    workers,
                    count,
                    width: width as usize,
                });
            }
        }
        if materialize {
            let fits = count.checked_mul(8).is_some_and(|bytes| {
                usize::try_from(bytes).is_ok_and(|b| b <= isize::MAX as usize)
            });
            if !fits {
                return Err(WorkloadError::MaterializeTooLarge { count });
            }
        }
        let simd = match spec.simd {
            None => Simd::widest(),
            Some(simd) if simd.is_supported() => simd,
            Some(simd) => {
                let supported: Vec<&str> = Simd::supported().map(Simd::name).collect();
                return Err(WorkloadError::UnsupportedSimd {
                    simd,
                    supported: supported.join(", "),
                });
            }
        };
        Ok(Workload::with_simd(spec, simd))
    }

    /// The workload of a valid `spec`, drawn through `simd` (supported).
    fn with_simd(spec: WorkloadSpec, simd: Simd) -> Workload {
        let streams = spec.workers * spec.generator.xoshiro_streams_per_worker();
        Workload {
            sampler: Sampler::new(spec.low, spec.high),
            simd,
            streams: xoshiro::stream_starts(spec.seed, streams),
            spec,
            #[cfg(feature = "fault-injection")]
            faults: Vec::new(),
        }
    }

    /// The parameters this workload was built from.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// Number of workers.
    pub fn workers(&self) -> usize {
        self.spec.workers
    }

    /// Numbers per worker.
    pub fn count(&self) -> u64 {
        self.spec.count
    }

    /// Numbers drawn by all workers together.
    pub fn total_numbers(&self) -> u64 {
        self.spec.count * self.spec.workers as u64
    }

    /// Smallest possible number (inclusive).
    pub fn low(&self) -> i64 {
        self.spec.low
    }

    /// Largest possible number (inclusive).
    pub fn high(&self) -> i64 {
        self.spec.high
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.spec.seed
    }

    /// The generator behind the streams.
    pub fn generator(&self) -> Generator {
        self.spec.generator
    }

    /// Whether workers build a vector before summing.
    pub fn materialize(&self) -> bool {
        self.spec.materialize
    }

    /// The instruction-set path the generator is drawn through, if it has
    /// paths ([`Generator::has_simd_paths`]); `None` for the others.
    pub fn simd(&self) -> Option<Simd> {
        self.spec.generator.has_simd_paths().then_some(self.simd)
    }

    /// The path chosen, whether or not the generator uses it: one this CPU
    /// supports.
    pub(crate) fn simd_path(&self) -> Simd {
        self.simd
    }

    /// What each worker hands back ([`Return`]).
    pub fn returns(&self) -> Return {
        self.spec.returns
    }

    /// The bytes one number takes when workers hand their numbers back: the
    /// narrowest of 1, 2, 4 and 8 that holds `high − low`, each number being
    /// sent as its offset from `low` ([`kernel::offset_width`](super::offset_width)).
    pub fn number_width(&self) -> usize {
        super::offset_width(self.spec.low, self.spec.high)
    }

    /// The bytes of one worker's numbers, handed back: `count × width`.
    /// [`Workload::new`] checked that every worker's together fit the
    /// address space.
    pub fn numbers_bytes_per_worker(&self) -> u64 {
        self.spec.count * self.number_width() as u64
    }

    /// The bytes every worker's numbers take together when they are handed
    /// back ([`Return::Numbers`]), 0 when only sums are.
    pub fn returned_bytes(&self) -> u64 {
        match self.spec.returns {
            Return::Sums => 0,
            Return::Numbers => self.numbers_bytes_per_worker() * self.spec.workers as u64,
        }
    }

    /// The expected value of one worker's sum: `count × (low + high) / 2`.
    pub fn expected_worker_sum(&self) -> f64 {
        self.spec.count as f64 * (self.spec.low as f64 + self.spec.high as f64) / 2.0
    }

    /// The standard deviation of one worker's sum: `sqrt(count × (n² − 1) / 12)`
    /// where `n = high − low + 1`, the variance of a discrete uniform variable.
    pub fn worker_sum_std_dev(&self) -> f64 {
        // The span exactly, then in floating point: high − low in f64 would
        // lose the difference between two large bounds.
        let n = (i128::from(self.spec.high) - i128::from(self.spec.low) + 1) as f64;
        (self.spec.count as f64 * (n * n - 1.0) / 12.0).sqrt()
    }

    /// A workload without the overflow checks, so kernel tests can reach the
    /// wide and full-range samplers with more than one number.
    /// The spec's `simd` path is used if this CPU supports it, else the
    /// widest.
    #[cfg(test)]
    pub(crate) fn new_unchecked(spec: WorkloadSpec) -> Workload {
        let simd = spec
            .simd
            .filter(|s| s.is_supported())
            .unwrap_or_else(Simd::widest);
        Workload::with_simd(spec, simd)
    }

    /// This workload with a fault injected into one worker (added to any
    /// injected before; the first that hits a worker applies). For tests
    /// only; see [`crate::fault`].
    #[cfg(feature = "fault-injection")]
    #[doc(hidden)]
    pub fn with_fault(mut self, injection: Injection) -> Workload {
        self.faults.push(injection);
        self
    }

    /// The fault injected into `worker` when `backend` runs it, if any.
    /// Always `None` without the `fault-injection` feature, so that the
    /// compiler removes every fault's handling from such a build.
    #[inline(always)]
    pub(crate) fn fault_for(&self, worker: usize, backend: Option<&str>) -> Option<Fault> {
        #[cfg(feature = "fault-injection")]
        {
            self.faults
                .iter()
                .find(|injection| injection.hits(worker, backend))
                .map(|injection| injection.fault)
        }
        #[cfg(not(feature = "fault-injection"))]
        {
            let _ = (worker, backend);
            None
        }
    }

    /// Worker `worker`'s generator, positioned at the start of its stream
    /// (for the single-lane xoshiro256++ generator). A copy of a cached
    /// state: no allocation, so forked children may call it.
    pub(crate) fn stream(&self, worker: usize) -> Xoshiro256PlusPlus {
        self.streams[worker].clone()
    }

    /// The starts of worker `worker`'s lanes, for the multi-lane generator:
    /// no allocation.
    pub(crate) fn lane_starts(&self, worker: usize) -> &[Xoshiro256PlusPlus] {
        let lanes = self.spec.generator.xoshiro_streams_per_worker();
        &self.streams[worker * lanes..(worker + 1) * lanes]
    }

    pub(crate) fn sampler(&self) -> &Sampler {
        &self.sampler
    }
}

/// Why a workload was rejected by [`Workload::new`](crate::Workload::new).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// `workers` was zero.
    #[error("workers = 0: a run needs at least one worker")]
    NoWorkers,

    /// More workers than gilfree supports.
    #[error("workers = {workers}: at most {max} workers are supported")]
    TooManyWorkers {
        /// The requested worker count.
        workers: usize,
        /// [`MAX_WORKERS`].
        max: usize,
    },

    /// `low > high`: the inclusive range is empty.
    #[error("low = {low} is greater than high = {high}: the range low..=high is empty")]
    EmptyRange {
        /// The lower bound.
        low: i64,
        /// The upper bound.
        high: i64,
    },

    /// The largest (or smallest) possible total does not fit in an `i64`.
    #[error(
        "{workers} workers × {count} numbers in [{low}, {high}] can sum to {extreme}, \
         which overflows the 64-bit sum; lower the count, the workers or the range"
    )]
    SumOverflow {
        /// The worker count.
        workers: usize,
        /// Numbers per worker.
        count: u64,
        /// The lower bound.
        low: i64,
        /// The upper bound.
        high: i64,
        /// The extreme total that does not fit, as text (it may exceed `i128`).
        extreme: String,
    },

    /// `--materialize` asks for a per-worker vector larger than the address space.
    #[error("count = {count}: a materialized vector of that many i64 does not fit in memory")]
    MaterializeTooLarge {
        /// Numbers per worker.
        count: u64,
    },

    /// `--return numbers` with `--materialize`: the numbers handed back are
    /// in memory already.
    #[error("--return numbers puts every worker's numbers in memory already; drop --materialize")]
    ReturnMaterialized,

    /// The numbers handed back would not fit the address space.
    #[error(
        "{} workers × {} numbers of {width} {} each cannot be handed back: they do not fit \
         in the address space",
        crate::text::group_digits(*workers as i128),
        crate::text::group_digits(*count as i128),
        crate::text::plural(*width, "byte", "bytes")
    )]
    ReturnTooLarge {
        /// The worker count.
        workers: usize,
        /// Numbers per worker.
        count: u64,
        /// Bytes per number.
        width: usize,
    },

    /// The SIMD path asked for is one this CPU cannot run.
    #[error("simd = {simd}: this CPU does not support it (it supports {supported})")]
    UnsupportedSimd {
        /// The path asked for.
        simd: Simd,
        /// The paths this CPU supports, comma-separated.
        supported: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Validation never panics, and what it accepts is safe to run: the
        /// extreme totals fit in an i64 and the worker count is in range.
        #[test]
        fn validation_accepts_only_workloads_whose_sums_fit(
            workers in prop_oneof![0usize..20, Just(MAX_WORKERS), Just(MAX_WORKERS + 1), Just(usize::MAX)],
            count in prop_oneof![0u64..1000, Just(u64::MAX), Just(1u64 << 40), any::<u64>()],
            low in prop_oneof![any::<i64>(), -5i64..5, Just(i64::MIN), Just(i64::MAX)],
            high in prop_oneof![any::<i64>(), -5i64..5, Just(i64::MIN), Just(i64::MAX)],
            materialize in any::<bool>(),
        ) {
            let spec = WorkloadSpec { workers, count, low, high, seed: 1, materialize, ..WorkloadSpec::default() };
            match Workload::new(spec) {
                Ok(w) => {
                    prop_assert!((1..=MAX_WORKERS).contains(&w.workers()));
                    prop_assert!(low <= high);
                    let n = i128::from(w.count()) * w.workers() as i128;
                    prop_assert!(n * i128::from(high) <= i128::from(i64::MAX));
                    prop_assert!(n * i128::from(low) >= i128::from(i64::MIN));
                }
                Err(err) => {
                    // One line, naming a value that was given.
                    let text = err.to_string();
                    prop_assert!(!text.contains('\n'));
                    prop_assert!(!text.is_empty());
                }
            }
        }
    }

    fn spec() -> WorkloadSpec {
        WorkloadSpec::default()
    }

    #[test]
    fn the_default_is_the_books_workload() {
        let w = Workload::new(spec()).unwrap();
        assert_eq!(
            (w.workers(), w.count(), w.low(), w.high()),
            (8, 1_000_000, 1, 100)
        );
        assert_eq!(w.total_numbers(), 8_000_000);
        assert_eq!(w.expected_worker_sum(), 50_500_000.0);
    }

    #[test]
    fn zero_workers_are_rejected() {
        let err = Workload::new(WorkloadSpec {
            workers: 0,
            ..spec()
        })
        .unwrap_err();
        assert_eq!(err, WorkloadError::NoWorkers);
    }

    #[test]
    fn too_many_workers_are_rejected() {
        let err = Workload::new(WorkloadSpec {
            workers: MAX_WORKERS + 1,
            ..spec()
        })
        .unwrap_err();
        assert!(matches!(err, WorkloadError::TooManyWorkers { .. }));
        assert!(
            Workload::new(WorkloadSpec {
                workers: MAX_WORKERS,
                ..spec()
            })
            .is_ok()
        );
    }

    #[test]
    fn an_empty_range_is_rejected_and_a_single_value_is_not() {
        let err = Workload::new(WorkloadSpec {
            low: 5,
            high: 4,
            ..spec()
        })
        .unwrap_err();
        assert_eq!(err, WorkloadError::EmptyRange { low: 5, high: 4 });
        assert!(
            Workload::new(WorkloadSpec {
                low: -7,
                high: -7,
                ..spec()
            })
            .is_ok()
        );
    }

    #[test]
    fn totals_that_overflow_i64_are_rejected_at_the_boundary() {
        // 2 workers × 2 numbers × high: fits exactly when 4 × high <= i64::MAX.
        let base = WorkloadSpec {
            workers: 2,
            count: 2,
            low: 0,
            ..spec()
        };
        let max_high = i64::MAX / 4;
        assert!(
            Workload::new(WorkloadSpec {
                high: max_high,
                ..base.clone()
            })
            .is_ok()
        );
        let err = Workload::new(WorkloadSpec {
            high: max_high + 1,
            ..base.clone()
        })
        .unwrap_err();
        assert!(matches!(err, WorkloadError::SumOverflow { .. }), "{err}");
        // The negative side is checked too, and i64::MIN itself fits once.
        let low_side = WorkloadSpec {
            workers: 1,
            count: 1,
            low: i64::MIN,
            high: 0,
            ..spec()
        };
        assert!(Workload::new(low_side.clone()).is_ok());
        let err = Workload::new(WorkloadSpec {
            count: 2,
            ..low_side
        })
        .unwrap_err();
        assert!(matches!(err, WorkloadError::SumOverflow { .. }));
        // A count beyond i64 with a zero range is fine: the sum is always 0.
        assert!(
            Workload::new(WorkloadSpec {
                count: u64::MAX,
                low: 0,
                high: 0,
                ..spec()
            })
            .is_ok()
        );
    }

    #[test]
    fn a_materialized_vector_beyond_the_address_space_is_rejected() {
        let huge = WorkloadSpec {
            count: u64::MAX / 4,
            low: 0,
            high: 0,
            materialize: true,
            ..spec()
        };
        assert!(matches!(
            Workload::new(huge).unwrap_err(),
            WorkloadError::MaterializeTooLarge { .. }
        ));
    }

    #[test]
    fn the_simd_path_is_the_widest_unless_a_supported_one_is_asked_for() {
        let w = Workload::new(spec()).unwrap();
        assert_eq!(w.simd(), Some(Simd::widest()));
        for simd in Simd::ALL {
            let asked = Workload::new(WorkloadSpec {
                simd: Some(simd),
                ..spec()
            });
            match asked {
                Ok(w) => {
                    assert!(simd.is_supported());
                    assert_eq!(w.simd(), Some(simd));
                }
                Err(err) => {
                    assert!(!simd.is_supported());
                    assert!(
                        matches!(err, WorkloadError::UnsupportedSimd { simd: s, .. } if s == simd)
                    );
                    assert!(err.to_string().contains("scalar"), "{err}");
                }
            }
        }
        // Generators without paths report none.
        for generator in [
            Generator::Xoshiro256PlusPlus,
            Generator::Python,
            Generator::Rand,
        ] {
            let w = Workload::new(WorkloadSpec {
                generator,
                ..spec()
            })
            .unwrap();
            assert_eq!(w.simd(), None, "{}", generator.name());
        }
    }

    #[test]
    fn the_workload_caches_one_stream_start_per_lane_of_every_worker() {
        for generator in Generator::ALL {
            let w = Workload::new(WorkloadSpec {
                workers: 5,
                generator,
                ..spec()
            })
            .unwrap();
            assert_eq!(
                w.streams.len(),
                5 * generator.xoshiro_streams_per_worker(),
                "{}",
                generator.name()
            );
        }
    }

    #[test]
    fn the_standard_deviation_matches_the_discrete_uniform_formula() {
        // One number in 1..=6 (a die): variance 35/12.
        let w = Workload::new(WorkloadSpec {
            count: 1,
            low: 1,
            high: 6,
            ..spec()
        })
        .unwrap();
        assert!((w.worker_sum_std_dev() - (35.0f64 / 12.0).sqrt()).abs() < 1e-12);
    }
}
