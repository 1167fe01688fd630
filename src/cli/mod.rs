//! The binary's side of gilfree: the command line ([`args`]), one file per
//! command ([`run`], [`sweep`], [`compare`]), and the signal handling that
//! ends the process ([`signals`]). Everything that measures, draws or
//! writes lives in the library; these files only connect it to the
//! command line and the terminal.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::{Backend, Error, Simd};

mod args;
mod compare;
mod lesson;
#[cfg(feature = "mpi")]
mod mpi;
mod parse;
pub(crate) mod run;
pub(crate) mod signals;
mod sweep;

pub(crate) use self::args::Cli;
use self::args::{Command, Common};

/// The exit code of a process that wrote into a pipe whose reader had
/// gone: 128 + SIGPIPE, what a shell shows for a program SIGPIPE killed.
pub(crate) const EXIT_BROKEN_PIPE: u8 = 141;

/// Standard output's reader has gone (`gilfree … | head -1`). Not worth a
/// message: the program stops quietly with [`EXIT_BROKEN_PIPE`], as
/// coreutils do, once the file outputs of a completed run are written.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub(crate) struct StdoutClosed;

/// Writes `text` to standard output.
///
/// # Errors
/// [`StdoutClosed`] on a broken pipe; any other failure (a full disk) with
/// context.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(err) => Err(anyhow::Error::new(err).context("could not write to standard output")),
    }
}

/// Writes `text` to standard error, if it can: a message about a failure
/// must not itself fail (or panic) because standard error is closed.
pub(crate) fn eprint(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Whether `err` is a broken pipe on standard output (the report, or an
/// export written there); a broken pipe elsewhere (`--export-json >(cmd)`)
/// is a failure like any other.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<StdoutClosed>()
            || matches!(
                cause.downcast_ref::<Error>(),
                Some(Error::Write { path, source })
                    if source.kind() == io::ErrorKind::BrokenPipe
                        && path.as_os_str() == gilfree::output::STDOUT
            )
    })
}

/// Parses the command line, or prints help, the version, or a one-line
/// error, and returns the exit code to end with: 0 for help, 2 for bad
/// input, 1 when the help cannot be written, [`EXIT_BROKEN_PIPE`] when its
/// reader has gone.
pub(crate) fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        if matches!(
            err.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
        ) {
            return match print(&err.render().to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_BROKEN_PIPE),
                Err(err) => {
                    eprint(&format!("error: {err:#}\n"));
                    ExitCode::from(1)
                }
            };
        }
        // The help of the subcommand the user typed, if any: every
        // subcommand `gilfree --help` lists.
        let command = std::env::args()
            .nth(1)
            .filter(|word| {
                use clap::CommandFactory;
                Cli::command()
                    .get_subcommands()
                    .any(|sub| !sub.is_hide_set() && sub.get_name() == word)
            })
            .map_or_else(String::new, |word| format!(" {word}"));
        // clap quotes the argument as typed: each argument with a control
        // character in it is escaped where it is quoted, before the message
        // is cut to its first line (a newline in a value would cut it).
        let mut rendered = err.render().to_string();
        // (clap's plain rendering drops the other control characters and
        // terminal escape sequences itself, keeping CR, LF and tab.)
        for arg in std::env::args_os().skip(1) {
            let arg = arg.to_string_lossy();
            let shown: String = arg
                .chars()
                .filter(|&c| !c.is_control() || matches!(c, '\r' | '\n' | '\t'))
                .collect();
            if shown.contains(['\r', '\n']) {
                rendered = rendered.replace(&shown, &gilfree::text::escape_controls(&shown));
            }
        }
        eprint(&format!(
            "{} (see gilfree{command} --help)\n",
            gilfree::text::escape_controls(&one_line(&rendered))
        ));
        ExitCode::from(2)
    })
}

/// Runs the command the user asked for.
pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // A test build can be told to act as on a kernel without schedstat.
    #[cfg(feature = "fault-injection")]
    if std::env::var_os(gilfree::os::schedstat::HIDE_ENV_VAR).is_some() {
        gilfree::os::schedstat::hide(true);
    }
    match cli.command {
        Some(Command::Compare { old, new }) => compare::compare(&old, &new),
        Some(Command::Sweep(args)) => sweep::sweep(*args),
        Some(Command::Lesson(args)) => lesson::lesson(args),
        #[cfg(feature = "mpi")]
        Some(Command::MpiRank(args)) => mpi::rank(&args),
        #[cfg(feature = "mpi")]
        Some(Command::MpiLaunch { dir, launcher }) => {
            gilfree::backend::mpi::launch::supervise(&dir, &launcher).exit()
        }
        #[cfg(feature = "mpi")]
        Some(Command::MpiHost { dir, daemon }) => {
            gilfree::backend::mpi::launch::supervise_host(&dir, &daemon).exit()
        }
        None => run::run(cli.args),
    }
}

