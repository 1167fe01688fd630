//! Who else used the machine during a run: a sampling thread beside every
//! measured run.
//!
//! A run's figures only mean what they seem to if the run had the cores to
//! itself. The [`Sampler`] accounts for the whole machine's CPU time
//! (`/proc/stat`, the hypervisor's `steal` included) and for the run's own
//! process tree — gilfree itself, its threads, and every process descending
//! from it (forked workers, interpreters, their pool workers) — and for the
//! CPU pressure where the kernel reports it. What the machine did beyond the
//! tree is [`Contention::others_cpu`]: CPU time other programs took.
//!
//! Two kinds of figure come out:
//! - **Totals per run**, exact up to `/proc/stat`'s clock tick (10 ms per
//!   core): the machine's busy time between the run's start and end minus
//!   the tree's CPU time, which the driver measures exactly with `getrusage`
//!   once every child is reaped.
//! - **A series of samples** every [`SAMPLE_INTERVAL`]: how many cores the
//!   run's tree kept busy, and how many everything else did, for drawing
//!   "cores busy over time". The tree's part is read in nanoseconds (this
//!   process's CPU clock, minus the sampler's own, plus each descendant's
//!   CPU-time clock); a process's CPU between the last sample and its end is
//!   not seen, so a process shorter than an interval may be missed. The
//!   others' part is the machine's ticks minus the tree's, so each sample
//!   carries up to a tick per core of rounding; the totals do not.
//!
//! Where the kernel keeps no per-thread scheduler statistics (`schedstat`),
//! the sampler also reads the state (`R`, `S`, `D`) of every thread of the
//! tree at each sample, for the time accounting to fall back on
//! ([`super::accounting::ThreadStates`]); where it does, it reads none.
//!
//! The sampler's own CPU time is measured on every run
//! ([`Contention::sampler_cpu`]); it is counted as the tree's, not as
//! another program's.

use std::collections::HashMap;
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::accounting::ThreadStates;
use crate::os::procfs::{self, Descendants, MachineCpu};
use crate::os::schedstat;
use crate::os::signal_safe as sys;

/// How often the sampler looks: fine enough to draw a one-second run with
/// twenty points, coarse enough that its cost stays near half a percent of
/// one core. A wake-up costs it 100–250 µs of CPU, mostly cold caches and
/// the reading of `/proc/stat` (README: "Other programs").
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// One sample: the interval that ended `at` after the run started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When the interval ended, from the start of the run.
    pub at: Duration,
    /// Cores the run's process tree kept busy on average over the interval
    /// (1.0 = one core the whole interval), the sampler excluded.
    pub tree_cores: f64,
    /// Cores every other process kept busy, likewise (steal excluded).
    pub others_cores: f64,
}

/// What the rest of the machine did during one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Contention {
    /// CPU time other processes used during the run: the machine's busy
    /// time minus the run's tree's (never below zero).
    pub others_cpu: Duration,
    /// Time the hypervisor gave this machine's virtual CPUs to someone else
    /// while they wanted to run.
    pub steal: Duration,
    /// The time during the run that at least one runnable task waited for a
    /// CPU (`/proc/pressure/cpu`, "some"); `None` where the kernel has no
    /// PSI. A run with more workers than cores causes some itself.
    pub pressure_stalled: Option<Duration>,
    /// The CPU time the sampler itself used.
    pub sampler_cpu: Duration,
    /// The standard deviation of the error `/proc/stat`'s clock tick puts
    /// into `others_cpu` and `steal`: each core's counters move a tick at a
    /// time, so each end of the run is off by up to a tick per core, about
    /// tick/√12 per core and end.
    pub resolution: Duration,
    /// The series, one sample per [`SAMPLE_INTERVAL`] and one at the end.
    pub samples: Vec<Sample>,
}

/// The readings taken when a run starts.
#[derive(Debug, Clone, Copy)]
struct Start {
    machine: MachineCpu,
    pressure: Option<Duration>,
}

/// A running sampler: started just before a run, finished just after it.
#[derive(Debug)]
pub(crate) struct Sampler {
    start: Start,
    stop: mpsc::Sender<()>,
    thread: JoinHandle<SamplerEnd>,
}

/// What the sampler thread hands back.
struct SamplerEnd {
    intervals: Vec<Interval>,
    /// The tree's threads' states at each sample, where they were read.
    states: Option<ThreadStates>,
    /// Its CPU time, from its thread clock.
    cpu: Duration,
    /// Its user and system time (`RUSAGE_THREAD`, coarser): how to take
    /// `cpu` out of the run's user and system columns.
    user: Duration,
    system: Duration,
}

