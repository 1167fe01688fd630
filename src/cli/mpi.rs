//! `gilfree mpi-rank`, hidden: one rank of the mpi backend, as its launcher
//! starts it (`gilfree::backend::mpi::rank`).

use std::process::ExitCode;

use gilfree::{Error, Generator, Workload, WorkloadSpec};

use super::args::RankArgs;

/// Runs this process's rank and ends with its status.
pub(crate) fn rank(args: &RankArgs) -> anyhow::Result<ExitCode> {
    let generator = Generator::ALL
        .into_iter()
        .find(|g| g.name() == args.generator)
        .ok_or_else(|| Error::InvalidOption {
            option: "generator",
            value: args.generator.clone(),
            reason: "not a generator's name",
        })?;
    let workload = Workload::new(WorkloadSpec {
        workers: args.workers,
        count: args.count,
        low: args.low,
        high: args.high,
        seed: args.seed,
        materialize: args.materialize,
        generator,
        // Every path draws the same numbers; each host takes its widest.
        simd: None,
    })
    .map_err(Error::from)?;
    #[cfg(feature = "fault-injection")]
    let workload = super::run::with_injected_fault(workload).map_err(anyhow::Error::msg)?;
    let status = gilfree::backend::mpi::rank::main(&workload);
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}
