//! Per-worker timelines: when each worker computed during a typical run of
//! each backend, as text for the terminal and as an SVG picture.
//!
//! The data are the [`WorkerReport`]s: a worker computes from its start to
//! its finish, except in the `gil` backend, where it computes only in the
//! intervals during which it held the lock ([`WorkerReport::held_ns`]). A
//! worker that was running but had to share a core with others (8 threads on
//! 2 cores) got only part of that time: its CPU time over its wall time. The
//! text chart shades a cell by that share — █ computing all of the cell, ▓ ▒ ░
//! less — so the gil backend's rows interleave, while the parallel backends'
//! rows overlap.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::format::{duration, series_color};
use crate::error::Error;
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::worker::WorkerReport;

/// Columns of the text chart.
pub const TEXT_WIDTH: usize = 60;

/// The intervals during which `worker` computed, with the share of a core it
/// had in them (1 for held intervals; CPU ÷ wall otherwise).
pub(crate) fn computing(worker: &WorkerReport) -> (Vec<(u64, u64)>, f64) {
    if worker.held_ns.is_empty() {
        let wall = worker.finish_ns.saturating_sub(worker.start_ns);
        let share = if wall == 0 {
            1.0
        } else {
            (worker.cpu_time.as_nanos() as f64 / wall as f64).clamp(0.0, 1.0)
        };
        (vec![(worker.start_ns, worker.finish_ns)], share)
    } else {
        (worker.held_ns.clone(), 1.0)
    }
}

/// How much of `[from, to)` the intervals cover, as a fraction.
pub(crate) fn coverage(intervals: &[(u64, u64)], from: u64, to: u64) -> f64 {
    if to <= from {
        return 0.0;
    }
    let covered: u64 = intervals
        .iter()
        .map(|&(a, b)| b.min(to).saturating_sub(a.max(from)))
        .sum();
    covered as f64 / (to - from) as f64
}

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
        result.name,
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

/// Writes the timelines as an SVG picture: a panel per backend, a row per
/// worker, a bar where it computed, its opacity the share of a core it had.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn svg(report: &Report) -> Result<String, Error> {
    let panels: Vec<(&BackendResult, usize, &RunMeasurement)> = report
        .results
        .iter()
        .filter_map(|r| r.typical_run().map(|(i, run)| (r, i, run)))
        .collect();
    let rows: usize = panels.iter().map(|(_, _, run)| run.workers.len()).sum();
    let height = (120 * panels.len() + 14 * rows).clamp(300, 4000) as u32;
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "timeline",
        problem: err.to_string(),
    };
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        let weights: Vec<u32> = panels
            .iter()
            .map(|(_, _, run)| 60 + 14 * run.workers.len() as u32)
            .collect();
        let total: u32 = weights.iter().sum();
        let mut rest = area;
        for ((result, index, run), weight) in panels.iter().zip(&weights) {
            let panel_height = height * weight / total.max(1);
            let (panel, below) = rest.split_vertically(panel_height);
            rest = below;
            draw_panel(&panel, result, *index, run).map_err(|e| fail(&e))?;
        }
        rest.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    result: &BackendResult,
    index: usize,
    run: &RunMeasurement,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let wall_ms = run.wall.as_secs_f64() * 1e3;
    let workers = run.workers.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} — run {} of {}, {}",
                result.name,
                index + 1,
                result.runs.len(),
                duration(run.wall)
            ),
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..wall_ms.max(1e-3), -0.5..(workers as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(workers.min(16))
        .y_label_formatter(&|y| format!("w{}", y.round() as i64))
        .x_desc("ms since the run started")
        .y_desc("worker")
        .draw()?;
    let to_ms = |ns: u64| ns.saturating_sub(run.started_ns) as f64 / 1e6;
    for worker in &run.workers {
        let (intervals, share) = computing(worker);
        let y = worker.worker as f64;
        let color = series_color(worker.worker).mix(0.15 + 0.85 * share);
        chart.draw_series(intervals.iter().map(|&(a, b)| {
            Rectangle::new([(to_ms(a), y - 0.35), (to_ms(b), y + 0.35)], color.filled())
        }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn worker(
        index: usize,
        start: u64,
        finish: u64,
        cpu: u64,
        held: Vec<(u64, u64)>,
    ) -> WorkerReport {
        WorkerReport {
            worker: index,
            sum: 0,
            start_ns: start,
            finish_ns: finish,
            cpu_time: Duration::from_nanos(cpu),
            cpu_at_start: Some(0),
            cpu_at_finish: Some(1),
            pid: 1,
            tid: 1,
            peak_rss_bytes: None,
            held_ns: held,
            host: None,
            ready_ns: None,
        }
    }

    #[test]
    fn coverage_counts_the_overlap() {
        let intervals = [(10, 20), (30, 40)];
        assert_eq!(coverage(&intervals, 0, 10), 0.0);
        assert_eq!(coverage(&intervals, 10, 20), 1.0);
        assert_eq!(coverage(&intervals, 15, 35), 0.5);
        assert_eq!(coverage(&intervals, 5, 5), 0.0);
    }

    #[test]
    fn a_worker_computes_from_start_to_finish_or_only_in_its_turns() {
        let plain = worker(0, 100, 200, 50, vec![]);
        assert_eq!(computing(&plain), (vec![(100, 200)], 0.5));
        let gil = worker(1, 100, 200, 40, vec![(110, 130), (170, 190)]);
        assert_eq!(computing(&gil), (vec![(110, 130), (170, 190)], 1.0));
        assert_eq!(cpus(&plain), "cpu 0→1");
    }

    #[test]
    fn shades_grow_with_the_computing_share() {
        let chars: String = [1.0, 0.6, 0.3, 0.1, 0.0].map(shade).iter().collect();
        assert_eq!(chars, "█▓▒░ ");
    }
}
