//! "Cores busy over time": the picture of the lesson. For one typical run
//! of each row, how many cores the row's process tree kept busy, sample by
//! sample, the way a CPU meter shows it — python-threads flat at one core
//! under the GIL, python-processes and the Rust threads at two.
//!
//! The data are the sampler's ([`Contention::samples`](crate::measure::Contention::samples)): for each
//! interval, the CPU time of gilfree's process tree (itself, its threads,
//! every process descending from it) over the interval's length, and what
//! every other program kept busy, drawn as a thin grey line so that a busy
//! machine is seen for what it is.
//!
//! Layout, for a 1280×720 slide: one panel per row, stacked; rows of one
//! language share one time axis, so that a row that took half the time
//! *looks* half as long, and each language has a column of its own — Rust
//! rows last milliseconds where CPython's take seconds, and on one axis the
//! Rust panels would be slivers. Each panel's label gives its CPU and its
//! wall time.

use plotters::prelude::*;

use super::format::duration;
use super::picture::{HEIGHT, MIN_TEXT_PX, WIDTH, bold, first_fitting, font};
use crate::backend::{Language, Lock};
use crate::error::Error;
use crate::measure::findings::Finding;
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::text::join_names;

/// The color of the row's own busy cores.
const TREE: RGBColor = RGBColor(31, 119, 180);

/// The picture's title: the findings it shows, in words.
pub fn title(report: &Report) -> String {
    let findings = report.findings();
    let parallel = |language: Language| {
        findings.any(|f| matches!(f, Finding::RanInParallel { language: l, .. } if *l == language))
    };
    let took_turns = |lock: Lock| {
        findings.any(|f| matches!(f, Finding::TookTurns { lock: l, .. } if *l == Some(lock)))
    };
    if took_turns(Lock::Gil) && parallel(Language::Python) {
        if parallel(Language::Rust) {
            "Python's threads share one core (the GIL); its processes, and Rust's threads, use \
             them all"
                .to_owned()
        } else {
            "Python's threads share one core (the GIL); its processes use them all".to_owned()
        }
    } else if findings.any(|f| matches!(f, Finding::FreeThreads { .. })) {
        "Without the GIL (free-threaded CPython), Python's threads use every core".to_owned()
    } else if took_turns(Lock::Emulated) {
        if parallel(Language::Rust) {
            "Threads taking turns on one lock use one core; free threads use them all".to_owned()
        } else {
            "Threads taking turns on one lock use one core".to_owned()
        }
    } else {
        "Cores busy during one typical run of each row".to_owned()
    }
}

