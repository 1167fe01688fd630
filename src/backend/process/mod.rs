//! The book's listing 11-2 without Python: one forked child process per
//! worker, each sending its result back over its own pipe (`process`) or
//! writing it into memory it shares with the parent (`process-shared`).
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
//! # Handing the numbers back
//!
//! With `--return numbers` the two rows move the numbers as the two ways
//! Python's chapter 10 sets side by side. `process` copies: each child
//! draws its numbers into a mapping of its own and writes them into its
//! pipe, the parent reads them into its own buffer, one slice per worker —
//! a copy into the kernel and one out of it, each timed in CPU — and the
//! record follows the numbers. `process-shared` shares: before forking, the
//! parent maps one `MAP_SHARED` anonymous region (a record slot per worker,
//! then a slice of numbers per worker); each child draws its numbers
//! straight into its slice and writes its record into its slot, and the
//! parent reads both in place once the child has ended — zero copies, the
//! `memoryview` idea. The mapping has no name and no file: the kernel frees
//! it when the parent unmaps it and the children have ended, whatever ends
//! them. Either way a child's numbers count only with its record after
//! them and a clean exit: a child that dies half-way is an error naming it,
//! never a short result. The parent sums every worker's numbers.
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

use crate::backend::returned;
use crate::backend::{
    Backend, BackendKind, Deadline, Profile, ReturnPath, Schedule, WorkerKind, worker_error,
};
use crate::error::{Error, WorkerFailure};
use crate::fault::Fault;
use crate::kernel::{Return, Workload};
use crate::os::children::{self, Reaped};
use crate::os::limits::{self, Resource};
use crate::os::signal_safe as sys;
use crate::worker::{self, WorkerReport, WorkerTransfer};

mod child;
mod record;

use self::child::Sink;

/// One forked child process per worker, results over one pipe per child.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessBackend;

/// One forked child process per worker, results written into a
/// `MAP_SHARED` mapping the parent made before forking (zero-copy).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessSharedBackend;

const NAME: &str = "process";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one fork()ed child process per worker, result over a pipe (the book's listing 11-2)",
    WorkerKind::Process,
    Schedule::AtOnce,
);

const SHARED_NAME: &str = "process-shared";
const SHARED_PROFILE: Profile = Profile::rust(
    SHARED_NAME,
    "one fork()ed child process per worker, result written into a MAP_SHARED mapping made \
     before the fork (zero-copy)",
    WorkerKind::Process,
    Schedule::AtOnce,
)
.returning(ReturnPath::Shared);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |_| Ok(Box::new(ProcessBackend)));

/// The registry's row of the shared variant.
pub(crate) const SHARED_KIND: BackendKind =
    BackendKind::new(SHARED_PROFILE, |_| Ok(Box::new(ProcessSharedBackend)));

/// Held by every run, so that runs in different threads cannot leak pipe
/// write ends into each other's children.
static FORK_LOCK: Mutex<()> = Mutex::new(());

/// How a child's result reaches the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// Through its pipe.
    Pipe,
    /// Through the shared mapping; the pipe only marks its end.
    Shared,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Pipe => NAME,
            Transport::Shared => SHARED_NAME,
        }
    }
}

impl Backend for ProcessBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_children(NAME, workload)
    }

    /// The parent's buffer and, while they write, each child's own copy of
    /// its numbers: twice the numbers.
    fn returned_memory(&self, workload: &Workload) -> u64 {
        workload.returned_bytes().saturating_mul(2)
    }

    /// The parent's buffer of the numbers; each child maps its own.
    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        let (len, shared) = Landing::memory_of(Transport::Pipe, workload);
        returned::prepare(NAME, len, shared)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        self.run_until(workload, None)
    }

    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        run(Transport::Pipe, workload, deadline)
    }
}

