//! The lesson on one screen: at most [`MAX_LINES`] lines of at most
//! [`MAX_COLUMNS`] columns — what ran, a table whose CPU column carries the
//! lesson, the sums said to be the same, and the sentences of
//! [`explain`](super::explain) that matter for it.

use std::fmt::Write as _;

use super::format::{duration, group_digits, row_in};
use crate::backend::{Language, Lock, Schedule, WorkerKind};
use crate::lesson::Calibration;
use crate::measure::findings::Finding;
use crate::measure::{BackendResult, Report};
use crate::text::counted;

/// The most lines the lesson prints: a laptop's terminal of 50, with room
/// for the command. A free-threaded CPython's lesson has two rows more (its
/// GIL on and off), a sentence each for them and for the single thread, and
/// names its interpreter by its path, which may wrap.
pub const MAX_LINES: usize = 48;

/// The widest line it prints.
pub const MAX_COLUMNS: usize = 100;

const COLUMNS: [(&str, usize); 8] = [
    ("row", 17),
    ("wall", 9),
    ("CPU", 5),
    ("speedup", 7),
    ("running", 7),
    ("waiting", 7),
    ("blocked", 7),
    ("sums", 4),
];

/// The lesson's text, ending in a newline.
pub fn text(report: &Report, calibration: &Calibration) -> String {
    let w = &report.workload;
    let mut out = String::new();
    let mut head = format!(
        "The book's experiment: {} {} random.randint({}, {}), one row per way of \
         running them. Every row draws CPython's numbers (--rng python), seed {}.",
        match w.workers() {
            1 => "1 worker sums".to_owned(),
            n => format!("{n} workers each sum"),
        },
        group_digits(i128::from(w.count())),
        w.low(),
        w.high(),
        w.seed(),
    );
    if !calibration.chosen {
        head.push_str(" The work per worker was given (--count).");
    } else {
        let _ = write!(
            head,
            " The work was chosen for this machine: a calibration drew {} a number in Rust{}.",
            super::explain::per_number(calibration.rust_per_number),
            match calibration.python_per_number {
                Some(python) => format!(
                    " and {} in CPython, so python-sequential takes about {}{}",
                    super::explain::per_number(python),
                    super::format::duration_rough(calibration.expected_sequential(w.workers())),
                    report
                        .result(Language::Python.baseline())
                        .map(|r| format!(
                            " (it took {})",
                            super::format::duration_rough(r.wall_median())
                        ))
                        .unwrap_or_default(),
                ),
                None => " (no Python interpreter: the Rust rows only)".to_owned(),
            },
        );
    }
    if let Some(interpreter) = &report.interpreter {
        // The GIL states the rows ran with: both, when a free-threaded
        // build ran some rows with it switched on.
        let states: Vec<bool> = report
            .results
            .iter()
            .filter_map(|r| r.interpreter.as_ref().map(|i| i.gil_enabled))
            .collect();
        if states.contains(&true) && states.contains(&false) {
            let _ = write!(
                head,
                " CPython {} ({}), free-threaded: GIL off (PYTHON_GIL=0), on (PYTHON_GIL=1) in \
                 the rows marked so — one interpreter, one count.",
                interpreter.version,
                interpreter.shown_command(),
            );
        } else {
            let _ = write!(
                head,
                " CPython {} ({}), {}.",
                interpreter.version,
                interpreter.shown_command(),
                interpreter.gil_words()
            );
        }
    }
    let _ = write!(
        head,
        " {} per row after {}, medians; {}.",
        counted(report.plan.min_runs, "run", "runs"),
        counted(report.plan.warmup, "warm-up", "warm-ups"),
        counted(
            report.machine.logical_cores,
            "logical core",
            "logical cores"
        )
    );
    wrap_into(&mut out, &head, "");
    out.push('\n');

    let mut columns = COLUMNS;
    columns[0].1 = report
        .results
        .iter()
        .map(|r| r.name().chars().count())
        .fold(COLUMNS[0].1, usize::max);
    let header: Vec<String> = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
    row_in(&mut out, &header, &columns);
    for result in &report.results {
        row_in(&mut out, &cells(report, result), &columns);
    }
    out.push('\n');
    wrap_into(
        &mut out,
        "CPU: 100% = one core busy for the whole run, 200% = two. speedup: against the sequential \
         row of the same language. running / waiting / blocked: the shares of the workers' lives \
         on a CPU, ready but waiting for a core (every core busy), and asleep (a lock: the GIL).",
        "",
    );
    let verified = report.results.iter().all(BackendResult::verified);
    let sums: Vec<String> = report.sums.iter().take(4).map(i64::to_string).collect();
    wrap_into(
        &mut out,
        &format!(
            "{} [{}{}], total {}{}",
            if verified {
                format!(
                    "Every row computed the same {}:",
                    counted(report.sums.len(), "sum", "sums")
                )
            } else {
                "The sums differ between rows (✗ above); the reference's are".to_owned()
            },
            sums.join(", "),
            if report.sums.len() > 4 { ", …" } else { "" },
            group_digits(i128::from(report.total())),
            if verified {
                " — checked, run by run ✓"
            } else {
                ""
            },
        ),
        "",
    );
    let cross: Vec<String> = report
        .results
        .iter()
        .filter(|p| p.profile.schedule != Schedule::OneAfterAnother)
        .filter_map(|p| {
            let r = report.counterpart(p)?;
            let (rw, pw) = (r.wall_median().as_secs_f64(), p.wall_median().as_secs_f64());
            (rw > 0.0).then(|| format!("{} {:.0}× faster than {}", r.name(), pw / rw, p.name()))
        })
        .collect();
    if !cross.is_empty() {
        wrap_into(
            &mut out,
            &format!(
                "Rust against CPython, the same numbers: {}.",
                cross.join(", ")
            ),
            "",
        );
    }

    out.push_str("\nWhat it shows:\n");
    for sentence in chosen(report) {
        wrap_into(&mut out, &format!("- {sentence}"), "  ");
    }
    out
}