impl Sampler {
    /// Starts sampling every `interval` ([`SAMPLE_INTERVAL`] unless a
    /// picture needs finer), or `None` where `/proc/stat` cannot be read
    /// (not Linux) or no thread can be started: the run is then measured
    /// without.
    pub(crate) fn start(interval: Duration) -> Option<Sampler> {
        let (stop, stopped) = mpsc::channel();
        // The first look at the tree — listing /proc — happens here, before
        // the run is timed, so that it does not compete with the run's start.
        let mut tree = Tree::new();
        let (known, _, _) = tree.cpu(Duration::ZERO, true);
        // Thread states only where schedstat cannot say.
        let states = (!schedstat::available()).then(ThreadStates::new);
        // The machine's side of the window opens after that work of ours,
        // as close as it can to the run's getrusage.
        let start = Start {
            machine: procfs::machine_cpu()?,
            pressure: procfs::cpu_pressure(),
        };
        let began = Instant::now();
        let thread = std::thread::Builder::new()
            .name("gilfree-sampler".to_owned())
            .spawn(move || {
                sample(
                    began,
                    interval,
                    start.machine,
                    (tree, known),
                    states,
                    &stopped,
                )
            })
            .ok()?;
        Some(Sampler {
            start,
            stop,
            thread,
        })
    }

    /// Stops sampling. Returns the sampler's own user and system time, for
    /// the caller to take out of the run's, and a [`Finished`] to account
    /// for the run with.
    pub(crate) fn stop(self) -> Option<Finished> {
        let _ = self.stop.send(());
        let end = self.thread.join().ok()?;
        // The machine's side of the window closes here, as the run's
        // getrusage did just before: what the caller does next (unmapping
        // the buffer a run's numbers came back in takes tens of ms for
        // 400 MB) is its own, and no other program's.
        let machine = Start {
            machine: procfs::machine_cpu()?,
            pressure: procfs::cpu_pressure(),
        };
        Some(Finished {
            start: self.start,
            machine,
            end,
        })
    }
}

/// A sampler that has stopped.
#[derive(Debug)]
pub(crate) struct Finished {
    start: Start,
    /// The machine's CPU when the sampler stopped.
    machine: Start,
    end: SamplerEnd,
}

impl std::fmt::Debug for SamplerEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamplerEnd")
            .field("intervals", &self.intervals.len())
            .field("cpu", &self.cpu)
            .finish()
    }
}

impl Finished {
    /// The states of the tree's threads the sampler saw, by thread, where
    /// it read them (only where `schedstat` is missing); taken once.
    pub(super) fn take_thread_states(&mut self) -> Option<ThreadStates> {
        self.end.states.take()
    }

    /// The sampler's own user and system time.
    pub(crate) fn own_usage(&self) -> (Duration, Duration) {
        (self.end.user, self.end.system)
    }

    /// Accounts for the run, given the CPU time the run's tree used
    /// (`getrusage` of this process and its reaped children over the run,
    /// the sampler included).
    pub(crate) fn contention(self, tree_cpu: Duration) -> Option<Contention> {
        let Finished {
            start,
            machine: stopped,
            end: sampled,
        } = self;
        let (mut intervals, sampler_cpu) = (sampled.intervals, sampled.cpu);
        // What the series missed — a process's last moments before it ended
        // between two samples, a process too short to be seen — is known
        // exactly now, and goes where processes of the tree ended.
        let seen: Duration = intervals.iter().map(|i| i.tree).sum();
        let missed = tree_cpu.saturating_sub(sampler_cpu).saturating_sub(seen);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        place_missed(&mut intervals, missed, cores);
        let samples = intervals.iter().filter_map(Interval::sample).collect();
        let end = stopped.machine;
        let per_second = procfs::ticks_per_second();
        let delta = end.since(&start.machine);
        let busy = procfs::ticks(delta.busy_ticks, per_second);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        Some(Contention {
            others_cpu: busy.saturating_sub(tree_cpu),
            steal: procfs::ticks(delta.steal_ticks, per_second),
            pressure_stalled: match (start.pressure, stopped.pressure) {
                (Some(before), Some(after)) => Some(after.saturating_sub(before)),
                _ => None,
            },
            sampler_cpu,
            resolution: procfs::ticks(1, per_second)
                .mul_f64((2.0 * machine_cores(cores) as f64 / 12.0).sqrt()),
            samples,
        })
    }
}

