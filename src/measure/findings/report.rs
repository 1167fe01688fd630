//! A report's findings, from its rows' profiles and figures.

use std::time::Duration;

use super::{
    AboveCeilingCause, Accounted, Advice, BUSY_SHARE, FewCoresCause, Finding, Findings,
    LOCKED_BLOCKED, LaunchSplit, MIN_ACCOUNTED_LIFE, ONE_CORE, SHORT_JOB, TURNS_BLOCKED,
    WIDE_SPREAD,
};
use crate::backend::{Language, Lock, Profile, Schedule, WorkerKind};
use crate::measure::stats;
use crate::measure::{BackendResult, Report};

impl Report {
    /// The cores `result` kept busy on average: its median CPU ÷ 100 %.
    pub fn cores_busy(&self, result: &BackendResult) -> f64 {
        result.cpu_percent_median() / 100.0
    }

    /// The Rust row that `result`, a row of another language, is set beside
    /// in the cross-language view: the first Rust row whose workers are of
    /// the same kind and, unless they run one after another, run at once
    /// (CPython's threads beside Rust's `threads`, its pool beside
    /// `process`, its sequential program beside `sequential`).
    pub fn counterpart(&self, result: &BackendResult) -> Option<&BackendResult> {
        if result.language() == Language::Rust {
            return None;
        }
        let schedule = match result.profile.schedule {
            Schedule::OneAfterAnother => Schedule::OneAfterAnother,
            _ => Schedule::AtOnce,
        };
        let kin = |r: &&BackendResult| {
            r.language() == Language::Rust
                && r.profile.worker == result.profile.worker
                && r.profile.schedule == schedule
        };
        // The row that hands its numbers back the same way, where the
        // copying (pipe, pickle) and the sharing kind both ran.
        let copies = |r: &BackendResult| r.profile.returns.copies() > 0;
        self.results
            .iter()
            .filter(kin)
            .find(|r| copies(r) == copies(result))
            .or_else(|| self.results.iter().find(kin))
    }

    /// Every conclusion this report's figures support, in the order the
    /// explanation states them: the machine, the rows' readings, the
    /// claims to qualify, the job's size, the runs' noise.
    pub fn findings(&self) -> Findings {
        let mut findings = Vec::new();
        self.contention_findings(&mut findings);
        self.reading_findings(&mut findings);
        self.single_thread_findings(&mut findings);
        self.ceiling_findings(&mut findings);
        self.launch_findings(&mut findings);
        self.transfer_findings(&mut findings);
        self.size_findings(&mut findings);
        self.noise_findings(&mut findings);
        // The ceiling, once known, qualifies the claims that state it.
        let exceeded = findings
            .iter()
            .any(|f| matches!(f, Finding::AboveCeiling { .. }));
        for finding in &mut findings {
            match finding {
                Finding::RanInParallel {
                    rows,
                    ceiling_exceeded,
                    ..
                } => {
                    *ceiling_exceeded = rows.iter().any(|row| {
                        self.result(row)
                            .is_some_and(|r| self.above_ceiling(r).is_some())
                    });
                }
                Finding::Oversubscribed {
                    ceiling_exceeded, ..
                } => *ceiling_exceeded = exceeded,
                _ => {}
            }
        }
        Findings(findings)
    }

    fn contention_findings(&self, findings: &mut Vec<Finding>) {
        for result in &self.results {
            if let Some(contended) = self.contended(result) {
                findings.push(Finding::Contended {
                    row: result.name(),
                    contended,
                    usable_cores: self.usable_parallelism(result),
                });
            }
        }
        for result in &self.results {
            if result.profile.is_baseline() && self.contended(result).is_some() {
                findings.push(Finding::BaselineSlowed {
                    row: result.name(),
                    language: result.language(),
                });
            }
        }
    }

    /// What the time accounting says of `result`, if it was accounted and
    /// its workers lived long enough for it to say ([`MIN_ACCOUNTED_LIFE`]).
    pub fn accounted(&self, result: &BackendResult) -> Option<Accounted> {
        let accounting = result.time_accounting()?;
        let lives = (self.workload.workers() * result.runs.len()).max(1) as u64;
        if Duration::from_nanos(accounting.total_ns() / lives) < MIN_ACCOUNTED_LIFE {
            return None;
        }
        Some(Accounted {
            shares: accounting.shares()?,
            wanting: result.wanting_to_run()?,
            running_cores: result.cores_busy()?,
            threads: accounting.threads,
        })
    }

    /// Cores `result`'s workers wanted but did not run on, on average while
    /// they computed (from the first worker's start to the last one's
    /// finish, summed over the runs): of the cores they wanted at once, up
    /// to the cores they could use, those they did not get. On a machine of
    /// their own they run on every core they want; what is missing, other
    /// programs had.
    fn lost_to_others(&self, result: &BackendResult) -> Option<f64> {
        lost_cores(result, self.usable_parallelism(result))
    }

