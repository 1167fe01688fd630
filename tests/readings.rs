//! The readings of the numbers: a busy machine detected, the GIL named from
//! the interpreter's own report, rows read against their own language,
//! differences tested for significance, runs that continue until the
//! medians are known.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gilfree::export::json::{self, JsonExport};

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;

/// Processes that spin on every core until dropped: another program that
/// wants the whole machine.
pub(crate) struct Spinners(Vec<Child>);

impl Spinners {
    pub(crate) fn on_every_core() -> Spinners {
        Spinners::per_core(1)
    }

    /// `per_core` spinners pinned to each core.
    pub(crate) fn per_core(per_core: usize) -> Spinners {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Spinners(
            (0..cores * per_core)
                .map(|spinner| spinner % cores)
                .map(|core| {
                    // Pinned one to a core where taskset exists.
                    let mut command = if Command::new("taskset").arg("-V").output().is_ok() {
                        let mut c = Command::new("taskset");
                        c.args(["-c", &core.to_string(), "sh", "-c", "while :; do :; done"]);
                        c
                    } else {
                        let mut c = Command::new("sh");
                        c.args(["-c", "while :; do :; done"]);
                        c
                    };
                    command.stdin(Stdio::null()).spawn().expect("sh runs")
                })
                .collect(),
        )
    }
}

impl Spinners {
    /// Waits until every spinner has run for a tenth of a second of CPU
    /// (`/proc/PID/stat`'s utime), so that the run starts on a machine that
    /// is busy already, however long they take to start.
    pub(crate) fn wait_until_spinning(&self) {
        let ticks = |pid: u32| -> u64 {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // utime is the 12th field after the command's parenthesis.
                    stat.rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .nth(11)?
                        .parse()
                        .ok()
                })
                .unwrap_or(0)
        };
        let started = std::time::Instant::now();
        while !self.0.iter().all(|child| ticks(child.id()) >= 10) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the spinners never ran"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn export_of(output: &std::process::Output) -> JsonExport {
    json::read(&output.stdout).unwrap_or_else(|err| panic!("{err}: {}", stderr(output)))
}

/// It keeps every core busy, which would slow the tests beside it past
/// their limits: CI runs it on its own, after the others.
#[test]
#[ignore = "spins a process on every core: CI runs it alone (cargo test --test tests readings::a_machine_busy -- --ignored)"]
fn a_machine_busy_with_spinning_processes_is_reported_as_contention() {
    let spinners = Spinners::on_every_core();
    spinners.wait_until_spinning();
    // No --count: gilfree sizes the work for the machine it finds (the
    // sequential row about 0.4 s, measured under the spinners' load), so
    // the runs outlast /proc/stat's 10 ms tick on a fast machine as on a
    // slow one. A fixed count ran 63 ms a run on a faster CI machine: too
    // short for the tick to tell (`?`), and no verdict is then right.
    let output = gilfree(&[
        "-b",
        "threads",
        "-w",
        "4",
        "--runs",
        "5",
        "--seed",
        "1",
        "--explain",
        "--export-json",
        "-",
    ]);
    drop(spinners);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("warning: other programs took cores these rows could have used"),
        "{text}"
    );
    assert!(
        text.contains("a low CPU figure among them is not the GIL's doing"),
        "{text}"
    );
    assert!(text.contains("- Other programs kept "), "{text}");
    let export = export_of(&output);
    let threads = export.result("threads").unwrap();
    assert!(threads.contended, "{text}");
    let others = threads.others_cores.unwrap();
    assert!(others > 0.5, "others kept {others} cores busy");
    for run in &threads.runs {
        let contention = run.contention.as_ref().expect("every run sampled");
        assert!(contention.others_cpu > 0.0);
        assert!(!contention.samples.is_empty());
        // The spinners' cores show in the series, beside the run's own.
        let busy: f64 =
            contention.samples.iter().map(|s| s[2]).sum::<f64>() / contention.samples.len() as f64;
        assert!(busy > 0.3, "others in the series: {busy}");
    }
}

/// The machine's busy CPU time since boot (steal included, as gilfree
/// counts it), from the first line of /proc/stat.
fn machine_busy() -> Duration {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap())
        .collect();
    // user nice system irq softirq steal
    let ticks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    // SAFETY: sysconf reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / per_second)
}

