//! `gilfree mpi-rank`, hidden: one rank of the mpi backend, as its launcher
//! starts it (`gilfree::backend::mpi::rank`).

use std::process::ExitCode;

use gilfree::{Error, Generator, Simd, Workload, WorkloadSpec};

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
        returns: match &args.returns {
            None => gilfree::kernel::Return::Sums,
            Some(name) => {
                gilfree::kernel::Return::named(name).ok_or_else(|| Error::InvalidOption {
                    option: "return",
                    value: name.clone(),
                    reason: "neither sums nor numbers",
                })?
            }
        },
        // The path GILFREE_SIMD forced on the driver, or each host's widest:
        // every path draws the same numbers.
        simd: match &args.simd {
            Some(name) => Some(Simd::from_name(name).ok_or_else(|| Error::InvalidOption {
                option: "simd",
                value: name.clone(),
                reason: "not a SIMD path's name",
            })?),
            None => None,
        },
    })
    .map_err(Error::from)?;
    #[cfg(feature = "fault-injection")]
    let workload = super::run::with_injected_fault(workload).map_err(anyhow::Error::msg)?;
    let context = gilfree::backend::mpi::rank::RankContext {
        driver: args
            .driver
            .as_deref()
            .and_then(gilfree::backend::mpi::rank::DriverIdentity::from_arg),
        driver_boot_id: args.driver_boot_id.clone(),
        dir: args.dir.clone(),
    };
    let status = gilfree::backend::mpi::rank::main(&workload, &context);
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}
