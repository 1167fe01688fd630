//! Threads as CPython runs them: an **emulation** of the global interpreter
//! lock, not CPython itself.
//!
//! One OS thread per worker, all sharing one lock that stands for the GIL. A
//! worker draws numbers only while it holds the lock. As in CPython 3.2 and
//! later ("the new GIL"), a thread that wants the lock waits on a condition
//! variable for at most the switch interval (CPython's
//! `sys.getswitchinterval()`, 5 ms by default); if the same holder still has
//! it then, the waiter sets a drop request, which the holder checks between
//! small pieces of work (CPython checks its "eval breaker" between bytecodes).
//! The holder then releases the lock and — CPython's `FORCE_SWITCHING` — waits
//! until another thread has taken it before it asks again, so that a thread
//! cannot take the lock straight back and every worker makes progress.
//!
//! The result: the workers take turns, CPU utilization stays near one core
//! whatever their number, and the wall time is about the sequential one,
//! which is what the book measured for its threads (129 % CPU on four cores;
//! CPython also runs some code outside the GIL, such as I/O, which this
//! workload has none of). The sums are the same as every other backend's.
//! Each worker records when it held the lock ([`WorkerReport::held_ns`]), for
//! the timeline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use crate::backend::returned::{self, Returned};
use crate::backend::spawn::{check_thread_limit, reports_or_first_failure, spawn_and_join};
use crate::backend::{Backend, BackendKind, Lock, Profile, Schedule, WorkerKind};
use crate::error::{Error, WorkerFailure};
use crate::kernel::Workload;
use crate::kernel::{self, Stream};
use crate::os::signal_safe as sys;
use crate::worker::{self, WorkerReport, record_held};

const NAME: &str = "gil";
const PROFILE: Profile = Profile::rust(
    NAME,
    "one thread per worker, computing only while holding one global lock, \
     handed over every switch interval (an emulation of CPython's GIL)",
    WorkerKind::Thread,
    Schedule::TakingTurns(Lock::Emulated),
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::new(PROFILE, |options| {
    Ok(Box::new(GilBackend::new(options.switch_interval)?))
});

/// CPython's default switch interval (`sys.getswitchinterval()`).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// Numbers drawn between two checks of the drop request: about 5 µs of work,
/// small against any switch interval worth having.
const PIECE: u64 = 4096;

/// One thread per worker, taking turns on one global lock every switch interval.
#[derive(Debug, Clone, Copy)]
pub struct GilBackend {
    switch_interval: Duration,
}

impl Default for GilBackend {
    fn default() -> Self {
        GilBackend {
            switch_interval: DEFAULT_SWITCH_INTERVAL,
        }
    }
}

impl GilBackend {
    /// A backend whose workers offer the lock every `switch_interval`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a zero interval.
    pub fn new(switch_interval: Duration) -> Result<GilBackend, Error> {
        if switch_interval.is_zero() {
            return Err(Error::InvalidOption {
                option: "switch-interval",
                value: "0".to_owned(),
                reason: "the switch interval must be positive, like sys.setswitchinterval's",
            });
        }
        Ok(GilBackend { switch_interval })
    }

    /// The switch interval.
    pub fn switch_interval(&self) -> Duration {
        self.switch_interval
    }
}

impl Backend for GilBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    // `parallelism` stays one per worker: the threads could all run at once;
    // the lock is what stops them, and the efficiency column shows its cost.

    fn check(&self, workload: &Workload) -> Result<(), Error> {
        check_thread_limit(NAME, workload)
    }

    fn prepare(&self, workload: &Workload) -> Result<(), Error> {
        returned::prepare_for(NAME, workload)
    }

    fn release(&self) {
        returned::release(NAME);
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        let gil = Gil::new(self.switch_interval);
        let mut numbers = Returned::for_workload(NAME, workload)?;
        let mut slots = returned::slots(numbers.as_mut(), workload.workers()).into_iter();
        let outcomes = thread::scope(|scope| {
            spawn_and_join(NAME, workload.workers(), |worker| {
                let gil = &gil;
                let out = slots.next().flatten();
                thread::Builder::new()
                    .name(format!("gilfree-gil-{worker}"))
                    .spawn_scoped(scope, move || {
                        (
                            worker,
                            worker::caught(|| run_worker(gil, workload, worker, out)),
                        )
                    })
            })
        })?;
        let reports = reports_or_first_failure(NAME, outcomes)?;
        Ok(returned::finish(numbers.as_ref(), workload, reports))
    }
}

