//! What every backend that starts one thread per worker shares: the check of
//! the system's thread limits, and starting the threads and joining them
//! with the first failure recorded.

use std::io;

use crate::backend::worker_error;
use crate::error::{Error, WorkerFailure};
use crate::kernel::Workload;
use crate::os::limits;
use crate::worker::{WorkerReport, panic_message};

/// Memory maps one live thread can take: its stack and guard page, its
/// signal stack and guard page, and a share of malloc's per-thread arenas.
/// A thread that cannot map its signal stack aborts the whole process, so
/// the thread backends stay well inside `vm.max_map_count`.
const MAPS_PER_THREAD: u64 = 8;

/// [`Backend::check`](crate::Backend::check) for backends that start one
/// thread per worker.
pub(crate) fn check_thread_limit(backend: &'static str, workload: &Workload) -> Result<(), Error> {
    let workers = workload.workers() as u64;
    let mut found: Vec<(u64, String)> = Vec::new();
    if let Some(maps) = limits::max_map_count() {
        found.push((
            maps / MAPS_PER_THREAD,
            format!(
                "a process may hold {maps} memory maps (vm.max_map_count), enough for about {} threads",
                maps / MAPS_PER_THREAD
            ),
        ));
    }
    if let (Some(max), Some(tasks)) = (limits::threads_max(), limits::system_tasks()) {
        let free = max.saturating_sub(tasks);
        found.push((
            free,
            format!("the system allows {max} threads (kernel.threads-max) and {tasks} exist"),
        ));
    }
    match found.into_iter().min_by_key(|(n, _)| *n) {
        Some((limit, why)) if workers > limit => Err(Error::WorkerLimit {
            backend,
            workers: workload.workers(),
            need: format!("{workers} threads at once"),
            limit: why,
            advice: "use fewer --workers, or the rayon backend, which runs any number of workers on a fixed pool",
        }),
        _ => Ok(()),
    }
}

/// A thread that can be joined: std's handles, scoped or not.
pub(crate) trait Join {
    /// What the thread returns.
    type Output;
    /// Waits for the thread; `Err` holds its panic payload.
    fn join(self) -> std::thread::Result<Self::Output>;
}

impl<T> Join for std::thread::JoinHandle<T> {
    type Output = T;
    fn join(self) -> std::thread::Result<T> {
        std::thread::JoinHandle::join(self)
    }
}

impl<T> Join for std::thread::ScopedJoinHandle<'_, T> {
    type Output = T;
    fn join(self) -> std::thread::Result<T> {
        std::thread::ScopedJoinHandle::join(self)
    }
}

/// Starts one thread per worker with `spawn(worker)`, stopping at the first
/// that cannot start, then joins every thread that did start — also after a
/// failure, so that none is left running. Returns each worker's output, in
/// worker order, or the first failure: a thread that could not start, or
/// one that panicked.
///
/// # Errors
/// [`Error::Worker`] naming the worker, with [`WorkerFailure::Spawn`] or
/// [`WorkerFailure::Panicked`].
pub(crate) fn spawn_and_join<H: Join>(
    backend: &'static str,
    workers: usize,
    mut spawn: impl FnMut(usize) -> io::Result<H>,
) -> Result<Vec<H::Output>, Error> {
    let mut handles = Vec::with_capacity(workers);
    let mut first_error = None;
    for worker in 0..workers {
        match spawn(worker) {
            Ok(handle) => handles.push((worker, handle)),
            Err(err) => {
                first_error = Some(worker_error(backend, worker, WorkerFailure::spawn(err)));
                break;
            }
        }
    }
    let mut outputs = Vec::with_capacity(handles.len());
    for (worker, handle) in handles {
        match handle.join() {
            Ok(output) => outputs.push(output),
            Err(payload) => {
                let failure = WorkerFailure::Panicked(panic_message(&*payload));
                first_error.get_or_insert_with(|| worker_error(backend, worker, failure));
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(outputs),
    }
}

/// The reports of workers that each returned a report or a failure, or the
/// first failure (in worker order) as an error naming its worker.
///
/// # Errors
/// [`Error::Worker`].
pub(crate) fn reports_or_first_failure(
    backend: &'static str,
    outcomes: impl IntoIterator<Item = (usize, Result<WorkerReport, WorkerFailure>)>,
) -> Result<Vec<WorkerReport>, Error> {
    let mut outcomes: Vec<_> = outcomes.into_iter().collect();
    outcomes.sort_by_key(|(worker, _)| *worker);
    outcomes
        .into_iter()
        .map(|(worker, report)| report.map_err(|failure| worker_error(backend, worker, failure)))
        .collect()
}
