//! This process's peak resident memory, reset before each measured run.

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
}
