//! The slide of where the time went with moving included: a lane per
//! worker, drawing then on the way, and the parent's summing.

use plotters::prelude::*;

use crate::backend::WorkerKind;
use crate::error::Error;
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::render::format::{bytes, bytes_rate, duration, group_digits};
use crate::render::picture::{
    AXIS, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, bold, first_fitting, font,
    nice_step, text_width, top_centre, top_left,
};
use crate::text::{counted, join_names};

use super::title;

/// What each of the picture's colors stands for.
pub(super) const DRAWING: RGBColor = RGBColor(31, 119, 180);
pub(super) const MOVING: RGBColor = RGBColor(214, 39, 40);
pub(super) const SUMMING: RGBColor = RGBColor(148, 103, 189);
/// The line at a run's end.
pub(super) const END: RGBColor = RGBColor(150, 150, 150);

/// The most rows the picture draws: beyond, lanes would be too thin to see.
pub(super) const MAX_ROWS: usize = 6;
/// The thinnest lane, in pixels: a bar of 2 between two of 1 of space.
const MIN_LANE: i32 = 4;

/// "Where the time went, moving included": for one typical run of each row
/// that handed its numbers back, a lane per worker — drawing, then its
/// numbers on the way to the parent — and a lane for the parent's summing,
/// on one time axis (a run half as long looks half as long). A 1280×720
/// slide; the legend above the lanes, the title from the findings.
///
/// # Errors
/// [`Error::Picture`] when no row handed its numbers back (`--return
/// sums`), or if plotters fails, which drawing into memory should not.
pub fn svg(report: &Report) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "where the time went",
        problem: err.to_string(),
    };
    let candidates: Vec<(&BackendResult, &RunMeasurement)> = report
        .results
        .iter()
        .filter(|r| r.transfer().is_some())
        .filter_map(|r| Some((r, r.typical_run()?.1)))
        .collect();
    // At most MAX_ROWS: the rows whose workers are processes first — the
    // copying and the sharing ones are what the picture compares — then
    // the others in the table's order; those left out are named.
    let mut kept = vec![false; candidates.len()];
    let processes = |r: &BackendResult| r.profile.worker == WorkerKind::Process;
    for pass in [true, false] {
        for (i, (r, _)) in candidates.iter().enumerate() {
            if kept.iter().filter(|k| **k).count() < MAX_ROWS && (!pass || processes(r)) {
                kept[i] = true;
            }
        }
    }
    let left_out: Vec<&str> = candidates
        .iter()
        .zip(&kept)
        .filter(|(_, k)| !**k)
        .map(|((r, _), _)| r.name())
        .collect();
    let rows: Vec<(&BackendResult, &RunMeasurement)> = candidates
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(row, _)| *row)
        .collect();
    if rows.is_empty() {
        return Err(fail(
            &"the workers handed back sums: nothing was moved (give --return numbers)",
        ));
    }
    let end = rows
        .iter()
        .map(|(_, run)| run.wall.as_secs_f64())
        .fold(0.0, f64::max)
        .max(1e-6);
    let (scale, unit) = if end >= 2.0 { (1.0, "s") } else { (1e3, "ms") };
    let w = &report.workload;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        let (left, right) = (MARGIN, WIDTH as i32 - MARGIN);
        area.draw(&Text::new(
            title(report),
            (left, 16),
            top_left(bold(TITLE_PX), &BLACK),
        ))
        .map_err(|e| fail(&e))?;
        // Workers share a lane when one each would not fit: `group` a lane.
        let top_guess = 150;
        let room_guess =
            (HEIGHT as i32 - 84 - top_guess - 14 * (rows.len() as i32 - 1)).max(0) as usize;
        let worker_lanes: usize = rows.iter().map(|(_, run)| run.workers.len()).sum();
        let lanes_fit = (room_guess / MIN_LANE as usize)
            .saturating_sub(rows.len())
            .max(1);
        let group = worker_lanes.div_ceil(lanes_fit).max(1);
        let grouped = if group > 1 {
            format!("; a lane per {group} workers")
        } else {
            String::new()
        };
        let omitted = if left_out.is_empty() {
            String::new()
        } else {
            format!("; not drawn: {}", join_names(&left_out))
        };
        let subtitle = [
            format!(
                "{} × {} numbers of {} ({} a run), one typical run of each row{}{grouped}{omitted}",
                w.workers(),
                group_digits(i128::from(w.count())),
                counted(w.number_width(), "byte", "bytes"),
                bytes(w.returned_bytes()),
                report.memcpy.map_or(String::new(), |m| format!(
                    "; memcpy here {}",
                    bytes_rate(m.bytes_per_second)
                )),
            ),
            format!(
                "{} × {} numbers, {} a run, a typical run of each row{grouped}{omitted}",
                w.workers(),
                group_digits(i128::from(w.count())),
                bytes(w.returned_bytes()),
            ),
            format!(
                "{} × {} numbers, {} a run{grouped}{omitted}",
                w.workers(),
                group_digits(i128::from(w.count())),
                bytes(w.returned_bytes()),
            ),
        ];
        area.draw(&Text::new(
            first_fitting(&subtitle, SUBTITLE_PX, false, f64::from(right - left)),
            (left, 52),
            top_left(font(SUBTITLE_PX), &AXIS),
        ))
        .map_err(|e| fail(&e))?;
        // The legend, above the lanes: never on the data.
        let mut x = left;
        for (color, words) in [
            (DRAWING, "a worker drawing its numbers"),
            (MOVING, "its numbers on the way to the parent"),
            (SUMMING, "parent summing them"),
        ] {
            area.draw(&Rectangle::new([(x, 88), (x + 28, 106)], color.filled()))
                .map_err(|e| fail(&e))?;
            area.draw(&Text::new(
                words,
                (x + 36, 88),
                top_left(font(LABEL_PX), &AXIS),
            ))
            .map_err(|e| fail(&e))?;
            x += 36 + text_width(words, LABEL_PX, false) as i32 + 28;
        }
        // Rows other programs took cores from: their lanes show the shared
        // machine too.
        let findings = report.findings();
        let shared: Vec<&str> = findings
            .contended_rows()
            .iter()
            .map(|(row, _)| *row)
            .filter(|row| rows.iter().any(|(r, _)| r.name() == *row))
            .collect();
        let mut top = 124;
        if !shared.is_empty() {
            let banner = [
                format!(
                    "Machine shared: other programs took cores during {}, whose lanes are \
                     longer for it",
                    join_names(&shared)
                ),
                format!(
                    "Machine shared: other programs took cores during {}",
                    join_names(&shared)
                ),
                "Machine shared: other programs took cores during these runs".to_owned(),
            ];
            area.draw(&Text::new(
                first_fitting(&banner, LABEL_PX, false, f64::from(right - left)),
                (left, 118),
                top_left(font(LABEL_PX), &RGBColor(160, 40, 0)),
            ))
            .map_err(|e| fail(&e))?;
            top = 150;
        }
        // The lanes: a label column, then the time axis.
        let label_width = 250;
        let (x0, x1) = (left + label_width, right - 8);
        let bottom = HEIGHT as i32 - 84;
        let lanes_of = |workers: usize| workers.div_ceil(group) + 1;
        let lanes: usize = rows
            .iter()
            .map(|(_, run)| lanes_of(run.workers.len()))
            .sum();
        let gap = 14;
        let room = bottom - top - gap * (rows.len() as i32 - 1);
        let lane = (room / lanes.max(1) as i32).clamp(MIN_LANE, 28);
        let at_x = |seconds: f64| x0 + ((seconds / end) * f64::from(x1 - x0)).round() as i32;
        let mut y = top;
        for (result, run) in &rows {
            let transfer = result.transfer();
            let height = lane * lanes_of(run.workers.len()) as i32;
            // The row's label: its name, its wall time, how it moved.
            area.draw(&Text::new(
                result.name(),
                (left, y),
                top_left(bold(LABEL_PX + 2.0), &RGBColor(0, 0, 0)),
            ))
            .map_err(|e| fail(&e))?;
            let how = transfer.map_or(String::new(), |t| {
                format!(
                    "{} · {}, {}",
                    duration(run.wall),
                    t.path.name(),
                    match t.copies() {
                        0 => "no copy".to_owned(),
                        n => counted(n as usize, "copy", "copies"),
                    }
                )
            });
            if height >= 2 * (LABEL_PX as i32 + 4) {
                area.draw(&Text::new(
                    how,
                    (left, y + LABEL_PX as i32 + 8),
                    top_left(font(LABEL_PX), &AXIS),
                ))
                .map_err(|e| fail(&e))?;
            }
            let since = |ns: u64| ns.saturating_sub(run.started_ns) as f64 / 1e9;
            let bar = |from: f64, to: f64, lane_y: i32, color: RGBColor| {
                let (a, b) = (at_x(from), at_x(to).max(at_x(from) + 1));
                Rectangle::new([(a, lane_y + 1), (b, lane_y + lane - 1)], color.filled())
            };
            for (i, worker) in run.workers.iter().enumerate() {
                let lane_y = y + lane * (i / group) as i32;
                area.draw(&bar(
                    since(worker.start_ns),
                    since(worker.finish_ns),
                    lane_y,
                    DRAWING,
                ))
                .map_err(|e| fail(&e))?;
                if let Some(t) = worker.transfer
                    && t.delivered_ns > worker.finish_ns
                {
                    area.draw(&bar(
                        since(worker.finish_ns),
                        since(t.delivered_ns),
                        lane_y,
                        MOVING,
                    ))
                    .map_err(|e| fail(&e))?;
                }
            }
            let parent_y = y + lane * run.workers.len().div_ceil(group) as i32;
            for t in run.workers.iter().filter_map(|w| w.transfer) {
                if t.sum_finish_ns > t.sum_start_ns {
                    area.draw(&bar(
                        since(t.sum_start_ns),
                        since(t.sum_finish_ns),
                        parent_y,
                        SUMMING,
                    ))
                    .map_err(|e| fail(&e))?;
                }
            }
            // The run's end, as a thin line: wall time.
            let end_x = at_x(run.wall.as_secs_f64());
            area.draw(&PathElement::new(
                vec![(end_x, y), (end_x, y + height)],
                END.stroke_width(3),
            ))
            .map_err(|e| fail(&e))?;
            y += height + gap;
        }
        // The time axis under the lanes.
        let axis_y = y - gap + 6;
        area.draw(&PathElement::new(vec![(x0, axis_y), (x1, axis_y)], AXIS))
            .map_err(|e| fail(&e))?;
        let step = nice_step(end * scale / 6.0);
        let mut tick = 0.0;
        while tick <= end * scale * (1.0 + 1e-9) {
            let x = at_x(tick / scale);
            area.draw(&PathElement::new(vec![(x, axis_y), (x, axis_y + 6)], AXIS))
                .map_err(|e| fail(&e))?;
            let label = if step >= 1.0 {
                format!("{tick:.0}")
            } else {
                format!("{tick:.1}")
            };
            area.draw(&Text::new(
                label,
                (x, axis_y + 8),
                top_centre(font(LABEL_PX), &AXIS),
            ))
            .map_err(|e| fail(&e))?;
            tick += step;
        }
        area.draw(&Text::new(
            format!("time since the run started ({unit}); the grey line: the run's end"),
            (x0, axis_y + 34),
            top_left(font(LABEL_PX), &AXIS),
        ))
        .map_err(|e| fail(&e))?;
        area.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}
