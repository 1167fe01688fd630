//! Moving the numbers back, in words (`--return numbers`): the header's
//! lines (what came back, and this machine's `memcpy`) and the table of what
//! moving cost each row — the bytes, the copies, the time on the way, the
//! CPU the copies took against `memcpy`, the parent's summing.

use std::fmt::Write as _;

use super::format::{bytes, bytes_rate, duration, group_digits, row_in};
use crate::backend::ReturnPath;
use crate::kernel::Return;
use crate::measure::Report;
use crate::text::counted;

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
            "memcpy:   {} on this machine, one thread ({} copied, median of {}, measured in this \
             run before the first): the limit of any copy",
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
    for line in rates {
        let _ = writeln!(out, "  {line}");
    }
}
