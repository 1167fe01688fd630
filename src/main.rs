//! The `gilfree` command: set up signals and the panic hook, parse the
//! arguments, run the command, and turn its outcome into an exit code.
//!
//! Exit codes: 0 success, 1 a run failed (a worker died, sums disagreed),
//! 2 the arguments were wrong. The commands live in `cli/`, one file each.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    // First, before any thread exists: every later thread and forked worker
    // inherits the blocked signals, and one thread handles them.
    // (Not in the mpi backend's own processes, which handle them their way.)
    if cli::is_mpi_process() {
    } else if let Err(err) = cli::signals::exit_cleanly_on_signals(cli::clear_progress_line) {
        cli::eprint(&format!("error: could not set up signal handling: {err}\n"));
        return ExitCode::from(1);
    }
    // A worker's panic is reported as an error naming the worker; the default
    // hook would print it a second time, out of order.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !gilfree::worker::in_worker() {
            default_hook(info);
        }
    }));
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return cli::signals::finish(code),
    };
    let code = cli::exit_code(cli::dispatch(cli));
    // Unless a signal is being handled, which then sets the exit code.
    cli::signals::finish(code)
}
