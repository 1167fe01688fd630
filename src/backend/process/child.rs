//! The worker process's whole life: compute, `write(2)` one record, `_exit`.
//!
//! # What a child may do
//!
//! The parent may be multi-threaded (rayon's pool may exist), and `fork`
//! copies only the calling thread: any lock another thread held — the
//! allocator's, stdout's — stays locked forever in the child. So the child
//! calls only [`crate::os::signal_safe`] (clocks, `prctl`, `mmap`, `write`,
//! `_exit`), the allocation-free kernel, [`worker::measure`] and the record's
//! encoding — and, for the faults tests inject, `close`, `signal`,
//! `sigprocmask` and `kill`, all async-signal-safe. It never returns into
//! the parent's code, never runs destructors and never unwinds: a guard
//! turns an (impossible) panic into `_exit` with a status of its own.

use std::os::fd::RawFd;

use super::record;
use crate::fault::Fault;
use crate::kernel;
use crate::kernel::Workload;
use crate::os::signal_safe::{self, NumberBuffer, exit_now};
use crate::worker;

/// Exit statuses a child uses for its own failures.
const EXIT_OUT_OF_MEMORY: i32 = 3;
const EXIT_WRITE_FAILED: i32 = 4;
const EXIT_PANICKED: i32 = 5;
const EXIT_ORPHANED: i32 = 6;

/// What a child's own exit status means, for the parent's error message.
pub(super) fn exit_meaning(code: i32) -> &'static str {
    match code {
        EXIT_OUT_OF_MEMORY => ": it could not map memory for its materialized numbers",
        EXIT_WRITE_FAILED => ": it could not write its result to the pipe",
        EXIT_PANICKED => ": it panicked",
        EXIT_ORPHANED => ": its parent had died before it started",
        _ => "",
    }
}

/// Runs worker `worker` in the forked child and ends the process: the
/// record goes to `fd`, the outcome is the exit status. Never returns.
pub(super) fn child_main(
    workload: &Workload,
    worker: usize,
    fd: RawFd,
    parent: libc::pid_t,
    fault: Option<Fault>,
) -> ! {
    // If anything below ever panicked, unwinding must not carry the child back
    // into the parent's code: this guard's destructor ends the process.
    struct ExitOnUnwind;
    impl Drop for ExitOnUnwind {
        fn drop(&mut self) {
            exit_now(EXIT_PANICKED)
        }
    }
    let _guard = ExitOnUnwind;

    // Whatever kills gilfree kills its workers too: no orphan computes on.
    if !signal_safe::die_with_parent(parent) {
        exit_now(EXIT_ORPHANED);
    }
    if let Some(fault) = fault {
        before_compute(fault);
    }
    let code = match worker::measure(worker, || child_sum(workload, worker)) {
        Ok(report) => {
            let mut record = record::encode(&report);
            let record = match fault {
                Some(fault) => corrupt(fault, &mut record),
                None => &record[..],
            };
            if !signal_safe::write_all(fd, record) {
                EXIT_WRITE_FAILED
            } else {
                if let Some(Fault::Linger(pause)) = fault {
                    // SAFETY: closing this child's own write end, written above.
                    unsafe { libc::close(fd) };
                    signal_safe::sleep(pause);
                }
                0
            }
        }
        Err(code) => code,
    };
    exit_now(code)
}

/// The worker's sum, in the child; with `--materialize` the numbers go into
/// memory mapped with `mmap(2)`, since `malloc` is off limits after `fork`.
fn child_sum(workload: &Workload, worker: usize) -> Result<i64, i32> {
    if !workload.materialize() || workload.count() == 0 {
        return Ok(kernel::worker_sum(workload, worker));
    }
    // Workload::new checked that count × 8 bytes fits in a usize.
    let Some(mut buffer) = NumberBuffer::new(workload.count() as usize) else {
        return Err(EXIT_OUT_OF_MEMORY);
    };
    let numbers = buffer.as_mut_slice();
    kernel::fill_worker_numbers(workload, worker, numbers);
    Ok(kernel::sum_numbers(numbers))
}

/// An injected fault that strikes before the worker computes (tests only;
/// see [`crate::fault`]).
fn before_compute(fault: Fault) {
    match fault {
        Fault::Panic => exit_now(EXIT_PANICKED),
        Fault::Exit(code) => exit_now(code),
        Fault::Kill(signal) => {
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
        Fault::NoRecord => exit_now(0),
        Fault::Sleep(pause) => signal_safe::sleep_visibly(pause),
        _ => {}
    }
}

/// The record as an injected fault sends it: cut short or garbled (tests
/// only).
fn corrupt(fault: Fault, record: &mut [u8; record::RECORD_LEN]) -> &[u8] {
    match fault {
        Fault::ShortRecord => &record[..record::RECORD_LEN / 3],
        Fault::Garbled => {
            record[0] ^= 0xff;
            &record[..]
        }
        _ => &record[..],
    }
}
