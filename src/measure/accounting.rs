//! Where the workers' time went: running on a CPU, waiting on a run queue
//! for one, or blocked (asleep: on a lock, the GIL, a pipe).
//!
//! CPU % cannot tell a thread waiting for a lock from a thread waiting for
//! a core that another program has; the kernel can. Each worker reports
//! its own CPU time (`CLOCK_THREAD_CPUTIME_ID`, exact) and its run-queue
//! wait (the second field of its `/proc/thread-self/schedstat`, read by the
//! worker itself at its start and as its last act, so a thread that ends at
//! once is still read; a forked child reads it with `open`/`read`/`close`,
//! which are async-signal-safe, before it writes its record; the Python
//! programs read their workers' own files the same way). Over the worker's
//! wall time (`start_ns` to `finish_ns`):
//!
//! - **running** = its CPU time,
//! - **waiting for a core** = its run-queue wait,
//! - **blocked** = the rest.
//!
//! Where `schedstat` is missing (a kernel without `CONFIG_SCHED_INFO`), the
//! sampler reads every thread's state (`R`, `S`, `D`) each interval
//! ([`ThreadStates`]): the share of a worker's samples in `R` (running or
//! ready) times its wall time, less its CPU time, is its waiting, and the
//! rest blocked — a coarser reading ([`AccountingSource::SampledStates`]);
//! a worker with no sample inside its life leaves the run unaccounted.
//!
//! The shares are over the **workers**: the threads or processes that draw
//! numbers. The threads that start them and wait for them — gilfree's own
//! thread that runs the backend, the interpreter's main thread, a pool's
//! helper threads — are accounted apart ([`RunAccounting::coordinators`]),
//! never mixed in; where a worker ran on such a thread (the sequential
//! rows), its time is taken out of that thread's.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::os::schedstat::TaskState;
use crate::worker::{ThreadTime, WorkerReport};

/// A set of threads' time, split three ways. The three parts add up to the
/// threads' summed wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeAccounting {
    /// Nanoseconds on a CPU.
    pub running_ns: u64,
    /// Nanoseconds ready to run with no CPU free: contention for cores.
    pub waiting_ns: u64,
    /// Nanoseconds asleep: on a lock, a condition variable (the GIL's), a
    /// pipe, a join.
    pub blocked_ns: u64,
    /// How many distinct threads (a worker process counts as its thread)
    /// the time belongs to.
    pub threads: usize,
}

/// [`TimeAccounting`]'s parts as fractions of its total, adding up to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shares {
    /// Share of the time on a CPU.
    pub running: f64,
    /// Share waiting for a core.
    pub waiting: f64,
    /// Share blocked.
    pub blocked: f64,
}

impl TimeAccounting {
    /// The threads' summed wall time, in ns.
    pub fn total_ns(&self) -> u64 {
        self.running_ns
            .saturating_add(self.waiting_ns)
            .saturating_add(self.blocked_ns)
    }

    /// The three shares of [`total_ns`](Self::total_ns); `None` when no
    /// time was accounted.
    pub fn shares(&self) -> Option<Shares> {
        let total = self.total_ns();
        (total > 0).then(|| {
            let share = |ns: u64| ns as f64 / total as f64;
            Shares {
                running: share(self.running_ns),
                waiting: share(self.waiting_ns),
                blocked: share(self.blocked_ns),
            }
        })
    }

    /// Threads wanting to run at once, on average over `wall`: (running +
    /// waiting) ÷ wall. Eight threads that each want a core all the time
    /// read 8 however few cores they get; eight that take turns on one lock
    /// read about 1. `None` for a zero wall.
    pub fn wanting_to_run(&self, wall: Duration) -> Option<f64> {
        let wall = wall.as_nanos() as f64;
        (wall > 0.0).then(|| (self.running_ns as f64 + self.waiting_ns as f64) / wall)
    }

    /// Running on average over `wall`: cores the threads kept busy.
    pub fn cores_busy(&self, wall: Duration) -> Option<f64> {
        let wall = wall.as_nanos() as f64;
        (wall > 0.0).then(|| self.running_ns as f64 / wall)
    }

    /// The parts of both added; `threads` the larger of the two (the same
    /// threads over several runs, or one run's threads).
    pub fn merged_runs(self, other: TimeAccounting) -> TimeAccounting {
        TimeAccounting {
            running_ns: self.running_ns.saturating_add(other.running_ns),
            waiting_ns: self.waiting_ns.saturating_add(other.waiting_ns),
            blocked_ns: self.blocked_ns.saturating_add(other.blocked_ns),
            threads: self.threads.max(other.threads),
        }
    }
}