/// Whether this process is one of the mpi backend's own (a rank, or the
/// launcher's supervisor), which handle signals their own way: a rank keeps
/// the default actions, the supervisor waits for them itself.
pub(crate) fn is_mpi_process() -> bool {
    #[cfg(feature = "mpi")]
    {
        use gilfree::backend::mpi::{HOST_SUBCOMMAND, LAUNCH_SUBCOMMAND, RANK_SUBCOMMAND};
        let first = std::env::args_os().nth(1);
        matches!(
            first.as_ref().and_then(|a| a.to_str()),
            Some(RANK_SUBCOMMAND | LAUNCH_SUBCOMMAND | HOST_SUBCOMMAND)
        )
    }
    #[cfg(not(feature = "mpi"))]
    false
}

/// The exit code of a command's outcome, with its error, if any, said in one
/// line: 2 for bad input, 1 for a failed run, [`EXIT_BROKEN_PIPE`] quietly
/// when standard output's reader has gone. An interrupted run waits for the
/// signal thread, which exits with the signal's code.
pub(crate) fn exit_code(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    let err = match outcome {
        Ok(code) => return code,
        Err(err) => err,
    };
    if matches!(err.downcast_ref::<Error>(), Some(Error::Interrupted { .. })) {
        // The signal thread is reaping the children and will exit with the
        // signal's code and message.
        loop {
            std::thread::park();
        }
    }
    if is_broken_pipe(&err) {
        return ExitCode::from(EXIT_BROKEN_PIPE);
    }
    // One line, whatever a path in it holds.
    let message = gilfree::text::escape_controls(&format!("{err:#}"));
    eprint(&format!("error: {message}\n"));
    let usage = err.downcast_ref::<Error>().is_some_and(Error::is_usage);
    ExitCode::from(if usage { 2 } else { 1 })
}

/// Erases the progress line, if one is being shown.
pub(crate) fn clear_progress_line() {
    if std::io::stderr().is_terminal() {
        eprint("\r\x1b[2K");
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
        return format!("{first} {}", items.join(", "));
    }
    // The valid values, where clap knows them (--rng, --scaling).
    match lines.find(|l| l.starts_with("[possible values:")) {
        Some(values) => format!("{first} {values}"),
        None => first.to_owned(),
    }
}

/// The seed given, or one drawn from the OS (and whether it was drawn).
fn seed_of(common: &Common) -> anyhow::Result<(u64, bool)> {
    use rand::TryRng;
    match common.seed {
        Some(seed) => Ok((seed, false)),
        None => Ok((
            rand::rngs::SysRng
                .try_next_u64()
                .context("could not draw a seed from the OS; pass --seed")?,
            true,
        )),
    }
}

/// The interpreter `--python` asks for: a named one must run the programs
/// (else exit 2); the default `python3` may be missing, which is a note and
/// no Python rows. A probe stopped by a signal is the signal's doing, not
/// the interpreter's.
fn interpreter_for(
    python: Option<&Option<String>>,
) -> Result<Option<gilfree::backend::python::Interpreter>, Error> {
    use gilfree::backend::python::Interpreter;
    let probe = |command: &str| {
        let probed = Interpreter::probe(command);
        match gilfree::os::children::interrupted() {
            Some(signal) => Err(Error::Interrupted {
                backend: "python",
                signal,
                name: gilfree::os::children::signal_name(signal),
            }),
            None => Ok(probed),
        }
    };
    match python {
        None => Ok(None),
        Some(Some(command)) => Ok(Some(probe(command)?.map_err(|problem| {
            Error::InvalidInterpreter {
                command: command.clone(),
                problem,
            }
        })?)),
        Some(None) => match probe("python3")? {
            Ok(interpreter) => Ok(Some(interpreter)),
            Err(problem) => {
                eprint(&format!(
                    "note: python3 cannot run the Python rows ({}); they are skipped \
                     (name an interpreter with --python PATH)\n",
                    gilfree::text::escape_controls(&problem)
                ));
                Ok(None)
            }
        },
    }
}

