//! `--explain`: a few plain sentences that read a run's own figures.

use std::fmt::Write as _;

use super::format::{bounds, duration, megabytes, span};
use super::{SHORT_JOB, WIDE_SPREAD, count_advice};
use crate::measure::{BackendResult, Contended, Report};
use crate::text::join_names;

/// A few plain sentences that read this run's own figures: what the CPU
/// column says about each kind of backend, how far the speedups got against
/// what the cores allow, and whether start-up costs or noise blur them.
/// Every sentence is chosen and filled in from the measurements; none is
/// printed whatever the numbers.
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

/// [`explain`]'s sentences, each on its own, for views that choose among
/// them (the lesson).
pub fn sentences(report: &Report) -> Vec<String> {
    let mut sentences: Vec<String> = Vec::new();
    let cores = report.machine.logical_cores;
    let workers = report.workload.workers();
    let baseline = report.baseline();
    let others: Vec<&BackendResult> = report.results.iter().skip(1).collect();
    let cpu_cores = |r: &BackendResult| r.cpu_percent_median() / 100.0;
    let against = |r: &BackendResult| {
        let speedup = report.speedup(r).unwrap_or(0.0);
        let name = report.baseline_of(r).map_or("sequential", |b| b.name());
        format!("{speedup:.2}× {name}")
    };

    // Other programs first: when they took the cores, every other reading
    // of CPU and speedup is theirs as much as the backends'.
    let contended: Vec<(&BackendResult, Contended)> = report
        .results
        .iter()
        .filter_map(|r| Some((r, report.contended(r)?)))
        .collect();
    if !contended.is_empty() {
        let (lo, hi) =
            bounds(contended.iter().map(|(_, c)| c.summary.others_cores)).unwrap_or_default();
        let names: Vec<&str> = contended.iter().map(|(r, _)| r.name()).collect();
        sentences.push(format!(
            "Other programs kept {} cores busy during the runs of {}, so these rows could not have \
             the cores they needed: their wall times, CPU figures and speedups show this machine \
             shared, not what the backends can do. Re-run when it is quiet.",
            span(lo, hi, 1, ""),
            join_names(&names),
        ));
    }
    let contended_row = |r: &BackendResult| contended.iter().find(|(c, _)| std::ptr::eq(*c, r));

    if let Some((_, c)) = contended_row(baseline) {
        sentences.push(format!(
            "sequential got only {:.0}% of its one core (others kept {:.2} cores busy): every Rust \
             speedup here divides by a slowed baseline.",
            baseline.cpu_percent_median(),
            c.summary.others_cores,
        ));
    }

    if let Some(gil) = report.result("gil") {
        // With one worker there is nobody to take turns with.
        if cpu_cores(gil) < 1.3 && workers > 1 {
            sentences.push(format!(
                "gil kept about one core busy ({:.0}% CPU) although its {workers} threads could \
                 have used {} cores: only the thread holding the lock computes, so they took turns, and \
                 it ran at {} — what the book's Python threads do.",
                gil.cpu_percent_median(),
                workers.min(cores),
                against(gil),
            ));
        } else {
            sentences.push(format!(
                "gil used {:.0}% CPU, more than one core: the lock hand-overs and waiting threads \
                 cost CPU of their own here; it ran at {}.",
                gil.cpu_percent_median(),
                against(gil),
            ));
        }
    }

    if let Some(sentence) = python_threads(report) {
        sentences.push(sentence);
    }

    // Rows that could use several cores, by language: a range never mixes
    // Rust and Python rows.
    let parallel: Vec<&BackendResult> = others
        .iter()
        .copied()
        .filter(|r| r.name() != "gil" && r.name() != "python-threads")
        .filter(|r| report.usable_parallelism(r) > 1)
        .collect();
    for language in report.languages() {
        let rows: Vec<&BackendResult> = parallel
            .iter()
            .copied()
            .filter(|r| r.language() == language)
            .collect();
        let (busy, idle): (Vec<&BackendResult>, Vec<&BackendResult>) = rows
            .iter()
            .partition(|r| cpu_cores(r) >= 0.75 * report.usable_parallelism(r) as f64);
        if !busy.is_empty() {
            let names: Vec<&str> = busy.iter().map(|r| r.name()).collect();
            let (lo, hi) =
                bounds(busy.iter().filter_map(|r| report.speedup(r))).unwrap_or_default();
            let (cpu_lo, cpu_hi) = bounds(busy.iter().map(|r| cpu_cores(r))).unwrap_or_default();
            let base = report
                .baseline_of(busy[0])
                .map_or("sequential", |b| b.name());
            let ceiling = workers.min(cores);
            sentences.push(format!(
                "{} kept about {} cores busy ({} CPU) and ran {} faster than {base}; with \
                 {workers} workers on {cores} logical cores, {ceiling}× is the most possible.",
                join_names(&names),
                span(cpu_lo, cpu_hi, 1, ""),
                span(cpu_lo * 100.0, cpu_hi * 100.0, 0, "%"),
                span(lo, hi, 2, "×"),
            ));
        }
        for r in idle {
            sentences.push(format!(
                "{} used only {:.0}% CPU of the {}00% it could: {}.",
                r.name(),
                r.cpu_percent_median(),
                report.usable_parallelism(r),
                low_cpu_cause(report, r),
            ));
        }
    }

    // Rows launched as programs on hosts (mpi): launch against compute.
    sentences.extend(super::launched::explain(report));

    if let Some(advice) = count_advice(report)
        && !others.is_empty()
    {
        sentences.push(format!(
            "The whole job took only {} on one core, so starting the workers — about 30 µs a \
             thread, 130 µs a process — is a visible part of every run; --count {} would make it \
             about {} and let the scaling show{}.",
            duration(baseline.wall_median()),
            advice.count_arg(),
            super::duration_rough(advice.sequential),
            match advice.python {
                Some(python) if python > std::time::Duration::from_secs(10) => format!(
                    ", but each Python run would take about {}: run the Rust backends alone at that count",
                    super::duration_rough(python)
                ),
                _ => String::new(),
            },
        ));
        if let (Some(threads), Some(process)) = (report.result("threads"), report.result("process"))
        {
            let extra = process.wall_median().as_secs_f64() - threads.wall_median().as_secs_f64();
            // Only when the difference stands out from both backends' own spread.
            let noise = |r: &BackendResult| (r.wall_max() - r.wall_min()).as_secs_f64();
            if extra > noise(threads).max(noise(process)) {
                sentences.push(format!(
                    "process took {} longer than threads, about {} per worker: the price of fork, a \
                     pipe and waiting for each child.",
                    duration(std::time::Duration::from_secs_f64(extra)),
                    duration(std::time::Duration::from_secs_f64(extra / workers as f64)),
                ));
            }
        }
    }

    if workers > cores && !parallel.is_empty() {
        sentences.push(format!(
            "{workers} workers shared {cores} cores: beyond {cores}, more workers only take turns."
        ));
    }

    if report.workload.materialize() {
        let most = report
            .results
            .iter()
            .max_by_key(|r| r.self_peak_rss_bytes());
        if let Some(most) = most {
            sentences.push(format!(
                "Materializing the numbers cost memory: {} peaked at {} (every worker's vector at \
                 once), sequential at {}.",
                most.name(),
                megabytes(most.self_peak_rss_bytes()),
                megabytes(baseline.self_peak_rss_bytes()),
            ));
        }
    }

    let spread = report
        .results
        .iter()
        .map(BackendResult::wall_spread)
        .fold(0.0, f64::max);
    if spread > WIDE_SPREAD {
        sentences.push(format!(
            "The runs of one backend differed by up to {:.0}% of their median: differences between \
             backends smaller than that are noise.",
            spread * 100.0
        ));
    }

    sentences
}

