//! The CSV export: one row per backend. The first eight columns are
//! hyperfine's (`command,mean,stddev,median,user,system,min,max`, seconds,
//! `command` holding the backend's name); gilfree's own follow (the time
//! accounting's `time_accounting` fields among them), then the
//! workload, so that rows from several exports can be concatenated and told
//! apart. Per-run and per-worker details are in the JSON export.

use std::io;

use crate::export::Exporter;
use crate::export::json::JsonExport;
use crate::measure::Report;

/// The header row.
pub const COLUMNS: [&str; 37] = [
    "command",
    "mean",
    "stddev",
    "median",
    "user",
    "system",
    "min",
    "max",
    "cpu_percent",
    "baseline",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "efficiency",
    "throughput",
    "peak_rss_bytes",
    "self_peak_rss_bytes",
    "children_peak_rss_bytes",
    "parallelism",
    "runs",
    "outliers",
    "verified",
    "others_cores",
    "steal_cores",
    "contended",
    "running_ns",
    "waiting_ns",
    "blocked_ns",
    "accounted_threads",
    "threads_wanting_to_run",
    "workers",
    "count",
    "low",
    "high",
    "seed",
    "generator",
    "materialize",
];

/// Writes the CSV export.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvExporter;

impl Exporter for CsvExporter {
    /// The figures are the JSON export's, so both formats always agree.
    fn serialize(&self, report: &Report) -> io::Result<Vec<u8>> {
        let export = JsonExport::from_report(report);
        let w = &export.workload;
        let optional = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
        let whole = |x: Option<u64>| x.map_or_else(String::new, |v| v.to_string());
        let mut writer = ::csv::Writer::from_writer(Vec::new());
        writer.write_record(COLUMNS)?;
        for r in &export.results {
            let record: [String; COLUMNS.len()] = [
                r.command.clone(),
                r.mean.to_string(),
                optional(r.stddev),
                r.median.to_string(),
                r.user.to_string(),
                r.system.to_string(),
                r.min.to_string(),
                r.max.to_string(),
                r.cpu_percent.to_string(),
                r.baseline.clone(),
                optional(r.speedup),
                optional(r.speedup_ci.map(|c| c[0])),
                optional(r.speedup_ci.map(|c| c[1])),
                optional(r.efficiency),
                optional(r.throughput),
                r.peak_rss_bytes.to_string(),
                r.self_peak_rss_bytes.to_string(),
                r.children_peak_rss_bytes.to_string(),
                r.parallelism.to_string(),
                r.runs.len().to_string(),
                r.outliers.to_string(),
                r.verified.to_string(),
                optional(r.others_cores),
                optional(r.steal_cores),
                r.contended.to_string(),
                whole(r.time_accounting.map(|a| a.running_ns)),
                whole(r.time_accounting.map(|a| a.waiting_ns)),
                whole(r.time_accounting.map(|a| a.blocked_ns)),
                whole(r.time_accounting.map(|a| a.threads as u64)),
                optional(r.threads_wanting_to_run),
                w.workers.to_string(),
                w.count.to_string(),
                w.low.to_string(),
                w.high.to_string(),
                w.seed.to_string(),
                w.generator.clone(),
                w.materialize.to_string(),
            ];
            writer.write_record(&record)?;
        }
        writer.into_inner().map_err(|err| err.into_error())
    }
}
