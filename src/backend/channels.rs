//! Share by communicating: scoped threads send their reports over a
//! crossbeam channel instead of pushing them into a shared vector.
//!
//! Scoped threads (`std::thread::scope`) borrow the workload instead of
//! cloning it, and the scope guarantees they are all joined before `run`
//! returns.

use crossbeam::channel;

use crate::backend::returned::{self, Returned};
use crate::backend::spawn::{check_thread_limit, reports_or_first_failure, spawn_and_join};
use crate::backend::{Backend, BackendKind, Profile, Schedule, WorkerKind};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::{WorkerReport, run_worker_caught};

/// One scoped thread per worker, reports sent over a crossbeam channel.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelsBackend;

const NAME: &str = "channels";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one scoped thread per worker, sending its report over a crossbeam channel",
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

    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        returned::prepare_for(NAME, workload)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        // Bounded to the worker count: no send ever blocks.
        let (sender, receiver) = channel::bounded(workload.workers());
        let mut numbers = Returned::for_workload(NAME, workload)?;
        let mut slots = returned::slots(numbers.as_mut(), workload.workers()).into_iter();
        std::thread::scope(|scope| {
            spawn_and_join(NAME, workload.workers(), |worker| {
                let sender = sender.clone();
                let out = slots.next().flatten();
                std::thread::Builder::new()
                    .name(format!("gilfree-channel-{worker}"))
                    .spawn_scoped(scope, move || {
                        let report = run_worker_caught(NAME, workload, worker, out);
                        // The receiver outlives the scope, so this cannot fail.
                        let _ = sender.send((worker, report));
                    })
            })
        })?;
        drop(sender);
        let reports = reports_or_first_failure(NAME, receiver.try_iter())?;
        Ok(returned::finish(numbers.as_ref(), workload, reports))
    }
}
