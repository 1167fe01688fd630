//! Sweeps over the work per worker (`gilfree sweep --counts`): the same
//! backends at several counts — with `--return numbers`, several sizes of
//! what each worker hands back — each count a whole run of the driver,
//! sequential baseline and verified sums included, so that each row's
//! speedup against one worker after another shows as a curve over the
//! bytes per worker. Copying has a cost per byte and forking a cost per
//! run: where a row's curve crosses 1×, the figures say from which size
//! on it stops paying ([`CountFinding::Crossed`]).

use super::{Driver, Plan, Progress, Report, Timeout};
use crate::backend::Backend;
use crate::error::Error;
use crate::kernel::{Return, Workload, WorkloadSpec};

/// What to sweep.
#[derive(Debug, Clone)]
pub struct CountPlan {
    /// The numbers per worker at each point, ascending.
    pub counts: Vec<u64>,
    /// The workload; its `count` is set per point.
    pub spec: WorkloadSpec,
    /// Runs per point and backend.
    pub plan: Plan,
    /// How long one run may take.
    pub timeout: Timeout,
    /// Whether a sampler watches every run.
    pub sampling: bool,
}

impl CountPlan {
    /// The workload at `count`.
    ///
    /// # Errors
    /// [`Error::InvalidWorkload`] when it is not valid.
    pub fn workload(&self, count: u64) -> Result<Workload, Error> {
        Ok(Workload::new(WorkloadSpec {
            count,
            ..self.spec.clone()
        })?)
    }
}

/// The outcome of [`run`]: one report per count, ascending.
#[derive(Debug, Clone)]
pub struct CountSweep {
    /// What was swept.
    pub plan: CountPlan,
    /// Each count's report: the sequential baseline and every backend.
    pub points: Vec<Report>,
}

/// One row at one count: its speedup against the sequential row of that
/// count, and the bytes per worker it moved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountPoint {
    /// Numbers per worker.
    pub count: u64,
    /// The bytes each worker handed back (0 with sums).
    pub bytes_per_worker: u64,
    /// Sequential's median wall ÷ this row's, at this count.
    pub speedup: f64,
}

/// What a count sweep shows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CountFinding {
    /// A row's speedup against one worker after another crossed 1×
    /// between two neighbouring counts: from there on it ran slower (or
    /// faster) than the sequential row.
    Crossed {
        /// The row.
        row: &'static str,
        /// The last point on one side of 1×.
        before: CountPoint,
        /// The first point on the other.
        after: CountPoint,
        /// Whether it fell below 1× (else it rose above).
        fell: bool,
    },
}

impl CountSweep {
    /// The rows swept, in report order, the baseline left out.
    pub fn rows(&self) -> Vec<&'static str> {
        self.points
            .first()
            .map(|r| r.results.iter().skip(1).map(|b| b.name()).collect())
            .unwrap_or_default()
    }

    /// `row`'s points, ascending by count.
    pub fn series(&self, row: &str) -> Vec<CountPoint> {
        self.points
            .iter()
            .filter_map(|report| {
                let result = report.result(row)?;
                Some(CountPoint {
                    count: report.workload.count(),
                    bytes_per_worker: match report.workload.returns() {
                        Return::Sums => 0,
                        Return::Numbers => report.workload.numbers_bytes_per_worker(),
                    },
                    speedup: report.speedup(result)?,
                })
            })
            .collect()
    }

    /// Where each row's curve crossed 1×.
    pub fn findings(&self) -> Vec<CountFinding> {
        let mut findings = Vec::new();
        for row in self.rows() {
            let series = self.series(row);
            for pair in series.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if (a.speedup >= 1.0) != (b.speedup >= 1.0) {
                    findings.push(CountFinding::Crossed {
                        row,
                        before: a,
                        after: b,
                        fell: b.speedup < 1.0,
                    });
                }
            }
        }
        findings
    }
}

/// Runs the driver at every count of `plan`, checking every point's
/// workload and memory before the first run, calling `progress` with the
/// count before every run.
///
/// # Errors
/// An invalid workload at some count, a refusal ([`Driver::check`]), or a
/// failed run.
pub fn run(
    backends: &[&dyn Backend],
    plan: &CountPlan,
    mut progress: impl FnMut(u64, Progress),
) -> Result<CountSweep, Error> {
    let drivers = plan
        .counts
        .iter()
        .map(|&count| {
            let driver = Driver::new(plan.workload(count)?, plan.plan)?
                .with_timeout(plan.timeout)
                .with_sampling(plan.sampling);
            driver.check(backends)?;
            Ok(driver)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let points = drivers
        .iter()
        .map(|driver| {
            let count = driver.workload().count();
            driver.run_with_progress(backends, |event| progress(count, event))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(CountSweep {
        plan: plan.clone(),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, report};

    fn at(count: u64, process_ms: f64) -> Report {
        let mut r = report(
            vec![
                Row::new("sequential", 1, 100.0 * count as f64, 100.0),
                Row::new("process", 8, process_ms * count as f64, 190.0),
            ],
            None,
        );
        r.workload = Workload::new(WorkloadSpec {
            count,
            returns: Return::Numbers,
            ..WorkloadSpec::default()
        })
        .unwrap();
        r
    }

    #[test]
    fn a_row_that_crosses_one_times_is_found_between_its_two_points() {
        let sweep = CountSweep {
            plan: CountPlan {
                counts: vec![1, 2, 4],
                spec: WorkloadSpec::default(),
                plan: Plan::exactly(5, 1),
                timeout: Timeout::Never,
                sampling: false,
            },
            // 2× faster, then 1.25×, then 0.8×.
            points: vec![at(1, 50.0), at(2, 80.0), at(4, 125.0)],
        };
        assert_eq!(sweep.rows(), ["process"]);
        let series = sweep.series("process");
        assert_eq!(series.len(), 3);
        assert_eq!(series[2].bytes_per_worker, 4);
        assert_eq!(
            sweep.findings(),
            [CountFinding::Crossed {
                row: "process",
                before: series[1],
                after: series[2],
                fell: true,
            }]
        );
    }
}
