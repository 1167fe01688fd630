//! Share by communicating: crossbeam scoped threads send their reports over a
//! crossbeam channel instead of pushing them into a shared vector.
//!
//! Scoped threads borrow the workload instead of cloning it, and the scope
//! guarantees they are all joined before `run` returns.

use crossbeam::channel;

use crate::backend::{Backend, check_thread_limit, panic_message, worker_error};
use crate::error::{Error, WorkerFailure};
use crate::report::{WorkerReport, run_worker_caught};
use crate::workload::Workload;

/// One crossbeam scoped thread per worker, reports sent over a channel.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelsBackend;

const NAME: &str = "channels";

impl Backend for ChannelsBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "one crossbeam scoped thread per worker, sending its report over a channel"
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_thread_limit(NAME, workload)
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let workers = workload.workers();
        // Bounded to the worker count: no send ever blocks.
        let (sender, receiver) = channel::bounded(workers);
        let scoped = crossbeam::scope(|scope| {
            let mut first_error = None;
            let mut handles = Vec::with_capacity(workers);
            for worker in 0..workers {
                let sender = sender.clone();
                let spawned = scope
                    .builder()
                    .name(format!("gilfree-channel-{worker}"))
                    .spawn(move |_| {
                        let report = run_worker_caught(NAME, workload, worker);
                        // The receiver outlives the scope, so this cannot fail.
                        let _ = sender.send((worker, report));
                    });
                match spawned {
                    Ok(handle) => handles.push((worker, handle)),
                    Err(err) => {
                        first_error = Some(worker_error(NAME, worker, WorkerFailure::spawn(err)));
                        break;
                    }
                }
            }
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
            first_error
        });
        drop(sender);
        match scoped {
            Ok(Some(err)) => return Err(err),
            Ok(None) => {}
            // Every handle was joined above, so the scope has no panic left to report.
            Err(payload) => {
                return Err(Error::BadReports {
                    backend: NAME,
                    problem: format!("a scoped thread panicked: {}", panic_message(&*payload)),
                });
            }
        }
        receiver
            .try_iter()
            .map(|(worker, report)| report.map_err(|failure| worker_error(NAME, worker, failure)))
            .collect()
    }
}
