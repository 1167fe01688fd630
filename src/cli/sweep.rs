//! `gilfree sweep`: each backend over a list of worker counts.

use std::process::ExitCode;

use gilfree::measure::sweep::{self, Scaling, SweepPlan};
use gilfree::measure::{Driver, Plan, Progress};
use gilfree::{Backend, BackendKind, Error, Workload, WorkloadSpec};

use super::args::{ScalingArg, SweepArgs};
use super::{backend_options, build_backends, progress_bar, seed_of};

pub(crate) fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let options = backend_options(&args.common);
    let (seed, drawn) = seed_of(&args.common)?;
    let mut workers = if args.workers.is_empty() {
        SweepPlan::default_workers(num_cpus::get())
    } else {
        args.workers.clone()
    };
    workers.push(1);
    workers.sort_unstable();
    workers.dedup();
    let plan = SweepPlan {
        workers,
        scaling: match args.scaling {
            ScalingArg::Weak => Scaling::Weak,
            ScalingArg::Strong => Scaling::Strong,
        },
        spec: args.common.spec(1, args.count, seed),
        plan: Plan {
            runs: args.runs,
            warmup: args.common.warmup,
        },
    };
    // Every point's workload is checked before the first run.
    for &w in &plan.workers {
        Workload::new(WorkloadSpec {
            workers: w,
            count: plan.count_at(w),
            ..plan.spec.clone()
        })
        .map_err(Error::from)?;
    }
    Driver::new(
        Workload::new(plan.spec.clone()).map_err(Error::from)?,
        plan.plan,
    )?;
    let named = if args.backends.is_empty() {
        // The baseline runs its workers one by one: nothing to sweep.
        let parallel = BackendKind::ALL.iter().copied();
        vec![
            parallel
                .filter(|kind| kind.name() != "sequential")
                .collect(),
        ]
    } else {
        args.backends
    };
    let (_, built) = build_backends(named, &options)?;
    let backends: Vec<&dyn Backend> = built.iter().map(Box::as_ref).collect();
    let runs_per_point = (plan.plan.runs + plan.plan.warmup) * backends.len();
    let bar = progress_bar((runs_per_point * plan.workers.len()) as u64, "sweep");
    let result = sweep::run(&backends, &plan, |workers, event| {
        if let Progress::Run { backend, .. } = event {
            bar.set_message(format!("{backend}, {workers} workers"));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let result = result?;
    if drawn {
        println!("seed {seed} was drawn from the OS; repeat this sweep with --seed {seed}");
    }
    print!("{}", gilfree::render::sweep::text(&result));
    if let Some(path) = &args.plot {
        gilfree::render::sweep::plot(&result, path)?;
        println!("\nplot: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
