//! The report's table — one row per backend, figures only — and the
//! Summary under it, hyperfine's closing lines, one block per language.

use std::fmt::Write as _;

use super::format::{self, duration, rate, row_in};
use crate::measure::Others;
use crate::measure::{BackendResult, Report};
use crate::text::{counted, plural};

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

pub(super) fn table(out: &mut String, report: &Report) {
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
        .map(|r| match r.cores_across() {
            Some(across) => format!(
                "{} {} (of the {} cores of its {})",
                r.name(),
                report.usable_parallelism(r),
                across.cores,
                counted(across.hosts, "host", "hosts")
            ),
            None => format!("{} {}", r.name(), report.usable_parallelism(r)),
        })
        .collect();
    let _ = writeln!(
        out,
        "\nCPU = (user + sys) / wall, of one core (200% = two cores busy). speedup = {} / wall.\n\
         efficiency = speedup / workers able to run at once on {}: {}.\n\
         others = cores other programs kept busy meanwhile (/proc/stat; ? = runs too short to tell).",
        if report.languages().len() > 1 {
            "wall of its language's\nsequential row (Rust rows: sequential; Python rows: python-sequential)"
        } else {
            "sequential wall"
        },
        counted(report.machine.logical_cores, "core", "cores"),
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
        others(result.others()),
        match (result.comparable, result.mismatch) {
            (false, _) => "n/c".to_owned(),
            (true, None) => "✓".to_owned(),
            (true, Some(m)) => format!("✗ w{}", m.worker),
        },
    ]
}

/// hyperfine's closing lines: how many times faster each backend ran than
/// its language's sequential row, fastest first, with the 95 % confidence
/// interval of the ratio. One block per language.
pub(super) fn summary(out: &mut String, report: &Report) {
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
                        " (no confidence interval from {} {})",
                        result.runs.len().min(baseline.runs.len()),
                        plural(result.runs.len().min(baseline.runs.len()), "run", "runs")
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

/// The "others" cell: the cores other programs kept busy, `?` where the
/// runs were too short to tell, `—` where nothing was sampled.
pub(super) fn others(others: Others) -> String {
    match others {
        Others::NotSampled => "—".to_owned(),
        Others::TooShort => "?".to_owned(),
        Others::Cores(cores) => format!("{cores:.2}"),
    }
}