/// Draws the picture as SVG text.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn svg(report: &Report) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "cores busy over time",
        problem: err.to_string(),
    };
    let columns: Vec<Vec<(&BackendResult, &RunMeasurement)>> = report
        .languages()
        .into_iter()
        .map(|language| rows_of(report, language))
        .filter(|rows| !rows.is_empty())
        .collect();
    let cores = report.machine.logical_cores.max(1) as f64;
    // No row can keep more cores busy than the machine has: the axis ends
    // at them, and every series is held to them (samples).
    let top = cores.ceil();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        let findings = report.findings();
        let shared: Vec<&str> = findings
            .contended_rows()
            .iter()
            .map(|(row, _)| *row)
            .collect();
        let head_height = if shared.is_empty() { 56 } else { 88 };
        let (head, rest) = area.split_vertically(head_height);
        head.draw(&Text::new(title(report), (24, 14), bold(24.0)))
            .map_err(|e| fail(&e))?;
        if !shared.is_empty() {
            // The banner: these rows' figures are the shared machine's too.
            head.draw(&Text::new(
                format!(
                    "Machine shared: other programs took cores during {} (the grey line)",
                    join_names(&shared)
                ),
                (24, 50),
                font(MIN_TEXT_PX).color(&RGBColor(160, 40, 0)),
            ))
            .map_err(|e| fail(&e))?;
        }
        let (body, foot) = rest.split_vertically(HEIGHT - head_height - 44);
        let interval = report
            .results
            .iter()
            .flat_map(|r| r.runs.iter())
            .find_map(|run| {
                let c = run.contention.as_ref()?;
                let first = c.samples.first()?;
                Some(first.at)
            });
        // The grey line is named only where a panel draws it: a run the
        // sampler did not watch (--no-sampler, or too short) has none.
        let drawn: Vec<Series> = columns
            .iter()
            .flatten()
            .map(|(_, run)| samples(run, cores))
            .collect();
        let others_drawn = drawn
            .iter()
            .any(|(points, _)| points.iter().any(|&(_, _, others)| !others.is_nan()));
        let sampled = drawn.iter().filter(|(_, sampled)| *sampled).count();
        // The longest wording that fits the slide's width.
        let hows = |short: bool| match (interval, sampled) {
            (Some(every), n) if n == drawn.len() => {
                format!(" (sampled every {})", duration(every))
            }
            (Some(every), n) if n > 0 && short => format!(
                " (every {}; short rows from the workers' clocks)",
                duration(every)
            ),
            (Some(every), n) if n > 0 => format!(
                " (sampled every {}; rows too short for that, from the workers' clocks)",
                duration(every)
            ),
            _ => " (from the workers' clocks)".to_owned(),
        };
        let machine_cores = report.machine.logical_cores;
        let grey = |long: &'static str, short: &'static str, compact: bool| match (
            others_drawn,
            compact,
        ) {
            (false, _) => "",
            (true, false) => long,
            (true, true) => short,
        };
        let candidates: Vec<String> = [(false, false), (true, false), (true, true)]
            .iter()
            .map(|&(short, compact)| {
                let gap = if compact { " " } else { "   " };
                format!(
                    "Filled: cores the row's processes kept busy{}.{gap}{}Dashed: the machine's \
                     {machine_cores} cores.",
                    hows(short),
                    grey(
                        "Grey line: every other program.   ",
                        "Grey: other programs. ",
                        compact
                    ),
                )
            })
            .collect();
        let mut candidates = candidates;
        candidates.push(format!(
            "Filled: cores busy{}. {}Dashed: {machine_cores} cores.",
            match (interval, sampled) {
                (Some(every), n) if n == drawn.len() => format!(" (every {})", duration(every)),
                (Some(every), n) if n > 0 => {
                    format!(" (every {}; short rows: workers' clocks)", duration(every))
                }
                _ => " (workers' clocks)".to_owned(),
            },
            if others_drawn {
                "Grey: other programs. "
            } else {
                ""
            },
        ));
        let footer = first_fitting(
            &candidates,
            MIN_TEXT_PX,
            false,
            f64::from(WIDTH) - 2.0 * 24.0,
        );
        foot.draw(&Text::new(footer, (24, 10), font(MIN_TEXT_PX)))
            .map_err(|e| fail(&e))?;
        let panes = body.split_evenly((1, columns.len().max(1)));
        for (pane, rows) in panes.iter().zip(&columns) {
            let end = rows
                .iter()
                .map(|(_, run)| run.wall.as_secs_f64())
                .fold(0.0, f64::max)
                .max(1e-6);
            let (scale, unit) = if end >= 2.0 { (1.0, "s") } else { (1e3, "ms") };
            let panels = pane.split_evenly((rows.len(), 1));
            for (index, (panel, (result, run))) in panels.iter().zip(rows).enumerate() {
                let last = index + 1 == rows.len();
                draw_panel(
                    panel,
                    result,
                    run,
                    (end * scale, scale, unit),
                    top,
                    cores,
                    last,
                )
                .map_err(|e| fail(&e))?;
            }
        }
        area.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The rows of one language, each with its typical run.
fn rows_of(report: &Report, language: Language) -> Vec<(&BackendResult, &RunMeasurement)> {
    report
        .results
        .iter()
        .filter(|r| r.language() == language)
        .filter_map(|r| Some((r, r.typical_run()?.1)))
        .collect()
}

/// Below this many samples a run is too short for the sampler's series:
/// its panel is drawn from the workers' own clocks instead.
const FEW_SAMPLES: usize = 8;

/// How many steps a panel drawn from the workers' clocks has.
const WORKER_STEPS: usize = 48;

/// A run's series as (seconds, tree cores, other cores), and whether it is
/// the sampler's. The sampler's series when it has [`FEW_SAMPLES`] or more;
/// else one built from the workers' reports — each worker busy at its CPU
/// share (CPU time ÷ wall time) from its start to its finish, or, for the
/// gil backend, while it held the lock — with the others' line left out.
fn samples(run: &RunMeasurement, cores: f64) -> Series {
    let (series, sampled) = unclamped_samples(run);
    // A 10 ms tick, or workers' clocks that overlap imperfectly, can add up
    // to more than the machine has; it never ran more than its cores.
    let series = series
        .into_iter()
        // (min would turn "not drawn", NaN, into a line at the cores.)
        .map(|(at, tree, others)| {
            let others = if others.is_nan() {
                others
            } else {
                others.min(cores)
            };
            (at, tree.min(cores), others)
        })
        .collect();
    (series, sampled)
}

/// A panel's series, (seconds, tree cores, other cores), and whether the
/// sampler's.
type Series = (Vec<(f64, f64, f64)>, bool);

