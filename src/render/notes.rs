//! The warnings and notes under the report's table: the findings about the
//! runs' noise, other programs, the job's size and the cores, in the words
//! of a benchmark tool's footer.

use std::fmt::Write as _;

use super::format::{bounds, duration, duration_rough, group_digits, span};
use crate::measure::CONTENTION_WARNING;
use crate::measure::Report;
use crate::measure::findings::{Advice, Finding, Findings};
use crate::text::{join_names, plural};

/// Appends the notes for `findings` to `out`, each after a blank line, in a
/// benchmark footer's order: the runs' noise, other programs, the medians,
/// the job's size, the cores.
pub(super) fn text(out: &mut String, report: &Report, findings: &Findings) {
    let of = |kind: fn(&Finding) -> bool| findings.iter().filter(move |f| kind(f));
    for finding in of(|f| matches!(f, Finding::Outliers { .. })) {
        note(out, report, finding);
    }
    for finding in of(|f| matches!(f, Finding::Noisy { .. })) {
        note(out, report, finding);
    }
    contention(out, report, findings);
    for finding in of(|f| matches!(f, Finding::Unsettled { .. })) {
        note(out, report, finding);
    }
    for finding in of(|f| matches!(f, Finding::TooShort(_))) {
        note(out, report, finding);
    }
    for finding in of(|f| matches!(f, Finding::Oversubscribed { .. })) {
        note(out, report, finding);
    }
}

/// The note for one finding, if it has one in the footer.
fn note(out: &mut String, report: &Report, finding: &Finding) {
    let note = match finding {
        Finding::Outliers { rows } => {
            let rows: Vec<String> = rows
                .iter()
                .map(|(row, outliers, runs)| format!("{row} ({outliers} of {runs} runs)"))
                .collect();
            format!(
                "warning: statistical outliers in the wall times of {}: another program \
                     probably interfered. Re-run on a quiet machine, or with more --runs.",
                join_names(&rows)
            )
        }
        Finding::Noisy { rows, .. } => {
            let rows: Vec<String> = rows
                .iter()
                .filter_map(|(row, _)| {
                    let r = report.result(row)?;
                    Some(format!(
                        "{row} {}–{}",
                        duration(r.wall_min()),
                        duration(r.wall_max())
                    ))
                })
                .collect();
            format!(
                "warning: the runs were noisy (fastest–slowest more than {:.0}% of the \
                     median): {}. Compare medians with care; more --runs or a quieter machine \
                     narrow it.",
                crate::measure::findings::WIDE_SPREAD * 100.0,
                rows.join(", ")
            )
        }
        Finding::Unsettled { rows } => {
            let rows: Vec<String> = rows
                .iter()
                .map(|(row, half)| format!("{row} ±{:.1}%", half * 100.0))
                .collect();
            format!(
                "note: after {} runs some medians were still not known to ±{}%: {}. The \
                     machine is noisy; raise --max-runs, or compare these rows with care.",
                report.plan.max_runs,
                report.plan.precision * 100.0,
                rows.join(", ")
            )
        }
        Finding::TooShort(advice) => format!("warning: {}", advice_text(advice)),
        Finding::Oversubscribed {
            workers,
            cores,
            ceiling_exceeded,
        } => {
            if *ceiling_exceeded {
                format!(
                    "note: {workers} workers share {cores} {}, so at most {cores}× speedup is \
                         possible here from parallelism; a larger figure above comes from the \
                         baseline (--explain says why).",
                    plural(*cores, "core", "cores")
                )
            } else {
                format!(
                    "note: {workers} workers share {cores} {}, so at most {cores}× speedup is \
                         possible here.",
                    plural(*cores, "core", "cores")
                )
            }
        }
        _ => return,
    };
    let _ = writeln!(out, "\n{note}");
}

/// The warning on the rows other programs took cores from, if any.
fn contention(out: &mut String, report: &Report, findings: &Findings) {
    let rows = findings.contended_rows();
    if rows.is_empty() {
        return;
    }
    let mut parts: Vec<String> = rows
        .iter()
        .map(|(row, c)| {
            let usable = report
                .result(row)
                .map_or(1, |r| report.usable_parallelism(r));
            format!(
                "{row} lost {:.2} of its {usable} {} (others kept {:.2} busy, steal {:.2})",
                c.lost_cores,
                plural(usable, "core", "cores"),
                c.summary.others_cores,
                c.summary.steal_cores,
            )
        })
        .collect();
    if rows.len() == report.results.len() && rows.len() > 2 {
        let (lo, hi) = bounds(rows.iter().map(|(_, c)| c.summary.others_cores)).unwrap_or_default();
        parts = vec![format!(
            "every row lost cores to them (they kept {} cores busy during the runs)",
            span(lo, hi, 2, "")
        )];
    }
    let _ = writeln!(
        out,
        "\nwarning: other programs took cores these rows could have used: {}. Their wall times, \
         CPU and speedups understate this machine, and a low CPU figure among them is not the \
         GIL's doing. Re-run when the machine is quiet. (Warned from {:.0}% of a row's cores: \
         a row that loses that much runs that much slower, beyond its runs' own noise.)",
        parts.join("; "),
        CONTENTION_WARNING * 100.0,
    );
}

/// The count as the command line takes it: `50_000_000`.
pub(super) fn count_arg(advice: &Advice) -> String {
    group_digits(i128::from(advice.count)).replace(',', "_")
}

/// The advice in words.
fn advice_text(advice: &Advice) -> String {
    let start_up =
        "starting threads (~30 µs each) and processes (~130 µs each) is a visible share of it";
    match (advice.python, advice.python_now) {
        (Some(python), Some(python_now)) if advice.python_too_long() => format!(
            "the Rust rows took {} on one core, so {start_up}. --count {} would make Rust's \
             sequential run about {}, but each Python run about {} (this whole command about {}): \
             run the Rust backends alone at that count (without --python), and keep the Python rows \
             at this count, where a Python run takes {}.",
            duration(advice.sequential_now),
            count_arg(advice),
            duration_rough(advice.sequential),
            duration_rough(python),
            duration_rough(advice.command),
            duration_rough(python_now),
        ),
        _ => format!(
            "the whole job took {} on one core, so {start_up}; try --count {} to see scaling \
             clearly (about {} a sequential run, about {} for this command).",
            duration(advice.sequential_now),
            count_arg(advice),
            duration_rough(advice.sequential),
            duration_rough(advice.command),
        ),
    }
}
