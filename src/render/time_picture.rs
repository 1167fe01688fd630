//! "Where the workers' time went": the slide that shows the GIL. One
//! stacked bar per row — its workers' summed lives split into running (on a
//! CPU), waiting for a core and blocked (asleep: a lock, the GIL) — with how
//! many of them wanted a core at once beside it.
//!
//! The bars are shares, so rows of seconds and rows of milliseconds sit on
//! one scale; the colours are fixed (running blue, waiting orange, blocked
//! grey: asleep), the legend sits above the bars, never on them, and the
//! title states the findings in words, with their figures. A shared
//! machine shows as orange, a lock as grey — the picture reads the same on
//! a busy laptop as on a quiet one, and its subtitle says which it was.

use plotters::prelude::*;

use super::picture::{
    AXIS, HEIGHT, LABEL_PX, MARGIN, SUBTITLE_PX, TITLE_PX, WIDTH, bold, first_fitting, font,
    text_width, top_left,
};
use crate::backend::{Language, Lock, WorkerKind};
use crate::error::Error;
use crate::measure::findings::{Finding, Findings};
use crate::measure::{BackendResult, Report, Shares};
use crate::text::counted;

/// Running: on a CPU.
pub const RUNNING: RGBColor = RGBColor(0, 114, 178);
/// Waiting for a core: ready, but another thread or program had it.
pub const WAITING: RGBColor = RGBColor(230, 159, 0);
/// Blocked: asleep — on a lock, the GIL, a pipe.
pub const BLOCKED: RGBColor = RGBColor(190, 190, 190);

/// Where the bars start, from the top.
const BARS_TOP: i32 = 150;
/// Room kept under the bars for the caption.
const FOOT: i32 = 50;
/// Room right of the bars for "1.5 of 8 wanted a core".
const RIGHT: i32 = 230;

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The row's shares, when its workers were accounted.
fn shares(result: &BackendResult) -> Option<Shares> {
    result.time_accounting()?.shares()
}

/// Whether the row's workers are threads of one interpreter.
fn interpreter_threads(result: &BackendResult) -> bool {
    result.language() != Language::Rust && result.profile.worker == WorkerKind::Thread
}

/// The picture's title, in the longest wording that fits: the findings it
/// shows, with the blocked shares they rest on.
pub fn title(report: &Report) -> String {
    let findings = report.findings();
    first_fitting(
        &titles(report, &findings),
        TITLE_PX,
        true,
        f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
    )
}

/// Candidate titles, longest first.
fn titles(report: &Report, findings: &Findings) -> Vec<String> {
    let blocked = |row: &str| {
        report
            .result(row)
            .and_then(shares)
            .map(|s| percent(s.blocked))
    };
    let took_turns = |lock: Lock| {
        findings.iter().find_map(|f| match f {
            Finding::TookTurns {
                row,
                lock: Some(l),
                accounted: Some(_),
            }
            | Finding::TurnsCostCpu {
                row,
                lock: l,
                accounted: Some(_),
            } if *l == lock => Some(*row),
            _ => None,
        })
    };
    // CPython's threads without the GIL, read as running at once.
    let free_threads = findings.iter().find_map(|f| match f {
        Finding::FreeThreads {
            row,
            accounted: Some(_),
        } => Some(*row),
        Finding::WaitedForCores { row, .. }
            if report.result(row).is_some_and(interpreter_threads) =>
        {
            Some(*row)
        }
        _ => None,
    });
    let ran_at_once = |language: Language, worker: WorkerKind| {
        report.results.iter().find(|r| {
            r.language() == language
                && r.profile.worker == worker
                && !interpreter_threads(r)
                && matches!(
                    findings.reading(r.name()),
                    Some(Finding::RanInParallel { .. } | Finding::WaitedForCores { .. })
                )
        })
    };
    let mut titles = Vec::new();
    if let Some(gil) = took_turns(Lock::Gil) {
        let b = blocked(gil).unwrap_or_default();
        if let Some(free) = free_threads {
            let f = blocked(free).unwrap_or_default();
            titles.push(format!(
                "With the GIL, Python's threads slept {b} of their lives; without it, {f}"
            ));
            titles.push(format!(
                "GIL on: threads asleep {b} of the time; GIL off: {f}"
            ));
        }
        if let Some(processes) = ran_at_once(Language::Python, WorkerKind::Process) {
            let p = blocked(processes.name()).unwrap_or_default();
            titles.push(format!(
                "Python's threads slept {b} of their lives waiting for the GIL; its processes {p}"
            ));
            titles.push(format!(
                "Threads asleep {b} of the time on the GIL; processes {p}"
            ));
        }
        titles.push(format!(
            "Python's threads slept {b} of their lives, waiting for the GIL"
        ));
    }
    if let Some(emulated) = took_turns(Lock::Emulated) {
        let b = blocked(emulated).unwrap_or_default();
        if let Some(free) = ran_at_once(Language::Rust, WorkerKind::Thread) {
            let f = blocked(free.name()).unwrap_or_default();
            titles.push(format!(
                "Threads taking turns on one lock slept {b} of their lives; free threads {f}"
            ));
        }
        titles.push(format!(
            "Threads taking turns on one lock slept {b} of their lives"
        ));
    }
    titles.push("Where the workers' time went: running, waiting for a core, asleep".to_owned());
    titles.push("Where the workers' time went".to_owned());
    titles
}

