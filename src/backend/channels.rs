//! Share by communicating: crossbeam scoped threads send their reports over a
//! crossbeam channel instead of pushing them into a shared vector.
//!
//! Scoped threads borrow the workload instead of cloning it, and the scope
//! guarantees they are all joined before `run` returns.

use crossbeam::channel;

use crate::backend::spawn::{check_thread_limit, reports_or_first_failure, spawn_and_join};
use crate::backend::{Backend, BackendKind, Profile, Schedule, WorkerKind};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::{WorkerReport, panic_message, run_worker_caught};

/// One crossbeam scoped thread per worker, reports sent over a channel.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelsBackend;

const NAME: &str = "channels";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one crossbeam scoped thread per worker, sending its report over a channel",
    WorkerKind::Thread,
    Schedule::AtOnce,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |_| Ok(Box::new(ChannelsBackend)));

impl Backend for ChannelsBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_thread_limit(NAME, workload)
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        // Bounded to the worker count: no send ever blocks.
        let (sender, receiver) = channel::bounded(workload.workers());
        let scoped = crossbeam::scope(|scope| {
            spawn_and_join(NAME, workload.workers(), |worker| {
                let sender = sender.clone();
                scope
                    .builder()
                    .name(format!("gilfree-channel-{worker}"))
                    .spawn(move |_| {
                        let report = run_worker_caught(NAME, workload, worker);
                        // The receiver outlives the scope, so this cannot fail.
                        let _ = sender.send((worker, report));
                    })
            })
        });
        drop(sender);
        match scoped {
            Ok(joined) => joined?,
            // Every handle was joined, so the scope has no panic left to report.
            Err(payload) => {
                return Err(Error::BadReports {
                    backend: NAME,
                    problem: format!("a scoped thread panicked: {}", panic_message(&*payload)),
                });
            }
        };
        reports_or_first_failure(NAME, receiver.try_iter())
    }
}
