//! The machine the measurements were taken on, as reports and exports
//! describe it.

use crate::os::machine as os_machine;

/// The machine the measurements were taken on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The processor's model name, or `"unknown"`.
    pub cpu_model: String,
    /// Logical cores (hardware threads) available to this process.
    pub logical_cores: usize,
    /// Physical cores.
    pub physical_cores: usize,
    /// The operating system, as Rust names it (`linux`, `macos`, …).
    pub os: String,
    /// The kernel's name, release and version (`uname -srv`), or `"unknown"`.
    pub kernel: String,
    /// The CPU architecture (`x86_64`, `aarch64`, …).
    pub arch: String,
}

impl Machine {
    /// Asks the operating system.
    pub fn detect() -> Machine {
        let unknown = || "unknown".to_owned();
        Machine {
            // Text from outside the program, escaped once, here, for every
            // output that shows it.
            cpu_model: os_machine::cpu_model()
                .map_or_else(unknown, |m| crate::text::escape_controls(&m)),
            logical_cores: num_cpus::get().max(1),
            physical_cores: num_cpus::get_physical().max(1),
            os: std::env::consts::OS.to_owned(),
            kernel: os_machine::os_kernel()
                .map_or_else(unknown, |k| crate::text::escape_controls(&k)),
            arch: std::env::consts::ARCH.to_owned(),
        }
    }
}