    /// How each row's workers used the cores: from the time accounting
    /// where the row was accounted, else from its profile and its CPU.
    fn reading_findings(&self, findings: &mut Vec<Finding>) {
        let workers = self.workload.workers();
        let mut parallel: Vec<(Language, &'static str)> = Vec::new();
        let mut few = Vec::new();
        for result in &self.results {
            let usable = self.usable_parallelism(result);
            // One worker, or one core: nobody to take turns with, nothing
            // to run beside.
            if workers < 2 || usable < 2 {
                continue;
            }
            let row = result.name();
            if let Some(accounted) = self.accounted(result) {
                match self.accounted_reading(result, accounted) {
                    Reading::Parallel => parallel.push((result.language(), row)),
                    Reading::Few(finding) => few.push(finding),
                    Reading::Other(finding) => findings.push(finding),
                }
                continue;
            }
            let busy = self.cores_busy(result);
            let one_core = busy < ONE_CORE;
            let contended = self.contended(result);
            match result.profile.schedule {
                Schedule::OneAfterAnother => {}
                Schedule::TakingTurns(lock) => {
                    // CPython's own lock is read only when the machine let
                    // it show, or when the contrast it rests on — its
                    // threads on one core, its processes on several — held
                    // even so.
                    let unreadable = lock == Lock::Gil
                        && contended.is_some()
                        && !(one_core && self.python_processes_spread(result));
                    findings.push(if unreadable {
                        Finding::CannotTell {
                            row,
                            lock: Some(lock),
                        }
                    } else if one_core {
                        Finding::TookTurns {
                            row,
                            lock: Some(lock),
                            accounted: None,
                        }
                    } else {
                        Finding::TurnsCostCpu {
                            row,
                            lock,
                            accounted: None,
                        }
                    });
                }
                Schedule::AtOnce if is_interpreter_threads(&result.profile) => {
                    findings.push(if contended.is_some() {
                        Finding::CannotTell { row, lock: None }
                    } else if one_core {
                        Finding::FewCores {
                            row,
                            cause: self.few_cores_cause(result),
                        }
                    } else {
                        Finding::FreeThreads {
                            row,
                            accounted: None,
                        }
                    });
                }
                Schedule::AtOnce => {
                    if busy >= BUSY_SHARE * usable as f64 {
                        parallel.push((result.language(), row));
                    } else {
                        few.push(Finding::FewCores {
                            row,
                            cause: self.few_cores_cause(result),
                        });
                    }
                }
            }
        }
        for language in self.languages() {
            let rows: Vec<&'static str> = parallel
                .iter()
                .filter(|(l, _)| *l == language)
                .map(|(_, row)| *row)
                .collect();
            if !rows.is_empty() {
                findings.push(Finding::RanInParallel {
                    language,
                    rows,
                    ceiling: workers.min(self.machine.logical_cores),
                    ceiling_exceeded: false,
                });
            }
        }
        findings.extend(few);
    }

    /// One accounted row's reading: blocked is taking turns, whatever the
    /// machine did ([`TURNS_BLOCKED`] for a row whose profile names its
    /// lock, [`LOCKED_BLOCKED`] for one meant to run at once); else the
    /// workers ran at once — short of the cores they wanted when other
    /// programs had them (contention), short of wanting them when they were
    /// not all computing at once.
    fn accounted_reading(&self, result: &BackendResult, accounted: Accounted) -> Reading {
        let row = result.name();
        let usable = self.usable_parallelism(result);
        let lock = match result.profile.schedule {
            Schedule::TakingTurns(lock) => Some(lock),
            _ => None,
        };
        let blocked_enough = if lock.is_some() {
            TURNS_BLOCKED
        } else {
            LOCKED_BLOCKED
        };
        if accounted.shares.blocked >= blocked_enough {
            return Reading::Other(match lock {
                Some(lock) if accounted.running_cores >= ONE_CORE => Finding::TurnsCostCpu {
                    row,
                    lock,
                    accounted: Some(accounted),
                },
                lock => Finding::TookTurns {
                    row,
                    lock,
                    accounted: Some(accounted),
                },
            });
        }
        // Workers that waited for cores they could have had lost them to
        // something. Workers starting and ending at different moments, and
        // gilfree's own threads, cost a short run a little too, so other
        // programs are named from CONTENTION_WARNING of the cores only when
        // /proc/stat saw them take cores (the row is contended); where it saw
        // none, never; where it cannot say (no sampler, runs too short for
        // its tick), from UNCONFIRMED_WAITING, a loss no ragged start explains.
        let wanted_cores = usable.min(accounted.threads).max(1) as f64;
        let threshold = match (self.contended(result).is_some(), result.others()) {
            (true, _) => Some(crate::measure::CONTENTION_WARNING),
            (false, crate::measure::Others::Cores(_)) => None,
            (false, _) => Some(UNCONFIRMED_WAITING),
        };
        if let (Some(lost_cores), Some(threshold)) = (self.lost_to_others(result), threshold)
            && lost_cores >= threshold * wanted_cores
        {
            return Reading::Other(Finding::WaitedForCores {
                row,
                accounted,
                lost_cores,
                usable_cores: usable,
            });
        }
        if accounted.wanting < BUSY_SHARE * usable as f64 {
            return Reading::Few(Finding::FewCores {
                row,
                cause: self.few_cores_cause(result),
            });
        }
        if is_interpreter_threads(&result.profile) {
            Reading::Other(Finding::FreeThreads {
                row,
                accounted: Some(accounted),
            })
        } else {
            Reading::Parallel
        }
    }

    /// What the free-threaded build's one thread costs: its sequential row
    /// without the GIL against a sequential row with it.
    fn single_thread_findings(&self, findings: &mut Vec<Finding>) {
        let sequential = |free: bool| {
            self.results.iter().find(|r| {
                r.profile.schedule == Schedule::OneAfterAnother
                    && r.language() != Language::Rust
                    && r.interpreter.as_ref().is_some_and(|i| {
                        if free {
                            i.free_threaded_build && !i.gil_enabled
                        } else {
                            i.gil_enabled
                        }
                    })
            })
        };
        if let (Some(free), Some(with_gil)) = (sequential(true), sequential(false)) {
            let gil_wall = with_gil.wall_median().as_secs_f64();
            if gil_wall > 0.0 {
                findings.push(Finding::SingleThreadCost {
                    free: free.name(),
                    with_gil: with_gil.name(),
                    ratio: free.wall_median().as_secs_f64() / gil_wall,
                    same_build: free.interpreter.as_ref().map(|i| &i.command)
                        == with_gil.interpreter.as_ref().map(|i| &i.command),
                });
            }
        }
    }

    /// Whether the Python row whose workers are processes, beside `threads`,
    /// kept more than one core busy: the contrast the GIL's reading rests on.
    fn python_processes_spread(&self, threads: &BackendResult) -> bool {
        self.results.iter().any(|r| {
            r.language() == threads.language()
                && r.profile.worker == WorkerKind::Process
                && self.cores_busy(r) >= ONE_CORE
        })
    }

    fn few_cores_cause(&self, result: &BackendResult) -> FewCoresCause {
        if let Some(contended) = self.contended(result) {
            FewCoresCause::Contended(contended)
        } else if self.baseline().wall_median() < SHORT_JOB {
            FewCoresCause::ShortJob
        } else {
            FewCoresCause::NotAtOnce
        }
    }

    /// How far above its ceiling `result`'s speedup is, if it is.
    fn above_ceiling(&self, result: &BackendResult) -> Option<(f64, usize)> {
        let speedup = self.speedup(result)?;
        let ceiling = self.usable_parallelism(result);
        (speedup > ceiling as f64).then_some((speedup, ceiling))
    }

    fn ceiling_findings(&self, findings: &mut Vec<Finding>) {
        for result in &self.results {
            let Some((speedup, ceiling)) = self.above_ceiling(result) else {
                continue;
            };
            let Some(baseline) = self.baseline_of(result) else {
                continue;
            };
            let per_number = |r: &BackendResult| {
                let numbers = self.workload.total_numbers().max(1) as f64;
                let cpu: Vec<f64> = r
                    .runs
                    .iter()
                    .map(|run| run.cpu_time().as_secs_f64())
                    .collect();
                stats::median(&cpu).map(|c| Duration::from_secs_f64(c / numbers))
            };
            let shortest = result.wall_median().min(baseline.wall_median());
            let cause = if self.contended(baseline).is_some() {
                AboveCeilingCause::BaselineSlowed
            } else if shortest < SHORT_JOB {
                AboveCeilingCause::TooShortToTime { shortest }
            } else {
                match (per_number(baseline), per_number(result)) {
                    (Some(b), Some(r)) if b > r => AboveCeilingCause::BaselineWorkedHarder {
                        baseline_per_number: b,
                        row_per_number: r,
                    },
                    _ => AboveCeilingCause::Unexplained,
                }
            };
            findings.push(Finding::AboveCeiling {
                row: result.name(),
                speedup,
                ceiling,
                cause,
            });
        }
    }

    fn launch_findings(&self, findings: &mut Vec<Finding>) {
        for result in &self.results {
            let Some((_, run)) = result.typical_run() else {
                continue;
            };
            let Some(launch) = run.launch() else {
                continue;
            };
            let compute = run.computing();
            findings.push(Finding::Launched {
                row: result.name(),
                split: LaunchSplit {
                    wall: run.wall,
                    launch,
                    compute,
                    collection: run.wall.saturating_sub(launch + compute),
                },
                launch_dominated: launch > compute,
            });
        }
    }

    /// What moving the numbers back cost: rows that moved longer than they
    /// drew, and, where processes both copied and shared, what copying
    /// added against what the processes gained.
    fn transfer_findings(&self, findings: &mut Vec<Finding>) {
        for result in &self.results {
            let Some(transfer) = result.transfer() else {
                continue;
            };
            if transfer.moving > transfer.computing {
                findings.push(Finding::MovingDominated {
                    row: result.name(),
                    moving: transfer.moving,
                    computing: transfer.computing,
                    bytes: transfer.bytes,
                    copies: transfer.copies(),
                });
            }
        }
        for language in self.languages() {
            let processes = |copying: bool| {
                self.results.iter().find(|r| {
                    r.language() == language
                        && r.profile.worker == WorkerKind::Process
                        && r.transfer().is_some()
                        && (r.profile.returns.copies() > 0) == copying
                })
            };
            let (Some(copying), Some(sharing), Some(baseline)) = (
                processes(true),
                processes(false),
                self.result(language.baseline()),
            ) else {
                continue;
            };
            let extra = copying.wall_median().as_secs_f64() - sharing.wall_median().as_secs_f64();
            // Only when the difference stands out from both rows' own spread.
            let noise = |r: &BackendResult| (r.wall_max() - r.wall_min()).as_secs_f64();
            if extra <= noise(copying).max(noise(sharing)) {
                continue;
            }
            let bytes = copying.transfer().map_or(0, |t| t.bytes);
            let gain = baseline.wall_median().as_secs_f64() - sharing.wall_median().as_secs_f64();
            let numbers = self.workload.total_numbers().max(1) as f64;
            let crossover_width =
                (gain > 0.0 && bytes > 0).then(|| (gain / numbers) / (extra / bytes as f64));
            findings.push(Finding::CopyCost {
                copying: copying.name(),
                sharing: sharing.name(),
                baseline: baseline.name(),
                bytes,
                extra: Duration::from_secs_f64(extra),
                gain: (gain > 0.0).then(|| Duration::from_secs_f64(gain)),
                ate_gain: copying.wall_median() >= baseline.wall_median(),
                crossover_width,
            });
        }
    }

    /// The job's size: too short to show scaling, what processes cost
    /// then, more workers than cores, the memory materializing took.
    fn size_findings(&self, findings: &mut Vec<Finding>) {
        if let Some(advice) = self.count_advice() {
            findings.push(Finding::TooShort(advice));
            let first = |worker: WorkerKind| {
                self.results.iter().find(|r| {
                    r.language() == Language::Rust
                        && r.profile.worker == worker
                        && r.profile.schedule == Schedule::AtOnce
                })
            };
            if let (Some(threads), Some(process)) =
                (first(WorkerKind::Thread), first(WorkerKind::Process))
            {
                let extra =
                    process.wall_median().as_secs_f64() - threads.wall_median().as_secs_f64();
                // Only when the difference stands out from both rows' own spread.
                let noise = |r: &BackendResult| (r.wall_max() - r.wall_min()).as_secs_f64();
                if extra > noise(threads).max(noise(process)) {
                    findings.push(Finding::ProcessStartCost {
                        process: process.name(),
                        threads: threads.name(),
                        extra: Duration::from_secs_f64(extra),
                        per_worker: Duration::from_secs_f64(extra / self.workload.workers() as f64),
                    });
                }
            }
        }
        let (workers, cores) = (self.workload.workers(), self.machine.logical_cores);
        let at_once = self
            .results
            .iter()
            .any(|r| r.profile.schedule == Schedule::AtOnce && r.parallelism > 1);
        if workers > cores && at_once {
            findings.push(Finding::Oversubscribed {
                workers,
                cores,
                ceiling_exceeded: false,
            });
        }
        if self.workload.materialize()
            && let Some(most) = self.results.iter().max_by_key(|r| r.self_peak_rss_bytes())
        {
            findings.push(Finding::MaterializedMemory {
                row: most.name(),
                peak_bytes: most.self_peak_rss_bytes(),
                baseline_peak_bytes: self.baseline().self_peak_rss_bytes(),
            });
        }
    }

    /// The advice, when Rust's sequential row was too short for scaling to
    /// show ([`SHORT_JOB`]): a count that makes it about half a second, with
    /// the time every row — Python's too — would then take.
    fn count_advice(&self) -> Option<Advice> {
        let now = self.baseline().wall_median();
        if now >= SHORT_JOB || self.results.len() < 2 || self.workload.count() == 0 {
            return None;
        }
        let count =
            round_up_1_2_5(self.workload.count() as f64 * 0.5 / now.as_secs_f64().max(1e-6));
        let factor = count as f64 / self.workload.count() as f64;
        let scaled = |r: &BackendResult| r.wall_median().mul_f64(factor);
        let python = self.result(Language::Python.baseline());
        let command = self
            .results
            .iter()
            .map(|r| scaled(r).mul_f64((r.runs.len() + self.plan.warmup) as f64))
            .sum();
        Some(Advice {
            count,
            sequential_now: now,
            sequential: scaled(self.baseline()),
            python: python.map(scaled),
            python_now: python.map(BackendResult::wall_median),
            command,
        })
    }

    fn noise_findings(&self, findings: &mut Vec<Finding>) {
        let widest = self
            .results
            .iter()
            .map(BackendResult::wall_spread)
            .fold(0.0, f64::max);
        let noisy: Vec<(&'static str, f64)> = self
            .results
            .iter()
            .filter(|r| r.wall_spread() > WIDE_SPREAD)
            .map(|r| (r.name(), r.wall_spread()))
            .collect();
        if !noisy.is_empty() {
            findings.push(Finding::Noisy {
                rows: noisy,
                widest,
            });
        }
        let outliers: Vec<(&'static str, usize, usize)> = self
            .results
            .iter()
            .filter(|r| r.wall_outliers() > 0)
            .map(|r| (r.name(), r.wall_outliers(), r.runs.len()))
            .collect();
        if !outliers.is_empty() {
            findings.push(Finding::Outliers { rows: outliers });
        }
        if !self.plan.is_exact() {
            let unsettled: Vec<(&'static str, f64)> = self
                .results
                .iter()
                .filter(|r| r.runs.len() >= self.plan.max_runs)
                .filter_map(|r| {
                    let half = self.plan.half_width(&r.walls())?;
                    (half > self.plan.precision).then_some((r.name(), half))
                })
                .collect();
            if !unsettled.is_empty() {
                findings.push(Finding::Unsettled { rows: unsettled });
            }
        }
    }
}

/// The share of its cores a row's workers must have waited out, on a run
/// /proc/stat could not read (no sampler, or runs shorter than its tick), to
/// be read as other programs' doing: on a quiet machine 23 ms lesson rows
/// lose up to 15 % to their ragged start and end and gilfree's own threads,
/// and a busy machine takes half or more.
pub(super) const UNCONFIRMED_WAITING: f64 = 0.25;

/// Cores `result`'s workers wanted (up to `usable`) but did not run on, on
/// average while they computed ([`Report`]'s `lost_to_others`).
pub(super) fn lost_cores(result: &BackendResult, usable: usize) -> Option<f64> {
    let accounting = result.time_accounting()?;
    let span: f64 = result
        .runs
        .iter()
        .map(|run| run.computing().as_secs_f64())
        .sum::<f64>()
        * 1e9;
    if span <= 0.0 {
        return None;
    }
    let wanted = (accounting.running_ns as f64 + accounting.waiting_ns as f64) / span;
    let could = wanted.min(usable as f64);
    Some((could - accounting.running_ns as f64 / span).max(0.0))
}

/// Whether `result`'s workers took turns, as its accounting tells: blocked
/// at least [`TURNS_BLOCKED`] of their lives for a row whose profile names a
/// lock, [`LOCKED_BLOCKED`] for one meant to run at once; `None` when it was
/// not accounted.
pub(super) fn took_turns(result: &BackendResult) -> Option<bool> {
    let blocked = result.time_accounting()?.shares()?.blocked;
    Some(match result.profile.schedule {
        Schedule::TakingTurns(_) => blocked >= TURNS_BLOCKED,
        _ => blocked >= LOCKED_BLOCKED,
    })
}

/// Where an accounted row's reading goes among the findings.
enum Reading {
    /// Among the rows that ran in parallel.
    Parallel,
    /// Among the rows that used few cores, stated after the others.
    Few(Finding),
    /// A finding of its own, in report order.
    Other(Finding),
}

/// Whether the row's workers are threads of one interpreter (CPython's
/// threads): with the GIL they take turns, without it they run at once.
fn is_interpreter_threads(profile: &Profile) -> bool {
    profile.language != Language::Rust && profile.worker == WorkerKind::Thread
}

/// The smallest of 1, 2 or 5 × 10^k that is at least `x`.
pub(crate) fn round_up_1_2_5(x: f64) -> u64 {
    let mut power = 1u64;
    loop {
        for step in [1, 2, 5] {
            let candidate = power.saturating_mul(step);
            if candidate as f64 >= x || power >= 10u64.pow(18) {
                return candidate;
            }
        }
        power *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, interpreter, report};

    fn readings(report: &Report) -> Vec<Finding> {
        report
            .findings()
            .0
            .into_iter()
            .filter(|f| {
                matches!(
                    f,
                    Finding::TookTurns { .. }
                        | Finding::TurnsCostCpu { .. }
                        | Finding::FreeThreads { .. }
                        | Finding::CannotTell { .. }
                        | Finding::RanInParallel { .. }
                        | Finding::FewCores { .. }
                )
            })
            .collect()
    }

    /// The book's experiment on 2 cores, quiet.
    fn book(gil: bool, python_threads_cpu: f64) -> Report {
        report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("gil", 8, 505.0, 101.0),
                Row::new("threads", 8, 260.0, 196.0),
                Row::new("process", 8, 270.0, 195.0),
                Row::new("python-sequential", 1, 1800.0, 100.0),
                Row::new("python-threads", 8, 1840.0, python_threads_cpu),
                Row::new("python-processes", 8, 1000.0, 186.0),
            ],
            Some(interpreter(gil, !gil)),
        )
    }

    #[test]
    fn rows_not_accounted_are_read_by_their_profile_and_their_cpu() {
        assert_eq!(
            readings(&book(true, 101.0)),
            [
                Finding::TookTurns {
                    row: "gil",
                    lock: Some(Lock::Emulated),
                    accounted: None,
                },
                Finding::TookTurns {
                    row: "python-threads",
                    lock: Some(Lock::Gil),
                    accounted: None,
                },
                Finding::RanInParallel {
                    language: Language::Rust,
                    rows: vec!["threads", "process"],
                    ceiling: 2,
                    ceiling_exceeded: false,
                },
                Finding::RanInParallel {
                    language: Language::Python,
                    rows: vec!["python-processes"],
                    ceiling: 2,
                    ceiling_exceeded: false,
                },
            ]
        );
        let free = readings(&book(false, 190.0));
        assert!(free.contains(&Finding::FreeThreads {
            row: "python-threads",
            accounted: None,
        }));
        // Told the GIL is off but seeing one core, it does not invent a GIL.
        let odd = readings(&book(false, 100.0));
        assert!(odd.contains(&Finding::FewCores {
            row: "python-threads",
            cause: FewCoresCause::NotAtOnce
        }));
        let gil_spread = readings(&book(true, 160.0));
        assert!(gil_spread.contains(&Finding::TurnsCostCpu {
            row: "python-threads",
            lock: Lock::Gil,
            accounted: None,
        }));
    }

    /// The book's experiment read from the time accounting: `busy` other
    /// programs' cores, and each row's running / waiting / blocked.
    fn accounted_book(gil: bool, busy: f64) -> Report {
        // On a loaded machine the lock's waiters wait for a core after each
        // wake-up, and free workers wait most of their lives.
        let (turns, free) = if busy > 0.5 {
            ((0.12, 0.49, 0.39), (0.12, 0.88, 0.0))
        } else {
            ((0.13, 0.05, 0.82), (0.25, 0.74, 0.01))
        };
        let python_threads = if gil {
            turns
        } else {
            // Free-threaded: paused by the stop-the-world collector now and
            // then, not taking turns.
            (free.0, free.1 - 0.17, 0.17)
        };
        let cpu = |cores: f64| cores * 100.0;
        report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0).others(busy),
                Row::new("gil", 8, 505.0, cpu(1.0))
                    .others(busy)
                    .accounted(turns.0, turns.1, turns.2),
                Row::new("threads", 8, 260.0, cpu(8.0 * free.0))
                    .others(busy)
                    .accounted(free.0, free.1, free.2),
                Row::new("python-sequential", 1, 1800.0, 100.0).others(busy),
                Row::new("python-threads", 8, 1840.0, 80.0)
                    .others(busy)
                    .accounted(python_threads.0, python_threads.1, python_threads.2),
                Row::new("python-processes", 8, 1500.0, cpu(8.0 * free.0))
                    .others(busy)
                    .accounted(free.0, free.1, free.2),
            ],
            Some(interpreter(gil, !gil)),
        )
    }

    #[test]
    fn waiting_for_cores_is_blamed_on_other_programs_only_when_proc_stat_saw_them() {
        // 8 workers on 2 cores that ran 0.21 of their lives: 1.7 cores
        // busy, 0.3 short of the 2 they wanted — on a machine /proc/stat saw
        // quiet (gilfree's own threads, a short run's ragged start and end)
        // and on one others kept 1.5 cores busy. Without /proc/stat (no
        // sampler): only a loss no ragged start explains — 0.3 of 2 cores is
        // not blamed, 1.2 of 2 (running 0.10) is.
        for (others, running, blamed) in [
            (Some(0.0), 0.21, false),
            (Some(1.5), 0.21, true),
            (None, 0.21, false),
            (None, 0.10, true),
        ] {
            let mut sequential = Row::new("sequential", 1, 40.0, 100.0);
            let mut threads = Row::new("threads", 8, 24.0, 800.0 * running).accounted(
                running,
                1.0 - running,
                0.0,
            );
            if let Some(others) = others {
                sequential = sequential.others(others);
                threads = threads.others(others);
            }
            let mut r = report(vec![sequential, threads], None);
            if others.is_none() {
                for run in r.results.iter_mut().flat_map(|x| x.runs.iter_mut()) {
                    run.contention = None;
                }
            }
            let findings = r.findings();
            let reading = findings.reading("threads");
            assert_eq!(
                matches!(reading, Some(Finding::WaitedForCores { .. })),
                blamed,
                "others {others:?}, running {running}: {reading:?}"
            );
            if others.is_some() {
                assert_eq!(findings.contended("threads").is_some(), blamed);
            }
        }
    }

    #[test]
    fn the_accounting_names_the_gil_on_a_quiet_and_on_a_loaded_machine() {
        for busy in [0.0, 1.5] {
            let r = accounted_book(true, busy);
            let findings = r.findings();
            assert!(
                matches!(
                    findings.reading("python-threads"),
                    Some(Finding::TookTurns {
                        lock: Some(Lock::Gil),
                        accounted: Some(_),
                        ..
                    })
                ),
                "{busy}: {:?}",
                findings.reading("python-threads")
            );
            assert!(
                matches!(
                    findings.reading("gil"),
                    Some(Finding::TookTurns {
                        lock: Some(Lock::Emulated),
                        ..
                    })
                ),
                "{busy}"
            );
            assert!(!findings.any(|f| matches!(f, Finding::CannotTell { .. })));
            // The machine is still said to be shared.
            assert_eq!(
                findings.contended("python-threads").is_some(),
                busy > 0.5,
                "{busy}"
            );
            // Free workers: in parallel when quiet; waiting for cores that
            // others had, named as contention, when loaded.
            match findings.reading("python-processes") {
                Some(Finding::RanInParallel { .. }) => assert!(busy < 0.5),
                Some(Finding::WaitedForCores {
                    lost_cores,
                    usable_cores: 2,
                    ..
                }) => {
                    assert!(busy > 0.5);
                    // 8 × 0.12 cores ran of the 2 they wanted.
                    assert!((lost_cores - 1.04).abs() < 1e-6, "{lost_cores}");
                }
                other => panic!("{busy}: {other:?}"),
            }
            assert!(matches!(
                findings.reading("threads"),
                Some(Finding::RanInParallel { .. } | Finding::WaitedForCores { .. })
            ));
        }
    }

    #[test]
    fn free_threads_paused_now_and_then_are_not_taking_turns() {
        for busy in [0.0, 1.5] {
            let findings = accounted_book(false, busy).findings();
            assert!(
                matches!(
                    findings.reading("python-threads"),
                    Some(
                        Finding::FreeThreads {
                            accounted: Some(_),
                            ..
                        } | Finding::WaitedForCores { .. }
                    )
                ),
                "{busy}: {:?}",
                findings.reading("python-threads")
            );
        }
    }

    #[test]
    fn workers_meant_to_run_at_once_that_mostly_slept_took_turns_on_a_lock_of_their_own() {
        let r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("mutex", 8, 520.0, 100.0).accounted(0.12, 0.02, 0.86),
                Row::new("paused", 8, 300.0, 200.0).accounted(0.25, 0.4, 0.35),
            ],
            None,
        );
        let findings = r.findings();
        assert!(matches!(
            findings.reading("mutex"),
            Some(Finding::TookTurns { lock: None, .. })
        ));
        assert!(matches!(
            findings.reading("paused"),
            Some(Finding::RanInParallel { .. })
        ));
    }

    #[test]
    fn one_worker_has_nobody_to_take_turns_with() {
        let mut r = book(true, 101.0);
        r.workload = crate::kernel::Workload::new(crate::kernel::WorkloadSpec {
            workers: 1,
            ..crate::kernel::WorkloadSpec::default()
        })
        .unwrap();
        assert_eq!(readings(&r), []);
        assert!(
            !r.findings()
                .any(|f| matches!(f, Finding::Oversubscribed { .. }))
        );
    }

    #[test]
    fn without_the_accounting_a_shared_machine_hides_the_gil_unless_the_contrast_holds() {
        let busy = |processes_cpu: f64| {
            report(
                vec![
                    Row::new("sequential", 1, 500.0, 100.0),
                    Row::new("python-sequential", 1, 1800.0, 100.0),
                    Row::new("python-threads", 8, 1840.0, 80.0).others(1.5),
                    Row::new("python-processes", 8, 1500.0, processes_cpu).others(0.8),
                ],
                Some(interpreter(true, false)),
            )
        };
        assert!(readings(&busy(110.0)).contains(&Finding::CannotTell {
            row: "python-threads",
            lock: Some(Lock::Gil)
        }));
        assert!(readings(&busy(150.0)).contains(&Finding::TookTurns {
            row: "python-threads",
            lock: Some(Lock::Gil),
            accounted: None,
        }));
    }

    #[test]
    fn contention_slows_a_baseline_and_leaves_idle_cores_alone() {
        let r = report(
            vec![
                // One core used, one spare: 0.9 cores of others cost nothing.
                Row::new("sequential", 1, 500.0, 100.0).others(0.9),
                Row::new("threads", 8, 260.0, 196.0).others(0.15),
                Row::new("rayon", 2, 300.0, 170.0).others(0.3),
            ],
            None,
        );
        let findings = r.findings();
        let rows: Vec<&str> = findings.contended_rows().iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, ["rayon"]);
        assert!(!findings.any(|f| matches!(f, Finding::BaselineSlowed { .. })));
        let slowed = report(
            vec![
                Row::new("sequential", 1, 800.0, 60.0).others(1.4),
                Row::new("threads", 8, 700.0, 95.0).others(1.0),
            ],
            None,
        );
        let findings = slowed.findings();
        assert!(findings.0.contains(&Finding::BaselineSlowed {
            row: "sequential",
            language: Language::Rust
        }));
        assert!(matches!(
            findings.reading("threads"),
            Some(Finding::FewCores {
                cause: FewCoresCause::Contended(_),
                ..
            })
        ));
    }

    #[test]
    fn a_speedup_above_the_cores_is_a_finding_with_its_cause() {
        // Quiet, and the baseline spent more CPU per number than threads.
        let r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 200.0, 190.0),
            ],
            None,
        );
        let findings = r.findings();
        let above = findings
            .iter()
            .find_map(|f| match f {
                Finding::AboveCeiling {
                    row,
                    speedup,
                    ceiling,
                    cause,
                } => Some((*row, *speedup, *ceiling, *cause)),
                _ => None,
            })
            .unwrap();
        assert_eq!((above.0, above.2), ("threads", 2));
        assert!((above.1 - 2.5).abs() < 1e-9, "{above:?}");
        // 500 ms of CPU against 380 ms for the same numbers.
        assert!(
            matches!(above.3, AboveCeilingCause::BaselineWorkedHarder { baseline_per_number, row_per_number } if baseline_per_number > row_per_number),
            "{above:?}"
        );
        assert!(findings.any(|f| matches!(
            f,
            Finding::RanInParallel {
                ceiling_exceeded: true,
                ..
            }
        )));
        assert!(findings.any(|f| matches!(
            f,
            Finding::Oversubscribed {
                ceiling_exceeded: true,
                ..
            }
        )));
    }

    #[test]
    fn a_speedup_above_the_cores_in_runs_too_short_to_time_says_so() {
        let r = report(
            vec![
                Row::new("sequential", 1, 20.0, 100.0),
                Row::new("threads", 8, 8.0, 190.0),
            ],
            None,
        );
        assert!(r.findings().any(|f| matches!(
            f,
            Finding::AboveCeiling {
                cause: AboveCeilingCause::TooShortToTime { shortest },
                ..
            } if *shortest == Duration::from_millis(8)
        )));
    }

    #[test]
    fn the_counterpart_of_a_python_row_is_the_rust_row_of_its_kind() {
        let r = book(true, 101.0);
        let name = |n: &str| r.counterpart(r.result(n).unwrap()).map(|c| c.name());
        assert_eq!(name("python-sequential"), Some("sequential"));
        assert_eq!(name("python-threads"), Some("threads"));
        assert_eq!(name("python-processes"), Some("process"));
        assert_eq!(name("threads"), None);
    }

    #[test]
    fn count_advice_weighs_the_python_rows() {
        let rust_only = report(
            vec![
                Row::new("sequential", 1, 7.0, 100.0),
                Row::new("threads", 8, 4.0, 180.0),
            ],
            None,
        );
        let advice = *rust_only.findings().too_short().unwrap();
        assert_eq!(advice.count, 100_000_000);
        assert!(!advice.python_too_long());
        let with_python = report(
            vec![
                Row::new("sequential", 1, 7.0, 100.0),
                Row::new("threads", 8, 4.0, 180.0),
                Row::new("python-sequential", 1, 1700.0, 100.0),
                Row::new("python-threads", 8, 1750.0, 101.0),
            ],
            Some(interpreter(true, false)),
        );
        let advice = *with_python.findings().too_short().unwrap();
        assert!(advice.python_too_long(), "{advice:?}");
    }

    /// Copy against zero-copy at 8 × 50M one-byte numbers on 2 cores.
    fn handed_back(process_ms: f64, shared_ms: f64, moving_ms: f64) -> Report {
        let mut r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0).moved(500.0, 0.0, 400_000_000),
                Row::new("threads", 8, 260.0, 196.0).moved(500.0, 0.0, 400_000_000),
                Row::new("process", 8, process_ms, 190.0).moved(520.0, moving_ms, 400_000_000),
                Row::new("process-shared", 8, shared_ms, 194.0).moved(510.0, 0.0, 400_000_000),
            ],
            None,
        );
        r.workload = crate::kernel::Workload::new(crate::kernel::WorkloadSpec {
            count: 50_000_000,
            returns: crate::kernel::Return::Numbers,
            ..crate::kernel::WorkloadSpec::default()
        })
        .unwrap();
        r
    }

    #[test]
    fn moving_that_outlasts_drawing_is_a_finding_of_that_row_only() {
        let findings = handed_back(700.0, 270.0, 900.0).findings();
        let dominated: Vec<&Finding> = findings
            .iter()
            .filter(|f| matches!(f, Finding::MovingDominated { .. }))
            .collect();
        assert_eq!(
            dominated,
            [&Finding::MovingDominated {
                row: "process",
                moving: Duration::from_millis(900),
                computing: Duration::from_millis(520),
                bytes: 400_000_000,
                copies: 2,
            }]
        );
        // Moving for less than the drawing: no such finding.
        let findings = handed_back(400.0, 270.0, 300.0).findings();
        assert!(!findings.any(|f| matches!(f, Finding::MovingDominated { .. })));
    }

    #[test]
    fn copying_is_set_against_what_the_sharing_processes_gained() {
        let copy_cost = |r: &Report| {
            r.findings().iter().find_map(|f| match f {
                Finding::CopyCost { .. } => Some(f.clone()),
                _ => None,
            })
        };
        // Sharing gained 230 ms over sequential; copying added 330 ms: it
        // ate the gain, and process ran slower than sequential.
        let Some(Finding::CopyCost {
            copying,
            sharing,
            baseline,
            bytes,
            extra,
            gain,
            ate_gain,
            crossover_width,
        }) = copy_cost(&handed_back(600.0, 270.0, 900.0))
        else {
            panic!("no CopyCost");
        };
        assert_eq!(
            (copying, sharing, baseline),
            ("process", "process-shared", "sequential")
        );
        assert_eq!(bytes, 400_000_000);
        assert!((extra.as_secs_f64() - 0.330).abs() < 1e-9, "{extra:?}");
        assert!(
            (gain.unwrap().as_secs_f64() - 0.230).abs() < 1e-9,
            "{gain:?}"
        );
        assert!(ate_gain);
        // 0.23 s over 400M numbers, against 0.33 s over 400 MB: the whole
        // gain goes from 0.697 bytes a number.
        assert!((crossover_width.unwrap() - 0.23 / 0.33).abs() < 1e-9);
        // Copying that costs part of the gain.
        let Some(Finding::CopyCost { ate_gain, gain, .. }) =
            copy_cost(&handed_back(330.0, 270.0, 200.0))
        else {
            panic!("no CopyCost");
        };
        assert!(!ate_gain && gain.is_some());
        // Sharing processes that gained nothing: no gain to eat.
        let Some(Finding::CopyCost {
            gain,
            crossover_width,
            ate_gain,
            ..
        }) = copy_cost(&handed_back(700.0, 550.0, 200.0))
        else {
            panic!("no CopyCost");
        };
        assert_eq!((gain, crossover_width, ate_gain), (None, None, true));
        // A difference within the rows' own spread is no finding.
        assert_eq!(copy_cost(&handed_back(272.0, 270.0, 10.0)), None);
        // With sums, there is nothing to copy.
        let sums = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("process", 8, 600.0, 190.0),
                Row::new("process-shared", 8, 270.0, 194.0),
            ],
            None,
        );
        assert_eq!(copy_cost(&sums), None);
    }

    #[test]
    fn suggestions_round_up_to_1_2_or_5_times_a_power_of_ten() {
        assert_eq!(round_up_1_2_5(1.78e7), 20_000_000);
        assert_eq!(round_up_1_2_5(1e7), 10_000_000);
        assert_eq!(round_up_1_2_5(3e3), 5_000);
        assert_eq!(round_up_1_2_5(0.5), 1);
    }
}
