//! How to add a backend: implement [`gilfree::Backend`] and hand it to the
//! [`Driver`] next to the built-in ones. The driver times it, counts its CPU,
//! and checks its per-worker sums against the sequential baseline's, exactly
//! as for `threads`, `rayon` or `process`.
//!
//! What it teaches: the trait's contract — `run` returns one
//! [`WorkerReport`] per worker, in any order, or an error naming the worker
//! that failed — and one more way to share a result between threads: scoped
//! threads (`std::thread::scope`, which may borrow the workload) adding their
//! sums into one `AtomicI64`, with no lock at all.
//!
//! Inside gilfree, a backend is one file in `src/backend/` that declares its
//! registry row — `pub(crate) const KIND: BackendKind = BackendKind::new(name,
//! description, constructor)` — plus that row added to [`BackendKind::ALL`];
//! parsing `--backend`, its help, `--list-backends` and the tests of every backend come
//! from that table (see `docs/ARCHITECTURE.md`). A program outside gilfree
//! makes the same row for its own list, as below.
//!
//! ```text
//! cargo run --release --example custom_backend               # 8 × 1,000,000
//! cargo run --release --example custom_backend -- 10000000   # COUNT
//! ```

use std::error::Error;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;

use gilfree::backend::{BackendKind, BackendOptions, Profile, Schedule, WorkerKind};
use gilfree::worker::run_worker;
use gilfree::{Backend, Driver, Plan, WorkerFailure, WorkerReport, Workload, WorkloadSpec};

/// What this backend is: its name and description, and the facts its
/// figures are read by — Rust threads, all computing at once.
const PROFILE: Profile = Profile::rust(
    "scoped-atomic",
    "std::thread::scope, one thread per worker, sums added into one AtomicI64",
    WorkerKind::Thread,
    Schedule::AtOnce,
);

/// This backend's registry row: its profile and its constructor.
const SCOPED_ATOMIC: BackendKind =
    BackendKind::new(PROFILE, |_| Ok(Box::new(ScopedAtomicBackend::default())));

/// One scoped thread per worker; every worker also adds its sum into a single
/// atomic accumulator, the grand total.
#[derive(Debug, Default)]
struct ScopedAtomicBackend {
    /// The grand total of the last run, as the atomic accumulated it.
    last_total: AtomicI64,
}

impl Backend for ScopedAtomicBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, gilfree::Error> {
        let total = AtomicI64::new(0);
        let reports = thread::scope(|scope| {
            // Spawn every worker before joining any, so that they run at once.
            let handles: Vec<_> = (0..workload.workers())
                .map(|worker| {
                    let total = &total;
                    scope.spawn(move || {
                        let report = run_worker(workload, worker)?;
                        // Relaxed is enough: the scope's join orders every add
                        // before the load below.
                        total.fetch_add(report.sum, Ordering::Relaxed);
                        Ok::<_, WorkerFailure>(report)
                    })
                })
                .collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(worker, handle)| {
                    let failure = match handle.join() {
                        Ok(Ok(report)) => return Ok(report),
                        Ok(Err(failure)) => failure,
                        Err(_) => WorkerFailure::Panicked("the worker thread panicked".into()),
                    };
                    Err(gilfree::Error::Worker {
                        backend: self.name(),
                        worker,
                        failure,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        self.last_total
            .store(total.load(Ordering::Relaxed), Ordering::Relaxed);
        Ok(reports)
    }
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let count = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| "usage: custom_backend [COUNT] (a whole number)")?,
        None => 1_000_000,
    };
    let workload = Workload::new(WorkloadSpec {
        count,
        seed: 2015,
        ..WorkloadSpec::default()
    })?;

    // The built-in rows and ours, as `gilfree --list-backends` prints them.
    for kind in BackendKind::ALL.iter().chain([&SCOPED_ATOMIC]) {
        println!("{:<14}{}", kind.name(), kind.description());
    }
    println!();

    // Built directly (not through SCOPED_ATOMIC.build) to read its total later.
    let custom = ScopedAtomicBackend::default();
    let rayon = BackendKind::named("rayon")
        .ok_or("no rayon backend")?
        .build(&BackendOptions::default())?;
    let driver = Driver::new(workload, Plan::default())?;
    let report = driver.run(&[&custom, rayon.as_ref()])?;

    print!("{}", gilfree::render::text(&report));
    // The driver has checked every per-worker sum; check the atomic total too.
    report.verify()?;
    let atomic_total = custom.last_total.load(Ordering::Relaxed);
    if atomic_total != report.total() {
        return Err(format!(
            "the atomic total {atomic_total} differs from the sum of the sums {}",
            report.total()
        )
        .into());
    }
    println!("\nscoped-atomic: the AtomicI64 holds {atomic_total}, the sum of every worker's sum.");
    Ok(())
}
