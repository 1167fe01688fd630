//! The launcher's supervisor: what `gilfree mpi-launch` runs between the
//! driver and `mpirun`, so that nothing of a run outlives it, however the
//! run ends.
//!
//! `mpirun` cleans up after itself when it ends normally or on SIGTERM, but
//! not when it is killed: its ranks are orphaned, and it leaves its session
//! files and shared-memory segments behind. And on SIGTERM it exits before
//! its ranks are reaped. So the driver starts this supervisor instead, which
//!
//! - is a *subreaper* (`PR_SET_CHILD_SUBREAPER`): ranks and daemons orphaned
//!   by the launcher become its children, and it reaps every one before it
//!   exits, killing those still there after a grace period;
//! - starts the launcher with the per-run directory in its environment and
//!   a parent-death signal of SIGTERM, so the launcher cleans up if the
//!   supervisor is killed;
//! - on SIGTERM, SIGINT, SIGHUP or SIGQUIT (from the driver, or as its own
//!   parent-death signal when the driver is killed) passes SIGTERM on to the
//!   launcher, which stops the ranks on every host, and kills it if it has
//!   not ended within [`LAUNCHER_GRACE`];
//! - removes the per-run directory, with whatever the launcher left in it;
//! - ends as the launcher ended: its exit status, or killed by its signal.
//!
//! It is one thread, waiting with `sigtimedwait` for the signals it handles
//! and for SIGCHLD, all of them blocked.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::os::signal_safe;

/// How long the launcher gets to stop its ranks after SIGTERM.
pub const LAUNCHER_GRACE: Duration = Duration::from_secs(2);

/// How long orphaned ranks and daemons get to end after the launcher has.
const ORPHAN_GRACE: Duration = Duration::from_secs(1);

/// The exit status of a supervisor whose launcher could not be started.
pub const LAUNCHER_NOT_STARTED: i32 = 127;

/// The first words of the supervisor's message when the launcher could not
/// be started, which the driver looks for.
pub const NOT_STARTED_MESSAGE: &str = "gilfree mpi-launch: could not start";

/// The signals that stop the run.
const STOPPING: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// Runs `launcher` (a program and its arguments) under supervision, removes
/// `dir` once everything it started has ended, and returns how to end: the
/// launcher's exit status, or the signal that killed it. Call it from a
/// process with one thread.
pub fn supervise(dir: &Path, launcher: &[String]) -> Ended {
    let ended = run(launcher);
    let _ = std::fs::remove_dir_all(dir);
    ended
}

/// How the launcher ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Killed(i32),
}

impl Ended {
    /// Ends this process the same way.
    pub fn exit(self) -> ! {
        match self {
            Ended::Exited(code) => std::process::exit(code),
            Ended::Killed(signal) => {
                if let Ok(signal) = Signal::try_from(signal) {
                    // SAFETY: restoring the default action installs no handler.
                    let _ = unsafe {
                        nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl)
                    };
                    let _ = SigSet::from(signal).thread_unblock();
                    let _ = nix::sys::signal::raise(signal);
                }
                std::process::exit(128 + signal)
            }
        }
    }
}

fn run(launcher: &[String]) -> Ended {
    let Some((program, args)) = launcher.split_first() else {
        eprintln!("{NOT_STARTED_MESSAGE} the launcher: no command was given");
        return Ended::Exited(LAUNCHER_NOT_STARTED);
    };
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER changes only this
    // process's attributes.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let mut waited = SigSet::from(Signal::SIGCHLD);
    for signal in STOPPING {
        waited.add(signal);
    }
    // Blocked before the launcher exists, so that neither its end nor a stop
    // can be missed; the launcher gets an empty mask.
    let _ = waited.thread_block();
    let me = std::process::id() as libc::pid_t;
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    // SAFETY: between fork and exec the closure only calls pthread_sigmask,
    // prctl and getppid, which are async-signal-safe, and allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            SigSet::empty()
                .thread_set_mask()
                .map_err(std::io::Error::from)?;
            if signal_safe::on_parent_death(me, libc::SIGTERM) {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(libc::ESRCH))
            }
        });
    }
    let launcher_pid = match command.spawn() {
        Ok(child) => Pid::from_raw(child.id() as libc::pid_t),
        Err(err) => {
            eprintln!("{NOT_STARTED_MESSAGE} {program}: {err}");
            return Ended::Exited(LAUNCHER_NOT_STARTED);
        }
    };
    let mut ended: Option<Ended> = None;
    let mut stop_sent: Option<Instant> = None;
    let mut launcher_ended_at: Option<Instant> = None;
    loop {
        if let Some(signal) = wait_for_signal(&waited, Duration::from_millis(50))
            && signal != libc::SIGCHLD
            && stop_sent.is_none()
            && ended.is_none()
        {
            let _ = kill(launcher_pid, Signal::SIGTERM);
            stop_sent = Some(Instant::now());
        }
        // Reap whatever has ended: the launcher, and orphans passed to us.
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == launcher_pid => {
                    ended = Some(Ended::Exited(code));
                }
                Ok(WaitStatus::Signaled(pid, signal, _)) if pid == launcher_pid => {
                    ended = Some(Ended::Killed(signal as i32));
                }
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => {}
                // ECHILD: nothing left to wait for.
                Err(_) => return ended.unwrap_or(Ended::Exited(1)),
            }
        }
        let now = Instant::now();
        if ended.is_some() {
            let since = *launcher_ended_at.get_or_insert(now);
            if now.duration_since(since) >= ORPHAN_GRACE {
                kill_children(me);
            }
        } else if stop_sent.is_some_and(|sent| now.duration_since(sent) >= LAUNCHER_GRACE) {
            let _ = kill(launcher_pid, Signal::SIGKILL);
            kill_children(me);
        }
    }
}

/// Waits up to `timeout` for one of `set`, which is blocked; its number.
fn wait_for_signal(set: &SigSet, timeout: Duration) -> Option<i32> {
    let timeout = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `set` is a valid signal set and `timeout` a valid timespec;
    // no siginfo is asked for.
    let signal = unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &timeout) };
    (signal > 0).then_some(signal)
}

/// Kills every child of process `parent` — ranks and daemons orphaned to
/// it, or the launcher's helpers — found in `/proc`.
fn kill_children(parent: libc::pid_t) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": the name may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<libc::pid_t>().ok());
        if ppid == Some(parent) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}
