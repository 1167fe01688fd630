//! The baseline: every worker in turn on the calling thread.
//!
//! Speedups are measured against it, and its sums are the oracle the driver
//! checks every other backend against.

use crate::backend::{Backend, worker_error};
use crate::error::Error;
use crate::report::{WorkerReport, run_worker_caught};
use crate::workload::Workload;

/// Runs the workers one after another on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct SequentialBackend;

impl Backend for SequentialBackend {
    fn name(&self) -> &'static str {
        "sequential"
    }

    fn description(&self) -> &'static str {
        "one thread runs the workers one after another (the baseline)"
    }

    fn parallelism(&self, _workload: &Workload) -> usize {
        1
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        (0..workload.workers())
            .map(|worker| {
                run_worker_caught(self.name(), workload, worker)
                    .map_err(|failure| worker_error(self.name(), worker, failure))
            })
            .collect()
    }
}
