//! What one worker runs and what it hands back: the body every thread-based
//! backend runs for a worker ([`run_worker_caught`]), the clock readings
//! around it (`measure`, which a forked child may call too), and the
//! [`WorkerReport`].

use std::time::Duration;

use crate::error::WorkerFailure;
use crate::fault::Fault;
use crate::kernel;
use crate::kernel::Workload;
use crate::os::signal_safe::{self as sys, NumberBuffer};

/// One worker's result and the facts needed to draw its timeline.
///
/// Times are on `CLOCK_MONOTONIC`, which is system-wide, so the reports of
/// forked children line up with their parent's clock and with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    /// The worker's index, `0..workers`.
    pub worker: usize,
    /// The sum of the worker's numbers.
    pub sum: i64,
    /// When the worker started computing, in ns on `CLOCK_MONOTONIC`.
    pub start_ns: u64,
    /// When the worker finished computing, in ns on `CLOCK_MONOTONIC`.
    pub finish_ns: u64,
    /// CPU time the worker's thread spent computing (`CLOCK_THREAD_CPUTIME_ID`).
    pub cpu_time: Duration,
    /// How long the worker's thread waited on a run queue — ready to run,
    /// no CPU free — between `start_ns` and `finish_ns`, from the thread's
    /// own `schedstat` read at both ends ([`crate::os::schedstat`]). `None`
    /// where the kernel keeps no such statistics. The rest of the worker's
    /// wall time beyond this and `cpu_time` it was blocked (a lock, the GIL,
    /// a pipe): see [`crate::measure::accounting`].
    pub waiting_for_cpu: Option<Duration>,
    /// The CPU the worker was on when it started, where the platform says.
    pub cpu_at_start: Option<u32>,
    /// The CPU the worker was on when it finished, where the platform says.
    pub cpu_at_finish: Option<u32>,
    /// The id of the process the worker ran in.
    pub pid: u32,
    /// The kernel id of the thread the worker ran on (0 where unknown).
    pub tid: u32,
    /// Peak resident set size of the worker's own process, in bytes, when it
    /// had one: the `ru_maxrss` that `wait4` reports for a forked child.
    /// `None` for workers that ran as threads of the measuring process.
    pub peak_rss_bytes: Option<u64>,
    /// For workers that computed only while holding a lock (the `gil`
    /// backend): the intervals `(from_ns, to_ns)` on `CLOCK_MONOTONIC` during
    /// which they held it, in order. At most [`MAX_HELD_INTERVALS`]: beyond,
    /// neighbouring intervals are merged, coarsening the record. Empty for
    /// the other backends, whose workers compute from start to finish.
    pub held_ns: Vec<(u64, u64)>,
    /// The host the worker ran on, for workers that a launcher placed on
    /// hosts (the `mpi` backend's ranks); `None` for the others, which ran
    /// on this machine.
    pub host: Option<String>,
    /// For a worker that a launched engine started (an MPI rank): when the
    /// engine let it begin — the rank left its start barrier — in ns on
    /// `CLOCK_MONOTONIC`. The run's time before it went to launching. `None`
    /// for the others.
    pub ready_ns: Option<u64>,
    /// For a worker that ran in a process of its own on some host (an MPI
    /// rank): what that process and its host reported about themselves, so
    /// that a run's CPU time and cores can count every host. `None` for the
    /// others.
    pub process: Option<ProcessFacts>,
    /// How the worker's numbers came back to the parent, when workers hand
    /// their numbers back (`--return numbers`); `None` when they hand back
    /// their sums. Its `sum` is then the parent's sum of what it received.
    pub transfer: Option<WorkerTransfer>,
}

/// How one worker's numbers came back to the parent (`--return numbers`),
/// as measured. The worker's `finish_ns` is when it had drawn its last
/// number; from then until `delivered_ns` its numbers were on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkerTransfer {
    /// The bytes of its numbers the parent received.
    pub bytes: u64,
    /// When the parent had every one of them where it reads them, in ns on
    /// `CLOCK_MONOTONIC`: the worker's `finish_ns` where the worker wrote
    /// them there itself (a buffer or mapping the parent shares); later for
    /// those that had to be copied across (a pipe, pickling, a gather).
    pub delivered_ns: u64,
    /// The CPU time spent copying them on the way, in ns: the writer's and
    /// the reader's, in their copy calls (`write` and `read` on a pipe); 0
    /// where nothing was copied; `None` where it was not measured (the
    /// programs gilfree launches).
    pub copy_cpu_ns: Option<u64>,
    /// When the parent began summing them, in ns on `CLOCK_MONOTONIC`.
    pub sum_start_ns: u64,
    /// When it had their sum.
    pub sum_finish_ns: u64,
}

