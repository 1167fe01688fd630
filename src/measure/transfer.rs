//! What moving the numbers back cost (`--return numbers`): per run and per
//! row, the bytes, the copies on the way, the time they were on the way and
//! the CPU the copies took; and the reference every copy is read against,
//! this machine's `memcpy` bandwidth, measured in the same run.

use std::time::Duration;

use super::stats;
use super::{BackendResult, Report, RunMeasurement};
use crate::backend::ReturnPath;
use crate::os::signal_safe::{self as sys, MappedBytes};

/// What moving the numbers cost one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTransfer {
    /// The bytes of numbers the parent received, all workers together.
    pub bytes: u64,
    /// The time the numbers were on the way, summed over the workers: from
    /// each worker's finish until the parent had its numbers (zero for
    /// numbers written where the parent reads them).
    pub moving: Duration,
    /// The CPU time the copies took, writers' and readers' together; `None`
    /// where some worker's was not measured.
    pub copy_cpu: Option<Duration>,
    /// The time the workers spent drawing, summed over them.
    pub computing: Duration,
    /// The time the parent spent summing what it received.
    pub summing: Duration,
    /// For workers placed on hosts (MPI ranks): the bytes that came from
    /// ranks on another host than worker 0's — the receiver's — and so
    /// crossed the network; `None` for the others.
    pub network_bytes: Option<u64>,
}

impl RunMeasurement {
    /// What moving the numbers cost this run; `None` when its workers
    /// handed back sums.
    pub fn transfer(&self) -> Option<RunTransfer> {
        let mut total = RunTransfer {
            bytes: 0,
            moving: Duration::ZERO,
            copy_cpu: Some(Duration::ZERO),
            computing: Duration::ZERO,
            summing: Duration::ZERO,
            network_bytes: None,
        };
        let receiver = self.workers.first().and_then(|w| w.host.as_deref());
        for worker in &self.workers {
            let transfer = worker.transfer?;
            total.bytes += transfer.bytes;
            total.moving += worker.moving().unwrap_or_default();
            total.copy_cpu = total
                .copy_cpu
                .zip(transfer.copy_cpu_ns)
                .map(|(sum, ns)| sum + Duration::from_nanos(ns));
            total.computing += worker.wall();
            total.summing +=
                Duration::from_nanos(transfer.sum_finish_ns.saturating_sub(transfer.sum_start_ns));
            if let (Some(receiver), Some(host)) = (receiver, worker.host.as_deref()) {
                let crossed = if host == receiver { 0 } else { transfer.bytes };
                total.network_bytes = Some(total.network_bytes.unwrap_or(0) + crossed);
            }
        }
        (!self.workers.is_empty()).then_some(total)
    }
}

/// What moving the numbers cost a row, over its runs: medians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransferSummary {
    /// How the numbers came back: the row's [`ReturnPath`], which says how
    /// many times each byte was copied.
    pub path: ReturnPath,
    /// The bytes of numbers the parent received in a run.
    pub bytes: u64,
    /// The median run's time on the way, summed over the workers
    /// ([`RunTransfer::moving`]).
    pub moving: Duration,
    /// The median CPU time of the copies, where measured.
    pub copy_cpu: Option<Duration>,
    /// The median of the workers' drawing time, summed over them.
    pub computing: Duration,
    /// The median time the parent spent summing.
    pub summing: Duration,
    /// For workers placed on hosts: the bytes that crossed the network in
    /// the run that crossed the most ([`RunTransfer::network_bytes`]).
    pub network_bytes: Option<u64>,
}

impl TransferSummary {
    /// How many times each byte was copied on the way.
    pub fn copies(&self) -> u32 {
        self.path.copies()
    }

    /// The bytes moved per second of the copies' CPU time: what a byte's
    /// trip cost in CPU, as a rate comparable with `memcpy`'s. `None` where
    /// nothing was copied or the copies were not timed.
    pub fn copy_rate(&self) -> Option<f64> {
        let cpu = self.copy_cpu?.as_secs_f64();
        (self.copies() > 0 && cpu > 0.0).then(|| self.bytes as f64 / cpu)
    }
}

impl BackendResult {
    /// What moving the numbers cost this row; `None` when its workers
    /// handed back sums.
    pub fn transfer(&self) -> Option<TransferSummary> {
        let runs: Vec<RunTransfer> = self
            .runs
            .iter()
            .map(RunMeasurement::transfer)
            .collect::<Option<_>>()?;
        let first = runs.first()?;
        let median = |of: fn(&RunTransfer) -> Option<Duration>| {
            let values: Option<Vec<f64>> = runs
                .iter()
                .map(|r| of(r).map(|d| d.as_secs_f64()))
                .collect();
            stats::median(&values?).map(Duration::from_secs_f64)
        };
        Some(TransferSummary {
            path: self.profile.returns,
            bytes: first.bytes,
            moving: median(|r| Some(r.moving)).unwrap_or_default(),
            copy_cpu: median(|r| r.copy_cpu),
            computing: median(|r| Some(r.computing)).unwrap_or_default(),
            summing: median(|r| Some(r.summing)).unwrap_or_default(),
            network_bytes: runs.iter().filter_map(|r| r.network_bytes).max(),
        })
    }
}

