//! The system's limits on threads, processes and open files, read before a
//! run so that an impossible `--workers` is refused with the limit named.
//! Parent side only: these read `/proc` and allocate.

pub(crate) use nix::sys::resource::Resource;
use nix::sys::resource::{RLIM_INFINITY, getrlimit, setrlimit};

use crate::error::WorkerFailure;

/// A resource limit's soft value as text: a number, or `unlimited`.
pub(crate) fn limit_text(resource: Resource) -> String {
    match soft_limit(resource) {
        Some(n) => n.to_string(),
        None => "unlimited".to_owned(),
    }
}

/// A resource limit's soft value; `None` for unlimited (or unreadable).
pub(crate) fn soft_limit(resource: Resource) -> Option<u64> {
    let (soft, _) = getrlimit(resource).ok()?;
    // rlim_t is u64 on Linux and macOS but i64 on the BSDs.
    #[allow(clippy::unnecessary_cast)]
    (soft != RLIM_INFINITY).then_some(soft as u64)
}

/// Raises the soft limit on open files to the hard limit, as far as the
/// platform allows, and returns the new soft limit (`None`: unlimited).
/// Each forked worker holds a pipe open in the parent until it is collected.
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        // Raising the soft limit up to the hard one is always permitted;
        // a failure leaves the old limit, which is read back below.
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
    soft_limit(Resource::RLIMIT_NOFILE)
}

/// The number of file descriptors this process has open (Linux), or `None`;
/// not counting the one this reading opens.
pub(crate) fn open_fds() -> Option<usize> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some(entries.saturating_sub(1))
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
    nix::unistd::geteuid().is_root()
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A pipe that could not be made, with the open-file limit when that is why.
pub(crate) fn pipe_failure(error: std::io::Error) -> WorkerFailure {
    let hint = match error.raw_os_error() {
        Some(libc::EMFILE) => format!(
            "; the limit of open files per process is {} (ulimit -n): use fewer --workers \
             or raise the limit",
            limit_text(Resource::RLIMIT_NOFILE)
        ),
        Some(libc::ENFILE) => "; the system-wide limit of open files was reached".to_owned(),
        _ => String::new(),
    };
    WorkerFailure::Pipe { error, hint }
}

/// A fork that failed, with the process limits when that is why.
pub(crate) fn fork_failure(error: std::io::Error) -> WorkerFailure {
    let hint = match error.raw_os_error() {
        Some(libc::EAGAIN) => format!(
            "; a limit on processes was reached (ulimit -u: {}, kernel.pid_max: {}): use \
             fewer --workers",
            limit_text(Resource::RLIMIT_NPROC),
            pid_max().map_or_else(|| "unknown".to_owned(), |n| n.to_string())
        ),
        Some(libc::ENOMEM) => "; not enough memory for another process".to_owned(),
        _ => String::new(),
    };
    WorkerFailure::Fork { error, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_limits_are_read_from_the_system() {
        assert!(pid_max().is_some_and(|n| n > 1));
        assert!(system_tasks().is_some_and(|n| n >= 1));
        assert!(open_fds().is_some_and(|n| n >= 3));
        assert!(!limit_text(Resource::RLIMIT_NOFILE).is_empty());
        let raised = raise_open_file_limit();
        assert!(raised.is_none_or(|n| n >= soft_limit(Resource::RLIMIT_NOFILE).unwrap_or(0)));
    }
}