impl WorkerTransfer {
    /// A worker's numbers written where the parent reads them: delivered
    /// when the worker finished, nothing copied.
    pub(crate) fn in_place(bytes: u64, finish_ns: u64) -> WorkerTransfer {
        WorkerTransfer {
            bytes,
            delivered_ns: finish_ns,
            copy_cpu_ns: Some(0),
            ..WorkerTransfer::default()
        }
    }
}

/// What a worker that ran in a launched process (an MPI rank) reports about
/// its process and its host: the process's own CPU time, measured by
/// itself, and the host's cores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessFacts {
    /// User-mode CPU time of the whole process (its start-up, `MPI_Init`, the
    /// barrier and the compute), as `getrusage(RUSAGE_SELF)` gave it.
    pub user: Duration,
    /// Kernel-mode CPU time, likewise.
    pub system: Duration,
    /// Whether the process descended from the measuring process, so that its
    /// CPU time is already in the driver's `getrusage(RUSAGE_CHILDREN)` once
    /// reaped. False for a rank on another host, or one started by another
    /// machine's daemon (Slurm's step daemon, an ssh server).
    pub counted_by_driver: bool,
    /// Logical cores the process could run on, on its host.
    pub host_cores: usize,
    /// The host's processor model, or `"unknown"`.
    pub cpu_model: String,
    /// The host's boot id (`/proc/sys/kernel/random/boot_id`): hosts with the
    /// same one are one kernel on one machine, and share its cores.
    pub boot_id: String,
}

/// One thread's wall time, CPU time and run-queue wait over a stretch of
/// its life: a worker's (from its report) or a thread that started workers
/// and waited for them. What [`crate::measure::accounting`] splits into
/// running, waiting for a core and blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadTime {
    /// The process it belongs to.
    pub pid: u32,
    /// The thread's kernel id.
    pub tid: u32,
    /// When the stretch began, in ns on `CLOCK_MONOTONIC`.
    pub start_ns: u64,
    /// When it ended, in ns on `CLOCK_MONOTONIC`.
    pub finish_ns: u64,
    /// CPU time the thread used in it.
    pub cpu: Duration,
    /// Time it waited on a run queue in it (`schedstat`), where known.
    pub waiting: Option<Duration>,
}

impl ThreadTime {
    /// A worker's life, from its report.
    pub fn of_worker(report: &WorkerReport) -> ThreadTime {
        ThreadTime {
            pid: report.pid,
            tid: report.tid,
            start_ns: report.start_ns,
            finish_ns: report.finish_ns,
            cpu: report.cpu_time,
            waiting: report.waiting_for_cpu,
        }
    }
}

/// The calling thread's clocks at one moment, to make a [`ThreadTime`] of
/// the stretch until [`until_now`](ThreadClock::until_now).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadClock {
    start_ns: u64,
    cpu_ns: u64,
    waiting_ns: Option<u64>,
}

impl ThreadClock {
    /// The calling thread's clocks now.
    pub(crate) fn now() -> ThreadClock {
        let start_ns = sys::monotonic_ns();
        ThreadClock {
            start_ns,
            waiting_ns: sys::thread_waiting_ns(),
            cpu_ns: sys::thread_cpu_ns(),
        }
    }

    /// The calling thread's time since [`now`](ThreadClock::now) (which
    /// must have been called on this same thread).
    pub(crate) fn until_now(self) -> ThreadTime {
        let cpu_ns = sys::thread_cpu_ns();
        let waiting_ns = sys::thread_waiting_ns();
        ThreadTime {
            pid: sys::process_id(),
            tid: sys::thread_id(),
            start_ns: self.start_ns,
            finish_ns: sys::monotonic_ns(),
            cpu: Duration::from_nanos(cpu_ns.saturating_sub(self.cpu_ns)),
            waiting: self
                .waiting_ns
                .zip(waiting_ns)
                .map(|(before, after)| Duration::from_nanos(after.saturating_sub(before))),
        }
    }
}

/// The most lock-holding intervals a [`WorkerReport`] keeps.
pub const MAX_HELD_INTERVALS: usize = 1024;

/// Appends `interval` to `held`, merging neighbours pairwise when the record
/// is full so that it stays within [`MAX_HELD_INTERVALS`] and still spans the
/// whole run.
pub(crate) fn record_held(held: &mut Vec<(u64, u64)>, interval: (u64, u64)) {
    if held.len() == MAX_HELD_INTERVALS {
        let merged: Vec<(u64, u64)> = held
            .chunks(2)
            .map(|pair| (pair[0].0, pair[pair.len() - 1].1))
            .collect();
        *held = merged;
    }
    held.push(interval);
}

impl WorkerReport {
    /// Wall time from start to finish.
    pub fn wall(&self) -> Duration {
        Duration::from_nanos(self.finish_ns.saturating_sub(self.start_ns))
    }

