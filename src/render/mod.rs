//! Everything a person reads: the report as text (this file: a header, one
//! table row per backend, the per-worker results as the book prints them,
//! and notes computed from the measurements), [`explain`]'s sentences,
//! the per-worker [`timeline`]s (text and SVG), a [`sweep`]'s tables and
//! plot, and the [`format`](mod@format) helpers they share. Pure: measurements in, text
//! or pictures out.

use std::fmt::Write as _;
use std::time::Duration;

use crate::backend::python::Interpreter;
use crate::measure::{BackendResult, Report};

mod explain;
pub mod format;
pub mod sweep;
pub mod timeline;

pub use self::explain::explain;
pub use self::format::{duration, group_digits, rate};
use self::format::{group_half, megabytes, round_up_1_2_5, row_in};

/// Below this baseline wall time the job is so short that starting threads
/// and processes is a visible share of it.
pub(crate) const SHORT_JOB: Duration = Duration::from_millis(50);

/// What a run says above its report, beyond the report itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preamble<'a> {
    /// The seed, when it was drawn from the OS rather than given: the user
    /// needs it to repeat the run.
    pub drawn_seed: Option<u64>,
    /// The interpreter that ran the Python rows, if any.
    pub interpreter: Option<&'a Interpreter>,
    /// The rayon pool's size, when the rayon backend ran.
    pub rayon_threads: Option<usize>,
}

/// The lines above the report: how to repeat the run, and what ran it.
pub fn preamble(preamble: &Preamble<'_>) -> String {
    let mut out = String::new();
    if let Some(seed) = preamble.drawn_seed {
        let _ = writeln!(
            out,
            "seed {seed} was drawn from the OS; repeat this run with --seed {seed}"
        );
    }
    if let Some(interpreter) = preamble.interpreter {
        let _ = writeln!(
            out,
            "python:   {} {} ({}), GIL {}; its programs are in python/ of the gilfree sources",
            if interpreter.implementation == "cpython" {
                "CPython"
            } else {
                &interpreter.implementation
            },
            interpreter.version,
            interpreter.command,
            if interpreter.gil_enabled {
                "enabled"
            } else {
                "disabled (free-threaded build)"
            },
        );
    }
    if let Some(threads) = preamble.rayon_threads {
        let _ = writeln!(out, "rayon:    a pool of {threads} threads (--threads)");
    }
    out
}

/// The whole report as text, ending in a newline.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    out.push('\n');
    table(&mut out, report);
    summary(&mut out, report);
    python(&mut out, report);
    out.push('\n');
    results(&mut out, report);
    memory(&mut out, report);
    notes(&mut out, report);
    out
}

fn header(out: &mut String, report: &Report) {
    let w = &report.workload;
    let _ = writeln!(
        out,
        "workload: {} {} × {} random integers in [{}, {}]{}, {}, seed {}",
        w.workers(),
        if w.workers() == 1 {
            "worker"
        } else {
            "workers"
        },
        group_digits(i128::from(w.count())),
        w.low(),
        w.high(),
        if w.materialize() {
            " (materialized)"
        } else {
            ""
        },
        format::generator_label(w.generator(), w.simd()),
        w.seed(),
    );
    let _ = writeln!(
        out,
        "runs:     {} measured per backend after {} warm-up{}; times are medians unless marked min",
        report.plan.runs,
        report.plan.warmup,
        if report.plan.warmup == 1 { "" } else { "s" },
    );
    let _ = writeln!(
        out,
        "machine:  {} logical cores, {} physical",
        report.machine.logical_cores, report.machine.physical_cores
    );
}

const COLUMNS: [(&str, usize); 10] = [
    ("backend", 10),
    ("wall", 10),
    ("wall min", 10),
    ("user", 10),
    ("sys", 10),
    ("CPU", 6),
    ("speedup", 8),
    ("efficiency", 10),
    ("numbers/s", 10),
    ("sums", 5),
];

