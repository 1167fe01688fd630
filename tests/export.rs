//! Exports: each format written, parsed back, and checked against the report
//! and the table it came from; peak memory as the exports record it.

use std::path::{Path, PathBuf};

use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::export::json::{self, JsonExport, SCHEMA_VERSION};
use gilfree::export::{ExportFormat, ExportManager, csv::COLUMNS};
use gilfree::measure::{Driver, Plan, Report};
use gilfree::{Backend, Workload, WorkloadSpec};

fn report(backends: &[BackendKind], workers: usize, count: u64, materialize: bool) -> Report {
    let workload = Workload::new(WorkloadSpec {
        workers,
        count,
        seed: 2015,
        materialize,
        ..WorkloadSpec::default()
    })
    .unwrap();
    let built: Vec<Box<dyn Backend>> = backends
        .iter()
        .map(|k| {
            k.build(&BackendOptions {
                rayon_threads: 2,
                ..BackendOptions::default()
            })
            .unwrap()
        })
        .collect();
    let refs: Vec<&dyn Backend> = built.iter().map(Box::as_ref).collect();
    Driver::new(workload, Plan::exactly(3, 0))
        .unwrap()
        .run(&refs)
        .unwrap()
}

fn small_report() -> Report {
    let in_process: Vec<BackendKind> = BackendKind::in_process().collect();
    report(&in_process, 4, 50_000, false)
}

fn serialize(format: ExportFormat, report: &Report) -> String {
    String::from_utf8(format.exporter().serialize(report).unwrap()).unwrap()
}

/// A fresh directory under the target dir, for files a test writes.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_json_export_round_trips_and_matches_the_report() {
    let report = small_report();
    let text = serialize(ExportFormat::Json, &report);
    let export = json::read(text.as_bytes()).unwrap();
    assert_eq!(export, JsonExport::from_report(&report));

    assert_eq!(export.schema_version, SCHEMA_VERSION);
    assert_eq!(export.gilfree_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(export.started.len(), "2026-11-26T21:04:05Z".len());
    assert_eq!(export.workload.workers, 4);
    assert_eq!(export.workload.count, 50_000);
    assert_eq!(export.workload.seed, 2015);
    assert_eq!(export.workload.generator, "xoshiro256++x8");
    assert_eq!(
        export.workload.simd.as_deref(),
        Some(gilfree::Simd::widest().name())
    );
    assert_eq!(export.machine.logical_cores, report.machine.logical_cores);
    assert!(export.machine.kernel.starts_with("Linux"));
    assert_eq!((export.plan.min_runs, export.plan.max_runs), (3, 3));
    assert_eq!(export.sums, report.sums);
    assert_eq!(export.total, report.sums.iter().sum::<i64>());

    let names: Vec<&str> = export.results.iter().map(|r| r.backend.as_str()).collect();
    assert_eq!(
        names,
        [
            "sequential",
            "gil",
            "threads",
            "channels",
            "rayon",
            "process",
            "process-shared"
        ]
    );
    for (record, result) in export.results.iter().zip(&report.results) {
        assert_eq!(record.command, record.backend, "hyperfine's key");
        assert_eq!(record.median, result.wall_median().as_secs_f64());
        assert_eq!(record.min, result.wall_min().as_secs_f64());
        assert_eq!(record.max, result.wall_max().as_secs_f64());
        assert!(record.min <= record.median && record.median <= record.max);
        assert_eq!(record.times.len(), 3);
        assert_eq!(record.runs.len(), 3);
        assert_eq!(record.speedup, report.speedup(result));
        assert_eq!(record.efficiency, report.efficiency(result));
        assert_eq!(record.cpu_percent, result.cpu_percent_median());
        assert!(record.verified && record.mismatch.is_none());
        assert_eq!(record.sums, report.sums);
        for (run, time) in record.runs.iter().zip(&record.times) {
            assert_eq!(run.wall, *time);
            assert_eq!(run.workers.len(), 4);
            let sums: Vec<i64> = run.workers.iter().map(|w| w.sum).collect();
            assert_eq!(sums, report.sums);
            for (i, w) in run.workers.iter().enumerate() {
                assert_eq!(w.worker, i);
                assert!(w.start_ns <= w.finish_ns);
                // Only forked workers have a process, and so a peak, of their own.
                let process = BackendKind::named(&record.backend)
                    .is_some_and(|k| k.profile().worker == gilfree::backend::WorkerKind::Process);
                assert_eq!(w.peak_rss_bytes.is_some(), process);
            }
        }
    }
    assert_eq!(export.results[0].speedup, Some(1.0));
    assert_eq!(
        export.results[0].speedup_ci, None,
        "the baseline is exactly 1"
    );
    for record in &export.results[1..] {
        let [low, high] = record.speedup_ci.expect("3 runs give an interval");
        assert!(low <= high, "{low} {high}");
        assert_eq!(record.language, "rust");
        assert_eq!(record.baseline, "sequential");
    }
    assert!(export.interpreter.is_none());
}

