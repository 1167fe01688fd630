//! Scaling sweeps: each backend over a list of worker counts, with the
//! speedup against one worker, the efficiency, and the Karp–Flatt metric.
//!
//! - **Weak scaling** (the book's setup): every worker draws `count` numbers,
//!   so `p` workers do `p` times the work of one. The speedup is the scaled
//!   speedup `S = p × T(1) / T(p)`.
//! - **Strong scaling**: the total, `count`, is divided among the workers
//!   (`⌊count / p⌋` each), so the work stays the same: `S = T(1) / T(p)`.
//!
//! With `P = min(p, logical cores)` the processors that can be used,
//! efficiency is `S / P`, and the Karp–Flatt metric — the experimentally
//! determined serial fraction — is `e = (1/S − 1/P) / (1 − 1/P)` (Karp &
//! Flatt, 1990). A constant `e` across `P` means Amdahl's law describes the
//! backend, and the speedup it predicts is `1 / (e + (1 − e) / P)`; an `e`
//! that grows with `P` means an overhead that grows with the workers (spawning
//! them, say). The `gil` backend's `e` is close to 1: all of it is serial.

use super::stats;
use super::{BackendResult, Driver, Machine, Plan, Progress, Timeout};
use crate::backend::Backend;
use crate::error::Error;
use crate::kernel::{Workload, WorkloadSpec};

/// How the work grows with the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// Each worker draws `count` numbers: the work grows with the workers.
    Weak,
    /// `count` numbers in all, divided among the workers.
    Strong,
}

impl Scaling {
    /// `weak` or `strong`.
    pub fn name(self) -> &'static str {
        match self {
            Scaling::Weak => "weak",
            Scaling::Strong => "strong",
        }
    }
}

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The worker counts, ascending, 1 among them (the reference).
    pub workers: Vec<usize>,
    /// Weak or strong.
    pub scaling: Scaling,
    /// The workload at one worker; `workers` and `count` are set per point.
    pub spec: WorkloadSpec,
    /// Runs per point and backend.
    pub plan: Plan,
    /// How long one run may take ([`Timeout`]).
    pub timeout: Timeout,
    /// Whether a sampler accounts for other programs' CPU during every run
    /// ([`Driver::with_sampling`]).
    pub sampling: bool,
}

impl SweepPlan {
    /// 1, 2, 4, … up to twice the logical cores (and that count itself).
    pub fn default_workers(logical_cores: usize) -> Vec<usize> {
        let top = 2 * logical_cores.max(1);
        let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |&p| p.checked_mul(2))
            .take_while(|&p| p <= top)
            .collect();
        if counts.last() != Some(&top) {
            counts.push(top);
        }
        counts
    }

    /// Checks that every point does the work the speedups assume: under
    /// strong scaling `count` must divide evenly among every worker count
    /// (gilfree refuses rather than hand some workers more), and every
    /// point's workload must be valid.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an uneven division,
    /// [`Error::InvalidWorkload`] for a point's workload.
    pub fn check(&self) -> Result<(), Error> {
        if self.scaling == Scaling::Strong {
            let count = self.spec.count;
            if let Some(&uneven) = self
                .workers
                .iter()
                .find(|&&w| !count.is_multiple_of(w.max(1) as u64))
            {
                return Err(Error::InvalidOption {
                    option: "count",
                    value: format!("{count} among {uneven} workers"),
                    reason: "strong scaling divides --count evenly among the workers: \
                             give a multiple of every worker count",
                });
            }
        }
        for &workers in &self.workers {
            Workload::new(WorkloadSpec {
                workers,
                count: self.count_at(workers),
                ..self.spec.clone()
            })?;
        }
        Ok(())
    }

    /// The numbers per worker at `workers` workers.
    pub fn count_at(&self, workers: usize) -> u64 {
        match self.scaling {
            Scaling::Weak => self.spec.count,
            Scaling::Strong => self.spec.count / workers as u64,
        }
    }
}

/// One backend at one worker count.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// The worker count.
    pub workers: usize,
    /// Numbers per worker.
    pub count: u64,
    /// The measured runs.
    pub result: BackendResult,
}

/// One backend across the worker counts.
#[derive(Debug, Clone)]
pub struct Series {
    /// The backend's name.
    pub backend: &'static str,
    /// One point per worker count, ascending.
    pub points: Vec<SweepPoint>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone)]
pub struct Sweep {
    /// What was swept.
    pub plan: SweepPlan,
    /// Where.
    pub machine: Machine,
    /// One series per backend.
    pub series: Vec<Series>,
    /// The interpreter that ran the Python series, if any ran.
    pub interpreter: Option<crate::backend::python::Interpreter>,
}