fn table(out: &mut String, report: &Report) {
    // The first column widens for a long backend name (a user's own backend).
    let mut columns = COLUMNS;
    columns[0].1 = report
        .results
        .iter()
        .map(|r| r.name.chars().count())
        .fold(COLUMNS[0].1, usize::max);
    let header: Vec<String> = columns.iter().map(|(name, _)| (*name).to_owned()).collect();
    row_in(out, &header, &columns);
    for result in &report.results {
        row_in(out, &cells(report, result), &columns);
    }
    let parallelism: Vec<String> = report
        .results
        .iter()
        .map(|r| format!("{} {}", r.name, report.usable_parallelism(r)))
        .collect();
    let _ = writeln!(
        out,
        "\nCPU = (user + sys) / wall, of one core (200% = two cores busy). speedup = sequential wall / wall.\n\
         efficiency = speedup / workers able to run at once on {} cores: {}.",
        report.machine.logical_cores,
        parallelism.join(", ")
    );
}

fn cells(report: &Report, result: &BackendResult) -> Vec<String> {
    let dash = || "—".to_owned();
    vec![
        result.name.to_owned(),
        duration(result.wall_median()),
        duration(result.wall_min()),
        duration(result.user_median()),
        duration(result.system_median()),
        format!("{:.0}%", result.cpu_percent_median()),
        report
            .speedup(result)
            .map_or_else(dash, |s| format!("{s:.2}×")),
        report
            .efficiency(result)
            .map_or_else(dash, |e| format!("{:.0}%", e * 100.0)),
        report.throughput(result).map_or_else(dash, rate),
        match (result.comparable, result.mismatch) {
            (false, _) => "n/c".to_owned(),
            (true, None) => "✓".to_owned(),
            (true, Some(m)) => format!("✗ w{}", m.worker),
        },
    ]
}

/// How many per-worker sums the results line shows before eliding.
const RESULTS_SHOWN: usize = 16;

fn results(out: &mut String, report: &Report) {
    let shown: Vec<String> = report
        .sums
        .iter()
        .take(RESULTS_SHOWN)
        .map(i64::to_string)
        .collect();
    let more = report.sums.len().saturating_sub(RESULTS_SHOWN);
    let _ = writeln!(
        out,
        "Results: [{}{}]",
        shown.join(", "),
        if more > 0 {
            format!(", … {more} more")
        } else {
            String::new()
        }
    );
    let _ = write!(
        out,
        "Total:   {} (expected {} = {} × {} × ({} + {}) / 2",
        group_digits(i128::from(report.total())),
        group_half(report.expected_total_twice()),
        report.workload.workers(),
        group_digits(i128::from(report.workload.count())),
        report.workload.low(),
        report.workload.high(),
    );
    match report.total_z_score() {
        Some(z) => {
            let _ = writeln!(out, "; off by {z:+.2} σ)");
        }
        None => out.push_str(")\n"),
    }
}

