//! The timelines as a picture for a slide; its layout is argued in the
//! module's documentation ([`super`]).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::computing;
use crate::backend::Language;
use crate::error::Error;
use crate::measure::findings::Finding;
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::render::format::{bounds, duration, span};
use crate::render::picture::{
    AXIS, GRID, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, bold, first_fitting, font,
    nice_step, text_width, top_centre, top_left,
};
use crate::text::{counted, join_names};

/// How the rows of the SVG timeline share the time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeScale {
    /// One scale for all the rows of a language, so that a run that took
    /// half the time is drawn half as long (Rust's and CPython's rows, which
    /// differ about a hundredfold, get a scale each, both labelled).
    #[default]
    Shared,
    /// Each row stretched over the whole width, its own wall time written in
    /// its label: the shapes compare, the lengths do not.
    Own,
}

/// Where time starts in every row, in pixels from the left.
const PLOT_LEFT: i32 = 390;
/// Where the longest row ends, in pixels from the left: room is left for the
/// last tick's label.
const PLOT_RIGHT: i32 = WIDTH as i32 - 40;
/// Where the gauge of cores busy sits in a row's label, and its size.
const GAUGE_LEFT: i32 = 300;
const GAUGE_WIDTH: i32 = 80;
const GAUGE_HEIGHT: i32 = 16;
/// A time axis under its rows: line, ticks, tick labels and its title.
const AXIS_HEIGHT: i32 = 58;
/// Between the rows of one language and the next language's.
const GROUP_GAP: i32 = 10;
/// A row's height: enough for its two lines of label, and not so tall that a
/// few rows look like a bar chart.
const ROW_MIN: i32 = 42;
const ROW_MAX: i32 = 120;
/// Where the title, the line under it and the legend sit, from the top.
const TITLE_TOP: i32 = 14;
const SUBTITLE_TOP: i32 = 52;
const LEGEND_TOP: i32 = 86;
const LEGEND_LINE: i32 = 28;

/// The workers' ink: one color everywhere, so that its opacity alone tells
/// how much of a core a worker had.
const INK: RGBColor = RGBColor(20, 70, 150);
/// The band behind a row's bars: the run, from its start to its end.
const BAND: RGBColor = RGBColor(238, 238, 238);
/// The least opacity a bar is drawn with, so that a worker with a tiny share
/// of a core (64 workers on 2 cores) still shows.
const LEAST_OPACITY: f64 = 0.08;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// One row of the picture: a backend's typical run.
struct Row<'a> {
    result: &'a BackendResult,
    run: &'a RunMeasurement,
}

/// Rows drawn on one time axis, and that axis.
struct Group<'a> {
    rows: Vec<Row<'a>>,
    /// The time `PLOT_RIGHT` stands for; `None`: each row's own wall time.
    span_ns: Option<u64>,
    /// Tick positions (0 at `PLOT_LEFT`, 1 at `PLOT_RIGHT`) and labels.
    ticks: Vec<(f64, String)>,
    /// The axis's title, longest wording first.
    titles: Vec<String>,
}

/// The marks a legend explains.
#[derive(Clone, Copy)]
enum Swatch {
    Solid,
    Pale,
    Band,
    Gauge,
}

/// The timelines as an SVG picture on the [`TimeScale::Shared`] scale; see
/// [`svg_scaled`].
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn svg(report: &Report) -> Result<String, Error> {
    svg_scaled(report, TimeScale::Shared)
}

