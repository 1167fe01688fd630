//! The human-readable report: a header, one table row per backend, the
//! per-worker results as the book prints them, and notes computed from the
//! measurements. Pure: a [`Report`] in, text out.

use std::fmt::Write as _;
use std::time::Duration;

use crate::driver::{BackendResult, Report};

/// Below this baseline wall time the job is so short that starting threads
/// and processes is a visible share of it.
const SHORT_JOB: Duration = Duration::from_millis(50);

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
        "workload: {} workers × {} random integers in [{}, {}]{}, {}, seed {}",
        w.workers(),
        group_digits(i128::from(w.count())),
        w.low(),
        w.high(),
        if w.materialize() {
            " (materialized)"
        } else {
            ""
        },
        w.generator().name(),
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

/// Appends one row of an aligned table: the first cell left-aligned, the
/// others right-aligned, each padded to its column's width.
pub(crate) fn row_in(out: &mut String, cells: &[String], columns: &[(&str, usize)]) {
    for (i, (cell, (_, width))) in cells.iter().zip(columns).enumerate() {
        let pad = width.saturating_sub(cell.chars().count());
        if i == 0 {
            out.push_str(cell);
            out.push_str(&" ".repeat(pad));
        } else {
            out.push_str("  ");
            out.push_str(&" ".repeat(pad));
            out.push_str(cell);
        }
    }
    // No trailing spaces.
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out.push('\n');
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
    let expected = report.expected_total();
    let _ = write!(
        out,
        "Total:   {} (expected {} = {} × {} × ({} + {}) / 2",
        group_digits(i128::from(report.total())),
        group_float(expected),
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

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Above this spread between a backend's fastest and slowest run, relative
/// to its median, the figures are too noisy to trust to the percent.
const WIDE_SPREAD: f64 = 0.25;

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

/// A few plain sentences that read this run's own figures: what the CPU
/// column says about each kind of backend, how far the speedups got against
/// what the cores allow, and whether start-up costs or noise blur them.
/// Every sentence is chosen and filled in from the measurements; none is
/// printed whatever the numbers.
pub fn explain(report: &Report) -> String {
    let mut sentences: Vec<String> = Vec::new();
    let cores = report.machine.logical_cores;
    let workers = report.workload.workers();
    let baseline = report.baseline();
    let others: Vec<&BackendResult> = report.results.iter().skip(1).collect();
    let cpu_cores = |r: &BackendResult| r.cpu_percent_median() / 100.0;

    if let Some(gil) = report.result("gil") {
        let speedup = report.speedup(gil).unwrap_or(0.0);
        if cpu_cores(gil) < 1.3 {
            sentences.push(format!(
                "gil kept about one core busy ({:.0}% CPU) although its {workers} threads could \
                 have used {} cores: only the thread holding the lock computes, so they took turns, and \
                 it ran at {speedup:.2}× the sequential speed — what the book's Python threads do.",
                gil.cpu_percent_median(),
                workers.min(cores),
            ));
        } else {
            sentences.push(format!(
                "gil used {:.0}% CPU, more than one core: the lock hand-overs and waiting threads \
                 cost CPU of their own here; it ran at {speedup:.2}× the sequential speed.",
                gil.cpu_percent_median()
            ));
        }
    }

    let parallel: Vec<&BackendResult> = others
        .iter()
        .copied()
        .filter(|r| r.name != "gil" && report.usable_parallelism(r) > 1)
        .collect();
    let (busy, idle): (Vec<&BackendResult>, Vec<&BackendResult>) = parallel
        .iter()
        .partition(|r| cpu_cores(r) >= 0.75 * report.usable_parallelism(r) as f64);
    if !busy.is_empty() {
        let names: Vec<&str> = busy.iter().map(|r| r.name).collect();
        let speedups: Vec<f64> = busy.iter().filter_map(|r| report.speedup(r)).collect();
        let (lo, hi) = (
            speedups.iter().copied().fold(f64::INFINITY, f64::min),
            speedups.iter().copied().fold(0.0, f64::max),
        );
        let cpu_lo = busy
            .iter()
            .map(|r| cpu_cores(r))
            .fold(f64::INFINITY, f64::min);
        let cpu_hi = busy.iter().map(|r| cpu_cores(r)).fold(0.0, f64::max);
        let ceiling = workers.min(cores);
        sentences.push(format!(
            "{} kept about {} cores busy ({:.0}–{:.0}% CPU) and ran {} faster than sequential; with \
             {workers} workers on {cores} logical cores, {ceiling}× is the most possible.",
            join_names(&names),
            if cpu_hi - cpu_lo < 0.15 { format!("{cpu_hi:.1}") } else { format!("{cpu_lo:.1}–{cpu_hi:.1}") },
            cpu_lo * 100.0,
            cpu_hi * 100.0,
            if hi - lo < 0.05 { format!("{hi:.2}×") } else { format!("{lo:.2}–{hi:.2}×") },
        ));
    }
    for r in idle {
        sentences.push(format!(
            "{} used only {:.0}% CPU of the {}00% it could: its workers were not all computing at \
             once for much of the run (start-up, or too little work to share).",
            r.name,
            r.cpu_percent_median(),
            report.usable_parallelism(r)
        ));
    }

    let short = baseline.wall_median() < SHORT_JOB && report.workload.count() > 0;
    if short && !others.is_empty() {
        let factor = (0.5 / baseline.wall_median().as_secs_f64().max(1e-6)).max(1.0);
        sentences.push(format!(
            "The whole job took only {} on one core, so starting the workers — about 30 µs a thread, \
             130 µs a process — is a visible part of every run; --count {} would make it about half \
             a second and let the scaling show.",
            duration(baseline.wall_median()),
            group_digits(round_up_1_2_5(report.workload.count() as f64 * factor) as i128).replace(',', "_"),
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
                most.name,
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

    let mut out = String::from("\nWhat this run shows:\n");
    for sentence in sentences {
        let _ = writeln!(out, "- {sentence}");
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The smallest of 1, 2 or 5 × 10^k that is at least `x`.
fn round_up_1_2_5(x: f64) -> u64 {
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

/// A duration with three or four significant digits and a unit that fits.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if d.is_zero() {
        "0".to_owned()
    } else if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// A rate in numbers per second with an SI prefix: `1.92 G/s`.
pub fn rate(per_second: f64) -> String {
    let (value, prefix) = if per_second >= 1e9 {
        (per_second / 1e9, "G")
    } else if per_second >= 1e6 {
        (per_second / 1e6, "M")
    } else if per_second >= 1e3 {
        (per_second / 1e3, "k")
    } else {
        (per_second, "")
    };
    format!("{value:.2} {prefix}/s")
}

/// An integer with thousands separators: `404,002,118`.
pub fn group_digits(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An expected value, which is a whole number or a half: grouped, with `.5` if needed.
fn group_float(x: f64) -> String {
    let whole = x.trunc();
    let grouped = group_digits(whole as i128);
    if (x - whole).abs() > 1e-9 {
        let sign = if x < 0.0 && whole == 0.0 { "-" } else { "" };
        format!("{sign}{grouped}.5")
    } else {
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_joined_as_in_a_sentence() {
        assert_eq!(join_names(&["a"]), "a");
        assert_eq!(join_names(&["a", "b"]), "a and b");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn digits_are_grouped_in_threes() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(-404_002_118), "-404,002,118");
        assert_eq!(group_float(404_000_000.0), "404,000,000");
        assert_eq!(group_float(2.5), "2.5");
        assert_eq!(group_float(-0.5), "-0.5");
    }

    #[test]
    fn durations_and_rates_pick_a_unit() {
        assert_eq!(duration(Duration::ZERO), "0");
        assert_eq!(duration(Duration::from_micros(12)), "12.0 µs");
        assert_eq!(duration(Duration::from_micros(4_210)), "4.21 ms");
        assert_eq!(duration(Duration::from_millis(1_660)), "1.660 s");
        assert_eq!(rate(1.92e9), "1.92 G/s");
        assert_eq!(rate(512.0), "512.00 /s");
    }

    #[test]
    fn suggestions_round_up_to_1_2_or_5_times_a_power_of_ten() {
        assert_eq!(round_up_1_2_5(1.78e7), 20_000_000);
        assert_eq!(round_up_1_2_5(1e7), 10_000_000);
        assert_eq!(round_up_1_2_5(3e3), 5_000);
        assert_eq!(round_up_1_2_5(0.5), 1);
    }
}