const TRANSFER_COLUMNS: [(&str, usize); 7] = [
    ("row", 14),
    ("wall", 9),
    ("speedup", 7),
    ("moved", 6),
    ("copies", 6),
    ("on the way", 10),
    ("copy CPU", 9),
];

/// The second act on one screen: the workers hand their numbers back, and
/// the table says what moving them cost each row; then the findings about
/// it (what copying ate, moving that outlasted drawing, the copies against
/// `memcpy`, other programs).
pub fn transfer_text(report: &Report) -> String {
    let w = &report.workload;
    let mut out = String::new();
    let mut head = format!(
        "Act two, the other half of the trade: threads share the parent's memory, processes \
         must hand their results back. Each of {} now hands back all {} of its numbers, {} \
         each ({} a run), and the parent sums them; the sums are checked as before.",
        counted(w.workers(), "worker", "workers"),
        group_digits(i128::from(w.count())),
        counted(w.number_width(), "byte", "bytes"),
        super::format::bytes(w.returned_bytes()),
    );
    if let Some(memcpy) = report.memcpy {
        let _ = write!(
            head,
            " memcpy on this machine, one thread, measured now: {}.",
            super::format::bytes_rate(memcpy.bytes_per_second)
        );
    }
    wrap_into(&mut out, &head, "");
    out.push('\n');
    let header: Vec<String> = TRANSFER_COLUMNS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    row_in(&mut out, &header, &TRANSFER_COLUMNS);
    for result in &report.results {
        let transfer = result.transfer();
        row_in(
            &mut out,
            &[
                result.name().to_owned(),
                duration(result.wall_median()),
                report
                    .speedup(result)
                    .map_or_else(|| "—".to_owned(), |s| format!("{s:.2}×")),
                transfer.map_or("—".to_owned(), |t| super::format::bytes(t.bytes)),
                transfer.map_or("—".to_owned(), |t| t.copies().to_string()),
                transfer.map_or("—".to_owned(), |t| duration(t.moving)),
                transfer
                    .and_then(|t| t.copy_cpu)
                    .map_or("—".to_owned(), duration),
            ],
            &TRANSFER_COLUMNS,
        );
    }
    out.push('\n');
    wrap_into(
        &mut out,
        "on the way: from each worker's finish until the parent had its numbers, summed over \
         the workers. copy CPU: the CPU the copies took, writers' and readers'.",
        "",
    );
    let verified = report.results.iter().all(BackendResult::verified);
    wrap_into(
        &mut out,
        &if verified {
            format!(
                "Every row's parent summed the same {} from the numbers it received ✓",
                counted(report.sums.len(), "sum", "sums")
            )
        } else {
            "The sums differ between rows (see the full report)".to_owned()
        },
        "",
    );
    out.push_str("\nWhat it shows:\n");
    let findings = report.findings();
    let worded = super::explain::worded(report, &findings);
    let mut said = 0;
    for (finding, sentence) in &worded {
        let about_moving = matches!(
            finding,
            Finding::Contended { .. } | Finding::CopyCost { .. } | Finding::MovingDominated { .. }
        );
        if about_moving && said < 4 {
            wrap_into(&mut out, &format!("- {sentence}"), "  ");
            said += 1;
        }
    }
    for result in &report.results {
        if let Some(against) = report.copies_against_memcpy(result) {
            wrap_into(
                &mut out,
                &format!(
                    "- {} moved its numbers at {} of copy CPU ({}), {:.1}× below memcpy's {}.",
                    result.name(),
                    super::format::bytes_rate(against.rate),
                    result.transfer().map_or(String::new(), |t| counted(
                        t.copies() as usize,
                        "copy",
                        "copies"
                    )),
                    against.times_below,
                    super::format::bytes_rate(against.memcpy),
                ),
                "  ",
            );
        }
    }
    out
}

