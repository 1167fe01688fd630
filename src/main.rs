//! The `gilfree` command: parse the arguments, run the driver, print the report.
//!
//! Exit codes: 0 success, 1 a run failed (a worker died, sums disagreed),
//! 2 the arguments were wrong.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::driver::{Driver, Plan, Progress};
use gilfree::export::{ExportFormat, ExportManager};
use gilfree::{Backend, Generator, Workload, WorkloadSpec};

const COLUMNS_HELP: &str = "\
Columns of the table:
  backend     how the workers ran (--list-backends describes each)
  wall        median wall-clock time of the measured runs; 'wall min' is the fastest
  user, sys   median CPU time in user and kernel mode, of this process and of the
              child processes reaped during the run (so forked workers count)
  CPU         (user + sys) / wall, as a percentage of one core, as `time` prints it:
              100% = one core busy, 200% = two
  speedup     sequential median wall / this backend's median wall
  efficiency  speedup / min(workers able to run at once, logical cores); 100% = every
              usable core did useful work all the time
  numbers/s   workers × count / median wall
  sums        ✓ when every measured run gave every worker the same sum as the
              sequential baseline; otherwise ✗ and the exit code is 1; n/c for the
              Python rows when they draw other numbers (without --rng python)

Summary: 'X ran S ± e times faster than sequential', S the speedup, e its standard
deviation from both backends' spread of runs (1.4826 × median absolute deviation).
Memory: peak resident set size of this process during each backend's runs, and of
the largest worker process where workers are processes.

The sequential backend always runs: it is the baseline for speedup and the oracle
for the sums. The export formats are described in docs/export-schema.md.
Exit codes: 0 success, 1 a run failed (or compare found differing sums for the
same workload), 2 invalid arguments.";

