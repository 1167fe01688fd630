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
//! The files: [`driver`] runs backends according to a [`plan`];
//! [`result`] holds what a run yields
//! ([`Report`], [`BackendResult`], [`RunMeasurement`]) and the figures
//! derived from it (speedup, efficiency, their spread), [`stats`] the pure
//! statistics beneath, [`machine`] what the machine is, and [`sweep`] runs
//! backends over several worker counts.

pub mod driver;
pub mod findings;
pub mod machine;
pub mod plan;
pub mod result;
pub mod sampler;
pub mod stats;
pub mod sweep;
#[cfg(test)]
pub(crate) mod synthetic;

pub use self::driver::{AUTO_FACTOR, AUTO_MINIMUM, Driver, Progress, Timeout};
pub use self::machine::Machine;
pub use self::plan::{MAX_RUNS, Plan};
pub use self::result::{
    BackendResult, CONTENTION_WARNING, Contended, ContentionSummary, Mismatch, Report,
    RunMeasurement,
};
pub use self::sampler::{Contention, Sample};
