//! Machine-readable copies of a [`Report`]: JSON, CSV and Markdown, following
//! hyperfine's export conventions where they fit, so that tools and habits
//! built around hyperfine's files carry over.
//!
//! One file per format behind one small trait, [`Exporter`]; the
//! [`ExportManager`] checks every destination before the benchmark starts, so
//! a mistyped directory fails in a moment instead of after a long run, and
//! writes each export once the report is complete. It is a transaction:
//! dropped without [`ExportManager::write`] — an early return, an error, a
//! panic — it removes every file it created, so no run leaves an empty
//! export behind. The JSON schema is
//! documented in `docs/export-schema.md` and carries a
//! [`SCHEMA_VERSION`](json::SCHEMA_VERSION).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::Error;
use crate::measure::Report;

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

/// Where an export goes: a file, or standard output for `-`.
#[derive(Debug)]
enum Destination {
    Stdout,
    File {
        path: PathBuf,
        file: File,
        /// Whether the file was created for this export (and so is removed
        /// again if the run fails), rather than found and overwritten.
        created: bool,
    },
}

/// The exports one run asked for, with their destinations already opened.
///
/// Dropping it without a successful [`write`](Self::write) removes the files
/// it created and leaves the files that existed before untouched.
#[derive(Debug, Default)]
pub struct ExportManager {
    exports: Vec<(ExportFormat, Destination)>,
}

impl Drop for ExportManager {
    fn drop(&mut self) {
        // `write` empties `exports` once everything is written.
        for (_, destination) in self.exports.drain(..) {
            if let Destination::File {
                path,
                file,
                created: true,
            } = destination
            {
                drop(file);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

impl ExportManager {
    /// Checks and opens each destination (`-` is standard output). An existing
    /// file is kept as it is until [`write`](Self::write) replaces it, so a
    /// failed run does not destroy the previous export.
    ///
    /// # Errors
    /// [`Error::ExportPath`] when a file cannot be opened for writing, or
    /// when more than one export asks for standard output.
    pub fn new(requests: &[(ExportFormat, &Path)]) -> Result<ExportManager, Error> {
        let mut exports = Vec::with_capacity(requests.len());
        let mut stdout_taken: Option<ExportFormat> = None;
        for &(format, path) in requests {
            if path == Path::new("-") {
                if let Some(first) = stdout_taken {
                    return Err(Error::ExportPath {
                        flag: format.flag(),
                        path: path.into(),
                        problem: format!(
                            "standard output is already taken by {}; write one of them to a file",
                            first.flag()
                        ),
                    });
                }
                stdout_taken = Some(format);
                exports.push((format, Destination::Stdout));
                continue;
            }
            let path = path.to_owned();
            let existed = path.exists();
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|err| Error::ExportPath {
                    flag: format.flag(),
                    path: path.clone(),
                    problem: err.to_string(),
                })?;
            exports.push((
                format,
                Destination::File {
                    path,
                    file,
                    created: !existed,
                },
            ));
        }
        Ok(ExportManager { exports })
    }

    /// Whether an export goes to standard output (the human-readable report
    /// should then go to standard error, so that the two do not mix).
    pub fn uses_stdout(&self) -> bool {
        self.exports
            .iter()
            .any(|(_, d)| matches!(d, Destination::Stdout))
    }

    /// Whether no export was asked for.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }

    /// Writes every export of `report`: the commit of the transaction.
    ///
    /// # Errors
    /// [`Error::ExportWrite`] naming the first destination that failed;
    /// the files created for exports not yet written are then removed.
    pub fn write(mut self, report: &Report) -> Result<(), Error> {
        while !self.exports.is_empty() {
            let (format, destination) = &mut self.exports[0];
            let bytes =
                format
                    .exporter()
                    .serialize(report)
                    .map_err(|source| Error::ExportWrite {
                        path: "-".into(),
                        source,
                    })?;
            match destination {
                Destination::Stdout => {
                    let mut out = io::stdout().lock();
                    out.write_all(&bytes)
                        .and_then(|()| out.flush())
                        .map_err(|source| Error::ExportWrite {
                            path: "-".into(),
                            source,
                        })?;
                }
                Destination::File { path, file, .. } => {
                    replace_contents(file, &bytes).map_err(|source| Error::ExportWrite {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
            // Written: no longer the transaction's to remove.
            self.exports.remove(0);
        }
        Ok(())
    }
}

fn replace_contents(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(bytes)?;
    file.flush()
}

/// A point in time as an RFC 3339 timestamp in UTC, to the second:
/// `2026-11-26T21:04:05Z`. Times before 1970 print as the epoch.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let time = time.max(SystemTime::UNIX_EPOCH);
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
    }
}