/// Where a run's accounting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountingSource {
    /// Every thread's CPU clock and its `schedstat` run-queue wait: exact
    /// up to the few microseconds of the readings themselves.
    Schedstat,
    /// Some thread's `schedstat` was missing: its waiting was estimated from
    /// the states the sampler saw it in, one look per interval.
    SampledStates,
}

impl AccountingSource {
    /// `schedstat`, `sampled states`: as in exports.
    pub fn name(self) -> &'static str {
        match self {
            AccountingSource::Schedstat => "schedstat",
            AccountingSource::SampledStates => "sampled states",
        }
    }

    /// The source called `name` ([`AccountingSource::name`]).
    pub fn named(name: &str) -> Option<AccountingSource> {
        [AccountingSource::Schedstat, AccountingSource::SampledStates]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// One measured run's accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAccounting {
    /// The workers' threads, over each worker's life.
    pub workers: TimeAccounting,
    /// The threads that started the workers and waited for them, apart:
    /// gilfree's thread that ran the backend, over the run, and for a
    /// Python row the interpreter's main thread (over its `main`) and a
    /// pool's helper threads. Time a worker spent on one of them is not
    /// counted here.
    pub coordinators: TimeAccounting,
    /// How it was measured.
    pub source: AccountingSource,
}

/// Thread states seen by the sampler, by thread id: each look's span on
/// `CLOCK_MONOTONIC` (the clock read just before and just after the state
/// was) and what the thread was doing. Only gathered where `schedstat` is
/// missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadStates {
    seen: HashMap<u32, Vec<(u64, u64, TaskState)>>,
}

impl ThreadStates {
    /// No looks yet.
    pub fn new() -> ThreadStates {
        ThreadStates::default()
    }

    /// Records that thread `tid` was in `state` at some moment between
    /// `from_ns` and `to_ns`.
    pub fn record(&mut self, tid: u32, (from_ns, to_ns): (u64, u64), state: TaskState) {
        self.seen
            .entry(tid)
            .or_default()
            .push((from_ns, to_ns, state));
    }

    /// How many looks found thread `tid` runnable, and how many found it
    /// runnable or blocked, among those wholly between `from_ns` and
    /// `to_ns`: a look that began before a worker's life or ended after it
    /// (its reader was preempted for a while) may have seen the thread
    /// before it started or after it finished, and does not count.
    pub fn runnable_between(&self, tid: u32, from_ns: u64, to_ns: u64) -> (usize, usize) {
        let looks = self.seen.get(&tid).map_or(&[][..], Vec::as_slice);
        looks
            .iter()
            .filter(|(first, last, _)| from_ns <= *first && *last <= to_ns)
            .fold((0, 0), |(runnable, counted), (_, _, state)| match state {
                TaskState::Runnable => (runnable + 1, counted + 1),
                TaskState::Blocked => (runnable, counted + 1),
                TaskState::Other => (runnable, counted),
            })
    }
}

/// One thread's time split three ways, with `waiting` taken from its
/// `schedstat` or else estimated from `states`; `None` when neither says.
/// The CPU time is capped at the wall time and the waiting at what is left
/// (readings a few microseconds apart), so the parts add up to the wall.
fn split(thread: &ThreadTime, states: Option<&ThreadStates>) -> Option<(TimeAccounting, bool)> {
    let wall = thread.finish_ns.saturating_sub(thread.start_ns);
    let running = u64::try_from(thread.cpu.as_nanos())
        .unwrap_or(u64::MAX)
        .min(wall);
    let (waiting, sampled) = match thread.waiting {
        Some(waiting) => (u64::try_from(waiting.as_nanos()).unwrap_or(u64::MAX), false),
        None => {
            let (runnable, counted) =
                states?.runnable_between(thread.tid, thread.start_ns, thread.finish_ns);
            if counted == 0 {
                return None;
            }
            let runnable_ns = (wall as f64 * runnable as f64 / counted as f64) as u64;
            (runnable_ns.saturating_sub(running), true)
        }
    };
    let waiting = waiting.min(wall - running);
    Some((
        TimeAccounting {
            running_ns: running,
            waiting_ns: waiting,
            blocked_ns: wall - running - waiting,
            threads: 1,
        },
        sampled,
    ))
}

