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

/// The logical CPUs process `pid` may run on (its affinity mask), where the
/// platform says.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) fn cpus_of(pid: libc::pid_t) -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: cpu_set_t is plain data, valid when zeroed.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid cpu_set_t of the size given.
        let rc = unsafe {
            libc::sched_getaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &mut set)
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: `set` was filled by sched_getaffinity.
        let count = unsafe { libc::CPU_COUNT(&set) };
        usize::try_from(count).ok().filter(|&n| n > 0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
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
    fn a_processs_cpus_are_its_allowed_list() {
        // The kernel's own account: "Cpus_allowed_list:\t0-1,4".
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim();
        let allowed: usize = list
            .split(',')
            .map(|part| match part.split_once('-') {
                Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
                None => 1,
            })
            .sum();
        assert_eq!(cpus_of(0), Some(allowed));
        assert_eq!(cpus_of(-1), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_machine_describes_itself() {
        assert!(os_kernel().unwrap().starts_with("Linux "));
        assert!(!cpu_model().unwrap_or_else(|| "x".to_owned()).is_empty());
    }
}