/// The cores `/proc/stat` counts: every online CPU of the machine, which
/// may be more than this process may use.
fn machine_cores(fallback: u64) -> u64 {
    std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count() as u64
        })
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(fallback)
}

/// How many samples apart the sampler lists `/proc` for new processes of
/// the tree: the listing is its costliest step (about 70 µs on a quiet
/// machine); reading the clock of a process it knows costs about 2 µs.
const WALK_EVERY: usize = 4;

/// One interval between samples, before it is turned into a [`Sample`].
struct Interval {
    at: Duration,
    span: Duration,
    /// CPU time of the tree, the sampler excluded.
    tree: Duration,
    /// CPU time of the sampler.
    sampler: Duration,
    /// Busy time of the machine.
    machine: Duration,
    /// How many processes of the tree ended during it.
    ended: usize,
}

/// The sampler thread: a sample every `interval` until told to stop, then
/// a last one.
fn sample(
    began: Instant,
    interval: Duration,
    machine: MachineCpu,
    (mut tree, known): (Tree, Duration),
    mut states: Option<ThreadStates>,
    stop: &mpsc::Receiver<()>,
) -> SamplerEnd {
    let own_cpu = || Duration::from_nanos(sys::thread_cpu_ns());
    let own_usage = || {
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_THREAD)
            .map_or((Duration::ZERO, Duration::ZERO), |u| {
                (timeval(u.user_time()), timeval(u.system_time()))
            })
    };
    let cpu_at_start = own_cpu();
    let usage_at_start = own_usage();
    let per_second = procfs::ticks_per_second();
    let (mut at, mut machine, mut tree_total, mut sampler) =
        (Duration::ZERO, machine, known, Duration::ZERO);
    let mut intervals: Vec<Interval> = Vec::new();
    // The first interval since the last listing of /proc.
    let mut since_walk = 0;
    loop {
        let done = !matches!(
            stop.recv_timeout(interval),
            Err(mpsc::RecvTimeoutError::Timeout)
        );
        let Some(machine_now) = procfs::machine_cpu() else {
            break;
        };
        let sampler_now = own_cpu().saturating_sub(cpu_at_start);
        let walk = done || intervals.len() % WALK_EVERY == WALK_EVERY - 1;
        let (known, found, ended) = tree.cpu(sampler_now, walk);
        if let Some(states) = &mut states {
            tree.read_thread_states(states);
        }
        let at_now = began.elapsed();
        intervals.push(Interval {
            at: at_now,
            span: at_now.saturating_sub(at),
            tree: known.saturating_sub(tree_total),
            sampler: sampler_now.saturating_sub(sampler),
            machine: procfs::ticks(machine_now.since(&machine).busy_ticks, per_second),
            ended,
        });
        if walk {
            // A process first seen now was born since the last listing:
            // its CPU is spread over the intervals since then.
            spread(&mut intervals[since_walk..], found);
            since_walk = intervals.len();
        }
        (at, machine, tree_total, sampler) = (at_now, machine_now, known + found, sampler_now);
        if done {
            break;
        }
    }
    let usage = own_usage();
    let cpu = own_cpu().saturating_sub(cpu_at_start);
    // RUSAGE_THREAD splits user from system, but only to the tick; the
    // thread clock is exact. Its CPU is split in RUSAGE_THREAD's ratio, and
    // counted as system time (reading /proc is kernel work) when the ticks
    // saw none of it.
    let (user, system) = (
        usage.0.saturating_sub(usage_at_start.0).as_secs_f64(),
        usage.1.saturating_sub(usage_at_start.1).as_secs_f64(),
    );
    let user_share = if user + system > 0.0 {
        user / (user + system)
    } else {
        0.0
    };
    SamplerEnd {
        intervals,
        states,
        cpu,
        user: cpu.mul_f64(user_share),
        system: cpu.mul_f64(1.0 - user_share),
    }
}

