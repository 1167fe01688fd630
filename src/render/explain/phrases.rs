//! The phrases `--explain`'s sentences are built of: rows, shares,
//! ratios and causes put into words, each from the figures handed to it.

use std::fmt::Write as _;

use crate::backend::{Language, WorkerKind};
use crate::measure::findings::{Accounted, Advice, FewCoresCause, Finding, Findings};
use crate::measure::{BackendResult, Report};
use crate::render::format::{bounds, duration, duration_rough, span};
use crate::text::{counted, join_names, plural};

/// `rust`, `Python`: as a sentence names the language's rows.
pub(super) fn language_name(language: Language) -> &'static str {
    match language {
        Language::Python => "Python",
        _ => "Rust",
    }
}

/// `8 workers`, `1 worker`.
pub(super) fn workers_words(workers: usize) -> String {
    format!("{workers} {}", plural(workers, "worker", "workers"))
}

/// `12.3 ns`, `0.41 µs`.
pub(in crate::render) fn per_number(d: std::time::Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

pub(super) fn few_cores_cause(cause: &FewCoresCause) -> String {
    match cause {
        FewCoresCause::Contended(c) => format!(
            "other programs kept {:.2} cores busy during its runs and took {:.2} of the cores it \
             could use",
            c.summary.others_cores, c.lost_cores
        ),
        FewCoresCause::ShortJob => "its workers were not all computing at once for much of the \
                                    run: starting them is a large share of so short a job"
            .to_owned(),
        _ => "its workers were not all computing at once for much of the run".to_owned(),
    }
}

/// A row that waited for cores: the row, its accounting, the cores it
/// lost, the cores it could use.
type Waited<'r> = (&'r BackendResult, &'r Accounted, f64, usize);

/// The one sentence for all the rows of `language` that waited for cores
/// other programs had ([`Finding::WaitedForCores`]).
pub(super) fn waited_for_cores(
    report: &Report,
    findings: &Findings,
    language: Language,
) -> Option<String> {
    let waited: Vec<Waited<'_>> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::WaitedForCores {
                row,
                accounted,
                lost_cores,
                usable_cores,
            } => Some((report.result(row)?, accounted, *lost_cores, *usable_cores)),
            _ => None,
        })
        .filter(|(r, ..)| r.language() == language && !interpreter_threads(r))
        .collect();
    let first = waited.first()?;
    let names: Vec<&str> = waited.iter().map(|(r, ..)| r.name()).collect();
    let range = |f: &dyn Fn(&Waited<'_>) -> f64, decimals, unit| {
        let (lo, hi) = bounds(waited.iter().map(f)).unwrap_or_default();
        span(lo, hi, decimals, unit)
    };
    let (usable_lo, usable_hi) = bounds(waited.iter().map(|w| w.3 as f64)).unwrap_or_default();
    let one = waited.len() == 1;
    Some(format!(
        "{}: {} ran at once (blocked {}) but waited for a core {} of their lives: other \
         programs had {} of the {} cores — contention, not a lock: {} {} understates {}.",
        join_names(&names),
        if one {
            format!("its {}", counted(first.1.threads, "worker", "workers"))
        } else {
            "their workers".to_owned()
        },
        range(&|w| w.1.shares.blocked * 100.0, 0, "%"),
        range(&|w| w.1.shares.waiting * 100.0, 0, "%"),
        range(&|w| w.2, 1, ""),
        span(usable_lo, usable_hi, 0, ""),
        if one { "its" } else { "their" },
        range(
            &|w| report.speedup(w.0).unwrap_or(0.0),
            2,
            &format!(
                "× {}",
                report
                    .baseline_of(first.0)
                    .map_or("sequential", BackendResult::name)
            )
        ),
        if one { "it" } else { "them" },
    ))
}

/// Whether the row's workers are threads of one interpreter (CPython's
/// threads), whose sentences say what the interpreter reports of its GIL.
pub(super) fn interpreter_threads(r: &BackendResult) -> bool {
    r.profile.language != Language::Rust && r.profile.worker == WorkerKind::Thread
}

