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
    if let Err(err) = cli::signals::exit_cleanly_on_signals(cli::clear_progress_line) {
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
        Err(code) => return code,
    };
    match cli::dispatch(cli) {
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
            if cli::is_broken_pipe(&err) {
                return ExitCode::from(cli::EXIT_BROKEN_PIPE);
            }
            cli::eprint(&format!("error: {err:#}\n"));
            let usage = err
                .downcast_ref::<gilfree::Error>()
                .is_some_and(gilfree::Error::is_usage);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
