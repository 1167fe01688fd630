//! `gilfree sweep`: each backend over a list of worker counts.

use std::process::ExitCode;

use gilfree::backend::python::{Program, PythonBackend};
use gilfree::measure::count_sweep::{self, CountPlan};
use gilfree::measure::sweep::{self, Scaling, SweepPlan};
use gilfree::measure::{Driver, Progress};
use gilfree::output::Output;
use gilfree::{Backend, BackendKind, Error, Workload};

use super::args::{SWEEP_RUN_DEFAULTS, ScalingArg, SweepArgs};

/// How long a self-sized sweep's one-worker point takes: long enough that
/// starting threads and processes is lost in it, short enough that the
/// default 3–10 runs of every point finish in a minute or so.
const SWEEP_TARGET: std::time::Duration = std::time::Duration::from_millis(300);
use super::{
    backend_options, build_backends, eprint, interpreter_for, print, progress_bar, seed_of,
    simd_of_env,
};

pub(crate) fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    if !args.counts.is_empty() {
        return count_sweep(args);
    }
    let options = backend_options(&args.common)?;
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
    // Without --count, sized for this machine as a run is: the one-worker
    // point takes about SWEEP_TARGET, long enough for the scaling to show
    // (a fixed count is milliseconds for the SIMD kernel on one machine and
    // seconds on another). A Python worker draws about a million numbers a
    // second: 1M for the Python curves.
    let sized = match (args.count, args.python.is_some()) {
        (None, false) => {
            let spec = args.common.spec(1, 1, seed, simd);
            let per_number_ns = gilfree::measure::sizing::per_number_ns(&spec)?;
            // Weak: each worker's count; strong: the count in all — one
            // worker draws it all either way.
            Some((
                gilfree::measure::sizing::count_for(1, per_number_ns, SWEEP_TARGET)
                    .max(gilfree::measure::sizing::BOOK_COUNT),
                per_number_ns,
            ))
        }
        _ => None,
    };
    let count = args
        .count
        .or(sized.map(|(count, _)| count))
        .unwrap_or(1_000_000);
    let plan = SweepPlan {
        workers,
        scaling: match args.scaling {
            ScalingArg::Weak => Scaling::Weak,
            ScalingArg::Strong => Scaling::Strong,
        },
        spec: args.common.spec(1, count, seed, simd),
        plan: args.runs.plan(args.common.warmup, SWEEP_RUN_DEFAULTS)?,
        timeout: args.common.timeout,
        sampling: !args.common.no_sampler,
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
    let html = match &args.export_html {
        Some(path) => Some(Output::check("--export-html", path)?),
        None => None,
    };
    gilfree::output::check_distinct(&[&plot, &html].into_iter().flatten().collect::<Vec<_>>())?;
    let interpreter = interpreter_for(args.python.as_ref())?;
    let named = if args.backends.is_empty() {
        // The baseline runs its workers one by one: nothing to sweep.
        let parallel = BackendKind::in_process();
        vec![
            parallel
                .filter(|kind| kind.name() != "sequential")
                .collect(),
        ]
    } else {
        args.backends
    };
    let (_, built) = build_backends(named, &options)?;
    // CPython's threads and processes; its sequential program would only
    // repeat its one-worker points.
    let python: Vec<PythonBackend> = interpreter
        .as_ref()
        .map(PythonBackend::all)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b.program() != Program::Sequential)
        .collect();
    let backends: Vec<&dyn Backend> = built
        .iter()
        .map(Box::as_ref)
        .chain(python.iter().map(|b| b as &dyn Backend))
        .collect();
    // The most there may be: a plan that is not exact may stop sooner.
    let runs = (plan.plan.max_runs + plan.plan.warmup) as u64;
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
    if let Some((count, per_number_ns)) = sized {
        text.push_str(&format!(
            "count:    {} numbers {}, sized for this machine: one worker takes about {} (a \
             number costs {:.2} ns); --count sets it\n",
            gilfree::render::group_digits(i128::from(count)),
            match plan.scaling {
                Scaling::Weak => "per worker",
                Scaling::Strong => "in all",
            },
            gilfree::render::duration(std::time::Duration::from_secs_f64(
                count as f64 * per_number_ns * 1e-9
            )),
            per_number_ns,
        ));
    }
    if drawn {
        text.push_str(&format!(
            "seed {seed} was drawn from the OS; repeat this sweep with --seed {seed}\n"
        ));
    }
    text.push_str(&gilfree::render::sweep::text(&result));
    // With the plot on standard output, the table goes to standard error so
    // that the two never mix. The picture is written even when standard
    // output's reader has gone.
    let shown = if [&plot, &html]
        .iter()
        .any(|o| o.as_ref().is_some_and(Output::is_stdout))
    {
        eprint(&text);
        Ok(())
    } else {
        print(&text)
    };
    let plot_path = plot
        .as_ref()
        .filter(|p| !p.is_stdout())
        .map(|p| p.path().to_owned());
    let mut files = Vec::new();
    if let Some(plot) = plot {
        files.push((plot, gilfree::render::sweep::plot(&result)?.into_bytes()));
    }
    if let Some(page) = html {
        let page_text =
            gilfree::render::html::sweep_page(&result, "gilfree sweep: speedup against workers")?;
        files.push((page, page_text.into_bytes()));
    }
    gilfree::output::commit_all(files)?;
    shown?;
    if let Some(path) = plot_path {
        print(&format!(
            "\nplot: {}\n",
            gilfree::text::escape_controls(&path.display().to_string())
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `gilfree sweep --counts …`: every backend at several counts per worker.
fn count_sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let options = backend_options(&args.common)?;
    let (seed, drawn) = seed_of(&args.common)?;
    let simd = simd_of_env()?;
    let workers = match args.workers.as_slice() {
        [] => 8,
        [one] => *one,
        _ => {
            return Err(Error::InvalidOption {
                option: "workers",
                value: args
                    .workers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                reason: "a sweep over --counts runs one worker count: give one",
            }
            .into());
        }
    };
    if args.scaling == ScalingArg::Strong {
        return Err(Error::InvalidOption {
            option: "scaling",
            value: "strong".to_owned(),
            reason: "a sweep over --counts keeps the workers and changes the count: there is \
                     no strong scaling to choose",
        }
        .into());
    }
    if args.counts.contains(&0) {
        return Err(Error::InvalidOption {
            option: "counts",
            value: args
                .counts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            reason: "a point of 0 numbers a worker measures nothing: give counts of 1 or more",
        }
        .into());
    }
    let mut counts = args.counts.clone();
    counts.sort_unstable();
    counts.dedup();
    let plan = CountPlan {
        counts,
        spec: args.common.spec(workers, 1, seed, simd),
        plan: args.runs.plan(args.common.warmup, SWEEP_RUN_DEFAULTS)?,
        timeout: args.common.timeout,
        sampling: !args.common.no_sampler,
    };
    for &count in &plan.counts {
        plan.workload(count)?;
    }
    let plot = match &args.plot {
        Some(path) => Some(Output::check("--plot", path)?),
        None => None,
    };
    let named = if args.backends.is_empty() {
        vec![
            BackendKind::in_process()
                .filter(|kind| kind.name() != "sequential")
                .collect(),
        ]
    } else {
        args.backends
    };
    let (_, built) = build_backends(named, &options)?;
    let backends: Vec<&dyn Backend> = built.iter().map(Box::as_ref).collect();
    let runs = (plan.plan.max_runs + plan.plan.warmup) as u64;
    let points = ((backends.len() + 1) * plan.counts.len()) as u64;
    let bar = progress_bar(runs.saturating_mul(points), "sweep");
    let result = count_sweep::run(&backends, &plan, |count, event| {
        if let Progress::Run { backend, .. } = event {
            bar.set_message(format!(
                "{backend}, {} numbers a worker",
                gilfree::render::group_digits(i128::from(count))
            ));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let result = result?;
    let mut text = String::new();
    if drawn {
        text = format!("seed {seed} was drawn from the OS; repeat this sweep with --seed {seed}\n");
    }
    text.push_str(&gilfree::render::transfer::count_text(&result));
    let shown = if plot.as_ref().is_some_and(Output::is_stdout) {
        eprint(&text);
        Ok(())
    } else {
        print(&text)
    };
    let plot_path = plot
        .as_ref()
        .filter(|p| !p.is_stdout())
        .map(|p| p.path().to_owned());
    let mut files = Vec::new();
    if let Some(plot) = plot {
        files.push((
            plot,
            gilfree::render::transfer::count_plot(&result)?.into_bytes(),
        ));
    }
    gilfree::output::commit_all(files)?;
    let mismatch = result.points.iter().try_for_each(|r| r.verify());
    mismatch?;
    shown?;
    if let Some(path) = plot_path {
        print(&format!("\nplot: {}\n", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
