//! This process's peak resident memory, reset before each measured run, and
//! the memory still available to it.

use super::signal_safe::{Who, resource_usage};

/// Resets this process's peak resident set size to its current size, so that
/// the next `ru_maxrss` reading shows the peak of what ran in between.
/// Returns whether the platform allowed it (Linux ≥ 4.0 does, through
/// `/proc/self/clear_refs`); elsewhere the peak stays a high-water mark over
/// the process's whole life.
pub(crate) fn reset_peak_rss() -> bool {
    #[cfg(target_os = "linux")]
    {
        std::fs::write("/proc/self/clear_refs", b"5").is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// This process's peak resident set size, in bytes, as the peak that
/// [`reset_peak_rss`] resets: `VmHWM` from `/proc/self/status` on Linux.
/// `ru_maxrss` is not used there because it also keeps the peak of the
/// address space the process had before `exec` — for a program started by a
/// large process, the parent's size at `fork`.
pub(crate) fn self_peak_rss_bytes() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let from_status = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
                let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kb * 1024)
            });
        if let Some(bytes) = from_status {
            return bytes;
        }
    }
    resource_usage(Who::SelfProcess).max_rss_bytes
}

/// The memory a run may still use, in bytes: the kernel's estimate of the
/// memory available without swapping (`MemAvailable` of `/proc/meminfo`),
/// and no more than the room left under this process's cgroup limit
/// (`memory.max` − `memory.current`, cgroup v2), where there is one.
/// `None` where neither can be read (another system).
pub(crate) fn available_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let available = meminfo_field(&meminfo, "MemAvailable:")?;
        Some(match cgroup_room() {
            Some(room) => available.min(room),
            None => available,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// A `/proc/meminfo` line's value, in bytes (the file says kB).
#[cfg(target_os = "linux")]
fn meminfo_field(meminfo: &str, field: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// The room left under this process's cgroup v2 memory limit, if it has one.
#[cfg(target_os = "linux")]
fn cgroup_room() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    // cgroup v2: the one line `0::/path`.
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?; // "max": no limit
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_resets_to_the_current_size() {
        // Touch 64 MB, free it, reset: the peak must fall well below it.
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        drop(big);
        assert!(self_peak_rss_bytes() >= 64 << 20);
        assert!(reset_peak_rss());
        assert!(self_peak_rss_bytes() < 64 << 20);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_available_memory_is_some_and_below_the_total() {
        let available = available_bytes().expect("Linux has /proc/meminfo");
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let total = meminfo_field(&meminfo, "MemTotal:").unwrap();
        assert!(available > 0 && available <= total, "{available} {total}");
    }
}