/// What a point's speedup is taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timed {
    /// The median wall time of whole runs.
    Wall,
    /// The median compute time of a launched engine's runs (its ranks' start
    /// barrier to the last finish): the launch, which grows with the ranks
    /// and is no part of the computation's scaling, is shown apart.
    Compute,
}

/// The figures of one point, derived from the measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Speedup against one worker (scaled speedup for weak scaling).
    pub speedup: f64,
    /// What the speedup is taken on.
    pub timed: Timed,
    /// `min(workers, logical cores)`, the cores being those of every host
    /// the point's workers ran on (each machine once) for a launched engine.
    pub processors: usize,
    /// `speedup / processors`.
    pub efficiency: f64,
    /// The Karp–Flatt serial fraction (`None` on one processor).
    pub serial_fraction: Option<f64>,
}

/// The Karp–Flatt metric `e = (1/S − 1/p) / (1 − 1/p)`; `None` for `p ≤ 1`
/// or a non-positive speedup.
pub fn karp_flatt(speedup: f64, processors: usize) -> Option<f64> {
    let p = processors as f64;
    (processors > 1 && speedup > 0.0).then(|| (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p))
}

/// Amdahl's speedup on `processors` with serial fraction `e`.
pub fn amdahl(serial_fraction: f64, processors: usize) -> f64 {
    1.0 / (serial_fraction + (1.0 - serial_fraction) / processors.max(1) as f64)
}

/// What a series' Karp–Flatt figures say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SerialReading {
    /// The mean serial fraction over the points on more than one core, in
    /// `[0, 1]`: the `e` of the Amdahl curve drawn.
    Fraction(f64),
    /// Some point ran faster than its cores allow (efficiency above 100 %,
    /// a negative `e`): the figures measure something else than a serial
    /// fraction — a reference point slowed by its own overhead, caches, or
    /// cores the divisor does not know of.
    FasterThanCores {
        /// The mean of the points' `e`, below zero or not.
        mean: f64,
        /// The highest efficiency among the points (above 1).
        best_efficiency: f64,
    },
}

impl Sweep {
    /// The cores `point`'s workers could run on: every host's, each
    /// machine once, for a launched engine; else this machine's.
    pub fn cores_at(&self, point: &SweepPoint) -> usize {
        point
            .result
            .cores_across()
            .map_or(self.machine.logical_cores, |c| c.cores)
    }

    /// The figures of `point` in `series`: on the compute time for a
    /// launched engine (its launch apart), else on the wall time.
    pub fn figures(&self, series: &Series, point: &SweepPoint) -> Option<Figures> {
        let reference = series.points.iter().find(|p| p.workers == 1)?;
        let (t1, tp, timed) = match (
            reference.result.compute_median(),
            point.result.compute_median(),
        ) {
            (Some(t1), Some(tp)) => (t1.as_secs_f64(), tp.as_secs_f64(), Timed::Compute),
            _ => (
                reference.result.wall_median().as_secs_f64(),
                point.result.wall_median().as_secs_f64(),
                Timed::Wall,
            ),
        };
        if t1 <= 0.0 || tp <= 0.0 {
            return None;
        }
        let speedup = match self.plan.scaling {
            // p workers did p × count numbers, one worker count.
            Scaling::Weak => point.workers as f64 * t1 / tp,
            // The totals may differ by the remainder of count / p.
            Scaling::Strong => {
                let work = |p: &SweepPoint| p.count as f64 * p.workers as f64;
                (t1 / tp) * (work(point) / work(reference).max(1.0))
            }
        };
        let processors = point.workers.min(self.cores_at(point)).max(1);
        Some(Figures {
            speedup,
            timed,
            processors,
            efficiency: speedup / processors as f64,
            serial_fraction: karp_flatt(speedup, processors),
        })
    }

    /// Whether other programs took enough of the cores `point` could use to
    /// bend its figures ([`Report::contended`](super::Report::contended)'s
    /// reading, at the point).
    pub fn contended(&self, point: &SweepPoint) -> Option<super::Contended> {
        super::result::contended(
            point.result.contention()?,
            point.result.parallelism.min(self.machine.logical_cores),
            self.machine.logical_cores,
        )
    }

    /// The mean Karp–Flatt fraction of a series over its points on more than
    /// one processor: the `e` whose Amdahl curve the table and plot show.
    pub fn serial_fraction(&self, series: &Series) -> Option<f64> {
        let fractions: Vec<f64> = series
            .points
            .iter()
            .filter_map(|p| self.figures(series, p)?.serial_fraction)
            .collect();
        stats::mean(&fractions).map(|e| e.clamp(0.0, 1.0))
    }