/// Places the CPU time the series missed where processes of the tree ended
/// (a process's last moments fall in the interval it ended in, or just
/// before), in proportion to how many ended there; no interval is filled
/// beyond `cores` busy cores — the rest goes to the intervals before it,
/// and what still remains is spread over the whole run.
fn place_missed(intervals: &mut [Interval], missed: Duration, cores: usize) {
    let ended: usize = intervals.iter().map(|i| i.ended).sum();
    let mut left = missed;
    if ended > 0 {
        let shares: Vec<Duration> = intervals
            .iter()
            .map(|i| missed.mul_f64(i.ended as f64 / ended as f64))
            .collect();
        for (k, share) in shares.into_iter().enumerate().rev() {
            let mut share = share;
            for interval in intervals[..=k].iter_mut().rev() {
                if share.is_zero() {
                    break;
                }
                let room = interval
                    .span
                    .mul_f64(cores as f64)
                    .saturating_sub(interval.tree + interval.sampler);
                let given = share.min(room);
                interval.tree += given;
                share -= given;
                left = left.saturating_sub(given);
            }
        }
    }
    spread(intervals, left);
}

/// Adds `cpu` to the tree's time of `intervals`, in proportion to their spans.
fn spread(intervals: &mut [Interval], cpu: Duration) {
    let total: Duration = intervals.iter().map(|i| i.span).sum();
    if cpu.is_zero() || total.is_zero() {
        return;
    }
    for interval in intervals {
        interval.tree += cpu.mul_f64(interval.span.as_secs_f64() / total.as_secs_f64());
    }
}

impl Interval {
    fn sample(&self) -> Option<Sample> {
        let span = self.span.as_secs_f64();
        (span > 0.0).then(|| Sample {
            at: self.at,
            tree_cores: self.tree.as_secs_f64() / span,
            // The sampler is the tree's too, though not drawn as its work.
            others_cores: self
                .machine
                .saturating_sub(self.tree + self.sampler)
                .as_secs_f64()
                / span,
        })
    }
}

fn timeval(t: nix::sys::time::TimeVal) -> Duration {
    let whole = u64::try_from(t.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(t.tv_usec()).unwrap_or(0);
    Duration::from_micros(whole.saturating_mul(1_000_000).saturating_add(micros))
}

/// The CPU time of this process (its threads but the sampler) and of every
/// process descending from it, as the sampler last saw each.
struct Tree {
    /// Each descendant's CPU when last read, and whether it has ended: a
    /// process that ended keeps its last reading, so the total never goes
    /// back.
    last: HashMap<i32, (Duration, bool)>,
}

/// The processes of `/proc` already classified, kept from run to run: the
/// first listing reads every process's `stat`, later ones only new ones.
static DESCENDANTS: Mutex<Option<Descendants>> = Mutex::new(None);

impl Tree {
    fn new() -> Tree {
        Tree {
            last: HashMap::new(),
        }
    }

    /// Records the state of every thread of this process and of the
    /// descendants it knows alive.
    fn read_thread_states(&self, states: &mut ThreadStates) {
        let alive = self
            .last
            .iter()
            .filter(|(_, (_, gone))| !gone)
            .map(|(&pid, _)| pid as u32);
        for pid in std::iter::once(std::process::id()).chain(alive) {
            for tid in schedstat::tasks(pid) {
                let before = sys::monotonic_ns();
                if let Some(state) = schedstat::task_state(pid, tid) {
                    states.record(tid, (before, sys::monotonic_ns()), state);
                }
            }
        }
    }

    /// The tree's CPU time so far, without `sampler` (the sampler thread's
    /// own CPU since it started), from the processes known; with `walk`,
    /// `/proc` is listed first, and the CPU time of the processes first
    /// seen is returned apart. Last, how many known processes ended since
    /// the previous call.
    fn cpu(&mut self, sampler: Duration, walk: bool) -> (Duration, Duration, usize) {
        let own = procfs::process_cpu(std::process::id() as i32).unwrap_or_default();
        let mut found = Duration::ZERO;
        if walk {
            let alive = {
                let mut descendants = DESCENDANTS.lock().unwrap_or_else(|e| e.into_inner());
                descendants
                    .get_or_insert_with(|| Descendants::of(std::process::id() as i32))
                    .alive()
            };
            for pid in alive {
                if let std::collections::hash_map::Entry::Vacant(entry) = self.last.entry(pid) {
                    let cpu = procfs::process_cpu(pid).unwrap_or_default();
                    found += cpu;
                    entry.insert((cpu, false));
                }
            }
        }
        let mut known = own.saturating_sub(sampler);
        let mut ended = 0;
        for (&pid, (seen, gone)) in &mut self.last {
            if !*gone {
                match procfs::process_cpu(pid) {
                    Some(cpu) => *seen = (*seen).max(cpu),
                    None => {
                        *gone = true;
                        ended += 1;
                    }
                }
            }
            known += *seen;
        }
        (known.saturating_sub(found), found, ended)
    }
}
