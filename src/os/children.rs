//! The registry of this process's live child processes — forked workers and
//! launched programs (CPython) — so that a signal can stop them all.
//!
//! A child is registered under the registry's lock at the moment it starts
//! (`start_registered`) and leaves the registry only when it is reaped
//! (`reap`), under the same lock. So [`interrupt`], which kills every
//! registered child, can neither miss a child that exists nor signal a pid
//! that was already reaped and may belong to another process by now.
//!
//! A program that leads a process group of its own (a Python interpreter,
//! whose `multiprocessing` workers must go with it) is killed group and all.
//! A program that must clean up on other hosts before it ends (the `mpi`
//! backend's launcher) is registered to be stopped with SIGTERM instead
//! (`Stop::Terminate`); the run that started it kills it if it outstays
//! its grace period.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use super::signal_safe;
use crate::error::WorkerFailure;

/// How [`interrupt`] stops a registered child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only the mpi backend's launcher is stopped with SIGTERM.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) enum Stop {
    /// SIGKILL, to its whole process group if it leads one.
    Kill,
    /// SIGTERM, to the child alone, which stops what it started, cleans up
    /// and exits; its run kills it ([`kill_registered`]) if it has not ended
    /// within a grace period. It is also the signal the child gets when
    /// gilfree dies.
    Terminate,
}

/// A child not yet reaped.
#[derive(Debug, Clone, Copy)]
struct Live {
    pid: libc::pid_t,
    /// It leads a process group.
    group: bool,
    stop: Stop,
}

/// Children not yet reaped.
static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

/// The signal that interrupted the runs, or 0.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

fn lock_live() -> MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `start`, which starts one child and returns its pid (or a value
/// `pid_of` reads it from), with the registry locked, and registers the
/// child. `group`: the child leads a process group of its own. Once the
/// runs are [`interrupt`]ed, starts nothing and returns `None`: a child
/// started after `interrupt` killed the registered ones would run on.
///
/// A `start` that forks must not return in the child: the child's copy of
/// the registry's lock is held.
pub(crate) fn start_registered<R>(
    group: bool,
    start: impl FnOnce() -> R,
    pid_of: impl FnOnce(&R) -> Option<libc::pid_t>,
) -> Option<R> {
    start_registered_as(group, Stop::Kill, start, pid_of)
}

/// [`start_registered`], the child to be stopped as `stop` says.
fn start_registered_as<R>(
    group: bool,
    stop: Stop,
    start: impl FnOnce() -> R,
    pid_of: impl FnOnce(&R) -> Option<libc::pid_t>,
) -> Option<R> {
    let mut live = lock_live();
    if interrupted().is_some() {
        return None;
    }
    let started = start();
    if let Some(pid) = pid_of(&started).filter(|&pid| pid > 0) {
        live.push(Live { pid, group, stop });
    }
    Some(started)
}

/// Spawns `command` in a process group of its own, as a registered child
/// that [`interrupt`] stops, group and all; the caller must reap it with
/// [`reap`] (not `Child::wait`).
pub(crate) fn spawn_registered(
    command: &mut std::process::Command,
) -> io::Result<std::process::Child> {
    spawn_registered_with(command, Stop::Kill)
}

/// [`spawn_registered`], stopped as `stop` says by [`interrupt`] and, with
/// [`Stop::Terminate`], sent SIGTERM instead of SIGKILL when gilfree dies.
pub(crate) fn spawn_registered_with(
    command: &mut std::process::Command,
    stop: Stop,
) -> io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    // The program gets the default signal mask, not the one it would inherit:
    // a program that relies on signals (multiprocessing.Pool ends its workers
    // with SIGTERM) would hang with gilfree's SIGINT and SIGTERM blocked.
    // And it dies with gilfree, whatever kills gilfree.
    let parent = std::process::id() as libc::pid_t;
    let death_signal = match stop {
        Stop::Kill => libc::SIGKILL,
        Stop::Terminate => libc::SIGTERM,
    };
    // SAFETY: between fork and exec the closure only calls pthread_sigmask,
    // prctl and getppid, which are async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            nix::sys::signal::SigSet::empty()
                .thread_set_mask()
                .map_err(io::Error::from)?;
            if signal_safe::on_parent_death(parent, death_signal) {
                Ok(())
            } else {
                Err(io::Error::from_raw_os_error(libc::ESRCH))
            }
        });
    }
    start_registered_as(
        true,
        stop,
        || command.spawn(),
        |spawned| Some(spawned.as_ref().ok()?.id() as libc::pid_t),
    )
    .unwrap_or_else(|| Err(io::Error::from(io::ErrorKind::Interrupted)))
}

