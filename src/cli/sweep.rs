//! `gilfree sweep`: each backend over a list of worker counts.

use std::process::ExitCode;

use gilfree::measure::sweep::{self, Scaling, SweepPlan};
use gilfree::measure::{Driver, Plan, Progress};
use gilfree::output::Output;
use gilfree::{Backend, BackendKind, Error, Workload};

use super::args::{ScalingArg, SweepArgs};
use super::{backend_options, build_backends, eprint, print, progress_bar, seed_of, simd_of_env};

pub(crate) fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let options = backend_options(&args.common);
    let (seed, drawn) = seed_of(&args.common)?;
    let simd = simd_of_env()?;
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
        spec: args.common.spec(1, args.count, seed, simd),
        plan: Plan {
            runs: args.runs,
            warmup: args.common.warmup,
        },
        timeout: args.common.timeout,
    };
    // Every point's workload is checked before the first run.
    plan.check()?;
    Driver::new(
        Workload::new(plan.spec.clone()).map_err(Error::from)?,
        plan.plan,
    )?;
    // Checked before the sweep, so that a bad path fails at once.
    let plot = match &args.plot {
        Some(path) => Some(Output::check("--plot", path)?),
        None => None,
    };
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
    let runs = (plan.plan.runs + plan.plan.warmup) as u64;
    let points = (backends.len() * plan.workers.len()) as u64;
    let bar = progress_bar(runs.saturating_mul(points), "sweep");
    let result = sweep::run(&backends, &plan, |workers, event| {
        if let Progress::Run { backend, .. } = event {
            let plural = if workers == 1 { "" } else { "s" };
            bar.set_message(format!("{backend}, {workers} worker{plural}"));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let result = result?;
    let mut text = String::new();
    if drawn {
        text = format!("seed {seed} was drawn from the OS; repeat this sweep with --seed {seed}\n");
    }
    text.push_str(&gilfree::render::sweep::text(&result));
    // With the plot on standard output, the table goes to standard error so
    // that the two never mix. The picture is written even when standard
    // output's reader has gone.
    let shown = if plot.as_ref().is_some_and(Output::is_stdout) {
        eprint(&text);
        Ok(())
    } else {
        print(&text)
    };
    if let Some(plot) = plot {
        let path = plot.path().to_owned();
        let picture = gilfree::render::sweep::plot(&result)?;
        let to_stdout = plot.is_stdout();
        plot.commit(picture.as_bytes())?;
        shown?;
        if !to_stdout {
            print(&format!("\nplot: {}\n", path.display()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    shown?;
    Ok(ExitCode::SUCCESS)
}
