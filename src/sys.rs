//! Thin wrappers over the clocks and counters that the measurements rest on.
//!
//! Everything here is a single system call with no allocation and no lock, so
//! the forked children of the process backend may call it: `clock_gettime`,
//! `getpid` and `getrusage` are async-signal-safe, and `gettid` and
//! `sched_getcpu` are lock-free system calls (or vDSO reads) on Linux.
//! Linux-only facilities have a fallback on other Unix systems.

use std::time::Duration;

/// Reads a clock, in nanoseconds. Clocks that cannot fail for a valid id.
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids passed here
    // (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID) exist on every supported
    // system, so the call cannot fail and `ts` is always written.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    debug_assert_eq!(rc, 0);
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Now on `CLOCK_MONOTONIC`, in nanoseconds since an arbitrary (boot-time) epoch.
///
/// The clock is system-wide: a forked child's readings line up with its parent's.
pub(crate) fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// The CPU time consumed so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`),
/// in nanoseconds. Unlike `RUSAGE_THREAD`, which moves in scheduler ticks, this
/// has nanosecond resolution.
pub(crate) fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU the calling thread is running on, when the platform says.
pub(crate) fn current_cpu() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu takes no arguments and only reads kernel state.
        let cpu = unsafe { libc::sched_getcpu() };
        u32::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The calling process's id.
pub(crate) fn process_id() -> u32 {
    std::process::id()
}

/// The calling thread's kernel id (Linux), or 0 where there is no such id.
pub(crate) fn thread_id() -> u32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments and cannot fail.
        let tid = unsafe { libc::gettid() };
        tid as u32
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// One reading of `getrusage(2)`: CPU time and peak resident memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResourceUsage {
    /// Time spent in user mode.
    pub user: Duration,
    /// Time spent in the kernel on the process's behalf.
    pub system: Duration,
    /// Peak resident set size (`ru_maxrss`), in bytes.
    pub max_rss_bytes: u64,
}

/// Whose resources to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// The calling process, all threads.
    SelfProcess,
    /// All children that have terminated and been waited for.
    Children,
}

/// Reads `getrusage(2)` for `who`.
pub(crate) fn resource_usage(who: Who) -> ResourceUsage {
    let who = match who {
        Who::SelfProcess => libc::RUSAGE_SELF,
        Who::Children => libc::RUSAGE_CHILDREN,
    };
    // SAFETY: rusage is plain old data, for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage and `who` a valid selector;
    // with those, getrusage cannot fail.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    debug_assert_eq!(rc, 0);
    ResourceUsage {
        user: timeval(usage.ru_utime),
        system: timeval(usage.ru_stime),
        max_rss_bytes: max_rss_bytes(usage.ru_maxrss as u64),
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// `ru_maxrss` is in kilobytes on Linux and the BSDs, in bytes on macOS.
pub(crate) fn max_rss_bytes(raw: u64) -> u64 {
    if cfg!(target_os = "macos") {
        raw
    } else {
        raw.saturating_mul(1024)
    }
}

/// A zero-filled buffer of `i64`s in an anonymous private memory mapping,
/// unmapped when dropped.
///
/// Materialized numbers live here rather than in a `Vec` for two reasons:
/// the pages go back to the kernel on drop (malloc keeps large freed blocks
/// resident and reuses them, which would make every later run's peak memory
/// look as large as the largest earlier one), and `mmap`/`munmap` are plain
/// system calls, safe to use in a forked child of a multi-threaded parent.
pub(crate) struct NumberBuffer {
    ptr: std::ptr::NonNull<i64>,
    count: usize,
}

impl NumberBuffer {
    /// Maps room for `count` numbers; `None` when the kernel refuses (not
    /// enough memory or address space).
    pub(crate) fn new(count: usize) -> Option<NumberBuffer> {
        if count == 0 {
            return Some(NumberBuffer {
                ptr: std::ptr::NonNull::dangling(),
                count: 0,
            });
        }
        let len = count.checked_mul(std::mem::size_of::<i64>())?;
        // SAFETY: an anonymous private mapping with no address hint touches
        // no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(NumberBuffer {
            ptr: std::ptr::NonNull::new(ptr.cast::<i64>())?,
            count,
        })
    }

    /// The numbers, all zero at first.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [i64] {
        // SAFETY: the mapping holds `count` i64s, is page-aligned (so aligned
        // for i64), zero-filled (valid i64s) and owned by `self` alone; for
        // count 0 a dangling, aligned pointer is valid for an empty slice.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.count) }
    }
}

impl Drop for NumberBuffer {
    fn drop(&mut self) {
        if self.count > 0 {
            // SAFETY: unmapping exactly the mapping `new` made, which nothing
            // refers to any more (slices borrowed from `self` have ended).
            unsafe {
                libc::munmap(
                    self.ptr.as_ptr().cast(),
                    self.count * std::mem::size_of::<i64>(),
                )
            };
        }
    }
}

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

