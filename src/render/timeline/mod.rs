//! Per-worker timelines: when each worker computed during a typical run of
//! each backend, as text for the terminal and as an SVG picture.
//!
//! The data are the [`WorkerReport`]s: a worker computes from its start to
//! its finish, except in the `gil` backend, where it computes only in the
//! intervals during which it held the lock ([`WorkerReport::held_ns`]). A
//! worker that was running but had to share a core with others (8 threads on
//! 2 cores), or to wait for CPython's GIL, got only part of that time: its CPU
//! time over its wall time. The text chart shades a cell by that share — █
//! computing all of the cell, ▓ ▒ ░ less — so the gil backend's rows
//! interleave, while the parallel backends' rows overlap.
//!
//! # The picture
//!
//! [`svg_scaled`] draws for a slide (1280 × 720, text of
//! [`MIN_TEXT_PX`](super::picture::MIN_TEXT_PX) and more), and its layout follows from what a class must
//! see at a glance:
//!
//! - **One row per backend, a thin lane per worker inside it.** With
//!   `--python` there are nine rows; a panel per backend with its own axes,
//!   as the picture had before, needs 1,100 pixels of height for them, while
//!   nine rows of lanes fit 720 (a grid of panels would fit too, but rows on
//!   one axis can be compared by eye, cells of a grid cannot). The lanes are
//!   not labelled: which worker is which does not matter, how many computed
//!   at once does.
//! - **One ink whose opacity is the worker's share of a core** (CPU ÷ wall;
//!   solid in the gil backend's turns). Eight Python threads that share one
//!   core under the GIL are drawn at an eighth, eight processes on two cores
//!   at a quarter: the columns of python-threads hold one core's ink, those
//!   of python-processes two. (A color per worker, as before, made both
//!   eight pale stripes alike, which read as "both ran in parallel".)
//! - **Each row's label carries its wall time and CPU**, and a gauge of the
//!   cores it kept busy (CPU ÷ 100 %, a cell per core), the figure the
//!   lesson turns on; the title names the rows that kept at most one core
//!   busy and how far the others got.
//! - **A shared time axis** ([`TimeScale::Shared`]), so that a run twice as
//!   fast is drawn half as long. CPython's rows take about a hundred times as
//!   long as Rust's: on one axis the Rust rows would be a few pixels wide. So
//!   the rows of each language share an axis of their own, drawn under them
//!   and titled with its language and how its scale compares. Within a
//!   language, lengths compare; across, the labels' wall times do.
//!   [`TimeScale::Own`] stretches every row over the whole width instead,
//!   with a percentage axis.
//! - **Title, line under it and legend above the rows**, never over them;
//!   the legend explains every mark: solid, pale, the gray band (the whole
//!   run, start to finish) and the gauge.
//!
//! Rows are at least 42 pixels high, enough for their two lines of label: with more rows than fit at 720 pixels (more than about eleven) the
//! picture grows taller rather than its text smaller.

//!
//! The files: this one holds what both views read off a worker — when it
//! computed and with what share of a core — `text.rs` the terminal's chart
//! ([`text()`]), `svg.rs` the picture ([`svg()`]).

use crate::worker::WorkerReport;

mod svg;
mod text;

pub use self::svg::{TimeScale, svg, svg_scaled};
pub use self::text::{TEXT_WIDTH, text};

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

#[cfg(test)]
pub(crate) mod fixtures {
    use std::time::Duration;

    use crate::worker::WorkerReport;

    /// A worker report with the given times, CPU and lock turns.
    pub(crate) fn worker(
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
            waiting_for_cpu: None,
            cpu_at_start: Some(0),
            cpu_at_finish: Some(1),
            pid: 1,
            tid: 1,
            peak_rss_bytes: None,
            held_ns: held,
            host: None,
            ready_ns: None,
            process: None,
            transfer: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::worker;
    use super::*;

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
    }
}