impl Backend for ProcessSharedBackend {
    fn profile(&self) -> Profile {
        SHARED_PROFILE
    }

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_children(SHARED_NAME, workload)
    }

    /// The mapping the children will share, pages in place.
    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        let (len, shared) = Landing::memory_of(Transport::Shared, workload);
        returned::prepare(SHARED_NAME, len, shared)
    }

    fn release(&self) {
        returned::release(SHARED_NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        self.run_until(workload, None)
    }

    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        run(Transport::Shared, workload, deadline)
    }
}

/// A run of either row: serialized, and reported as interrupted when a
/// signal stopped it.
fn run(
    transport: Transport,
    workload: &Workload,
    deadline: Option<Deadline>,
) -> Result<Vec<WorkerReport>, Error> {
    let _serialized = FORK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let reports = run_children(transport, workload, deadline);
    match children::interrupted() {
        // The children were killed on purpose: that, not their deaths, is
        // what happened to the run.
        Some(signal) => Err(Error::Interrupted {
            backend: transport.name(),
            signal,
            name: children::signal_name(signal),
        }),
        None => reports,
    }
}

/// [`Backend::check`] for either row: every worker is a process, and holds a
/// pipe open in the parent until it is collected: the workers must fit the
/// limits on open files (the soft limit is raised to the hard one if
/// needed) and on processes.
fn check_children(backend: &'static str, workload: &Workload) -> Result<(), Error> {
    let workers = workload.workers() as u64;
    // What is open now, one read end per worker, and the write end of the
    // pipe being made (closed once its child is forked).
    let open = limits::open_fds().unwrap_or(3) as u64;
    let fds_needed = open + workers + 1;
    let fds_limit = match limits::soft_limit(Resource::RLIMIT_NOFILE) {
        Some(soft) if soft < fds_needed => limits::raise_open_file_limit(),
        other => other,
    };
    if let Some(limit) = fds_limit.filter(|&limit| limit < fds_needed) {
        return Err(Error::WorkerLimit {
            backend,
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
    check_process_limit(backend, workload, workers)
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

/// Where the children's results land in the parent: the numbers' buffer
/// (through pipes) or the shared mapping (records, then numbers).
struct Landing {
    transport: Transport,
    /// `process`: the parent's buffer of every worker's numbers (empty with
    /// sums). `process-shared`: the shared mapping, every worker's record
    /// slot and then every worker's numbers.
    memory: returned::Lease,
    /// Bytes of one worker's numbers (0 with sums).
    per_worker: usize,
    workers: usize,
    /// Whether the workers hand their numbers back.
    numbers: bool,
}

impl Landing {
    /// The memory a run's results land in: its length, and whether it is
    /// shared with the children.
    fn memory_of(transport: Transport, workload: &Workload) -> (usize, bool) {
        let numbers = match workload.returns() {
            Return::Sums => 0,
            // Workload::new checked that every worker's fit the address space.
            Return::Numbers => workload.returned_bytes() as usize,
        };
        match transport {
            Transport::Pipe => (numbers, false),
            Transport::Shared => (record::RECORD_LEN * workload.workers() + numbers, true),
        }
    }

    /// The memory the children's results land in, before any fork: the one
    /// prepared for the run, or mapped now.
    fn new(transport: Transport, workload: &Workload) -> Result<Landing, Error> {
        let workers = workload.workers();
        let per_worker = match workload.returns() {
            Return::Sums => 0,
            Return::Numbers => workload.numbers_bytes_per_worker() as usize,
        };
        let (len, shared) = Landing::memory_of(transport, workload);
        let mut memory = returned::map(transport.name(), len, shared)?;
        if shared {
            // A prepared mapping may hold an earlier run's records: a child
            // that writes none must not be read as having written one.
            memory.as_mut_slice()[..record::RECORD_LEN * workers].fill(0);
        }
        Ok(Landing {
            transport,
            memory,
            per_worker,
            workers,
            numbers: workload.returns() == Return::Numbers,
        })
    }

    /// Where worker `worker`'s numbers start in `memory`.
    fn numbers_at(&self, worker: usize) -> usize {
        match self.transport {
            Transport::Pipe => worker * self.per_worker,
            Transport::Shared => record::RECORD_LEN * self.workers + worker * self.per_worker,
        }
    }

    /// Worker `worker`'s numbers.
    fn numbers(&self, worker: usize) -> &[u8] {
        let at = self.numbers_at(worker);
        &self.memory.as_slice()[at..at + self.per_worker]
    }

    /// Worker `worker`'s record slot (the shared mapping's).
    fn record(&self, worker: usize) -> &[u8] {
        let at = worker * record::RECORD_LEN;
        &self.memory.as_slice()[at..at + record::RECORD_LEN]
    }

    /// What the child of `worker` hands its result to.
    fn sink(&self, worker: usize) -> Sink<'_> {
        match self.transport {
            Transport::Pipe => Sink::Pipe,
            Transport::Shared => Sink::Shared {
                mapping: &self.memory,
                record_at: worker * record::RECORD_LEN,
                numbers_at: self.numbers_at(worker),
            },
        }
    }

    /// How many bytes come through worker `worker`'s pipe before its
    /// record: its numbers through a pipe, nothing when shared.
    fn piped(&self) -> usize {
        match self.transport {
            Transport::Pipe => self.per_worker,
            Transport::Shared => 0,
        }
    }
}

/// Forks, collects and reaps one child per worker, then sums the numbers
/// they handed back.
fn run_children(
    transport: Transport,
    workload: &Workload,
    deadline: Option<Deadline>,
) -> Result<Vec<WorkerReport>, Error> {
    let name = transport.name();
    if children::interrupted().is_some() {
        return Ok(Vec::new()); // reported as interrupted by the caller
    }
    // Made before the children, so that it is unmapped after they are
    // killed and reaped, whatever the way out.
    let mut landing = Landing::new(transport, workload)?;
    let mut children = Children(Vec::with_capacity(workload.workers()));
    for worker in 0..workload.workers() {
        let fault = workload.fault_for(worker, Some(name));
        let fail = |err| worker_error(name, worker, err);
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
        let sink = landing.sink(worker);
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
                    child::child_main(workload, worker, write_end.as_raw_fd(), sink, parent, fault);
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
            received: 0,
            read_cpu_ns: 0,
            delivered_ns: None,
            record: Vec::with_capacity(record::RECORD_LEN),
            reaped: None,
        });
    }
    let mut reports = collect(name, &mut children, &mut landing, deadline)?;
    if workload.returns() == Return::Numbers {
        for report in &mut reports {
            worker::sum_delivered(workload, report, landing.numbers(report.worker));
        }
    }
    Ok(reports)
}

/// Reads the pipes as the children write, in whatever order they finish, and
/// reaps each child once its pipe reaches end-of-file. The first failure is
/// returned at once: dropping `children` then kills and reaps the others, so
/// a worker that dies early does not wait for the slowest to finish.
fn collect(
    name: &'static str,
    children: &mut Children,
    landing: &mut Landing,
    deadline: Option<Deadline>,
) -> Result<Vec<WorkerReport>, Error> {
    let mut reports = Vec::with_capacity(children.0.len());
    let mut open: Vec<usize> = (0..children.0.len()).collect();
    let mut buffer = [0u8; record::RECORD_LEN + 1];
    let piped = landing.piped();
    while !open.is_empty() {
        let ready = poll_ready(children, &open, deadline).map_err(|err| {
            worker_error(
                name,
                children.0[open[0]].worker,
                WorkerFailure::Collect(err),
            )
        })?;
        let Some(ready) = ready else {
            // Past the deadline: dropping `children` kills and reaps the rest.
            let deadline = deadline.expect("only a deadline times out");
            let unfinished: Vec<usize> = open.iter().map(|&i| children.0[i].worker).collect();
            return Err(deadline.missed(name, crate::text::workers(&unfinished)));
        };
        let mut still_open = Vec::with_capacity(open.len());
        for (is_ready, &i) in ready.into_iter().zip(&open) {
            let child = &mut children.0[i];
            if !is_ready {
                still_open.push(i);
                continue;
            }
            let fail = |failure| worker_error(name, child.worker, failure);
            let file = child.read_end.as_ref().expect("only open pipes are polled");
            // One read per readiness, so it cannot block: the numbers
            // straight into the worker's slice of the parent's buffer, then
            // the record.
            let read = if child.received < piped {
                let at = landing.numbers_at(child.worker) + child.received;
                let end = landing.numbers_at(child.worker) + piped;
                let into = &mut landing.memory.as_mut_slice()[at..end];
                let cpu = sys::thread_cpu_ns();
                let read = (&*file).read(into);
                child.read_cpu_ns += sys::thread_cpu_ns().saturating_sub(cpu);
                if let Ok(n) = read {
                    child.received += n;
                    if n > 0 && child.received == piped {
                        child.delivered_ns = Some(sys::monotonic_ns());
                    }
                }
                read
            } else {
                let read = (&*file).read(&mut buffer);
                if let Ok(n) = read {
                    // Anything past one record is already wrong; keep no more.
                    let room = (record::RECORD_LEN + 1).saturating_sub(child.record.len());
                    child.record.extend_from_slice(&buffer[..n.min(room)]);
                }
                read
            };
            match read {
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
                        return Err(deadline.missed(name, crate::text::workers(&unfinished)));
                    };
                    child.reaped = Some(reaped);
                    let report = children::check_status(reaped.status, child::exit_meaning)
                        .and_then(|()| finished(child, landing))
                        .map_err(fail)?;
                    reports.push(WorkerReport {
                        peak_rss_bytes: Some(reaped.peak_rss_bytes),
                        ..report
                    });
                }
                Ok(_) => still_open.push(i),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => still_open.push(i),
                Err(err) => return Err(fail(WorkerFailure::Collect(err))),
            }
        }
        open = still_open;
    }
    Ok(reports)
}

