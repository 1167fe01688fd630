//! The timelines for the terminal: a row of shaded cells per worker.

use std::fmt::Write as _;

use super::{computing, coverage};
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::render::format::duration;
use crate::worker::WorkerReport;

/// Columns of the text chart.
pub const TEXT_WIDTH: usize = 60;

fn shade(fraction: f64) -> char {
    match fraction {
        f if f >= 0.75 => '█',
        f if f >= 0.5 => '▓',
        f if f >= 0.25 => '▒',
        f if f > 0.02 => '░',
        _ => ' ',
    }
}

/// The CPUs a worker was seen on: `cpu 1`, `cpu 0→1`, or empty.
fn cpus(worker: &WorkerReport) -> String {
    match (worker.cpu_at_start, worker.cpu_at_finish) {
        (Some(a), Some(b)) if a == b => format!("cpu {a}"),
        (Some(a), Some(b)) => format!("cpu {a}→{b}"),
        (Some(a), None) | (None, Some(a)) => format!("cpu {a}"),
        (None, None) => String::new(),
    }
}

/// The text charts of every backend in `report`, `width` columns wide.
pub fn text(report: &Report, width: usize) -> String {
    let width = width.max(10);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Timeline: one run of each backend, the one nearest its median; time runs left to right \
         over the run's wall time.\n█ computing; ▓ ▒ ░ computing part of the time (sharing a core, or \
         a lock turn within the cell); blank: waiting or done."
    );
    for result in &report.results {
        if let Some((index, run)) = result.typical_run() {
            out.push('\n');
            backend_text(&mut out, result, index, run, width);
        }
    }
    out
}

fn backend_text(
    out: &mut String,
    result: &BackendResult,
    index: usize,
    run: &RunMeasurement,
    width: usize,
) {
    let wall_ns = run.wall.as_nanos().max(1) as u64;
    let _ = writeln!(
        out,
        "{} — run {} of {}, {}",
        result.name(),
        index + 1,
        result.runs.len(),
        duration(run.wall)
    );
    let label_width = format!("w{}", run.workers.len().saturating_sub(1)).len();
    for worker in &run.workers {
        let (intervals, share) = computing(worker);
        let cells: String = (0..width as u64)
            .map(|c| {
                let from = run.started_ns + wall_ns * c / width as u64;
                let to = run.started_ns + wall_ns * (c + 1) / width as u64;
                shade(coverage(&intervals, from, to) * share)
            })
            .collect();
        let label = format!("w{}", worker.worker);
        let host = worker
            .host
            .as_ref()
            .map_or_else(String::new, |host| format!(" on {host}"));
        let _ = writeln!(
            out,
            "  {label:>label_width$} |{cells}| {}{host}",
            cpus(worker)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::worker;
    use super::*;

    #[test]
    fn shades_grow_with_the_computing_share() {
        let chars: String = [1.0, 0.6, 0.3, 0.1, 0.0].map(shade).iter().collect();
        assert_eq!(chars, "█▓▒░ ");
    }

    #[test]
    fn a_worker_is_labelled_with_the_cpus_it_was_seen_on() {
        assert_eq!(cpus(&worker(0, 100, 200, 50, vec![])), "cpu 0→1");
    }
}