/// The signal the runs were interrupted by, if [`interrupt`] was called.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Stops every run in progress, for a program that received `signal`
/// (SIGINT or SIGTERM, say): marks the runs interrupted and kills every
/// registered child with `SIGKILL`. Each run then reaps its children and
/// returns [`Error::Interrupted`](crate::Error::Interrupted); later runs
/// return it at once. Returns how many children were killed.
///
/// Call it from a normal thread (a signal-watching thread, say), not from a
/// signal handler: it takes a lock.
pub fn interrupt(signal: i32) -> usize {
    INTERRUPTED.store(signal, Ordering::SeqCst);
    let live = lock_live();
    for entry in live.iter() {
        match entry.stop {
            Stop::Kill => kill_child(entry.pid, entry.group),
            Stop::Terminate => {
                let _ = kill(Pid::from_raw(entry.pid), Signal::SIGTERM);
            }
        }
    }
    live.len()
}

/// Kills child `pid` with SIGKILL, and its whole process group if it leads
/// one. Called only for registered pids, under the registry's lock: the
/// child is not reaped, so neither its id nor its group's can have been
/// reused. A child that already exited (a zombie) ignores it.
fn kill_child(pid: libc::pid_t, group: bool) {
    if group {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
}

/// Kills (SIGKILL) every other process that holds the pipe `inode` open: the
/// leftovers of a program that ended — a grandchild that started a session
/// of its own, so that killing the program's process group missed it, and
/// kept the program's output pipe. Such a process is no child of this one
/// and is not reaped here (its new parent reaps it). Each is pinned with a
/// pidfd and checked again before the signal, so that a pid reused in
/// between is never signalled. Returns how many were killed.
pub(crate) fn kill_pipe_holders(inode: u64) -> usize {
    let mut killed = 0;
    for pid in super::procfs::pipe_holders(inode) {
        // SAFETY: pidfd_open takes a pid and flags, and returns a new fd or -1.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if pidfd < 0 {
            // Before Linux 5.3 there is no pidfd: the check just made, then
            // the signal, as close together as the API allows.
            if super::procfs::holds_pipe(pid, inode)
                && kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok()
            {
                killed += 1;
            }
            continue;
        }
        let pidfd = pidfd as libc::c_int;
        // The pidfd names this process and no other from now on: if it still
        // holds the pipe, it is the one to stop.
        if super::procfs::holds_pipe(pid, inode) {
            // SAFETY: pidfd_send_signal on a pidfd this function owns, with
            // no siginfo (null) and no flags.
            let sent = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    pidfd,
                    libc::SIGKILL,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
            if sent == 0 {
                killed += 1;
            }
        }
        // SAFETY: closes the pidfd opened above, used nowhere else.
        unsafe { libc::close(pidfd) };
    }
    killed
}

/// Kills the registered child `pid` (it must still be reaped with [`reap`]).
pub(crate) fn kill_registered(pid: libc::pid_t) {
    let live = lock_live();
    if let Some(entry) = live.iter().find(|entry| entry.pid == pid) {
        kill_child(entry.pid, entry.group);
    }
}

/// Sends SIGTERM to the registered child `pid` alone (it must still be
/// reaped with [`reap`]): the way to ask a [`Stop::Terminate`] child to stop.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) fn terminate_registered(pid: libc::pid_t) {
    let live = lock_live();
    if live.iter().any(|entry| entry.pid == pid) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