/// Adds `part` into `sum`, counting threads.
fn add(sum: &mut TimeAccounting, part: TimeAccounting) {
    sum.running_ns = sum.running_ns.saturating_add(part.running_ns);
    sum.waiting_ns = sum.waiting_ns.saturating_add(part.waiting_ns);
    sum.blocked_ns = sum.blocked_ns.saturating_add(part.blocked_ns);
}

/// A run's accounting from its workers' reports and its coordinating
/// threads (see the module docs), with `states` for threads whose
/// `schedstat` was missing. `None` when some worker's time cannot be
/// split (no `schedstat` and no sampled state inside its life; a launched
/// rank, which does not report it) or there are no workers.
pub fn account_run(
    workers: &[WorkerReport],
    coordinators: &[ThreadTime],
    states: Option<&ThreadStates>,
) -> Option<RunAccounting> {
    if workers.is_empty() {
        return None;
    }
    let mut sampled = false;
    let mut accounted = TimeAccounting::default();
    let mut threads = HashSet::new();
    for worker in workers {
        let (part, estimated) = split(&ThreadTime::of_worker(worker), states)?;
        sampled |= estimated;
        add(&mut accounted, part);
        threads.insert((worker.pid, worker.tid));
    }
    accounted.threads = threads.len();
    let mut apart = TimeAccounting::default();
    let mut apart_threads = HashSet::new();
    for coordinator in coordinators {
        // A worker that ran on this thread: its life is the workers', not
        // the coordinator's.
        let mut own = coordinator.clone();
        for worker in workers
            .iter()
            .filter(|w| w.pid == coordinator.pid && w.tid == coordinator.tid)
        {
            let life = worker.finish_ns.saturating_sub(worker.start_ns);
            own.finish_ns = own.finish_ns.saturating_sub(life).max(own.start_ns);
            own.cpu = own.cpu.saturating_sub(worker.cpu_time);
            own.waiting = match (own.waiting, worker.waiting_for_cpu) {
                (Some(all), Some(worker)) => Some(all.saturating_sub(worker)),
                _ => None,
            };
        }
        if let Some((part, estimated)) = split(&own, states) {
            sampled |= estimated;
            add(&mut apart, part);
            apart_threads.insert((coordinator.pid, coordinator.tid));
        }
    }
    apart.threads = apart_threads.len();
    Some(RunAccounting {
        workers: accounted,
        coordinators: apart,
        source: if sampled {
            AccountingSource::SampledStates
        } else {
            AccountingSource::Schedstat
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(tid: u32, start: u64, finish: u64, cpu: u64, waiting: Option<u64>) -> WorkerReport {
        WorkerReport {
            worker: 0,
            sum: 0,
            start_ns: start,
            finish_ns: finish,
            cpu_time: Duration::from_nanos(cpu),
            waiting_for_cpu: waiting.map(Duration::from_nanos),
            cpu_at_start: None,
            cpu_at_finish: None,
            pid: 1,
            tid,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
            host: None,
            ready_ns: None,
            process: None,
            transfer: None,
        }
    }

    #[test]
    fn a_life_splits_into_running_waiting_and_the_rest_blocked() {
        let run = account_run(
            &[
                worker(10, 0, 1000, 200, Some(100)),
                worker(11, 500, 1500, 900, Some(100)),
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            run.workers,
            TimeAccounting {
                running_ns: 1100,
                waiting_ns: 200,
                blocked_ns: 700,
                threads: 2
            }
        );
        assert_eq!(run.source, AccountingSource::Schedstat);
        let shares = run.workers.shares().unwrap();
        assert_eq!(
            (shares.running, shares.waiting, shares.blocked),
            (0.55, 0.1, 0.35)
        );
        // 1300 ns of wanting to run over a 1500 ns run.
        let wanting = run.workers.wanting_to_run(Duration::from_nanos(1500));
        assert!((wanting.unwrap() - 1300.0 / 1500.0).abs() < 1e-12);
    }

    #[test]
    fn readings_beyond_the_life_are_capped_so_the_parts_add_up() {
        // CPU clock and schedstat are read a few µs apart: the CPU may
        // exceed the wall by a hair, and CPU + waiting may too.
        let run = account_run(&[worker(10, 0, 1000, 1003, Some(5))], &[], None).unwrap();
        assert_eq!(
            (
                run.workers.running_ns,
                run.workers.waiting_ns,
                run.workers.blocked_ns
            ),
            (1000, 0, 0)
        );
        let run = account_run(&[worker(10, 0, 1000, 700, Some(400))], &[], None).unwrap();
        assert_eq!(run.workers.total_ns(), 1000);
        assert_eq!(run.workers.waiting_ns, 300);
    }

    #[test]
    fn workers_on_one_thread_count_it_once() {
        let run = account_run(
            &[
                worker(10, 0, 100, 100, Some(0)),
                worker(10, 100, 200, 100, Some(0)),
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(run.workers.threads, 1);
        assert_eq!(run.workers.running_ns, 200);
    }

    #[test]
    fn a_coordinator_is_apart_and_loses_the_workers_it_ran() {
        let driver = ThreadTime {
            pid: 1,
            tid: 10,
            start_ns: 0,
            finish_ns: 1000,
            cpu: Duration::from_nanos(650),
            waiting: Some(Duration::from_nanos(50)),
        };
        // The sequential row: both workers on the coordinator's thread.
        let run = account_run(
            &[
                worker(10, 100, 400, 300, Some(0)),
                worker(10, 400, 700, 250, Some(50)),
            ],
            std::slice::from_ref(&driver),
            None,
        )
        .unwrap();
        assert_eq!(
            run.workers,
            TimeAccounting {
                running_ns: 550,
                waiting_ns: 50,
                blocked_ns: 0,
                threads: 1
            }
        );
        assert_eq!(
            run.coordinators,
            TimeAccounting {
                running_ns: 100,
                waiting_ns: 0,
                blocked_ns: 300,
                threads: 1
            }
        );
        // Workers on other threads leave it whole.
        let run = account_run(
            &[worker(11, 100, 700, 600, Some(0))],
            std::slice::from_ref(&driver),
            None,
        )
        .unwrap();
        assert_eq!(run.coordinators.total_ns(), 1000);
        assert_eq!(run.workers.threads, 1);
    }

    #[test]
    fn without_schedstat_the_waiting_comes_from_sampled_states() {
        let mut states = ThreadStates::new();
        // Runnable in 3 of 4 looks inside the life, one look outside it.
        for (at, state) in [
            (100, TaskState::Runnable),
            (300, TaskState::Runnable),
            (500, TaskState::Blocked),
            (700, TaskState::Runnable),
            (900, TaskState::Other),
            (5000, TaskState::Blocked),
        ] {
            states.record(10, (at, at + 10), state);
        }
        // A look that straddles the end of the life may have seen the
        // thread after it: it does not count.
        states.record(10, (990, 1020), TaskState::Blocked);
        assert_eq!(states.runnable_between(10, 0, 1000), (3, 4));
        let run = account_run(&[worker(10, 0, 1000, 250, None)], &[], Some(&states)).unwrap();
        // Runnable 3/4 of 1000 ns, 250 of it on a CPU.
        assert_eq!(
            (
                run.workers.running_ns,
                run.workers.waiting_ns,
                run.workers.blocked_ns
            ),
            (250, 500, 250)
        );
        assert_eq!(run.source, AccountingSource::SampledStates);
        // A thread no look saw, or no states at all: no accounting.
        assert_eq!(
            account_run(&[worker(11, 0, 1000, 250, None)], &[], Some(&states)),
            None
        );
        assert_eq!(
            account_run(&[worker(10, 0, 1000, 250, None)], &[], None),
            None
        );
        assert_eq!(account_run(&[], &[], None), None);
    }

    #[test]
    fn runs_merge_by_adding_their_parts() {
        let a = TimeAccounting {
            running_ns: 1,
            waiting_ns: 2,
            blocked_ns: 3,
            threads: 8,
        };
        let b = TimeAccounting { threads: 7, ..a };
        assert_eq!(
            a.merged_runs(b),
            TimeAccounting {
                running_ns: 2,
                waiting_ns: 4,
                blocked_ns: 6,
                threads: 8
            }
        );
        assert_eq!(TimeAccounting::default().shares(), None);
        assert_eq!(a.wanting_to_run(Duration::ZERO), None);
        assert_eq!(
            AccountingSource::named("schedstat"),
            Some(AccountingSource::Schedstat)
        );
        assert_eq!(
            AccountingSource::named(AccountingSource::SampledStates.name()),
            Some(AccountingSource::SampledStates)
        );
    }
}
