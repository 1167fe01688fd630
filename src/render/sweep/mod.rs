//! A sweep for people: a table per backend ([`text`]) and the speedup plot
//! ([`plot`], in `plot.rs`).

use std::fmt::Write as _;

use super::format::{duration, group_digits, row_in};
use crate::measure::findings::{FlatCause, SweepFinding};
use crate::measure::sweep::{Scaling, SerialReading, Sweep, amdahl};
use crate::text::{counted, join_names, plural};

mod plot;

use plot::flat_words;
pub use plot::plot;

const COLUMNS: [(&str, usize); 10] = [
    ("workers", 7),
    ("numbers", 13),
    ("wall", 10),
    ("speedup", 8),
    ("efficiency", 10),
    ("CPU", 6),
    ("run/wait/blocked", 16),
    ("Karp–Flatt e", 12),
    ("Amdahl", 7),
    ("others", 6),
];

/// A launched engine's table: its wall split into launch and compute, the
/// speedup on compute.
const LAUNCHED_COLUMNS: [(&str, usize); 11] = [
    ("workers", 7),
    ("numbers", 13),
    ("wall", 10),
    ("launch", 10),
    ("compute", 10),
    ("speedup", 8),
    ("efficiency", 10),
    ("CPU", 6),
    ("Karp–Flatt e", 12),
    ("Amdahl", 7),
    ("others", 6),
];