    /// What a series' Karp–Flatt figures say ([`SerialReading`]); `None`
    /// without a point on more than one core.
    pub fn serial_reading(&self, series: &Series) -> Option<SerialReading> {
        let figures: Vec<Figures> = series
            .points
            .iter()
            .filter_map(|p| self.figures(series, p))
            .collect();
        let fractions: Vec<f64> = figures.iter().filter_map(|f| f.serial_fraction).collect();
        let mean = stats::mean(&fractions)?;
        let best_efficiency = figures
            .iter()
            .map(|f| f.efficiency)
            .fold(f64::NEG_INFINITY, f64::max);
        // A point above 100 % beyond rounding, or a mean e below zero.
        if best_efficiency > 1.005 || mean < 0.0 {
            Some(SerialReading::FasterThanCores {
                mean,
                best_efficiency,
            })
        } else {
            Some(SerialReading::Fraction(mean.clamp(0.0, 1.0)))
        }
    }
}

/// Measures every backend at every worker count of `plan`, calling
/// `progress` with the worker count before every run.
///
/// Runs are interleaved across the whole sweep — warm-ups first, then round
/// 1 of every point and backend, round 2, and so on — so that a drift in
/// the machine's speed spreads over all points instead of bending the curve.
///
/// # Errors
/// An invalid workload at some worker count ([`Error::InvalidWorkload`]),
/// a backend that cannot run that many workers, or a failed run.
pub fn run(
    backends: &[&dyn Backend],
    plan: &SweepPlan,
    mut progress: impl FnMut(usize, Progress),
) -> Result<Sweep, Error> {
    plan.check()?;
    let one_run = Plan::exactly(1, 0);
    let drivers = plan
        .workers
        .iter()
        .map(|&workers| {
            let workload = Workload::new(WorkloadSpec {
                workers,
                count: plan.count_at(workers),
                ..plan.spec.clone()
            })?;
            Ok(Driver::new(workload, one_run)?
                .with_timeout(plan.timeout)
                .with_sampling(plan.sampling))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // Each round's runs, per point, per backend.
    let mut series: Vec<Series> = backends
        .iter()
        .map(|b| Series {
            backend: b.name(),
            points: Vec::new(),
        })
        .collect();
    let rounds = plan.plan.warmup + plan.plan.max_runs;
    for round in 0..rounds {
        let warmup = round < plan.plan.warmup;
        let mut ran = false;
        for (point, driver) in drivers.iter().enumerate() {
            let workers = driver.workload().workers();
            // After the warm-ups, only the backends whose median at this
            // point is not yet known well enough run again.
            let wanted: Vec<&dyn Backend> = backends
                .iter()
                .zip(&series)
                .filter(|(_, s)| {
                    warmup
                        || s.points
                            .get(point)
                            .is_none_or(|p| plan.plan.wants_more(&p.result.walls()))
                })
                .map(|(b, _)| *b)
                .collect();
            if wanted.is_empty() {
                continue;
            }
            ran = true;
            let results = driver.measure_backends(&wanted, |event| {
                let event = match event {
                    Progress::Run { backend, .. } => Progress::Run {
                        backend,
                        index: if warmup {
                            round + 1
                        } else {
                            round - plan.plan.warmup + 1
                        },
                        of: if warmup {
                            plan.plan.warmup
                        } else {
                            plan.plan.max_runs
                        },
                        warmup,
                    },
                };
                progress(workers, event)
            })?;
            if warmup {
                continue;
            }
            for result in results {
                let Some(s) = series.iter_mut().find(|s| s.backend == result.name()) else {
                    continue;
                };
                match s.points.get_mut(point) {
                    Some(existing) => existing.result.runs.extend(result.runs),
                    None => s.points.push(SweepPoint {
                        workers,
                        count: driver.workload().count(),
                        result,
                    }),
                }
            }
        }
        if !warmup && !ran {
            break;
        }
    }
    Ok(Sweep {
        interpreter: backends.iter().find_map(|b| b.interpreter().cloned()),
        plan: plan.clone(),
        machine: drivers
            .first()
            .map_or_else(Machine::detect, |d| d.machine().clone()),
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karp_flatt_recovers_amdahls_serial_fraction() {
        for e in [0.0, 0.05, 0.3, 1.0] {
            for p in [2, 4, 16] {
                let s = amdahl(e, p);
                assert!((karp_flatt(s, p).unwrap() - e).abs() < 1e-12, "e {e} p {p}");
            }
        }
        assert_eq!(karp_flatt(1.0, 1), None);
        assert_eq!(karp_flatt(2.0, 2), Some(0.0));
        assert_eq!(karp_flatt(1.0, 2), Some(1.0));
    }

    #[test]
    fn default_worker_counts_double_up_to_twice_the_cores() {
        assert_eq!(SweepPlan::default_workers(2), [1, 2, 4]);
        assert_eq!(SweepPlan::default_workers(3), [1, 2, 4, 6]);
        assert_eq!(SweepPlan::default_workers(8), [1, 2, 4, 8, 16]);
        assert_eq!(SweepPlan::default_workers(1), [1, 2]);
    }
}
