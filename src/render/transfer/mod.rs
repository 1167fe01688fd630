//! Moving the numbers back, in words and in a picture (`--return
//! numbers`): the header's lines (what came back, and this machine's
//! `memcpy`), the table of what moving cost each row — the bytes, the
//! copies, the time on the way, the CPU the copies took against `memcpy`,
//! the parent's summing — and the slide of where the time went
//! ([`svg`], in `svg.rs`), titled from the findings ([`title`]); `sweep
//! --counts`' table and plot in `count.rs`.

use std::fmt::Write as _;

use super::format::{bytes, bytes_rate, duration, group_digits, row_in};
use super::picture::{MARGIN, TITLE_PX, WIDTH, first_fitting};
use crate::backend::ReturnPath;
use crate::kernel::Return;
use crate::measure::Report;
use crate::measure::findings::Finding;
use crate::text::counted;

mod count;
mod svg;

pub use count::{count_plot, count_text};
pub use svg::svg;

/// How the numbers travel on `path`, for a sentence: `through pipes`.
pub(super) fn path_words(path: ReturnPath) -> &'static str {
    match path {
        ReturnPath::Shared => "in memory the parent shares",
        ReturnPath::Pipe => "through pipes",
        ReturnPath::Pickle => "pickled through multiprocessing's pipes",
        ReturnPath::Gather => "by MPI_Gather",
    }
}

/// The header's lines when the workers hand their numbers back: what they
/// hand back, how big, and the `memcpy` reference; none with sums.
pub(super) fn header_lines(report: &Report) -> Vec<String> {
    let w = &report.workload;
    if w.returns() != Return::Numbers {
        return Vec::new();
    }
    let width = w.number_width();
    let mut lines = vec![format!(
        "numbers:  every worker hands back its {} numbers, each as its offset from {} in {} \
         (the range spans {} values), {} a worker, {} a run; the parent sums them",
        group_digits(i128::from(w.count())),
        w.low(),
        counted(width, "byte", "bytes"),
        group_digits(i128::from(w.high()) - i128::from(w.low()) + 1),
        bytes(w.numbers_bytes_per_worker()),
        bytes(w.returned_bytes()),
    )];
    if let Some(memcpy) = report.memcpy {
        lines.push(format!(
            "memcpy:   {} on this machine, one thread ({} copied, the fastest of {} in CPU time, \
             measured in this run before the first): the limit of any copy",
            bytes_rate(memcpy.bytes_per_second),
            bytes(memcpy.bytes),
            memcpy.samples,
        ));
    }
    lines
}

const COLUMNS: [(&str, usize); 7] = [
    ("backend", 17),
    ("path", 6),
    ("copies", 6),
    ("bytes", 7),
    ("on the way", 10),
    ("copy CPU", 9),
    ("summing", 9),
];

/// The table of what moving the numbers back cost each row, with the
/// copies read against `memcpy`; nothing with sums.
pub(super) fn text(out: &mut String, report: &Report) {
    let rows: Vec<_> = report
        .results
        .iter()
        .filter_map(|r| Some((r, r.transfer()?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "\nMoving the numbers back (medians; on the way = from each worker's finish until the \
         parent had its numbers, summed over the workers):\n",
    );
    let mut columns = COLUMNS;
    columns[0].1 = rows
        .iter()
        .map(|(r, _)| r.name().chars().count())
        .fold(COLUMNS[0].1, usize::max);
    let header: Vec<String> = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
    row_in(out, &header, &columns);
    let mut rates = Vec::new();
    for (result, transfer) in &rows {
        row_in(
            out,
            &[
                result.name().to_owned(),
                transfer.path.name().to_owned(),
                transfer.copies().to_string(),
                bytes(transfer.bytes),
                duration(transfer.moving),
                transfer.copy_cpu.map_or("–".to_owned(), duration),
                duration(transfer.summing),
            ],
            &columns,
        );
        if let Some(against) = report.copies_against_memcpy(result) {
            rates.push(format!(
                "{} moved its numbers at {} of copy CPU ({} {}: into the kernel and out), \
                 {:.1}× below memcpy's {}",
                result.name(),
                bytes_rate(against.rate),
                counted(transfer.copies() as usize, "copy", "copies"),
                path_words(transfer.path),
                against.times_below,
                bytes_rate(against.memcpy),
            ));
        }
    }
    for (result, transfer) in &rows {
        if let Some(crossed) = transfer.network_bytes {
            rates.push(format!(
                "{}: {} of the {} crossed the network (from ranks on other hosts than rank 0's); \
                 the rest moved on rank 0's host, through its MPI's shared memory",
                result.name(),
                bytes(crossed),
                bytes(transfer.bytes),
            ));
        }
    }
    for line in rates {
        let _ = writeln!(out, "  {line}");
    }
}

/// The title of the picture of where the time went: what the findings say
/// of moving the numbers, in words that fit `room` pixels.
pub fn title(report: &Report) -> String {
    title_within(report, f64::from(WIDTH) - 2.0 * f64::from(MARGIN))
}

fn title_within(report: &Report, room: f64) -> String {
    let findings = report.findings();
    let path = |row: &str| {
        report
            .result(row)
            .map_or("", |r| path_words(r.profile.returns))
    };
    let candidates: Vec<String> = findings
        .iter()
        .find_map(|f| match f {
            Finding::CopyCost {
                copying,
                sharing,
                bytes: moved,
                ate_gain: true,
                gain: Some(_),
                ..
            } => Some(vec![
                format!(
                    "Copying {} back {} ate the whole parallel gain; {sharing}, sharing memory, \
                     kept it",
                    bytes(*moved),
                    path(copying)
                ),
                format!(
                    "Copying {} back {} ate the whole parallel gain",
                    bytes(*moved),
                    path(copying)
                ),
                "Copying the numbers back ate the parallel gain".to_owned(),
            ]),
            Finding::CopyCost {
                copying,
                extra,
                gain: Some(gain),
                ate_gain: false,
                bytes: moved,
                ..
            } => {
                let share = 100.0 * extra.as_secs_f64() / gain.as_secs_f64();
                Some(vec![
                    format!(
                        "Copying {} back {} ate {share:.0}% of {copying}'s parallel gain",
                        bytes(*moved),
                        path(copying)
                    ),
                    format!("Copying ate {share:.0}% of {copying}'s parallel gain"),
                ])
            }
            Finding::CopyCost {
                copying,
                gain: None,
                ..
            } => Some(vec![
                format!("{copying} lost time copying its numbers back, with no gain to spend"),
                format!("{copying} lost time copying its numbers back"),
            ]),
            _ => None,
        })
        .or_else(|| {
            findings.iter().find_map(|f| match f {
                Finding::MovingDominated { row, .. } => Some(vec![
                    format!("{row}'s numbers spent longer on the way back than being drawn"),
                    format!("{row}: on the way longer than drawing"),
                ]),
                _ => None,
            })
        })
        .unwrap_or_else(|| {
            vec![
                "Where the time went: drawing the numbers, moving them back, summing them"
                    .to_owned(),
                "Drawing, moving back, summing".to_owned(),
            ]
        });
    first_fitting(&candidates, TITLE_PX, true, room)
}
