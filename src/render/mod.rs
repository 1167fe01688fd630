//! Everything a person reads: the report as text (this file: a header, one
//! table row per backend, the second table of where the workers' time went
//! (`accounting.rs`), the per-worker results as the book prints them,
//! and notes computed from the measurements), [`explain`]'s sentences,
//! the per-worker [`timeline`]s (text and SVG), a [`sweep`]'s tables and
//! plot, the [`format`](mod@format) helpers they share, and what every
//! picture shares ([`picture`]: a slide's size, text from 18 px). Pure:
//! measurements in, text or pictures out.

use std::fmt::Write as _;

use crate::backend::python::Interpreter;
use crate::backend::{Language, WorkerKind};
use crate::measure::Report;
use crate::text::counted;

mod accounting;
pub mod cores;
mod explain;
#[doc(hidden)]
pub mod format;
pub mod html;
mod launched;
#[doc(hidden)]
pub mod lesson;
mod notes;
#[doc(hidden)]
pub mod picture;
pub mod sweep;
mod table;
pub mod time_picture;
pub mod timeline;
pub mod transfer;

pub use self::explain::{explain, sentences};
pub use self::format::{duration, group_digits, rate};
use self::format::{group_half, megabytes};
pub(crate) use self::table::table_cells;

/// What a run says above its report, beyond the report itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preamble<'a> {
    /// The count chosen for this machine, when `--count` was not given.
    pub sized: Option<crate::measure::sizing::CountChoice>,
    /// The seed, when it was drawn from the OS rather than given: the user
    /// needs it to repeat the run.
    pub drawn_seed: Option<u64>,
    /// The interpreter that ran the Python rows, if any.
    pub interpreter: Option<&'a Interpreter>,
    /// The rayon pool's size, when the rayon backend ran.
    pub rayon_threads: Option<usize>,
}

/// `0.15 ns`, `12.3 ns`, `0.41 µs`: a cost per number.
fn per_number_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else if ns >= 10.0 {
        format!("{ns:.1} ns")
    } else {
        format!("{ns:.2} ns")
    }
}

/// The lines above the report: how to repeat the run, and what ran it.
pub fn preamble(preamble: &Preamble<'_>) -> String {
    let mut out = String::new();
    if let Some(sized) = preamble.sized {
        let _ = writeln!(
            out,
            "count:    {} numbers per worker, sized for this machine: the sequential row takes \
             about {} (a number costs {}); the book's 1,000,000 would take {}, too short for \
             threads to show. --count 1M runs the book's count.",
            group_digits(i128::from(sized.count)),
            format::duration_rough(sized.expected),
            per_number_ns(sized.per_number_ns),
            duration(sized.at_book_count),
        );
    }
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
            interpreter.shown_command(),
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
    let findings = report.findings();
    let mut out = String::new();
    header(&mut out, report);
    out.push('\n');
    table::table(&mut out, report);
    accounting::table(&mut out, report);
    table::summary(&mut out, report);
    python(&mut out, report);
    launched::text(&mut out, report);
    transfer::text(&mut out, report);
    out.push('\n');
    results(&mut out, report);
    memory(&mut out, report);
    notes::text(&mut out, report, &findings);
    out
}

fn header(out: &mut String, report: &Report) {
    let w = &report.workload;
    let _ = writeln!(
        out,
        "workload: {} × {} random integers in [{}, {}]{}, {}, seed {}",
        counted(w.workers(), "worker", "workers"),
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
        "runs:     {} measured per backend after {}{}; times are medians unless marked min",
        runs_taken(report),
        counted(report.plan.warmup, "warm-up", "warm-ups"),
        if report.plan.is_exact() {
            String::new()
        } else {
            format!(", of {}", report.plan)
        },
    );
    let _ = writeln!(
        out,
        "machine:  {} logical cores, {} physical",
        report.machine.logical_cores, report.machine.physical_cores
    );
    for line in launched::hosts_header(report) {
        let _ = writeln!(out, "hosts:    {line}");
    }
    for line in transfer::header_lines(report) {
        let _ = writeln!(out, "{line}");
    }
}