/// The timelines as an SVG picture for a slide, [`WIDTH`] × [`HEIGHT`]: a
/// title that says which rows kept one core busy and which more, a legend,
/// then a row per backend (its typical run) with its name, wall time, CPU
/// and a gauge of the cores it kept busy, and a thin lane per worker: a bar
/// where the worker computed, as opaque as the share of a core it had. The
/// rows share a time axis per language, or each has its own (`scale`).
/// With more rows than fit at [`HEIGHT`] legibly, the picture grows taller.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn svg_scaled(report: &Report, scale: TimeScale) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "timeline",
        problem: err.to_string(),
    };
    let rows: Vec<Row<'_>> = report
        .results
        .iter()
        .filter_map(|result| {
            Some(Row {
                result,
                run: result.typical_run()?.1,
            })
        })
        .collect();
    let groups = groups(rows, scale);
    let legend = legend_lines();
    let header = LEGEND_TOP + LEGEND_LINE * legend.len() as i32 + 8;
    let row_count = groups.iter().map(|g| g.rows.len()).sum::<usize>().max(1) as i32;
    let axes = groups.len().max(1) as i32;
    let fixed = header + axes * AXIS_HEIGHT + (axes - 1) * GROUP_GAP + MARGIN / 2;
    let row_height = ((HEIGHT as i32 - fixed) / row_count).clamp(ROW_MIN, ROW_MAX);
    let height = (fixed + row_count * row_height).max(HEIGHT as i32);

    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, height as u32)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        draw_header(&area, report, &groups, &legend).map_err(|e| fail(&e))?;
        let mut top = header;
        for group in &groups {
            draw_group(&area, report, group, top, row_height).map_err(|e| fail(&e))?;
            top += group.rows.len() as i32 * row_height + AXIS_HEIGHT + GROUP_GAP;
        }
        area.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The rows in groups that share an axis: one per language (in the report's
/// order) on the shared scale, one in all on rows' own scales.
fn groups(rows: Vec<Row<'_>>, scale: TimeScale) -> Vec<Group<'_>> {
    if scale == TimeScale::Own {
        return vec![Group {
            rows,
            span_ns: None,
            ticks: (0..=5)
                .map(|i| (f64::from(i) / 5.0, format!("{}", i * 20)))
                .collect(),
            titles: vec![
                "share of each row's own wall time (%); its wall time is in its label".to_owned(),
                "share of each row's own wall time (%)".to_owned(),
            ],
        }];
    }
    // The languages in the order their first rows come.
    let mut by_language: Vec<(Language, Vec<Row<'_>>)> = Vec::new();
    for row in rows {
        match by_language
            .iter_mut()
            .find(|(language, _)| *language == row.result.language())
        {
            Some((_, rows)) => rows.push(row),
            None => by_language.push((row.result.language(), vec![row])),
        }
    }
    let span = |rows: &[Row<'_>]| {
        rows.iter()
            .map(|r| r.run.wall.as_nanos() as u64)
            .max()
            .unwrap_or(1)
            .max(1)
    };
    let several = by_language.len() > 1;
    let first = by_language
        .first()
        .map(|(language, rows)| (language_name(*language), span(rows)));
    by_language
        .into_iter()
        .map(|(language, rows)| {
            let span_ns = span(&rows);
            let (ticks, unit) = time_ticks(span_ns);
            let lead = format!("time since the run started ({unit})");
            let name = language_name(language);
            let mut titles = Vec::new();
            match first {
                Some((first, first_span)) if several && first != name => {
                    let ratio = span_ns as f64 / first_span as f64;
                    if !(0.67..=1.5).contains(&ratio) {
                        let compared = if ratio > 1.0 {
                            format!("{ratio:.0}×")
                        } else {
                            format!("1/{:.0} of", 1.0 / ratio)
                        };
                        titles.push(format!(
                            "{lead}: one scale for the {name} rows, {compared} the {first} rows'"
                        ));
                        titles.push(format!(
                            "{lead}, {name} rows: a scale {compared} the {first} rows'"
                        ));
                    }
                }
                _ => {}
            }
            if several {
                titles.push(format!("{lead}: one scale for the {name} rows"));
                titles.push(format!("{unit}, {name} rows"));
            } else {
                titles.push(format!("{lead}: one scale for every row"));
                titles.push(lead);
            }
            Group {
                rows,
                span_ns: Some(span_ns),
                ticks,
                titles,
            }
        })
        .collect()
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::Rust => "Rust",
        Language::Python => "Python",
    }
}

/// Ticks at round numbers of a unit that suits `span_ns`, five to ten of
/// them, as (fraction of the span, label), and the unit.
fn time_ticks(span_ns: u64) -> (Vec<(f64, String)>, &'static str) {
    let span = span_ns.max(1) as f64;
    let (unit, per_unit) = if span >= 2e9 {
        ("s", 1e9)
    } else if span >= 2e6 {
        ("ms", 1e6)
    } else {
        ("µs", 1e3)
    };
    let in_units = span / per_unit;
    let step = nice_step(in_units / 6.0);
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    let ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|t| *t <= in_units * (1.0 + 1e-9))
        .map(|t| {
            let label = if t == 0.0 {
                "0".to_owned()
            } else {
                format!("{t:.decimals$}")
            };
            (t / in_units, label)
        })
        .collect();
    (ticks, unit)
}

/// The title: the rows that took turns on a lock and kept one core busy,
/// and how many cores the rows whose workers ran at once kept busy (in
/// parallel, or fewer than they could) — the findings the picture shows —
/// in the longest wording that fits.
fn title(report: &Report, rows: &[&Row<'_>]) -> String {
    let cores = report.machine.logical_cores;
    let workers = report.workload.workers();
    let findings = report.findings();
    let drawn = |name: &str| rows.iter().any(|r| r.result.name() == name);
    let one: Vec<&str> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::TookTurns { row, .. } if drawn(row) => Some(*row),
            _ => None,
        })
        .collect();
    let more: Vec<&BackendResult> = findings
        .iter()
        .flat_map(|f| match f {
            Finding::RanInParallel { rows, .. } => rows.clone(),
            Finding::FreeThreads { row, .. }
            | Finding::WaitedForCores { row, .. }
            | Finding::FewCores { row, .. } => vec![*row],
            _ => Vec::new(),
        })
        .filter(|row| drawn(row))
        .filter_map(|row| report.result(row))
        .collect();
    let (lo, hi) = bounds(more.iter().map(|r| report.cores_busy(r))).unwrap_or_default();
    let of = format!("{} of {cores}", span(lo, hi, 1, ""));
    // A row that other programs held back kept at most one core busy.
    let shared = one.iter().any(|row| findings.contended(row).is_some());
    let kept = if shared {
        "kept at most one core busy"
    } else {
        "kept one core busy"
    };
    let more_names: Vec<&str> = more.iter().map(|r| r.name()).collect();
    let mut candidates = Vec::new();
    match (one.is_empty(), more.is_empty()) {
        (false, false) => {
            let one = join_names(&one);
            candidates.push(format!("{one} {kept}; {} {of}", join_names(&more_names)));
            candidates.push(format!("{one} {kept}; the others {of}"));
            candidates.push(format!("{one} {kept}"));
        }
        (false, true) => {
            candidates.push(format!(
                "{} kept {} one of the {cores} cores busy",
                join_names(&one),
                if shared { "at most" } else { "only" }
            ));
            candidates.push(format!("{} {kept}", join_names(&one)));
        }
        (true, false) => {
            candidates.push(format!("{} kept {of} cores busy", join_names(&more_names)));
            candidates.push(format!("The parallel rows kept {of} cores busy"));
        }
        (true, true) => {}
    }
    candidates.push(format!(
        "When each of {} computed, on {}",
        counted(workers, "worker", "workers"),
        counted(cores, "core", "cores"),
    ));
    first_fitting(
        &candidates,
        TITLE_PX,
        true,
        f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
    )
}