#[test]
fn the_json_export_agrees_with_the_printed_table() {
    let report = small_report();
    let export = JsonExport::from_report(&report);
    let table = gilfree::render::text(&report);
    for record in &export.results {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(record.backend.as_str()))
            .unwrap_or_else(|| panic!("a row for {} in\n{table}", record.backend));
        let speedup = format!("{:.2}×", record.speedup.unwrap());
        assert!(line.contains(&speedup), "{speedup} not in {line}");
        let cpu = format!("{:.0}%", record.cpu_percent);
        assert!(line.contains(&cpu), "{cpu} not in {line}");
    }
}

#[test]
fn the_csv_export_has_hyperfines_columns_first_and_one_row_per_backend() {
    let report = small_report();
    let text = serialize(ExportFormat::Csv, &report);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, COLUMNS);
    assert_eq!(
        &header[..8],
        [
            "command", "mean", "stddev", "median", "user", "system", "min", "max"
        ]
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), report.results.len());
    for (row, result) in rows.iter().zip(&report.results) {
        assert_eq!(&row[column("command")], result.name());
        let number = |name: &str| row[column(name)].parse::<f64>().unwrap();
        assert_eq!(number("median"), result.wall_median().as_secs_f64());
        assert_eq!(number("mean"), result.wall_mean().as_secs_f64());
        assert_eq!(number("speedup"), report.speedup(result).unwrap());
        assert_eq!(number("peak_rss_bytes"), result.peak_rss_bytes() as f64);
        assert_eq!(&row[column("verified")], "true");
        assert_eq!(&row[column("workers")], "4");
        assert_eq!(&row[column("count")], "50000");
        assert_eq!(&row[column("seed")], "2015");
        assert_eq!(&row[column("runs")], "3");
        let accounting = result.time_accounting().unwrap();
        assert_eq!(
            &row[column("running_ns")],
            &accounting.running_ns.to_string()
        );
        assert_eq!(
            &row[column("waiting_ns")],
            &accounting.waiting_ns.to_string()
        );
        assert_eq!(
            &row[column("blocked_ns")],
            &accounting.blocked_ns.to_string()
        );
        assert_eq!(
            &row[column("accounted_threads")],
            &accounting.threads.to_string()
        );
        assert_eq!(
            number("threads_wanting_to_run"),
            result.wanting_to_run().unwrap()
        );
    }
}

