//! The baseline: every worker in turn on the calling thread.
//!
//! Speedups are measured against it, and its sums are the oracle the driver
//! checks every other backend against.

use crate::backend::returned::{self, Returned};
use crate::backend::{Backend, BackendKind, Profile, Schedule, WorkerKind, worker_error};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::{WorkerReport, run_worker_caught};

/// Runs the workers one after another on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct SequentialBackend;

const NAME: &str = "sequential";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one thread runs the workers one after another (the baseline)",
    WorkerKind::Thread,
    Schedule::OneAfterAnother,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |_| Ok(Box::new(SequentialBackend)));

impl Backend for SequentialBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn parallelism(&self, _workload: &Workload) -> usize {
        1
    }

    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        returned::prepare_for(NAME, workload)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let mut numbers = Returned::for_workload(NAME, workload)?;
        let reports = returned::slots(numbers.as_mut(), workload.workers())
            .into_iter()
            .enumerate()
            .map(|(worker, out)| {
                run_worker_caught(NAME, workload, worker, out)
                    .map_err(|failure| worker_error(NAME, worker, failure))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(returned::finish(numbers.as_ref(), workload, reports))
    }
}
