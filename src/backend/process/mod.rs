//! The book's listing 11-2 without Python: one forked child process per
//! worker, each sending its result back over its own pipe.
//!
//! # Design
//!
//! For each worker the parent makes a pipe, forks, and closes its copy of the
//! write end at once, so that the child holds the only write end and the
//! parent sees end-of-file when the child exits (os_pipe's "common deadlocks":
//! a write end left open in the parent would make the read wait forever).
//! The child computes its sum, `write(2)`s one fixed-size binary record of
//! 80 bytes and calls `_exit`. The parent `poll`s the pipes and
//! reads each as its child writes, in whatever order the children finish;
//! at a pipe's end-of-file it reaps that child with `wait4` (which also
//! reports the child's own peak memory) and decodes its record.
//!
//! A record is far below `PIPE_BUF` and the pipe's capacity, so a child's
//! write never blocks and arrives whole. Because the parent deals with each
//! child as it ends, a child that fails is noticed at once, and the run
//! returns without waiting for the slowest worker.
//!
//! The files: this one is the parent side; [`child`] is all a child does
//! (and may do: see its docs); [`record`] is the record's encoding.
//!
//! # Failures
//!
//! A signal, a non-zero status, a short or garbled record, a failed `pipe`,
//! `fork`, read or wait become an [`Error::Worker`] naming the worker. Before
//! `run` returns — on success or failure — every child has been reaped (the
//! unreaped ones are killed first) and every pipe closed. `poll`, `waitid`
//! and `wait4` are retried when a signal interrupts them (`EINTR`).
//!
//! Every child is registered in [`crate::os::children`] from the moment it
//! is forked until it is reaped, so that
//! [`interrupt`](crate::os::children::interrupt) can stop the runs in
//! progress from another thread, for a program that received SIGINT or
//! SIGTERM.
//!
//! Runs are serialized by a process-wide lock, so that no child of one run
//! inherits the open write end of another run's pipe.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::{Mutex, PoisonError};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::backend::{Backend, BackendKind, Deadline, Profile, Schedule, WorkerKind, worker_error};
use crate::error::{Error, WorkerFailure};
use crate::fault::Fault;
use crate::kernel::Workload;
use crate::os::children::{self, Reaped};
use crate::os::limits::{self, Resource};
use crate::worker::WorkerReport;

mod child;
mod record;

/// One forked child process per worker, results over one pipe per child.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessBackend;

const NAME: &str = "process";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one fork()ed child process per worker, result over a pipe (the book's listing 11-2)",
    WorkerKind::Process,
    Schedule::AtOnce,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |_| Ok(Box::new(ProcessBackend)));

/// Held by every run, so that runs in different threads cannot leak pipe
/// write ends into each other's children.
static FORK_LOCK: Mutex<()> = Mutex::new(());

impl Backend for ProcessBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    /// Every worker is a process, and holds a pipe open in the parent until
    /// it is collected: the workers must fit the limits on open files (the
    /// soft limit is raised to the hard one if needed) and on processes.
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        let workers = workload.workers() as u64;
        // What is open now, one read end per worker, and the write end of
        // the pipe being made (closed once its child is forked).
        let open = limits::open_fds().unwrap_or(3) as u64;
        let fds_needed = open + workers + 1;
        let fds_limit = match limits::soft_limit(Resource::RLIMIT_NOFILE) {
            Some(soft) if soft < fds_needed => limits::raise_open_file_limit(),
            other => other,
        };
        if let Some(limit) = fds_limit.filter(|&limit| limit < fds_needed) {
            return Err(Error::WorkerLimit {
                backend: NAME,
                workers: workload.workers(),
                need: format!(
                    "{workers} {} open at once",
                    if workers == 1 { "pipe" } else { "pipes" }
                ),
                limit: format!(
                    "the limit of open files per process is {limit} (ulimit -n) and {open} are open"
                ),
                advice: "use fewer --workers, or a thread backend",
            });
        }
        check_process_limit(NAME, workload, workers)
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        self.run_until(workload, None)
    }

    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        let _serialized = FORK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let reports = run_children(workload, deadline);
        match children::interrupted() {
            // The children were killed on purpose: that, not their deaths, is
            // what happened to the run.
            Some(signal) => Err(Error::Interrupted {
                backend: NAME,
                signal,
                name: children::signal_name(signal),
            }),
            None => reports,
        }
    }
}

