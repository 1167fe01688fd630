//! The CSV export: one row per backend. The first eight columns are
//! hyperfine's (`command,mean,stddev,median,user,system,min,max`, seconds,
//! `command` holding the backend's name); gilfree's own follow, then the
//! workload, so that rows from several exports can be concatenated and told
//! apart. Per-run and per-worker details are in the JSON export.

use std::io;

use crate::driver::Report;
use crate::export::Exporter;

/// The header row.
pub const COLUMNS: [&str; 27] = [
    "command",
    "mean",
    "stddev",
    "median",
    "user",
    "system",
    "min",
    "max",
    "cpu_percent",
    "speedup",
    "speedup_stddev",
    "efficiency",
    "throughput",
    "peak_rss_bytes",
    "self_peak_rss_bytes",
    "children_peak_rss_bytes",
    "parallelism",
    "runs",
    "outliers",
    "verified",
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
    fn serialize(&self, report: &Report) -> io::Result<Vec<u8>> {
        let mut writer = ::csv::Writer::from_writer(Vec::new());
        writer.write_record(COLUMNS)?;
        let w = &report.workload;
        let optional = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
        for result in &report.results {
            let speedup = report.speedup_with_error(result);
            let record: [String; COLUMNS.len()] = [
                result.name.to_owned(),
                result.wall_mean().as_secs_f64().to_string(),
                if result.runs.len() > 1 {
                    result.wall_std_dev().as_secs_f64().to_string()
                } else {
                    String::new()
                },
                result.wall_median().as_secs_f64().to_string(),
                result.user_mean().as_secs_f64().to_string(),
                result.system_mean().as_secs_f64().to_string(),
                result.wall_min().as_secs_f64().to_string(),
                result.wall_max().as_secs_f64().to_string(),
                result.cpu_percent_median().to_string(),
                optional(speedup.map(|(s, _)| s)),
                optional(speedup.map(|(_, e)| e)),
                optional(report.efficiency(result)),
                optional(report.throughput(result)),
                result.peak_rss_bytes().to_string(),
                result.self_peak_rss_bytes().to_string(),
                result.children_peak_rss_bytes().to_string(),
                result.parallelism.to_string(),
                result.runs.len().to_string(),
                result.wall_outliers().to_string(),
                result.verified().to_string(),
                w.workers().to_string(),
                w.count().to_string(),
                w.low().to_string(),
                w.high().to_string(),
                w.seed().to_string(),
                w.generator().name().to_owned(),
                w.materialize().to_string(),
            ];
            writer.write_record(&record)?;
        }
        writer.into_inner().map_err(|err| err.into_error())
    }
}