/// A resource limit's soft value as text: a number, or `unlimited`.
pub(crate) fn limit_text(resource: LimitResource) -> String {
    match soft_limit(resource) {
        Some(n) => n.to_string(),
        None => "unlimited".to_owned(),
    }
}

/// The type `getrlimit` takes for its resource on this platform.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) type LimitResource = libc::__rlimit_resource_t;
/// The type `getrlimit` takes for its resource on this platform.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) type LimitResource = libc::c_int;

/// A resource limit's soft value; `None` for unlimited (or unreadable).
pub(crate) fn soft_limit(resource: LimitResource) -> Option<u64> {
    let limit = rlimit(resource)?;
    // rlim_t is u64 on Linux and macOS but i64 on the BSDs.
    #[allow(clippy::unnecessary_cast)]
    (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

/// `getrlimit(resource)`, or `None` if it fails.
fn rlimit(resource: LimitResource) -> Option<libc::rlimit> {
    // SAFETY: rlimit is plain old data, for which all-zero bytes are valid.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `limit` is a valid, writable rlimit.
    (unsafe { libc::getrlimit(resource, &mut limit) } == 0).then_some(limit)
}

/// Raises the soft limit on open files to the hard limit, as far as the
/// platform allows, and returns the new soft limit (`None`: unlimited).
/// Each forked worker holds a pipe open in the parent until it is collected.
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    if let Some(limit) = rlimit(libc::RLIMIT_NOFILE).filter(|l| l.rlim_cur < l.rlim_max) {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit; raising the soft limit up to the
        // hard one is always permitted. A failure leaves the old limit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
    }
    soft_limit(libc::RLIMIT_NOFILE)
}

/// The number of file descriptors this process has open (Linux), or `None`.
pub(crate) fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count())
}

/// `kernel.pid_max` (Linux): the highest process or thread id, so also the
/// most processes and threads the whole system can have at once.
pub(crate) fn pid_max() -> Option<u64> {
    read_number("/proc/sys/kernel/pid_max")
}

/// `kernel.threads-max` (Linux): the most threads the system allows.
pub(crate) fn threads_max() -> Option<u64> {
    read_number("/proc/sys/kernel/threads-max")
}

/// `vm.max_map_count` (Linux): the most memory maps one process may have.
pub(crate) fn max_map_count() -> Option<u64> {
    read_number("/proc/sys/vm/max_map_count")
}

/// How many processes and threads exist on the system now (Linux: the
/// fourth field of `/proc/loadavg`, `running/total`).
pub(crate) fn system_tasks() -> Option<u64> {
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    loadavg
        .split_whitespace()
        .nth(3)?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

/// Whether this process runs as root (which `RLIMIT_NPROC` does not bind).
pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

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

/// The kernel's name, release and version, as `uname -srv` prints them.
pub(crate) fn kernel() -> Option<String> {
    // SAFETY: utsname is plain old data, for which all-zero bytes are valid.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return None;
    }
    let field = |chars: &[libc::c_char]| {
        let bytes: Vec<u8> = chars
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(format!(
        "{} {} {}",
        field(&uts.sysname),
        field(&uts.release),
        field(&uts.version)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_clock_never_goes_back() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(b >= a);
    }

    #[test]
    fn thread_cpu_time_grows_with_work() {
        let before = thread_cpu_ns();
        let mut x = 0u64;
        while thread_cpu_ns() - before < 2_000_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(thread_cpu_ns() - before >= 2_000_000);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn current_cpu_is_one_of_the_machines_cpus() {
        let cpu = current_cpu().expect("Linux reports the current CPU");
        // Allowed CPUs may be sparse; the id is below the configured count.
        // SAFETY: sysconf is always safe to call.
        let configured = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) };
        assert!(i64::from(cpu) < configured as i64);
    }

    #[test]
    fn self_usage_counts_this_processs_cpu() {
        let before = resource_usage(Who::SelfProcess);
        let start = thread_cpu_ns();
        let mut x = 0u64;
        while thread_cpu_ns() - start < 20_000_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = resource_usage(Who::SelfProcess);
        let cpu = (after.user + after.system) - (before.user + before.system);
        assert!(cpu >= Duration::from_millis(15), "{cpu:?}");
        assert!(after.max_rss_bytes > 0);
    }

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

    #[test]
    fn number_buffers_are_zeroed_writable_and_may_be_empty() {
        let mut buffer = NumberBuffer::new(1000).unwrap();
        assert!(buffer.as_mut_slice().iter().all(|&n| n == 0));
        buffer.as_mut_slice()[999] = -7;
        assert_eq!(buffer.as_mut_slice()[999], -7);
        assert!(NumberBuffer::new(0).unwrap().as_mut_slice().is_empty());
        assert!(NumberBuffer::new(usize::MAX / 4).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_machine_describes_itself() {
        assert!(kernel().unwrap().starts_with("Linux "));
        assert!(!cpu_model().unwrap_or_else(|| "x".to_owned()).is_empty());
    }
}
