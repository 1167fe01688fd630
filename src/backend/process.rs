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
//! `RECORD_LEN` (72) bytes and calls `_exit`. The parent `poll`s the pipes and
//! reads each as its child writes, in whatever order the children finish;
//! at a pipe's end-of-file it reaps that child with `wait4` (which also
//! reports the child's own peak memory) and decodes its record.
//!
//! A record is far below `PIPE_BUF` and the pipe's capacity, so a child's
//! write never blocks and arrives whole. Because the parent deals with each
//! child as it ends, a child that fails is noticed at once, and the run
//! returns without waiting for the slowest worker.
//!
//! # What a child may do
//!
//! The parent may be multi-threaded (rayon's pool may exist), and `fork` copies
//! only the calling thread: any lock another thread held — the allocator's,
//! stdout's — stays locked forever in the child. So the child only calls
//! async-signal-safe or lock-free functions: the clock reads of
//! `report::measure`, the allocation-free kernel, `mmap` for
//! `--materialize`, `write` and `_exit`. It never returns into the parent's
//! code, never runs destructors and never unwinds: a guard turns an
//! (impossible) panic into `_exit` with a status of its own.
//!
//! # Failures
//!
//! A signal, a non-zero status, a short or garbled record, a failed `pipe`,
//! `fork`, read or wait become an [`Error::Worker`] naming the worker. Before
//! `run` returns — on success or failure — every child has been reaped (the
//! unreaped ones are killed first) and every pipe closed. `poll`, `waitid`
//! and `wait4` are retried when a signal interrupts them (`EINTR`).
//!
//! [`interrupt`] stops the runs in progress from another thread, for a
//! program that received SIGINT or SIGTERM (see [`crate::signals`]).
//!
//! Runs are serialized by a process-wide lock, so that no child of one run
//! inherits the open write end of another run's pipe.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::backend::{Backend, worker_error};
use crate::error::{Error, WorkerFailure};
use crate::fault::Fault;
use crate::kernel;
use crate::report::{self, WorkerReport};
use crate::sys;
use crate::workload::Workload;

/// One forked child process per worker, results over one pipe per child.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessBackend;

const NAME: &str = "process";

/// The size of a child's result record, in bytes.
const RECORD_LEN: usize = 72;
const MAGIC: u64 = u64::from_le_bytes(*b"gilfree1");

/// Exit statuses a child uses for its own failures.
const EXIT_OUT_OF_MEMORY: i32 = 3;
const EXIT_WRITE_FAILED: i32 = 4;
const EXIT_PANICKED: i32 = 5;

/// Held by every run, so that runs in different threads cannot leak pipe
/// write ends into each other's children.
static FORK_LOCK: Mutex<()> = Mutex::new(());