    /// The time its numbers were on the way to the parent, from its finish
    /// to their delivery (zero where they were written in place); `None`
    /// when it handed back its sum.
    pub fn moving(&self) -> Option<Duration> {
        self.transfer
            .map(|t| Duration::from_nanos(t.delivered_ns.saturating_sub(self.finish_ns)))
    }
}

/// Runs worker `worker` of `workload` on the calling thread and reports it.
///
/// Streams the numbers, or with [`Workload::materialize`] collects them into a
/// buffer first (memory mapped, so that an impossible size is an error rather
/// than an abort, and the memory is returned to the system when the worker
/// ends). This is the common body of every thread-based backend.
///
/// # Errors
/// [`WorkerFailure::OutOfMemory`] when the materialized vector cannot be allocated.
pub fn run_worker(workload: &Workload, worker: usize) -> Result<WorkerReport, WorkerFailure> {
    run_worker_in(None, workload, worker, None)
}

fn run_worker_in(
    backend: Option<&str>,
    workload: &Workload,
    worker: usize,
    out: Option<&mut [u8]>,
) -> Result<WorkerReport, WorkerFailure> {
    let _marked = InWorker::enter();
    if let Some(out) = out {
        // The numbers go where the parent reads them; the parent sums them.
        let bytes = out.len() as u64;
        let mut report = measure(worker, || {
            thread_fault(workload.fault_for(worker, backend), worker);
            kernel::fill_worker_offsets(workload, worker, out);
            Ok::<i64, WorkerFailure>(0)
        })?;
        report.transfer = Some(WorkerTransfer::in_place(bytes, report.finish_ns));
        return Ok(report);
    }
    measure(worker, || {
        thread_fault(workload.fault_for(worker, backend), worker);
        if !workload.materialize() {
            return Ok(kernel::worker_sum(workload, worker));
        }
        let mut buffer = materialized_buffer(workload)?;
        let numbers = buffer.as_mut_slice();
        kernel::fill_worker_numbers(workload, worker, numbers);
        Ok(kernel::sum_numbers(numbers))
    })
}

/// [`run_worker`] for the backend called `backend`, with a panic caught and
/// turned into [`WorkerFailure::Panicked`], so that it names its worker
/// instead of unwinding through the backend. What every built-in thread-based
/// backend calls. (The name also lets tests aim an injected fault at one
/// backend.)
///
/// With `out` — the worker's slice of the parent's buffer, when workers
/// hand their numbers back — the worker writes its numbers there as
/// offsets ([`kernel::fill_worker_offsets`]) instead of summing them; its
/// report's `sum` is left for the parent ([`sum_delivered`]).
///
/// # Errors
/// As [`run_worker`], and [`WorkerFailure::Panicked`].
pub fn run_worker_caught(
    backend: &'static str,
    workload: &Workload,
    worker: usize,
    out: Option<&mut [u8]>,
) -> Result<WorkerReport, WorkerFailure> {
    caught(|| run_worker_in(Some(backend), workload, worker, out))
}

/// The parent's side of a worker that handed its numbers back: sums the
/// `numbers` it received (offsets, [`Workload::number_width`] bytes each)
/// into `report.sum` and times the summing in `report.transfer`.
pub fn sum_delivered(workload: &Workload, report: &mut WorkerReport, numbers: &[u8]) {
    let start = sys::monotonic_ns();
    report.sum = kernel::sum_offsets(numbers, workload.number_width(), workload.low());
    let finish = sys::monotonic_ns();
    if let Some(transfer) = &mut report.transfer {
        transfer.sum_start_ns = start;
        transfer.sum_finish_ns = finish;
    }
}

/// Runs a worker's `body` with a panic caught and turned into
/// [`WorkerFailure::Panicked`]: what [`run_worker_caught`] does, for a
/// backend whose workers run a body of their own (the `gil` backend's,
/// which takes turns on its lock).
///
/// # Errors
/// `body`'s, and [`WorkerFailure::Panicked`].
pub(crate) fn caught(
    body: impl FnOnce() -> Result<WorkerReport, WorkerFailure>,
) -> Result<WorkerReport, WorkerFailure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(WorkerFailure::Panicked(panic_message(&*payload))))
}

/// The message of a caught panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// Acts on an injected fault that a worker thread can suffer (a panic or a
/// pause; see [`crate::fault`]); the others concern worker processes.
pub(crate) fn thread_fault(fault: Option<Fault>, worker: usize) {
    match fault {
        Some(Fault::Panic) => panic!("injected fault: worker {worker} panics"),
        Some(Fault::Sleep(pause)) => crate::os::signal_safe::sleep_visibly(pause),
        _ => {}
    }
}