/// Runs gilfree with `args`, stdout and stderr to files, and returns its
/// output and the CPU time its whole process tree used (its rusage from
/// `wait4`, which includes every descendant it waited for).
#[allow(
    clippy::zombie_processes,
    reason = "wait4 reaps the child; std cannot give its rusage"
)]
fn gilfree_with_rusage(args: &[&str], name: &str) -> (std::process::Output, Duration) {
    let dir = scratch(name);
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(args)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let (mut status, mut usage) = (0, std::mem::MaybeUninit::<libc::rusage>::zeroed());
    // SAFETY: waits for our own child, whose pid std handed back and has not
    // reaped; `status` and `usage` are valid for writes.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(
        pid,
        child.id() as i32,
        "{}",
        std::io::Error::last_os_error()
    );
    // SAFETY: wait4 succeeded, so it filled `usage`.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let output = std::process::Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: std::fs::read(&out).unwrap(),
        stderr: std::fs::read(&err).unwrap(),
    };
    (output, time(usage.ru_utime) + time(usage.ru_stime))
}

/// A run's own work — its worker threads and forked processes, and what
/// it does around them, such as unmapping the buffer its numbers came back
/// in — is counted as its own, never as other programs, on a quiet machine
/// or a busy one. The oracle is independent of gilfree's sampler: the
/// machine's busy time over gilfree's whole life (/proc/stat) minus the CPU
/// time the kernel charged gilfree's process tree (`wait4`) is what
/// everything else used, and the other programs gilfree reports during its
/// runs can be no more than that. Other programs running meanwhile, such as
/// the tests beside this one, only widen the margin; so the test needs no
/// quiet machine. Where the machine was quiet throughout, it also checks
/// that no row is called contended.
fn own_work_is_never_counted_as_other_programs(args: &[&str], name: &str) {
    let before = machine_busy();
    let (output, own) = gilfree_with_rusage(args, name);
    let others_meanwhile = machine_busy().saturating_sub(before).saturating_sub(own);
    assert!(output.status.success(), "{}", stderr(&output));
    let export = export_of(&output);
    let runs: Vec<_> = export.results.iter().flat_map(|r| &r.runs).collect();
    let contention: Vec<_> = runs
        .iter()
        .map(|run| run.contention.as_ref().expect("sampled"))
        .collect();
    let reported: f64 = contention.iter().map(|c| c.others_cpu).sum();
    // /proc/stat's tick puts an error of standard deviation `resolution`
    // into each run's figure (gilfree's own estimate), and as much into the
    // oracle's; a run's figure is never below 0, which biases the sum up by
    // at most 0.4 σ a run. Four standard deviations and that bias.
    let variance: f64 = contention.iter().map(|c| c.resolution.powi(2)).sum::<f64>()
        + contention[0].resolution.powi(2);
    let bias: f64 = contention.iter().map(|c| 0.4 * c.resolution).sum();
    let tolerance = 4.0 * variance.sqrt() + bias;
    assert!(
        reported <= others_meanwhile.as_secs_f64() + tolerance,
        "{args:?}: gilfree reported {reported:.3} s of other programs during its runs, but \
         everything other than its process tree used only {:.3} s over its whole life (its \
         own: {:.3} s; tolerance {tolerance:.3} s): {}",
        others_meanwhile.as_secs_f64(),
        own.as_secs_f64(),
        stderr(&output)
    );
    if others_meanwhile.as_secs_f64() < tolerance {
        let text = stderr(&output);
        assert!(!text.contains("other programs took"), "{text}");
        for r in &export.results {
            assert!(!r.contended, "{}: {text}", r.backend);
        }
    }
}

/// The workers' CPU time, seconds of it in either build, is the run's own:
/// were the forked workers' read as another program's, the reported figure
/// would exceed the oracle by their CPU time.
#[test]
fn a_runs_own_workers_are_never_counted_as_other_programs() {
    let count = if cfg!(debug_assertions) { "100M" } else { "2G" };
    own_work_is_never_counted_as_other_programs(
        &[
            "-b",
            "threads,process",
            "-n",
            count,
            "-w",
            "2",
            "--runs",
            "2",
            "--seed",
            "1",
            "--export-json",
            "-",
        ],
        "readings-own-workers",
    );
}

