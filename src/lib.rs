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
//! The layers, from the bottom (`docs/ARCHITECTURE.md` maps them in full;
//! a test keeps every module to the layers below it):
//!
//! - [`kernel`] — what one worker computes: worker `i`'s numbers are a pure
//!   function of `(seed, i)` and the [`Generator`], defined exactly there and
//!   the same on every instruction-set path ([`Simd`], chosen at run time);
//!   [`kernel::worker_sum`] sums them. [`Workload`] holds the validated
//!   parameters (workers, count, range, seed, generator, path).
//! - [`worker`] — the body a worker runs and the [`WorkerReport`] it hands
//!   back: its sum, its start and finish on the system-wide monotonic clock,
//!   its CPU time and CPUs.
//! - [`backend`] — one small trait, [`Backend`], and the registry of the
//!   built-in backends, [`BackendKind::ALL`]: `sequential`, `gil` (threads
//!   taking turns on one lock, an emulation of CPython's GIL), `threads`,
//!   `channels`, `rayon` and `process`; with the cargo feature `mpi`, `mpi`
//!   (OpenMPI ranks, on this host or many, launched for each run); and
//!   CPython itself running the book's programs ([`backend::python`]). Each
//!   states what it is in a [`backend::Profile`]: its language, what a
//!   worker is, and whether its workers run one after another, take turns
//!   on a lock, or run at once.
//! - [`measure`] — the [`Driver`]: warm-up and measured runs of each
//!   backend, with wall and `getrusage` CPU time, verifying every run's sums
//!   against the sequential baseline; it returns a [`Report`], whose
//!   [`findings`](Report::findings) are every conclusion its figures support
//!   ([`measure::findings`]). Sweeps over worker counts with the Karp–Flatt
//!   metric are in [`measure::sweep`].
//! - [`render`] — what a person reads: the table ([`render::text`]),
//!   [`render::explain`]'s sentences, per-worker timelines and plots. They
//!   only put the findings into words.
//! - [`export`] — the report as JSON, CSV or Markdown, in hyperfine's
//!   conventions, written whole or not at all; [`compare`] sets two JSON
//!   exports side by side.
//!
//! Beneath them, the command's own machinery (system calls, the registry
//! of child processes, outputs written whole) is public for the `gilfree`
//! binary but left out of these pages.

//! # Example
//!
//! ```
//! use gilfree::backend::{BackendKind, BackendOptions};
//! use gilfree::{Driver, Plan, Workload, WorkloadSpec};
//!
//! # fn main() -> Result<(), gilfree::Error> {
//! let workload = Workload::new(WorkloadSpec {
//!     workers: 4,
//!     count: 100_000,
//!     seed: 2015,
//!     ..WorkloadSpec::default()
//! })?;
//! let rayon = BackendKind::named("rayon").unwrap();
//! let rayon = rayon.build(&BackendOptions { rayon_threads: 2, ..BackendOptions::default() })?;
//! let driver = Driver::new(workload, Plan::exactly(3, 1))?;
//! let report = driver.run(&[rayon.as_ref()])?;
//!
//! report.verify()?; // rayon's sums equal the sequential baseline's
//! let rayon = report.result("rayon").unwrap();
//! println!("rayon: {:.2}× faster, {:.0}% CPU", report.speedup(rayon).unwrap(), rayon.cpu_percent_median());
//! for finding in &report.findings() {
//!     println!("{finding:?}"); // e.g. RanInParallel { rows: ["rayon"], .. }
//! }
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
pub mod error;
pub mod export;
#[doc(hidden)]
pub mod fault;
pub mod kernel;
// The binary's own machinery, public for it (and its tests) but not part of
// the library's documented surface.
#[doc(hidden)]
pub mod lesson;
pub mod measure;
#[doc(hidden)]
pub mod os;
#[doc(hidden)]
pub mod output;
pub mod render;
#[doc(hidden)]
pub mod text;
pub mod worker;

pub use backend::{Backend, BackendKind, BackendOptions};
pub use error::{Error, WorkerFailure};
pub use kernel::{Generator, Simd};
pub use kernel::{Workload, WorkloadError, WorkloadSpec};
pub use measure::{Driver, Plan, Report};
pub use worker::{ProcessFacts, WorkerReport};
