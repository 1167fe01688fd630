//! The speedup plot of a sweep.
//!
//! The plot is made for a slide (see [`picture`](super::picture)): worker
//! counts are integers, so the ticks are; the ideal line starts at one
//! worker, where every backend's speedup is 1 by definition, and bends flat
//! at the logical cores, which a dark dashed line marks; the legend sits to
//! the right of the plot, where it cannot cover a line.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::error::Error;
use crate::measure::findings::{FlatCause, SweepFinding};
use crate::measure::sweep::{Scaling, Sweep};
use crate::render::format::group_digits;
use crate::render::picture::{
    AXIS, GRID, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, backend_color, bold,
    first_fitting, font, nice_step, top_left,
};
use crate::text::{counted, join_names};

/// Where the legend column starts, in pixels from the left: right of the
/// plot, so that it never covers a line.
pub(super) const LEGEND_LEFT: i32 = 965;
/// Where the plot starts, from the top: below the title and its line.
pub(super) const PLOT_TOP: i32 = 92;
/// A legend entry's swatch, and the step from one entry to the next.
pub(super) const SWATCH_WIDTH: i32 = 44;
pub(super) const LEGEND_STEP: i32 = 34;

/// The ideal line's gray and the dark of the cores line.
pub(super) const IDEAL: RGBColor = RGBColor(160, 160, 160);
pub(super) const CORES: RGBColor = RGBColor(40, 40, 40);

/// Draws speedup against workers for a slide, [`WIDTH`] × [`HEIGHT`]: a line
/// per backend, the ideal `min(workers, cores)` from one worker, the
/// logical cores as a dashed line, integer worker ticks, and the legend to
/// the right of the plot. The title says how far the best backend got
/// against what the cores allow.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn plot(sweep: &Sweep) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "speedup plot",
        problem: err.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        draw_plot(&root, sweep).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The speedup of each point of each series that has one, as
/// (series index, workers, speedup).
pub(super) fn speedups(sweep: &Sweep) -> Vec<(usize, usize, f64)> {
    sweep
        .series
        .iter()
        .enumerate()
        .flat_map(|(index, series)| {
            series
                .points
                .iter()
                .filter_map(move |p| Some((index, p.workers, sweep.figures(series, p)?.speedup)))
        })
        .collect()
}

/// The title: how far the best backend got against what the cores allow,
/// and which stayed near one worker's speed — the sweep's findings — in the
/// longest wording that fits.
pub(super) fn plot_title(sweep: &Sweep) -> String {
    let cores = sweep.machine.logical_cores;
    let findings = sweep.findings();
    let mut candidates = Vec::new();
    let flats: Vec<String> = findings
        .iter()
        .filter_map(|f| match f {
            SweepFinding::StayedFlat { backends, cause } => Some(flat_words(backends, *cause)),
            _ => None,
        })
        .collect();
    let flat = (!flats.is_empty()).then(|| flats.join("; "));
    for finding in &findings {
        let SweepFinding::Best {
            backend,
            workers,
            speedup,
            ceiling,
            cores_bound,
        } = finding
        else {
            continue;
        };
        // What bounds the ideal: the cores, or the workers swept.
        let allow = if *cores_bound {
            format!("{cores} cores allow {ceiling}×")
        } else {
            let most = sweep.plan.workers.iter().copied().max().unwrap_or(1);
            format!("{most} workers on {cores} cores allow {ceiling}×")
        };
        let above = findings
            .iter()
            .any(|f| matches!(f, SweepFinding::FasterThanCores { backend: b, .. } if b == backend));
        // Never "2 cores allow 2×" beside a larger figure as if it held.
        let allow = if above {
            format!("more than the {ceiling}× its cores allow (see the notes)")
        } else {
            allow
        };
        let reached = format!(
            "{backend} reached {speedup:.2}× with {}; {allow}",
            counted(*workers, "worker", "workers")
        );
        if let Some(flat) = &flat {
            candidates.push(format!("{reached}; {flat}"));
        }
        candidates.push(reached);
        candidates.push(format!("{backend} reached {speedup:.2}×; {allow}"));
    }
    candidates.push(format!(
        "Speedup against one worker on {cores} logical cores"
    ));
    first_fitting(
        &candidates,
        TITLE_PX,
        true,
        f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
    )
}