/// Handing the numbers back: the buffer they came back in is mapped before
/// the run and unmapped after it (tens of ms for hundreds of MB), and that
/// is the run's own work too, not another program's.
#[test]
fn the_memory_a_run_hands_its_numbers_back_in_is_its_own_work() {
    let count = if cfg!(debug_assertions) { "150M" } else { "1G" };
    own_work_is_never_counted_as_other_programs(
        &[
            "-b",
            "threads,process,process-shared",
            "--return",
            "numbers",
            "-n",
            count,
            "-w",
            "2",
            "--runs",
            "2",
            "--seed",
            "1",
            "--export-json",
            "-",
        ],
        "readings-own-buffers",
    );
}

#[test]
fn the_sampler_can_be_turned_off() {
    let output = gilfree(&[
        "-b",
        "threads",
        "-n",
        "100k",
        "--runs",
        "2",
        "--seed",
        "1",
        "--no-sampler",
        "--export-json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let export = export_of(&output);
    for r in &export.results {
        assert_eq!(r.others_cores, None);
        assert!(r.runs.iter().all(|run| run.contention.is_none()));
    }
    let row = stderr(&output)
        .lines()
        .find(|l| l.starts_with("threads "))
        .unwrap()
        .to_owned();
    assert!(row.contains(" — "), "{row}");
}

/// A stand-in interpreter: answers gilfree's probe as told, and runs the
/// programs with the real python3.
fn fake_interpreter(name: &str, gil_enabled: bool, free_threaded: bool) -> Option<String> {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return None;
    }
    // A directory of its own: scratch() empties it, and tests run at once.
    let path = scratch(&format!("readings-interpreter-{name}")).join("python3");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = -c ]; then echo '{{\"version\": \"3.13.1\", \"implementation\": \"cpython\", \
             \"gil_enabled\": {gil_enabled}, \"free_threaded_build\": {free_threaded}}}'; exit 0; fi\n\
             exec python3 \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    Some(path.to_str().unwrap().to_owned())
}