/// How many measured runs each backend had: `6`, or `6–20 (sequential 6,
/// threads 20)` when they differ.
fn runs_taken(report: &Report) -> String {
    let counts: Vec<usize> = report.results.iter().map(|r| r.runs.len()).collect();
    let (lo, hi) = (
        counts.iter().copied().min().unwrap_or(0),
        counts.iter().copied().max().unwrap_or(0),
    );
    if lo == hi {
        lo.to_string()
    } else {
        let each: Vec<String> = report
            .results
            .iter()
            .map(|r| format!("{} {}", r.name(), r.runs.len()))
            .collect();
        format!("{lo}–{hi} ({})", each.join(", "))
    }
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

/// The Python rows against their Rust counterparts, in the book's terms, and
/// how much of each Python run the workers spent computing.
fn python(out: &mut String, report: &Report) {
    let mut lines = Vec::new();
    for p in &report.results {
        let Some(r) = report.counterpart(p) else {
            continue;
        };
        let (pw, rw) = (p.wall_median().as_secs_f64(), r.wall_median().as_secs_f64());
        if rw > 0.0 {
            lines.push(format!(
                "  {}: {:.0}% CPU; rust {}: {:.0}% CPU, {:.0}× faster",
                p.name(),
                p.cpu_percent_median(),
                r.name(),
                r.cpu_percent_median(),
                pw / rw
            ));
        }
    }
    for result in report
        .results
        .iter()
        .filter(|r| r.language() == Language::Python)
    {
        let Some((_, run)) = result.typical_run() else {
            continue;
        };
        let computing = run.computing();
        lines.push(format!(
            "  {}: its workers computed for {} of the run's {} wall, as the program measured it; \
             the other {} went to starting the interpreter{} and collecting the results",
            result.name(),
            duration(computing),
            duration(run.wall),
            duration(run.wall.saturating_sub(computing)),
            match result.profile.worker {
                WorkerKind::Process => " and its pool",
                _ => "",
            },
        ));
    }
    if !lines.is_empty() && report.workload.generator() != crate::kernel::Generator::Python {
        lines.push(format!(
            "  (the Python programs drew CPython's numbers, the Rust rows {}'s: the same amount \
             of work, not the same numbers; --rng python makes them the same)",
            report.workload.generator().name()
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
            if r.language() == Language::Python {
                format!("{} {} (the interpreter)", r.name(), megabytes(children))
            } else if children > 0 {
                format!(
                    "{} {} (+ {} per worker process)",
                    r.name(),
                    megabytes(r.self_peak_rss_bytes()),
                    megabytes(children)
                )
            } else {
                format!("{} {}", r.name(), megabytes(r.self_peak_rss_bytes()))
            }
        })
        .collect();
    let _ = writeln!(out, "Memory:  peak resident, {}", parts.join(", "));
}

#[cfg(test)]
mod same_findings {
    //! Every view of one report states the same findings: the table's notes,
    //! `--explain`, the lesson, the HTML page and the pictures' titles.
    use crate::lesson::Calibration;
    use crate::measure::Report;
    use crate::measure::synthetic::{Row, interpreter, report};

    fn calibration() -> Calibration {
        Calibration {
            rust_per_number: std::time::Duration::from_nanos(11),
            python_per_number: Some(std::time::Duration::from_nanos(500)),
            python_startup: std::time::Duration::ZERO,
            count: 1_000_000,
            chosen: true,
        }
    }

    /// The lesson's text with its line wrapping undone.
    fn lesson(report: &Report) -> String {
        super::lesson::text(report, &calibration())
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn html(report: &Report) -> String {
        super::html::report_page(report, "t", "", None, None).unwrap()
    }

    fn gil_lesson(python_threads: Row) -> Report {
        report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("gil", 8, 95.0, 101.0),
                Row::new("threads", 8, 47.0, 196.0),
                Row::new("process", 8, 48.0, 194.0),
                Row::new("python-sequential", 1, 4000.0, 100.0),
                python_threads,
                Row::new("python-processes", 8, 2250.0, 186.0),
            ],
            Some(interpreter(true, false)),
        )
    }

    #[test]
    fn the_gil_is_stated_in_every_view_or_in_none() {
        let quiet = gil_lesson(Row::new("python-threads", 8, 4080.0, 101.0));
        let gil = "that is CPython's GIL";
        let explain = super::explain(&quiet);
        assert!(explain.contains(gil), "{explain}");
        assert!(lesson(&quiet).contains(gil), "{}", lesson(&quiet));
        assert!(html(&quiet).contains(&super::html::escape(gil)));
        assert!(super::cores::title(&quiet).contains("(the GIL)"));
        let timeline = super::timeline::svg(&quiet).unwrap();
        assert!(
            timeline.contains("gil and python-threads kept one core busy"),
            "{timeline}"
        );
        // Held back by other programs without the contrast that reads the
        // GIL, no view names it: each says the run cannot show it.
        let mut shared = gil_lesson(Row::new("python-threads", 8, 4080.0, 70.0).others(1.5));
        shared.results[6] = report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("python-processes", 8, 3800.0, 110.0).others(0.9),
            ],
            None,
        )
        .results
        .remove(1);
        let cannot = "this run cannot show what the GIL";
        for (view, text) in [
            ("explain", super::explain(&shared)),
            ("lesson", lesson(&shared)),
            ("html", html(&shared)),
        ] {
            let (gil, cannot) = match view {
                "html" => (super::html::escape(gil), super::html::escape(cannot)),
                _ => (gil.to_owned(), cannot.to_owned()),
            };
            assert!(!text.contains(&gil), "{view}: {text}");
            assert!(text.contains(&cannot), "{view}: {text}");
        }
        assert!(!super::cores::title(&shared).contains("GIL"));
        assert!(
            !super::timeline::svg(&shared)
                .unwrap()
                .contains("python-threads kept")
        );
    }

    #[test]
    fn the_rows_other_programs_slowed_are_the_same_in_every_view() {
        let busy = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 400.0, 120.0).others(0.8),
                Row::new("rayon", 2, 390.0, 125.0).others(0.7),
                Row::new("process", 8, 260.0, 194.0),
            ],
            None,
        );
        let text = super::text(&busy);
        assert!(
            text.contains("other programs took cores these rows could have used: threads lost"),
            "{text}"
        );
        assert!(text.contains("; rayon lost"), "{text}");
        assert!(!text.contains("process lost"), "{text}");
        let sentence = "Other programs kept 0.7–0.8 cores busy during the runs of threads and \
                        rayon";
        assert!(super::explain(&busy).contains(sentence));
        assert!(lesson(&busy).contains(sentence), "{}", lesson(&busy));
        assert!(html(&busy).contains(&super::html::escape(sentence)));
        let timeline = super::timeline::svg(&busy).unwrap();
        assert!(
            timeline.contains("which other programs shared during threads and rayon"),
            "{timeline}"
        );
    }

    #[test]
    fn one_worker_takes_no_turns_in_any_view() {
        let mut one = gil_lesson(Row::new("python-threads", 1, 4080.0, 101.0));
        one.workload = crate::kernel::Workload::new(crate::kernel::WorkloadSpec {
            workers: 1,
            ..crate::kernel::WorkloadSpec::default()
        })
        .unwrap();
        for (view, text) in [
            ("text", super::text(&one)),
            ("explain", super::explain(&one)),
            ("lesson", lesson(&one)),
            ("html", html(&one)),
            ("cores", super::cores::title(&one)),
        ] {
            assert!(!text.contains("took turns"), "{view}: {text}");
            assert!(!text.contains("more than one core"), "{view}: {text}");
            assert!(!text.contains("1 workers"), "{view}: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::measure::synthetic::{Row, interpreter, report};

    #[test]
    fn each_language_is_summarized_against_its_own_sequential_row() {
        let r = report(
            vec![
                Row::new("sequential", 1, 500.0, 100.0),
                Row::new("threads", 8, 260.0, 196.0),
                Row::new("python-sequential", 1, 1800.0, 100.0),
                Row::new("python-threads", 8, 1840.0, 101.0),
                Row::new("python-processes", 8, 1000.0, 186.0),
            ],
            Some(interpreter(true, false)),
        );
        let out = super::text(&r);
        assert!(
            out.contains("  threads ran 1.92× faster than sequential (95% CI "),
            "{out}"
        );
        assert!(
            out.contains("  python-processes ran 1.80× faster than python-sequential (95% CI "),
            "{out}"
        );
        assert!(
            out.contains("  python-threads ran 1.02× slower than python-sequential (95% CI "),
            "{out}"
        );
        // The table's speedups are per language too.
        let row = out
            .lines()
            .find(|l| l.starts_with("python-processes"))
            .unwrap();
        assert!(row.contains("1.80×"), "{row}");
        assert!(out.contains("Python rows: python-sequential"), "{out}");
    }

    #[test]
    fn one_run_gives_no_interval_instead_of_plus_minus_zero() {
        let mut rows = vec![
            Row::new("sequential", 1, 500.0, 100.0),
            Row::new("threads", 8, 260.0, 196.0),
        ];
        for row in &mut rows {
            row.walls_ms.truncate(1);
        }
        let out = super::text(&report(rows, None));
        assert!(
            out.contains(
                "threads ran 1.92× faster than sequential (no confidence interval from 1 run)"
            ),
            "{out}"
        );
        assert!(!out.contains("± 0.00"), "{out}");
    }

    #[test]
    fn contention_is_warned_only_beyond_the_cores_a_row_leaves_idle() {
        let r = report(
            vec![
                // One core used, one spare: 0.9 cores of others cost nothing.
                Row::new("sequential", 1, 500.0, 100.0).others(0.9),
                Row::new("threads", 8, 260.0, 196.0).others(0.15),
                Row::new("rayon", 2, 300.0, 170.0).others(0.3),
            ],
            None,
        );
        let contended: Vec<&str> = r
            .results
            .iter()
            .filter(|x| r.contended(x).is_some())
            .map(|x| x.name())
            .collect();
        assert_eq!(contended, ["rayon"]);
        let out = super::text(&r);
        assert!(
            out.contains("rayon lost 0.30 of its 2 cores (others kept 0.30 busy, steal 0.00)"),
            "{out}"
        );
        let row = out.lines().find(|l| l.starts_with("threads")).unwrap();
        assert!(row.contains(" 0.15 "), "{row}");
    }
}
