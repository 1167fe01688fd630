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
//! CPython is calibrated in three steps, each a run of the sequential
//! program with a deadline ([`CALIBRATION_TIMEOUT`], or the lesson's
//! `--timeout`) whose report is checked as the driver checks a run's (one
//! report per worker, the sums the Rust kernel draws): a short probe, a
//! sample of about [`PYTHON_SAMPLE`] (a 20 ms probe alone misjudged a lesson
//! by half), and then the first row itself at the count the sample chose —
//! `python-sequential` under the lesson's own conditions a moment later —
//! from which the count is chosen once more. On this shared machine a
//! sample alone, in wall or in CPU time, was off by up to half when the
//! other programs' load changed between it and the rows (CPU time per
//! number moves with them too, as they share the cores' caches); the first
//! row's run holds the prediction to the load of the minute the lesson
//! runs in. The interpreter's start-up, measured in the same run, is added
//! to the prediction, and the lesson states what the row then took.
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
use crate::measure::{Plan, Timeout};

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

/// About how long the second step of CPython's calibration computes.
pub const PYTHON_SAMPLE: Duration = Duration::from_millis(400);

/// How long a calibration run of CPython may take before the lesson gives
/// up on the interpreter: far beyond a sample's half second and any
/// start-up, short enough that a hung interpreter does not hang the lesson.
pub const CALIBRATION_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// What one number cost in CPython, in the wall time its workers
    /// computed for (start-up excluded), in the first row's own run.
    pub python_per_number: Option<Duration>,
    /// The interpreter's start-up and collection around its workers: a
    /// calibration run's wall less its workers' computing.
    pub python_startup: Duration,
    /// The numbers each worker draws.
    pub count: u64,
    /// Whether `count` was chosen from the measurements (else it was given).
    pub chosen: bool,
}

impl Calibration {
    /// `python-sequential`'s expected wall time (its workers' numbers and
    /// the interpreter's start-up), or Rust's `sequential`'s.
    pub fn expected_sequential(&self, workers: usize) -> Duration {
        let numbers = self.count.saturating_mul(workers as u64) as f64;
        match self.python_per_number {
            Some(python) => python.mul_f64(numbers) + self.python_startup,
            None => self.rust_per_number.mul_f64(numbers),
        }
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
/// sequential program on one worker twice (see the module's docs); the
/// program times its worker itself, and its start-up is measured apart.
///
/// # Errors
/// The Python program failed, reported other than one worker with the
/// right sum ([`Error::BadReports`], [`Error::Mismatch`]), passed
/// [`CALIBRATION_TIMEOUT`] ([`Error::Timeout`]), or was interrupted.
pub fn calibrate(
    workers: usize,
    seed: u64,
    interpreter: Option<&Interpreter>,
    timeout: Timeout,
) -> Result<Calibration, Error> {
    let limit = match timeout {
        Timeout::Auto => Some(CALIBRATION_TIMEOUT),
        Timeout::After(limit) => Some(limit),
        Timeout::Never => None,
    };
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
    let (python, python_startup) = match interpreter {
        None => (None, Duration::ZERO),
        Some(interpreter) => {
            const PROBE: u64 = 50_000;
            let backend = PythonBackend::lesson_rows(interpreter)
                .into_iter()
                .find(|b| b.program() == Program::Sequential)
                .expect("a sequential program");
            let (probe, _) = python_sample(&backend, seed, 1, PROBE, limit)?;
            let sample = (PYTHON_SAMPLE.as_secs_f64() / probe.as_secs_f64().max(1e-12)) as u64;
            let (sampled, startup) =
                python_sample(&backend, seed, 1, sample.clamp(PROBE, 100_000_000), limit)?;
            // The first row itself, at the count the sample chose: the
            // lesson's own conditions a moment later, its count adjusted
            // once when the sample misjudged them.
            let count = choose_count(workers, sampled, PYTHON_TARGET.saturating_sub(startup));
            let (checked, startup) = python_sample(&backend, seed, workers, count, limit)?;
            (Some(checked), startup)
        }
    };
    let count = match python {
        Some(python) => choose_count(
            workers,
            python,
            PYTHON_TARGET.saturating_sub(python_startup),
        ),
        None => choose_count(workers, rust.max(Duration::from_nanos(1)), RUST_TARGET),
    };
    Ok(Calibration {
        rust_per_number: rust,
        python_per_number: python,
        python_startup,
        count,
        chosen: true,
    })
}

/// One calibration run of `backend` (the sequential program), `workers`
/// workers drawing `count` numbers each, within `limit`, its report
/// checked as the driver checks a run's: what one number cost, and the run's
/// wall beyond its worker's computing (start-up, collection).
fn python_sample(
    backend: &PythonBackend,
    seed: u64,
    workers: usize,
    count: u64,
    limit: Option<Duration>,
) -> Result<(Duration, Duration), Error> {
    let workload = Workload::new(spec(workers, count, seed))?;
    let started = Instant::now();
    let reports = backend.run_until(&workload, limit.map(crate::backend::Deadline::after))?;
    let wall = started.elapsed();
    let reports = crate::measure::check_reports(backend.name(), workers, reports)?;
    for report in &reports {
        let expected = crate::kernel::worker_sum(&workload, report.worker);
        if report.sum != expected {
            return Err(Error::Mismatch {
                backend: backend.name(),
                worker: report.worker,
                run: 1,
                got: report.sum,
                expected,
            });
        }
    }
    let computing = reports
        .iter()
        .map(|r| Duration::from_nanos(r.finish_ns.saturating_sub(r.start_ns)))
        .sum::<Duration>();
    let numbers = workload.total_numbers().max(1) as f64;
    Ok((
        Duration::from_secs_f64(computing.as_secs_f64() / numbers).max(Duration::from_nanos(1)),
        wall.saturating_sub(computing),
    ))
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