/// The table's cells for one row.
fn cells(report: &Report, result: &BackendResult) -> Vec<String> {
    let shares = result.time_accounting().and_then(|a| a.shares());
    let share = |f: fn(&crate::measure::Shares) -> f64| {
        shares.map_or_else(|| "—".to_owned(), |s| format!("{:.0}%", f(&s) * 100.0))
    };
    vec![
        result.name().to_owned(),
        duration(result.wall_median()),
        format!("{:.0}%", result.cpu_percent_median()),
        report
            .speedup(result)
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.2}×")),
        share(|s| s.running),
        share(|s| s.waiting),
        share(|s| s.blocked),
        match (result.comparable, result.mismatch) {
            (false, _) => "n/c".to_owned(),
            (true, None) => "✓".to_owned(),
            (true, Some(m)) => format!("✗ w{}", m.worker),
        },
    ]
}

/// The lesson's first paragraph: what ran, on what, and why that much.
pub fn introduction(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or(text)
}

/// The sentences of the explanation that carry the lesson: other programs
/// (when they bent the figures), what CPython's threads did (the GIL, or
/// its absence: each threads row, with the GIL on and off when both ran),
/// what running without the GIL costs one thread, what the emulated lock
/// did, and the Rust rows that ran in parallel. At most five.
pub fn chosen(report: &Report) -> Vec<String> {
    let findings = report.findings();
    let worded = super::explain::worded(report, &findings);
    let first = |wanted: &dyn Fn(&Finding) -> bool| {
        worded
            .iter()
            .find(|(f, _)| wanted(f))
            .map(|(_, sentence)| sentence.clone())
    };
    let python_threads = |f: &Finding| {
        f.row().and_then(|row| report.result(row)).is_some_and(|r| {
            r.language() == Language::Python && r.profile.worker == WorkerKind::Thread
        }) && findings.reading(f.row().unwrap_or_default()) == Some(f)
    };
    let threads_rows: Vec<String> = worded
        .iter()
        .filter(|(f, _)| python_threads(f))
        .map(|(_, sentence)| sentence.clone())
        .collect();
    let mut chosen: Vec<String> = [first(&|f| matches!(f, Finding::Contended { .. }))]
        .into_iter()
        .flatten()
        .chain(threads_rows)
        .collect();
    // The emulated lock tells what CPython's threads do when they are not
    // there to tell it themselves.
    let without_python = !worded.iter().any(|(f, _)| python_threads(f));
    chosen.extend(
        [
            first(&|f| matches!(f, Finding::SingleThreadCost { .. })),
            first(&|f| {
                without_python
                    && matches!(
                        f,
                        Finding::TookTurns {
                            lock: Some(Lock::Emulated),
                            ..
                        } | Finding::TurnsCostCpu {
                            lock: Lock::Emulated,
                            ..
                        }
                    )
            }),
            first(&|f| {
                matches!(
                    f,
                    Finding::RanInParallel {
                        language: Language::Rust,
                        ..
                    }
                ) || matches!(f, Finding::WaitedForCores { row, .. }
                        if report.result(row).is_some_and(|r| r.language() == Language::Rust))
            }),
        ]
        .into_iter()
        .flatten(),
    );
    // Five at most: with a free-threaded CPython's two threads rows and its
    // single thread, the Rust rows' sentence is the one left out.
    chosen.truncate(5);
    chosen
}

