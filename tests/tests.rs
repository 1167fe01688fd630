//! Integration tests: one binary, a module per area (as ripgrep's `tests/`).
//!
//! Some assertions are only exact in a process where no other test runs —
//! no child left (`waitpid(-1)`), open fds, threads, the process's CPU time —
//! so those tests run their body alone, in a fresh process of this binary
//! (`alone!`): the `#[test]` re-runs the binary with a filter that selects
//! only the body, an `#[ignore]`d test that does nothing unless the
//! environment says it runs alone.

use std::process::Command;

/// Set in the environment of a body running alone.
pub(crate) const ALONE: &str = "GILFREE_TEST_ALONE";

/// A `#[test]` that runs `$body` alone in a fresh process (see the module docs).
macro_rules! alone {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::run_alone(module_path!(), stringify!($name));
        }

        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            #[ignore = "the body of a test that runs alone, through run_alone()"]
            fn body() {
                if std::env::var_os($crate::ALONE).is_none() {
                    return;
                }
                $body
            }
        }
    };
}

/// Runs the body of the `alone!` test `name` of module `module` (as
/// `module_path!()` gives it) in a fresh process of this test binary.
pub(crate) fn run_alone(module: &str, name: &str) {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    let filter = &format!("{module}::{name}::body");
    let output = Command::new(std::env::current_exe().unwrap())
        .args([filter, "--exact", "--ignored", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && out.contains("1 passed"),
        "{filter} failed when run alone:\n{out}\n{err}"
    );
}

mod accounting;
mod allocation;
mod backends;
mod browser;
mod chaos;
mod classroom;
mod cli;
mod compare;
mod driver;
mod export;
mod fuzz;
mod gil;
mod hardening;
mod layers;
mod lesson;
#[cfg(feature = "mpi")]
mod mpi;
mod oracle;
mod outputs;
mod pictures;
mod python;
mod python_rows;
mod readings;
mod robustness;
mod transfer;
