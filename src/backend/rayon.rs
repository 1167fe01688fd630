//! A rayon thread pool mapping over the workers.
//!
//! The pool is built once per backend and reused across runs, as a program
//! would; the warm-up run wakes its threads. With fewer pool threads than
//! workers, rayon's work stealing spreads the workers over the threads.

use rayon::prelude::*;

use crate::backend::returned::{self, Returned};
use crate::backend::{Backend, BackendKind, Profile, Schedule, WorkerKind, worker_error};
use crate::error::Error;
use crate::kernel::Workload;
use crate::worker::{WorkerReport, run_worker_caught};

/// Workers as tasks of a dedicated rayon `ThreadPool`.
#[derive(Debug)]
pub struct RayonBackend {
    pool: rayon::ThreadPool,
    threads: usize,
}

const NAME: &str = "rayon";

/// The largest rayon pool: more threads than any machine gilfree runs on has
/// cores, and few enough to start in a moment.
pub(crate) const MAX_THREADS: usize = 1024;
const PROFILE: Profile = Profile::rust(
    NAME,
    "a rayon ThreadPool of --threads threads, par_iter over the workers",
    WorkerKind::Thread,
    Schedule::AtOnce,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |options| {
    Ok(Box::new(RayonBackend::new(options.rayon_threads)?))
});

impl RayonBackend {
    /// A backend with a pool of `threads` threads.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when `threads` is 0, [`Error::Setup`] when the
    /// pool's threads cannot be created.
    pub fn new(threads: usize) -> Result<RayonBackend, Error> {
        if threads == 0 {
            return Err(Error::InvalidOption {
                option: "threads",
                value: threads.to_string(),
                reason: "the rayon pool needs at least one thread",
            });
        }
        if threads > MAX_THREADS {
            return Err(Error::InvalidOption {
                option: "threads",
                value: threads.to_string(),
                reason: "a rayon pool of at most 1024 threads is supported",
            });
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("gilfree-rayon-{i}"))
            .build()
            .map_err(|err| Error::Setup {
                backend: NAME,
                what: "could not build the thread pool",
                // The pool's error already says its cause; keep it one line.
                source: std::io::Error::other(err.to_string()),
            })?;
        Ok(RayonBackend { pool, threads })
    }

    /// The pool's thread count.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl Backend for RayonBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn parallelism(&self, workload: &Workload) -> usize {
        workload.workers().min(self.threads)
    }

    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        returned::prepare_for(NAME, workload)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let mut numbers = Returned::for_workload(NAME, workload)?;
        let slots = returned::slots(numbers.as_mut(), workload.workers());
        let reports = self.pool.install(|| {
            slots
                .into_par_iter()
                .enumerate()
                .map(|(worker, out)| {
                    // A panic is caught inside, so that it names its worker
                    // instead of resurfacing anonymously from `install`.
                    run_worker_caught(NAME, workload, worker, out)
                        .map_err(|failure| worker_error(NAME, worker, failure))
                })
                .collect::<Result<Vec<_>, Error>>()
        })?;
        Ok(returned::finish(numbers.as_ref(), workload, reports))
    }
}
