//! A sweep for people: a table per backend, and the speedup plot.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::format::{duration, group_digits, row_in, series_color};
use crate::error::Error;
use crate::measure::sweep::{Scaling, Sweep, amdahl};

const COLUMNS: [(&str, usize); 9] = [
    ("workers", 7),
    ("numbers", 13),
    ("wall", 10),
    ("speedup", 8),
    ("efficiency", 10),
    ("CPU", 6),
    ("Karp–Flatt e", 12),
    ("Amdahl", 7),
    ("others", 6),
];

/// The sweep as text: a table per backend.
pub fn text(sweep: &Sweep) -> String {
    let mut out = String::new();
    let plan = &sweep.plan;
    let _ = writeln!(
        out,
        "sweep:    {} scaling, {} workers; {}; integers in [{}, {}], {}, seed {}",
        plan.scaling.name(),
        plan.workers
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        match plan.scaling {
            Scaling::Weak => format!(
                "{} numbers per worker",
                group_digits(i128::from(plan.spec.count))
            ),
            Scaling::Strong => format!(
                "{} numbers in all, divided among the workers",
                group_digits(i128::from(plan.spec.count))
            ),
        },
        plan.spec.low,
        plan.spec.high,
        super::format::generator_label(
            plan.spec.generator,
            Some(plan.spec.simd.unwrap_or_else(crate::kernel::Simd::widest)),
        ),
        plan.spec.seed,
    );
    let _ = writeln!(
        out,
        "runs:     {} measured per point after {} warm-up; wall is the median\nmachine:  {} logical cores, {} physical",
        super::format::plan_runs(&plan.plan),
        plan.plan.warmup,
        sweep.machine.logical_cores,
        sweep.machine.physical_cores
    );
    for series in &sweep.series {
        let e = sweep.serial_fraction(series);
        let _ = writeln!(
            out,
            "\n{}{}",
            series.backend,
            e.map_or_else(String::new, |e| format!(
                " — Karp–Flatt serial fraction e ≈ {e:.3} (mean over the points on more than one core)"
            ))
        );
        let header: Vec<String> = COLUMNS.iter().map(|(n, _)| (*n).to_owned()).collect();
        row_in(&mut out, &header, &COLUMNS);
        for point in &series.points {
            let figures = sweep.figures(series, point);
            let dash = || "—".to_owned();
            let cells = vec![
                point.workers.to_string(),
                group_digits(i128::from(point.count) * point.workers as i128),
                duration(point.result.wall_median()),
                figures.map_or_else(dash, |f| format!("{:.2}×", f.speedup)),
                figures.map_or_else(dash, |f| format!("{:.0}%", f.efficiency * 100.0)),
                format!("{:.0}%", point.result.cpu_percent_median()),
                figures
                    .and_then(|f| f.serial_fraction)
                    .map_or_else(dash, |e| format!("{e:.3}")),
                match (e, figures) {
                    (Some(e), Some(f)) => format!("{:.2}×", amdahl(e, f.processors)),
                    _ => dash(),
                },
                match point.result.contention() {
                    None => dash(),
                    Some(c) if c.uncertainty_cores > crate::measure::result::UNCERTAIN_OTHERS => {
                        "?".to_owned()
                    }
                    Some(c) => format!(
                        "{:.2}{}",
                        c.others_cores + c.steal_cores,
                        if sweep.contended(point).is_some() {
                            "!"
                        } else {
                            ""
                        }
                    ),
                },
            ];
            row_in(&mut out, &cells, &COLUMNS);
        }
    }
    let _ = writeln!(
        out,
        "\nspeedup: against 1 worker{}. efficiency = speedup / min(workers, {} cores).\n\
         Karp–Flatt e = (1/S − 1/P) / (1 − 1/P) for P = min(workers, cores): the serial fraction the \
         measurement implies; Amdahl = 1 / (e + (1 − e)/P), the speedup that e predicts.\n\
         others = cores other programs kept busy during the point's runs (/proc/stat; ? = too short \
         to tell); ! = they took 10% or more of the cores the point could use.",
        match sweep.plan.scaling {
            Scaling::Weak => " and scaled by the work: workers × T(1) / T(workers)",
            Scaling::Strong => ": T(1) / T(workers)",
        },
        sweep.machine.logical_cores
    );
    let contended: Vec<String> = sweep
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s.backend, p)))
        .filter_map(|(backend, p)| {
            let c = sweep.contended(p)?;
            Some(format!(
                "{backend} at {} worker{} (lost {:.2} of {} core{})",
                p.workers,
                if p.workers == 1 { "" } else { "s" },
                c.lost_cores,
                p.result.parallelism.min(sweep.machine.logical_cores),
                if p.result.parallelism.min(sweep.machine.logical_cores) == 1 {
                    ""
                } else {
                    "s"
                },
            ))
        })
        .collect();
    if !contended.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: other programs took cores these points could have used: {}. Their speedups \
             and Karp–Flatt e measure a shared machine — a busy machine looks like a serial \
             fraction, or like a GIL. Re-run when it is quiet.",
            contended.join("; ")
        );
    }
    out
}

/// Draws speedup against workers, a line per backend, with the ideal line
/// and the core count marked, to an SVG file.
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
        let area = SVGBackend::with_string(&mut svg, (800, 560)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        let max_workers = sweep.plan.workers.iter().copied().max().unwrap_or(1) as f64;
        let max_speedup = sweep
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| sweep.figures(s, p)))
            .map(|f| f.speedup)
            .fold(
                max_workers.min(sweep.machine.logical_cores as f64),
                f64::max,
            );
        let mut chart = ChartBuilder::on(&area)
            .caption(
                format!(
                    "Speedup against 1 worker — {} scaling, {} logical cores",
                    sweep.plan.scaling.name(),
                    sweep.machine.logical_cores
                ),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..max_workers * 1.05, 0.0..max_speedup * 1.15 + 0.2)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc("workers")
            .y_desc("speedup")
            .draw()
            .map_err(|e| fail(&e))?;

        let cores = sweep.machine.logical_cores as f64;
        let ceiling = cores.min(max_workers);
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (ceiling, ceiling), (max_workers, ceiling)],
                BLACK.mix(0.35).stroke_width(2),
            ))
            .map_err(|e| fail(&e))?
            .label(format!(
                "ideal here: min(workers, {} cores)",
                sweep.machine.logical_cores
            ))
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.35).stroke_width(2))
            });
        chart
            .draw_series(LineSeries::new(
                [(cores, 0.0), (cores, max_speedup * 1.15 + 0.2)],
                RED.mix(0.4).stroke_width(1),
            ))
            .map_err(|e| fail(&e))?
            .label(format!("{} logical cores", sweep.machine.logical_cores))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.mix(0.4)));

        for (index, series) in sweep.series.iter().enumerate() {
            let color = series_color(index);
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .filter_map(|p| Some((p.workers as f64, sweep.figures(series, p)?.speedup)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| fail(&e))?
                .label(series.backend)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
                )
                .map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| fail(&e))?;
        area.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}
