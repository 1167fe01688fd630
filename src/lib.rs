//! Make parallel scaling visible: the same CPU-bound workload on several
//! parallel backends, timed, and checked to give the very same answer.
//!
//! The workload is the classic of Julien Danjou's *The Hacker's Guide to
//! Python* (chapter 11): 8 workers each sum 1,000,000 random integers in
//! `1..=100`. In CPython the GIL lets only one thread compute at a time; Rust
//! has no such lock, and gilfree shows what that means in wall time, CPU
//! utilization, speedup and efficiency.
//!
//! # Tour
//!
//! - [`Workload`] — the validated parameters (workers, count, range, seed,
//!   generator). Worker `i`'s numbers are a pure function of `(seed, i)`,
//!   defined exactly in [`kernel`].
//! - [`kernel::worker_sum`] — the per-worker computation every backend runs.
//! - [`Backend`] — one small trait; [`BackendKind`] names the built-in
//!   backends: `sequential`, `gil` (threads taking turns on one lock, an
//!   emulation of CPython's GIL), `threads`, `channels`, `rayon` and `process`.
//! - [`WorkerReport`] — what a worker hands back: its sum, its start and
//!   finish on the system-wide monotonic clock, its CPU time and CPUs.
//! - [`Driver`] — warm-up and measured runs of each backend, with wall and
//!   `getrusage` CPU time, verifying every run's sums against the sequential
//!   baseline; it returns a [`Report`], which [`render::text`] prints.
//! - [`export`] — the report as JSON, CSV or Markdown, in hyperfine's
//!   conventions; [`compare`] sets two JSON exports side by side.
//! - [`timeline`] draws each worker over time (text or SVG), [`sweep`] runs
//!   backends over worker counts with the Karp–Flatt metric, and
//!   [`render::explain`] puts a run's figures into sentences.
//! - [`signals`] stops cleanly on SIGINT and SIGTERM; the process backend's
//!   children are killed and reaped.
//!
//! # Example
//!
//! ```
//! use gilfree::backend::{BackendKind, BackendOptions};
//! use gilfree::{Backend, Driver, Plan, Workload, WorkloadSpec};
//!
//! # fn main() -> Result<(), gilfree::Error> {
//! let workload = Workload::new(WorkloadSpec {
//!     workers: 4,
//!     count: 100_000,
//!     seed: 2015,
//!     ..WorkloadSpec::default()
//! })?;
//! let rayon = BackendKind::Rayon.build(&BackendOptions { rayon_threads: 2, ..BackendOptions::default() })?;
//! let driver = Driver::new(workload, Plan { runs: 3, warmup: 1 })?;
//! let report = driver.run(&[rayon.as_ref()])?;
//!
//! report.verify()?; // rayon's sums equal the sequential baseline's
//! let rayon = report.result("rayon").unwrap();
//! println!("rayon: {:.2}× faster, {:.0}% CPU", report.speedup(rayon).unwrap(), rayon.cpu_percent_median());
//! print!("{}", gilfree::render::text(&report));
//! # Ok(())
//! # }
//! ```
//!
//! gilfree runs on Unix; it is developed and tested on Linux, where every
//! [`WorkerReport`] field is filled in.

#[cfg(not(unix))]
compile_error!("gilfree needs a Unix system: its process backend forks");

pub mod backend;
pub mod compare;
pub mod driver;
pub mod error;
pub mod export;
#[doc(hidden)]
pub mod fault;
pub mod kernel;
pub mod render;
pub mod report;
pub mod signals;
pub mod stats;
pub mod sweep;
mod sys;
pub mod timeline;
pub mod workload;

pub use backend::{Backend, BackendKind, BackendOptions};
pub use driver::{Driver, Plan, Report};
pub use error::{Error, WorkerFailure, WorkloadError};
pub use report::WorkerReport;
pub use workload::{Generator, Workload, WorkloadSpec};
