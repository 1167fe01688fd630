//! Reading an export back, for `gilfree compare`: the schema version first,
//! then every field, then every number checked (a file is input, and input
//! may be hostile) and every text escaped before it reaches a terminal.

use super::{JsonExport, SCHEMA_VERSION};
use serde::Deserialize;

/// Why a file could not be read as a gilfree JSON export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or JSON of another shape.
    #[error("not a gilfree JSON export ({0})")]
    NotAnExport(String),
    /// A gilfree export of a schema this version cannot read.
    #[error(
        "written with export schema {found}, but this gilfree {} reads schemas 1 to {SCHEMA_VERSION}",
        env!("CARGO_PKG_VERSION")
    )]
    Schema {
        /// The file's `schema_version`.
        found: u64,
    },
}

/// Parses a JSON export, checking its schema version first so that a file
/// from another version gets a message about versions, not about fields.
///
/// # Errors
/// See [`ReadError`].
pub fn read(bytes: &[u8]) -> Result<JsonExport, ReadError> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u64>,
    }
    let version: Version = serde_json::from_slice(bytes).map_err(not_an_export)?;
    match version.schema_version {
        Some(v) if (1..=u64::from(SCHEMA_VERSION)).contains(&v) => {}
        Some(found) => return Err(ReadError::Schema { found }),
        None => {
            return Err(ReadError::NotAnExport(
                "it has no schema_version field".to_owned(),
            ));
        }
    }
    let mut export: JsonExport = serde_json::from_slice(bytes).map_err(not_an_export)?;
    export.check_numbers().map_err(ReadError::NotAnExport)?;
    export.escape_text();
    if export.schema_version == 1 {
        export.upgrade_from_version_1();
    }
    export.check_plan().map_err(ReadError::NotAnExport)?;
    Ok(export)
}

/// The longest time a file may record, in seconds (about 31 years): beyond
/// it a number is not a measurement, and it would not fit a `Duration`
/// comfortably either.
const MAX_SECONDS: f64 = 1e9;