/// The sweep as text: a table per backend.
pub fn text(sweep: &Sweep) -> String {
    let findings = sweep.findings();
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
        "runs:     {} measured per point after {}; wall is the median\nmachine:  {} logical cores, {} physical",
        plan.plan,
        counted(plan.plan.warmup, "warm-up", "warm-ups"),
        sweep.machine.logical_cores,
        sweep.machine.physical_cores
    );
    if let Some(interpreter) = &sweep.interpreter {
        let _ = writeln!(
            out,
            "python:   CPython {} ({}), {}",
            interpreter.version,
            interpreter.shown_command(),
            interpreter.gil_words()
        );
    }
    for series in &sweep.series {
        let launched = series
            .points
            .iter()
            .any(|p| p.result.compute_median().is_some());
        let reading = sweep.serial_reading(series);
        let e = match reading {
            Some(SerialReading::Fraction(e)) => Some(e),
            _ => None,
        };
        let _ = writeln!(
            out,
            "\n{}{}{}",
            series.backend,
            match reading {
                Some(SerialReading::Fraction(e)) => format!(
                    " — Karp–Flatt serial fraction e ≈ {e:.3} (mean over the points on more than one core)"
                ),
                Some(SerialReading::FasterThanCores {
                    mean,
                    best_efficiency,
                }) => format!(
                    " — ran faster than its cores allow (efficiency up to {:.0}%, mean Karp–Flatt \
                     e {mean:.3}): these points measure no serial fraction",
                    best_efficiency * 100.0
                ),
                None => String::new(),
            },
            if launched {
                "\n  (speedup, efficiency and e on compute, the ranks' start barrier to the last \
                 finish; launch is apart: starting the ranks, MPI_Init, the barrier)"
            } else {
                ""
            }
        );
        let columns: &[(&str, usize)] = if launched {
            &LAUNCHED_COLUMNS
        } else {
            &COLUMNS
        };
        let header: Vec<String> = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
        row_in(&mut out, &header, columns);
        for point in &series.points {
            let figures = sweep.figures(series, point);
            let dash = || "—".to_owned();
            let mut cells = vec![
                point.workers.to_string(),
                group_digits(i128::from(point.count) * point.workers as i128),
                duration(point.result.wall_median()),
            ];
            if launched {
                cells.push(point.result.launch_median().map_or_else(dash, duration));
                cells.push(point.result.compute_median().map_or_else(dash, duration));
            }
            cells.extend([
                figures.map_or_else(dash, |f| format!("{:.2}×", f.speedup)),
                figures.map_or_else(dash, |f| format!("{:.0}%", f.efficiency * 100.0)),
                format!("{:.0}%", point.result.cpu_percent_median()),
                point
                    .result
                    .time_accounting()
                    .and_then(|a| a.shares())
                    .map_or_else(dash, |s| {
                        format!(
                            "{:.0}/{:.0}/{:.0}%",
                            s.running * 100.0,
                            s.waiting * 100.0,
                            s.blocked * 100.0
                        )
                    }),
                figures
                    .and_then(|f| f.serial_fraction)
                    .map_or_else(dash, |e| format!("{e:.3}")),
                match (e, figures) {
                    (Some(e), Some(f)) => format!("{:.2}×", amdahl(e, f.processors)),
                    _ => dash(),
                },
                format!(
                    "{}{}",
                    super::table::others(point.result.others()),
                    if contended(&findings, series.backend, point.workers) {
                        "!"
                    } else {
                        ""
                    }
                ),
            ]);
            row_in(&mut out, &cells, columns);
        }
        if launched
            && let Some(last) = series.points.last()
            && let Some(across) = last.result.cores_across()
        {
            let hosts = last.result.host_facts();
            let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
            let _ = writeln!(
                out,
                "  hosts at {} workers: {} — {} cores in all{}",
                last.workers,
                join_names(&names),
                across.cores,
                if across.hosts_share_machines() {
                    format!(
                        " ({} hosts on {}: the same boot id)",
                        across.hosts,
                        counted(across.machines, "machine", "machines")
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    let _ = writeln!(
        out,
        "\nspeedup: against 1 worker{}. efficiency = speedup / min(workers, {} cores; a launched engine's: its hosts' cores).\n\
         Karp–Flatt e = (1/S − 1/P) / (1 − 1/P) for P = min(workers, cores): the serial fraction the \
         measurement implies; Amdahl = 1 / (e + (1 − e)/P), the speedup that e predicts.\n\
         run/wait/blocked = the workers' lives: on a CPU, waiting for a core, asleep (a lock, the GIL).\n\
         others = cores other programs kept busy during the point's runs (/proc/stat; ? = too short \
         to tell); ! = they took 10% or more of the cores the point could use.",
        match sweep.plan.scaling {
            Scaling::Weak => " and scaled by the work: workers × T(1) / T(workers)",
            Scaling::Strong => ": T(1) / T(workers)",
        },
        sweep.machine.logical_cores
    );
    let contended: Vec<String> = findings
        .iter()
        .filter_map(|f| match f {
            SweepFinding::Contended {
                backend,
                workers,
                contended,
                usable_cores,
            } => Some(format!(
                "{backend} at {} (lost {:.2} of {} {})",
                counted(*workers, "worker", "workers"),
                contended.lost_cores,
                usable_cores,
                plural(*usable_cores, "core", "cores"),
            )),
            _ => None,
        })
        .collect();
    if !contended.is_empty() {
        let _ = writeln!(
            out,
            "\nwarning: other programs took cores these points could have used: {}. Their speedups \
             and Karp–Flatt e measure a shared machine — a busy machine looks like a serial \
             fraction, or like a GIL, but its workers wait for a core (wait) where a lock's sleep \
             (blocked). Re-run when it is quiet.",
            contended.join("; ")
        );
    }
    for finding in &findings {
        match finding {
            SweepFinding::FasterThanCores {
                backend,
                best_efficiency,
                mean_serial_fraction,
            } => {
                let _ = writeln!(
                    out,
                    "\nnote: {backend} ran faster than its cores allow (efficiency up to {:.0}%, \
                     mean Karp–Flatt e {mean_serial_fraction:.3}): no serial fraction can be read \
                     from it. Its one-worker point took longer per number than the others (a slow \
                     spell of the machine, its own start-up, a cold cache), and every speedup is \
                     against that point.",
                    best_efficiency * 100.0
                );
            }
            SweepFinding::TooShort { points } => {
                let points: Vec<String> = points
                    .iter()
                    .map(|(backend, workers, time)| {
                        format!(
                            "{backend} at {} ({})",
                            counted(*workers, "worker", "workers"),
                            duration(*time)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "\nnote: these points took under {}: {}. Starting threads (~30 µs) and \
                     processes (~130 µs) is a visible share of them, so their speedups say more \
                     about start-up than about scaling; a larger --count lets the scaling show.",
                    duration(crate::measure::findings::SHORT_JOB),
                    points.join(", ")
                );
            }
            SweepFinding::StayedFlat { backends, cause } => {
                let _ = writeln!(
                    out,
                    "\nnote: {}{}.",
                    flat_words(backends, *cause),
                    match cause {
                        FlatCause::TookTurns => ": its workers slept (blocked) much of their \
                                                lives, taking turns on a lock"
                            .to_owned(),
                        FlatCause::WaitedForCores => ": its workers ran at once but waited for \
                                                     a core (wait) — contention, not a lock"
                            .to_owned(),
                        _ => String::new(),
                    }
                );
            }
            _ => {}
        }
    }
    out
}

/// Whether the findings say other programs took cores from `backend`'s
/// point at `workers`.
fn contended(findings: &[SweepFinding], backend: &str, workers: usize) -> bool {
    findings.iter().any(|f| {
        matches!(f, SweepFinding::Contended { backend: b, workers: w, .. } if *b == backend && *w == workers)
    })
}

#[cfg(test)]
mod tests {
    use super::plot::*;
    use super::*;
    use crate::kernel::WorkloadSpec;
    use crate::measure::Plan;
    use crate::measure::sweep::{Series, SweepPlan, SweepPoint};
    use crate::measure::synthetic::{Row, report};
    use crate::render::picture::check;
    use crate::render::picture::{HEIGHT, backend_color};
    use plotters::prelude::RGBColor;

    /// A weak-scaling sweep over 1, 2 and 4 workers on `cores` cores: gil
    /// flat, threads near the cores.
    fn sweep(cores: usize) -> Sweep {
        // Wall times (ms) at 1, 2 and 4 workers.
        let rows = [
            ("gil", [30.0, 60.0, 120.0]),
            ("threads", [30.0, 31.0, 64.0]),
        ];
        let mut machine = report(vec![Row::new("sequential", 1, 1.0, 100.0)], None).machine;
        machine.logical_cores = cores;
        let series = rows
            .iter()
            .map(|&(backend, walls)| Series {
                backend,
                points: [1, 2, 4]
                    .iter()
                    .zip(walls)
                    .map(|(&workers, wall)| SweepPoint {
                        workers,
                        count: 20_000_000,
                        result: report(vec![Row::new(backend, workers, wall, 100.0)], None)
                            .results
                            .remove(0),
                    })
                    .collect(),
            })
            .collect();
        Sweep {
            interpreter: None,
            plan: SweepPlan {
                workers: vec![1, 2, 4],
                scaling: Scaling::Weak,
                spec: WorkloadSpec {
                    count: 20_000_000,
                    ..WorkloadSpec::default()
                },
                plan: Plan::exactly(3, 1),
                timeout: Default::default(),
                sampling: true,
            },
            machine,
            series,
        }
    }

    /// A launched engine's series over 1, 2 and 4 workers on two hosts of
    /// one machine with `cores` cores each: every run's wall is a launch of
    /// 900 ms plus `compute` (ms) at each point.
    fn launched(cores: usize, compute: [f64; 3]) -> Sweep {
        let mut sweep = sweep(cores);
        sweep.series.truncate(1);
        let series = &mut sweep.series[0];
        series.backend = "mpi";
        for (point, compute_ms) in series.points.iter_mut().zip(compute) {
            let launch_ns = 900_000_000u64;
            let compute_ns = (compute_ms * 1e6) as u64;
            for run in &mut point.result.runs {
                run.started_ns = 0;
                run.wall = std::time::Duration::from_nanos(launch_ns + compute_ns + 50_000_000);
                run.workers = (0..point.workers)
                    .map(|worker| crate::worker::WorkerReport {
                        worker,
                        sum: 0,
                        start_ns: launch_ns,
                        finish_ns: launch_ns + compute_ns,
                        cpu_time: std::time::Duration::from_nanos(compute_ns),
                        waiting_for_cpu: None,
                        cpu_at_start: None,
                        cpu_at_finish: None,
                        pid: 1,
                        tid: 1,
                        peak_rss_bytes: None,
                        held_ns: Vec::new(),
                        host: Some(format!("h{}", 1 + worker % 2)),
                        ready_ns: Some(launch_ns),
                        process: Some(crate::worker::ProcessFacts {
                            user: std::time::Duration::from_nanos(compute_ns),
                            system: std::time::Duration::ZERO,
                            counted_by_driver: false,
                            host_cores: cores,
                            cpu_model: "test cpu".to_owned(),
                            boot_id: "same-machine".to_owned(),
                        }),
                        transfer: None,
                    })
                    .collect();
            }
        }
        sweep
    }

    #[test]
    fn a_launched_series_is_read_on_compute_with_its_hosts_cores() {
        // Compute 10, 10, 20 ms under a launch of 900 ms: on the walls, 4
        // workers would be a 3.9× speedup on 2 cores (195 %); on compute it
        // is 4 × 10 / 20 = 2×, and the two hosts share one machine's 2 cores.
        let sweep = launched(2, [10.0, 10.0, 20.0]);
        let series = &sweep.series[0];
        let four = sweep.figures(series, &series.points[2]).unwrap();
        assert_eq!(four.timed, crate::measure::sweep::Timed::Compute);
        assert!((four.speedup - 2.0).abs() < 1e-9, "{four:?}");
        assert_eq!(four.processors, 2);
        assert!((four.efficiency - 1.0).abs() < 1e-9);
        assert!(matches!(
            sweep.serial_reading(series),
            Some(SerialReading::Fraction(_))
        ));
        let out = text(&sweep);
        assert!(out.contains("launch     compute"), "{out}");
        assert!(out.contains("900.00 ms"), "{out}");
        assert!(
            out.contains("hosts at 4 workers: h1 and h2 — 2 cores in all (2 hosts on 1 machine"),
            "{out}"
        );
    }

    #[test]
    fn a_series_faster_than_its_cores_is_said_so_not_given_a_zero_serial_fraction() {
        // 2 workers computing in 4 ms what one does in 10: 5× on 2 cores.
        let sweep = launched(2, [10.0, 4.0, 20.0]);
        let series = &sweep.series[0];
        match sweep.serial_reading(series) {
            Some(SerialReading::FasterThanCores {
                best_efficiency, ..
            }) => assert!((best_efficiency - 2.5).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        let out = text(&sweep);
        assert!(
            out.contains("ran faster than its cores allow (efficiency up to 250%"),
            "{out}"
        );
        assert!(!out.contains("e ≈ 0.000"), "{out}");
    }

    /// The `polyline`s of `svg` stroked with `color`, as their points.
    fn lines(svg: &str, color: RGBColor) -> Vec<Vec<(i32, i32)>> {
        let stroke = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&stroke))
            .map(|n| {
                n.attribute("points")
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_plot_fits_a_slide_with_integer_ticks_units_and_a_legend_beside_it() {
        let svg = plot(&sweep(2)).unwrap();
        let slide = check::slide(&svg);
        assert_eq!(slide.height, HEIGHT);
        assert_eq!(
            slide.texts[0].text,
            "threads reached 1.94× with 2 workers; 2 cores allow 2×; gil stayed near 1×"
        );
        // Worker ticks are the integers 1 to 4, nothing between.
        for tick in ["1", "2", "3", "4"] {
            assert_eq!(slide.find(tick).len(), 1, "tick {tick}");
        }
        assert!(slide.find("0.5").is_empty() && slide.find("1.5").is_empty());
        assert!(!slide.find("1.5×").is_empty(), "speedup ticks carry ×");
        assert_eq!(slide.find("workers").len(), 1);
        assert_eq!(slide.find("speedup against 1 worker (×)").len(), 1);
        // The legend: every line explained, right of the plot.
        for entry in [
            "gil",
            "threads",
            "ideal speedup:",
            "min(workers, 2)",
            "2 logical cores",
        ] {
            let label = slide.find(entry);
            assert_eq!(label.len(), 1, "legend entry {entry}");
            assert!(label[0].x > f64::from(LEGEND_LEFT), "{label:?}");
        }
        assert_eq!(slide.find("2 cores").len(), 1, "the cores line's own label");
    }

    #[test]
    fn the_ideal_starts_at_one_worker_and_the_cores_line_is_dark_and_dashed() {
        let svg = plot(&sweep(2)).unwrap();
        // The legend's swatch is the other line of its color.
        let ideal: Vec<_> = lines(&svg, IDEAL)
            .into_iter()
            .filter(|l| l[0].0 < LEGEND_LEFT)
            .collect();
        assert_eq!(ideal.len(), 1);
        let ideal = &ideal[0];
        // From (1, 1) up to (2, 2), then flat to 4 workers.
        assert_eq!(ideal.len(), 3, "{ideal:?}");
        let threads = &lines(&svg, backend_color("threads"))[0];
        assert_eq!(ideal[0], threads[0], "both start at one worker, speedup 1");
        assert_eq!(ideal[1].1, ideal[2].1);
        assert_eq!(ideal[2].0, threads[2].0);
        // The cores line: dashes (many short segments) at x = 2 workers.
        let dashes: Vec<_> = lines(&svg, CORES)
            .into_iter()
            .filter(|l| l[0].0 < LEGEND_LEFT)
            .collect();
        assert!(dashes.len() > 5, "{dashes:?}");
        assert!(dashes.iter().all(|d| d.iter().all(|p| p.0 == ideal[1].0)));

        // More cores than workers swept: no line, and the legend says so.
        let slide = check::slide(&plot(&sweep(8)).unwrap());
        assert_eq!(
            slide.texts[0].text,
            "threads reached 1.94× with 2 workers; 4 workers on 8 cores allow 4×"
        );
        assert_eq!(slide.find("8 logical cores:").len(), 1);
        assert_eq!(slide.find("more than swept").len(), 1);
        assert!(slide.find("8 cores").is_empty());
    }

    #[test]
    fn worker_ticks_are_integers_from_one() {
        assert_eq!(worker_ticks(4), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            worker_ticks(16),
            [1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0]
        );
        assert_eq!(worker_ticks(64), [1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
        assert_eq!(worker_ticks(1), [1.0]);
        assert_eq!(times(1.5), "1.5×");
        assert_eq!(times(2.0), "2×");
        assert_eq!(times(0.25), "0.25×");
    }

    /// [`sweep`] with the given series (backend, wall ms at 1, 2, 4 workers).
    fn sweep_of(cores: usize, rows: &[(&'static str, [f64; 3])]) -> Sweep {
        let mut sweep = sweep(cores);
        let template = sweep.series[0].clone();
        sweep.series = rows
            .iter()
            .map(|&(backend, walls)| Series {
                backend,
                points: template
                    .points
                    .iter()
                    .zip(walls)
                    .map(|(p, wall)| SweepPoint {
                        workers: p.workers,
                        count: p.count,
                        result: report(vec![Row::new(backend, p.workers, wall, 100.0)], None)
                            .results
                            .remove(0),
                    })
                    .collect(),
            })
            .collect();
        sweep
    }

    #[test]
    fn a_series_faster_than_its_cores_is_noted_and_no_title_claims_the_ceiling_beside_it() {
        // Weak scaling: 2 × 100 / 95 = 2.11× on 2 cores.
        let fast = sweep_of(2, &[("threads", [100.0, 95.0, 190.0])]);
        let findings = fast.findings();
        assert!(findings.iter().any(|f| matches!(
            f,
            SweepFinding::FasterThanCores { backend: "threads", best_efficiency, .. } if *best_efficiency > 1.05
        )));
        let said = text(&fast);
        assert!(
            said.contains("note: threads ran faster than its cores allow (efficiency up to 105%"),
            "{said}"
        );
        let title = plot_title(&fast);
        assert!(!title.contains("cores allow 2×"), "{title}");
        assert!(
            title.contains("more than the 2× its cores allow"),
            "{title}"
        );
    }

    #[test]
    fn points_too_short_to_time_are_named() {
        let short = text(&sweep(2));
        assert!(
            short.contains("note: these points took under 50.00 ms: gil at 1 worker (30.00 ms)"),
            "{short}"
        );
        let long = sweep_of(2, &[("threads", [300.0, 310.0, 640.0])]);
        assert!(!text(&long).contains("took under"));
    }

    #[test]
    fn a_backend_keeps_its_color_wherever_it_stands() {
        // Each backend's data line and legend swatch, in its own color.
        let drawn = |sweep: &Sweep, backend: &str| {
            let svg = plot(sweep).unwrap();
            let mut lines = lines(&svg, backend_color(backend));
            lines.sort();
            lines
        };
        let threads = ("threads", [30.0, 31.0, 64.0]);
        let gil = ("gil", [30.0, 60.0, 120.0]);
        let first = sweep_of(2, &[threads, gil]);
        let second = sweep_of(2, &[gil, threads]);
        for backend in ["threads", "gil"] {
            let (a, b) = (drawn(&first, backend), drawn(&second, backend));
            // The data line (left of the legend) and the swatch (in it).
            assert!(a.iter().any(|l| l[0].0 < LEGEND_LEFT), "{backend}: {a:?}");
            assert!(a.iter().any(|l| l[0].0 >= LEGEND_LEFT), "{backend}: {a:?}");
            let data = |lines: &[Vec<(i32, i32)>]| {
                lines
                    .iter()
                    .find(|l| l[0].0 < LEGEND_LEFT)
                    .cloned()
                    .unwrap()
            };
            assert_eq!(data(&a), data(&b), "{backend}");
        }
        assert_ne!(backend_color("threads"), backend_color("gil"));
    }

    #[test]
    fn the_interpreter_and_its_gil_are_named_in_the_header_and_the_plot() {
        let mut with_python = sweep(2);
        with_python.interpreter = Some(crate::measure::synthetic::interpreter(true, false));
        assert!(
            text(&with_python).contains("python:   CPython 3.11.7 (python3), GIL enabled"),
            "{}",
            text(&with_python)
        );
        let slide = check::slide(&plot(&with_python).unwrap());
        assert!(
            slide.texts[1]
                .text
                .starts_with("CPython 3.11.7, GIL enabled; "),
            "{:?}",
            slide.texts[1]
        );
    }
}