/// Appends `text` wrapped at [`MAX_COLUMNS`], continuation lines indented
/// by `indent`.
fn wrap_into(out: &mut String, text: &str, indent: &str) {
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let width = line.chars().count();
        if width > 0 && width + 1 + word.chars().count() > MAX_COLUMNS {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_owned();
        } else if width > 0 && line != indent {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, interpreter, report};

    fn lesson_report(free_threaded: bool) -> Report {
        report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("gil", 8, 95.0, 101.0),
                Row::new("threads", 8, 47.0, 196.0),
                Row::new("process", 8, 48.0, 194.0),
                Row::new("python-sequential", 1, 4000.0, 100.0),
                Row::new(
                    "python-threads",
                    8,
                    if free_threaded { 2100.0 } else { 4080.0 },
                    if free_threaded { 190.0 } else { 101.0 },
                ),
                Row::new("python-processes", 8, 2250.0, 186.0),
            ],
            Some(interpreter(!free_threaded, free_threaded)),
        )
    }

    fn calibration() -> Calibration {
        Calibration {
            rust_per_number: std::time::Duration::from_nanos(11),
            python_per_number: Some(std::time::Duration::from_nanos(500)),
            python_startup: std::time::Duration::ZERO,
            count: 1_000_000,
            chosen: true,
        }
    }

    #[test]
    fn the_lesson_fits_one_screen_and_names_the_gil() {
        let text = text(&lesson_report(false), &calibration());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() <= MAX_LINES, "{} lines:\n{text}", lines.len());
        for line in &lines {
            assert!(line.chars().count() <= MAX_COLUMNS, "too wide: {line}");
        }
        // Phrases, whatever the wrapping.
        let flat = text.replace('\n', " ").replace("  ", " ");
        assert!(
            flat.contains("python-sequential takes about 4.0 s"),
            "{text}"
        );
        assert!(
            flat.contains("CPython 3.11.7 (python3), GIL enabled."),
            "{text}"
        );
        assert!(
            flat.contains("Every row computed the same 8 sums"),
            "{text}"
        );
        assert!(flat.contains("CPython's GIL"), "{text}");
        assert!(
            flat.contains("threads 87× faster than python-threads"),
            "{text}"
        );
        let row = lines
            .iter()
            .find(|l| l.starts_with("python-processes"))
            .unwrap();
        // Its speedup, against python-sequential (the table's note says so).
        assert!(row.contains("1.78×"), "{row}");
        assert!(
            flat.contains("speedup: against the sequential row of the same language"),
            "{text}"
        );
    }

    #[test]
    fn a_free_threaded_interpreter_is_the_second_half_of_the_story() {
        let text = text(&lesson_report(true), &calibration());
        let flat = text.replace('\n', " ").replace("  ", " ");
        assert!(
            flat.contains("GIL disabled (free-threaded build)"),
            "{text}"
        );
        assert!(
            flat.contains("the second half of the story since Python 3.13"),
            "{text}"
        );
        assert!(text.lines().count() <= MAX_LINES);
    }
}