/// Checks that `processes` more processes can run at once here, for
/// `backend`'s workers: the room left under `kernel.pid_max` and, for a
/// user other than root, `ulimit -u`.
///
/// # Errors
/// [`Error::WorkerLimit`] naming the limit.
pub(crate) fn check_process_limit(
    backend: &'static str,
    workload: &Workload,
    processes: u64,
) -> Result<(), Error> {
    let limit_error = |limit: String| Error::WorkerLimit {
        backend,
        workers: workload.workers(),
        need: format!(
            "{processes} {} at once",
            if processes == 1 {
                "process"
            } else {
                "processes"
            }
        ),
        limit,
        advice: "use fewer --workers, or a thread backend",
    };
    if let (Some(max), Some(tasks)) = (limits::pid_max(), limits::system_tasks()) {
        let free = max.saturating_sub(tasks);
        if processes > free {
            return Err(limit_error(format!(
                "the system has room for {free} more (kernel.pid_max {max}, {tasks} in use)"
            )));
        }
    }
    if !limits::is_root()
        && let Some(nproc) = limits::soft_limit(Resource::RLIMIT_NPROC)
        // The user's processes that exist already count too; this one at least.
        && processes >= nproc
    {
        return Err(limit_error(format!(
            "this user may run {nproc} processes (ulimit -u)"
        )));
    }
    Ok(())
}

/// Forks, collects and reaps one child per worker.
fn run_children(
    workload: &Workload,
    deadline: Option<Deadline>,
) -> Result<Vec<WorkerReport>, Error> {
    if children::interrupted().is_some() {
        return Ok(Vec::new()); // reported as interrupted by the caller
    }
    let mut children = Children(Vec::with_capacity(workload.workers()));
    for worker in 0..workload.workers() {
        let fault = workload.fault_for(worker, Some(NAME));
        let fail = |err| worker_error(NAME, worker, err);
        let (read_end, write_end) = match fault {
            Some(Fault::PipeFails) => Err(io::Error::from_raw_os_error(libc::EMFILE)),
            // Close-on-exec: a program that a concurrent run launches must
            // not inherit a write end.
            _ => nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(io::Error::from),
        }
        .map_err(|err| fail(limits::pipe_failure(err)))?;
        if fault == Some(Fault::ForkFails) {
            let err = io::Error::from_raw_os_error(libc::EAGAIN);
            return Err(fail(limits::fork_failure(err)));
        }
        let parent = std::process::id() as libc::pid_t;
        // Registered under the registry's lock, so that `interrupt` cannot
        // miss a child that exists.
        let started = children::start_registered(
            false,
            || {
                // SAFETY: the child runs only `child_main`, which calls
                // nothing but async-signal-safe or allocation-free code (see
                // `child`'s docs) and leaves through `_exit`: it never
                // returns here, so no lock, allocator state or destructor
                // of the parent's other threads is touched in the child.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    child::child_main(workload, worker, write_end.as_raw_fd(), parent, fault);
                }
                pid
            },
            |&pid| Some(pid),
        );
        // Interrupted: the caller reports it; `children` kills the others.
        let Some(pid) = started else {
            return Ok(Vec::new());
        };
        if pid < 0 {
            return Err(fail(limits::fork_failure(io::Error::last_os_error())));
        }
        // The child holds the only write end now: its exit is our end-of-file.
        drop(write_end);
        children.0.push(Child {
            worker,
            pid,
            read_end: Some(File::from(read_end)),
            record: Vec::with_capacity(record::RECORD_LEN),
            reaped: None,
        });
    }
    collect(&mut children, deadline)
}

