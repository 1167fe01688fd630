//! Integration tests: one binary, a module per area (as ripgrep's `tests/`).

mod backends;
mod cli;
mod compare;
mod driver;
mod export;
mod gil;
mod oracle;
mod robustness;
