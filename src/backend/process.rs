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
//! [`RECORD_LEN`] bytes and calls `_exit`. The parent then reads every pipe to
//! end-of-file, reaps every child with `wait4` (which also reports the
//! child's own peak memory) and decodes the records.
//!
//! A record is far below `PIPE_BUF` and the pipe's capacity, so a child's
//! write never blocks: the parent may read the pipes in any order without
//! deadlock, and the children run in parallel while it waits on the first.
//!
//! # What a child may do
//!
//! The parent may be multi-threaded (rayon's pool may exist), and `fork` copies
//! only the calling thread: any lock another thread held — the allocator's,
//! stdout's — stays locked forever in the child. So the child only calls
//! async-signal-safe or lock-free functions: the clock reads of
//! [`report::measure`], the allocation-free kernel, `mmap` for
//! `--materialize`, `write` and `_exit`. It never returns into the parent's
//! code, never runs destructors and never unwinds: a guard turns an
//! (impossible) panic into `_exit` with a status of its own.
//!
//! # Failures
//!
//! A signal, a non-zero status, a short or garbled record, a failed `pipe`,
//! `fork`, read or wait become an [`Error::Worker`] naming the worker. Before
//! `run` returns — on success or failure — every child has been reaped (the
//! unreaped ones are killed first) and every pipe closed.
//!
//! Runs are serialized by a process-wide lock, so that no child of one run
//! inherits the open write end of another run's pipe.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::backend::{Backend, worker_error};
use crate::error::{Error, WorkerFailure};
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

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let _serialized = FORK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let mut children = Children(Vec::with_capacity(workload.workers()));
        for worker in 0..workload.workers() {
            let (read_end, write_end) =
                pipe().map_err(|err| worker_error(NAME, worker, WorkerFailure::Pipe(err)))?;
            // SAFETY: the child branch below calls only async-signal-safe or
            // lock-free code (see the module docs) and leaves through `_exit`,
            // so no lock, allocator state or destructor of the parent's other
            // threads is touched in the child.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                let err = io::Error::last_os_error();
                return Err(worker_error(NAME, worker, WorkerFailure::Fork(err)));
            }
            if pid == 0 {
                child_main(workload, worker, write_end.as_raw_fd());
            }
            drop(write_end);
            children.0.push(Child {
                worker,
                pid,
                read_end: Some(read_end),
                record: Vec::new(),
                reaped: None,
            });
        }

        for child in &mut children.0 {
            let read_end = child.read_end.take().expect("each pipe is read once");
            File::from(read_end)
                .read_to_end(&mut child.record)
                .map_err(|err| worker_error(NAME, child.worker, WorkerFailure::Collect(err)))?;
        }
        for child in &mut children.0 {
            let reaped = wait_for(child.pid)
                .map_err(|err| worker_error(NAME, child.worker, WorkerFailure::Collect(err)))?;
            child.reaped = Some(reaped);
        }
        children
            .0
            .iter()
            .map(|child| {
                let reaped = child.reaped.expect("every child was reaped above");
                check_status(reaped.status)
                    .and_then(|()| decode(&child.record, child.worker))
                    .map(|report| WorkerReport {
                        peak_rss_bytes: Some(reaped.peak_rss_bytes),
                        ..report
                    })
                    .map_err(|failure| worker_error(NAME, child.worker, failure))
            })
            .collect()
    }
}

/// A forked child, as the parent tracks it.
struct Child {
    worker: usize,
    pid: libc::pid_t,
    read_end: Option<OwnedFd>,
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

/// `wait4(pid)`, retried on `EINTR`.
fn wait_for(pid: libc::pid_t) -> io::Result<Reaped> {
    loop {
        let mut status = 0;
        // SAFETY: rusage is plain old data, for which all-zero bytes are valid.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are valid and writable; `pid` is our child.
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            return Ok(Reaped {
                status,
                peak_rss_bytes: sys::max_rss_bytes(usage.ru_maxrss as u64),
            });
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Turns a wait status into `Ok` for a clean exit, else the failure.
fn check_status(status: libc::c_int) -> Result<(), WorkerFailure> {
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
pub(crate) fn signal_name(signal: i32) -> &'static str {
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

    let code = match report::measure(worker, || child_sum(workload, worker)) {
        Ok(report) => {
            if write_all(fd, &encode(&report)) {
                0
            } else {
                EXIT_WRITE_FAILED
            }
        }
        Err(code) => code,
    };
    // SAFETY: _exit is async-signal-safe; it skips atexit handlers and stdio
    // flushing, which belong to the parent.
    unsafe { libc::_exit(code) }
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
        }
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