impl Backend for ProcessBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "one fork()ed child process per worker, result over a pipe (the book's listing 11-2)"
    }

    /// Every worker is a process, and holds a pipe open in the parent until
    /// it is collected: the workers must fit the limits on open files (the
    /// soft limit is raised to the hard one if needed) and on processes.
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        let workers = workload.workers() as u64;
        let limit_error = |need: String, limit: String| Error::WorkerLimit {
            backend: NAME,
            workers: workload.workers(),
            need,
            limit,
            advice: "use fewer --workers, or a thread backend",
        };
        // Standard streams, the pipe being made, and some slack for the caller.
        let fds_needed = workers + sys::open_fds().unwrap_or(3) as u64 + 16;
        let fds_limit = match sys::soft_limit(libc::RLIMIT_NOFILE) {
            Some(soft) if soft < fds_needed => sys::raise_open_file_limit(),
            other => other,
        };
        if let Some(limit) = fds_limit.filter(|&limit| limit < fds_needed) {
            return Err(limit_error(
                format!("{workers} pipes open at once"),
                format!("the limit of open files per process is {limit} (ulimit -n)"),
            ));
        }
        if let (Some(max), Some(tasks)) = (sys::pid_max(), sys::system_tasks()) {
            let free = max.saturating_sub(tasks);
            if workers > free {
                return Err(limit_error(
                    format!("{workers} processes at once"),
                    format!(
                        "the system has room for {free} more (kernel.pid_max {max}, {tasks} in use)"
                    ),
                ));
            }
        }
        if !sys::is_root() {
            if let Some(nproc) = sys::soft_limit(libc::RLIMIT_NPROC) {
                if workers >= nproc {
                    return Err(limit_error(
                        format!("{workers} processes at once"),
                        format!("this user may run {nproc} processes (ulimit -u)"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let _serialized = FORK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let reports = run_children(workload);
        match interrupted() {
            // The children were killed on purpose: that, not their deaths, is
            // what happened to the run.
            Some(signal) => Err(Error::Interrupted {
                backend: NAME,
                signal,
                name: signal_name(signal),
            }),
            None => reports,
        }
    }
}

/// Forks, collects and reaps one child per worker.
fn run_children(workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
    if interrupted().is_some() {
        return Ok(Vec::new()); // reported as interrupted by the caller
    }
    let mut children = Children(Vec::with_capacity(workload.workers()));
    for worker in 0..workload.workers() {
        let fault = workload.fault_for(worker, Some(NAME));
        let (read_end, write_end) = if fault == Some(Fault::PipeFails) {
            Err(io::Error::from_raw_os_error(libc::EMFILE))
        } else {
            pipe()
        }
        .map_err(|err| worker_error(NAME, worker, WorkerFailure::pipe(err)))?;
        let pid = {
            // Registered under the lock, so that `interrupt` cannot miss a
            // child that exists.
            let mut live = lock_live();
            let pid = if fault == Some(Fault::ForkFails) {
                -1
            } else {
                // SAFETY: the child branch below calls only async-signal-safe
                // or lock-free code (see the module docs) and leaves through
                // `_exit`, so no lock, allocator state or destructor of the
                // parent's other threads is touched in the child. The child's
                // copy of `live` is never used or dropped.
                unsafe { libc::fork() }
            };
            if pid > 0 {
                live.push((pid, false));
            }
            pid
        };
        if pid < 0 {
            let err = if fault == Some(Fault::ForkFails) {
                io::Error::from_raw_os_error(libc::EAGAIN)
            } else {
                io::Error::last_os_error()
            };
            return Err(worker_error(NAME, worker, WorkerFailure::fork(err)));
        }
        if pid == 0 {
            child_main(workload, worker, write_end.as_raw_fd());
        }
        drop(write_end);
        children.0.push(Child {
            worker,
            pid,
            read_end: Some(File::from(read_end)),
            record: Vec::with_capacity(RECORD_LEN),
            reaped: None,
        });
    }
    collect(&mut children)
}

/// Reads the pipes as the children write, in whatever order they finish, and
/// reaps each child once its pipe reaches end-of-file. The first failure is
/// returned at once: dropping `children` then kills and reaps the others, so
/// a worker that dies early does not wait for the slowest to finish.
fn collect(children: &mut Children) -> Result<Vec<WorkerReport>, Error> {
    let mut reports = Vec::with_capacity(children.0.len());
    let mut open: Vec<usize> = (0..children.0.len()).collect();
    let mut buffer = [0u8; RECORD_LEN + 1];
    while !open.is_empty() {
        let mut fds: Vec<libc::pollfd> = open
            .iter()
            .map(|&i| libc::pollfd {
                fd: children.0[i]
                    .read_end
                    .as_ref()
                    .map_or(-1, AsRawFd::as_raw_fd),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        poll(&mut fds).map_err(|err| {
            worker_error(
                NAME,
                children.0[open[0]].worker,
                WorkerFailure::Collect(err),
            )
        })?;
        let mut still_open = Vec::with_capacity(open.len());
        for (pollfd, &i) in fds.iter().zip(&open) {
            let child = &mut children.0[i];
            if pollfd.revents == 0 {
                still_open.push(i);
                continue;
            }
            let fail = |failure| worker_error(NAME, child.worker, failure);
            let file = child.read_end.as_ref().expect("only open pipes are polled");
            // One read per readiness, so it cannot block.
            match (&*file).read(&mut buffer) {
                Ok(0) => {
                    child.read_end = None; // close it
                    let reaped =
                        wait_for(child.pid).map_err(|err| fail(WorkerFailure::Collect(err)))?;
                    child.reaped = Some(reaped);
                    let report = check_status(reaped.status)
                        .and_then(|()| decode(&child.record, child.worker))
                        .map_err(|failure| worker_error(NAME, child.worker, failure))?;
                    reports.push(WorkerReport {
                        peak_rss_bytes: Some(reaped.peak_rss_bytes),
                        ..report
                    });
                }
                Ok(n) => {
                    // Anything past one record is already wrong; keep no more.
                    let room = (RECORD_LEN + 1).saturating_sub(child.record.len());
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

/// `poll(2)` without a timeout, retried on `EINTR`.
fn poll(fds: &mut [libc::pollfd]) -> io::Result<()> {
    loop {
        // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds.
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) } >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Children of this process's runs that are not yet reaped. A pid leaves the
/// list only when it is reaped, under the lock, so [`interrupt`] never
/// signals a pid that may already belong to another process.
///
/// Each entry is a pid and whether it leads a process group of its own (a
/// Python interpreter, whose pool workers must go with it).
static LIVE: Mutex<Vec<(libc::pid_t, bool)>> = Mutex::new(Vec::new());

/// The signal that interrupted the runs, or 0.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

fn lock_live() -> std::sync::MutexGuard<'static, Vec<(libc::pid_t, bool)>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The signal the runs were interrupted by, if [`interrupt`] was called.
pub(crate) fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Stops every run of the process backend in progress, for a program that
/// received `signal` (SIGINT or SIGTERM, say): marks the runs interrupted and
/// kills their children with `SIGKILL`. Each run then reaps its children and
/// returns [`Error::Interrupted`]; later runs return it at once. Returns how
/// many children were killed.
///
/// Call it from a normal thread (a signal-watching thread, say), not from a
/// signal handler: it takes a lock.
pub fn interrupt(signal: i32) -> usize {
    INTERRUPTED.store(signal, Ordering::SeqCst);
    let live = lock_live();
    for &(pid, group) in live.iter() {
        kill_child(pid, group);
    }
    live.len()
}

/// Kills child `pid` with SIGKILL, and its whole process group if it leads one.
fn kill_child(pid: libc::pid_t, group: bool) {
    // SAFETY: `pid` is in LIVE, so it is our child and not yet reaped: the
    // id, and the group it leads, cannot have been reused.
    unsafe {
        if group {
            libc::kill(-pid, libc::SIGKILL);
        }
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Spawns `command` in a process group of its own, as a child that
/// [`interrupt`] stops, group and all, like a worker process; the caller
/// must reap it with [`reap`] (not `Child::wait`).
pub(crate) fn spawn_registered(
    command: &mut std::process::Command,
) -> io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    // The program gets the default signal mask, not the one it would inherit:
    // a program that relies on signals (multiprocessing.Pool ends its workers
    // with SIGTERM) would hang with gilfree's SIGINT and SIGTERM blocked.
    // SAFETY: between fork and exec the closure calls only sigemptyset and
    // pthread_sigmask, which are async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            match libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) {
                0 => Ok(()),
                rc => Err(io::Error::from_raw_os_error(rc)),
            }
        });
    }
    let mut live = lock_live();
    let child = command.spawn()?;
    live.push((child.id() as libc::pid_t, true));
    Ok(child)
}

/// Waits for a child started by [`spawn_registered`] and reaps it: its wait
/// status and its peak resident set size (with its own reaped children's).
pub(crate) fn reap(pid: u32) -> io::Result<(libc::c_int, u64)> {
    let reaped = wait_for(pid as libc::pid_t)?;
    Ok((reaped.status, reaped.peak_rss_bytes))
}

/// Kills a child started by [`spawn_registered`] (it is reaped by [`reap`]).
pub(crate) fn kill_registered(pid: u32) {
    let live = lock_live();
    if let Some(&(pid, group)) = live.iter().find(|(p, _)| *p == pid as libc::pid_t) {
        kill_child(pid, group);
    }
}

/// Waits until every child of every run has been reaped, up to `timeout`;
/// returns whether they all were. After [`interrupt`], this is how long the
/// runs take to clean up.
pub fn wait_until_reaped(timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if lock_live().is_empty() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
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

/// What `wait4` tells of a child that ended.
#[derive(Debug, Clone, Copy)]
struct Reaped {
    /// The raw wait status.
    status: libc::c_int,
    /// The child's own peak resident set size, in bytes.
    peak_rss_bytes: u64,
}

/// The children of one run. Dropping it kills and reaps every child not yet
/// reaped, so an early return leaves no process behind.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in self.0.iter_mut().filter(|c| c.reaped.is_none()) {
            // SAFETY: `pid` is our own child and not yet reaped, so the id
            // cannot have been reused by another process.
            unsafe { libc::kill(child.pid, libc::SIGKILL) };
            child.reaped = wait_for(child.pid).ok();
        }
    }
}

/// A pipe whose ends close on `exec`, as (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Waits for child `pid` to end, then reaps it with `wait4` and removes it
/// from [`LIVE`] under the lock. Both waits retry on `EINTR`.
fn wait_for(pid: libc::pid_t) -> io::Result<Reaped> {
    // First wait without reaping (WNOWAIT), so that the pid stays ours while
    // `interrupt` may still signal it.
    loop {
        // SAFETY: siginfo_t is plain old data, for which all-zero bytes are valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is valid and writable; `pid` is our child.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let mut live = lock_live();
    let reaped = loop {
        let mut status = 0;
        // SAFETY: rusage is plain old data, for which all-zero bytes are valid.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are valid and writable; `pid` is our
        // child, which has ended, so this returns at once.
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            break Reaped {
                status,
                peak_rss_bytes: sys::max_rss_bytes(usage.ru_maxrss as u64),
            };
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    live.retain(|&(p, _)| p != pid);
    Ok(reaped)
}

/// Turns a wait status into `Ok` for a clean exit, else the failure.
pub(crate) fn check_status(status: libc::c_int) -> Result<(), WorkerFailure> {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        return Err(WorkerFailure::Killed {
            signal,
            name: signal_name(signal),
        });
    }
    if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        if code == 0 {
            return Ok(());
        }
        let meaning = match code {
            EXIT_OUT_OF_MEMORY => ": it could not map memory for its materialized numbers",
            EXIT_WRITE_FAILED => ": it could not write its result to the pipe",
            EXIT_PANICKED => ": it panicked",
            _ => "",
        };
        return Err(WorkerFailure::Exited { code, meaning });
    }
    Err(WorkerFailure::BadRecord(
        "the child neither exited nor was killed",
    ))
}

/// The conventional name of a signal number.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        _ => "unnamed signal",
    }
}

/// The child's whole life: compute, write the record, `_exit`. Never returns.
fn child_main(workload: &Workload, worker: usize, fd: RawFd) -> ! {
    // If anything below ever panicked, unwinding must not carry the child back
    // into the parent's code: this guard's destructor ends the process.
    struct ExitOnUnwind;
    impl Drop for ExitOnUnwind {
        fn drop(&mut self) {
            // SAFETY: _exit is async-signal-safe and ends the process at once.
            unsafe { libc::_exit(EXIT_PANICKED) }
        }
    }
    let _guard = ExitOnUnwind;

    let fault = workload.fault_for(worker, Some(NAME));
    match fault {
        Some(Fault::Panic) => exit_now(EXIT_PANICKED),
        Some(Fault::Exit(code)) => exit_now(code),
        Some(Fault::Kill(signal)) => {
            // SAFETY: signal, sigprocmask, kill and getpid are async-signal-
            // safe. The default action and an unblocked signal make it deadly
            // even where the parent handles (SIGSEGV: Rust's stack-overflow
            // handler) or blocks it (SIGINT, SIGTERM in the binary).
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, signal);
                libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::kill(libc::getpid(), signal);
            }
            exit_now(EXIT_PANICKED) // a signal that does not kill: still fail
        }
        Some(Fault::NoRecord) => exit_now(0),
        Some(Fault::Sleep(pause)) => sleep(pause),
        _ => {}
    }

    let code = match report::measure(worker, || child_sum(workload, worker)) {
        Ok(report) => {
            let mut record = encode(&report);
            let record: &[u8] = match fault {
                Some(Fault::ShortRecord) => &record[..RECORD_LEN / 3],
                Some(Fault::Garbled) => {
                    record[0] ^= 0xff;
                    &record
                }
                _ => &record,
            };
            if !write_all(fd, record) {
                EXIT_WRITE_FAILED
            } else if let Some(Fault::Linger(pause)) = fault {
                // SAFETY: closing this child's own write end, written above.
                unsafe { libc::close(fd) };
                sleep(pause);
                0
            } else {
                0
            }
        }
        Err(code) => code,
    };
    // SAFETY: _exit is async-signal-safe; it skips atexit handlers and stdio
    // flushing, which belong to the parent.
    unsafe { libc::_exit(code) }
}

/// Ends the child at once with `code`.
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and ends the process at once,
    // skipping atexit handlers and stdio flushing, which belong to the parent.
    unsafe { libc::_exit(code) }
}

/// Sleeps for `pause` with `nanosleep`, which is async-signal-safe.
fn sleep(pause: Duration) {
    let mut request = libc::timespec {
        tv_sec: pause.as_secs() as libc::time_t,
        tv_nsec: pause.subsec_nanos() as libc::c_long,
    };
    let mut remaining = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: both timespecs are valid; on EINTR the rest is slept again.
    while unsafe { libc::nanosleep(&request, &mut remaining) } != 0 {
        request = remaining;
    }
}

/// The worker's sum, in the child; with `--materialize` the numbers go into
/// memory mapped with `mmap(2)`, since `malloc` is off limits after `fork`.
fn child_sum(workload: &Workload, worker: usize) -> Result<i64, i32> {
    if !workload.materialize() || workload.count() == 0 {
        return Ok(kernel::worker_sum(workload, worker));
    }
    // Workload::new checked that count × 8 bytes fits in a usize. The buffer
    // is an mmap, never the allocator, which may be locked by another thread
    // of the parent.
    let Some(mut buffer) = sys::NumberBuffer::new(workload.count() as usize) else {
        return Err(EXIT_OUT_OF_MEMORY);
    };
    let numbers = buffer.as_mut_slice();
    kernel::fill_worker_numbers(workload, worker, numbers);
    Ok(kernel::sum_numbers(numbers))
}

/// `write(2)` all of `bytes`, retrying on `EINTR` and short writes.
/// Async-signal-safe: no allocation (`last_os_error` only reads errno).
fn write_all(fd: RawFd, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid buffer of the given length.
        let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if written < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        bytes = &bytes[written as usize..];
    }
    true
}

