//! Everything a person reads: the report as text (this file: a header, one
//! table row per backend, the second table of where the workers' time went
//! (`accounting.rs`), the per-worker results as the book prints them,
//! and notes computed from the measurements), [`explain`]'s sentences,
//! the per-worker [`timeline`]s (text and SVG), a [`sweep`]'s tables and
//! plot, the [`format`](mod@format) helpers they share, and what every
//! picture shares ([`picture`]: a slide's size, text from 18 px). Pure:
//! measurements in, text or pictures out.

use std::fmt::Write as _;
use std::time::Duration;

use crate::backend::python::Interpreter;
use crate::measure::{BackendResult, Report};

mod accounting;
pub mod cores;
mod explain;
pub mod format;
pub mod html;
mod launched;
pub mod lesson;
pub mod picture;
pub mod sweep;
pub mod timeline;

pub use self::explain::{explain, sentences};
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
    accounting::table(&mut out, report);
    summary(&mut out, report);
    python(&mut out, report);
    launched::text(&mut out, report);
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
        "runs:     {} measured per backend after {} warm-up{}{}; times are medians unless marked min",
        runs_taken(report),
        report.plan.warmup,
        if report.plan.warmup == 1 { "" } else { "s" },
        if report.plan.is_exact() {
            String::new()
        } else {
            format!(
                " ({}–{}: until each median was known to ±{}% at 95% confidence)",
                report.plan.min_runs,
                report.plan.max_runs,
                report.plan.precision * 100.0
            )
        },
    );
    let _ = writeln!(
        out,
        "machine:  {} logical cores, {} physical",
        report.machine.logical_cores, report.machine.physical_cores
    );
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

const COLUMNS: [(&str, usize); 11] = [
    ("backend", 10),
    ("wall", 10),
    ("wall min", 10),
    ("user", 9),
    ("sys", 9),
    ("CPU", 5),
    ("speedup", 8),
    ("efficiency", 10),
    ("numbers/s", 10),
    ("others", 6),
    ("sums", 4),
];

fn table(out: &mut String, report: &Report) {
    // The first column widens for a long backend name (a user's own backend).
    let mut columns = COLUMNS;
    columns[0].1 = report
        .results
        .iter()
        .map(|r| r.name().chars().count())
        .fold(COLUMNS[0].1, usize::max);
    let header: Vec<String> = columns.iter().map(|(name, _)| (*name).to_owned()).collect();
    row_in(out, &header, &columns);
    for result in &report.results {
        row_in(out, &cells(report, result), &columns);
    }
    let parallelism: Vec<String> = report
        .results
        .iter()
        .map(|r| format!("{} {}", r.name(), report.usable_parallelism(r)))
        .collect();
    let _ = writeln!(
        out,
        "\nCPU = (user + sys) / wall, of one core (200% = two cores busy). speedup = {} / wall.\n\
         efficiency = speedup / workers able to run at once on {} cores: {}.\n\
         others = cores other programs kept busy meanwhile (/proc/stat; ? = runs too short to tell).",
        if report.languages().len() > 1 {
            "wall of its language's\nsequential row (Rust rows: sequential; Python rows: python-sequential)"
        } else {
            "sequential wall"
        },
        report.machine.logical_cores,
        parallelism.join(", ")
    );
}

/// The table's header and rows, cell by cell (for other views of it: HTML).
pub(crate) fn table_cells(report: &Report) -> (Vec<String>, Vec<Vec<String>>) {
    (
        COLUMNS.iter().map(|(name, _)| (*name).to_owned()).collect(),
        report.results.iter().map(|r| cells(report, r)).collect(),
    )
}

