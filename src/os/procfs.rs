//! What Linux's `/proc` says about CPU time: the whole machine's
//! (`/proc/stat`, steal included), the CPU pressure (`/proc/pressure/cpu`),
//! and which processes descend from this one (`/proc/PID/stat`), whose CPU
//! time each is then read from its CPU-time clock (`clock_getcpuclockid`,
//! nanoseconds, one system call, no file).
//!
//! The parsers are pure and tested on text; the readers return `None` where
//! the file does not exist (another OS, a kernel without PSI, a process
//! that ended), and callers then report "unknown" rather than zero.
//!
//! `/proc/PID/task/TID/children` would list children directly, but it
//! needs `CONFIG_PROC_CHILDREN`, which many kernels (this project's CI
//! machines among them) lack; [`Descendants`] therefore walks `/proc`,
//! reading the `stat` of each process it has not classified yet, so that a
//! sample costs one directory listing plus one read per new process.

use std::collections::HashMap;
use std::time::Duration;

/// The machine's CPU time since boot, from the first line of `/proc/stat`,
/// in clock ticks ([`ticks_per_second`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCpu {
    /// Time some CPU ran something: user + nice + system + irq + softirq
    /// (guest time is inside user).
    pub busy_ticks: u64,
    /// Time the hypervisor ran something else while a virtual CPU wanted to
    /// run (`steal`).
    pub steal_ticks: u64,
}

impl MachineCpu {
    /// How much more of each than `earlier`.
    pub fn since(&self, earlier: &MachineCpu) -> MachineCpu {
        MachineCpu {
            busy_ticks: self.busy_ticks.saturating_sub(earlier.busy_ticks),
            steal_ticks: self.steal_ticks.saturating_sub(earlier.steal_ticks),
        }
    }
}

/// Parses the aggregate `cpu` line of `/proc/stat`.
pub fn parse_machine_cpu(stat: &str) -> Option<MachineCpu> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    let field = |i: usize| fields.get(i).copied().unwrap_or(0);
    if fields.len() < 4 {
        return None;
    }
    Some(MachineCpu {
        busy_ticks: field(0) + field(1) + field(2) + field(5) + field(6),
        steal_ticks: field(7),
    })
}

/// The machine's CPU time now, or `None` where `/proc/stat` is missing.
pub fn machine_cpu() -> Option<MachineCpu> {
    parse_machine_cpu(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// Clock ticks per second, the unit of `/proc/stat` (`USER_HZ`, 100 on
/// every Linux the project has met).
pub fn ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}

/// A tick count as a duration.
pub fn ticks(count: u64, per_second: u64) -> Duration {
    Duration::from_nanos(count.saturating_mul(1_000_000_000) / per_second.max(1))
}

/// Parses `/proc/pressure/cpu`: the `total=` of its `some` line, in µs —
/// the time at least one runnable task waited for a CPU.
pub fn parse_cpu_pressure(text: &str) -> Option<Duration> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    let total = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?;
    Some(Duration::from_micros(total.parse().ok()?))
}

/// The CPU pressure stall total now, or `None` where the kernel has no PSI
/// (`/proc/pressure/cpu` missing or unreadable).
pub fn cpu_pressure() -> Option<Duration> {
    parse_cpu_pressure(&std::fs::read_to_string("/proc/pressure/cpu").ok()?)
}

/// The parent of the process whose `/proc/PID/stat` is `stat`. The command
/// name in parentheses may itself contain spaces and parentheses, so the
/// fields are counted from the last `)`.
pub fn parse_parent(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // state ppid ...
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// When the process whose `/proc/PID/stat` is `stat` started, in clock
/// ticks after boot (field 22): with the pid and the boot id, it names one
/// process for good, where a pid alone may be reused.
pub fn parse_start_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields from 3 (state) on: the start time is field 22.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// A process's identity on this boot: its pid and start time
/// ([`parse_start_ticks`]), as `/proc` shows them; `None` once it has ended.
pub fn identity(pid: i32) -> Option<(i32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some((pid, parse_start_ticks(&stat)?))
}

/// Whether the process `(pid, start ticks)` is this process or one of its
/// ancestors, walking up `/proc` from this process. A process in a PID
/// namespace of its own (with its own `/proc`) sees no ancestor outside it,
/// and a process on another machine none at all: both answer false.
pub fn is_own_ancestor(ancestor: (i32, u64)) -> bool {
    let mut pid = std::process::id() as i32;
    // At most a few hundred levels: /proc cannot loop, but be safe.
    for _ in 0..4096 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        if pid == ancestor.0 {
            return parse_start_ticks(&stat) == Some(ancestor.1);
        }
        match parse_parent(&stat) {
            Some(parent) if parent > 0 => pid = parent,
            _ => return false,
        }
    }
    false
}

