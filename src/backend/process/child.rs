//! The worker process's whole life: compute, hand back the result (the
//! record, after the numbers when it hands them back), `_exit`.
//!
//! Through its pipe ([`Sink::Pipe`]), the child draws its numbers into a
//! private mapping of its own, then `write(2)`s them whole — a copy into
//! the kernel, which the parent's `read(2)` copies out again — timing the
//! CPU it spends in those writes, then its record. Into the shared mapping
//! ([`Sink::Shared`]) it draws its numbers straight into its part of the
//! mapping, then writes its record into its slot there: nothing goes
//! through the pipe, whose end of file only tells the parent that the child
//! has ended.
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
use crate::kernel::{Return, Workload};
use crate::os::signal_safe::{self, MappedBytes, NumberBuffer, exit_now};
use crate::worker;

/// Where a child hands back its result.
#[derive(Clone, Copy)]
pub(super) enum Sink<'a> {
    /// Everything through its pipe.
    Pipe,
    /// Into the mapping the parent made before forking: its record at
    /// `record_at`, its numbers (if it hands them back) at `numbers_at`.
    Shared {
        mapping: &'a MappedBytes,
        record_at: usize,
        numbers_at: usize,
    },
}

/// Exit statuses a child uses for its own failures.
const EXIT_OUT_OF_MEMORY: i32 = 3;
const EXIT_WRITE_FAILED: i32 = 4;
const EXIT_PANICKED: i32 = 5;
const EXIT_ORPHANED: i32 = 6;
const EXIT_NUMBERS_WRITE_FAILED: i32 = 10;

/// What a child's own exit status means, for the parent's error message.
pub(super) fn exit_meaning(code: i32) -> &'static str {
    match code {
        EXIT_OUT_OF_MEMORY => ": it could not map memory for its materialized numbers",
        EXIT_WRITE_FAILED => ": it could not write its result to the pipe",
        EXIT_PANICKED => ": it panicked",
        EXIT_ORPHANED => ": its parent had died before it started",
        EXIT_NUMBERS_WRITE_FAILED => ": it could not write its numbers to the pipe",
        _ => "",
    }
}

/// Runs worker `worker` in the forked child and ends the process: the
/// record goes to `fd`, the outcome is the exit status. Never returns.
pub(super) fn child_main(
    workload: &Workload,
    worker: usize,
    fd: RawFd,
    sink: Sink<'_>,
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
    let numbers = workload.returns() == Return::Numbers;
    let outcome = match sink {
        Sink::Pipe if numbers => numbers_through_pipe(workload, worker, fd, fault),
        Sink::Shared {
            mapping,
            numbers_at,
            ..
        } if numbers => {
            let len = workload.numbers_bytes_per_worker() as usize;
            // SAFETY: the parent made the mapping to hold every worker's
            // numbers and gave this worker `len` bytes at `numbers_at`,
            // which no other process writes; the parent reads them only
            // after this child has ended.
            let out = unsafe {
                std::slice::from_raw_parts_mut(mapping.as_mut_ptr().add(numbers_at), len)
            };
            worker::measure(worker, || {
                if fault == Some(Fault::DieMidWrite) {
                    kernel::fill_worker_offsets(workload, worker, &mut out[..len / 2]);
                    die_now();
                }
                kernel::fill_worker_offsets(workload, worker, out);
                Ok(0)
            })
            .map(|report| (report, 0))
        }
        _ => worker::measure(worker, || child_sum(workload, worker)).map(|report| (report, 0)),
    };
    let code = match outcome {
        Ok((report, copy_cpu_ns)) => {
            let mut record = record::encode(&report, copy_cpu_ns);
            let record = match fault {
                Some(fault) => corrupt(fault, &mut record),
                None => &record[..],
            };
            let sent = match sink {
                Sink::Pipe => signal_safe::write_all(fd, record),
                Sink::Shared {
                    mapping, record_at, ..
                } => {
                    // SAFETY: this worker's slot of RECORD_LEN bytes at
                    // `record_at`, inside the mapping, written by no other
                    // process; `record` is at most RECORD_LEN bytes.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            record.as_ptr(),
                            mapping.as_mut_ptr().add(record_at),
                            record.len(),
                        );
                    }
                    true
                }
            };
            if !sent {
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

/// Draws the worker's numbers into a private mapping, then writes them whole
/// into the pipe: the report, and the CPU time the writes took; else the
/// exit status saying why not.
fn numbers_through_pipe(
    workload: &Workload,
    worker: usize,
    fd: RawFd,
    fault: Option<Fault>,
) -> Result<(worker::WorkerReport, u64), i32> {
    // Workload::new checked that the numbers fit the address space.
    let len = workload.numbers_bytes_per_worker() as usize;
    let mut numbers = None;
    // Its own buffer is part of its work: a worker that copies needs one.
    let report = worker::measure(worker, || {
        let buffer = numbers.insert(MappedBytes::private_populated(len).ok_or(EXIT_OUT_OF_MEMORY)?);
        kernel::fill_worker_offsets(workload, worker, buffer.as_mut_slice());
        Ok::<i64, i32>(0)
    })?;
    let Some(numbers) = &numbers else {
        return Err(EXIT_OUT_OF_MEMORY);
    };
    let numbers = numbers.as_slice();
    let started = signal_safe::thread_cpu_ns();
    if fault == Some(Fault::DieMidWrite) {
        signal_safe::write_all(fd, &numbers[..len / 2]);
        die_now();
    }
    if !signal_safe::write_all(fd, numbers) {
        return Err(EXIT_NUMBERS_WRITE_FAILED);
    }
    let copy_cpu_ns = signal_safe::thread_cpu_ns().saturating_sub(started);
    Ok((report, copy_cpu_ns))
}

/// Dies at once by SIGKILL, as a worker the kernel's OOM killer picks would
/// (tests only: [`Fault::DieMidWrite`]).
fn die_now() -> ! {
    // SAFETY: kill and getpid are async-signal-safe; SIGKILL cannot be
    // blocked or handled.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    exit_now(EXIT_PANICKED)
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
