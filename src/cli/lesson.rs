//! `gilfree lesson`: the book's experiment on one screen, the work chosen
//! for this machine, with the pictures for a projector.

use std::process::ExitCode;

use gilfree::backend::python::PythonBackend;
use gilfree::measure::Driver;
use gilfree::output::{self, Output};
use gilfree::{Backend, Error, Workload, lesson, render};

use super::args::LessonArgs;
use super::{eprint, interpreter_for, print, progress_bar, show_progress, simd_of_env};

pub(crate) fn lesson(args: LessonArgs) -> anyhow::Result<ExitCode> {
    // Checked before anything runs: a mistyped directory fails at once.
    let check = |flag: &'static str, path: &Option<std::path::PathBuf>| match path {
        Some(path) => Output::check(flag, path).map(Some),
        None => Ok(None),
    };
    let svg = check("--svg", &args.svg)?;
    let time_svg = check("--time-svg", &args.time_svg)?;
    let html = check("--html", &args.html)?;
    let transfer_svg = check("--transfer-svg", &args.transfer_svg)?;
    output::check_distinct(
        &[&svg, &time_svg, &html, &transfer_svg]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )?;
    // The lesson draws CPython's numbers, which have one path; a forced
    // path a run refuses is refused here too, not silently ignored (and
    // the second act's generator takes it).
    let simd = simd_of_env()?;
    // The workload's bounds are checked before the calibration spends time.
    Workload::new(lesson::spec(args.workers, 1, args.seed)).map_err(Error::from)?;
    // And the second act's, with the memory it needs, before the first.
    let act_two = if args.transfer {
        let count = args.transfer_count.unwrap_or(lesson::TRANSFER_COUNT);
        if count == 0 {
            return Err(Error::InvalidOption {
                option: "transfer-count",
                value: "0".to_owned(),
                reason: "the second act hands numbers back: give 1 or more",
            }
            .into());
        }
        let spec = gilfree::WorkloadSpec {
            simd,
            ..lesson::transfer_spec(args.workers, count, args.seed)
        };
        let workload = Workload::new(spec).map_err(Error::from)?;
        let driver = Driver::new(workload, lesson::PLAN)?
            .with_sampling(!args.no_sampler)
            .with_sample_interval(lesson::SAMPLE_INTERVAL)
            .with_timeout(args.timeout);
        let backends = lesson::transfer_backends()?;
        let refs: Vec<&dyn Backend> = backends.iter().map(Box::as_ref).collect();
        driver.check(&refs)?;
        Some((driver, backends))
    } else {
        None
    };

    let python = if args.no_python {
        None
    } else {
        // A named interpreter must work; the default may be missing.
        Some(args.python.clone())
    };
    let interpreter = interpreter_for(python.as_ref())?;
    let calibration = match args.count {
        Some(count) => lesson::Calibration {
            count,
            chosen: false,
            ..lesson::calibrate(args.workers, args.seed, None, args.timeout)?
        },
        None => {
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint("calibrating: what does one number cost here?\r");
            }
            lesson::calibrate(args.workers, args.seed, interpreter.as_ref(), args.timeout)?
        }
    };
    let workload = Workload::new(lesson::spec(args.workers, calibration.count, args.seed))
        .map_err(Error::from)?;
    let driver = Driver::new(workload, lesson::PLAN)?
        .with_sampling(!args.no_sampler)
        .with_sample_interval(lesson::SAMPLE_INTERVAL)
        .with_timeout(args.timeout);
    let rust = lesson::rust_backends()?;
    let python_rows = interpreter
        .as_ref()
        .map(PythonBackend::lesson_rows)
        .unwrap_or_default();
    let backends: Vec<&dyn Backend> = rust
        .iter()
        .map(Box::as_ref)
        .chain(python_rows.iter().map(|b| b as &dyn Backend))
        .collect();
    let plan = lesson::PLAN;
    let bar = progress_bar(
        ((plan.max_runs + plan.warmup) * (backends.len() + 1)) as u64,
        "lesson",
    );
    let report = driver.run_with_progress(&backends, show_progress(&bar, &plan));
    bar.finish_and_clear();
    let report = report?;

    let mut text = render::lesson::text(&report, &calibration);
    let second = match act_two {
        None => None,
        Some((driver, backends)) => {
            let refs: Vec<&dyn Backend> = backends.iter().map(Box::as_ref).collect();
            let bar = progress_bar(
                ((plan.max_runs + plan.warmup) * (refs.len() + 1)) as u64,
                "act two",
            );
            let second = driver.run_with_progress(&refs, show_progress(&bar, &plan));
            bar.finish_and_clear();
            let second = second?;
            text.push('\n');
            text.push_str(&render::lesson::transfer_text(&second));
            Some(second)
        }
    };
    let to_stdout = [&svg, &time_svg, &html, &transfer_svg]
        .iter()
        .any(|o| o.as_ref().is_some_and(Output::is_stdout));
    let shown = if to_stdout {
        eprint(&text);
        Ok(())
    } else {
        print(&text)
    };
    let mut files = Vec::new();
    if let Some(svg) = svg {
        files.push((svg, render::cores::svg(&report)?.into_bytes()));
    }
    if let Some(svg) = time_svg {
        files.push((svg, render::time_picture::svg(&report)?.into_bytes()));
    }
    if let Some(page) = html {
        // The page leads with the slide of where the time went: its title
        // is the page's, and the lesson's own sentences follow it.
        let title = render::time_picture::title(&report);
        let lead = render::lesson::chosen(&report);
        files.push((
            page,
            render::html::report_page(
                &report,
                &title,
                render::lesson::introduction(&text),
                Some(&lead),
                second.as_ref(),
            )?
            .into_bytes(),
        ));
    }
    if let (Some(svg), Some(second)) = (transfer_svg, &second) {
        files.push((svg, render::transfer::svg(second)?.into_bytes()));
    }
    output::commit_all(files)?;
    report.verify()?;
    if let Some(second) = &second {
        second.verify()?;
    }
    shown?;
    Ok(ExitCode::SUCCESS)
}