/// Waits until every registered child has been reaped, up to `timeout`;
/// returns whether they all were. After [`interrupt`], this is how long the
/// runs take to clean up.
pub fn wait_until_reaped(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if lock_live().is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What `wait4` tells of a child that ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reaped {
    /// The raw wait status.
    pub(crate) status: libc::c_int,
    /// The child's own peak resident set size (with its own reaped
    /// children's), in bytes.
    pub(crate) peak_rss_bytes: u64,
}

/// Waits for the registered child `pid` to end, then reaps it with `wait4`
/// and removes it from the registry under the lock. Both waits retry on
/// `EINTR`.
pub(crate) fn reap(pid: libc::pid_t) -> io::Result<Reaped> {
    // First wait without reaping (WNOWAIT), so that the pid stays ours while
    // `interrupt` may still signal it.
    loop {
        match waitid(
            Id::Pid(Pid::from_raw(pid)),
            WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT,
        ) {
            Ok(_) => break,
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
    let mut live = lock_live();
    let reaped = loop {
        let mut status = 0;
        // SAFETY: rusage is plain old data, for which all-zero bytes are valid.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are valid and writable; `pid` is our
        // child, which has ended, so this returns at once. (Raw wait4: nix
        // has no call that also returns the child's rusage.)
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            break Reaped {
                status,
                peak_rss_bytes: signal_safe::max_rss_bytes(usage.ru_maxrss as u64),
            };
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    live.retain(|entry| entry.pid != pid);
    Ok(reaped)
}

/// Waits for the registered child `pid` to end until `deadline`, then reaps
/// it; `Ok(None)` when the deadline passed first (the child runs on: the
/// caller kills it and [`reap`]s it). Checks every few milliseconds.
pub(crate) fn reap_by(pid: libc::pid_t, deadline: Instant) -> io::Result<Option<Reaped>> {
    reap_when_ended(pid, Some(deadline), false)
}

/// Whether the registered child `pid` has ended (it is not reaped by this).
pub(crate) fn has_ended(pid: libc::pid_t) -> bool {
    !matches!(
        waitid(
            Id::Pid(Pid::from_raw(pid)),
            WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT | WaitPidFlag::WNOHANG,
        ),
        Ok(nix::sys::wait::WaitStatus::StillAlive)
    )
}

/// Waits for the registered child `pid`, which leads a process group, to
/// end (until `deadline`, if any), kills what is left of its group — a
/// grandchild that lives on — and reaps it. The group is killed before the
/// leader is reaped, while its id cannot have been reused.
pub(crate) fn reap_group(
    pid: libc::pid_t,
    deadline: Option<Instant>,
) -> io::Result<Option<Reaped>> {
    reap_when_ended(pid, deadline, true)
}

fn reap_when_ended(
    pid: libc::pid_t,
    deadline: Option<Instant>,
    group: bool,
) -> io::Result<Option<Reaped>> {
    loop {
        let flags = match deadline {
            Some(_) => WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT | WaitPidFlag::WNOHANG,
            None => WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT,
        };
        match waitid(Id::Pid(Pid::from_raw(pid)), flags) {
            // WNOHANG: StillAlive while it runs.
            Ok(nix::sys::wait::WaitStatus::StillAlive) => {}
            Ok(_) => {
                if group {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                }
                return reap(pid).map(Some);
            }
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
        match deadline {
            Some(deadline) if Instant::now() >= deadline => return Ok(None),
            Some(_) => std::thread::sleep(Duration::from_millis(2)),
            None => {}
        }
    }
}

/// Turns a wait status into `Ok` for a clean exit, else the failure;
/// `meaning` explains an exit code the child uses for its own failures
/// (`""` for none).
pub(crate) fn check_status(
    status: libc::c_int,
    meaning: impl Fn(i32) -> &'static str,
) -> Result<(), WorkerFailure> {
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
        return Err(WorkerFailure::Exited {
            code,
            meaning: meaning(code),
        });
    }
    Err(WorkerFailure::BadRecord(
        "the child neither exited nor was killed",
    ))
}

/// The conventional name of a signal number.
pub fn signal_name(signal: i32) -> &'static str {
    Signal::try_from(signal).map_or("unnamed signal", Signal::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_become_failures_with_their_meaning() {
        // Raw wait statuses as Linux encodes them.
        let meaning = |code| {
            if code == 4 {
                ": it could not write"
            } else {
                ""
            }
        };
        assert!(check_status(0, meaning).is_ok());
        let killed = check_status(libc::SIGKILL, meaning).unwrap_err();
        assert_eq!(killed.to_string(), "was killed by signal 9 (SIGKILL)");
        let exited = check_status(4 << 8, meaning).unwrap_err();
        assert_eq!(
            exited.to_string(),
            "exited with status 4: it could not write"
        );
        assert_eq!(
            check_status(7 << 8, meaning).unwrap_err().to_string(),
            "exited with status 7"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    // The child is reaped with `reap` (wait4), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn registered_programs_start_with_no_signal_blocked() {
        use nix::sys::signal::{SigSet, Signal};
        // Block SIGTERM in this thread, as the gilfree binary does everywhere.
        let blocked = SigSet::from(Signal::SIGTERM);
        blocked.thread_block().unwrap();
        let mut command = std::process::Command::new("grep");
        command
            .args(["SigBlk", "/proc/self/status"])
            .stdout(std::process::Stdio::piped());
        let mut child = spawn_registered(&mut command).unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        let reaped = reap(child.id() as libc::pid_t).unwrap();
        blocked.thread_unblock().unwrap();
        assert_eq!(reaped.status, 0);
        assert_eq!(out.trim(), "SigBlk:\t0000000000000000");
    }

    #[test]
    fn signals_have_their_conventional_names() {
        assert_eq!(signal_name(libc::SIGTERM), "SIGTERM");
        assert_eq!(signal_name(libc::SIGINT), "SIGINT");
        assert_eq!(signal_name(0), "unnamed signal");
        assert_eq!(signal_name(1000), "unnamed signal");
    }
}
