//! Moving the numbers back, in words and in a picture (`--return
//! numbers`): the header's lines (what came back, and this machine's
//! `memcpy`), the table of what moving cost each row — the bytes, the
//! copies, the time on the way, the CPU the copies took against `memcpy`,
//! the parent's summing — and the slide of where the time went
//! ([`svg`]), titled from the findings ([`title`]).

use std::fmt::Write as _;

use plotters::prelude::*;

use super::format::{bytes, bytes_rate, duration, group_digits, row_in};
use super::picture::{
    AXIS, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, bold, first_fitting, font,
    nice_step, text_width, top_centre, top_left,
};
use crate::backend::ReturnPath;
use crate::error::Error;
use crate::kernel::Return;
use crate::measure::count_sweep::{CountFinding, CountPoint, CountSweep};
use crate::measure::findings::Finding;
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::text::{counted, join_names};

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
                    format!("{row} spent longer moving its numbers back than drawing them"),
                    format!("{row}: moving outlasted drawing"),
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

/// What each of the picture's colors stands for.
const DRAWING: RGBColor = RGBColor(31, 119, 180);
const MOVING: RGBColor = RGBColor(214, 39, 40);
const SUMMING: RGBColor = RGBColor(148, 103, 189);
/// The line at a run's end.
const END: RGBColor = RGBColor(150, 150, 150);

