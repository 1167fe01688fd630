//! Times backends on a workload and checks that they all agree.
//!
//! For each backend the [`Driver`] makes `warmup` unmeasured runs, then `runs`
//! measured ones (Victor Stinner's advice in the book: several runs, keep the
//! median and the minimum), interleaved in rounds across the backends. A
//! measured run records its wall time and the CPU time that `getrusage` says
//! the process and its reaped children used during it, so the process
//! backend's CPU is counted once its children are waited for. Every run's
//! per-worker sums are compared with the sequential baseline's: gilfree's
//! central correctness property.
//!
//! Each measured run also accounts for the workers' time — running,
//! waiting for a core, blocked ([`accounting`]) — from what the workers
//! read of their own threads, the driver's own thread apart.
//!
//! The files: `driver.rs` runs backends according to a [`Plan`]
//! (`plan.rs`); `result.rs` holds what a run yields ([`Report`],
//! [`BackendResult`], [`RunMeasurement`]) and the figures derived from it
//! (speedup, efficiency, their spread); [`findings`] what those figures
//! show; [`stats`] the pure statistics beneath; `sampler.rs` the thread
//! that watches the rest of the machine during a run; `machine.rs` what the
//! machine is; `transfer.rs` what moving the numbers back cost and the
//! `memcpy` bandwidth it is read against; [`sweep`] runs backends over
//! several worker counts, and [`count_sweep`] over several counts per
//! worker.

pub mod accounting;
pub mod count_sweep;
mod driver;
pub mod findings;
mod machine;
mod plan;
mod result;
mod sampler;
pub mod sizing;
pub mod stats;
pub mod sweep;
#[cfg(test)]
pub(crate) mod synthetic;
mod transfer;

pub use self::accounting::{AccountingSource, RunAccounting, Shares, TimeAccounting};
pub(crate) use self::driver::check_reports;
pub use self::driver::{AUTO_FACTOR, AUTO_MINIMUM, Driver, Progress, Timeout};
pub use self::machine::Machine;
pub use self::plan::{MAX_RUNS, Plan};
pub use self::result::{
    BackendResult, CONTENTION_WARNING, Contended, ContentionSummary, CoresAcross, HostFacts,
    Mismatch, Others, Report, RunMeasurement, UNCERTAIN_OTHERS, cores_across,
};
pub use self::sampler::{Contention, SAMPLE_INTERVAL, Sample};
pub use self::transfer::{
    AgainstMemcpy, Bandwidth, MEMCPY_MAX_BYTES, RunTransfer, TransferSummary, memcpy_bandwidth,
};