/// Run the book's parallel-sum workload (8 workers × 1,000,000 random integers in
/// [1, 100], from "The Hacker's Guide to Python", chapter 11) on threads, channels,
/// rayon and forked processes, and measure how each scales against a sequential
/// baseline.
#[derive(Debug, Parser)]
#[command(
    name = "gilfree",
    version,
    about,
    after_long_help = COLUMNS_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    args: Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare two JSON exports (from --export-json): per backend, the ratio of
    /// median wall times new/old with its spread, both speedups, and every
    /// difference in workload, machine and version.
    Compare {
        /// The earlier export.
        #[arg(value_name = "OLD.json")]
        old: PathBuf,
        /// The later export.
        #[arg(value_name = "NEW.json")]
        new: PathBuf,
    },
    /// Run each backend over a list of worker counts and show how it scales:
    /// speedup against one worker, efficiency, CPU and the Karp–Flatt serial
    /// fraction, per backend; --plot draws speedup against workers.
    Sweep(SweepArgs),
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// Backends to sweep (names as for a run, or all).
    #[arg(short, long = "backend", value_name = "NAME", value_delimiter = ',', default_value = "gil,threads,channels,rayon,process", value_parser = parse_backends)]
    backends: Vec<Vec<BackendKind>>,

    /// Worker counts, comma-separated [default: 1, 2, 4, … up to twice the
    /// logical cores]. 1 is always measured: it is the reference.
    #[arg(short, long, value_name = "N,N,…", value_delimiter = ',')]
    workers: Vec<usize>,

    /// weak: each worker draws --count numbers (the book's setup); strong:
    /// --count numbers in all, divided among the workers.
    #[arg(long, value_enum, default_value = "weak")]
    scaling: ScalingArg,

    /// Numbers per worker (weak) or in all (strong); 20M, 20_000_000 …
    #[arg(short = 'n', long, default_value = "20M", value_name = "N", value_parser = parse_count)]
    count: u64,

    /// Measured runs per point; the tables show the median.
    #[arg(short, long, default_value_t = 3, value_name = "N")]
    runs: usize,

    /// Draw speedup against workers, a line per backend, as an SVG picture.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,

    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RngArg {
    Xoshiro,
    Python,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ScalingArg {
    Weak,
    Strong,
}

/// Options shared by a run and a sweep.
#[derive(Debug, clap::Args)]
struct Common {
    /// Smallest number that can be drawn (inclusive; may be negative).
    #[arg(
        long,
        default_value_t = 1,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    low: i64,

    /// Largest number that can be drawn (inclusive; may be negative).
    #[arg(
        long,
        default_value_t = 100,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    high: i64,

    /// Seed of every worker's stream. Without it a seed is drawn from the OS
    /// and printed, so that the run can be repeated exactly.
    #[arg(short, long, allow_negative_numbers = true, value_name = "U64")]
    seed: Option<u64>,

    /// Unmeasured warm-up runs per backend before the measured ones.
    #[arg(
        long,
        default_value_t = 1,
        allow_negative_numbers = true,
        value_name = "N"
    )]
    warmup: usize,

    /// Threads in the rayon pool [default: logical cores].
    #[arg(short, long, allow_negative_numbers = true, value_name = "N")]
    threads: Option<usize>,

    /// The generator: xoshiro (xoshiro256++, the fast default) or python
    /// (CPython's MT19937 and randint, bit for bit: worker i of seed s draws
    /// what random.Random((s << 32) + i).randint(low, high) draws).
    #[arg(long, value_enum, default_value = "xoshiro", value_name = "GENERATOR")]
    rng: RngArg,

    /// How often the gil backend's lock holder offers the lock to the waiting
    /// workers, like CPython's sys.setswitchinterval: 5ms, 500us, 0.01s (a bare
    /// number is milliseconds).
    #[arg(long, default_value = "5ms", value_name = "DURATION", value_parser = parse_interval)]
    switch_interval: std::time::Duration,

    /// Build each worker's numbers into a vector before summing them, as the
    /// book's list comprehension does (costs count × 8 bytes per worker).
    #[arg(long)]
    materialize: bool,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// Backends to run: sequential, threads, channels, rayon, process, or all.
    /// Repeat the flag or separate names with commas. The sequential baseline
    /// always runs too.
    #[arg(short, long = "backend", value_name = "NAME", value_delimiter = ',', default_value = "all", value_parser = parse_backends)]
    backends: Vec<Vec<BackendKind>>,

    /// Number of workers (threads or processes).
    #[arg(
        short,
        long,
        default_value_t = 8,
        allow_negative_numbers = true,
        value_name = "N"
    )]
    workers: usize,

    /// Numbers each worker draws and sums. Accepts 1000000, 1_000_000 or 1M
    /// (suffixes k, M, G).
    #[arg(short = 'n', long, default_value = "1_000_000", allow_negative_numbers = true, value_name = "N", value_parser = parse_count)]
    count: u64,

    #[command(flatten)]
    common: Common,

    /// Measured runs per backend; the table shows their median and minimum.
    #[arg(
        short,
        long,
        default_value_t = 5,
        allow_negative_numbers = true,
        value_name = "N"
    )]
    runs: usize,

    /// List the backends with a line on each, and exit.
    #[arg(long)]
    list_backends: bool,

    /// After the table, draw each backend's workers over time: when each
    /// computed, on which CPU (for gil, only while holding the lock).
    #[arg(long)]
    timeline: bool,

    /// Also run the book's programs in CPython (INTERPRETER, default python3)
    /// as three more rows: python-sequential, python-threads (listing 11-1)
    /// and python-processes (listing 11-2). With --rng python their sums must
    /// equal the Rust rows'; otherwise they are timed but not comparable.
    #[arg(long, value_name = "INTERPRETER", num_args = 0..=1, default_missing_value = "python3")]
    python: Option<String>,

    /// After the table, a few sentences that read this run's figures: what
    /// the CPU column shows, how far the speedups got, what blurs them.
    #[arg(long)]
    explain: bool,

    /// Write the timelines as an SVG picture to FILE.
    #[arg(long, value_name = "FILE")]
    timeline_svg: Option<PathBuf>,

    /// Write every measurement (per run and per worker) as JSON to FILE; `-`
    /// for standard output. `gilfree compare` reads these files.
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    export_json: Option<PathBuf>,

    /// Write one row per backend as CSV to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    export_csv: Option<PathBuf>,

    /// Write the table as Markdown to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", help_heading = "Export")]
    export_markdown: Option<PathBuf>,
}

fn parse_backends(value: &str) -> Result<Vec<BackendKind>, String> {
    if value.trim().eq_ignore_ascii_case("all") {
        return Ok(BackendKind::ALL.to_vec());
    }
    value
        .parse::<BackendKind>()
        .map(|kind| vec![kind])
        .map_err(|err| err.to_string())
}

