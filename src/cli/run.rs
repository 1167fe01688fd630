//! `gilfree [OPTIONS]`: measure the backends on one workload and print the
//! report, with the exports, timelines and explanations asked for.

use std::path::Path;
use std::process::ExitCode;

use gilfree::backend::python::PythonBackend;
use gilfree::export::{ExportFormat, ExportManager};
use gilfree::measure::Driver;
use gilfree::output::{self, Output};
use gilfree::render::{self, Preamble};
use gilfree::{Backend, BackendKind, Error, Workload};

use super::args::{Args, RUN_DEFAULTS, TimelineScaleArg};
use super::{
    backend_options, build_backends, eprint, interpreter_for, print, progress_bar, seed_of,
    show_progress, simd_of_env,
};

/// The workers when `--workers` is not given: 8, the book's; inside a Slurm
/// allocation, with the mpi backend named, the allocation's tasks.
fn default_workers(backends: &[Vec<BackendKind>]) -> usize {
    const BOOK: usize = 8;
    #[cfg(feature = "mpi")]
    if backends
        .iter()
        .flatten()
        .any(|kind| kind.name() == gilfree::backend::mpi::NAME)
        && let Some(tasks) =
            gilfree::backend::mpi::Allocation::current().and_then(|allocation| allocation.tasks)
    {
        return tasks;
    }
    let _ = backends;
    BOOK
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = backend_options(&args.common)?;
    if args.list_backends {
        let width = 2 + BackendKind::ALL
            .iter()
            .map(|kind| kind.name().len())
            .max()
            .unwrap_or(0);
        let lines: String = BackendKind::ALL
            .iter()
            .map(|kind| format!("{:<width$}{}\n", kind.name(), kind.description()))
            .collect();
        print(&lines)?;
        return Ok(ExitCode::SUCCESS);
    }

    let (seed, drawn_seed) = seed_of(&args.common)?;
    let simd = simd_of_env()?;
    let workers = args
        .workers
        .unwrap_or_else(|| default_workers(&args.backends));
    let requests: Vec<(ExportFormat, &Path)> = [
        (ExportFormat::Json, &args.export_json),
        (ExportFormat::Csv, &args.export_csv),
        (ExportFormat::Markdown, &args.export_markdown),
    ]
    .into_iter()
    .filter_map(|(format, path)| Some((format, path.as_deref()?)))
    .collect();
    // Checked now, so that a mistyped directory fails before a long run;
    // dropped on any early return below, they leave every file as it was.
    let exports = ExportManager::new(&requests)?;
    let check = |flag: &'static str, path: &Option<std::path::PathBuf>| match path {
        Some(path) => Output::check(flag, path).map(Some),
        None => Ok(None),
    };
    let timeline_svg = check("--timeline-svg", &args.timeline_svg)?;
    let cores_svg = check("--cores-svg", &args.cores_svg)?;
    if args.transfer_svg.is_some() && args.common.returns != super::args::ReturnArg::Numbers {
        return Err(Error::InvalidOption {
            option: "transfer-svg",
            value: args
                .transfer_svg
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            reason: "the picture shows the numbers moving back: give --return numbers too",
        }
        .into());
    }
    let transfer_svg = check("--transfer-svg", &args.transfer_svg)?;
    let time_svg = check("--time-svg", &args.time_svg)?;
    let html = check("--export-html", &args.export_html)?;
    let pictures_out = [&timeline_svg, &cores_svg, &time_svg, &transfer_svg, &html];
    let outputs: Vec<&Output> = exports
        .outputs()
        .chain(pictures_out.iter().filter_map(|o| o.as_ref()))
        .collect();
    output::check_distinct(&outputs)?;

    // Without --count, the work is sized for this machine (the book's count
    // with CPython's rows, which take it seconds, or with --materialize,
    // whose memory grows with it).
    let book = gilfree::measure::sizing::BOOK_COUNT;
    let numbers = args.common.returns == super::args::ReturnArg::Numbers;
    let sized = match args.count {
        Some(_) => None,
        None if args.python.is_some() || args.common.materialize || numbers => None,
        None => Some(gilfree::measure::sizing::size(
            &args.common.spec(workers, book, seed, simd),
        )?),
    };
    // Numbers handed back cost memory and time in proportion to the count:
    // the lesson's 50M a worker (400 MB a run for 8 one-byte workers), unless
    // --python asks for the book's count, which CPython takes seconds over.
    let count = args.count.or(sized.map(|choice| choice.count)).unwrap_or(
        if numbers && args.python.is_none() {
            gilfree::lesson::TRANSFER_COUNT
        } else {
            book
        },
    );
    let workload =
        Workload::new(args.common.spec(workers, count, seed, simd)).map_err(Error::from)?;
    #[cfg(feature = "fault-injection")]
    let workload = match with_injected_fault(workload) {
        Ok(workload) => workload,
        Err(message) => {
            eprint(&format!("error: {message}\n"));
            return Ok(ExitCode::from(2));
        }
    };
    let plan = args.runs.plan(args.common.warmup, RUN_DEFAULTS)?;
    let driver = Driver::new(workload, plan)?
        .with_sampling(!args.common.no_sampler)
        .with_timeout(args.common.timeout);

    let (kinds, backends) = build_backends(args.backends, &options)?;
    let mut backends: Vec<&dyn Backend> = backends.iter().map(Box::as_ref).collect();
    let interpreter = interpreter_for(args.python.as_ref())?;
    let python_backends = match &interpreter {
        Some(interpreter) => PythonBackend::returning(interpreter, driver.workload().returns()),
        None => Vec::new(),
    };
    backends.extend(python_backends.iter().map(|b| b as &dyn Backend));

    let sequential = BackendKind::ALL[0];
    let with_baseline = backends.len() + usize::from(!kinds.contains(&sequential));
    let bar = progress_bar(
        // The most there may be: a plan that is not exact may stop sooner.
        ((plan.max_runs + plan.warmup) * with_baseline) as u64,
        "measuring",
    );
    let report = driver.run_with_progress(&backends, show_progress(&bar, &plan));
    bar.finish_and_clear();
    let report = report?;

    let preamble = Preamble {
        sized,
        drawn_seed: drawn_seed.then_some(seed),
        interpreter: interpreter.as_ref(),
        rayon_threads: kinds
            .iter()
            .any(|kind| kind.name() == "rayon")
            .then_some(options.rayon_threads),
    };
    let mut text = render::preamble(&preamble);
    text.push_str(&render::text(&report));
    if args.explain {
        text.push_str(&render::explain(&report));
    }
    if args.timeline {
        text.push('\n');
        text.push_str(&render::timeline::text(
            &report,
            render::timeline::TEXT_WIDTH,
        ));
    }
    // With an export on standard output, the table goes to standard error so
    // that the two never mix.
    let to_stdout = pictures_out
        .iter()
        .any(|o| o.as_ref().is_some_and(Output::is_stdout));
    let shown = if exports.uses_stdout() || to_stdout {
        eprint(&text);
        Ok(())
    } else {
        print(&text)
    };
    // The files of a completed run are written even when standard output's
    // reader has gone (`gilfree … | head`): that is reported after them.
    let mut pictures = Vec::new();
    if let Some(svg) = timeline_svg {
        let scale = match args.timeline_scale {
            TimelineScaleArg::Shared => render::timeline::TimeScale::Shared,
            TimelineScaleArg::Own => render::timeline::TimeScale::Own,
        };
        pictures.push((
            svg,
            render::timeline::svg_scaled(&report, scale)?.into_bytes(),
        ));
    }
    if let Some(svg) = cores_svg {
        pictures.push((svg, render::cores::svg(&report)?.into_bytes()));
    }
    if let Some(svg) = time_svg {
        pictures.push((svg, render::time_picture::svg(&report)?.into_bytes()));
    }
    if let Some(svg) = transfer_svg {
        pictures.push((svg, render::transfer::svg(&report)?.into_bytes()));
    }
    if let Some(page) = html {
        let title = "gilfree: the same work on every backend";
        pictures.push((
            page,
            render::html::report_page(&report, title, &render::preamble(&preamble), None, None)?
                .into_bytes(),
        ));
    }
    exports.write(&report, pictures)?;
    report.verify()?;
    shown?;
    Ok(ExitCode::SUCCESS)
}

/// The workload with the fault that `GILFREE_TEST_FAULT` asks for, in test
/// builds only (see `gilfree::fault`).
#[cfg(feature = "fault-injection")]
pub(crate) fn with_injected_fault(workload: Workload) -> Result<Workload, String> {
    match std::env::var(gilfree::fault::ENV_VAR) {
        Ok(spec) => Ok(workload.with_fault(spec.parse()?)),
        Err(_) => Ok(workload),
    }
}