/// ` python-threads ran at 0.98× python-sequential, python-processes at
/// 1.80×.`: the threads' speedup and the processes' beside it.
pub(super) fn ratios(report: &Report, threads: &BackendResult) -> String {
    let Some(speedup) = report.speedup(threads) else {
        return String::new();
    };
    let base = report
        .baseline_of(threads)
        .map_or(Language::Python.baseline(), BackendResult::name);
    match processes_of(report, threads).and_then(|p| Some((p, report.speedup(p)?))) {
        Some((p, s)) => format!(
            " {} ran at {speedup:.2}× {base}, {} at {s:.2}×.",
            threads.name(),
            p.name()
        ),
        None => format!(" {} ran at {speedup:.2}× {base}.", threads.name()),
    }
}

/// `12%`: a share as a whole percentage.
pub(super) fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `running 20%, waiting for a core 7%`: the other two parts of a reading
/// from the accounting.
pub(super) fn shares_words(a: &Accounted) -> String {
    format!(
        "running {}, waiting for a core {}",
        percent(a.shares.running),
        percent(a.shares.waiting)
    )
}

/// ` while python-processes' 8 workers were blocked 0% and 3.2 of them
/// wanted a core at once`, from the accounting of the Python row whose
/// workers are processes; its CPU without one; or nothing.
pub(super) fn processes_beside_accounted(report: &Report, threads: &BackendResult) -> String {
    let Some(processes) = processes_of(report, threads) else {
        return String::new();
    };
    match report.accounted(processes) {
        Some(p) => format!(
            ", where {:.1} of the {} of {} did (blocked {})",
            p.wanting,
            counted(p.threads, "worker", "workers"),
            processes.name(),
            percent(p.shares.blocked),
        ),
        None => processes_beside(report, threads),
    }
}

/// The row of the same language whose workers are processes, beside
/// CPython's threads.
pub(super) fn processes_of<'r>(
    report: &'r Report,
    threads: &BackendResult,
) -> Option<&'r BackendResult> {
    report
        .results
        .iter()
        .find(|r| r.language() == threads.language() && r.profile.worker == WorkerKind::Process)
}

/// ` while python-processes kept 1.9 (186%)`, or nothing.
pub(super) fn processes_beside(report: &Report, threads: &BackendResult) -> String {
    processes_of(report, threads)
        .map(|p| {
            format!(
                " while {} kept {:.1} ({:.0}%)",
                p.name(),
                report.cores_busy(p),
                p.cpu_percent_median()
            )
        })
        .unwrap_or_default()
}

/// ` python-threads ran at 0.98× python-sequential, python-processes at
/// 1.80× python-sequential.`, with a word on other programs when they took
/// cores from the threads.
pub(super) fn speeds(report: &Report, findings: &Findings, threads: &BackendResult) -> String {
    let ratio = |r: &BackendResult| {
        let name = report
            .baseline_of(r)
            .map_or(Language::Python.baseline(), BackendResult::name);
        report.speedup(r).map(|s| format!("{s:.2}× {name}"))
    };
    let processes = processes_of(report, threads);
    let mut speeds = match (ratio(threads), processes.and_then(ratio)) {
        (Some(t), Some(p)) => format!(
            " {} ran at {t}, {} at {p}.",
            threads.name(),
            processes.map_or("", BackendResult::name)
        ),
        (Some(t), None) => format!(" {} ran at {t}.", threads.name()),
        _ => String::new(),
    };
    if let Some(c) = findings.contended(threads.name()) {
        let _ = write!(
            speeds,
            " (Other programs also kept {:.2} cores busy during its runs, so the processes' \
             figures are low too.)",
            c.summary.others_cores
        );
    }
    speeds
}

pub(super) fn too_short(report: &Report, advice: &Advice) -> String {
    format!(
        "The whole job took only {} on one core, so starting the workers — about 30 µs a \
         thread, 130 µs a process — is a visible part of every run; --count {} would make it \
         about {} and let the scaling show{}.",
        duration(report.baseline().wall_median()),
        crate::render::notes::count_arg(advice),
        duration_rough(advice.sequential),
        match advice.python {
            Some(python) if advice.python_too_long() => format!(
                ", but each Python run would take about {}: run the Rust backends alone at that count",
                duration_rough(python)
            ),
            _ => String::new(),
        },
    )
}