/// A buffer for one worker's materialized numbers.
///
/// # Errors
/// [`WorkerFailure::OutOfMemory`] when it cannot be mapped.
pub(crate) fn materialized_buffer(workload: &Workload) -> Result<NumberBuffer, WorkerFailure> {
    // Workload::new checked that count × 8 bytes fits in a usize.
    NumberBuffer::new(workload.count() as usize).ok_or(WorkerFailure::OutOfMemory {
        bytes: workload.count().saturating_mul(8),
    })
}

thread_local! {
    static IN_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[doc(hidden)]
/// Whether the calling thread is running a worker right now. A program's
/// panic hook can use it to stay quiet about a worker's panic, which the
/// backend reports as an error naming the worker.
pub fn in_worker() -> bool {
    IN_WORKER.with(std::cell::Cell::get)
}

/// Marks the thread as running a worker until dropped ([`in_worker`]).
pub(crate) struct InWorker;

impl InWorker {
    /// Marks the calling thread.
    pub(crate) fn enter() -> InWorker {
        IN_WORKER.with(|flag| flag.set(true));
        InWorker
    }
}

impl Drop for InWorker {
    fn drop(&mut self) {
        IN_WORKER.with(|flag| flag.set(false));
    }
}

/// Reads the clocks around `compute` and builds the report.
///
/// Allocates nothing itself and uses only async-signal-safe calls, so a forked
/// child may call it with an allocation-free `compute`. Every reading of the
/// thread's CPU clock and run-queue wait lies between `start_ns` and
/// `finish_ns`, so that neither can exceed the worker's wall time; the last
/// is the worker's own last act before it reports, so a thread that ends
/// right after is still accounted for.
pub(crate) fn measure<E>(
    worker: usize,
    compute: impl FnOnce() -> Result<i64, E>,
) -> Result<WorkerReport, E> {
    let cpu_at_start = sys::current_cpu();
    let start_ns = sys::monotonic_ns();
    let waiting_at_start = sys::thread_waiting_ns();
    let cpu_start_ns = sys::thread_cpu_ns();
    let sum = compute()?;
    let cpu_end_ns = sys::thread_cpu_ns();
    let waiting_at_end = sys::thread_waiting_ns();
    let finish_ns = sys::monotonic_ns();
    let cpu_at_finish = sys::current_cpu();
    Ok(WorkerReport {
        worker,
        sum,
        start_ns,
        finish_ns,
        cpu_time: Duration::from_nanos(cpu_end_ns.saturating_sub(cpu_start_ns)),
        waiting_for_cpu: match (waiting_at_start, waiting_at_end) {
            (Some(start), Some(end)) => Some(Duration::from_nanos(end.saturating_sub(start))),
            _ => None,
        },
        cpu_at_start,
        cpu_at_finish,
        pid: sys::process_id(),
        tid: sys::thread_id(),
        peak_rss_bytes: None,
        held_ns: Vec::new(),
        host: None,
        ready_ns: None,
        process: None,
        transfer: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;

    #[test]
    fn a_worker_report_carries_real_measurements() {
        let w = Workload::new(WorkloadSpec {
            count: 2_000_000,
            ..WorkloadSpec::default()
        })
        .unwrap();
        let report = run_worker(&w, 3).unwrap();
        assert_eq!(report.worker, 3);
        assert_eq!(report.sum, kernel::worker_sum(&w, 3));
        assert!(report.finish_ns > report.start_ns);
        assert!(report.cpu_time > Duration::ZERO);
        // A thread cannot use more CPU than wall time, but for a step of
        // each clock and the 500 ppm NTP may slew the monotonic clock
        // against the scheduler's, which counts CPU time.
        let step = |clock| {
            nix::time::clock_getres(clock).map_or(Duration::from_millis(10), |t| {
                Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
            })
        };
        let slack = step(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
            + step(nix::time::ClockId::CLOCK_MONOTONIC)
            + report.wall().mul_f64(500e-6);
        assert!(report.cpu_time <= report.wall() + slack, "{report:?}");
        assert_eq!(report.pid, std::process::id());
        if cfg!(target_os = "linux") {
            assert!(report.cpu_at_start.is_some() && report.cpu_at_finish.is_some());
            assert_ne!(report.tid, 0);
        }
    }

    #[test]
    fn materialized_and_streamed_workers_agree() {
        let spec = WorkloadSpec {
            count: 100_001,
            seed: 17,
            ..WorkloadSpec::default()
        };
        let streamed = Workload::new(spec.clone()).unwrap();
        let materialized = Workload::new(WorkloadSpec {
            materialize: true,
            ..spec
        })
        .unwrap();
        for worker in 0..8 {
            assert_eq!(
                run_worker(&materialized, worker).unwrap().sum,
                run_worker(&streamed, worker).unwrap().sum
            );
        }
    }
}