impl JsonExport {
    /// Checks every measured number: times finite and within 0 ..=
    /// [`MAX_SECONDS`], ratios and rates finite and non-negative. A file
    /// that fails was not written by gilfree, or was edited.
    fn check_numbers(&self) -> Result<(), String> {
        let time = |what: &str, backend: &str, x: f64| {
            if x.is_finite() && (0.0..=MAX_SECONDS).contains(&x) {
                Ok(())
            } else {
                Err(format!(
                    "{backend}'s {what} is {x}, not a time in seconds (0 to {MAX_SECONDS:e})"
                ))
            }
        };
        let ratio = |what: &str, backend: &str, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "{backend}'s {what} is {x}, not a non-negative number"
                ))
            }
        };
        let workers = self.workload.workers;
        if crate::kernel::Return::named(&self.workload.returns).is_none() {
            return Err(format!(
                "its workload returns {:?}, neither sums nor numbers",
                self.workload.returns
            ));
        }
        if let Some(m) = &self.memcpy {
            ratio("memcpy bytes_per_second", "the machine", m.bytes_per_second)?;
        }
        if self.sums.len() != workers {
            return Err(format!(
                "it has {} sums for {workers} workers",
                self.sums.len()
            ));
        }
        for r in &self.results {
            let b = r.backend.as_str();
            if !r.sums.is_empty() && r.sums.len() != workers {
                return Err(format!(
                    "{b} has {} sums for {workers} workers",
                    r.sums.len()
                ));
            }
            for (what, x) in [
                ("mean", r.mean),
                ("median", r.median),
                ("min", r.min),
                ("max", r.max),
                ("user", r.user),
                ("system", r.system),
                ("user_median", r.user_median),
                ("system_median", r.system_median),
            ]
            .into_iter()
            .chain(r.stddev.map(|x| ("stddev", x)))
            .chain(r.times.iter().map(|&x| ("times", x)))
            {
                time(what, b, x)?;
            }
            for run in &r.runs {
                for (what, x) in [
                    ("wall", run.wall),
                    ("user", run.user),
                    ("system", run.system),
                    ("children_cpu", run.children_cpu),
                ] {
                    time(what, b, x)?;
                }
                ratio("cpu_percent", b, run.cpu_percent)?;
            }
            ratio("cpu_percent", b, r.cpu_percent)?;
            for run in &r.runs {
                let Some(c) = &run.contention else { continue };
                for (what, x) in [
                    ("others_cpu", c.others_cpu),
                    ("steal", c.steal),
                    ("sampler_cpu", c.sampler_cpu),
                    ("resolution", c.resolution),
                ]
                .into_iter()
                .chain(c.pressure_stalled.map(|x| ("pressure_stalled", x)))
                .chain(c.samples.iter().map(|s| ("samples' time", s[0])))
                {
                    time(what, b, x)?;
                }
                for s in &c.samples {
                    ratio("samples' cores", b, s[1])?;
                    ratio("samples' cores", b, s[2])?;
                }
            }
            let sources = std::iter::once(&r.time_accounting_source)
                .chain(r.runs.iter().map(|run| &run.time_accounting_source));
            for source in sources.flatten() {
                if crate::measure::AccountingSource::named(source).is_none() {
                    return Err(format!(
                        "{b}'s time_accounting_source is {source:?}, not \"schedstat\" or \"sampled states\""
                    ));
                }
            }
            if let Some(launch) = r.launch_median {
                time("launch_median", b, launch)?;
            }
            if let Some(t) = &r.transfer
                && crate::backend::ReturnPath::named(&t.mode).is_none()
            {
                return Err(format!(
                    "{b}'s transfer mode {:?} is not one gilfree writes",
                    t.mode
                ));
            }
            for (what, x) in [
                ("speedup", r.speedup),
                ("speedup_stddev", r.speedup_stddev),
                ("efficiency", r.efficiency),
                ("throughput", r.throughput),
                ("others_cores", r.others_cores),
                ("steal_cores", r.steal_cores),
                ("threads_wanting_to_run", r.threads_wanting_to_run),
            ]
            .into_iter()
            .chain(
                r.speedup_ci
                    .iter()
                    .flatten()
                    .map(|&x| ("speedup_ci", Some(x))),
            ) {
                if let Some(x) = x {
                    ratio(what, b, x)?;
                }
            }
        }
        Ok(())
    }

    /// Checks the workload and the plan as gilfree checks them before a
    /// run (`Workload::new`, `Driver::new`): at least one worker, a range
    /// that is not empty, 1 ≤ `min_runs` ≤ `max_runs` ≤
    /// [`MAX_RUNS`](crate::measure::MAX_RUNS), and a precision that is a
    /// fraction between 0 and 1. Run after a version 1 file's plan is
    /// brought to version 2's fields.
    fn check_plan(&self) -> Result<(), String> {
        use crate::measure::MAX_RUNS;
        let (w, p) = (&self.workload, &self.plan);
        if w.workers == 0 {
            return Err("its workload has 0 workers".to_owned());
        }
        if w.low > w.high {
            return Err(format!(
                "its workload's range {}..={} is empty",
                w.low, w.high
            ));
        }
        if p.min_runs == 0 || p.min_runs > p.max_runs || p.max_runs > MAX_RUNS {
            return Err(format!(
                "its plan of {} to {} measured runs is not 1 ≤ min_runs ≤ max_runs ≤ {MAX_RUNS}",
                p.min_runs, p.max_runs
            ));
        }
        if p.warmup > MAX_RUNS {
            return Err(format!(
                "its plan's {} warm-up runs are more than {MAX_RUNS}",
                p.warmup
            ));
        }
        match p.precision {
            Some(x) if !(x > 0.0 && x < 1.0) => Err(format!(
                "its plan's precision is {x}, not a fraction between 0 and 1"
            )),
            _ => Ok(()),
        }
    }

    /// Brings a version 1 file to version 2's meaning: the plan's fixed
    /// `runs` become `min_runs` = `max_runs`; each row gets its language
    /// (Python rows are the `python-*` ones) and is read against its own
    /// language's sequential row — version 1 read every row against Rust's
    /// — so its speedup and efficiency are worked out again from the
    /// medians the file records.
    fn upgrade_from_version_1(&mut self) {
        if let Some(runs) = self.plan.runs {
            self.plan.min_runs = runs;
            self.plan.max_runs = runs;
        }
        for r in &mut self.results {
            let language = if r.backend.starts_with("python-") {
                crate::backend::Language::Python
            } else {
                crate::backend::Language::Rust
            };
            r.language = language.name().to_owned();
            r.baseline = language.baseline().to_owned();
            r.speedup_stddev = None;
        }
        let medians: Vec<(String, f64)> = self
            .results
            .iter()
            .map(|r| (r.backend.clone(), r.median))
            .collect();
        for r in &mut self.results {
            let baseline = medians.iter().find(|(name, _)| *name == r.baseline);
            r.speedup = baseline.and_then(|&(_, b)| (r.median > 0.0).then(|| b / r.median));
            r.efficiency = r.speedup.map(|s| s / r.usable_parallelism.max(1) as f64);
        }
    }

    /// Escapes control characters in every text read from the file, so that
    /// printing it cannot drive the terminal.
    fn escape_text(&mut self) {
        let fields = [
            &mut self.gilfree_version,
            &mut self.started,
            &mut self.baseline,
            &mut self.expected_total_exact,
            &mut self.workload.generator,
            &mut self.machine.cpu_model,
            &mut self.machine.os,
            &mut self.machine.kernel,
            &mut self.machine.arch,
        ];
        for field in fields.into_iter().chain(self.workload.simd.as_mut()) {
            escape_controls(field);
        }
        for r in &mut self.results {
            for field in [
                &mut r.command,
                &mut r.backend,
                &mut r.description,
                &mut r.language,
                &mut r.baseline,
            ] {
                escape_controls(field);
            }
            r.hosts.iter_mut().for_each(escape_controls);
            let workers = r.runs.iter_mut().flat_map(|run| run.workers.iter_mut());
            workers
                .filter_map(|w| w.host.as_mut())
                .for_each(escape_controls);
        }
        if let Some(i) = &mut self.interpreter {
            for field in [&mut i.command, &mut i.version, &mut i.implementation] {
                escape_controls(field);
            }
        }
    }
}

/// A serde error as [`ReadError::NotAnExport`]: serde may quote what it
/// read, so its words are escaped into one line.
fn not_an_export(err: serde_json::Error) -> ReadError {
    ReadError::NotAnExport(crate::text::escape_controls(&err.to_string()))
}

/// Replaces `text` with its escaped form ([`escape_controls`](crate::text::escape_controls)).
fn escape_controls(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = crate::text::escape_controls(text);
    }
}
