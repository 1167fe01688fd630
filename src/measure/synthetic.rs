//! Reports built from chosen figures, for testing the readings of them:
//! every view of a report is tested on reports built here by hand.

use std::time::{Duration, SystemTime};

use super::accounting::{AccountingSource, RunAccounting, TimeAccounting};
use super::{BackendResult, Report, RunMeasurement};
use crate::backend::python::{Interpreter, Program};
use crate::backend::{BackendKind, Profile, Schedule, WorkerKind};
use crate::kernel::{Workload, WorkloadSpec};
use crate::measure::Contention;
use crate::measure::{Machine, Plan};

/// One row: its name, parallelism, the wall time of each run (ms), its
/// CPU (% of one core) and the cores other programs kept busy. Its
/// profile is the registry's, or the Python program's of that name (its
/// threads' schedule set by the report's interpreter), or else Rust
/// threads at once.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) parallelism: usize,
    pub(crate) walls_ms: Vec<f64>,
    pub(crate) cpu_percent: f64,
    pub(crate) others_cores: f64,
    /// The workers' shares of their lives — running, waiting for a core,
    /// blocked — each worker alive for the whole run; `None`: not
    /// accounted.
    pub(crate) accounting: Option<(f64, f64, f64)>,
    /// With numbers handed back: each run's one worker drew for
    /// `computing` ms, its numbers were on the way `moving` ms, `bytes`.
    pub(crate) transfer: Option<(f64, f64, u64)>,
}

impl Row {
    pub(crate) fn new(name: &'static str, parallelism: usize, wall_ms: f64, cpu: f64) -> Row {
        Row {
            name,
            parallelism,
            // Five runs a percent apart: a quiet machine.
            walls_ms: [1.0, 0.99, 1.01, 1.0, 1.005]
                .iter()
                .map(|f| f * wall_ms)
                .collect(),
            cpu_percent: cpu,
            others_cores: 0.0,
            accounting: None,
            transfer: None,
        }
    }

    /// Numbers handed back: drawn for `computing_ms`, on the way for
    /// `moving_ms`, `bytes` of them (summed over the workers).
    pub(crate) fn moved(mut self, computing_ms: f64, moving_ms: f64, bytes: u64) -> Row {
        self.transfer = Some((computing_ms, moving_ms, bytes));
        self
    }

    /// Accounted: each of the row's workers (one per unit of parallelism,
    /// at most 8) alive for the whole run, `running`, `waiting` and
    /// `blocked` of it.
    pub(crate) fn accounted(mut self, running: f64, waiting: f64, blocked: f64) -> Row {
        self.accounting = Some((running, waiting, blocked));
        self
    }

    pub(crate) fn others(mut self, cores: f64) -> Row {
        self.others_cores = cores;
        self
    }
}