#[test]
fn the_markdown_export_is_a_table_with_a_row_per_backend() {
    let report = small_report();
    let text = serialize(ExportFormat::Markdown, &report);
    let mut lines = text.lines();
    let caption = lines.next().unwrap();
    let expected = format!(
        "4 workers × 50,000 random integers in [1, 100] (xoshiro256++x8 [{}], seed 2015)",
        gilfree::Simd::widest()
    );
    assert!(caption.starts_with(&expected), "{caption}");
    assert_eq!(lines.next(), Some(""));
    let table: Vec<Vec<String>> = lines
        .map(|l| {
            assert!(l.starts_with("| ") || l.starts_with("|:"), "{l}");
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(table.len(), 2 + report.results.len());
    let header = &table[0];
    assert_eq!(header[0], "Backend");
    assert!(header[1].starts_with("Mean ["), "{header:?}");
    assert_eq!(header.len(), 12);
    assert_eq!(header[10], "Running / waiting / blocked");
    assert_eq!(
        table[1].len(),
        1,
        "the alignment row is one cell: {:?}",
        table[1]
    );
    for (row, result) in table[2..].iter().zip(&report.results) {
        assert_eq!(row.len(), 12, "{row:?}");
        assert_eq!(row[0], format!("`{}`", result.name()));
        assert!(row[1].contains(" ± "), "{row:?}");
        let speedup = format!("{:.2}", report.speedup(result).unwrap());
        assert!(row[6].starts_with(&speedup), "{row:?}");
        // The baseline is exactly 1; every other row has its interval.
        assert_eq!(
            row[6].contains('–'),
            result.name() != "sequential",
            "{row:?}"
        );
        // The shares of the row's accounting, adding up to about 100%.
        let s = result.time_accounting().unwrap().shares().unwrap();
        assert_eq!(
            row[10],
            format!(
                "{:.0}% / {:.0}% / {:.0}%",
                s.running * 100.0,
                s.waiting * 100.0,
                s.blocked * 100.0
            ),
            "{row:?}"
        );
        assert_eq!(row[11], "✓");
    }
}

#[test]
fn exports_go_to_files_and_a_created_file_is_removed_when_the_manager_is_dropped_unwritten() {
    let dir = scratch("export-manager");
    let new = dir.join("new.json");
    let existing = dir.join("existing.csv");
    std::fs::write(&existing, "previous results\n").unwrap();

    let manager = ExportManager::new(&[
        (ExportFormat::Json, new.as_path()),
        (ExportFormat::Csv, existing.as_path()),
    ])
    .unwrap();
    assert!(!manager.uses_stdout());
    assert!(
        !new.exists(),
        "nothing is created at the destination before the commit"
    );
    let temporaries = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".gilfree-tmp")
            })
            .count()
    };
    // Unnamed (O_TMPFILE) where the file system has them, else named.
    assert!(
        [0, 2].contains(&temporaries()),
        "at most one temporary per destination"
    );
    // An early return or a panic drops the manager without writing it.
    drop(manager);
    assert!(!new.exists(), "nothing is made for a failed run");
    assert_eq!(temporaries(), 0, "and no temporary is left");
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "previous results\n",
        "an existing file is left as it was"
    );

    let manager = ExportManager::new(&[
        (ExportFormat::Json, new.as_path()),
        (ExportFormat::Csv, existing.as_path()),
    ])
    .unwrap();
    let report = report(&[BackendKind::named("rayon").unwrap()], 2, 1_000, false);
    manager.write(&report, Vec::new()).unwrap();
    assert!(json::read(&std::fs::read(&new).unwrap()).is_ok());
    let csv = std::fs::read_to_string(&existing).unwrap();
    assert!(csv.starts_with("command,mean,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header, sequential, rayon: {csv}");
}

#[test]
fn bad_export_destinations_are_refused_before_anything_runs() {
    let missing = Path::new("/nonexistent-gilfree-dir/out.json");
    let err = ExportManager::new(&[(ExportFormat::Json, missing)]).unwrap_err();
    assert!(err.is_usage());
    assert!(
        err.to_string()
            .starts_with("--export-json /nonexistent-gilfree-dir/out.json: "),
        "{err}"
    );
    let dash = Path::new("-");
    let err = ExportManager::new(&[(ExportFormat::Json, dash), (ExportFormat::Markdown, dash)])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--export-markdown -: standard output is already taken by --export-json; \
         write one of them to a file"
    );
}

#[test]
fn worker_processes_report_their_own_peak_memory() {
    // 4 MB of numbers per materialized worker: each child's peak holds them.
    let report = report(&[BackendKind::named("process").unwrap()], 2, 500_000, true);
    let process = report.result("process").unwrap();
    assert!(process.children_peak_rss_bytes() >= 4_000_000);
    for run in &process.runs {
        for worker in &run.workers {
            assert!(worker.peak_rss_bytes.unwrap() >= 4_000_000, "{worker:?}");
        }
    }
    assert_eq!(report.baseline().children_peak_rss_bytes(), 0);
}

