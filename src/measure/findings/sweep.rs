//! A sweep's findings, from its points' figures.

use std::time::Duration;

use super::report::{lost_cores, took_turns};
use super::{ONE_CORE, SHORT_JOB};
use crate::measure::Contended;
use crate::measure::sweep::{SerialReading, Sweep, SweepPoint};

/// A conclusion drawn from a sweep's figures.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SweepFinding {
    /// The highest speedup any series reached, against what the cores (or
    /// the worker counts swept) allow.
    Best {
        /// Its backend.
        backend: &'static str,
        /// At this many workers.
        workers: usize,
        /// The speedup.
        speedup: f64,
        /// The most the swept workers on these cores allow.
        ceiling: usize,
        /// Whether the cores (else the largest worker count) bound it.
        cores_bound: bool,
    },
    /// Series whose speedup never reached [`ONE_CORE`]: they stayed near
    /// one worker's speed (other than the best one), and why, as far as
    /// their points' time accounting tells.
    StayedFlat {
        /// Their backends.
        backends: Vec<&'static str>,
        /// Why.
        cause: FlatCause,
    },
    /// A series some of whose points ran faster than their cores allow
    /// (efficiency above 100 %, or a negative mean Karp–Flatt `e`): its
    /// figures measure no serial fraction — its one-worker point was slowed
    /// (other programs, its own overhead, a cold cache) or the points had
    /// cores the divisor does not count.
    FasterThanCores {
        /// Its backend.
        backend: &'static str,
        /// The highest efficiency among its points (above 1).
        best_efficiency: f64,
        /// The mean of its points' `e`, negative or not.
        mean_serial_fraction: f64,
    },
    /// Points whose median run took less than [`SHORT_JOB`]: starting the
    /// workers is a visible share of them, so their speedups say little.
    TooShort {
        /// Each point: its backend, its workers and its median time.
        points: Vec<(&'static str, usize, Duration)>,
    },
    /// A point whose runs lost cores to other programs.
    Contended {
        /// Its backend.
        backend: &'static str,
        /// Its worker count.
        workers: usize,
        /// What it lost.
        contended: Contended,
        /// The cores it could use.
        usable_cores: usize,
    },
}

/// Why a series stayed near one worker's speed ([`SweepFinding::StayedFlat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlatCause {
    /// At some point of more than one worker its workers took turns: they
    /// were blocked (a lock, the GIL).
    TookTurns,
    /// They ran at once but waited for cores that other programs had: at
    /// some point they lost [`CONTENTION_WARNING`](crate::measure::CONTENTION_WARNING)
    /// of the cores they could use.
    WaitedForCores,
    /// The accounting does not say (not accounted, or neither).
    Unexplained,
}

impl Sweep {
    /// Why `series`, which stayed flat, did, from its points of more than
    /// one worker on more than one core.
    fn flat_cause(&self, series: &crate::measure::sweep::Series) -> FlatCause {
        let several = || {
            series
                .points
                .iter()
                .filter(|p| self.usable(p) > 1 && p.workers > 1)
        };
        if several().any(|p| took_turns(&p.result) == Some(true)) {
            FlatCause::TookTurns
        } else if several().any(|p| {
            let usable = self.usable(p);
            lost_cores(&p.result, usable)
                .is_some_and(|lost| lost >= crate::measure::CONTENTION_WARNING * usable as f64)
        }) {
            FlatCause::WaitedForCores
        } else {
            FlatCause::Unexplained
        }
    }

    /// Every conclusion the sweep's figures support.
    pub fn findings(&self) -> Vec<SweepFinding> {
        let mut findings = Vec::new();
        let cores = self.machine.logical_cores;
        let max_workers = self.plan.workers.iter().copied().max().unwrap_or(1);
        let ceiling = max_workers.min(cores).max(1);
        let points: Vec<(usize, usize, f64)> =
            self.series
                .iter()
                .enumerate()
                .flat_map(|(index, series)| {
                    series.points.iter().filter_map(move |p| {
                        Some((index, p.workers, self.figures(series, p)?.speedup))
                    })
                })
                .collect();
        let best = points
            .iter()
            .copied()
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .filter(|_| ceiling > 1);
        if let Some((index, workers, speedup)) = best {
            findings.push(SweepFinding::Best {
                backend: self.series[index].backend,
                workers,
                speedup,
                ceiling,
                cores_bound: cores <= max_workers,
            });
            let flat: Vec<&crate::measure::sweep::Series> = self
                .series
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    *i != index && points.iter().filter(|p| p.0 == *i).all(|p| p.2 < ONE_CORE)
                })
                .map(|(_, s)| s)
                .collect();
            for cause in [
                FlatCause::TookTurns,
                FlatCause::WaitedForCores,
                FlatCause::Unexplained,
            ] {
                let backends: Vec<&'static str> = flat
                    .iter()
                    .filter(|s| self.flat_cause(s) == cause)
                    .map(|s| s.backend)
                    .collect();
                if !backends.is_empty() {
                    findings.push(SweepFinding::StayedFlat { backends, cause });
                }
            }
        }
        for series in &self.series {
            if let Some(SerialReading::FasterThanCores {
                mean,
                best_efficiency,
            }) = self.serial_reading(series)
            {
                findings.push(SweepFinding::FasterThanCores {
                    backend: series.backend,
                    best_efficiency,
                    mean_serial_fraction: mean,
                });
            }
        }
        let short: Vec<(&'static str, usize, Duration)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(move |p| (s.backend, p)))
            .map(|(backend, p)| {
                let timed = p.result.compute_median().unwrap_or(p.result.wall_median());
                (backend, p.workers, timed)
            })
            .filter(|(_, _, timed)| *timed < SHORT_JOB)
            .collect();
        if !short.is_empty() {
            findings.push(SweepFinding::TooShort { points: short });
        }
        for series in &self.series {
            for point in &series.points {
                if let Some(contended) = self.contended(point) {
                    findings.push(SweepFinding::Contended {
                        backend: series.backend,
                        workers: point.workers,
                        contended,
                        usable_cores: self.usable(point),
                    });
                }
            }
        }
        findings
    }

    /// The cores `point` could use: `min(parallelism, logical cores)`.
    pub fn usable(&self, point: &SweepPoint) -> usize {
        point
            .result
            .parallelism
            .min(self.machine.logical_cores)
            .max(1)
    }
}