/// A process's CPU time (all its threads, user and system), read from its
/// CPU-time clock; `None` once it has ended (or on another OS).
pub fn process_cpu(pid: i32) -> Option<Duration> {
    let clock = nix::time::clock_getcpuclockid(nix::unistd::Pid::from_raw(pid)).ok()?;
    let now = nix::time::clock_gettime(clock).ok()?;
    Some(Duration::new(
        u64::try_from(now.tv_sec()).ok()?,
        u32::try_from(now.tv_nsec()).ok()?,
    ))
}

/// The pipe inode a `/proc/PID/fd/N` link names (`pipe:[12345]`), if it
/// names a pipe.
pub fn parse_pipe_link(link: &str) -> Option<u64> {
    link.strip_prefix("pipe:[")?.strip_suffix(']')?.parse().ok()
}

/// Whether process `pid` has a file descriptor open on the pipe `inode`
/// (`false` once it has ended, or where its fds cannot be read).
pub fn holds_pipe(pid: i32, inode: u64) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .ok()
            .and_then(|link| parse_pipe_link(link.to_str()?))
            == Some(inode)
    })
}

/// Every process but this one with a file descriptor open on the pipe
/// `inode`, found by walking `/proc/*/fd` (only the processes whose fds
/// this one may read: its own user's, or all for root).
pub fn pipe_holders(inode: u64) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me && holds_pipe(pid, inode))
        .collect()
}

/// The processes descending from one root (not the root itself), found by
/// walking `/proc`; each process is classified once, when first seen.
#[derive(Debug)]
pub struct Descendants {
    root: i32,
    /// Every process seen: whether it descends from the root.
    known: HashMap<i32, bool>,
}

impl Descendants {
    /// Descendants of `root` (usually this process).
    pub fn of(root: i32) -> Descendants {
        Descendants {
            root,
            known: HashMap::new(),
        }
    }