/// One worker: wait for the lock, draw numbers while holding it, hand it
/// over when asked, until the stream is done.
fn run_worker(
    gil: &Gil,
    workload: &Workload,
    worker: usize,
    mut out: Option<&mut [u8]>,
) -> Result<WorkerReport, WorkerFailure> {
    let _marked = worker::InWorker::enter();
    let mut held = Vec::new();
    let width = workload.number_width();
    let mut report = worker::measure(worker, || {
        let mut turn = gil.take();
        // A pause happens holding the lock, as C code may hold it.
        worker::thread_fault(workload.fault_for(worker, Some(NAME)), worker);
        let mut stream = Stream::new(workload, worker);
        let mut buffer = workload
            .materialize()
            .then(|| worker::materialized_buffer(workload))
            .transpose()?;
        let mut filled = 0;
        while stream.remaining() > 0 {
            match (&mut out, &mut buffer) {
                // The numbers handed back, written where the parent reads
                // them, a piece at a time (an even one, or the rest).
                (Some(out), _) => {
                    let end = (filled + PIECE as usize * width).min(out.len());
                    filled += stream.fill_offsets_some(&mut out[filled..end], width) * width;
                }
                (None, None) => stream.sum_some(PIECE),
                (None, Some(buffer)) => {
                    let numbers = buffer.as_mut_slice();
                    let end = (filled + PIECE as usize).min(numbers.len());
                    filled += stream.fill_some(&mut numbers[filled..end]);
                }
            }
            if stream.remaining() > 0 && gil.drop_requested() {
                record_held(&mut held, turn.interval());
                drop(turn);
                turn = gil.take();
            }
        }
        record_held(&mut held, turn.interval());
        Ok(match (&out, &mut buffer) {
            // The parent sums them.
            (Some(_), _) => 0,
            (None, None) => stream.sum(),
            (None, Some(buffer)) => kernel::sum_numbers(buffer.as_mut_slice()),
        })
    })?;
    report.held_ns = held;
    if let Some(out) = &out {
        report.transfer = Some(worker::WorkerTransfer::in_place(
            out.len() as u64,
            report.finish_ns,
        ));
    }
    Ok(report)
}

/// The emulated GIL.
struct Gil {
    state: Mutex<State>,
    /// Signalled when the lock is released: wakes one waiter (waking all of
    /// them on every hand-over would cost a context switch each).
    released: Condvar,
    /// Signalled when the lock is taken: wakes the thread that released it
    /// and waits to see it taken.
    taken: Condvar,
    /// Set by a waiter whose switch interval ran out; the holder polls it
    /// cheaply between pieces of work.
    drop_request: AtomicBool,
    interval: Duration,
}

#[derive(Debug, Default)]
struct State {
    held: bool,
    /// Threads waiting in `take`.
    waiting: usize,
    /// How many times the lock has been taken: a waiter that sees the same
    /// count after its interval knows the holder has not changed.
    takes: u64,
}

/// Holding the lock; dropping it hands the lock over (also on unwind).
struct Turn<'a> {
    gil: &'a Gil,
    since_ns: u64,
}

impl Turn<'_> {
    /// From when the lock was taken until now.
    fn interval(&self) -> (u64, u64) {
        (self.since_ns, sys::monotonic_ns())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.gil.give();
    }
}

impl Gil {
    fn new(interval: Duration) -> Gil {
        Gil {
            state: Mutex::new(State::default()),
            released: Condvar::new(),
            taken: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn drop_requested(&self) -> bool {
        self.drop_request.load(Ordering::Relaxed)
    }

    /// Waits for the lock, asking the holder to drop it whenever a whole
    /// switch interval passes without a hand-over.
    fn take(&self) -> Turn<'_> {
        let mut state = self.lock();
        state.waiting += 1;
        while state.held {
            let takes = state.takes;
            let (guard, timeout) = self
                .released
                .wait_timeout(state, self.interval)
                .unwrap_or_else(PoisonError::into_inner);
            state = guard;
            if timeout.timed_out() && state.held && state.takes == takes {
                self.drop_request.store(true, Ordering::Relaxed);
            }
        }
        state.waiting -= 1;
        state.held = true;
        state.takes += 1;
        self.drop_request.store(false, Ordering::Relaxed);
        // The previous holder waits in `give` for this.
        self.taken.notify_all();
        Turn {
            gil: self,
            since_ns: sys::monotonic_ns(),
        }
    }

    /// Releases the lock; if others are waiting, waits until one of them has
    /// taken it (CPython's FORCE_SWITCHING), so the releaser cannot win it
    /// straight back.
    fn give(&self) {
        let mut state = self.lock();
        state.held = false;
        self.released.notify_one();
        let takes = state.takes;
        while state.waiting > 0 && state.takes == takes {
            state = self
                .taken
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::WorkloadSpec;

    #[test]
    fn a_zero_switch_interval_is_refused() {
        let err = GilBackend::new(Duration::ZERO).unwrap_err();
        assert!(err.is_usage());
    }

    #[test]
    fn lock_holding_intervals_never_overlap_across_workers() {
        let workload = Workload::new(WorkloadSpec {
            workers: 3,
            count: 300_000,
            seed: 4,
            ..WorkloadSpec::default()
        })
        .unwrap();
        let backend = GilBackend::new(Duration::from_micros(200)).unwrap();
        let reports = backend.run(&workload).unwrap();
        let mut all: Vec<(u64, u64)> = reports.iter().flat_map(|r| r.held_ns.clone()).collect();
        all.sort();
        for pair in all.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlap: {pair:?}");
        }
        for report in &reports {
            assert!(!report.held_ns.is_empty());
            assert!(report.held_ns.iter().all(|&(a, b)| a <= b));
            assert!(report.start_ns <= report.held_ns[0].0);
        }
    }
}