/// The legend's entries flowed into lines that fit the picture's width.
fn legend_lines() -> Vec<Vec<(Swatch, &'static str)>> {
    // The longest last: its width is estimated for the widest common
    // sans-serif, and the space that most faces leave after it falls at
    // the end of the line, not between entries.
    const ENTRIES: [(Swatch, &str); 4] = [
        (Swatch::Solid, "computing"),
        (Swatch::Band, "the whole run"),
        (Swatch::Gauge, "cores busy: CPU ÷ 100%"),
        (
            Swatch::Pale,
            "sharing a core or a lock: opacity = CPU ÷ wall",
        ),
    ];
    let room = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    let mut lines: Vec<Vec<(Swatch, &str)>> = vec![Vec::new()];
    let mut used = 0.0;
    for entry in ENTRIES {
        let width = legend_entry_width(entry.1);
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && used + width > room {
            lines.push(vec![entry]);
            used = width;
        } else {
            line.push(entry);
            used += width;
        }
    }
    lines
}

/// The width of a legend entry: its swatch, its text and the space after it.
fn legend_entry_width(text: &str) -> f64 {
    f64::from(GAUGE_WIDTH / 2 + 10) + text_width(text, LABEL_PX, false) + 30.0
}

fn draw_header(
    area: &Area<'_>,
    report: &Report,
    groups: &[Group<'_>],
    legend: &[Vec<(Swatch, &str)>],
) -> Drawn {
    let rows: Vec<&Row<'_>> = groups.iter().flat_map(|g| &g.rows).collect();
    let room = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    area.draw(&Text::new(
        title(report, &rows),
        (MARGIN, TITLE_TOP),
        top_left(bold(TITLE_PX), &BLACK),
    ))?;
    let workers = report.workload.workers();
    let count = crate::render::format::group_digits(i128::from(report.workload.count()));
    let cores = report.machine.logical_cores;
    let workers = counted(workers, "worker", "workers");
    let findings = report.findings();
    let contended: Vec<&str> = rows
        .iter()
        .map(|row| row.result.name())
        .filter(|name| findings.contended(name).is_some())
        .collect();
    let mut subtitles = Vec::new();
    if !contended.is_empty() {
        // The title's reading is the shared machine's as much as the rows'.
        subtitles.push(format!(
            "{workers} × {count} numbers on {cores} logical cores, which other programs \
             shared during {}",
            join_names(&contended)
        ));
        subtitles.push(format!(
            "{workers} × {count} numbers on {cores} logical cores, shared with other \
             programs"
        ));
    }
    subtitles.extend([
        format!(
            "{workers} × {count} numbers on {cores} logical cores; each row: the run \
             nearest its median, a lane per worker"
        ),
        format!(
            "{workers} × {count} numbers on {cores} logical cores; each row: the run \
             nearest its median"
        ),
        format!("{workers} × {count} numbers on {cores} logical cores"),
    ]);
    area.draw(&Text::new(
        first_fitting(&subtitles, SUBTITLE_PX, false, room),
        (MARGIN, SUBTITLE_TOP),
        top_left(font(SUBTITLE_PX), &AXIS),
    ))?;
    for (line_index, line) in legend.iter().enumerate() {
        let top = LEGEND_TOP + LEGEND_LINE * line_index as i32;
        let mut x = MARGIN;
        for &(swatch, text) in line {
            let (y0, y1) = (top + 3, top + 3 + GAUGE_HEIGHT);
            let x1 = x + GAUGE_WIDTH / 2;
            match swatch {
                Swatch::Solid => {
                    area.draw(&Rectangle::new([(x, y0), (x1, y1)], INK.filled()))?;
                }
                Swatch::Pale => {
                    area.draw(&Rectangle::new([(x, y0), (x1, y1)], BAND.filled()))?;
                    area.draw(&Rectangle::new([(x, y0), (x1, y1)], INK.mix(0.25).filled()))?;
                }
                Swatch::Band => {
                    area.draw(&Rectangle::new([(x, y0), (x1, y1)], BAND.filled()))?;
                }
                Swatch::Gauge => draw_gauge(area, (x, y0), GAUGE_WIDTH / 2, 1.0, 2)?,
            }
            x = x1 + 10;
            area.draw(&Text::new(text, (x, top), top_left(font(LABEL_PX), &BLACK)))?;
            x += (text_width(text, LABEL_PX, false) + 30.0) as i32;
        }
    }
    Ok(())
}

/// A gauge `width` wide at `corner`: a cell per core (up to 8; one bar
/// beyond), filled as far as `busy` cores.
fn draw_gauge(area: &Area<'_>, corner: (i32, i32), width: i32, busy: f64, cores: usize) -> Drawn {
    let cells = if (1..=8).contains(&cores) {
        cores as i32
    } else {
        1
    };
    let per_cell = if cells == 1 { cores.max(1) as f64 } else { 1.0 };
    let gap = 3;
    let cell = ((width - gap * (cells - 1)) / cells).max(2);
    let (x0, y0) = corner;
    for i in 0..cells {
        let left = x0 + i * (cell + gap);
        let filled = ((busy - f64::from(i) * per_cell) / per_cell).clamp(0.0, 1.0);
        let right = left + (f64::from(cell) * filled).round() as i32;
        if right > left {
            area.draw(&Rectangle::new(
                [(left, y0), (right, y0 + GAUGE_HEIGHT)],
                INK.filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(left, y0), (left + cell, y0 + GAUGE_HEIGHT)],
            AXIS.stroke_width(1),
        ))?;
    }
    Ok(())
}

fn draw_group(
    area: &Area<'_>,
    report: &Report,
    group: &Group<'_>,
    top: i32,
    row_height: i32,
) -> Drawn {
    let width = f64::from(PLOT_RIGHT - PLOT_LEFT);
    let x_of = |fraction: f64| PLOT_LEFT + (fraction.clamp(0.0, 1.0) * width).round() as i32;
    let bottom = top + group.rows.len() as i32 * row_height;
    // The runs' bands first, the grid over them, the workers over both.
    for (index, row) in group.rows.iter().enumerate() {
        let row_top = top + index as i32 * row_height;
        let span = group
            .span_ns
            .unwrap_or(row.run.wall.as_nanos() as u64)
            .max(1) as f64;
        let end = x_of(row.run.wall.as_nanos() as f64 / span).max(PLOT_LEFT + 1);
        area.draw(&Rectangle::new(
            [(PLOT_LEFT, row_top + 3), (end, row_top + row_height - 3)],
            BAND.filled(),
        ))?;
    }
    for &(fraction, _) in &group.ticks {
        let x = x_of(fraction);
        area.draw(&PathElement::new(vec![(x, top), (x, bottom)], GRID))?;
    }
    for (index, row) in group.rows.iter().enumerate() {
        let row_top = top + index as i32 * row_height;
        let span = group
            .span_ns
            .unwrap_or(row.run.wall.as_nanos() as u64)
            .max(1) as f64;
        let x_at = |ns: u64| x_of(ns.saturating_sub(row.run.started_ns) as f64 / span);
        draw_workers(area, row.run, row_top, row_height, &x_at)?;
        area.draw(&Text::new(
            row.result.name(),
            (MARGIN, row_top + 1),
            top_left(bold(LABEL_PX), &BLACK),
        ))?;
        // The table's figures, which the run drawn is the nearest of.
        let cpu = row.result.cpu_percent_median();
        area.draw(&Text::new(
            format!("{}, CPU {cpu:.0}%", duration(row.result.wall_median())),
            (MARGIN, row_top + 22),
            top_left(font(LABEL_PX), &AXIS),
        ))?;
        draw_gauge(
            area,
            (GAUGE_LEFT, row_top + 24),
            GAUGE_WIDTH,
            cpu / 100.0,
            report.machine.logical_cores,
        )?;
    }
    // The axis under the rows.
    area.draw(&PathElement::new(
        vec![(PLOT_LEFT, bottom), (PLOT_RIGHT, bottom)],
        AXIS.stroke_width(1),
    ))?;
    for (fraction, label) in &group.ticks {
        let x = x_of(*fraction);
        area.draw(&PathElement::new(vec![(x, bottom), (x, bottom + 6)], AXIS))?;
        area.draw(&Text::new(
            label.as_str(),
            (x, bottom + 8),
            top_centre(font(LABEL_PX), &AXIS),
        ))?;
    }
    let plot_room = f64::from(WIDTH as i32 - MARGIN - PLOT_LEFT);
    let title = first_fitting(&group.titles, LABEL_PX, false, plot_room);
    area.draw(&Text::new(
        title,
        (PLOT_LEFT, bottom + 32),
        top_left(font(LABEL_PX), &BLACK),
    ))?;
    Ok(())
}

/// A lane per worker in the row at `row_top`: a bar where it computed, as
/// opaque as its share of a core.
fn draw_workers(
    area: &Area<'_>,
    run: &RunMeasurement,
    row_top: i32,
    row_height: i32,
    x_at: &dyn Fn(u64) -> i32,
) -> Drawn {
    let lanes = run.workers.len().max(1) as i32;
    let inner_top = row_top + 6;
    let inner = row_height - 12;
    // A pixel between lanes while they are at least 3 pixels high.
    let gap = i32::from(inner / lanes >= 3);
    for worker in &run.workers {
        let lane = (worker.worker as i32).min(lanes - 1);
        let y0 = inner_top + inner * lane / lanes;
        let y1 = (inner_top + inner * (lane + 1) / lanes - gap).max(y0 + 1);
        let (intervals, share) = computing(worker);
        let color = INK.mix(share.max(LEAST_OPACITY));
        for (from, to) in intervals {
            let x0 = x_at(from);
            let x1 = x_at(to).max(x0 + 1);
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::worker;
    use super::*;
    use crate::render::picture::check;

    /// The book's experiment on 2 cores, quiet, with every backend and the
    /// Python rows: nine rows of 8 workers (rayon 2). Each worker's bar and
    /// CPU follow its row: one after the other (sequential), in turns (gil),
    /// all at once sharing the row's CPU.
    fn nine_rows() -> Report {
        use crate::measure::synthetic::{Row, report};
        let mut report = report(
            vec![
                Row::new("sequential", 1, 24.0, 100.0),
                Row::new("gil", 8, 25.0, 100.0),
                Row::new("threads", 8, 12.5, 196.0),
                Row::new("channels", 8, 12.6, 195.0),
                Row::new("rayon", 2, 12.8, 190.0),
                Row::new("process", 8, 13.0, 194.0),
                Row::new("python-sequential", 1, 2400.0, 100.0),
                Row::new("python-threads", 8, 2450.0, 100.0),
                Row::new("python-processes", 8, 1300.0, 192.0),
            ],
            None,
        );
        for result in &mut report.results {
            let one_by_one = result.name().ends_with("sequential");
            let turns = result.name() == "gil";
            for run in &mut result.runs {
                let wall = run.wall.as_nanos() as u64;
                let cpu = run.cpu_time().as_nanos() as u64;
                run.started_ns = 1_000;
                run.workers = (0..8u64)
                    .map(|i| {
                        let (from, to) = (1_000 + wall * i / 8, 1_000 + wall * (i + 1) / 8);
                        if one_by_one {
                            worker(i as usize, from, to, to - from, vec![])
                        } else if turns {
                            worker(i as usize, 1_000, 1_000 + wall, to - from, vec![(from, to)])
                        } else {
                            worker(i as usize, 1_000, 1_000 + wall, cpu / 8, vec![])
                        }
                    })
                    .collect();
            }
        }
        report
    }

    /// The `rect`s of `svg` filled with `color`, as (x, y, width, opacity).
    fn rects(svg: &str, color: RGBColor) -> Vec<(i32, i32, i32, f64)> {
        let fill = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill.as_str()))
            .map(|n| {
                let get = |name: &str| n.attribute(name).unwrap().parse::<f64>().unwrap();
                (
                    get("x") as i32,
                    get("y") as i32,
                    get("width") as i32,
                    get("opacity"),
                )
            })
            .collect()
    }

    #[test]
    fn nine_rows_fit_a_slide_with_large_text_a_title_and_a_legend() {
        let svg = svg(&nine_rows()).unwrap();
        let slide = check::slide(&svg);
        assert_eq!(slide.height, HEIGHT);
        let title = &slide.texts[0];
        assert!((title.px - TITLE_PX).abs() < 1e-9, "{title:?}");
        assert!(
            title
                .text
                .starts_with("gil and python-threads kept one core busy; "),
            "{title:?}"
        );
        for entry in [
            "computing",
            "the whole run",
            "cores busy: CPU ÷ 100%",
            "sharing a core or a lock: opacity = CPU ÷ wall",
        ] {
            assert_eq!(slide.find(entry).len(), 1, "legend entry '{entry}'");
        }
        // Every row's label: its name, its wall time and CPU.
        for (name, figures) in [
            ("sequential", "24.00 ms, CPU 100%"),
            ("threads", "12.50 ms, CPU 196%"),
            ("python-threads", "2.450 s, CPU 100%"),
            ("python-processes", "1.300 s, CPU 192%"),
        ] {
            let name_label = slide.find(name)[0];
            let figures_label = slide.find(figures)[0];
            assert_eq!(name_label.x, f64::from(MARGIN));
            assert_eq!(figures_label.x, f64::from(MARGIN));
            assert!(figures_label.y > name_label.y && figures_label.y - name_label.y < 30.0);
        }
        // The legend is above the first row, the rows above the axes' titles.
        let legend = slide.find("computing")[0].y;
        assert!(legend + 18.0 < slide.find("sequential")[0].y);
        let rust_axis = &slide
            .texts
            .iter()
            .find(|l| l.text.contains("one scale for the Rust rows"))
            .expect("the Rust rows' axis");
        assert!(
            rust_axis
                .text
                .starts_with("time since the run started (ms)")
        );
        assert!(rust_axis.y > slide.find("process")[0].y);
        let python_axis = &slide
            .texts
            .iter()
            .find(|l| l.text.contains("one scale for the Python rows"))
            .expect("the Python rows' axis");
        assert!(
            python_axis
                .text
                .starts_with("time since the run started (s)")
        );
        assert!(python_axis.y > slide.find("python-processes")[0].y);
    }

    #[test]
    fn a_worker_is_as_opaque_as_its_share_of_a_core() {
        let svg = svg(&nine_rows()).unwrap();
        let bars = rects(&svg, INK);
        let near = |opacity: f64| {
            bars.iter()
                .filter(|b| (b.3 - opacity).abs() < 0.002)
                .count()
        };
        // Eight Python threads share one core: an eighth each; eight
        // processes share 1.92 cores.
        assert_eq!(near(0.125), 8, "{bars:?}");
        assert_eq!(near(1.92 / 8.0), 8, "{bars:?}");
        // The sequential rows and the gil turns are solid (the legend's
        // swatch and the gauges' fills are too).
        assert!(near(1.0) >= 8 + 8 + 8, "{bars:?}");
    }

    #[test]
    fn the_shared_scale_draws_a_run_half_as_long_half_as_long() {
        let report = nine_rows();
        let bands = |scale| {
            let svg = svg_scaled(&report, scale).unwrap();
            // The legend's swatch first, then a band per row.
            rects(&svg, BAND)
                .into_iter()
                .skip(2)
                .map(|b| b.2)
                .collect::<Vec<i32>>()
        };
        let shared = bands(TimeScale::Shared);
        assert_eq!(shared.len(), 9, "{shared:?}");
        let full = PLOT_RIGHT - PLOT_LEFT;
        // gil is the Rust rows' longest, python-threads the Python rows'.
        assert_eq!(shared[1], full);
        assert!((shared[2] - full / 2).abs() <= 1, "{shared:?}");
        assert_eq!(shared[7], full);
        let expected = (f64::from(full) * 1300.0 / 2450.0).round() as i32;
        assert!((shared[8] - expected).abs() <= 1, "{shared:?}");
        let own = bands(TimeScale::Own);
        assert!(own.iter().all(|&w| w == full), "{own:?}");
        let slide = check::slide(&svg_scaled(&report, TimeScale::Own).unwrap());
        assert!(
            slide
                .texts
                .iter()
                .any(|l| l.text.starts_with("share of each row's own wall time (%)"))
        );
        assert_eq!(slide.find("100").len(), 1);
    }

    #[test]
    fn more_rows_than_a_slide_holds_make_it_taller_not_smaller() {
        let mut report = nine_rows();
        let extra = report.results[2..6].to_vec();
        report.results.extend(extra.clone());
        report.results.extend(extra);
        let svg = svg(&report).unwrap();
        let slide = check::slide(&svg);
        assert!(slide.height > HEIGHT, "{}", slide.height);
        let tops: Vec<f64> = slide.find("threads").iter().map(|l| l.y).collect();
        assert_eq!(tops.len(), 3);
        assert!(tops.windows(2).all(|w| w[1] - w[0] >= f64::from(ROW_MIN)));
    }

    #[test]
    fn time_ticks_are_round_numbers_of_a_fitting_unit() {
        let (ticks, unit) = time_ticks(24_000_000);
        assert_eq!(unit, "ms");
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "5", "10", "15", "20"]);
        let (ticks, unit) = time_ticks(2_450_000_000);
        assert_eq!(unit, "s");
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "0.5", "1.0", "1.5", "2.0"]);
        assert!(ticks.iter().all(|t| t.0 <= 1.0));
        assert_eq!(time_ticks(900_000).1, "µs");
    }

    #[test]
    fn the_title_calls_one_core_only_what_is_near_one_and_a_busy_machine_is_named() {
        use crate::measure::synthetic::{Row, report};
        let busy = report(
            vec![
                Row::new("sequential", 1, 10.0, 97.0),
                Row::new("gil", 8, 9.5, 103.0),
                Row::new("threads", 8, 6.7, 120.0).others(0.8),
                Row::new("process", 8, 14.8, 134.0).others(0.7),
            ],
            None,
        );
        let slide = check::slide(&svg(&busy).unwrap());
        assert_eq!(
            slide.texts[0].text,
            "gil kept one core busy; threads and process 1.2–1.3 of 2"
        );
        assert!(
            slide.texts[1]
                .text
                .ends_with("which other programs shared during threads and process"),
            "{:?}",
            slide.texts[1]
        );
    }
}
