//! `sweep --counts` in words and as a plot: every row against sequential
//! over the bytes each worker hands back, and where a curve crosses 1×.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::error::Error;
use crate::kernel::Return;
use crate::measure::count_sweep::{CountFinding, CountPoint, CountSweep};
use crate::render::format::{bytes, duration, group_digits, row_in};
use crate::render::picture::{
    AXIS, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, bold, first_fitting, font,
    top_left,
};
use crate::text::counted;

/// The words for a count sweep's finding.
pub(super) fn count_finding(finding: &CountFinding, numbers: bool) -> String {
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
    let mut ticks = xs.clone();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
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
            // A tick at each point measured, and only there: the log
            // axis's own ticks (1 to 9 in each decade) run into each other.
            .build_cartesian_2d(
                (x_min..x_max).log_scale().with_key_points(ticks.clone()),
                0.0..top,
            )
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .bold_line_style(crate::render::picture::GRID)
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
            let color = crate::render::picture::backend_color(row).to_rgba();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 6, color.filled())))
                .map_err(|e| fail(&e))?;
        }
        let mut y = 110;
        for (row, _) in &series {
            let color = crate::render::picture::backend_color(row);
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
