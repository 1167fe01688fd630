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
        "written with export schema {found}, but this gilfree {} reads schema {SCHEMA_VERSION}",
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
    let version: Version =
        serde_json::from_slice(bytes).map_err(|err| ReadError::NotAnExport(err.to_string()))?;
    match version.schema_version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(found) => return Err(ReadError::Schema { found }),
        None => {
            return Err(ReadError::NotAnExport(
                "it has no schema_version field".to_owned(),
            ));
        }
    }
    let mut export: JsonExport =
        serde_json::from_slice(bytes).map_err(|err| ReadError::NotAnExport(err.to_string()))?;
    export.check_numbers().map_err(ReadError::NotAnExport)?;
    export.escape_text();
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
            for (what, x) in [
                ("speedup", r.speedup),
                ("speedup_stddev", r.speedup_stddev),
                ("efficiency", r.efficiency),
                ("throughput", r.throughput),
            ] {
                if let Some(x) = x {
                    ratio(what, b, x)?;
                }
            }
        }
        Ok(())
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
            for field in [&mut r.command, &mut r.backend, &mut r.description] {
                escape_controls(field);
            }
        }
    }
}

/// Replaces `text` with its escaped form ([`escape_controls`](crate::render::format::escape_controls)).
fn escape_controls(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = crate::render::format::escape_controls(text);
    }
}
