//! `gilfree lesson`: the book's experiment as a class sees it, in one
//! command. The emulated `gil`, threads and processes in Rust and, when an
//! interpreter is there, the book's three Python programs, all drawing
//! CPython's numbers, so that every row's sums must be — and are checked
//! to be — the same.
//!
//! The work per worker is chosen on the machine: a calibration run of each
//! language measures what a number costs, and the count is set so that
//! `python-sequential` takes about [`PYTHON_TARGET`] (long enough for the
//! Rust rows, forty-odd times faster, to show their scaling), or, without
//! Python, so that Rust's `sequential` takes about [`RUST_TARGET`].
//!
//! A second act (`--transfer`) turns to the other half of the trade:
//! every worker hands its numbers back ([`transfer_spec`]), and threads
//! sharing one buffer meet processes copying through pipes and processes
//! sharing memory ([`TRANSFER_ROWS`]).

use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::backend::python::{Interpreter, Program, PythonBackend};
use crate::error::Error;
use crate::kernel::Generator;
use crate::kernel::{Workload, WorkloadSpec};
use crate::measure::Plan;

/// How long `python-sequential` should take: a few seconds, so that the
/// whole lesson — four runs of three Python rows — takes about a minute.
pub const PYTHON_TARGET: Duration = Duration::from_secs(4);

/// How long Rust's `sequential` should take when there is no Python: long
/// enough that starting threads and processes is lost in it.
pub const RUST_TARGET: Duration = Duration::from_millis(500);

/// The lesson's plan: 3 measured runs after 1 warm-up, for every row.
pub const PLAN: Plan = Plan::exactly(3, 1);

/// How often the sampler looks during the lesson: the Rust rows last about
/// a tenth of a second, and the picture needs ten points of them.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(10);

/// The Rust backends of the lesson, after the sequential baseline.
pub const RUST_ROWS: [&str; 3] = ["gil", "threads", "process"];

/// The second act's rows after the sequential baseline: threads sharing
/// one buffer, processes copying through pipes, processes sharing memory.
pub const TRANSFER_ROWS: [&str; 3] = ["threads", "process", "process-shared"];

/// The second act's numbers per worker: 8 × 50M one-byte numbers, 400 MB
/// a run — enough that moving them shows beside drawing them, which takes
/// a few tenths of a second with the SIMD kernel here.
pub const TRANSFER_COUNT: u64 = 50_000_000;

/// The second act's workload: every worker hands back its numbers, drawn
/// by the fast default generator (moving them is the act's subject, and
/// CPython's generator would bury it under the drawing), in the book's
/// range, a byte each.
pub fn transfer_spec(workers: usize, count: u64, seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        workers,
        count,
        low: 1,
        high: 100,
        seed,
        returns: crate::kernel::Return::Numbers,
        ..WorkloadSpec::default()
    }
}

/// The second act's backends besides the baseline, built.
///
/// # Errors
/// None in practice: the rows are built-in.
pub fn transfer_backends() -> Result<Vec<Box<dyn Backend>>, Error> {
    let options = crate::backend::BackendOptions::default();
    TRANSFER_ROWS
        .iter()
        .map(|name| {
            crate::backend::BackendKind::named(name)
                .expect("a registered backend")
                .build(&options)
        })
        .collect()
}

/// What the calibration measured and what it chose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// What one number cost in Rust (`--rng python`), one core.
    pub rust_per_number: Duration,
    /// What one number cost in CPython, one core, start-up excluded.
    pub python_per_number: Option<Duration>,
    /// The numbers each worker draws.
    pub count: u64,
    /// Whether `count` was chosen from the measurements (else it was given).
    pub chosen: bool,
}

impl Calibration {
    /// `python-sequential`'s expected wall time, or Rust's `sequential`'s.
    pub fn expected_sequential(&self, workers: usize) -> Duration {
        let numbers = self.count.saturating_mul(workers as u64);
        self.python_per_number
            .unwrap_or(self.rust_per_number)
            .saturating_mul(u32::try_from(numbers).unwrap_or(u32::MAX))
    }
}

pub use crate::measure::sizing::choose_count;

/// The lesson's workload spec: CPython's numbers in the book's range.
pub fn spec(workers: usize, count: u64, seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        workers,
        count,
        low: 1,
        high: 100,
        seed,
        generator: Generator::Python,
        materialize: false,
        // CPython's generator has one path.
        simd: None,
        returns: crate::kernel::Return::Sums,
    }
}

/// Measures what a number costs in Rust and, with `interpreter`, in
/// CPython, and chooses the count. The Python calibration runs the
/// sequential program once on one worker; its start-up is left out (the
/// program times its workers itself).
///
/// # Errors
/// The Python program failed, or was interrupted.
pub fn calibrate(
    workers: usize,
    seed: u64,
    interpreter: Option<&Interpreter>,
) -> Result<Calibration, Error> {
    const RUST_SAMPLE: u64 = 200_000;
    let workload = Workload::new(spec(1, RUST_SAMPLE, seed))?;
    let rust = (0..3)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(crate::kernel::worker_sum(&workload, 0));
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
        / RUST_SAMPLE as u32;
    let python = match interpreter {
        None => None,
        Some(interpreter) => {
            const PYTHON_SAMPLE: u64 = 50_000;
            let workload = Workload::new(spec(1, PYTHON_SAMPLE, seed))?;
            let backend = PythonBackend::all(interpreter)
                .into_iter()
                .find(|b| b.program() == Program::Sequential)
                .expect("a sequential program");
            let reports = backend.run(&workload)?;
            let computing: u64 = reports
                .iter()
                .map(|r| r.finish_ns.saturating_sub(r.start_ns))
                .sum();
            Some(Duration::from_nanos(computing / PYTHON_SAMPLE).max(Duration::from_nanos(1)))
        }
    };
    let count = match python {
        Some(python) => choose_count(workers, python, PYTHON_TARGET),
        None => choose_count(workers, rust.max(Duration::from_nanos(1)), RUST_TARGET),
    };
    Ok(Calibration {
        rust_per_number: rust,
        python_per_number: python,
        count,
        chosen: true,
    })
}

/// The Rust backends the lesson runs besides the baseline, built.
///
/// # Errors
/// None in practice: the rows are built-in.
pub fn rust_backends() -> Result<Vec<Box<dyn Backend>>, Error> {
    let options = crate::backend::BackendOptions::default();
    RUST_ROWS
        .iter()
        .map(|name| {
            crate::backend::BackendKind::named(name)
                .expect("a registered backend")
                .build(&options)
        })
        .collect()
}