    /// The descendants alive now. A process is looked at once: a process
    /// whose parent is unknown is classified after its parent, and an
    /// ended one is forgotten (its number may be reused).
    pub fn alive(&mut self) -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let pids: Vec<i32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let mut parents: HashMap<i32, i32> = HashMap::new();
        for &pid in &pids {
            if !self.known.contains_key(&pid) {
                let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| parse_parent(&stat));
                parents.insert(pid, parent.unwrap_or(0));
            }
        }
        for &pid in parents.keys() {
            self.classify(pid, &parents, 0);
        }
        let alive: std::collections::HashSet<i32> = pids.iter().copied().collect();
        self.known.retain(|pid, _| alive.contains(pid));
        pids.into_iter()
            .filter(|pid| self.known.get(pid) == Some(&true))
            .collect()
    }

    fn classify(&mut self, pid: i32, parents: &HashMap<i32, i32>, depth: usize) -> bool {
        if let Some(&ours) = self.known.get(&pid) {
            return ours;
        }
        let parent = parents.get(&pid).copied().unwrap_or(0);
        // A chain longer than any real tree means a loop through a reused
        // number: not ours.
        let ours = parent == self.root
            || (parent > 1 && depth < 64 && self.classify(parent, parents, depth + 1));
        self.known.insert(pid, ours);
        ours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_links_are_recognised_by_their_inode() {
        assert_eq!(parse_pipe_link("pipe:[4026532]"), Some(4_026_532));
        assert_eq!(parse_pipe_link("socket:[4026532]"), None);
        assert_eq!(parse_pipe_link("/dev/null"), None);
        assert_eq!(parse_pipe_link("pipe:[x]"), None);
    }

    #[test]
    fn a_pipe_is_found_in_the_processes_that_hold_it() {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let inode = nix::sys::stat::fstat(&read).unwrap().st_ino;
        assert!(holds_pipe(std::process::id() as i32, inode));
        // Other tests in this process fork workers that never exec, and each
        // inherits the pipe until it exits (CI caught one): the holders that
        // count are those not running this test binary.
        let me = std::fs::read_link("/proc/self/exe").unwrap();
        let holders = || -> Vec<i32> {
            pipe_holders(inode)
                .into_iter()
                .filter(|pid| {
                    std::fs::read_link(format!("/proc/{pid}/exe")).ok() != Some(me.clone())
                })
                .collect()
        };
        // This process is never its own leftover.
        assert!(!pipe_holders(inode).contains(&(std::process::id() as i32)));
        assert_eq!(holders(), Vec::<i32>::new());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .stdout(std::process::Stdio::from(write))
            .spawn()
            .unwrap();
        assert_eq!(holders(), vec![child.id() as i32]);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(holders(), Vec::<i32>::new());
    }

    #[test]
    fn the_machine_line_splits_busy_from_steal() {
        let stat = "cpu  921558 70 161807 808336 7690 3 1566 4601 0 0\n\
                    cpu0 435605 40 77896 434434 1965 0 477 2252 0 0\n";
        let cpu = parse_machine_cpu(stat).unwrap();
        assert_eq!(cpu.busy_ticks, 921_558 + 70 + 161_807 + 3 + 1566);
        assert_eq!(cpu.steal_ticks, 4601);
        // Old kernels print fewer fields; nothing is invented.
        let old = parse_machine_cpu("cpu 10 0 5 100\n").unwrap();
        assert_eq!((old.busy_ticks, old.steal_ticks), (15, 0));
        assert_eq!(parse_machine_cpu("intr 1 2 3\n"), None);
        assert_eq!(parse_machine_cpu("cpu x y z w\n"), None);
    }

    #[test]
    fn pressure_is_the_some_lines_total() {
        let text = "some avg10=0.00 avg60=0.76 avg300=4.12 total=1150779772\n\
                    full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(
            parse_cpu_pressure(text),
            Some(Duration::from_micros(1_150_779_772))
        );
        assert_eq!(parse_cpu_pressure("full total=3\n"), None);
    }

    #[test]
    fn the_parent_is_read_past_a_command_name_with_parentheses() {
        assert_eq!(parse_parent("42 (a) b) (c) S 7 42 42 0"), Some(7));
        assert_eq!(parse_parent("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parse_parent("garbage"), None);
    }

    #[test]
    fn the_start_time_is_field_22_past_a_name_with_parentheses() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 98765 1000 50";
        assert_eq!(parse_start_ticks(stat), Some(98765));
        assert_eq!(parse_start_ticks("42 (x) S 1"), None);
    }

    #[test]
    fn this_process_and_its_parent_are_own_ancestors_and_a_child_is_not() {
        let me = identity(std::process::id() as i32).unwrap();
        assert!(is_own_ancestor(me));
        let parent = identity(std::os::unix::process::parent_id() as i32).unwrap();
        assert!(is_own_ancestor(parent));
        // The right pid with another start time is another process.
        assert!(!is_own_ancestor((me.0, me.1 + 1)));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let child_id = identity(child.id() as i32).unwrap();
        assert!(!is_own_ancestor(child_id));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn ticks_become_durations() {
        assert_eq!(ticks(250, 100), Duration::from_millis(2500));
        assert_eq!(ticks(1, 0), Duration::from_secs(1));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_child_is_a_descendant_and_its_cpu_clock_reads() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let mut tree = Descendants::of(std::process::id() as i32);
        let alive = tree.alive();
        let seen = alive.contains(&pid);
        let cpu = process_cpu(pid);
        let _ = child.kill();
        let _ = child.wait();
        assert!(seen, "{pid} not among {alive:?}");
        assert!(cpu.is_some());
        assert!(!tree.alive().contains(&pid));
        assert!(machine_cpu().is_some());
    }
}
