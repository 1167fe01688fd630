//! The binary's side of signals: stopping cleanly on SIGINT (Ctrl-C),
//! SIGTERM, SIGHUP and SIGQUIT: no orphaned worker process, no temporary
//! file left, one line of explanation, and the shell's conventional exit
//! code (128 + the signal: 130, 143, 129, 131). Whatever else kills gilfree
//! (SIGKILL, SIGUSR1, …), its worker processes and interpreters die with it:
//! they ask the kernel for that when they start (`PR_SET_PDEATHSIG`).
//!
//! # Design
//!
//! [`exit_cleanly_on_signals`] blocks these signals in the calling thread
//! before any other thread exists, so every thread started later — rayon's
//! pool, the thread backends' workers — inherits the block, and so does every
//! forked worker process (a Ctrl-C reaches the whole foreground process group,
//! and the workers must not die half-way on their own). One thread then waits
//! for the signals with `sigwait(3)`: ordinary code, not a signal handler, so
//! it may lock, allocate and print. On the first signal it calls
//! [`children::interrupt`], which kills the
//! running children, waits until their runs have reaped them, prints one line
//! and exits.
//!
//! A thread backend's workers cannot be stopped half-way, but they hold no
//! resource outside the process: exiting ends them.

use std::io;
use std::time::Duration;

use gilfree::os::children;
use nix::sys::signal::{SigSet, Signal};

/// The signals that end gilfree cleanly: those a terminal or a job control
/// system sends to stop a program. (Any other deadly signal, SIGKILL
/// included, still takes the workers with it: they die with their parent.)
const HANDLED: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// How long the runs get to reap their killed children before the process
/// exits anyway.
const REAP_TIMEOUT: Duration = Duration::from_secs(5);

/// Arranges for SIGINT and SIGTERM to end the process cleanly; see the module
/// docs. Call it first in `main`, before any thread is started: threads that
/// already exist would keep the default action and could be chosen to take the
/// signal.
///
/// `before_exit` runs on the watching thread just before the message, to
/// clear a progress display, say.
///
/// # Errors
/// When the signal mask cannot be set or the thread cannot be started.
pub(crate) fn exit_cleanly_on_signals(before_exit: fn()) -> io::Result<()> {
    // An inherited SIGCHLD of SIG_IGN would make the kernel reap every child
    // at once, and no exit status could be read.
    // SAFETY: setting a signal to its default action installs no handler
    // and runs before any other thread exists.
    unsafe { nix::sys::signal::signal(Signal::SIGCHLD, nix::sys::signal::SigHandler::SigDfl) }
        .map_err(io::Error::from)?;
    let mut set = SigSet::empty();
    for signal in HANDLED {
        set.add(signal);
    }
    set.thread_block()?;
    std::thread::Builder::new()
        .name("gilfree-signals".to_owned())
        .spawn(move || {
            let signal = wait_for_signal(&set);
            // Held until the process exits: `finish` cannot end it meanwhile
            // with another code.
            let _exiting = lock_exit();
            let killed = children::interrupt(signal);
            let reaped = children::wait_until_reaped(REAP_TIMEOUT);
            gilfree::os::cleanup::remove_all();
            before_exit();
            let what = match (killed, reaped) {
                (0, _) => String::new(),
                (n, true) => format!("; stopped and reaped {n} worker process{}", plural(n)),
                (n, false) => format!("; killed {n} worker process{}", plural(n)),
            };
            // Never a panic here (a closed stderr must not kill the only
            // thread that handles the signals): the message is best effort.
            super::eprint(&format!(
                "gilfree: interrupted by {}{what}\n",
                children::signal_name(signal)
            ));
            std::process::exit(128 + signal);
        })?;
    Ok(())
}

/// Taken by whichever ends the process first: the signal thread, or `main`
/// through [`finish`].
static EXIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock_exit() -> std::sync::MutexGuard<'static, ()> {
    EXIT.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `main`'s last step: returns `code` to end the process with, unless the
/// signal thread is already ending it (then this waits, and the process
/// exits with the signal's code and message). Once this has returned, a
/// signal no longer interrupts: the run is over, and its code stands.
pub(crate) fn finish(code: std::process::ExitCode) -> std::process::ExitCode {
    // Kept locked until the process exits.
    std::mem::forget(lock_exit());
    code
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// Waits until one of `set` arrives and returns its number.
fn wait_for_signal(set: &SigSet) -> i32 {
    loop {
        // `set` is blocked in this thread (inherited), as sigwait requires.
        if let Ok(signal) = set.wait() {
            return signal as i32;
        }
    }
}