/// Why a row that could use several cores used few: other programs took
/// them, the job was too short, or (else) its workers did not compute at
/// once.
fn low_cpu_cause(report: &Report, r: &BackendResult) -> String {
    if let Some(c) = report.contended(r) {
        return format!(
            "other programs kept {:.2} cores busy during its runs and took {:.2} of the cores it \
             could use",
            c.summary.others_cores, c.lost_cores
        );
    }
    if report.baseline().wall_median() < SHORT_JOB {
        return "its workers were not all computing at once for much of the run: starting them is a \
                large share of so short a job"
            .to_owned();
    }
    "its workers were not all computing at once for much of the run".to_owned()
}

/// The sentence on CPython's threads, decided by what the interpreter says
/// of its GIL (`sys._is_gil_enabled()`, `Py_GIL_DISABLED`) and by the CPU
/// the threads used.
fn python_threads(report: &Report) -> Option<String> {
    let threads = report.result("python-threads")?;
    let interpreter = report.interpreter.as_ref()?;
    let workers = report.workload.workers();
    let usable = report.usable_parallelism(threads);
    let cpu = threads.cpu_percent_median();
    let ratio = |r: &BackendResult| {
        let name = report
            .baseline_of(r)
            .map_or("python-sequential", |b| b.name());
        report.speedup(r).map(|s| format!("{s:.2}× {name}"))
    };
    let processes = report.result("python-processes");
    let beside = processes
        .map(|p| {
            format!(
                " while python-processes kept {:.1} ({:.0}%)",
                p.cpu_percent_median() / 100.0,
                p.cpu_percent_median()
            )
        })
        .unwrap_or_default();
    let speeds = match (ratio(threads), processes.and_then(ratio)) {
        (Some(t), Some(p)) => format!(" python-threads ran at {t}, python-processes at {p}."),
        (Some(t), None) => format!(" python-threads ran at {t}."),
        _ => String::new(),
    };
    if workers < 2 || usable < 2 {
        return None;
    }
    let one_core = cpu < 130.0;
    let contended = report.contended(threads);
    // The contrast the lesson rests on: the processes on several cores.
    let processes_spread = processes.is_some_and(|p| p.cpu_percent_median() >= 130.0);
    if let Some(c) = contended
        && !(interpreter.gil_enabled && one_core && processes_spread)
    {
        return Some(format!(
            "python-threads used {cpu:.0}% CPU{}, but other programs kept {:.2} cores busy \
             during its runs: this run cannot show what the {} does to threads. Run it again on \
             a quiet machine.",
            processes
                .map(|p| format!(" and python-processes {:.0}%", p.cpu_percent_median()))
                .unwrap_or_default(),
            c.summary.others_cores,
            if interpreter.gil_enabled {
                "GIL (enabled, as the interpreter reports)"
            } else {
                "free-threaded interpreter"
            },
        ));
    }
    let speeds = match contended {
        Some(c) => format!(
            "{speeds} (Other programs also kept {:.2} cores busy during its runs, so the \
             processes' figures are low too.)",
            c.summary.others_cores
        ),
        None => speeds,
    };
    Some(match (interpreter.gil_enabled, one_core) {
        (true, true) => format!(
            "python-threads kept about one core busy ({cpu:.0}% CPU){beside}: that is CPython's GIL \
             — enabled, as the interpreter reports — which lets one thread at a time run Python code, \
             so its {workers} threads took turns; each process has an interpreter and a GIL of its \
             own.{speeds}"
        ),
        (false, false) => format!(
            "python-threads kept {:.1} cores busy ({cpu:.0}% CPU){beside}: this is a free-threaded \
             CPython {} with the GIL disabled (PEP 703), so its threads ran Python code at the same \
             time — the second half of the story since Python 3.13.{speeds}",
            cpu / 100.0,
            interpreter.version,
        ),
        (false, true) => format!(
            "python-threads kept only about one core busy ({cpu:.0}% CPU) although the interpreter \
             reports the GIL disabled: {}.{speeds}",
            low_cpu_cause(report, threads)
        ),
        (true, false) => format!(
            "python-threads used {cpu:.0}% CPU with the GIL enabled: the GIL lets one thread run \
             Python code at a time, so the CPU beyond one core went to the interpreter's own work \
             outside it.{speeds}"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::result::synthetic::{Row, interpreter, report};

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
                "Other programs kept 1.0–1.4 cores busy during the runs of sequential and threads"
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
}