/// The most rows the picture draws: beyond, lanes would be too thin to see.
const MAX_ROWS: usize = 6;

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
    let rows: Vec<(&BackendResult, &RunMeasurement)> = report
        .results
        .iter()
        .filter(|r| r.transfer().is_some())
        .filter_map(|r| Some((r, r.typical_run()?.1)))
        .take(MAX_ROWS)
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
        let subtitle = [
            format!(
                "{} × {} numbers of {} ({} a run), one typical run of each row{}",
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
                "{} × {} numbers, {} a run, a typical run of each row",
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
        let lanes: usize = rows.iter().map(|(_, run)| run.workers.len() + 1).sum();
        let gap = 14;
        let room = bottom - top - gap * (rows.len() as i32 - 1);
        let lane = (room / lanes.max(1) as i32).clamp(2, 28);
        let at_x = |seconds: f64| x0 + ((seconds / end) * f64::from(x1 - x0)).round() as i32;
        let mut y = top;
        for (result, run) in &rows {
            let transfer = result.transfer();
            let height = lane * (run.workers.len() as i32 + 1);
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
                let lane_y = y + lane * i as i32;
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
            let parent_y = y + lane * run.workers.len() as i32;
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

/// The words for a count sweep's finding.
fn count_finding(finding: &CountFinding, numbers: bool) -> String {
    match finding {
        CountFinding::Crossed {
            row,
            before,
            after,
            fell,
        } => {
            let size = |p: &CountPoint| {
                if numbers {
                    format!("{} a worker", bytes(p.bytes_per_worker))
                } else {
                    format!("{} numbers a worker", group_digits(i128::from(p.count)))
                }
            };
            format!(
                "{row} {} 1× between {} and {} ({:.2}× → {:.2}× against sequential){}",
                if *fell { "fell below" } else { "rose above" },
                size(before),
                size(after),
                before.speedup,
                after.speedup,
                if *fell {
                    ": from there on, one worker after another is faster"
                } else {
                    ": from there on, its workers gain more than they cost"
                },
            )
        }
    }
}

/// A count sweep as text: each row's speedup against the sequential row at
/// each count (and, handing numbers back, what moving them cost), then the
/// findings.
pub fn count_text(sweep: &CountSweep) -> String {
    let mut out = String::new();
    let spec = &sweep.plan.spec;
    let numbers = spec.returns == Return::Numbers;
    let width = crate::kernel::offset_width(spec.low, spec.high);
    let _ = writeln!(
        out,
        "Sweep over the numbers per worker: {}, {}; speedup against sequential at each count \
         (medians), the sums checked at every point",
        counted(spec.workers, "worker", "workers"),
        if numbers {
            format!(
                "each hands its numbers back ({} each)",
                counted(width, "byte", "bytes")
            )
        } else {
            "each hands back its sum".to_owned()
        },
    );
    let mut columns: Vec<(String, usize)> = vec![("row".to_owned(), 17)];
    for &count in &sweep.plan.counts {
        let head = if numbers {
            bytes(count * width as u64)
        } else {
            group_digits(i128::from(count))
        };
        columns.push((head.clone(), head.chars().count().max(9)));
    }
    columns[0].1 = sweep
        .rows()
        .iter()
        .map(|r| r.len())
        .fold(columns[0].1, usize::max);
    let spec_columns: Vec<(&str, usize)> = columns.iter().map(|(n, w)| (n.as_str(), *w)).collect();
    let header: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    if numbers {
        out.push_str("(columns: bytes each worker hands back)\n");
    }
    row_in(&mut out, &header, &spec_columns);
    let mut moving = Vec::new();
    for row in sweep.rows() {
        let mut cells = vec![row.to_owned()];
        let mut on_the_way = Vec::new();
        for report in &sweep.points {
            let result = report.result(row);
            cells.push(
                result
                    .and_then(|r| report.speedup(r))
                    .map_or("—".to_owned(), |s| format!("{s:.2}×")),
            );
            if let Some(t) = result.and_then(|r| r.transfer())
                && t.copies() > 0
            {
                on_the_way.push(duration(t.moving));
            }
        }
        row_in(&mut out, &cells, &spec_columns);
        if !on_the_way.is_empty() {
            moving.push(format!("{row} {}", on_the_way.join(", ")));
        }
    }
    if !moving.is_empty() {
        let _ = writeln!(
            out,
            "on the way (from each worker's finish until the parent had its numbers, summed over \
             the workers, at each count): {}",
            moving.join("; ")
        );
    }
    let findings = sweep.findings();
    if !findings.is_empty() {
        out.push('\n');
        for finding in &findings {
            let _ = writeln!(out, "- {}.", count_finding(finding, numbers));
        }
    }
    let contended: Vec<String> = sweep
        .points
        .iter()
        .filter(|r| !r.findings().contended_rows().is_empty())
        .map(|r| group_digits(i128::from(r.workload.count())))
        .collect();
    if !contended.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: other programs took cores during the points at {} numbers a worker: \
             their speedups show this machine shared.",
            contended.join(", ")
        );
    }
    out
}

/// The picture of a count sweep: each row's speedup against sequential
/// over the bytes (or numbers) per worker, on a logarithmic axis, a line at
/// 1×; titled from where a curve crossed it. A 1280×720 slide, the legend
/// beside the plot.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn count_plot(sweep: &CountSweep) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "speedup over the work per worker",
        problem: err.to_string(),
    };
    let spec = &sweep.plan.spec;
    let numbers = spec.returns == Return::Numbers;
    let x_of = |p: &CountPoint| {
        if numbers {
            p.bytes_per_worker.max(1) as f64
        } else {
            p.count.max(1) as f64
        }
    };
    let rows = sweep.rows();
    let series: Vec<(&str, Vec<(f64, f64)>)> = rows
        .iter()
        .map(|row| {
            let points = sweep
                .series(row)
                .iter()
                .map(|p| (x_of(p), p.speedup))
                .collect();
            (*row, points)
        })
        .collect();
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.0))
        .collect();
    let (x_min, x_max) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(0.0, f64::max),
    );
    let (x_min, x_max) = if x_min.is_finite() && x_max > x_min {
        (x_min / 1.5, x_max * 1.5)
    } else {
        (1.0, 10.0)
    };
    let top = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .fold(1.0, f64::max)
        * 1.2;
    let findings = sweep.findings();
    let size = |p: &CountPoint| {
        if numbers {
            bytes(p.bytes_per_worker)
        } else {
            group_digits(i128::from(p.count))
        }
    };
    // The last crossing is where the curve ends up: said first.
    let candidates: Vec<String> = findings
        .iter()
        .rev()
        .flat_map(|f| match f {
            CountFinding::Crossed {
                row,
                before,
                after,
                fell,
            } => vec![
                format!(
                    "{row} {} one worker after another between {} and {} a worker",
                    if *fell { "fell below" } else { "rose above" },
                    size(before),
                    size(after)
                ),
                format!(
                    "{row} {} 1× between {} and {}",
                    if *fell { "fell below" } else { "rose above" },
                    size(before),
                    size(after)
                ),
            ],
        })
        .chain(std::iter::once(format!(
            "Speedup against one worker after another as each worker's {} grows",
            if numbers {
                "numbers handed back"
            } else {
                "work"
            }
        )))
        .collect();
    let room = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        root.draw(&Text::new(
            first_fitting(&candidates, TITLE_PX, true, room),
            (MARGIN, 14),
            top_left(bold(TITLE_PX), &BLACK),
        ))
        .map_err(|e| fail(&e))?;
        let shared = sweep
            .points
            .iter()
            .any(|r| !r.findings().contended_rows().is_empty());
        let subtitle = [
            format!(
                "{}, {}; medians, sums checked at every point{}",
                counted(spec.workers, "worker", "workers"),
                if numbers {
                    "each handing its numbers back"
                } else {
                    "each handing back its sum"
                },
                if shared {
                    "; machine shared with other programs (see the notes)"
                } else {
                    ""
                }
            ),
            format!(
                "{}{}",
                counted(spec.workers, "worker", "workers"),
                if shared { "; machine shared" } else { "" }
            ),
        ];
        root.draw(&Text::new(
            first_fitting(&subtitle, SUBTITLE_PX, false, room),
            (MARGIN, 52),
            top_left(font(SUBTITLE_PX), &AXIS),
        ))
        .map_err(|e| fail(&e))?;
        let legend_left = WIDTH as i32 - 300;
        let (plot_area, _) = root
            .margin(96, 0, 0, 0)
            .split_horizontally(legend_left - 15);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(MARGIN / 2)
            .margin_right(10)
            .margin_top(10)
            .margin_bottom(MARGIN / 2)
            .x_label_area_size(64)
            .y_label_area_size(96)
            .build_cartesian_2d((x_min..x_max).log_scale(), 0.0..top)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .bold_line_style(super::picture::GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style(font(LABEL_PX).color(&AXIS))
            .axis_desc_style(font(SUBTITLE_PX).color(&BLACK))
            .x_label_formatter(&|x| {
                if numbers {
                    bytes(x.round() as u64)
                } else {
                    group_digits(x.round() as i128)
                }
            })
            .y_label_formatter(&|y| format!("{y:.1}×"))
            .x_desc(if numbers {
                "bytes each worker hands back"
            } else {
                "numbers per worker"
            })
            .y_desc("speedup against sequential (×)")
            .draw()
            .map_err(|e| fail(&e))?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x_min, 1.0), (x_max, 1.0)],
                12,
                8,
                AXIS.stroke_width(2),
            ))
            .map_err(|e| fail(&e))?;
        for (row, points) in &series {
            let color = super::picture::backend_color(row).to_rgba();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 6, color.filled())))
                .map_err(|e| fail(&e))?;
        }
        let mut y = 110;
        for (row, _) in &series {
            let color = super::picture::backend_color(row);
            root.draw(&Rectangle::new(
                [(legend_left, y + 4), (legend_left + 36, y + 14)],
                color.filled(),
            ))
            .map_err(|e| fail(&e))?;
            root.draw(&Text::new(
                row.to_string(),
                (legend_left + 46, y),
                top_left(font(LABEL_PX), &BLACK),
            ))
            .map_err(|e| fail(&e))?;
            y += 32;
        }
        root.draw(&Text::new(
            "dashed: sequential (1×)",
            (legend_left, y + 8),
            top_left(font(LABEL_PX), &AXIS),
        ))
        .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}
