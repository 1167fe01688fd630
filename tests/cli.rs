//! The real binary: output, exit codes and messages.

use std::process::{Command, Output};

use gilfree::BackendKind;

pub(crate) fn gilfree(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(args)
        .output()
        .expect("the binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every registered backend's name, in the registry's order.
fn registered() -> Vec<&'static str> {
    BackendKind::ALL.iter().map(|kind| kind.name()).collect()
}

/// The first table's rows' first words (or `--list-backends`' lines').
fn rows(out: &str) -> Vec<String> {
    let names = registered();
    let table = out.find("\nbackend ").map_or(out, |at| &out[at + 1..]);
    table
        .lines()
        // The table ends at its first blank line (the time accounting
        // table repeats the names).
        .take_while(|line| !line.is_empty())
        // Table rows start with the name; indented summary lines do not.
        .filter_map(|line| line.split(' ').next())
        .filter(|word| names.contains(word))
        .map(str::to_owned)
        .collect()
}

fn results_line(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("Results: ["))
        .expect("a Results line")
        .to_owned()
}

#[test]
fn the_default_run_succeeds_and_prints_every_backend() {
    // The book's count, so that the default plan (5 to 20 runs) stays quick.
    let output = gilfree(&["-n", "1M"]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    // `all`: every row but the launched ones (mpi), which run when named.
    let in_process: Vec<&str> = BackendKind::in_process().map(|kind| kind.name()).collect();
    assert_eq!(rows(&out), in_process);
    assert_eq!(
        registered()[..6],
        [
            "sequential",
            "gil",
            "threads",
            "channels",
            "rayon",
            "process"
        ]
    );
    assert!(
        out.contains("8 workers × 1,000,000 random integers in [1, 100]"),
        "{out}"
    );
    assert!(!out.contains("sized for this machine"), "{out}");
    assert!(
        out.contains("measured per backend after 1 warm-up, of 5–20 (until each median is known"),
        "{out}"
    );
    assert!(
        out.contains("was drawn from the OS; repeat this run with --seed"),
        "{out}"
    );
    assert_eq!(out.matches('✓').count(), in_process.len(), "{out}");
    let results = results_line(&out);
    assert_eq!(results.matches(", ").count(), 7, "{results}");
    assert!(
        out.contains("(expected 404,000,000 = 8 × 1,000,000 × (1 + 100) / 2"),
        "{out}"
    );
}

#[test]
fn without_a_count_the_work_is_sized_for_the_machine_and_says_so() {
    let output = gilfree(&["--runs", "2", "--warmup", "0", "-b", "threads"]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = out
        .lines()
        .find(|l| l.starts_with("count:    "))
        .unwrap_or_else(|| panic!("no count line in\n{out}"));
    assert!(
        line.contains("numbers per worker, sized for this machine: the sequential row takes about"),
        "{line}"
    );
    assert!(
        line.ends_with("too short for threads to show. --count 1M runs the book's count."),
        "{line}"
    );
    // The count stated is the count run, and never below the book's.
    let count: u64 = line["count:    ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(count >= 1_000_000, "{line}");
    let stated = format!(
        "8 workers × {} random integers",
        line["count:    ".len()..].split(' ').next().unwrap()
    );
    assert!(out.contains(&stated), "{out}");
    // With CPython's rows, or materialized numbers, the book's count stays.
    let materialized = stdout(&gilfree(&["--materialize", "--runs", "1", "-b", "threads"]));
    assert!(
        !materialized.contains("sized for this machine"),
        "{materialized}"
    );
    assert!(
        materialized.contains("× 1,000,000 random integers"),
        "{materialized}"
    );
}

#[test]
fn a_drawn_seed_can_be_repeated() {
    let first = stdout(&gilfree(&["-n", "1000", "-r", "1", "-b", "threads"]));
    let seed = first
        .split("repeat this run with --seed ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the seed is printed")
        .to_owned();
    let again = stdout(&gilfree(&[
        "-n", "1000", "-r", "1", "-b", "threads", "--seed", &seed,
    ]));
    assert_eq!(results_line(&first), results_line(&again));
    assert!(!again.contains("drawn from the OS"));
}

#[test]
fn backend_rayon_prints_the_baseline_and_rayon_only() {
    let output = gilfree(&[
        "--backend",
        "rayon",
        "-n",
        "10k",
        "--seed",
        "1",
        "--threads",
        "3",
    ]);
    assert!(output.status.success());
    let out = stdout(&output);
    assert_eq!(rows(&out), ["sequential", "rayon"]);
    assert!(out.contains("a pool of 3 threads"), "{out}");
}

#[test]
fn backends_can_be_repeated_or_comma_separated() {
    let output = gilfree(&[
        "-b",
        "process,threads",
        "-b",
        "channels",
        "-b",
        "threads",
        "-n",
        "1k",
        "-s",
        "3",
    ]);
    assert!(output.status.success());
    assert_eq!(
        rows(&stdout(&output)),
        ["sequential", "threads", "channels", "process"]
    );
}

#[test]
fn a_fixed_seed_gives_the_same_results_on_every_backend_and_run() {
    let a = stdout(&gilfree(&[
        "-s", "2015", "-n", "50k", "-w", "3", "--low", "-10", "--high", "10",
    ]));
    let b = stdout(&gilfree(&[
        "-s",
        "2015",
        "-n",
        "50k",
        "-w",
        "3",
        "--low",
        "-10",
        "--high",
        "10",
        "--materialize",
    ]));
    assert_eq!(results_line(&a), results_line(&b));
    assert!(a.contains("in [-10, 10]"));
    assert!(b.contains("(materialized)"));
}

#[test]
fn a_short_job_gets_a_note_suggesting_a_larger_count() {
    let out = stdout(&gilfree(&["-n", "1000", "-s", "1", "-r", "1"]));
    assert!(out.contains("warning: the whole job took"), "{out}");
    assert!(out.contains("try --count "), "{out}");
}

fn assert_usage_error(args: &[&str], expected: &str) {
    let output = gilfree(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err}"
    );
    assert!(!err.contains("panicked"));
    assert!(stdout(&output).is_empty());
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    assert_usage_error(
        &["--workers", "0"],
        "workers = 0: a run needs at least one worker",
    );
    assert_usage_error(
        &["--low", "5", "--high", "4"],
        "low = 5 is greater than high = 4",
    );
    assert_usage_error(
        &["--backend", "fibers"],
        &format!(
            "unknown backend 'fibers' (valid: all, {})",
            registered().join(", ")
        ),
    );
    assert_usage_error(
        &["--workers", "eight"],
        "invalid value 'eight' for '--workers <N>'",
    );
    assert_usage_error(&["--count", "lots"], "'lots' is not a whole number");
    assert_usage_error(
        &["--runs", "0"],
        "runs = 0: at least one measured run is needed",
    );
    assert_usage_error(
        &["--threads", "0"],
        "threads = 0: the rayon pool needs at least one thread",
    );
    assert_usage_error(
        &["--workers", "100000"],
        "at most 65536 workers are supported",
    );
    assert_usage_error(
        &["--count", "1G", "--high", "100000000000"],
        "overflows the 64-bit sum",
    );
    assert_usage_error(&["--seed", "-1"], "invalid value '-1' for '--seed <U64>'");
    assert_usage_error(
        &["--workers", "-3"],
        "invalid value '-3' for '--workers <N>'",
    );
    assert_usage_error(&["--frobnicate"], "unexpected argument '--frobnicate'");
}

#[test]
fn help_explains_every_flag_and_column() {
    let out = stdout(&gilfree(&["--help"]));
    for flag in [
        "--backend",
        "--workers",
        "--count",
        "--low",
        "--high",
        "--seed",
        "--runs",
        "--warmup",
        "--threads",
        "--materialize",
        "--list-backends",
        "--export-json",
        "--export-csv",
        "--export-markdown",
        "compare",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
    for column in [
        "wall",
        "user, sys",
        "CPU",
        "speedup",
        "efficiency",
        "numbers/s",
        "sums",
    ] {
        assert!(out.contains(column), "--help lacks the {column} column");
    }
    assert!(out.contains("sequential baseline"));
}

#[test]
fn list_backends_describes_each() {
    let output = gilfree(&["--list-backends"]);
    assert!(output.status.success());
    let out = stdout(&output);
    assert_eq!(rows(&out), registered());
    let width = 2 + BackendKind::ALL
        .iter()
        .map(|k| k.name().len())
        .max()
        .unwrap();
    for kind in BackendKind::ALL {
        let line = format!("{:<width$}{}", kind.name(), kind.description());
        assert!(out.lines().any(|l| l == line), "no line {line:?} in\n{out}");
    }
    assert!(out.contains("fork"));
}

#[test]
fn the_backend_help_of_a_run_and_a_sweep_names_every_registered_backend() {
    for args in [&["--help"][..], &["sweep", "--help"]] {
        let output = gilfree(args);
        assert!(output.status.success());
        let out = stdout(&output);
        let help: String = out
            .split("--backend <NAME>")
            .nth(1)
            .and_then(|rest| rest.split("\n  -").next())
            .unwrap_or_else(|| panic!("{args:?}: no --backend in\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for name in registered() {
            assert!(
                help.contains(name),
                "{args:?}: --backend's help lacks {name}: {help}"
            );
        }
    }
}

fn workload_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("workload: "))
        .expect("a workload line")
}

fn gilfree_with_simd(simd: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(args)
        .env("GILFREE_SIMD", simd)
        .output()
        .expect("the binary runs")
}

#[test]
fn every_simd_path_prints_its_name_and_gives_the_same_sums() {
    let args = [
        "-n",
        "30k",
        "-w",
        "3",
        "--seed",
        "4",
        "--runs",
        "1",
        "--warmup",
        "0",
        "-b",
        "gil,process",
    ];
    let widest = gilfree(&args);
    let out = stdout(&widest);
    assert!(widest.status.success(), "{}", stderr(&widest));
    let header = format!("xoshiro256++x8 [{}], seed 4", gilfree::Simd::widest());
    assert!(workload_line(&out).ends_with(&header), "{out}");
    for simd in gilfree::Simd::supported() {
        let forced = gilfree_with_simd(simd.name(), &args);
        let forced_out = stdout(&forced);
        assert!(forced.status.success(), "{simd}: {}", stderr(&forced));
        assert!(
            workload_line(&forced_out).ends_with(&format!("xoshiro256++x8 [{simd}], seed 4")),
            "{forced_out}"
        );
        assert_eq!(results_line(&forced_out), results_line(&out), "{simd}");
    }
    // auto and an empty value take the widest path.
    for auto in ["auto", ""] {
        let output = gilfree_with_simd(auto, &args);
        assert_eq!(results_line(&stdout(&output)), results_line(&out));
        assert!(stdout(&output).contains(&header), "{auto:?}");
    }
}

#[test]
fn an_unknown_or_unsupported_simd_path_is_refused_in_one_line() {
    for bad in ["avx3", "AVX2", "sse2", " avx2"] {
        let output = gilfree_with_simd(bad, &["-n", "1k"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{bad}: {err}");
        assert_eq!(
            err,
            format!("error: GILFREE_SIMD = {bad}: expected scalar, avx2, avx512 or auto\n")
        );
        assert!(stdout(&output).is_empty());
    }
    for simd in gilfree::Simd::ALL.into_iter().filter(|s| !s.is_supported()) {
        let output = gilfree_with_simd(simd.name(), &["-n", "1k"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{simd}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: GILFREE_SIMD = {simd}: this CPU does not support that path"
            )),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn every_generator_runs_on_every_backend_and_names_itself() {
    for (arg, name) in [
        ("xoshiro-x8", "xoshiro256++x8 ["),
        ("xoshiro256++x8", "xoshiro256++x8 ["),
        ("xoshiro", "xoshiro256++, seed"),
        ("xoshiro256++", "xoshiro256++, seed"),
        ("python", "python, seed"),
        ("rand", "rand, seed"),
    ] {
        let output = gilfree(&[
            "-n", "20k", "-w", "3", "--seed", "8", "--runs", "1", "--rng", arg,
        ]);
        let out = stdout(&output);
        assert!(output.status.success(), "{arg}: {}", stderr(&output));
        assert!(workload_line(&out).contains(name), "{arg}: {out}");
        // Every backend's sums were checked against the sequential ones.
        let in_process: Vec<&str> = BackendKind::in_process().map(|kind| kind.name()).collect();
        assert_eq!(rows(&out), in_process, "{arg}");
        assert!(!out.contains('✗'), "{arg}: {out}");
    }
}

/// A sweep without --count sizes its work for the machine, as a run does,
/// and its first line says so; --count overrides it.
#[test]
fn a_sweep_without_a_count_is_sized_for_the_machine_and_says_so() {
    let output = gilfree(&[
        "sweep", "-b", "threads", "-w", "2", "--runs", "1", "--seed", "1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("count:    ")
            && first.contains("numbers per worker, sized for this machine"),
        "{text}"
    );
    let count: u64 = first["count:    ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(count >= 1_000_000, "{first}");
    let given = gilfree(&[
        "sweep", "-b", "threads", "-w", "2", "--runs", "1", "--seed", "1", "-n", "100k",
    ]);
    assert!(given.status.success(), "{}", stderr(&given));
    assert!(!stdout(&given).contains("sized for this machine"));
    assert!(stdout(&given).contains("100,000 numbers per worker"));
}