/// [`samples`] before they are held to the machine's cores.
fn unclamped_samples(run: &RunMeasurement) -> Series {
    let sampled: Vec<(f64, f64, f64)> = run.contention.as_ref().map_or_else(Vec::new, |c| {
        c.samples
            .iter()
            .map(|s| (s.at.as_secs_f64(), s.tree_cores, s.others_cores))
            .collect()
    });
    if sampled.len() >= FEW_SAMPLES || run.workers.is_empty() {
        let window = (run.wall.as_secs_f64() / 100.0).max(0.05);
        return (smooth(sampled, window), true);
    }
    let wall = run.wall.as_secs_f64().max(1e-9);
    let step = wall / WORKER_STEPS as f64;
    let series = (1..=WORKER_STEPS)
        .map(|i| {
            let (from, to) = (
                run.started_ns + ((i - 1) as f64 * step * 1e9) as u64,
                run.started_ns + (i as f64 * step * 1e9) as u64,
            );
            let busy: f64 = run
                .workers
                .iter()
                .map(|w| {
                    let (intervals, share) = super::timeline::computing(w);
                    share * super::timeline::coverage(&intervals, from, to)
                })
                .sum();
            (i as f64 * step, busy, f64::NAN)
        })
        .collect();
    (series, false)
}

/// Both lines averaged over `window` seconds (at least 50 ms, a hundredth
/// of the run), as a CPU meter does: `/proc/stat` counts in 10 ms ticks, so
/// one short interval alone swings the others' line by a core, and the
/// scheduler's time slices make the tree's jagged.
fn smooth(samples: Vec<(f64, f64, f64)>, window: f64) -> Vec<(f64, f64, f64)> {
    let mut from = 0.0;
    let spans: Vec<(f64, f64, f64, f64)> = samples
        .iter()
        .map(|&(at, tree, others)| {
            let span = (at - from, from, tree, others);
            from = at;
            span
        })
        .collect();
    samples
        .iter()
        .map(|&(at, _, _)| {
            let (mut weight, mut tree, mut others) = (0.0, 0.0, 0.0);
            for &(span, start, t, o) in &spans {
                if start + span > at - window / 2.0 && start < at + window / 2.0 {
                    weight += span;
                    tree += t * span;
                    others += o * span;
                }
            }
            if weight > 0.0 {
                (at, tree / weight, others / weight)
            } else {
                (at, 0.0, 0.0)
            }
        })
        .collect()
}