/// A report of 8 workers on 2 cores with `rows`, the first the baseline.
pub(crate) fn report(rows: Vec<Row>, interpreter: Option<Interpreter>) -> Report {
    let workload = Workload::new(WorkloadSpec::default()).unwrap();
    let gil_enabled = interpreter.as_ref().is_none_or(|i| i.gil_enabled);
    let results = rows
        .into_iter()
        .map(|row| BackendResult {
            profile: profile(row.name, gil_enabled),
            parallelism: row.parallelism,
            runs: row
                .walls_ms
                .iter()
                .map(|&ms| {
                    let wall = Duration::from_secs_f64(ms / 1e3);
                    let threads = row.parallelism.clamp(1, 8);
                    let lives = wall.as_nanos() as f64 * threads as f64;
                    let accounting = row.accounting.map(|(r, w, b)| RunAccounting {
                        workers: TimeAccounting {
                            running_ns: (lives * r) as u64,
                            waiting_ns: (lives * w) as u64,
                            blocked_ns: (lives * b) as u64,
                            threads,
                        },
                        coordinators: TimeAccounting::default(),
                        source: AccountingSource::Schedstat,
                    });
                    // One worker spanning the run: the span the workers
                    // computed in.
                    let handed_back = row.transfer.map(|(computing, moving, bytes)| {
                        let finish = (computing * 1e6) as u64;
                        vec![crate::worker::WorkerReport {
                            worker: 0,
                            sum: 0,
                            start_ns: 0,
                            finish_ns: finish,
                            cpu_time: Duration::ZERO,
                            waiting_for_cpu: None,
                            cpu_at_start: None,
                            cpu_at_finish: None,
                            pid: 0,
                            tid: 0,
                            peak_rss_bytes: None,
                            held_ns: Vec::new(),
                            host: None,
                            ready_ns: None,
                            process: None,
                            transfer: Some(crate::worker::WorkerTransfer {
                                bytes,
                                delivered_ns: finish + (moving * 1e6) as u64,
                                copy_cpu_ns: Some((moving * 1e5) as u64),
                                sum_start_ns: 0,
                                sum_finish_ns: 0,
                            }),
                        }]
                    });
                    let workers = row
                        .accounting
                        .map(|_| {
                            vec![crate::worker::WorkerReport {
                                worker: 0,
                                sum: 0,
                                start_ns: 0,
                                finish_ns: wall.as_nanos() as u64,
                                cpu_time: Duration::ZERO,
                                waiting_for_cpu: None,
                                cpu_at_start: None,
                                cpu_at_finish: None,
                                pid: 1,
                                tid: 1,
                                peak_rss_bytes: None,
                                held_ns: Vec::new(),
                                host: None,
                                ready_ns: None,
                                process: None,
                                transfer: None,
                            }]
                        })
                        .or(handed_back)
                        .unwrap_or_default();
                    RunMeasurement {
                        started_ns: 0,
                        wall,
                        user: wall.mul_f64(row.cpu_percent / 100.0),
                        system: Duration::ZERO,
                        children_cpu: Duration::ZERO,
                        uncounted_cpu: Duration::ZERO,
                        self_peak_rss_bytes: 0,
                        children_peak_rss_bytes: 0,
                        workers,
                        accounting,
                        contention: Some(Contention {
                            others_cpu: wall.mul_f64(row.others_cores),
                            steal: Duration::ZERO,
                            pressure_stalled: None,
                            sampler_cpu: Duration::ZERO,
                            resolution: Duration::from_micros(100),
                            samples: Vec::new(),
                        }),
                    }
                })
                .collect(),
            mismatch: None,
            comparable: true,
            interpreter: (profile(row.name, gil_enabled).language
                != crate::backend::Language::Rust)
                .then(|| interpreter.clone())
                .flatten(),
        })
        .collect();
    Report {
        workload,
        plan: Plan::exactly(5, 1),
        machine: Machine {
            cpu_model: "test".to_owned(),
            logical_cores: 2,
            physical_cores: 2,
            os: "linux".to_owned(),
            kernel: "Linux".to_owned(),
            arch: "x86_64".to_owned(),
        },
        results,
        sums: vec![0; 8],
        started: SystemTime::UNIX_EPOCH,
        interpreter,
        memcpy: None,
    }
}

/// The profile of the row called `name` (see [`Row`]).
pub(crate) fn profile(name: &'static str, gil_enabled: bool) -> Profile {
    if let Some(kind) = BackendKind::named(name) {
        return kind.profile();
    }
    if let Some(program) = Program::ALL.into_iter().find(|p| p.name() == name) {
        return program.profile(gil_enabled);
    }
    Profile::rust(name, "", WorkerKind::Thread, Schedule::AtOnce)
}

/// An interpreter that reports `gil_enabled`, from a build that is
/// free-threaded or not.
pub(crate) fn interpreter(gil_enabled: bool, free_threaded_build: bool) -> Interpreter {
    Interpreter {
        command: "python3".to_owned(),
        version: if free_threaded_build {
            "3.13.1"
        } else {
            "3.11.7"
        }
        .to_owned(),
        implementation: "cpython".to_owned(),
        gil_enabled,
        free_threaded_build,
    }
}