fn cells(report: &Report, result: &BackendResult) -> Vec<String> {
    let dash = || "—".to_owned();
    vec![
        result.name().to_owned(),
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
        match result.contention() {
            None => dash(),
            Some(c) if c.uncertainty_cores > crate::measure::result::UNCERTAIN_OTHERS => {
                "?".to_owned()
            }
            Some(c) => format!("{:.2}", c.others_cores + c.steal_cores),
        },
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

/// hyperfine's closing lines: how many times faster each backend ran than
/// its language's sequential row, fastest first, with the 95 % confidence
/// interval of the ratio. One block per language.
fn summary(out: &mut String, report: &Report) {
    let mut blocks = Vec::new();
    for language in report.languages() {
        let Some(baseline) = report
            .results
            .iter()
            .find(|r| r.language() == language && r.name() == language.baseline())
        else {
            continue;
        };
        let mut rows: Vec<(&BackendResult, f64)> = report
            .results
            .iter()
            .filter(|r| r.language() == language && !std::ptr::eq(*r, baseline))
            .filter_map(|r| Some((r, report.speedup(r)?)))
            .collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut block = String::new();
        for (result, speedup) in rows {
            let interval = report.speedup_interval(result);
            // Slower rows read as 1/S, and so does their interval.
            let (factor, words, interval) = if speedup >= 1.0 {
                (speedup, "faster", interval)
            } else {
                (
                    1.0 / speedup,
                    "slower",
                    interval.map(|(l, h)| (1.0 / h, 1.0 / l)),
                )
            };
            let _ = writeln!(
                block,
                "  {} ran {factor:.2}× {words} than {}{}",
                result.name(),
                baseline.name(),
                match interval {
                    Some((l, h)) => format!(" (95% CI {})", format::span(l, h, 2, "×")),
                    None => format!(
                        " (no confidence interval from {} run{})",
                        result.runs.len().min(baseline.runs.len()),
                        if result.runs.len().min(baseline.runs.len()) == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                }
            );
        }
        blocks.push(block);
    }
    if blocks.is_empty() {
        return;
    }
    out.push_str("\nSummary (each row against its own language's sequential row)\n");
    for block in blocks {
        out.push_str(&block);
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
        .filter(|r| r.name().starts_with("python-"))
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
            result.name(),
            duration(computing),
            duration(run.wall),
            duration(run.wall.saturating_sub(computing)),
            if result.name() == "python-processes" {
                " and its pool"
            } else {
                ""
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
            if r.name().starts_with("python-") {
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

/// A `--count` that would let the scaling show, and what it would cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Advice {
    /// The count suggested.
    pub(crate) count: u64,
    /// Rust's sequential row now, per run.
    pub(crate) sequential_now: Duration,
    /// Rust's sequential row at `count`, per run, about.
    pub(crate) sequential: Duration,
    /// Python's sequential row at `count`, per run, about (with Python rows).
    pub(crate) python: Option<Duration>,
    /// Python's sequential row now, per run.
    pub(crate) python_now: Option<Duration>,
    /// The whole command at `count`, about: every row's runs, scaled.
    pub(crate) command: Duration,
}

/// Above this, a Python run is longer than a class or a benchmark session
/// will wait for, and the advice is to run the Rust rows on their own.
const LONGEST_PYTHON_RUN: Duration = Duration::from_secs(10);

/// The advice, when the Rust sequential row was too short for scaling to
/// show ([`SHORT_JOB`]): a count that makes it about half a second, with
/// the time every row — Python's too — would then take.
pub(crate) fn count_advice(report: &Report) -> Option<Advice> {
    let now = report.baseline().wall_median();
    if now >= SHORT_JOB || report.results.len() < 2 || report.workload.count() == 0 {
        return None;
    }
    let count = round_up_1_2_5(report.workload.count() as f64 * 0.5 / now.as_secs_f64().max(1e-6));
    let factor = count as f64 / report.workload.count() as f64;
    let scaled = |r: &BackendResult| r.wall_median().mul_f64(factor);
    let python = report.result(crate::backend::Language::Python.baseline());
    let command = report
        .results
        .iter()
        .map(|r| scaled(r).mul_f64((r.runs.len() + report.plan.warmup) as f64))
        .sum();
    Some(Advice {
        count,
        sequential_now: now,
        sequential: scaled(report.baseline()),
        python: python.map(scaled),
        python_now: python.map(BackendResult::wall_median),
        command,
    })
}

impl Advice {
    /// The count as the command line takes it: `50_000_000`.
    pub(crate) fn count_arg(&self) -> String {
        group_digits(i128::from(self.count)).replace(',', "_")
    }

    /// The advice in words.
    pub(crate) fn text(&self, report: &Report) -> String {
        let _ = report;
        let start_up =
            "starting threads (~30 µs each) and processes (~130 µs each) is a visible share of it";
        match (self.python, self.python_now) {
            (Some(python), Some(python_now)) if python > LONGEST_PYTHON_RUN => format!(
                "the Rust rows took {} on one core, so {start_up}. --count {} would make Rust's \
                 sequential run about {}, but each Python run about {} (this whole command about {}): \
                 run the Rust backends alone at that count (without --python), and keep the Python rows \
                 at this count, where a Python run takes {}.",
                duration(self.sequential_now),
                self.count_arg(),
                duration_rough(self.sequential),
                duration_rough(python),
                duration_rough(self.command),
                duration_rough(python_now),
            ),
            _ => format!(
                "the whole job took {} on one core, so {start_up}; try --count {} to see scaling \
                 clearly (about {} a sequential run, about {} for this command).",
                duration(self.sequential_now),
                self.count_arg(),
                duration_rough(self.sequential),
                duration_rough(self.command),
            ),
        }
    }
}

/// A duration to two significant figures, in s, min or h: for estimates.
pub(crate) fn duration_rough(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{:.1} s", secs)
    } else if secs < 100.0 {
        format!("{:.0} s", secs)
    } else if secs < 6000.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
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
                r.name(),
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
                r.name(),
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
    let mut contended: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| {
            let c = report.contended(r)?;
            Some(format!(
                "{} lost {:.2} of its {} core{} (others kept {:.2} busy, steal {:.2})",
                r.name(),
                c.lost_cores,
                report.usable_parallelism(r),
                if report.usable_parallelism(r) == 1 {
                    ""
                } else {
                    "s"
                },
                c.summary.others_cores,
                c.summary.steal_cores,
            ))
        })
        .collect();
    if contended.len() == report.results.len() && contended.len() > 2 {
        let (lo, hi) = format::bounds(
            report
                .results
                .iter()
                .filter_map(|r| Some(r.contention()?.others_cores)),
        )
        .unwrap_or_default();
        contended = vec![format!(
            "every row lost cores to them (they kept {} cores busy during the runs)",
            format::span(lo, hi, 2, "")
        )];
    }
    if !contended.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: other programs took cores these rows could have used: {}. Their wall times, \
             CPU and speedups understate this machine, and a low CPU figure among them is not the \
             GIL's doing. Re-run when the machine is quiet. (Warned from {:.0}% of a row's cores: \
             a row that loses that much runs that much slower, beyond its runs' own noise.)",
            contended.join("; "),
            crate::measure::CONTENTION_WARNING * 100.0,
        );
    }
    if !report.plan.is_exact() {
        let unsettled: Vec<String> = report
            .results
            .iter()
            .filter(|r| r.runs.len() >= report.plan.max_runs)
            .filter_map(|r| {
                let walls = r.walls();
                let (lo, hi) = crate::measure::stats::median_interval(
                    &walls,
                    crate::measure::stats::CONFIDENCE,
                )?;
                let median = crate::measure::stats::median(&walls)?;
                let half = (hi - lo) / 2.0 / median;
                (half > report.plan.precision)
                    .then(|| format!("{} ±{:.1}%", r.name(), half * 100.0))
            })
            .collect();
        if !unsettled.is_empty() {
            let _ = writeln!(
                out,
                "\nnote: after {} runs some medians were still not known to ±{}%: {}. The machine \
                 is noisy; raise --max-runs, or compare these rows with care.",
                report.plan.max_runs,
                report.plan.precision * 100.0,
                unsettled.join(", ")
            );
        }
    }
    if let Some(advice) = count_advice(report) {
        let _ = writeln!(out, "\nwarning: {}", advice.text(report));
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

#[cfg(test)]
mod tests {
    use crate::measure::result::synthetic::{Row, interpreter, report};

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
    fn count_advice_weighs_the_python_rows() {
        let rust_only = report(
            vec![
                Row::new("sequential", 1, 7.0, 100.0),
                Row::new("threads", 8, 4.0, 180.0),
            ],
            None,
        );
        let out = super::text(&rust_only);
        assert!(out.contains("try --count 100_000_000 to see scaling clearly (about 0.7 s a sequential run, about "), "{out}");
        let with_python = report(
            vec![
                Row::new("sequential", 1, 7.0, 100.0),
                Row::new("threads", 8, 4.0, 180.0),
                Row::new("python-sequential", 1, 1700.0, 100.0),
                Row::new("python-threads", 8, 1750.0, 101.0),
            ],
            Some(interpreter(true, false)),
        );
        let out = super::text(&with_python);
        assert!(out.contains("each Python run about 3 min"), "{out}");
        assert!(
            out.contains("run the Rust backends alone at that count (without --python)"),
            "{out}"
        );
        assert!(out.contains("a Python run takes 1.7 s"), "{out}");
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