/// One row's panel: its busy cores as a step area, the others as a line.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    result: &BackendResult,
    run: &RunMeasurement,
    (end, scale, unit): (f64, f64, &str),
    top: f64,
    cores: f64,
    with_axis: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (points, sampled) = samples(run, cores);
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(4)
        .x_label_area_size(if with_axis { 44 } else { 0 })
        .y_label_area_size(48)
        .caption(
            format!(
                "{} — {:.0}% CPU, {}{}",
                result.name(),
                result.cpu_percent_median(),
                duration(result.wall_median()),
                if sampled {
                    ""
                } else {
                    " (from the workers' clocks)"
                }
            ),
            font(20.0),
        )
        .build_cartesian_2d(0.0..end * 1.02, 0.0..top + 0.15)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .y_labels(top as usize + 1)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .y_label_style(font(MIN_TEXT_PX))
        .x_label_style(font(MIN_TEXT_PX))
        .light_line_style(WHITE);
    if with_axis {
        mesh.x_desc(format!("time since the run started ({unit})"))
            .axis_desc_style(font(MIN_TEXT_PX));
    } else {
        mesh.x_labels(0);
    }
    mesh.y_desc("cores").axis_desc_style(font(MIN_TEXT_PX));
    mesh.draw()?;
    // Each sample covers the interval that ended at its time: a step.
    let mut tree = Vec::with_capacity(2 * points.len() + 2);
    let mut others = Vec::with_capacity(2 * points.len());
    let mut from = 0.0;
    for &(at, busy, rest) in &points {
        tree.push((from * scale, busy));
        tree.push((at * scale, busy));
        if !rest.is_nan() {
            others.push((from * scale, rest));
            others.push((at * scale, rest));
        }
        from = at;
    }
    chart.draw_series(
        AreaSeries::new(tree, 0.0, TREE.mix(0.45)).border_style(TREE.stroke_width(2)),
    )?;
    chart.draw_series(LineSeries::new(
        others,
        RGBColor(110, 110, 110).stroke_width(2),
    ))?;
    chart.draw_series(DashedLineSeries::new(
        [(0.0, cores), (end * 1.02, cores)],
        6,
        4,
        BLACK.mix(0.7).stroke_width(2),
    ))?;
    if points.is_empty() {
        chart.draw_series(std::iter::once(Text::new(
            "not sampled (--no-sampler)",
            (end * 0.02, top * 0.6),
            font(MIN_TEXT_PX),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Sample;
    use crate::measure::synthetic::{Row, report};

    fn two_rows() -> Report {
        report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("threads", 8, 47.0, 196.0),
            ],
            None,
        )
    }

    #[test]
    fn the_legend_names_the_grey_line_only_where_one_is_drawn() {
        // --no-sampler: no series at all.
        let mut unsampled = two_rows();
        for run in unsampled.results.iter_mut().flat_map(|r| r.runs.iter_mut()) {
            run.contention = None;
        }
        let picture = svg(&unsampled).unwrap();
        assert!(!picture.contains("Grey"), "{picture}");
        assert!(picture.contains("Dashed: the machine"));
        // Sampled: each run has its series, the other programs' line with it.
        let mut sampled = two_rows();
        for run in sampled.results.iter_mut().flat_map(|r| r.runs.iter_mut()) {
            let wall = run.wall;
            run.contention.as_mut().unwrap().samples = (1..=10)
                .map(|i| Sample {
                    at: wall.mul_f64(f64::from(i) / 10.0),
                    tree_cores: 1.0,
                    others_cores: 0.25,
                })
                .collect();
        }
        let picture = svg(&sampled).unwrap();
        assert!(picture.contains("Grey: other programs."), "{picture}");
    }

    #[test]
    fn the_footer_fits_the_slide_when_some_rows_were_too_short_to_sample() {
        // One row sampled, one rebuilt from its workers' clocks: the longest
        // wording would run past the right edge.
        let mut mixed = two_rows();
        let wall = mixed.results[1].runs[0].wall;
        for run in mixed.results[1].runs.iter_mut() {
            run.contention.as_mut().unwrap().samples = (1..=10)
                .map(|i| Sample {
                    at: wall.mul_f64(f64::from(i) / 10.0),
                    tree_cores: 1.0,
                    others_cores: 0.25,
                })
                .collect();
        }
        for run in mixed.results[0].runs.iter_mut() {
            run.contention.as_mut().unwrap().samples.clear();
            run.started_ns = 0;
            let wall = run.wall.as_nanos() as u64;
            run.workers = vec![crate::render::timeline::fixtures::worker(
                0,
                0,
                wall,
                wall,
                Vec::new(),
            )];
        }
        let picture = svg(&mixed).unwrap();
        let doc = roxmltree::Document::parse(&picture).unwrap();
        let footer = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .find(|t| t.starts_with("Filled:"))
            .expect("a footer");
        assert!(
            footer.contains("workers' clocks") && footer.contains("Grey"),
            "{footer}"
        );
        let width = super::super::picture::text_width(footer, MIN_TEXT_PX, false);
        assert!(width <= f64::from(WIDTH) - 48.0, "{width:.0} px: {footer}");
    }

    #[test]
    fn no_row_is_drawn_above_the_machines_cores() {
        // Eight workers whose clocks say each had a whole core, on a
        // two-core machine: rebuilt from their clocks they would add up to
        // eight. The picture holds them to two.
        let mut r = two_rows();
        for run in r.results.iter_mut().flat_map(|x| x.runs.iter_mut()) {
            run.contention = None;
            run.started_ns = 0;
            let wall = run.wall.as_nanos() as u64;
            run.workers = (0..8)
                .map(|worker| {
                    let cpu = wall;
                    crate::render::timeline::fixtures::worker(worker, 0, wall, cpu, Vec::new())
                })
                .collect();
        }
        let run = &r.results[1].runs[0];
        assert!(unclamped_samples(run).0.iter().any(|s| s.1 > 7.9));
        let (series, sampled) = samples(run, 2.0);
        assert!(!sampled);
        assert!(series.iter().all(|s| s.1 <= 2.0), "{series:?}");
        let picture = svg(&r).unwrap();
        assert!(
            picture.contains("(from the workers&apos; clocks)"),
            "{picture}"
        );
        assert!(!picture.contains("Grey"), "{picture}");
        assert!(!picture.contains("(sampled"), "{picture}");
    }

    #[test]
    fn a_shared_machine_is_said_on_the_picture() {
        let busy = report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("threads", 8, 80.0, 110.0).others(0.9),
            ],
            None,
        );
        assert!(
            svg(&busy)
                .unwrap()
                .contains("Machine shared: other programs took cores during threads")
        );
        assert!(!svg(&two_rows()).unwrap().contains("Machine shared"));
    }
}