/// A positive duration: a number with `s`, `ms`, `us` or `µs`, or bare
/// milliseconds.
fn parse_interval(value: &str) -> Result<std::time::Duration, String> {
    let invalid = || format!("'{value}' is not a duration; use 5ms, 500us or 0.005s");
    let trimmed = value.trim();
    let (number, scale) = if let Some(n) = trimmed.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = trimmed
        .strip_suffix("us")
        .or_else(|| trimmed.strip_suffix("µs"))
    {
        (n, 1e-6)
    } else if let Some(n) = trimmed.strip_suffix('s') {
        (n, 1.0)
    } else {
        (trimmed, 1e-3)
    };
    let seconds = number.trim().parse::<f64>().map_err(|_| invalid())? * scale;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!("'{value}': the switch interval must be positive"));
    }
    if seconds > 3600.0 {
        return Err(format!("'{value}': the switch interval is at most an hour"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds).max(std::time::Duration::from_nanos(1)))
}

/// A count: digits with optional `_` separators and an optional k/M/G suffix.
fn parse_count(value: &str) -> Result<u64, String> {
    let invalid =
        || format!("'{value}' is not a count; use a whole number like 1000000, 1_000_000 or 1M");
    let cleaned: String = value.trim().chars().filter(|&c| c != '_').collect();
    let (digits, multiplier) = match cleaned.char_indices().last() {
        Some((i, 'k' | 'K')) => (&cleaned[..i], 1_000),
        Some((i, 'M')) => (&cleaned[..i], 1_000_000),
        Some((i, 'G')) => (&cleaned[..i], 1_000_000_000),
        _ => (cleaned.as_str(), 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("'{value}' is larger than {}", u64::MAX))
}

fn main() -> ExitCode {
    // First, before any thread exists: every later thread and forked worker
    // inherits the blocked signals, and one thread handles them.
    if let Err(err) = gilfree::signals::exit_cleanly_on_signals(clear_progress_line) {
        eprintln!("error: could not set up signal handling: {err}");
        return ExitCode::from(1);
    }
    // A worker's panic is reported as an error naming the worker; the default
    // hook would print it a second time, out of order.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !gilfree::report::in_worker() {
            default_hook(info);
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "{} (see gilfree --help)",
                one_line(&err.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Some(Command::Compare { old, new }) => compare(&old, &new),
        Some(Command::Sweep(args)) => sweep(args),
        None => run(cli.args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            if matches!(
                err.downcast_ref::<gilfree::Error>(),
                Some(gilfree::Error::Interrupted { .. })
            ) {
                // The signal thread is reaping the children and will exit
                // with the signal's code and message.
                loop {
                    std::thread::park();
                }
            }
            eprintln!("error: {err:#}");
            let usage = err
                .downcast_ref::<gilfree::Error>()
                .is_some_and(gilfree::Error::is_usage);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// Erases the progress line, if one is being shown.
fn clear_progress_line() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// clap's message in one line: its first line names the flag and the
/// problem; a first line ending in ':' ("required arguments were not
/// provided:") takes the list below it.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("error: invalid arguments");
    if first.ends_with(':') {
        let items: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage:")).collect();
        format!("{first} {}", items.join(", "))
    } else {
        first.to_owned()
    }
}

fn compare(old: &Path, new: &Path) -> anyhow::Result<ExitCode> {
    let old_export = gilfree::compare::read_export(old)?;
    let new_export = gilfree::compare::read_export(new)?;
    let comparison = gilfree::compare::compare(
        &old_export,
        &old.display().to_string(),
        &new_export,
        &new.display().to_string(),
    );
    print!("{}", comparison.text);
    Ok(if comparison.sums_consistent {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl Common {
    /// The workload these options describe, with `workers`, `count` and `seed`.
    fn spec(&self, workers: usize, count: u64, seed: u64) -> WorkloadSpec {
        WorkloadSpec {
            workers,
            count,
            low: self.low,
            high: self.high,
            seed,
            materialize: self.materialize,
            generator: match self.rng {
                RngArg::Xoshiro => Generator::Xoshiro256PlusPlus,
                RngArg::Python => Generator::Python,
            },
        }
    }
}

/// The seed given, or one drawn from the OS (and whether it was drawn).
fn seed_of(common: &Common) -> anyhow::Result<(u64, bool)> {
    match common.seed {
        Some(seed) => Ok((seed, false)),
        None => Ok((
            getrandom::u64().context("could not draw a seed from the OS; pass --seed")?,
            true,
        )),
    }
}

/// The kinds named on the command line, and the backends built from them.
type Built = (Vec<BackendKind>, Vec<Box<dyn Backend>>);

/// The backends named, deduplicated, in report order.
fn build_backends(
    named: Vec<Vec<BackendKind>>,
    options: &BackendOptions,
) -> Result<Built, gilfree::Error> {
    let mut kinds: Vec<BackendKind> = named.into_iter().flatten().collect();
    kinds.sort();
    kinds.dedup();
    let built = kinds
        .iter()
        .map(|kind| kind.build(options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((kinds, built))
}

fn backend_options(common: &Common) -> BackendOptions {
    BackendOptions {
        rayon_threads: common.threads.unwrap_or_else(num_cpus::get),
        switch_interval: common.switch_interval,
    }
}

/// A progress bar on stderr while runs go on; hidden when stderr is not a
/// terminal.
fn progress_bar(runs: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(runs);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} runs {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    use gilfree::sweep::{self, Scaling, SweepPlan};
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
        .map_err(gilfree::Error::from)?;
    }
    Driver::new(
        Workload::new(plan.spec.clone()).map_err(gilfree::Error::from)?,
        plan.plan,
    )?;
    let (_, built) = build_backends(args.backends, &options)?;
    let backends: Vec<&dyn Backend> = built.iter().map(Box::as_ref).collect();
    let runs_per_point = (plan.plan.runs + plan.plan.warmup) * backends.len();
    let bar = progress_bar((runs_per_point * plan.workers.len()) as u64);
    bar.set_prefix("sweep");
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
    print!("{}", sweep::text(&result));
    if let Some(path) = &args.plot {
        sweep::plot(&result, path).map_err(|err| anyhow::anyhow!(err))?;
        println!("\nplot: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = backend_options(&args.common);
    if args.list_backends {
        for kind in BackendKind::ALL {
            let backend = kind.build(&options)?;
            println!("{:<12}{}", backend.name(), backend.description());
        }
        return Ok(ExitCode::SUCCESS);
    }

    let (seed, drawn_seed) = seed_of(&args.common)?;
    let workload = Workload::new(args.common.spec(args.workers, args.count, seed))
        .map_err(gilfree::Error::from)?;
    // A fault for the tests of failure handling (see gilfree::fault).
    let workload = match std::env::var(gilfree::fault::ENV_VAR).map(|spec| spec.parse()) {
        Ok(Ok(injection)) => workload.with_fault(injection),
        Ok(Err(message)) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
        Err(_) => workload,
    };
    let driver = Driver::new(
        workload,
        Plan {
            runs: args.runs,
            warmup: args.common.warmup,
        },
    )?;

    let requests: Vec<(ExportFormat, &Path)> = [
        (ExportFormat::Json, &args.export_json),
        (ExportFormat::Csv, &args.export_csv),
        (ExportFormat::Markdown, &args.export_markdown),
    ]
    .into_iter()
    .filter_map(|(format, path)| Some((format, path.as_deref()?)))
    .collect();
    // Checked now, so that a mistyped directory fails before a long run.
    let exports = ExportManager::new(&requests)?;

    let (kinds, backends) = match build_backends(args.backends, &options) {
        Ok(built) => built,
        Err(err) => {
            exports.abandon();
            return Err(err.into());
        }
    };
    let mut backends: Vec<&dyn Backend> = backends.iter().map(Box::as_ref).collect();
    let mut python_line = None;
    let python_backends = match &args.python {
        None => Vec::new(),
        Some(command) => match gilfree::backend::python::Interpreter::probe(command) {
            Some(interpreter) => {
                python_line = Some(format!(
                    "python:   {} {} ({}), GIL {}; its programs are in python/ of the gilfree sources\n",
                    if interpreter.implementation == "cpython" {
                        "CPython"
                    } else {
                        &interpreter.implementation
                    },
                    interpreter.version,
                    interpreter.command,
                    if interpreter.gil_enabled {
                        "enabled"
                    } else {
                        "disabled (free-threaded build)"
                    },
                ));
                gilfree::backend::python::PythonBackend::all(&interpreter)?
            }
            None => {
                eprintln!(
                    "note: no Python interpreter '{command}' answered; the python rows are skipped \
                     (give one with --python PATH)"
                );
                Vec::new()
            }
        },
    };
    backends.extend(python_backends.iter().map(|b| b as &dyn Backend));

    let with_baseline = backends.len() + usize::from(!kinds.contains(&BackendKind::Sequential));
    let bar = progress_bar(((args.runs + args.common.warmup) * with_baseline) as u64);
    bar.set_prefix("measuring");
    let report = driver.run_with_progress(&backends, |event| {
        if let Progress::Run {
            backend,
            index,
            of,
            warmup,
        } = event
        {
            let kind = if warmup { "warm-up" } else { "run" };
            bar.set_message(format!("{backend} {kind} {index}/{of}"));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let report = match report {
        Ok(report) => report,
        Err(err) => {
            exports.abandon();
            return Err(err.into());
        }
    };

    // With an export on standard output, the table goes to standard error so
    // that the two never mix.
    let mut text = String::new();
    if drawn_seed {
        text.push_str(&format!(
            "seed {seed} was drawn from the OS; repeat this run with --seed {seed}\n"
        ));
    }
    if let Some(line) = &python_line {
        text.push_str(line);
    }
    if kinds.contains(&BackendKind::Rayon) {
        text.push_str(&format!(
            "rayon:    a pool of {} threads (--threads)\n",
            options.rayon_threads
        ));
    }
    text.push_str(&gilfree::render::text(&report));
    if args.explain {
        text.push_str(&gilfree::render::explain(&report));
    }
    if args.timeline {
        text.push('\n');
        text.push_str(&gilfree::timeline::text(
            &report,
            gilfree::timeline::TEXT_WIDTH,
        ));
    }
    if exports.uses_stdout() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    exports.write(&report)?;
    if let Some(path) = &args.timeline_svg {
        gilfree::timeline::svg(&report, path).map_err(|err| anyhow::anyhow!(err))?;
    }
    report.verify()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn switch_intervals_take_a_unit() {
        use std::time::Duration;
        assert_eq!(parse_interval("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_interval("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_interval("0.01s"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_interval("2"), Ok(Duration::from_millis(2)));
        for bad in ["", "0", "-1ms", "fast", "1e400s", "NaNms", "2h"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_accept_separators_and_suffixes() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("10_000_000"), Ok(10_000_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("250k"), Ok(250_000));
        assert_eq!(parse_count("2G"), Ok(2_000_000_000));
        assert_eq!(parse_count("0"), Ok(0));
        for bad in ["", "M", "-5", "1.5M", "ten", "1e6"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        assert!(parse_count("99999999999999999999").is_err());
        assert!(parse_count("18446744073709551615G").is_err());
    }

    proptest! {
        /// Any command line, however wrong, parses or is refused by clap, and
        /// what parses is validated without a panic: the path every input
        /// takes before a run.
        #[test]
        fn no_command_line_makes_parsing_or_validation_panic(
            args in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        "-w", "--workers", "-n", "--count", "--low", "--high", "-s", "--seed",
                        "-r", "--runs", "--warmup", "-t", "--threads", "-b", "--backend",
                        "--materialize", "--export-json", "compare", "all", "rayon,process",
                        "0", "-1", "1", "8", "65536", "65537", "1M", "1_000", "9G", "1e6",
                        "18446744073709551615", "18446744073709551616", "-9223372036854775808",
                        "", " ", "x", "--", "-", "--count=", "--workers=-0",
                    ]).prop_map(str::to_owned),
                    "\\PC{0,12}",
                ],
                0..8,
            )
        ) {
            let argv = std::iter::once("gilfree".to_owned()).chain(args);
            if let Ok(Cli { command: None, args }) = Cli::try_parse_from(argv) {
                let seed = args.common.seed.unwrap_or(0);
                let _ = Workload::new(args.common.spec(args.workers, args.count, seed));
                let _ = Plan { runs: args.runs, warmup: args.common.warmup };
            }
        }

        /// Counts parse exactly when they are digits (with `_`) and an optional suffix.
        #[test]
        fn counts_never_panic_and_round_trip(n in proptest::num::u64::ANY, text in "\\PC{0,24}") {
            prop_assert_eq!(parse_count(&n.to_string()), Ok(n));
            let _ = parse_count(&text);
        }
    }

    #[test]
    fn the_argument_definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