/// hyperfine's closing lines: how many times faster each backend ran than the
/// baseline, fastest first, with the spread of the ratio.
fn summary(out: &mut String, report: &Report) {
    let mut rows: Vec<(&BackendResult, f64, f64)> = report
        .results
        .iter()
        .skip(1)
        .filter_map(|r| {
            let (s, e) = report.speedup_with_error(r)?;
            Some((r, s, e))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let baseline = report.baseline().name;
    out.push_str("\nSummary\n");
    for (result, speedup, error) in rows {
        let _ = if speedup >= 1.0 {
            writeln!(
                out,
                "  {} ran {speedup:.2} ± {error:.2} times faster than {baseline}",
                result.name
            )
        } else {
            // 1/S, with the error carried through the inverse.
            writeln!(
                out,
                "  {} ran {:.2} ± {:.2} times slower than {baseline}",
                result.name,
                1.0 / speedup,
                error / (speedup * speedup)
            )
        };
    }
}

/// The Python rows against their Rust counterparts, in the book's terms, and
/// how much of each Python run the workers spent computing.
fn python(out: &mut String, report: &Report) {
    let pairs = [
        ("python-sequential", "sequential"),
        ("python-threads", "threads"),
        ("python-processes", "process"),
    ];
    let mut lines = Vec::new();
    for (python, rust) in pairs {
        let (Some(p), Some(r)) = (report.result(python), report.result(rust)) else {
            continue;
        };
        let (pw, rw) = (p.wall_median().as_secs_f64(), r.wall_median().as_secs_f64());
        if rw > 0.0 {
            lines.push(format!(
                "  {python}: {:.0}% CPU; rust {rust}: {:.0}% CPU, {:.0}× faster",
                p.cpu_percent_median(),
                r.cpu_percent_median(),
                pw / rw
            ));
        }
    }
    for result in report
        .results
        .iter()
        .filter(|r| r.name.starts_with("python-"))
    {
        let Some((_, run)) = result.typical_run() else {
            continue;
        };
        let first = run.workers.iter().map(|w| w.start_ns).min().unwrap_or(0);
        let last = run.workers.iter().map(|w| w.finish_ns).max().unwrap_or(0);
        let computing = std::time::Duration::from_nanos(last.saturating_sub(first));
        lines.push(format!(
            "  {}: its workers computed for {} of the run's {} wall, as the program measured it; \
             the other {} went to starting the interpreter{} and collecting the results",
            result.name,
            duration(computing),
            duration(run.wall),
            duration(run.wall.saturating_sub(computing)),
            if result.name == "python-processes" {
                " and its pool"
            } else {
                ""
            },
        ));
    }
    if !lines.is_empty() {
        out.push_str("\nCPython side by side (Python rows against the Rust backends):\n");
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
}

/// Peak resident memory per backend: the measuring process's, and the largest
/// worker process's where workers were processes.
fn memory(out: &mut String, report: &Report) {
    let parts: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            let children = r.children_peak_rss_bytes();
            if r.name.starts_with("python-") {
                format!("{} {} (the interpreter)", r.name, megabytes(children))
            } else if children > 0 {
                format!(
                    "{} {} (+ {} per worker process)",
                    r.name,
                    megabytes(r.self_peak_rss_bytes()),
                    megabytes(children)
                )
            } else {
                format!("{} {}", r.name, megabytes(r.self_peak_rss_bytes()))
            }
        })
        .collect();
    let _ = writeln!(out, "Memory:  peak resident, {}", parts.join(", "));
}

/// Above this spread between a backend's fastest and slowest run, relative
/// to its median, the figures are too noisy to trust to the percent.
pub(crate) const WIDE_SPREAD: f64 = 0.25;

fn notes(out: &mut String, report: &Report) {
    let with_outliers: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.wall_outliers() > 0)
        .map(|r| {
            format!(
                "{} ({} of {} runs)",
                r.name,
                r.wall_outliers(),
                r.runs.len()
            )
        })
        .collect();
    if !with_outliers.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: statistical outliers in the wall times of {}: another program probably \
             interfered. Re-run on a quiet machine, or with more --runs.",
            with_outliers.join(", ")
        );
    }
    let spread: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.wall_spread() > WIDE_SPREAD)
        .map(|r| {
            format!(
                "{} {}–{}",
                r.name,
                duration(r.wall_min()),
                duration(r.wall_max())
            )
        })
        .collect();
    if !spread.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: the runs were noisy (fastest–slowest more than {:.0}% of the median): {}. \
             Compare medians with care; more --runs or a quieter machine narrow it.",
            WIDE_SPREAD * 100.0,
            spread.join(", ")
        );
    }
    let baseline = report.baseline().wall_median();
    if baseline < SHORT_JOB && report.results.len() > 1 && report.workload.count() > 0 {
        // Aim for a baseline of about half a second.
        let factor = (0.5 / baseline.as_secs_f64().max(1e-6)).max(1.0);
        let suggested = round_up_1_2_5(report.workload.count() as f64 * factor);
        let _ = writeln!(
            out,
            "\nwarning: the whole job took {} on one core, so starting threads (~30 µs each) and \
             processes (~130 µs each) is a visible share of it; try --count {} to see scaling clearly.",
            duration(baseline),
            group_digits(suggested as i128).replace(',', "_"),
        );
    }
    let logical = report.machine.logical_cores;
    if logical < report.workload.workers() && report.results.len() > 1 {
        let _ = writeln!(
            out,
            "\nnote: {} workers share {} cores, so at most {}× speedup is possible here.",
            report.workload.workers(),
            logical,
            logical
        );
    }
}
