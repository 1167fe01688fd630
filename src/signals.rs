//! Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM: no orphaned worker
//! process, one line of explanation, and the shell's conventional exit code
//! (128 + the signal: 130 and 143).
//!
//! # Design
//!
//! [`exit_cleanly_on_signals`] blocks both signals in the calling thread
//! before any other thread exists, so every thread started later — rayon's
//! pool, the thread backends' workers — inherits the block, and so does every
//! forked worker process (a Ctrl-C reaches the whole foreground process group,
//! and the workers must not die half-way on their own). One thread then waits
//! for the signals with `sigwait(3)`: ordinary code, not a signal handler, so
//! it may lock, allocate and print. On the first signal it calls
//! [`process::interrupt`], which kills the
//! running children, waits until their runs have reaped them, prints one line
//! and exits.
//!
//! A thread backend's workers cannot be stopped half-way, but they hold no
//! resource outside the process: exiting ends them.

use std::io;
use std::time::Duration;

use crate::backend::process;

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
pub fn exit_cleanly_on_signals(before_exit: fn()) -> io::Result<()> {
    let set = signal_set();
    // SAFETY: `set` is an initialized sigset_t; blocking signals in this
    // thread touches no other state.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    std::thread::Builder::new()
        .name("gilfree-signals".to_owned())
        .spawn(move || {
            let signal = wait_for_signal(&set);
            let killed = process::interrupt(signal);
            let reaped = process::wait_until_reaped(REAP_TIMEOUT);
            crate::backend::python::remove_program_dirs();
            before_exit();
            let what = match (killed, reaped) {
                (0, _) => String::new(),
                (n, true) => format!("; stopped and reaped {n} worker process{}", plural(n)),
                (n, false) => format!("; killed {n} worker process{}", plural(n)),
            };
            eprintln!(
                "gilfree: interrupted by {}{what}",
                process::signal_name(signal)
            );
            std::process::exit(128 + signal);
        })?;
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// {SIGINT, SIGTERM}.
fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain old data; sigemptyset initializes it fully.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t and the signals are valid numbers.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
    }
    set
}

/// Waits until one of `set` arrives and returns it.
fn wait_for_signal(set: &libc::sigset_t) -> i32 {
    loop {
        let mut signal = 0;
        // SAFETY: `set` is initialized and blocked in this thread (inherited);
        // `signal` is writable.
        if unsafe { libc::sigwait(set, &mut signal) } == 0 {
            return signal;
        }
    }
}
