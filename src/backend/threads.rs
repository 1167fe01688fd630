//! The book's listing 11-1 in Rust: one OS thread per worker, each appending
//! its result to a shared, mutex-guarded vector.
//!
//! In CPython these threads take turns on the GIL; here they run at once.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crate::backend::{Backend, check_thread_limit, panic_message, worker_error};
use crate::error::{Error, WorkerFailure};
use crate::report::{WorkerReport, run_worker_caught};
use crate::workload::Workload;

/// One `std::thread` per worker, results pushed into an `Arc<Mutex<Vec<_>>>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadsBackend;

const NAME: &str = "threads";

impl Backend for ThreadsBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "one std::thread per worker, appending to an Arc<Mutex<Vec>> (the book's listing 11-1)"
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_thread_limit(NAME, workload)
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let results = Arc::new(Mutex::new(Vec::with_capacity(workload.workers())));
        let mut handles = Vec::with_capacity(workload.workers());
        let mut first_error = None;
        for worker in 0..workload.workers() {
            let results = Arc::clone(&results);
            let workload = workload.clone();
            let spawned = thread::Builder::new()
                .name(format!("gilfree-thread-{worker}"))
                .spawn(move || {
                    let report = run_worker_caught(NAME, &workload, worker);
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((worker, report));
                });
            match spawned {
                Ok(handle) => handles.push((worker, handle)),
                Err(err) => {
                    first_error = Some(worker_error(NAME, worker, WorkerFailure::spawn(err)));
                    break;
                }
            }
        }
        // Join every thread that was started, even after a failure.
        for (worker, handle) in handles {
            if let Err(payload) = handle.join() {
                first_error.get_or_insert_with(|| {
                    worker_error(
                        NAME,
                        worker,
                        WorkerFailure::Panicked(panic_message(&*payload)),
                    )
                });
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        // Every thread is joined, so this is the only reference left.
        let results = std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
        results
            .into_iter()
            .map(|(worker, report)| report.map_err(|failure| worker_error(NAME, worker, failure)))
            .collect()
    }
}