/// Reads the pipes as the children write, in whatever order they finish, and
/// reaps each child once its pipe reaches end-of-file. The first failure is
/// returned at once: dropping `children` then kills and reaps the others, so
/// a worker that dies early does not wait for the slowest to finish.
fn collect(
    children: &mut Children,
    deadline: Option<Deadline>,
) -> Result<Vec<WorkerReport>, Error> {
    let mut reports = Vec::with_capacity(children.0.len());
    let mut open: Vec<usize> = (0..children.0.len()).collect();
    let mut buffer = [0u8; record::RECORD_LEN + 1];
    while !open.is_empty() {
        let ready = poll_ready(children, &open, deadline).map_err(|err| {
            worker_error(
                NAME,
                children.0[open[0]].worker,
                WorkerFailure::Collect(err),
            )
        })?;
        let Some(ready) = ready else {
            // Past the deadline: dropping `children` kills and reaps the rest.
            let deadline = deadline.expect("only a deadline times out");
            let unfinished: Vec<usize> = open.iter().map(|&i| children.0[i].worker).collect();
            return Err(deadline.missed(NAME, crate::text::workers(&unfinished)));
        };
        let mut still_open = Vec::with_capacity(open.len());
        for (is_ready, &i) in ready.into_iter().zip(&open) {
            let child = &mut children.0[i];
            if !is_ready {
                still_open.push(i);
                continue;
            }
            let fail = |failure| worker_error(NAME, child.worker, failure);
            let file = child.read_end.as_ref().expect("only open pipes are polled");
            // One read per readiness, so it cannot block.
            match (&*file).read(&mut buffer) {
                Ok(0) => {
                    child.read_end = None; // close it
                    // A child that closed its pipe may still not end: the
                    // deadline binds this wait too.
                    let reaped = match deadline {
                        None => children::reap(child.pid).map(Some),
                        Some(deadline) => children::reap_by(child.pid, deadline.at),
                    }
                    .map_err(|err| fail(WorkerFailure::Collect(err)))?;
                    let Some(reaped) = reaped else {
                        let deadline = deadline.expect("only a deadline times out");
                        let worker = child.worker;
                        let mut unfinished: Vec<usize> = still_open_workers(children, &open, i);
                        unfinished.push(worker);
                        unfinished.sort_unstable();
                        return Err(deadline.missed(NAME, crate::text::workers(&unfinished)));
                    };
                    child.reaped = Some(reaped);
                    let report = children::check_status(reaped.status, child::exit_meaning)
                        .and_then(|()| record::decode(&child.record, child.worker))
                        .map_err(fail)?;
                    reports.push(WorkerReport {
                        peak_rss_bytes: Some(reaped.peak_rss_bytes),
                        ..report
                    });
                }
                Ok(n) => {
                    // Anything past one record is already wrong; keep no more.
                    let room = (record::RECORD_LEN + 1).saturating_sub(child.record.len());
                    child.record.extend_from_slice(&buffer[..n.min(room)]);
                    still_open.push(i);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => still_open.push(i),
                Err(err) => return Err(fail(WorkerFailure::Collect(err))),
            }
        }
        open = still_open;
    }
    Ok(reports)
}

/// Waits, retrying on `EINTR`, until at least one of the `open` children's
/// pipes can be read (or has reached end-of-file), and returns which, in the
/// order of `open`; `None` once `deadline` has passed first.
fn poll_ready(
    children: &Children,
    open: &[usize],
    deadline: Option<Deadline>,
) -> io::Result<Option<Vec<bool>>> {
    // One entry per open child, in order: every open child has its read end.
    let mut fds: Vec<PollFd<'_>> = open
        .iter()
        .map(|&i| {
            let file = children.0[i].read_end.as_ref();
            PollFd::new(
                file.expect("open children have a pipe").as_fd(),
                PollFlags::POLLIN,
            )
        })
        .collect();
    loop {
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(deadline) => {
                let left = deadline.remaining();
                if left.is_zero() {
                    return Ok(None);
                }
                // Whole milliseconds, rounded up, at most poll's maximum.
                let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
        };
        match poll(&mut fds, timeout) {
            Ok(0) => continue, // timed out: the deadline is checked above
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(Some(
        fds.iter()
            .map(|fd| fd.revents().is_some_and(|events| !events.is_empty()))
            .collect(),
    ))
}

/// The workers of the `open` children, other than the one at `except`,
/// whose processes are still running.
fn still_open_workers(children: &Children, open: &[usize], except: usize) -> Vec<usize> {
    open.iter()
        .filter(|&&i| i != except && !children::has_ended(children.0[i].pid))
        .map(|&i| children.0[i].worker)
        .collect()
}

/// A forked child, as the parent tracks it.
struct Child {
    worker: usize,
    pid: libc::pid_t,
    /// The pipe's read end, until end-of-file.
    read_end: Option<File>,
    record: Vec<u8>,
    /// Set once the child has been waited for.
    reaped: Option<Reaped>,
}

/// The children of one run. Dropping it kills and reaps every child not yet
/// reaped, so an early return leaves no process behind.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in self.0.iter_mut().filter(|c| c.reaped.is_none()) {
            children::kill_registered(child.pid);
            child.reaped = children::reap(child.pid).ok();
        }
    }
}