/// The line under the title: the machine, shared or not.
fn subtitle(report: &Report, findings: &Findings) -> String {
    let w = &report.workload;
    let shared = findings.any(|f| {
        matches!(
            f,
            Finding::Contended { .. } | Finding::WaitedForCores { .. }
        )
    });
    let what = format!(
        "{} × {} numbers on {} cores",
        counted(w.workers(), "worker", "workers"),
        super::format::group_digits(i128::from(w.count())),
        report.machine.logical_cores
    );
    let candidates = if shared {
        vec![
            format!(
                "{what}, shared with other programs. Waiting (orange) is for a core; asleep \
                 (grey) is a lock"
            ),
            format!("{what}, shared with other programs: orange waits for a core, grey for a lock"),
            format!("{what}, shared with other programs"),
        ]
    } else {
        vec![
            format!("{what}. Waiting (orange) is for a core; asleep (grey) is a lock"),
            what,
        ]
    };
    first_fitting(
        &candidates,
        SUBTITLE_PX,
        false,
        f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
    )
}

/// Draws the picture as SVG text.
///
/// # Errors
/// [`Error::Picture`] if plotters fails, which drawing into memory should
/// not.
pub fn svg(report: &Report) -> Result<String, Error> {
    let fail = |err: &dyn std::fmt::Display| Error::Picture {
        picture: "where the workers' time went",
        problem: err.to_string(),
    };
    let findings = report.findings();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| fail(&e))?;
        draw(&area, report, &findings).map_err(|e| fail(&e))?;
        area.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    report: &Report,
    findings: &Findings,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    area.draw(&Text::new(
        first_fitting(
            &titles(report, findings),
            TITLE_PX,
            true,
            f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
        ),
        (MARGIN, 16),
        top_left(bold(TITLE_PX), &BLACK),
    ))?;
    area.draw(&Text::new(
        subtitle(report, findings),
        (MARGIN, 54),
        top_left(font(SUBTITLE_PX), &AXIS),
    ))?;
    // The legend, above the bars.
    let mut x = MARGIN;
    for (color, label) in [
        (RUNNING, "running (on a CPU)"),
        (WAITING, "waiting for a core"),
        (BLOCKED, "blocked (asleep: a lock, the GIL)"),
    ] {
        area.draw(&Rectangle::new([(x, 98), (x + 22, 120)], color.filled()))?;
        area.draw(&Text::new(
            label,
            (x + 30, 100),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
        x += 30 + text_width(label, LABEL_PX, false) as i32 + 36;
    }
    let rows = &report.results;
    let label_width = rows
        .iter()
        .map(|r| text_width(r.name(), LABEL_PX, false))
        .fold(0.0, f64::max)
        .ceil() as i32;
    let left = MARGIN + label_width + 16;
    let right = WIDTH as i32 - MARGIN - RIGHT;
    let span = (right - left).max(1);
    let bottom = HEIGHT as i32 - FOOT;
    // Half a row's gap where the language changes: Rust's rows, then
    // CPython's.
    let gaps = rows
        .windows(2)
        .filter(|pair| pair[0].language() != pair[1].language())
        .count();
    let slots = 2 * rows.len().max(1) as i32 + gaps as i32;
    let pitch = (2 * (bottom - BARS_TOP) / slots).min(76);
    let bar = (pitch * 3 / 4).max(LABEL_PX as i32 + 6);
    let mut top = BARS_TOP - pitch;
    for (index, result) in rows.iter().enumerate() {
        top += pitch;
        if index > 0 && rows[index - 1].language() != result.language() {
            top += pitch / 2;
        }
        let middle = top + bar / 2;
        area.draw(&Text::new(
            result.name(),
            (MARGIN, middle - LABEL_PX as i32 / 2),
            top_left(font(LABEL_PX), &BLACK),
        ))?;
        let Some(s) = shares(result) else {
            area.draw(&Text::new(
                "not measured",
                (left + 8, middle - LABEL_PX as i32 / 2),
                top_left(font(LABEL_PX), &AXIS),
            ))?;
            continue;
        };
        let mut from = left;
        for (i, (share, color, ink)) in [
            (s.running, RUNNING, WHITE),
            (s.waiting, WAITING, BLACK),
            (s.blocked, BLOCKED, BLACK),
        ]
        .into_iter()
        .enumerate()
        {
            // The last part ends at the bar's end, whatever the rounding.
            let to = if i == 2 {
                right
            } else {
                (from + (share * f64::from(span)).round() as i32).min(right)
            };
            if to > from {
                area.draw(&Rectangle::new(
                    [(from, top), (to, top + bar)],
                    color.filled(),
                ))?;
                let label = percent(share);
                let width = text_width(&label, LABEL_PX, true);
                if f64::from(to - from) >= width + 10.0 {
                    area.draw(&Text::new(
                        label,
                        (
                            from + (to - from) / 2 - width as i32 / 2,
                            middle - LABEL_PX as i32 / 2,
                        ),
                        top_left(bold(LABEL_PX), &ink),
                    ))?;
                }
            }
            from = to;
        }
        area.draw(&Rectangle::new(
            [(left, top), (right, top + bar)],
            AXIS.stroke_width(1),
        ))?;
        if let (Some(wanting), Some(a)) = (result.wanting_to_run(), result.time_accounting()) {
            area.draw(&Text::new(
                format!("{wanting:.1} of {} wanted a core", a.threads),
                (right + 14, middle - LABEL_PX as i32 / 2),
                top_left(font(LABEL_PX), &AXIS),
            ))?;
        }
    }
    let caption = first_fitting(
        &[
            "Each bar: its workers' lives summed over the runs, from schedstat. Right: how many \
             wanted a core at once, on average."
                .to_owned(),
            "Each bar: the workers' lives, summed over the runs. Right: threads wanting a core."
                .to_owned(),
        ],
        LABEL_PX,
        false,
        f64::from(WIDTH) - 2.0 * f64::from(MARGIN),
    );
    area.draw(&Text::new(
        caption,
        (MARGIN, HEIGHT as i32 - FOOT + 16),
        top_left(font(LABEL_PX), &AXIS),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, interpreter, report};
    use crate::render::picture::check;

    fn lesson(busy: f64, free_threaded: bool) -> Report {
        let mut rows = vec![
            Row::new("sequential", 1, 90.0, 100.0).accounted(0.98, 0.01, 0.01),
            Row::new("gil", 8, 95.0, 101.0)
                .others(busy)
                .accounted(0.13, 0.05, 0.82),
            Row::new("threads", 8, 47.0, 196.0)
                .others(busy)
                .accounted(0.25, 0.74, 0.01),
            Row::new("python-sequential", 1, 4000.0, 100.0).accounted(0.97, 0.02, 0.01),
            Row::new("python-threads", 8, 4080.0, 101.0)
                .others(busy)
                .accounted(0.13, 0.07, 0.80),
            Row::new("python-processes", 8, 2250.0, 186.0)
                .others(busy)
                .accounted(0.24, 0.75, 0.01),
        ];
        if free_threaded {
            rows.truncate(4);
        }
        report(rows, Some(interpreter(!free_threaded, free_threaded)))
    }

    #[test]
    fn the_slide_names_the_gil_from_the_blocked_shares_and_says_a_machine_was_shared() {
        for busy in [0.0, 1.2] {
            let r = lesson(busy, false);
            let svg = svg(&r).unwrap();
            let slide = check::slide(&svg);
            assert_eq!(slide.height, HEIGHT);
            let title = title(&r);
            assert_eq!(
                title,
                "Python's threads slept 80% of their lives waiting for the GIL; its processes 1%"
            );
            assert_eq!(slide.find(&title).len(), 1, "{title}");
            assert_eq!(
                svg.contains("shared with other programs"),
                busy > 0.5,
                "{busy}"
            );
            // A label for every row, the legend once, the bars' shares.
            for row in &r.results {
                assert_eq!(slide.find(row.name()).len(), 1, "{}", row.name());
            }
            assert_eq!(slide.find("blocked (asleep: a lock, the GIL)").len(), 1);
            assert!(!slide.find("82%").is_empty());
            assert!(
                !slide.find("1.5 of 8 wanted a core").is_empty() || svg.contains("of 8 wanted")
            );
        }
    }

    #[test]
    fn the_legend_stays_above_the_bars() {
        let r = lesson(0.0, false);
        let slide = check::slide(&svg(&r).unwrap());
        let legend = slide.find("running (on a CPU)")[0].y;
        let first_bar_label = slide.find("sequential")[0].y;
        assert!(legend + LABEL_PX < f64::from(BARS_TOP), "{legend}");
        assert!(first_bar_label >= f64::from(BARS_TOP));
    }
}
