//! Machine-readable copies of a [`Report`]: JSON, CSV and Markdown, following
//! hyperfine's export conventions where they fit, so that tools and habits
//! built around hyperfine's files carry over.
//!
//! One file per format behind one small trait, [`Exporter`]; the
//! [`ExportManager`] checks every destination before the benchmark starts, so
//! a mistyped directory fails in a moment instead of after a long run, and
//! writes each export once the report is complete, whole or not at all
//! ([`crate::output`]). It is a transaction: dropped without
//! [`ExportManager::write`] — an early return, an error, a panic, a signal —
//! it leaves every destination as it was, so no run leaves an empty or
//! half-written export behind. The JSON schema is
//! documented in `docs/export-schema.md` and carries a
//! [`SCHEMA_VERSION`](json::SCHEMA_VERSION).

use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::error::Error;
use crate::measure::Report;
use crate::output::Output;

pub mod csv;
pub mod json;
pub mod markdown;

/// Turns a report into the bytes of one export format.
pub trait Exporter {
    /// The whole export of `report`.
    ///
    /// # Errors
    /// Only if the serializer itself fails, which for these in-memory writes
    /// means a bug; it is reported rather than unwrapped.
    fn serialize(&self, report: &Report) -> io::Result<Vec<u8>>;
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Everything, per run and per worker ([`json::JsonExport`]).
    Json,
    /// One row per backend, hyperfine's columns first.
    Csv,
    /// A table to paste into a README or an issue.
    Markdown,
}

impl ExportFormat {
    /// The command-line flag that asks for this format.
    pub fn flag(self) -> &'static str {
        match self {
            ExportFormat::Json => "--export-json",
            ExportFormat::Csv => "--export-csv",
            ExportFormat::Markdown => "--export-markdown",
        }
    }

    /// The exporter for this format.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            ExportFormat::Json => Box::new(json::JsonExporter),
            ExportFormat::Csv => Box::new(csv::CsvExporter),
            ExportFormat::Markdown => Box::new(markdown::MarkdownExporter),
        }
    }
}

/// The exports one run asked for, each destination checked and prepared
/// ([`Output`]).
///
/// Dropping it without a successful [`write`](Self::write) leaves every
/// destination as it was: the previous files untouched, no new or
/// temporary file behind.
#[derive(Debug, Default)]
pub struct ExportManager {
    exports: Vec<(ExportFormat, Output)>,
}

impl ExportManager {
    /// Checks and prepares each destination (`-` is standard output).
    ///
    /// # Errors
    /// [`Error::ExportPath`] when a destination cannot be written, or when
    /// two exports name the same file or both standard output.
    pub fn new(requests: &[(ExportFormat, &Path)]) -> Result<ExportManager, Error> {
        let exports = requests
            .iter()
            .map(|&(format, path)| Ok((format, Output::check(format.flag(), path)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let manager = ExportManager { exports };
        crate::output::check_distinct(&manager.outputs().collect::<Vec<_>>())?;
        Ok(manager)
    }

    /// The destinations, to check against a run's other outputs
    /// ([`check_distinct`](crate::output::check_distinct)).
    pub fn outputs(&self) -> impl Iterator<Item = &Output> {
        self.exports.iter().map(|(_, output)| output)
    }

    /// Whether an export goes to standard output (the human-readable report
    /// should then go to standard error, so that the two do not mix).
    pub fn uses_stdout(&self) -> bool {
        self.outputs().any(Output::is_stdout)
    }

    /// Whether no export was asked for.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }

    /// Writes every export of `report`, with `also` (a picture, say, and
    /// its bytes), as one commit ([`crate::output::commit_all`]): every file
    /// is written beside its target first, and only when all are written
    /// are they renamed into place, so a failure (a full disk) leaves every
    /// file as it was.
    ///
    /// # Errors
    /// [`Error::Write`] naming the first destination that failed.
    pub fn write(self, report: &Report, also: Vec<(Output, Vec<u8>)>) -> Result<(), Error> {
        let mut outputs = Vec::with_capacity(self.exports.len() + also.len());
        for (format, output) in self.exports {
            let bytes = format
                .exporter()
                .serialize(report)
                .map_err(|source| Error::Write {
                    path: output.path().to_owned(),
                    source,
                })?;
            outputs.push((output, bytes));
        }
        outputs.extend(also);
        crate::output::commit_all(outputs)
    }
}

/// A point in time as an RFC 3339 timestamp in UTC, to the second:
/// `2026-11-26T21:04:05Z`. Times before 1970 print as the epoch.
pub fn rfc3339_utc(time: SystemTime) -> String {
    // RFC 3339 has four-digit years: 1970 to 9999.
    let last = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    let time = time.clamp(SystemTime::UNIX_EPOCH, last);
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // `date -u -d @1795727045 +%FT%TZ`
        let t = UNIX_EPOCH + Duration::from_secs(1_795_727_045);
        assert_eq!(rfc3339_utc(t), "2026-11-26T21:04:05Z");
        // A leap day, and the last second of a century year that is not leap.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
        let end = UNIX_EPOCH + Duration::from_secs(4_107_542_399);
        assert_eq!(rfc3339_utc(end), "2100-02-28T23:59:59Z");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339_utc(before), "1970-01-01T00:00:00Z");
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(rfc3339_utc(far), "9999-12-31T23:59:59Z");
    }
}
