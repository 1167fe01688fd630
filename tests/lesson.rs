//! `gilfree lesson`, the pictures it draws and the HTML report, in a real
//! browser.

use std::process::Command;

use crate::browser;
use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;

fn has_python3() -> bool {
    Command::new("python3").arg("--version").output().is_ok()
}

/// Every `font-size` in an SVG, in pixels.
fn font_sizes(svg: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter_map(|n| {
            n.attribute("font-size")
                .and_then(|s| s.trim_end_matches("px").parse().ok())
        })
        .collect()
}

#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn the_lesson_fits_one_screen_with_every_sum_verified_and_draws_its_pictures() {
    let dir = scratch("lesson");
    let (svg, html) = (dir.join("cores.svg"), dir.join("lesson.html"));
    let python = has_python3();
    let mut args = vec![
        "lesson",
        "-n",
        "20k",
        "-w",
        "4",
        "--svg",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    if !python {
        eprintln!("no python3: the lesson's Rust rows only (CI has one)");
        args.push("--no-python");
    }
    let output = gilfree(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() <= 48, "{} lines:\n{out}", lines.len());
    for line in &lines {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    let flat = out.replace('\n', " ");
    assert!(
        flat.contains("4 workers each sum 20,000 random.randint(1, 100)"),
        "{out}"
    );
    assert!(flat.contains("Every row computed the same 4 sums"), "{out}");
    assert!(flat.contains("checked, run by run ✓"), "{out}");
    let mut rows = vec!["sequential", "gil", "threads", "process"];
    if python {
        rows.extend(["python-sequential", "python-threads", "python-processes"]);
        assert!(flat.contains("GIL enabled"), "{out}");
        // Against its own language, as the table's note says; its
        // workers' time split three ways.
        assert!(
            flat.contains("speedup: against the sequential row of the same language"),
            "{out}"
        );
        let row = lines
            .iter()
            .find(|l| l.starts_with("python-threads"))
            .unwrap();
        assert_eq!(
            row.matches('%').count(),
            4,
            "CPU, running, waiting, blocked: {row}"
        );
    }
    for name in &rows {
        let row = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{out}"));
        assert!(row.ends_with('✓'), "{row}");
    }

    // The picture: a 1280×720 slide, nothing smaller than 18 px, a panel
    // per row.
    let picture = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&picture).unwrap();
    let root = doc.root_element();
    assert_eq!(
        (root.attribute("width"), root.attribute("height")),
        (Some("1280"), Some("720"))
    );
    let sizes = font_sizes(&picture);
    assert!(!sizes.is_empty());
    assert!(sizes.iter().all(|&s| s >= 18.0), "{sizes:?}");
    for name in &rows {
        assert!(
            picture.contains(&format!("{name} — ")),
            "no panel for {name}"
        );
    }

    // The page: self-contained, the table and the results in it.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script"));
    // Nothing fetched from elsewhere (the SVG namespace is a name, not a fetch).
    for fetch in [
        "src=\"http",
        "href=\"http",
        "url(",
        "@import",
        "<link",
        "<img",
    ] {
        assert!(!page.contains(fetch), "the page fetches: {fetch}");
    }
    assert_eq!(page.matches("<svg").count(), 3);

    let Some(_) = browser::chromium() else { return };
    let dom = browser::dump_dom(&html);
    let dom_doc_ok = dom.contains("<table id=\"table\">");
    assert!(dom_doc_ok, "{dom}");
    for name in &rows {
        assert!(
            dom.contains(&format!("<td>{name}</td>")),
            "{name} not in the page"
        );
    }
    let results = out
        .lines()
        .find(|l| l.starts_with("Every row computed"))
        .unwrap();
    let first_sum = results
        .split('[')
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap();
    assert!(dom.contains("id=\"results\">Results: ["), "{dom}");
    assert!(dom.contains(first_sum), "{first_sum} not in the page");
    let shot = browser::screenshot(&html, 1280, 2400);
    let ((w, h), ink) = browser::ink(&shot);
    assert_eq!((w, h), (1280, 2400));
    assert!(ink > 0.01, "the page looks blank: {ink}");
    // The class's part of the page — the table, the slide, the lesson's
    // sentences — within about two screens at 1280 pixels.
    let height = browser::inked_height(&shot);
    assert!(height <= 1600, "the lesson page's lead is {height} px tall");
    let shot = browser::screenshot(&svg, 1280, 720);
    let (_, ink) = browser::ink(&shot);
    assert!(ink > 0.02, "the picture looks blank: {ink}");
}

