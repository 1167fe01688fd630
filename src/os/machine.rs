//! Facts about the machine, for the header of a report and its exports.

/// The processor's model name, where the platform says (`/proc/cpuinfo` on
/// Linux).
pub(crate) fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        // x86 says "model name"; some ARM kernels say "Model" or "Hardware".
        matches!(key, "model name" | "Model" | "Hardware" | "cpu model")
            .then(|| value.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|v| !v.is_empty())
    })
}

/// This machine's boot id (`/proc/sys/kernel/random/boot_id`): processes
/// that read the same one run on one kernel — they share its
/// `CLOCK_MONOTONIC` and its cores, whatever their host names.
pub(crate) fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

/// The operating system kernel's name, release and version, as `uname -srv`
/// prints them.
pub(crate) fn os_kernel() -> Option<String> {
    let uts = nix::sys::utsname::uname().ok()?;
    Some(format!(
        "{} {} {}",
        uts.sysname().to_string_lossy(),
        uts.release().to_string_lossy(),
        uts.version().to_string_lossy()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_machine_describes_itself() {
        assert!(os_kernel().unwrap().starts_with("Linux "));
        assert!(!cpu_model().unwrap_or_else(|| "x".to_owned()).is_empty());
    }
}
