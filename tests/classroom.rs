//! The classroom views: the gil backend against the parallel ones in the
//! timeline, the scaling sweep and its plot, and --explain.

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;
use crate::pictures::slide_texts;

/// The timeline rows of `backend` in `out`: the cells between the bars.
fn timeline_rows(out: &str, backend: &str) -> Vec<Vec<char>> {
    let start = out
        .find(&format!("\n{backend} — run "))
        .unwrap_or_else(|| panic!("no timeline for {backend} in\n{out}"));
    out[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  w"))
        .map(|l| {
            let cells = &l[l.find('|').unwrap() + 1..l.rfind('|').unwrap()];
            cells.chars().collect()
        })
        .collect()
}

#[test]
fn the_timeline_shows_gil_workers_taking_turns_and_threads_overlapping() {
    // Each worker needs tens of milliseconds of CPU, many of the scheduler's
    // time slices: so the threads' lifetimes overlap even when they share
    // one core with other programs (3M numbers, a slice or two each, let
    // them run one after another on a loaded machine).
    let output = gilfree(&[
        "-w",
        "4",
        "-n",
        "100M",
        "--seed",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "gil,threads",
        "--timeline",
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let gil = timeline_rows(&out, "gil");
    assert_eq!(gil.len(), 4, "{out}");
    let width = gil[0].len();
    assert_eq!(width, gilfree::render::timeline::TEXT_WIDTH);
    // One lock: never two workers computing through a whole cell at once.
    for column in 0..width {
        let full = gil.iter().filter(|row| row[column] == '█').count();
        assert!(
            full <= 1,
            "two gil workers at once in column {column}:\n{out}"
        );
    }
    // Each worker had a turn.
    assert!(gil.iter().all(|row| row.iter().any(|&c| c != ' ')), "{out}");
    // Threads: several workers are running at the same moment.
    let threads = timeline_rows(&out, "threads");
    assert_eq!(threads.len(), 4);
    let overlapping = (0..width)
        .filter(|&c| threads.iter().filter(|row| row[c] != ' ').count() >= 2)
        .count();
    assert!(overlapping > width / 4, "threads barely overlap:\n{out}");
    assert!(out.contains("| cpu "), "CPU labels: {out}");
}

#[test]
fn the_timeline_svg_is_a_slide_with_a_row_per_backend_on_one_time_axis() {
    let dir = scratch("timeline-svg");
    let svg = dir.join("timeline.svg");
    let run = |scale: &str| {
        let output = gilfree(&[
            "-w",
            "3",
            "-n",
            "200k",
            "--seed",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--backend",
            "gil,rayon",
            "--timeline-scale",
            scale,
            "--timeline-svg",
            svg.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        slide_texts(&svg)
    };
    let texts = run("shared");
    for backend in ["sequential", "gil", "rayon"] {
        let at = texts
            .iter()
            .position(|t| t == backend)
            .unwrap_or_else(|| panic!("no row for {backend}: {texts:?}"));
        // Under its name: its wall time and CPU.
        let figures = &texts[at + 1];
        assert!(
            figures.contains(" ms, CPU ") || figures.contains(" µs, CPU "),
            "{backend}: {figures}"
        );
        assert!(figures.ends_with('%'), "{figures}");
    }
    for entry in [
        "computing",
        "the whole run",
        "cores busy: CPU ÷ 100%",
        "sharing a core or a lock: opacity = CPU ÷ wall",
    ] {
        assert!(texts.iter().any(|t| t == entry), "no '{entry}': {texts:?}");
    }
    // One axis for the three rows.
    let axes: Vec<&String> = texts
        .iter()
        .filter(|t| t.starts_with("time since the run started"))
        .collect();
    assert_eq!(axes.len(), 1, "{texts:?}");
    assert!(axes[0].ends_with("one scale for every row"), "{axes:?}");
    let bars = std::fs::read_to_string(&svg)
        .unwrap()
        .matches("fill=\"#144696\"")
        .count();
    assert!(bars >= 3 * 3, "a bar per worker at least: {bars}");

    let texts = run("own");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("share of each row's own wall time (%)")),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.starts_with("time since")));
}

#[test]
fn a_sweep_prints_a_table_per_backend_and_plots_speedup() {
    let dir = scratch("sweep");
    let plot = dir.join("speedup.svg");
    let output = gilfree(&[
        "sweep",
        "-n",
        "300k",
        "--seed",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--workers",
        "2,3",
        "--backend",
        "gil,threads",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        out.contains("weak scaling, 1, 2, 3 workers; 300,000 numbers per worker"),
        "{out}"
    );
    for backend in ["gil", "threads"] {
        let table = &out[out.find(&format!("\n{backend}")).unwrap()..];
        let rows: Vec<&str> = table
            .lines()
            .skip(3) // the blank line, the title, the header
            .take_while(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .collect();
        assert_eq!(rows.len(), 3, "{backend}: {table}");
        assert!(
            rows[0].starts_with("1 ") && rows[0].contains("1.00×"),
            "{rows:?}"
        );
        assert!(rows[1].contains(" 600,000 "), "{rows:?}");
    }
    assert!(out.contains("Karp–Flatt e"), "{out}");
    let texts = slide_texts(&plot);
    let cores = num_cpus();
    assert!(
        texts.first().is_some_and(|t| t.contains(" reached ")),
        "a title that states the point: {texts:?}"
    );
    for label in [
        "gil",
        "threads",
        "workers",
        "speedup against 1 worker (×)",
        "ideal speedup:",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no '{label}' in {texts:?}"
        );
    }
    // Every speedup tick carries its unit; which ticks there are depends on
    // how far the measured speedups reached, so none is named.
    let ticks: Vec<&String> = texts
        .iter()
        .filter(|t| t.ends_with('×') && t[..t.len() - '×'.len_utf8()].parse::<f64>().is_ok())
        .collect();
    assert!(ticks.len() >= 2, "speedup ticks with their unit: {texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(&format!("{cores} logical cores"))),
        "{texts:?}"
    );
    // Worker ticks are whole numbers.
    for tick in ["1", "2", "3"] {
        assert!(texts.iter().any(|t| t == tick), "no tick {tick}: {texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "0.5" || t == "1.5"), "{texts:?}");
    // A line per backend, plus the ideal line and the legend's swatches.
    let doc = std::fs::read_to_string(&plot).unwrap();
    let lines = doc.matches("<polyline").count();
    assert!(lines >= 4, "{lines} lines");
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn strong_scaling_divides_the_total_and_bad_sweeps_are_refused() {
    let output = gilfree(&[
        "sweep",
        "--scaling",
        "strong",
        "-n",
        "600k",
        "--seed",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--workers",
        "2",
        "--backend",
        "rayon",
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        out.contains("600,000 numbers in all, divided among the workers"),
        "{out}"
    );
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" 600,000 "))
        .collect();
    assert_eq!(rows.len(), 2, "both points do the same total: {out}");
    for args in [
        &["sweep", "--workers", "0"][..],
        &["sweep", "--scaling", "sideways"],
        &["sweep", "--workers", "65537"],
        &["sweep", "--backend", "fibers"],
    ] {
        let output = gilfree(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn explain_reads_the_runs_own_figures() {
    let output = gilfree(&[
        "-w",
        "4",
        "-n",
        "1M",
        "--seed",
        "1",
        "--runs",
        "3",
        "--backend",
        "gil,threads",
        "--explain",
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    // gil's row of the second table: threads, running, waiting, blocked.
    let accounting = &out[out
        .find("Where the workers' time went")
        .expect("a second table")..];
    let gil_blocked: String = accounting
        .lines()
        .find(|l| l.starts_with("gil "))
        .and_then(|l| l.split_whitespace().nth(4))
        .unwrap()
        .to_owned();
    let explanation = &out[out.find("What this run shows:").expect("an explanation")..];
    // Whatever the sentence says about gil quotes the table's own figure
    // of its workers' blocked time.
    let gil_line = explanation
        .lines()
        .find(|l| l.starts_with("- gil"))
        .unwrap_or_else(|| panic!("{explanation}"));
    // Alone, its figure; grouped with other rows (under load, workers
    // that finish within one turn read as running at once), a range that
    // holds it.
    let percent = |p: &str| p.trim_end_matches('%').parse::<u32>().ok();
    let quoted = gil_line.contains(&format!("blocked {gil_blocked}"))
        || gil_line.split("blocked ").skip(1).any(|rest| {
            let range = rest.split([')', ' ', ',']).next().unwrap_or("");
            match (range.split_once('–'), percent(&gil_blocked)) {
                (Some((low, high)), Some(value)) => {
                    percent(low).is_some_and(|low| low <= value)
                        && percent(high).is_some_and(|high| value <= high)
                }
                _ => false,
            }
        });
    assert!(quoted, "{gil_blocked} vs {gil_line}");
    // 4 workers on this machine's cores: the note appears only when they exceed them.
    let shared = explanation.contains("4 workers shared");
    assert_eq!(shared, 4 > num_cpus(), "{explanation}");
}