#[test]
fn a_json_export_too_large_for_compare_keeps_less_detail_and_says_so() {
    use gilfree::export::json::JsonExporter;
    let report = report(&[BackendKind::named("gil").unwrap()], 64, 2_000, false);
    let whole = JsonExporter::serialize_within(&report, u64::MAX).unwrap();
    let export = json::read(&whole).unwrap();
    assert_eq!(export.omitted, None);
    assert!(
        export
            .results
            .iter()
            .all(|r| r.runs.iter().all(|run| run.workers.len() == 64))
    );
    // Each smaller limit keeps less: the typical run's workers, then those
    // without lock intervals and series, then no workers at all.
    let mut previous = whole.len();
    let mut seen = Vec::new();
    for limit in (1..=40).map(|i| whole.len() as u64 * i / 40).rev() {
        match JsonExporter::serialize_within(&report, limit) {
            Ok(bytes) => {
                assert!(bytes.len() as u64 <= limit && bytes.len() <= previous);
                previous = bytes.len();
                let export = json::read(&bytes).unwrap();
                let kept: Vec<usize> = export
                    .results
                    .iter()
                    .flat_map(|r| r.runs.iter().map(|run| run.workers.len()))
                    .collect();
                // Whatever is left out, every run's figures stay.
                assert_eq!(kept.len(), 2 * 3);
                assert_eq!(export.results[1].times.len(), 3);
                if let Some(words) = &export.omitted {
                    assert!(words.ends_with("to stay within 256 MiB"), "{words}");
                    assert!(kept.iter().filter(|&&n| n > 0).count() <= 2, "{kept:?}");
                }
                if !seen.contains(&export.omitted) {
                    seen.push(export.omitted.clone());
                }
            }
            Err(err) => {
                assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
                assert!(err.to_string().contains("more than the"), "{err}");
            }
        }
    }
    assert_eq!(seen.len(), 4, "every level was reached: {seen:?}");
    assert_eq!(json::MAX_BYTES, gilfree::compare::MAX_EXPORT_BYTES);
}

#[test]
fn others_are_null_in_the_exports_wherever_the_table_shows_a_question_mark() {
    // Runs of a few hundred microseconds: far too short for /proc/stat's
    // 10 ms tick to say what other programs did.
    let report = report(&[BackendKind::named("threads").unwrap()], 2, 1000, false);
    let table = gilfree::render::text(&report);
    let json = json::read(serialize(ExportFormat::Json, &report).as_bytes()).unwrap();
    let csv = serialize(ExportFormat::Csv, &report);
    let others_column = COLUMNS.iter().position(|c| *c == "others_cores").unwrap();
    for (result, record) in report.results.iter().zip(&json.results) {
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(result.name()))
            .unwrap();
        let cell = row.split_whitespace().rev().nth(1).unwrap();
        let csv_cell = csv
            .lines()
            .find(|l| l.starts_with(&format!("{},", result.name())))
            .unwrap()
            .split(',')
            .nth(others_column)
            .unwrap()
            .to_owned();
        match result.others() {
            gilfree::measure::Others::Cores(cores) => {
                assert_eq!(cell, format!("{cores:.2}"));
                assert!(record.others_cores.is_some());
                assert!(!csv_cell.is_empty());
            }
            _ => {
                assert!(cell == "?" || cell == "—", "{row}");
                assert_eq!(record.others_cores, None, "{}", result.name());
                assert_eq!(record.steal_cores, None, "{}", result.name());
                assert!(csv_cell.is_empty(), "{csv_cell}");
            }
        }
    }
    assert!(
        report
            .results
            .iter()
            .any(|r| r.others() == gilfree::measure::Others::TooShort),
        "runs this short are too short to tell:\n{table}"
    );
}
