//! `--explain`: the run's [`Findings`] in plain sentences, each filled in
//! from the run's own figures. Nothing here decides what a run shows: every
//! sentence words one finding (or one group of findings of a kind), and a
//! finding that was not made is not stated.

use std::fmt::Write as _;

use super::format::{bounds, bytes, duration, megabytes, span};
use crate::backend::{Language, Lock, WorkerKind};
use crate::measure::findings::{AboveCeilingCause, Finding, Findings};
use crate::measure::{BackendResult, Report};
use crate::text::{counted, join_names};
mod phrases;

pub(super) use phrases::per_number;
use phrases::*;

/// A few plain sentences that read this run's own figures: what the CPU
/// column says about each kind of backend, how far the speedups got against
/// what the cores allow, and whether start-up costs or noise blur them.
pub fn explain(report: &Report) -> String {
    let mut out = String::from("\nWhat this run shows:\n");
    for sentence in sentences(report) {
        let _ = writeln!(out, "- {sentence}");
    }
    let accounted = super::accounting::lines(report);
    if !accounted.is_empty() {
        out.push_str("\nWhere the workers' time went (running, waiting for a core, blocked):\n");
        for line in accounted {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

/// [`explain`]'s sentences, each on its own, for views that show them
/// their own way (the HTML page).
pub fn sentences(report: &Report) -> Vec<String> {
    let findings = report.findings();
    worded(report, &findings)
        .into_iter()
        .map(|(_, sentence)| sentence)
        .collect()
}

/// Each sentence with the finding it words (the first of a group), for
/// views that choose among them (the lesson).
pub(super) fn worded<'f>(report: &Report, findings: &'f Findings) -> Vec<(&'f Finding, String)> {
    let mut sentences = Vec::new();
    let mut contention_said = false;
    let mut waited_said: Vec<Language> = Vec::new();
    for finding in findings {
        let sentence = match finding {
            Finding::Contended { .. } if contention_said => None,
            Finding::Contended { .. } => {
                contention_said = true;
                Some(others_took_cores(report, findings))
            }
            Finding::WaitedForCores { row, .. }
                if report.result(row).is_some_and(interpreter_threads) =>
            {
                sentence(report, findings, finding)
            }
            Finding::WaitedForCores { row, .. } => {
                // One sentence for every row of a language that waited
                // (but CPython's threads, whose GIL is said with them).
                let language = report.result(row).map(BackendResult::language);
                match language {
                    Some(language) if !waited_said.contains(&language) => {
                        waited_said.push(language);
                        sentence(report, findings, finding)
                    }
                    _ => None,
                }
            }
            _ => sentence(report, findings, finding),
        };
        if let Some(sentence) = sentence {
            sentences.push((finding, sentence));
        }
    }
    sentences
}

/// The one sentence for all the rows other programs took cores from.
fn others_took_cores(report: &Report, findings: &Findings) -> String {
    let rows = findings.contended_rows();
    let (lo, hi) = bounds(rows.iter().map(|(_, c)| c.summary.others_cores)).unwrap_or_default();
    let names: Vec<&str> = rows.iter().map(|(row, _)| *row).collect();
    // Every row of a language is named as the language's rows.
    let mut named: Vec<String> = Vec::new();
    for language in report.languages() {
        let of: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.language() == language)
            .map(BackendResult::name)
            .collect();
        if of.len() > 1 && of.iter().all(|n| names.contains(n)) {
            named.push(format!("every {} row", language_name(language)));
        } else {
            named.extend(
                of.iter()
                    .filter(|n| names.contains(n))
                    .map(|n| (*n).to_owned()),
            );
        }
    }
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    format!(
        "Other programs kept {} cores busy during the runs of {}: their wall times, CPU figures \
         and speedups show this machine shared, not what the backends can do{}. Re-run when it is \
         quiet.",
        span(lo, hi, 1, ""),
        join_names(&named),
        if rows.iter().any(|(row, _)| report
            .result(row)
            .and_then(|r| r.time_accounting())
            .is_some())
        {
            " — but their workers' shares of running, waiting and blocked still tell a lock from \
             a busy machine"
        } else {
            ""
        },
    )
}

/// `1.92× sequential`: a row's speedup and what it is against.
fn against(report: &Report, r: &BackendResult) -> String {
    let speedup = report.speedup(r).unwrap_or(0.0);
    let name = report
        .baseline_of(r)
        .map_or("sequential", BackendResult::name);
    format!("{speedup:.2}× {name}")
}

fn sentence(report: &Report, findings: &Findings, finding: &Finding) -> Option<String> {
    let workers = report.workload.workers();
    let cores = report.machine.logical_cores;
    let row = |name: &str| report.result(name);
    Some(match finding {
        Finding::Contended { .. } => return None,
        Finding::BaselineSlowed {
            row: name,
            language,
        } => {
            let r = row(name)?;
            format!(
                "{name} got only {:.0}% of its one core (others kept {:.2} cores busy): every {} \
                 speedup here divides by a slowed baseline.",
                r.cpu_percent_median(),
                findings.contended(name)?.summary.others_cores,
                language_name(*language),
            )
        }
        Finding::TookTurns {
            row: name,
            lock,
            accounted: Some(a),
        } => {
            let r = row(name)?;
            let shares = shares_words(a);
            match lock {
                Some(Lock::Emulated) => format!(
                    "{name}: its {} were blocked {} of their lives ({shares}): only the thread \
                     holding the lock computes, so they took turns, as the book's Python threads \
                     do; it ran at {}.",
                    counted(a.threads, "thread", "threads"),
                    percent(a.shares.blocked),
                    against(report, r),
                ),
                Some(Lock::Gil) => format!(
                    "{name}: its {} were blocked {} of their lives, asleep waiting for CPython's \
                     GIL — enabled, as the interpreter reports — which lets one thread at a time \
                     run Python code; on average {:.1} of them wanted a core at once{}. So they \
                     took turns; each process has an interpreter and a GIL of its own.{}",
                    counted(a.threads, "thread", "threads"),
                    percent(a.shares.blocked),
                    a.wanting,
                    processes_beside_accounted(report, r),
                    ratios(report, r),
                ),
                _ => format!(
                    "{name}: its {} were blocked {} of their lives ({shares}){}: they waited for \
                     each other, on a lock, and took turns — on average {:.1} of them wanted a \
                     core at once — and it ran at {}.",
                    counted(a.threads, "worker", "workers"),
                    percent(a.shares.blocked),
                    if r.profile.language != Language::Rust
                        && r.profile.worker == WorkerKind::Thread
                    {
                        " although the interpreter reports the GIL disabled"
                    } else {
                        ""
                    },
                    a.wanting,
                    against(report, r),
                ),
            }
        }
        Finding::TookTurns {
            row: name, lock, ..
        } => {
            let r = row(name)?;
            match lock {
                Some(Lock::Emulated) => format!(
                    "{name} kept about one core busy ({:.0}% CPU) although its {workers} threads \
                     could have used {}: only the thread holding the lock computes, so they \
                     took turns, as the book's Python threads do; it ran at {}.",
                    r.cpu_percent_median(),
                    counted(workers.min(cores), "core", "cores"),
                    against(report, r),
                ),
                Some(Lock::Gil) => format!(
                    "{name} kept about one core busy ({:.0}% CPU){}: that is CPython's GIL — \
                     enabled, as the interpreter reports — which lets one thread at a time run \
                     Python code, so its {workers} threads took turns; each process has an \
                     interpreter and a GIL of its own.{}",
                    r.cpu_percent_median(),
                    processes_beside(report, r),
                    speeds(report, findings, r),
                ),
                _ => format!(
                    "{name} kept about one core busy ({:.0}% CPU) although its {workers} workers \
                     could have used {} cores: they took turns, and it ran at {}.",
                    r.cpu_percent_median(),
                    workers.min(cores),
                    against(report, r),
                ),
            }
        }
        Finding::TurnsCostCpu {
            row: name,
            lock,
            accounted: Some(a),
        } => {
            let r = row(name)?;
            match lock {
                Lock::Emulated => format!(
                    "{name}: its {} were blocked {} of their lives ({}), taking turns on the lock, \
                     yet ran on {:.1} cores on average: the lock hand-overs and waiting threads \
                     cost CPU of their own here; it ran at {}.",
                    counted(a.threads, "thread", "threads"),
                    percent(a.shares.blocked),
                    shares_words(a),
                    a.running_cores,
                    against(report, r),
                ),
                _ => format!(
                    "{name}: its {} were blocked {} of their lives ({}) with the GIL enabled, yet \
                     ran on {:.1} cores on average: the GIL lets one thread run Python code at a \
                     time, so the CPU beyond one core went to the interpreter's own work outside \
                     it.{}",
                    counted(a.threads, "thread", "threads"),
                    percent(a.shares.blocked),
                    shares_words(a),
                    a.running_cores,
                    speeds(report, findings, r),
                ),
            }
        }
        Finding::TurnsCostCpu {
            row: name, lock, ..
        } => {
            let r = row(name)?;
            match lock {
                Lock::Emulated => format!(
                    "{name} used {:.0}% CPU, more than one core: the lock hand-overs and waiting \
                     threads cost CPU of their own here; it ran at {}.",
                    r.cpu_percent_median(),
                    against(report, r),
                ),
                Lock::Gil => format!(
                    "{name} used {:.0}% CPU with the GIL enabled: the GIL lets one thread run \
                     Python code at a time, so the CPU beyond one core went to the interpreter's \
                     own work outside it.{}",
                    r.cpu_percent_median(),
                    speeds(report, findings, r),
                ),
            }
        }
        Finding::FreeThreads {
            row: name,
            accounted: Some(a),
        } => {
            let r = row(name)?;
            format!(
                "{name}: its {} were running {} of their lives, waiting for a core {} and \
                 blocked {}; on average {:.1} of them wanted a core at once and they ran on \
                 {:.1}. This is a free-threaded CPython {} with the GIL disabled (PEP 703), so its \
                 threads ran Python code at the same time — the second half of the story since \
                 Python 3.13.{}",
                counted(a.threads, "thread", "threads"),
                percent(a.shares.running),
                percent(a.shares.waiting),
                percent(a.shares.blocked),
                a.wanting,
                a.running_cores,
                report
                    .interpreter
                    .as_ref()
                    .map_or("", |i| i.version.as_str()),
                ratios(report, r),
            )
        }
        Finding::WaitedForCores {
            row: name,
            accounted: a,
            lost_cores,
            usable_cores,
        } if interpreter_threads(row(name)?) => {
            let r = row(name)?;
            format!(
                "{name}: with the GIL disabled, as the interpreter reports, its {} ran at once \
                 (blocked {}) but waited for a core {} of their lives: other programs had \
                 {lost_cores:.1} of the {usable_cores} cores — contention, not a lock. It ran at {}.",
                counted(a.threads, "thread", "threads"),
                percent(a.shares.blocked),
                percent(a.shares.waiting),
                against(report, r),
            )
        }
        Finding::WaitedForCores { row: name, .. } => {
            waited_for_cores(report, findings, row(name)?.language())?
        }
        Finding::FreeThreads { row: name, .. } => {
            let r = row(name)?;
            format!(
                "{name} kept {:.1} cores busy ({:.0}% CPU){}: this is a free-threaded CPython {} \
                 with the GIL disabled (PEP 703), so its threads ran Python code at the same time \
                 — the second half of the story since Python 3.13.{}",
                report.cores_busy(r),
                r.cpu_percent_median(),
                processes_beside(report, r),
                report
                    .interpreter
                    .as_ref()
                    .map_or("", |i| i.version.as_str()),
                speeds(report, findings, r),
            )
        }
        Finding::CannotTell { row: name, lock } => {
            let r = row(name)?;
            format!(
                "{name} used {:.0}% CPU{}, but other programs kept {:.2} cores busy during its \
                 runs: this run cannot show what the {} does to threads. Run it again on a quiet \
                 machine.",
                r.cpu_percent_median(),
                processes_of(report, r)
                    .map(|p| format!(" and {} {:.0}%", p.name(), p.cpu_percent_median()))
                    .unwrap_or_default(),
                findings.contended(name)?.summary.others_cores,
                match lock {
                    Some(_) => "GIL (enabled, as the interpreter reports)",
                    None => "free-threaded interpreter",
                },
            )
        }
        Finding::RanInParallel {
            rows,
            ceiling,
            ceiling_exceeded,
            ..
        } => {
            let rows: Vec<&BackendResult> = rows.iter().filter_map(|n| row(n)).collect();
            let names: Vec<&str> = rows.iter().map(|r| r.name()).collect();
            let (lo, hi) =
                bounds(rows.iter().filter_map(|r| report.speedup(r))).unwrap_or_default();
            let (cpu_lo, cpu_hi) =
                bounds(rows.iter().map(|r| report.cores_busy(r))).unwrap_or_default();
            let base = report
                .baseline_of(rows.first()?)
                .map_or("sequential", BackendResult::name);
            format!(
                "{} kept about {} cores busy ({} CPU) and ran {} faster than {base}; {}.",
                join_names(&names),
                span(cpu_lo, cpu_hi, 1, ""),
                span(cpu_lo * 100.0, cpu_hi * 100.0, 0, "%"),
                span(lo, hi, 2, "×"),
                if *ceiling_exceeded {
                    format!(
                        "with {} on {cores} logical cores the cores allow {ceiling}×, and a \
                         speedup beyond it is read below",
                        workers_words(workers)
                    )
                } else {
                    format!(
                        "with {} on {cores} logical cores, {ceiling}× is the most possible",
                        workers_words(workers)
                    )
                },
            )
        }
        Finding::FewCores { row: name, cause } => {
            let r = row(name)?;
            let cause = few_cores_cause(cause);
            if r.profile.language != Language::Rust && r.profile.worker == WorkerKind::Thread {
                format!(
                    "{name} kept only about one core busy ({:.0}% CPU) although the interpreter \
                     reports the GIL disabled: {cause}.{}",
                    r.cpu_percent_median(),
                    speeds(report, findings, r),
                )
            } else {
                format!(
                    "{name} used only {:.0}% CPU of the {}00% it could: {cause}.",
                    r.cpu_percent_median(),
                    report.usable_parallelism(r),
                )
            }
        }
        Finding::AboveCeiling {
            row: name,
            speedup,
            ceiling,
            cause,
        } => {
            let r = row(name)?;
            let base = report
                .baseline_of(r)
                .map_or("sequential", BackendResult::name);
            format!(
                "{name} ran {speedup:.2}× faster than {base}, more than the {ceiling}× its {} \
                 allow: {}",
                if *ceiling == 1 {
                    "one core would".to_owned()
                } else {
                    format!("{ceiling} cores")
                },
                match cause {
                    AboveCeilingCause::BaselineSlowed => format!(
                        "other programs slowed {base}, and every ratio against it is too large."
                    ),
                    AboveCeilingCause::BaselineWorkedHarder {
                        baseline_per_number,
                        row_per_number,
                    } => format!(
                        "{base} spent {} of CPU per number against {name}'s {}, so the two did \
                         not do the same work per number (caches, clock frequency, a warming \
                         interpreter), and the ratio is not all parallelism.",
                        per_number(*baseline_per_number),
                        per_number(*row_per_number),
                    ),
                    AboveCeilingCause::TooShortToTime { shortest } => format!(
                        "its runs took as little as {}, where starting the workers and the \
                         clock are a visible share, so the ratio is not all parallelism; a larger \
                         --count settles it.",
                        duration(*shortest)
                    ),
                    AboveCeilingCause::Unexplained => {
                        "the figures do not say why; compare the rows with care.".to_owned()
                    }
                }
            )
        }
        Finding::SingleThreadCost {
            free,
            with_gil,
            ratio,
            same_build,
        } => {
            let (free_row, gil_row) = (row(free)?, row(with_gil)?);
            format!(
                "One thread without the GIL: {free} took {}, {with_gil} {} ({}): {}.",
                duration(free_row.wall_median()),
                duration(gil_row.wall_median()),
                if *same_build {
                    "the same interpreter, its GIL switched on"
                } else {
                    "a build with the GIL"
                },
                if *ratio >= 1.0 {
                    format!(
                        "without the GIL a single thread took {:.0}% longer, the price of free \
                         threading",
                        (ratio - 1.0) * 100.0
                    )
                } else {
                    format!(
                        "without the GIL a single thread took {:.0}% less time here",
                        (1.0 - ratio) * 100.0
                    )
                }
            )
        }
        Finding::Launched {
            row: name, split, ..
        } => super::launched::sentence(row(name)?, split)?,
        Finding::MovingDominated {
            row: name,
            moving,
            computing,
            bytes: moved,
            copies,
        } => format!(
            "{name}'s numbers spent longer on the way back than its workers spent drawing \
             them: {} of numbers, {} of each byte, {} on the way (from each worker's finish \
             until the parent had its numbers, waiting for the parent to read included) \
             against {} drawing, each summed over the workers.",
            bytes(*moved),
            counted(*copies as usize, "copy", "copies"),
            duration(*moving),
            duration(*computing),
        ),
        Finding::CopyCost {
            copying,
            sharing,
            baseline,
            bytes: moved,
            extra,
            gain,
            ate_gain,
            crossover_width,
        } => {
            let path = row(copying).map_or("", |r| super::transfer::path_words(r.profile.returns));
            let mut sentence = format!(
                "Copying {} of numbers back {path} added {} to {copying} against {sharing}, \
                 whose processes write them into memory the parent shares: ",
                bytes(*moved),
                duration(*extra),
            );
            match (gain, ate_gain) {
                (None, _) => {
                    let _ = write!(
                        sentence,
                        "the processes gained nothing over {baseline} in this run, and copying \
                         only added to that."
                    );
                }
                (Some(gain), true) => {
                    let _ = write!(
                        sentence,
                        "more than the {} the processes gained over {baseline}, so copying ate \
                         the parallel gain and {copying} ran no faster than one worker after \
                         another.",
                        duration(*gain)
                    );
                }
                (Some(gain), false) => {
                    let _ = write!(
                        sentence,
                        "{:.0}% of the {} the processes gained over {baseline}.",
                        100.0 * extra.as_secs_f64() / gain.as_secs_f64(),
                        duration(*gain)
                    );
                }
            }
            if let Some(width) = crossover_width {
                let _ = write!(
                    sentence,
                    " From these figures, copying would eat the whole gain from {width:.2} bytes \
                     a number on (these took {}).",
                    counted(report.workload.number_width(), "byte", "bytes")
                );
            }
            sentence
        }
        Finding::TooShort(advice) => too_short(report, advice),
        Finding::ProcessStartCost {
            process,
            threads,
            extra,
            per_worker,
        } => format!(
            "{process} took {} longer than {threads}, about {} per worker: the price of fork, a \
             pipe and waiting for each child.",
            duration(*extra),
            duration(*per_worker),
        ),
        Finding::Oversubscribed { workers, cores, .. } => {
            format!(
                "{workers} workers shared {}: beyond {cores}, more workers only take turns.",
                counted(*cores, "core", "cores")
            )
        }
        Finding::MaterializedMemory {
            row: name,
            peak_bytes,
            baseline_peak_bytes,
        } => format!(
            "Materializing the numbers cost memory: {name} peaked at {} (every worker's vector at \
             once), {} at {}.",
            megabytes(*peak_bytes),
            report.baseline().name(),
            megabytes(*baseline_peak_bytes),
        ),
        Finding::Noisy { widest, .. } => format!(
            "The runs of one backend differed by up to {:.0}% of their median: differences between \
             backends smaller than that are noise.",
            widest * 100.0
        ),
        Finding::Outliers { .. } | Finding::Unsettled { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, interpreter, report};

    /// The book's experiment on 2 cores, quiet: Rust at 2 cores, CPython's
    /// threads at one.
    fn book(gil: bool, free_threaded: bool, python_threads_cpu: f64) -> Report {
        report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 260.0, 196.0),
                Row::new("process", 8, 270.0, 195.0),
                Row::new("python-sequential", 1, 1800.0, 100.0),
                Row::new(
                    "python-threads",
                    8,
                    if python_threads_cpu > 150.0 {
                        950.0
                    } else {
                        1840.0
                    },
                    python_threads_cpu,
                ),
                Row::new("python-processes", 8, 1000.0, 186.0),
            ],
            Some(interpreter(gil, free_threaded)),
        )
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("- ")).collect()
    }

    #[test]
    fn the_gil_is_named_when_the_interpreter_reports_it_and_threads_stay_on_one_core() {
        let text = explain(&book(true, false, 101.0));
        let line = lines(&text)
            .into_iter()
            .find(|l| l.starts_with("- python-threads"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains("(101% CPU) while python-processes kept 1.9 (186%)"),
            "{line}"
        );
        assert!(
            line.contains("CPython's GIL — enabled, as the interpreter reports"),
            "{line}"
        );
        // Against Python's own sequential row, not Rust's.
        assert!(
            line.contains("python-threads ran at 0.98× python-sequential"),
            "{line}"
        );
        assert!(
            line.contains("python-processes at 1.80× python-sequential"),
            "{line}"
        );
        assert!(!text.contains("start-up"), "{text}");
    }

    #[test]
    fn a_free_threaded_interpreter_gets_the_scaling_sentence() {
        let text = explain(&book(false, true, 190.0));
        let line = lines(&text)
            .into_iter()
            .find(|l| l.starts_with("- python-threads"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains("free-threaded CPython 3.13.1 with the GIL disabled"),
            "{line}"
        );
        assert!(line.contains("1.89× python-sequential"), "{line}");
        assert!(!line.contains("GIL —"), "{line}");
        // Told the GIL is off but seeing one core, it does not invent a GIL.
        let text = explain(&book(false, true, 100.0));
        assert!(
            text.contains("although the interpreter reports the GIL disabled"),
            "{text}"
        );
    }

    #[test]
    fn ranges_never_mix_languages_nor_repeat_a_value() {
        let text = explain(&book(true, false, 101.0));
        let rust = lines(&text)
            .into_iter()
            .find(|l| l.starts_with("- threads and process"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(rust.contains("(195–196% CPU)"), "{rust}");
        assert!(rust.contains("1.85–1.92× faster than sequential"), "{rust}");
        assert!(!rust.contains("python"), "{rust}");
        let same = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 260.0, 162.0),
                Row::new("rayon", 2, 260.0, 162.2),
            ],
            None,
        );
        let text = explain(&same);
        assert!(text.contains("about 1.6 cores busy (162% CPU)"), "{text}");
        assert!(text.contains("ran 1.92× faster"), "{text}");
    }

    #[test]
    fn a_busy_machine_is_named_as_the_cause_instead_of_start_up_or_the_gil() {
        let busy = report(
            vec![
                Row::new("sequential", 1, 800.0, 60.0).others(1.4),
                Row::new("threads", 8, 700.0, 95.0).others(1.0),
            ],
            None,
        );
        let text = explain(&busy);
        assert!(
            text.contains(
                "Other programs kept 1.0–1.4 cores busy during the runs of every Rust row"
            ),
            "{text}"
        );
        assert!(
            text.contains("sequential got only 60% of its one core"),
            "{text}"
        );
        assert!(text.contains("threads used only 95% CPU of the 200% it could: other programs kept 1.00 cores busy"), "{text}");
        assert!(!text.contains("not all computing at once"), "{text}");
        // The same figures on a quiet machine blame the workers instead.
        let quiet = report(
            vec![
                Row::new("sequential", 1, 800.0, 100.0),
                Row::new("threads", 8, 700.0, 95.0).others(0.05),
            ],
            None,
        );
        let text = explain(&quiet);
        assert!(!text.contains("Other programs"), "{text}");
        assert!(text.contains("not all computing at once"), "{text}");
    }

    #[test]
    fn the_most_possible_is_never_stated_beside_a_larger_speedup() {
        let r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 200.0, 190.0),
            ],
            None,
        );
        let text = explain(&r);
        assert!(!text.contains("is the most possible"), "{text}");
        assert!(
            text.contains("threads ran 2.50× faster than sequential, more than the 2× its 2 cores allow: sequential spent"),
            "{text}"
        );
    }

    #[test]
    fn one_worker_is_not_said_to_take_turns_or_use_more_than_one_core() {
        let mut r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("gil", 1, 505.0, 8.0),
            ],
            None,
        );
        r.workload = crate::kernel::Workload::new(crate::kernel::WorkloadSpec {
            workers: 1,
            ..crate::kernel::WorkloadSpec::default()
        })
        .unwrap();
        let text = explain(&r);
        assert!(!text.contains("more than one core"), "{text}");
        assert!(!text.contains("took turns"), "{text}");
    }
}