/// The environment variable that forces a SIMD path.
const SIMD_VARIABLE: &str = "GILFREE_SIMD";

/// The SIMD path `GILFREE_SIMD` forces: `None` when it is unset, empty or
/// `auto` (the widest the CPU has).
///
/// # Errors
/// [`Error::InvalidOption`] (exit 2) for an unknown value or a path this
/// CPU does not support: never another path than the one asked for.
fn simd_of_env() -> Result<Option<Simd>, Error> {
    let Some(value) = std::env::var_os(SIMD_VARIABLE) else {
        return Ok(None);
    };
    let invalid = |reason| Error::InvalidOption {
        option: SIMD_VARIABLE,
        value: value.to_string_lossy().into_owned(),
        reason,
    };
    match value.to_str() {
        Some("" | "auto") => Ok(None),
        Some(name) => match Simd::from_name(name) {
            Some(simd) if simd.is_supported() => Ok(Some(simd)),
            Some(_) => Err(invalid(
                "this CPU does not support that path (auto, or no GILFREE_SIMD, takes the widest it has)",
            )),
            None => Err(invalid("expected scalar, avx2, avx512 or auto")),
        },
        None => Err(invalid("expected scalar, avx2, avx512 or auto")),
    }
}

/// The kinds named on the command line, and the backends built from them.
type Built = (Vec<BackendKind>, Vec<Box<dyn Backend>>);

/// The backends named, deduplicated, in report order.
fn build_backends(named: Vec<Vec<BackendKind>>, options: &BackendOptions) -> Result<Built, Error> {
    let mut kinds: Vec<BackendKind> = named.into_iter().flatten().collect();
    kinds.sort();
    kinds.dedup();
    let built = kinds
        .iter()
        .map(|kind| kind.build(options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((kinds, built))
}

/// The backends' options from the command line.
///
/// # Errors
/// [`Error::InvalidOption`] for `--mpirun` with `--launcher srun`.
fn backend_options(common: &Common) -> Result<BackendOptions, Error> {
    #[cfg(feature = "mpi")]
    if common.launcher == parse::LauncherKind::Srun
        && let Some(mpirun) = &common.mpirun
    {
        return Err(Error::InvalidOption {
            option: "mpirun",
            value: mpirun.0.join(" "),
            reason: "--launcher srun builds its own srun command: drop --mpirun, or use --launcher mpirun",
        });
    }
    Ok(BackendOptions {
        rayon_threads: common.threads.unwrap_or_else(num_cpus::get),
        switch_interval: common.switch_interval,
        #[cfg(feature = "mpi")]
        mpi: gilfree::backend::MpiOptions {
            launcher: match common.launcher {
                parse::LauncherKind::Mpirun => gilfree::backend::mpi::Launcher::Mpirun(
                    common
                        .mpirun
                        .as_ref()
                        .map_or_else(|| vec!["mpirun".to_owned()], |words| words.0.clone()),
                ),
                parse::LauncherKind::Srun => gilfree::backend::mpi::Launcher::Srun,
            },
            hostfile: common.hostfile.clone(),
            program: None,
            launch_timeout: common.launch_timeout,
            // A bad GILFREE_SIMD is refused by the command itself.
            simd: simd_of_env().ok().flatten(),
        },
    })
}

/// Shows a driver's progress on `bar`: which backend, which run of how
/// many (`≤` when a plan that is not exact may stop sooner).
fn show_progress<'a>(
    bar: &'a indicatif::ProgressBar,
    plan: &'a gilfree::Plan,
) -> impl FnMut(gilfree::measure::Progress) + 'a {
    move |event| {
        if let gilfree::measure::Progress::Run {
            backend,
            index,
            of,
            warmup,
        } = event
        {
            let kind = if warmup { "warm-up" } else { "run" };
            let most = if warmup || plan.is_exact() { "" } else { "≤" };
            bar.set_message(format!("{backend} {kind} {index}/{most}{of}"));
            bar.inc(1);
        }
    }
}

/// A progress bar on stderr while runs go on; hidden when stderr is not a
/// terminal.
fn progress_bar(runs: u64, prefix: &'static str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(runs);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} runs {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix);
    bar
}
