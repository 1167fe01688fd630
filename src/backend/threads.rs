//! The book's listing 11-1 in Rust: one OS thread per worker, each appending
//! its result to a shared, mutex-guarded vector.
//!
//! In CPython these threads take turns on the GIL; here they run at once.
//! Handing their numbers back, each writes into its own slice of one buffer
//! the parent owns (scoped threads borrow their slices).

use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crate::backend::returned::{self, Returned};
use crate::backend::spawn::{check_thread_limit, reports_or_first_failure, spawn_and_join};
use crate::backend::{Backend, BackendKind, Profile, Schedule, WorkerKind};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::{WorkerReport, run_worker_caught};

/// One `std::thread` per worker, results pushed into an `Arc<Mutex<Vec<_>>>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadsBackend;

const NAME: &str = "threads";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one std::thread per worker, appending to an Arc<Mutex<Vec>> (the book's listing 11-1)",
    WorkerKind::Thread,
    Schedule::AtOnce,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |_| Ok(Box::new(ThreadsBackend)));

impl Backend for ThreadsBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_thread_limit(NAME, workload)
    }

    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        returned::prepare_for(NAME, workload)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let results = Arc::new(Mutex::new(Vec::with_capacity(workload.workers())));
        let mut numbers = Returned::for_workload(NAME, workload)?;
        let mut slots = returned::slots(numbers.as_mut(), workload.workers()).into_iter();
        thread::scope(|scope| {
            spawn_and_join(NAME, workload.workers(), |worker| {
                let results = Arc::clone(&results);
                let out = slots.next().flatten();
                thread::Builder::new()
                    .name(format!("gilfree-thread-{worker}"))
                    .spawn_scoped(scope, move || {
                        let report = run_worker_caught(NAME, workload, worker, out);
                        results
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push((worker, report));
                    })
            })
        })?;
        // Every thread is joined, so this is the only reference left.
        let results = std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
        let reports = reports_or_first_failure(NAME, results)?;
        Ok(returned::finish(numbers.as_ref(), workload, reports))
    }
}
