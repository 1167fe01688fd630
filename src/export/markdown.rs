//! The Markdown export: a one-line caption naming the workload and the
//! machine, then hyperfine's table layout (`Mean [ms]` as `mean ± σ`, `Min`,
//! `Max`) widened with gilfree's columns, the workers' time accounting among
//! them (running / waiting for a core / blocked). Meant for a README or an
//! issue.

use std::fmt::Write as _;
use std::io;

use crate::export::Exporter;
use crate::measure::{BackendResult, Report};
use crate::render::format::group_digits;

/// The header cells after the unit is chosen.
fn header(unit: &str) -> [String; 12] {
    [
        "Backend".to_owned(),
        format!("Mean [{unit}]"),
        format!("Median [{unit}]"),
        format!("Min [{unit}]"),
        format!("Max [{unit}]"),
        "CPU".to_owned(),
        "Speedup".to_owned(),
        "Efficiency".to_owned(),
        "Numbers/s".to_owned(),
        "Peak RSS [MB]".to_owned(),
        "Running / waiting / blocked".to_owned(),
        "Sums".to_owned(),
    ]
}

/// Writes the Markdown export.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn serialize(&self, report: &Report) -> io::Result<Vec<u8>> {
        Ok(markdown(report).into_bytes())
    }
}

/// The unit, and the factor from seconds to it, that suits the fastest
/// backend (as hyperfine chooses).
/// Text from outside the program (the CPU's model name) made inert in
/// Markdown: control characters escaped, and every character Markdown or
/// the HTML inside it gives a meaning (`\` `` ` `` `*` `_` `[` `]` `<` `>`
/// `|` `#` `!` `&`) preceded by a backslash.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::text::escape_controls(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unit(report: &Report) -> (&'static str, f64) {
    let fastest = report
        .results
        .iter()
        .map(|r| r.wall_median().as_secs_f64())
        .fold(f64::INFINITY, f64::min);
    if fastest >= 1.0 {
        ("s", 1.0)
    } else if fastest >= 1e-3 {
        ("ms", 1e3)
    } else {
        ("µs", 1e6)
    }
}

fn markdown(report: &Report) -> String {
    let w = &report.workload;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} workers × {} random integers in [{}, {}]{} ({}, seed {}); {} runs per backend after {} warm-up; \
         {} ({} logical cores); gilfree {}. Speedups are against each row's own language's sequential \
         row, with their 95% confidence interval.",
        w.workers(),
        group_digits(i128::from(w.count())),
        w.low(),
        w.high(),
        if w.materialize() {
            ", materialized"
        } else {
            ""
        },
        crate::render::format::generator_label(w.generator(), w.simd()),
        w.seed(),
        report.plan,
        report.plan.warmup,
        escape(&report.machine.cpu_model),
        report.machine.logical_cores,
        env!("CARGO_PKG_VERSION"),
    );
    out.push('\n');
    let (unit, scale) = unit(report);
    row(&mut out, &header(unit));
    out.push_str("|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|\n");
    for result in &report.results {
        row(&mut out, &cells(report, result, scale));
    }
    out
}

fn cells(report: &Report, result: &BackendResult, scale: f64) -> [String; 12] {
    let t = |d: std::time::Duration| format!("{:.2}", d.as_secs_f64() * scale);
    let dash = || "—".to_owned();
    [
        format!("`{}`", result.name()),
        format!("{} ± {}", t(result.wall_mean()), t(result.wall_std_dev())),
        t(result.wall_median()),
        t(result.wall_min()),
        t(result.wall_max()),
        format!("{:.0}%", result.cpu_percent_median()),
        report
            .speedup(result)
            .map_or_else(dash, |s| match report.speedup_interval(result) {
                Some((l, h)) => format!("{s:.2} ({l:.2}–{h:.2})"),
                None => format!("{s:.2}"),
            }),
        report
            .efficiency(result)
            .map_or_else(dash, |e| format!("{:.0}%", e * 100.0)),
        report
            .throughput(result)
            .map_or_else(dash, crate::render::format::rate),
        format!("{:.1}", result.peak_rss_bytes() as f64 / 1e6),
        result
            .time_accounting()
            .and_then(|a| a.shares())
            .map_or_else(dash, |s| {
                format!(
                    "{:.0}% / {:.0}% / {:.0}%",
                    s.running * 100.0,
                    s.waiting * 100.0,
                    s.blocked * 100.0
                )
            }),
        match (result.comparable, result.verified()) {
            (false, _) => "n/c",
            (true, true) => "✓",
            (true, false) => "✗",
        }
        .to_owned(),
    ]
}

fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for cell in cells {
        let _ = write!(out, " {cell} |");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_inert_in_markdown() {
        assert_eq!(escape("AMD EPYC 9B14"), "AMD EPYC 9B14");
        assert_eq!(
            escape("a|b *c* <script>\u{1b}[2J"),
            "a\\|b \\*c\\* \\<script\\>\\\\u{1b}\\[2J"
        );
        assert_eq!(escape("x\ny"), "x\\\\ny");
    }
}
