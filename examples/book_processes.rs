//! The book's listing 11-2 in Rust: eight worker processes each sum a million
//! random integers in 1..=100 and send their sum back to the parent.
//!
//! What it teaches: what `multiprocessing.Pool(processes=8).map(...)` does
//! underneath. For each worker the parent makes a pipe and `fork`s; the child
//! computes, `write`s its 8-byte sum into the pipe and `_exit`s; the parent
//! reads every pipe, waits for every child, and prints the sums in worker
//! order, as `Pool.map` returns them. No pickling, no pool start-up: a forked
//! child already has the workload in its copy of the parent's memory.
//!
//! ```text
//! time cargo run --release --example book_processes          # 8 × 1,000,000
//! cargo run --release --example book_processes -- 100000 7   # COUNT, SEED
//! ```
//!
//! gilfree's `process` backend is the same design with every failure handled
//! (a killed child, a short record, a failed fork); this example keeps only
//! what the lesson needs, and still never leaves a child unreaped.

use std::error::Error;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::Instant;

use gilfree::{Workload, WorkloadSpec, kernel};

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let (count, seed) = count_and_seed()?;
    let workload = Workload::new(WorkloadSpec {
        workers: 8,
        count,
        seed,
        ..WorkloadSpec::default()
    })?;

    let started = Instant::now();
    // Start all children first, so that they compute at the same time.
    let mut children: Vec<(libc::pid_t, File)> = Vec::new();
    let mut failure: Option<String> = None;
    for worker in 0..workload.workers() {
        let (read_end, write_end) = match pipe() {
            Ok(ends) => ends,
            Err(err) => {
                failure = Some(format!("no pipe for worker {worker}: {err}"));
                break; // and reap the children already started
            }
        };
        // SAFETY: this program has one thread, and the child only computes
        // (no allocation, no lock), writes and leaves through `_exit`.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            let err = std::io::Error::last_os_error();
            failure = Some(format!("could not fork worker {worker}: {err}"));
            break;
        }
        if pid == 0 {
            child(&workload, worker, write_end);
        }
        // Close the parent's write end, or the read below would never see EOF.
        drop(write_end);
        children.push((pid, File::from(read_end)));
    }

    // pool.map(compute, range(8)): collect the sums in worker order.
    let mut results = Vec::with_capacity(children.len());
    for (worker, (pid, mut pipe)) in children.into_iter().enumerate() {
        let mut bytes = Vec::with_capacity(8);
        let read = pipe.read_to_end(&mut bytes);
        let mut status = 0;
        // SAFETY: `pid` is our child, not yet waited for; `status` is writable.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        match (read, <[u8; 8]>::try_from(bytes.as_slice())) {
            (Ok(_), Ok(sum)) if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 => {
                results.push(i64::from_ne_bytes(sum));
            }
            _ => {
                failure.get_or_insert(format!("worker {worker} failed (wait status {status})"));
            }
        }
    }
    if let Some(failure) = failure {
        return Err(failure.into());
    }
    let elapsed = started.elapsed();

    println!("Results: {results:?}");
    println!(
        "{} processes × {count} numbers in {:.1} ms (seed {seed})",
        workload.workers(),
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The child's whole life: compute, write 8 bytes, `_exit`. Never returns.
fn child(workload: &Workload, worker: usize, pipe: OwnedFd) -> ! {
    let sum = kernel::worker_sum(workload, worker).to_ne_bytes();
    // SAFETY: `pipe` is this child's open write end and `sum` is 8 readable
    // bytes; an 8-byte write to a pipe is atomic, so it is all or nothing.
    let written = unsafe { libc::write(pipe.as_raw_fd(), sum.as_ptr().cast(), sum.len()) };
    let code = if written == 8 { 0 } else { 1 };
    // SAFETY: `_exit` ends the child at once, without running the parent's
    // atexit handlers or flushing its copied stdout buffer.
    unsafe { libc::_exit(code) }
}

/// A pipe, as (read end, write end), both closed on `exec`.
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a writable array of two file descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both descriptors are open and owned by no one else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `[COUNT [SEED]]` from the command line; the book's 1,000,000 and 2015 by default.
fn count_and_seed() -> Result<(u64, u64), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: book_processes [COUNT [SEED]] (whole numbers)";
    let count = args
        .next()
        .map_or(Ok(1_000_000), |a| a.parse())
        .map_err(|_| usage)?;
    let seed = args
        .next()
        .map_or(Ok(2015), |a| a.parse())
        .map_err(|_| usage)?;
    Ok((count, seed))
}