/// `gil took turns and stayed near 1×`: a flat series and why.
pub(super) fn flat_words(backends: &[&str], cause: FlatCause) -> String {
    let names = join_names(backends);
    match cause {
        FlatCause::TookTurns => format!("{names} took turns and stayed near 1×"),
        FlatCause::WaitedForCores => {
            format!("{names} stayed near 1×, waiting for cores others had")
        }
        _ => format!("{names} stayed near 1×"),
    }
}

/// Worker ticks: integers only, 1 and then every `step`, at most about ten.
pub(super) fn worker_ticks(max_workers: usize) -> Vec<f64> {
    let step = (nice_step(max_workers as f64 / 10.0).round() as usize).max(1);
    let mut ticks = vec![1];
    ticks.extend((step..=max_workers).step_by(step).filter(|&t| t > 1));
    ticks.into_iter().map(|t| t as f64).collect()
}

/// `1.5×`, `2×`: a speedup tick without trailing zeros.
pub(super) fn times(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}×")
}

/// A linear axis with the ticks it is given, and no fine grid: integer
/// worker counts, round speedups.
#[derive(Clone)]
pub(super) struct Ticked {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range.clone()).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

pub(super) fn draw_plot(root: &Area<'_>, sweep: &Sweep) -> Drawn {
    let cores = sweep.machine.logical_cores;
    let max_workers = sweep.plan.workers.iter().copied().max().unwrap_or(1).max(1);
    let ceiling = max_workers.min(cores).max(1) as f64;
    let points = speedups(sweep);
    let top = points.iter().map(|p| p.2).fold(ceiling, f64::max) * 1.15 + 0.1;
    let room = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);

    root.draw(&Text::new(
        plot_title(sweep),
        (MARGIN, 14),
        top_left(bold(TITLE_PX), &BLACK),
    ))?;
    let count = group_digits(i128::from(sweep.plan.spec.count));
    let findings = sweep.findings();
    let shared = findings
        .iter()
        .any(|f| matches!(f, SweepFinding::Contended { .. }));
    // What ran the Python series, and a machine other programs shared: said
    // before the formula, which the legend's ideal line repeats.
    let mut lead = Vec::new();
    if let Some(interpreter) = &sweep.interpreter {
        lead.push(format!(
            "CPython {}, {}",
            interpreter.version,
            interpreter.gil_words()
        ));
    }
    if shared {
        lead.push("machine shared with other programs (see the notes)".to_owned());
    }
    let lead = if lead.is_empty() {
        String::new()
    } else {
        format!("{}; ", lead.join("; "))
    };
    let mut subtitles: Vec<String> = match sweep.plan.scaling {
        Scaling::Weak => vec![
            format!(
                "{lead}weak scaling, {count} numbers per worker: speedup = workers × T(1) ÷ \
                 T(workers), median times"
            ),
            format!(
                "{lead}weak scaling, {count} numbers per worker: speedup = workers × T(1) ÷ \
                 T(workers)"
            ),
            format!("{lead}weak scaling, {count} numbers per worker"),
        ],
        Scaling::Strong => vec![
            format!(
                "{lead}strong scaling, {count} numbers in all: speedup = T(1) ÷ T(workers), \
                 median times"
            ),
            format!("{lead}strong scaling, {count} numbers in all: speedup = T(1) ÷ T(workers)"),
            format!("{lead}strong scaling, {count} numbers in all"),
        ],
    };
    subtitles.push(lead.trim_end_matches("; ").to_owned());
    root.draw(&Text::new(
        first_fitting(&subtitles, SUBTITLE_PX, false, room),
        (MARGIN, 52),
        top_left(font(SUBTITLE_PX), &AXIS),
    ))?;

    let (plot_area, _) = root
        .margin(PLOT_TOP, 0, 0, 0)
        .split_horizontally(LEGEND_LEFT - 15);
    let pad = (0.04 * (max_workers - 1) as f64).max(0.25);
    let y_step = nice_step(top / 7.0);
    let y_ticks: Vec<f64> = (0..)
        .map(|i| f64::from(i) * y_step)
        .take_while(|y| *y <= top)
        .collect();
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(MARGIN / 2)
        .margin_right(10)
        .margin_top(10)
        .margin_bottom(MARGIN / 2)
        .x_label_area_size(64)
        .y_label_area_size(96)
        .build_cartesian_2d(
            Ticked {
                range: 1.0 - pad..max_workers as f64 + pad,
                ticks: worker_ticks(max_workers),
            },
            Ticked {
                range: 0.0..top,
                ticks: y_ticks,
            },
        )?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(AXIS)
        .label_style(font(LABEL_PX).color(&AXIS))
        .axis_desc_style(font(SUBTITLE_PX).color(&BLACK))
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_label_formatter(&|y| times(*y))
        .x_desc("workers")
        .y_desc("speedup against 1 worker (×)")
        .draw()?;

    // The ideal: one worker's speed times the workers, until the cores run out.
    let mut ideal = vec![(1.0, 1.0), (ceiling, ceiling)];
    if (max_workers as f64) > ceiling {
        ideal.push((max_workers as f64, ceiling));
    }
    chart.draw_series(LineSeries::new(ideal, IDEAL.stroke_width(4)))?;
    let cores_shown = cores <= max_workers;
    if cores_shown {
        let x = cores as f64;
        chart.draw_series(DashedLineSeries::new(
            [(x, 0.0), (x, top)],
            12,
            8,
            CORES.stroke_width(2),
        ))?;
        let (px, py) = chart.backend_coord(&(x, top));
        root.draw(&Text::new(
            format!("{cores} cores"),
            (px + 8, py + 6),
            top_left(font(LABEL_PX), &CORES),
        ))?;
    }
    for index in 0..sweep.series.len() {
        let color = backend_color(sweep.series[index].backend).to_rgba();
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.0 == index)
            .map(|p| (p.1 as f64, p.2))
            .collect();
        chart.draw_series(LineSeries::new(line.clone(), color.stroke_width(3)))?;
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 6, color.filled())))?;
    }

    // The legend, right of the plot.
    let x = LEGEND_LEFT;
    let text_x = x + SWATCH_WIDTH + 12;
    let mut y = PLOT_TOP + 14;
    for series in &sweep.series {
        let color = backend_color(series.backend).to_rgba();
        let mid = y + 11;
        root.draw(&PathElement::new(
            vec![(x, mid), (x + SWATCH_WIDTH, mid)],
            color.stroke_width(3),
        ))?;
        root.draw(&Circle::new((x + SWATCH_WIDTH / 2, mid), 6, color.filled()))?;
        root.draw(&Text::new(
            series.backend,
            (text_x, y),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
        y += LEGEND_STEP;
    }
    y += LEGEND_STEP / 2;
    root.draw(&PathElement::new(
        vec![(x, y + 11), (x + SWATCH_WIDTH, y + 11)],
        IDEAL.stroke_width(4),
    ))?;
    root.draw(&Text::new(
        "ideal speedup:",
        (text_x, y),
        top_left(font(LABEL_PX), &BLACK),
    ))?;
    root.draw(&Text::new(
        format!("min(workers, {cores})"),
        (text_x, y + 24),
        top_left(font(LABEL_PX), &BLACK),
    ))?;
    y += LEGEND_STEP + 24;
    if cores_shown {
        root.draw(&DashedPathElement::new(
            vec![
                (x + SWATCH_WIDTH / 2, y - 2),
                (x + SWATCH_WIDTH / 2, y + 24),
            ],
            6,
            4,
            CORES.stroke_width(2),
        ))?;
        root.draw(&Text::new(
            format!("{cores} logical cores"),
            (text_x, y),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
    } else {
        root.draw(&Text::new(
            format!("{cores} logical cores:"),
            (text_x, y),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
        root.draw(&Text::new(
            "more than swept",
            (text_x, y + 24),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
    }
    Ok(())
}