/// A row's copies read against `memcpy` ([`Report::copies_against_memcpy`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgainstMemcpy {
    /// The row's bytes moved per second of the copies' CPU time
    /// ([`TransferSummary::copy_rate`]).
    pub rate: f64,
    /// `memcpy`'s bytes per second, measured in the same run.
    pub memcpy: f64,
    /// How many times slower than `memcpy` a byte made its trip: `memcpy ÷
    /// rate`.
    pub times_below: f64,
}

impl Report {
    /// `result`'s copies against this run's `memcpy`: what a byte's trip
    /// cost in CPU, as a rate, and how far below `memcpy` it is. `None`
    /// where nothing was copied, the copies were not timed, or `memcpy` was
    /// not measured.
    pub fn copies_against_memcpy(&self, result: &BackendResult) -> Option<AgainstMemcpy> {
        let rate = result.transfer()?.copy_rate()?;
        let memcpy = self.memcpy?.bytes_per_second;
        Some(AgainstMemcpy {
            rate,
            memcpy,
            times_below: memcpy / rate,
        })
    }
}

/// A bandwidth measured on this machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bandwidth {
    /// Bytes per second of CPU time: the fastest copy's.
    pub bytes_per_second: f64,
    /// The bytes each measurement copied.
    pub bytes: u64,
    /// How many copies were timed (the rate is their median's).
    pub samples: usize,
}

/// The most `memcpy_bandwidth` copies at once: beyond the caches of the
/// machines gilfree runs on (a 32 MiB L3 at most here), small enough to map
/// twice beside the numbers being handed back.
pub const MEMCPY_MAX_BYTES: usize = 64 << 20;

/// This machine's `memcpy` bandwidth, one thread: `bytes` (at most
/// [`MEMCPY_MAX_BYTES`], at least 16 MiB so that no cache holds them)
/// copied between two mappings whose pages are already in place, `samples`
/// times, each timed in the thread's CPU time; the fastest copy's rate. The
/// reference limit of every copy gilfree times: a copy through the kernel
/// cannot beat it. `None` when the memory cannot be mapped.
pub fn memcpy_bandwidth(bytes: usize, samples: usize) -> Option<Bandwidth> {
    let bytes = bytes.clamp(16 << 20, MEMCPY_MAX_BYTES);
    let mut from = MappedBytes::private(bytes)?;
    let mut to = MappedBytes::private(bytes)?;
    // Every page in place, and not all zero (the kernel's zero page would
    // make reads free).
    for (i, byte) in from.as_mut_slice().iter_mut().enumerate() {
        *byte = i as u8;
    }
    to.as_mut_slice().fill(1);
    // In this thread's CPU time, as the copies it is set against are
    // timed: what another program does to the machine meanwhile is then
    // no part of it, and the fastest copy is the limit.
    let times: Vec<f64> = (0..samples.max(1))
        .map(|_| {
            let started = sys::thread_cpu_ns();
            to.as_mut_slice()
                .copy_from_slice(std::hint::black_box(from.as_slice()));
            std::hint::black_box(to.as_slice());
            sys::thread_cpu_ns().saturating_sub(started) as f64 / 1e9
        })
        .collect();
    let fastest = stats::min(&times)?;
    (fastest > 0.0).then(|| Bandwidth {
        bytes_per_second: bytes as f64 / fastest,
        bytes: bytes as u64,
        samples: times.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::{WorkerReport, WorkerTransfer};

    fn worker(start: u64, finish: u64, transfer: Option<WorkerTransfer>) -> WorkerReport {
        WorkerReport {
            worker: 0,
            sum: 0,
            start_ns: start,
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
            transfer,
        }
    }

    #[test]
    fn a_runs_transfer_adds_up_its_workers() {
        let piped = |delivered, cpu| {
            Some(WorkerTransfer {
                bytes: 100,
                delivered_ns: delivered,
                copy_cpu_ns: cpu,
                sum_start_ns: 1000,
                sum_finish_ns: 1010,
            })
        };
        let run = |workers| RunMeasurement {
            started_ns: 0,
            wall: Duration::from_micros(2),
            user: Duration::ZERO,
            system: Duration::ZERO,
            children_cpu: Duration::ZERO,
            uncounted_cpu: Duration::ZERO,
            self_peak_rss_bytes: 0,
            children_peak_rss_bytes: 0,
            workers,
            accounting: None,
            contention: None,
        };
        let both = run(vec![
            worker(0, 100, piped(150, Some(30))),
            worker(10, 200, piped(260, Some(40))),
        ]);
        let t = both.transfer().unwrap();
        assert_eq!(t.bytes, 200);
        assert_eq!(t.moving, Duration::from_nanos(50 + 60));
        assert_eq!(t.copy_cpu, Some(Duration::from_nanos(70)));
        assert_eq!(t.computing, Duration::from_nanos(100 + 190));
        assert_eq!(t.summing, Duration::from_nanos(20));
        // One worker's copies not timed: none are.
        let untimed = run(vec![worker(0, 100, piped(150, None))]);
        assert_eq!(untimed.transfer().unwrap().copy_cpu, None);
        // Sums handed back: no transfer.
        assert_eq!(run(vec![worker(0, 100, None)]).transfer(), None);
    }
}