fn python_explained(interpreter: &str) -> (String, JsonExport) {
    let output = gilfree(&[
        "--python",
        interpreter,
        "--rng",
        "python",
        "-b",
        "threads",
        "-w",
        "4",
        "-n",
        "50k",
        "--runs",
        "3",
        "--warmup",
        "0",
        "--seed",
        "2015",
        "--explain",
        // Other tests load the machine; the sentences on the GIL are what
        // is tested here.
        "--no-sampler",
        "--export-json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    (stderr(&output), export_of(&output))
}

#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn the_interpreters_own_report_of_its_gil_decides_the_sentence() {
    let Some(enabled) = fake_interpreter("gil-enabled", true, false) else {
        return;
    };
    let (text, export) = python_explained(&enabled);
    let line = text
        .lines()
        .find(|l| l.starts_with("- python-threads"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("CPython's GIL — enabled, as the interpreter reports"),
        "{line}"
    );
    assert!(line.contains(" python-sequential"), "{line}");
    assert!(text.contains("GIL enabled; its programs"), "{text}");
    let interpreter = export.interpreter.clone().unwrap();
    assert!(interpreter.gil_enabled && !interpreter.free_threaded_build);
    let threads = export.result("python-threads").unwrap();
    assert_eq!(
        (threads.language.as_str(), threads.baseline.as_str()),
        ("python", "python-sequential")
    );

    // The same CPython, reporting the GIL off: no GIL sentence, and the
    // turns it still takes (or the one core it still shows) are not blamed
    // on a GIL: the sentence says the interpreter reports it disabled.
    let disabled = fake_interpreter("gil-disabled", false, true).unwrap();
    let (text, export) = python_explained(&disabled);
    let line = text
        .lines()
        .find(|l| l.starts_with("- python-threads"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("although the interpreter reports the GIL disabled")
            || line.contains("with the GIL disabled"),
        "{line}"
    );
    assert!(!line.contains("CPython's GIL"), "{line}");
    assert!(
        text.contains("GIL disabled (free-threaded build)"),
        "{text}"
    );
    assert!(export.interpreter.unwrap().free_threaded_build);
}

#[test]
#[ignore = "long (CPython): CI runs it in its own step (.ci/run)"]
fn python_rows_are_read_against_python_sequential_in_table_summary_and_export() {
    let Some(python) = fake_interpreter("plain", true, false) else {
        return;
    };
    let (text, export) = python_explained(&python);
    let sequential = export.result("python-sequential").unwrap();
    assert_eq!(sequential.speedup, Some(1.0));
    let processes = export.result("python-processes").unwrap();
    let expected = sequential.median / processes.median;
    assert!((processes.speedup.unwrap() - expected).abs() < 1e-9);
    assert!(
        text.contains(&format!(
            "python-processes ran {:.2}× {} than python-sequential",
            if expected >= 1.0 {
                expected
            } else {
                1.0 / expected
            },
            if expected >= 1.0 { "faster" } else { "slower" },
        )),
        "{text}"
    );
    // The cross-language ratios stay, labelled.
    assert!(text.contains("CPython side by side"), "{text}");
}

/// An export of `gilfree -b threads` with `times` as the threads row's runs.
fn export_with_times(base: &JsonExport, times: &[f64]) -> JsonExport {
    let mut export = base.clone();
    for r in &mut export.results {
        let template = r.runs[0].clone();
        r.times = times.to_vec();
        r.runs = times
            .iter()
            .map(|&wall| {
                let mut run = template.clone();
                run.wall = wall;
                run
            })
            .collect();
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        r.median = (sorted[(sorted.len() - 1) / 2] + sorted[sorted.len() / 2]) / 2.0;
        r.min = sorted[0];
        r.max = sorted[sorted.len() - 1];
    }
    export
}

/// 20 run times drawn from one skewed distribution (a fixed seed): a
/// floor and a long tail, as run times are.
fn skewed_times(seed: u64, scale: f64) -> Vec<f64> {
    let mut state = seed;
    (0..20)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            scale * (1.0 - 0.05 * u.max(1e-12).ln())
        })
        .collect()
}

fn compare_verdict(old: &JsonExport, new: &JsonExport, name: &str) -> String {
    let dir = scratch("readings-compare");
    let (a, b) = (
        dir.join(format!("{name}-old.json")),
        dir.join(format!("{name}-new.json")),
    );
    std::fs::write(&a, serde_json::to_vec(old).unwrap()).unwrap();
    std::fs::write(&b, serde_json::to_vec(new).unwrap()).unwrap();
    let output = gilfree(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    out.lines()
        .find(|l| l.starts_with("threads "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}

#[test]
fn compare_says_tilde_for_one_distribution_and_names_a_ten_percent_shift() {
    let output = gilfree(&[
        "-b",
        "threads",
        "-w",
        "2",
        "-n",
        "10k",
        "--runs",
        "1",
        "--seed",
        "5",
        "--no-sampler",
        "--export-json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let base = export_of(&output);
    let old = export_with_times(&base, &skewed_times(1, 1.0));
    // The same distribution, other draws.
    let same = export_with_times(&base, &skewed_times(2, 1.0));
    let line = compare_verdict(&old, &same, "same");
    assert!(line.contains(" ~  p="), "{line}");
    assert!(line.contains("n=20+20"), "{line}");
    // The same runs in another order: nothing at all changed.
    let mut shuffled = skewed_times(1, 1.0);
    shuffled.reverse();
    let line = compare_verdict(&old, &export_with_times(&base, &shuffled), "shuffled");
    assert!(line.contains(" ~  p=1.000 n=20+20"), "{line}");
    // 10 % slower, and 10 % faster.
    let line = compare_verdict(
        &old,
        &export_with_times(&base, &skewed_times(3, 1.1)),
        "slower",
    );
    let p: f64 = line
        .split("p=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map_or(0.0, |p| p.parse().unwrap_or(0.0));
    assert!(line.contains("× slower  p"), "{line}");
    assert!(line.contains("p<0.001") || p < 0.05, "{line}");
    let line = compare_verdict(
        &old,
        &export_with_times(&base, &skewed_times(4, 0.9)),
        "faster",
    );
    assert!(line.contains("× faster  p"), "{line}");
    // Three runs a side can never reach p < 0.05, however far apart.
    let line = compare_verdict(
        &export_with_times(&base, &[1.0, 1.01, 1.02]),
        &export_with_times(&base, &[2.0, 2.01, 2.02]),
        "few",
    );
    assert!(line.contains("too few runs  n=3+3"), "{line}");
}

#[test]
fn compare_reads_a_version_1_export_with_its_speedups_read_per_language() {
    // Written by gilfree at commit c4b6e76 (schema 1):
    // gilfree --python --rng python -w 4 -n 100k --runs 3 --seed 2015
    //   -b threads,process --export-json export-v1.json
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/export-v1.json");
    let export = json::read(&std::fs::read(fixture).unwrap()).unwrap();
    assert_eq!(export.schema_version, 1);
    assert_eq!(export.plan.min_runs, 3);
    assert_eq!(export.plan.max_runs, 3);
    let sequential = export.result("python-sequential").unwrap();
    let threads = export.result("python-threads").unwrap();
    assert_eq!(threads.baseline, "python-sequential");
    let expected = sequential.median / threads.median;
    assert!((threads.speedup.unwrap() - expected).abs() < 1e-12);
    // Version 1 had read it against Rust's sequential: about 0.01×.
    assert!(threads.speedup.unwrap() > 0.5, "{:?}", threads.speedup);
    let output = gilfree(&["compare", fixture, fixture]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    let line = out
        .lines()
        .find(|l| l.starts_with("python-threads"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(" ~  p=1.000 n=3+3") || line.contains("too few runs"),
        "{line}"
    );
}

#[test]
fn compare_reads_a_version_2_export_beside_a_version_3_one() {
    // Written by gilfree at commit 0ed9fd5 (schema 2, before the time
    // accounting):
    // gilfree --python python3 --rng python -w 4 -n 100k --runs 3 --seed 2015
    //   -b threads,process --export-json export-v2.json
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/export-v2.json");
    let old = json::read(&std::fs::read(fixture).unwrap()).unwrap();
    assert_eq!(old.schema_version, 2);
    for row in &old.results {
        assert_eq!(row.time_accounting, None, "{}", row.backend);
        assert!(row.runs.iter().all(|r| r.time_accounting.is_none()));
    }
    let dir = scratch("compare-v2");
    let new = dir.join("new.json");
    let new = new.to_str().unwrap();
    let output = gilfree(&[
        "-w",
        "4",
        "-n",
        "100k",
        "--runs",
        "3",
        "--seed",
        "2015",
        "-b",
        "threads,process",
        "--export-json",
        new,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let export = json::read(&std::fs::read(new).unwrap()).unwrap();
    assert_eq!(export.schema_version, 3);
    assert!(export.result("threads").unwrap().time_accounting.is_some());
    let output = gilfree(&["compare", fixture, new]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    // The rows both files share are set side by side.
    for name in ["sequential", "threads", "process"] {
        assert!(out.lines().any(|l| l.starts_with(name)), "{name}:\n{out}");
    }
}

#[test]
fn runs_continue_until_the_medians_are_known_and_the_options_are_checked() {
    // A plan that is not exact reports how many runs each backend took.
    let output = gilfree(&[
        "-b",
        "threads",
        "-w",
        "2",
        "-n",
        "200k",
        "--min-runs",
        "3",
        "--max-runs",
        "7",
        "--seed",
        "1",
        "--export-json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let export = export_of(&output);
    assert_eq!((export.plan.min_runs, export.plan.max_runs), (3, 7));
    assert_eq!(export.plan.precision, Some(0.02));
    for r in &export.results {
        // 95 % from order statistics needs 6 runs: never fewer than that,
        // unless --max-runs stops it.
        assert!(
            (6..=7).contains(&r.runs.len()),
            "{}: {}",
            r.backend,
            r.runs.len()
        );
    }
    assert!(
        stderr(&output).contains(", of 3–7 (until each median is known to ±2% at 95% confidence)"),
        "{}",
        stderr(&output)
    );
    for (args, message) in [
        (
            &["--runs", "3", "--min-runs", "2"][..],
            "cannot be used with",
        ),
        (&["--min-runs", "0"][..], "min-runs = 0"),
        (
            &["--min-runs", "8", "--max-runs", "4"][..],
            "max-runs = 4: it must be at least --min-runs",
        ),
        (&["--max-runs", "10001"][..], "at most 10000"),
    ] {
        let output = gilfree(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn a_sweep_shows_other_programs_per_point() {
    let output = gilfree(&[
        "sweep", "-b", "threads", "-n", "2M", "-w", "1,2", "--runs", "2", "--seed", "1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    let header = out
        .lines()
        .find(|l| l.starts_with("workers"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(header.ends_with("others"), "{header}");
    assert!(
        out.contains("others = cores other programs kept busy"),
        "{out}"
    );
}
