//! The binary's side of gilfree: the command line ([`args`]), one file per
//! command ([`run`], [`sweep`], [`compare`]), and the signal handling that
//! ends the process ([`signals`]). Everything that measures, draws or
//! writes lives in the library; these files only connect it to the
//! command line and the terminal.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::{Backend, Error};

mod args;
mod compare;
mod run;
pub(crate) mod signals;
mod sweep;

pub(crate) use self::args::Cli;
use self::args::{Command, Common};

/// Parses the command line, or prints help, the version, or a one-line
/// error, and returns the exit code to end with (0, or 2 for bad input).
pub(crate) fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
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
        ExitCode::from(2)
    })
}

/// Runs the command the user asked for.
pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Compare { old, new }) => compare::compare(&old, &new),
        Some(Command::Sweep(args)) => sweep::sweep(args),
        None => run::run(cli.args),
    }
}

/// Erases the progress line, if one is being shown.
pub(crate) fn clear_progress_line() {
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

fn backend_options(common: &Common) -> BackendOptions {
    BackendOptions {
        rayon_threads: common.threads.unwrap_or_else(num_cpus::get),
        switch_interval: common.switch_interval,
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