#[test]
fn bad_lesson_input_is_refused_before_anything_runs() {
    for (args, message) in [
        (&["lesson", "-w", "0"][..], "workers = 0"),
        (
            &["lesson", "--python", "/nonexistent/python"][..],
            "/nonexistent/python",
        ),
        (
            &["lesson", "--html", "/nonexistent/dir/x.html"][..],
            "the directory /nonexistent/dir does not exist",
        ),
        (
            &["lesson", "--python", "python3", "--no-python"][..],
            "cannot be used with",
        ),
    ] {
        let output = gilfree(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn a_run_exports_one_html_page_and_the_cores_picture() {
    let dir = scratch("export-html");
    let (html, cores) = (dir.join("run.html"), dir.join("cores.svg"));
    let output = gilfree(&[
        "-b",
        "threads,process",
        "-n",
        "200k",
        "--runs",
        "3",
        "--seed",
        "7",
        "--export-html",
        html.to_str().unwrap(),
        "--cores-svg",
        cores.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = std::fs::read_to_string(&html).unwrap();
    let results = stdout(&output)
        .lines()
        .find(|l| l.starts_with("Results: ["))
        .unwrap()
        .trim_start_matches("Results: ")
        .to_owned();
    assert!(page.contains(&format!("Results: {results}")), "{results}");
    for name in ["sequential", "threads", "process"] {
        assert!(page.contains(&format!("<td>{name}</td>")), "{name}");
    }
    assert!(
        std::fs::read_to_string(&cores)
            .unwrap()
            .contains("threads — ")
    );
    // The whole report, as the browser lays it out: line for line the
    // report that the terminal showed, from its workload line on.
    let Some(_) = browser::chromium() else { return };
    let dom = browser::dump_dom(&html);
    let pre = dom
        .split("<pre>")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the whole report in a <pre>");
    let shown = stdout(&output);
    let report = &shown[shown.find("workload:").unwrap()..];
    assert_eq!(
        pre.trim_end().lines().count(),
        report.trim_end().lines().count(),
        "{pre}"
    );
    assert!(!pre.contains("\\n"), "a literal \\n in the page: {pre}");
    // What a class needs comes first, within about two screens at 1280
    // pixels (a laptop's 800 each); the rest is folded under <details>.
    assert!(dom.contains("<details id=\"more\">"), "{dom}");
    let lead = &dom[..dom.find("<details").unwrap()];
    for needed in [
        "<table id=\"table\">",
        "id=\"results\"",
        "<figure class=\"lead\"><svg",
    ] {
        assert!(lead.contains(needed), "{needed} not before the fold");
    }
    let shot = browser::screenshot(&html, 1280, 3000);
    let height = browser::inked_height(&shot);
    assert!(
        height <= 1600,
        "the page's lead is {height} px tall at 1280 wide"
    );
}

#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn a_sweep_can_add_pythons_threads_and_processes_against_their_own_one_worker_runs() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let dir = scratch("sweep-python");
    let html = dir.join("sweep.html");
    let output = gilfree(&[
        "sweep",
        "--python",
        "-b",
        "threads",
        "-w",
        "1,2",
        "-n",
        "20k",
        "--runs",
        "2",
        "--seed",
        "1",
        "--export-html",
        html.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    for series in ["threads", "python-threads", "python-processes"] {
        assert!(
            out.lines().any(
                |l| l.starts_with(series) && !l.starts_with(&format!("{series}-"))
                    || l == series
                    || l.starts_with(&format!("{series} —"))
            ),
            "no {series} table:\n{out}"
        );
    }
    assert!(!out.contains("python-sequential"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("python-threads"));
}

#[test]
fn the_calibration_measures_both_languages_and_chooses_a_count_for_a_few_seconds() {
    let interpreter = if has_python3() {
        Some(gilfree::backend::python::Interpreter::probe("python3").unwrap())
    } else {
        eprintln!("no python3: the Rust calibration only (CI has one)");
        None
    };
    let calibration = gilfree::lesson::calibrate(
        8,
        2015,
        interpreter.as_ref(),
        gilfree::measure::Timeout::Auto,
    )
    .unwrap();
    assert!(calibration.chosen);
    assert!(calibration.rust_per_number > std::time::Duration::ZERO);
    assert_eq!(
        calibration.python_per_number.is_some(),
        interpreter.is_some()
    );
    // The interpreter's start-up, measured, is left out of the Python
    // target: it is part of every run's wall.
    let target = if interpreter.is_some() {
        gilfree::lesson::PYTHON_TARGET.saturating_sub(calibration.python_startup)
    } else {
        gilfree::lesson::RUST_TARGET
    };
    let per_number = calibration
        .python_per_number
        .unwrap_or(calibration.rust_per_number);
    // The count is the one that fills the target at the measured cost.
    assert_eq!(
        calibration.count,
        gilfree::lesson::choose_count(8, per_number, target)
    );
}

/// A free-threaded CPython to switch the GIL on and off in: the
/// environment's `GILFREE_FREE_THREADED_PYTHON`, or a `python3.13t` on PATH
/// or where `build-free-threaded-python.sh` puts it.
fn free_threaded_python() -> Option<String> {
    let candidates = std::env::var("GILFREE_FREE_THREADED_PYTHON")
        .ok()
        .into_iter()
        .chain([
            "python3.13t".to_owned(),
            "/opt/python3.13t/bin/python3.13t".to_owned(),
        ]);
    for candidate in candidates {
        let free = Command::new(&candidate)
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'))",
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "1");
        if free {
            return Some(candidate);
        }
    }
    eprintln!("skipped: no free-threaded CPython (set GILFREE_FREE_THREADED_PYTHON)");
    None
}

#[test]
#[ignore = "needs a free-threaded CPython: CI builds one and runs it in its own step (.ci/run)"]
fn a_free_threaded_cpython_runs_its_threads_with_the_gil_on_and_off_at_one_count() {
    let Some(python) = free_threaded_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no free-threaded CPython under CI: .ci/run builds one (scripts/build-free-threaded-python.sh)"
        );
        return;
    };
    let dir = scratch("lesson-free-threaded");
    let svg = dir.join("time.svg");
    let output = gilfree(&[
        "lesson",
        "--python",
        &python,
        "-n",
        "60k",
        "-w",
        "4",
        "--time-svg",
        svg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() <= 48, "{} lines:\n{out}", lines.len());
    for line in &lines {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    // One interpreter, both GIL states, one count.
    assert!(
        flat.contains("free-threaded: GIL off (PYTHON_GIL=0)"),
        "{out}"
    );
    assert!(
        flat.contains("PYTHON_GIL=0") && flat.contains("PYTHON_GIL=1"),
        "{out}"
    );
    assert!(flat.contains("4 workers each sum 60,000"), "{out}");
    for row in [
        "python-sequential ",
        "python-sequential (GIL on)",
        "python-threads (GIL on)",
        "python-threads (GIL off)",
        "python-processes",
    ] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no {row} row:\n{out}"));
        assert!(line.ends_with('✓'), "{line}");
    }
    // Each threads row read from its accounting, the GIL named only where
    // it was on; the single thread's cost stated.
    assert!(
        flat.contains("python-threads (GIL on): its 4 threads were blocked"),
        "{out}"
    );
    assert!(flat.contains("asleep waiting for CPython's GIL"), "{out}");
    assert!(flat.contains("python-threads (GIL off)"), "{out}");
    assert!(flat.contains("One thread without the GIL:"), "{out}");
    // The slide: both rows, and a title that sets them side by side.
    let texts = crate::pictures::slide_texts(&svg);
    for row in ["python-threads (GIL on)", "python-threads (GIL off)"] {
        assert!(texts.iter().any(|t| t == row), "{row}: {texts:?}");
    }
    // The title words the findings: on a quiet machine both rows side by
    // side; under load, the free-threaded build's threads also sleep while
    // a stop-the-world pause waits for a thread that has no core, and the
    // title may name the GIL alone.
    assert!(texts[0].contains("GIL"), "{texts:?}");
    let said_side_by_side = texts[0].starts_with("With the GIL, Python's threads slept")
        || texts[0].starts_with("GIL on: threads asleep");
    // However the GIL-off row was read (running at once, or waiting for
    // cores others had), its sentence says the GIL was disabled.
    let free_read_as_free = flat.split(" - ").any(|bullet| {
        bullet.starts_with("python-threads (GIL off):") && bullet.contains("GIL disabled")
    });
    assert!(
        !said_side_by_side || free_read_as_free,
        "the title sets GIL off beside GIL on though the lesson did not read it so: {texts:?}\n{out}"
    );
}

#[test]
#[ignore = "spins every core: CI runs it alone, beside no other test (.ci/run)"]
fn a_lesson_on_a_machine_two_busy_loops_occupy_still_names_the_gil_and_says_it_was_shared() {
    if !has_python3() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let spinners = crate::readings::Spinners::on_every_core();
    spinners.wait_until_spinning();
    let output = gilfree(&["lesson", "-n", "100k", "--no-sampler"]);
    let with_sampler = gilfree(&["lesson", "-n", "100k"]);
    drop(spinners);
    for output in [&output, &with_sampler] {
        assert!(output.status.success(), "{}", stderr(output));
    }
    // From the accounting alone (no sampler): the GIL, and the waiting for
    // cores named as contention.
    let flat = stdout(&output)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("python-threads: its 8 threads were blocked")
            && flat.contains("asleep waiting for CPython's GIL"),
        "{flat}"
    );
    assert!(flat.contains("contention, not a lock"), "{flat}");
    assert!(!flat.contains("cannot show what the GIL"), "{flat}");
    // With the sampler the shared machine is said first too.
    let flat = stdout(&with_sampler)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("asleep waiting for CPython's GIL"), "{flat}");
    assert!(flat.contains("Other programs kept"), "{flat}");
}

/// An interpreter that answers the probe as CPython 3.11 does and runs the
/// programs as `behaviour` says: `empty` prints a report with no worker,
/// `wrong` one worker with a wrong sum, `hang` never ends.
fn misbehaving_python(behaviour: &str) -> (std::path::PathBuf, String) {
    let dir = scratch(&format!("lesson-python-{behaviour}"));
    let path = dir.join("python3");
    let program = match behaviour {
        "empty" => "echo '{\"workers\": []}'",
        "wrong" => {
            "echo '{\"workers\": [{\"worker\": 0, \"sum\": 1, \"start_ns\": 1, \"finish_ns\": \
             2000000, \"cpu_ns\": 1, \"pid\": 1, \"tid\": 1}]}'"
        }
        // The shell itself hangs, so that its command line names it.
        _ => "while :; do sleep 1; done",
    };
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = -c ]; then echo '{{\"version\": \"3.11.7\", \"implementation\": \
             \"cpython\", \"gil_enabled\": true, \"free_threaded_build\": false}}'; exit 0; fi\n\
             cat > /dev/null\n\
             {program}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path_text = path.to_str().unwrap().to_owned();
    (dir, path_text)
}

#[test]
fn the_calibration_checks_the_programs_report_and_gives_up_at_its_deadline() {
    for (behaviour, message) in [
        (
            "empty",
            "python-sequential backend: returned 0 reports for 1 workers",
        ),
        ("wrong", "python-sequential backend: worker 0 summed to 1"),
    ] {
        let (_dir, python) = misbehaving_python(behaviour);
        let output = gilfree(&["lesson", "--python", &python]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{behaviour}: {err}");
        assert!(err.contains(message), "{behaviour}: {err}");
        assert!(
            !stdout(&output).contains("The book's experiment"),
            "{behaviour}"
        );
    }
    // A hung interpreter: the calibration's deadline ends it, and the
    // interpreter goes with it.
    let (dir, python) = misbehaving_python("hang");
    let started = std::time::Instant::now();
    let output = gilfree(&["lesson", "--python", &python, "--timeout", "2s"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("python-sequential"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the deadline did not end the calibration"
    );
    // No process of the fake interpreter is left: none whose command
    // line names its directory.
    let marker = dir.to_str().unwrap().to_owned();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.ok()?.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(&marker).then_some(cmdline)
        })
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
}