/// The record a child sends: ten native-endian 64-bit fields.
fn encode(report: &WorkerReport) -> [u8; RECORD_LEN] {
    let cpu = |c: Option<u32>| c.map_or(-1, i64::from);
    let fields: [u64; 9] = [
        MAGIC,
        report.worker as u64,
        report.sum as u64,
        report.start_ns,
        report.finish_ns,
        report.cpu_time.as_nanos() as u64,
        cpu(report.cpu_at_start) as u64,
        cpu(report.cpu_at_finish) as u64,
        (u64::from(report.pid) << 32) | u64::from(report.tid),
    ];
    let mut out = [0u8; RECORD_LEN];
    for (chunk, field) in out.chunks_exact_mut(8).zip(fields) {
        chunk.copy_from_slice(&field.to_ne_bytes());
    }
    out
}

/// Decodes worker `worker`'s record, checking its length, magic and index.
fn decode(bytes: &[u8], worker: usize) -> Result<WorkerReport, WorkerFailure> {
    if bytes.len() != RECORD_LEN {
        return Err(WorkerFailure::ShortRecord {
            got: bytes.len(),
            expected: RECORD_LEN,
        });
    }
    let mut fields = [0u64; 9];
    for (field, chunk) in fields.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *field = u64::from_ne_bytes(word);
    }
    let [
        magic,
        index,
        sum,
        start_ns,
        finish_ns,
        cpu_ns,
        cpu_start,
        cpu_finish,
        ids,
    ] = fields;
    if magic != MAGIC {
        return Err(WorkerFailure::BadRecord("wrong magic number"));
    }
    if index != worker as u64 {
        return Err(WorkerFailure::BadRecord("it names another worker"));
    }
    if finish_ns < start_ns {
        return Err(WorkerFailure::BadRecord("it finished before it started"));
    }
    let cpu = |c: u64| u32::try_from(c as i64).ok();
    Ok(WorkerReport {
        worker,
        sum: sum as i64,
        start_ns,
        finish_ns,
        cpu_time: Duration::from_nanos(cpu_ns),
        cpu_at_start: cpu(cpu_start),
        cpu_at_finish: cpu(cpu_finish),
        pid: (ids >> 32) as u32,
        tid: ids as u32,
        peak_rss_bytes: None,
        held_ns: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WorkerReport {
        WorkerReport {
            worker: 5,
            sum: -1234567890123,
            start_ns: 10,
            finish_ns: 25,
            cpu_time: Duration::from_nanos(14),
            cpu_at_start: Some(1),
            cpu_at_finish: None,
            pid: 4242,
            tid: 4343,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    // The child is reaped with `reap` (wait4), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn registered_programs_start_with_no_signal_blocked() {
        // Block SIGTERM in this thread, as the gilfree binary does everywhere.
        // SAFETY: sigset_t is plain old data; only this thread's mask changes.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe {
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let mut command = std::process::Command::new("grep");
        command
            .args(["SigBlk", "/proc/self/status"])
            .stdout(std::process::Stdio::piped());
        let mut child = spawn_registered(&mut command).unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let (status, _) = reap(child.id()).unwrap();
        // SAFETY: restoring this thread's mask.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        assert_eq!(status, 0);
        assert_eq!(out.trim(), "SigBlk:\t0000000000000000");
    }

    #[test]
    fn a_record_round_trips() {
        assert_eq!(decode(&encode(&sample()), 5).unwrap(), sample());
    }

    #[test]
    fn short_long_and_garbled_records_are_rejected() {
        let bytes = encode(&sample());
        assert!(matches!(
            decode(&bytes[..RECORD_LEN - 1], 5),
            Err(WorkerFailure::ShortRecord {
                got: 71,
                expected: 72
            })
        ));
        assert!(matches!(
            decode(&[], 5),
            Err(WorkerFailure::ShortRecord { got: 0, .. })
        ));
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(matches!(
            decode(&long, 5),
            Err(WorkerFailure::ShortRecord { got: 73, .. })
        ));
        let mut garbled = bytes;
        garbled[0] ^= 1;
        assert!(matches!(
            decode(&garbled, 5),
            Err(WorkerFailure::BadRecord(_))
        ));
        assert!(matches!(
            decode(&bytes, 6),
            Err(WorkerFailure::BadRecord(_))
        ));
    }

    #[test]
    fn exit_statuses_become_failures_with_their_meaning() {
        // Raw wait statuses as Linux encodes them.
        assert!(check_status(0).is_ok());
        let killed = check_status(libc::SIGKILL).unwrap_err();
        assert_eq!(killed.to_string(), "was killed by signal 9 (SIGKILL)");
        let exited = check_status(EXIT_WRITE_FAILED << 8).unwrap_err();
        assert_eq!(
            exited.to_string(),
            "exited with status 4: it could not write its result to the pipe"
        );
        assert_eq!(
            check_status(7 << 8).unwrap_err().to_string(),
            "exited with status 7"
        );
    }
}