/// The report of a child that ended cleanly: its numbers all there (a child
/// that stopped short is a failure, never a short result) and its record
/// after them, from its pipe or its slot of the shared mapping.
fn finished(child: &Child, landing: &Landing) -> Result<WorkerReport, WorkerFailure> {
    let piped = landing.piped();
    if child.received < piped {
        return Err(WorkerFailure::ShortNumbers {
            got: child.received as u64,
            expected: piped as u64,
        });
    }
    let (report, write_cpu_ns) = match landing.transport {
        Transport::Pipe => record::decode(&child.record, child.worker)?,
        Transport::Shared => {
            if !child.record.is_empty() {
                return Err(WorkerFailure::BadRecord(
                    "it wrote into its pipe instead of the shared memory",
                ));
            }
            let slot = landing.record(child.worker);
            if slot.iter().all(|&b| b == 0) {
                // Nothing written: as a pipe that stayed empty.
                return Err(WorkerFailure::ShortRecord {
                    got: 0,
                    expected: record::RECORD_LEN,
                });
            }
            record::decode(slot, child.worker)?
        }
    };
    let transfer = landing.numbers.then(|| match landing.transport {
        Transport::Pipe => WorkerTransfer {
            bytes: piped as u64,
            // A worker with no numbers had nothing on the way.
            delivered_ns: child.delivered_ns.unwrap_or(report.finish_ns),
            copy_cpu_ns: Some(write_cpu_ns + child.read_cpu_ns),
            ..WorkerTransfer::default()
        },
        Transport::Shared => WorkerTransfer::in_place(landing.per_worker as u64, report.finish_ns),
    });
    Ok(WorkerReport { transfer, ..report })
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
    /// Bytes of its numbers read from its pipe so far.
    received: usize,
    /// CPU time this thread spent reading them.
    read_cpu_ns: u64,
    /// When the last of them was read.
    delivered_ns: Option<u64>,
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
