//! The launcher's supervisor: what `gilfree mpi-launch` runs between the
//! driver and `mpirun`, so that nothing of a run outlives it, however the
//! run ends.
//!
//! `mpirun` cleans up after itself when it ends normally or on SIGTERM, but
//! not when it is killed: its ranks are orphaned, and it leaves its session
//! files and shared-memory segments behind. And on SIGTERM it exits before
//! its ranks are reaped. So the driver starts this supervisor instead, which
//!
//! - is a *subreaper* (`PR_SET_CHILD_SUBREAPER`): ranks and daemons orphaned
//!   by the launcher become its children, and it reaps every one before it
//!   exits, killing those still there after a grace period;
//! - starts the launcher with the per-run directory in its environment and
//!   a parent-death signal of SIGTERM, so the launcher cleans up if the
//!   supervisor is killed;
//! - on SIGTERM, SIGINT, SIGHUP or SIGQUIT (from the driver, or as its own
//!   parent-death signal when the driver is killed) passes SIGTERM on to the
//!   launcher, which stops the ranks on every host, and kills it if it has
//!   not ended within [`LAUNCHER_GRACE`];
//! - removes the per-run directory, with whatever the launcher left in it;
//! - ends as the launcher ended: its exit status, or killed by its signal.
//!
//! It is one thread, waiting with `sigtimedwait` for the signals it handles
//! and for SIGCHLD, all of them blocked.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::os::signal_safe;

/// How long the launcher gets to stop its ranks after SIGTERM.
pub const LAUNCHER_GRACE: Duration = Duration::from_secs(2);

/// How long orphaned ranks and daemons get to end after the launcher has.
const ORPHAN_GRACE: Duration = Duration::from_secs(1);

/// The exit status of a supervisor whose launcher could not be started.
pub const LAUNCHER_NOT_STARTED: i32 = 127;

/// The first words of the supervisor's message when the launcher could not
/// be started, which the driver looks for.
pub const NOT_STARTED_MESSAGE: &str = "gilfree mpi-launch: could not start";

/// The supervisor's message when the launcher did not stop within
/// [`LAUNCHER_GRACE`] after SIGTERM and was killed: ranks on other hosts
/// may then outlive it for a while.
pub const LAUNCHER_KILLED_MESSAGE: &str = "gilfree mpi-launch: the launcher did not stop";

/// The signals that stop the run.
const STOPPING: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// Runs `launcher` (a program and its arguments) under supervision, removes
/// `dir` once everything it started has ended, and returns how to end: the
/// launcher's exit status, or the signal that killed it. Call it from a
/// process with one thread.
pub fn supervise(dir: &Path, launcher: &[String]) -> Ended {
    let ended = run(launcher, &mut || None);
    let _ = std::fs::remove_dir_all(dir);
    ended
}

/// [`supervise`] for the launcher's daemon on another host (what `gilfree
/// mpi-host` runs, as OpenMPI's `orte_launch_agent`): says on standard
/// error that the host is up (`gilfree-mpi-host-up HOST`),
/// makes the run's directory there if it does not exist yet, supervises
/// the daemon (`orted`) as the launcher's supervisor does its launcher, and
/// removes the directory at the end — only if it made it: a directory that
/// was there already belongs to the driver (a host that is the driver's
/// machine, or a shared filesystem).
pub fn supervise_host(dir: &Path, daemon: &[String]) -> Ended {
    let host = super::record::host_up_line(&this_host());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), host.as_bytes());
    // When the connection that started it closes (its sshd session ends),
    // stop as on SIGTERM: the daemon and the ranks here go with it.
    let _ = signal_safe::on_parent_death(
        std::os::unix::process::parent_id() as libc::pid_t,
        libc::SIGTERM,
    );
    let made = std::fs::create_dir(dir).is_ok();
    if made {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    // The daemon's link to mpirun (or to its parent daemon): when the
    // kernel has resent unanswered data on it for seconds, the other end is
    // gone or cut off, and the daemon would wait for TCP to give up (about
    // 15 minutes). Stop it, and the ranks here, at once.
    let peers = daemon_peers(daemon);
    let mut link_lost = move || {
        let lost = lost_link(&peers)?;
        Some(format!(
            "gilfree mpi-host: the link to {lost} went unanswered for seconds; stopping the daemon \
             and the ranks on this host"
        ))
    };
    let ended = run(daemon, &mut link_lost);
    if made {
        let _ = std::fs::remove_dir_all(dir);
    }
    ended
}

/// This host's name.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How the launcher ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Killed(i32),
}

impl Ended {
    /// Ends this process the same way.
    pub fn exit(self) -> ! {
        match self {
            Ended::Exited(code) => std::process::exit(code),
            Ended::Killed(signal) => {
                if let Ok(signal) = Signal::try_from(signal) {
                    // SAFETY: restoring the default action installs no handler.
                    let _ = unsafe {
                        nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl)
                    };
                    let _ = SigSet::from(signal).thread_unblock();
                    let _ = nix::sys::signal::raise(signal);
                }
                std::process::exit(128 + signal)
            }
        }
    }
}

/// Runs `launcher` until it and everything orphaned to this process has
/// ended. `watch` is asked about twice a second; when it gives a reason, the
/// reason is printed and the launcher stopped as on SIGTERM.
fn run(launcher: &[String], watch: &mut dyn FnMut() -> Option<String>) -> Ended {
    let Some((program, args)) = launcher.split_first() else {
        eprintln!("{NOT_STARTED_MESSAGE} the launcher: no command was given");
        return Ended::Exited(LAUNCHER_NOT_STARTED);
    };
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER changes only this
    // process's attributes.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let mut waited = SigSet::from(Signal::SIGCHLD);
    for signal in STOPPING {
        waited.add(signal);
    }
    // Blocked before the launcher exists, so that neither its end nor a stop
    // can be missed; the launcher gets an empty mask.
    let _ = waited.thread_block();
    let me = std::process::id() as libc::pid_t;
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    // SAFETY: between fork and exec the closure only calls pthread_sigmask,
    // prctl and getppid, which are async-signal-safe, and allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            SigSet::empty()
                .thread_set_mask()
                .map_err(std::io::Error::from)?;
            if signal_safe::on_parent_death(me, libc::SIGTERM) {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(libc::ESRCH))
            }
        });
    }
    let launcher_pid = match command.spawn() {
        Ok(child) => Pid::from_raw(child.id() as libc::pid_t),
        Err(err) => {
            eprintln!("{NOT_STARTED_MESSAGE} {program}: {err}");
            return Ended::Exited(LAUNCHER_NOT_STARTED);
        }
    };
    let mut ended: Option<Ended> = None;
    let mut stop_sent: Option<Instant> = None;
    let mut launcher_ended_at: Option<Instant> = None;
    let mut killed = false;
    let mut last_watch = Instant::now();
    loop {
        let signalled = wait_for_signal(&waited, Duration::from_millis(50))
            .is_some_and(|signal| signal != libc::SIGCHLD);
        let watched =
            if stop_sent.is_none() && ended.is_none() && last_watch.elapsed() >= WATCH_EVERY {
                last_watch = Instant::now();
                watch()
            } else {
                None
            };
        if let Some(reason) = &watched {
            eprintln!("{reason}");
        }
        if (signalled || watched.is_some()) && stop_sent.is_none() && ended.is_none() {
            let _ = kill(launcher_pid, Signal::SIGTERM);
            stop_sent = Some(Instant::now());
        }
        // Reap whatever has ended: the launcher, and orphans passed to us.
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == launcher_pid => {
                    ended = Some(Ended::Exited(code));
                }
                Ok(WaitStatus::Signaled(pid, signal, _)) if pid == launcher_pid => {
                    ended = Some(Ended::Killed(signal as i32));
                }
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => {}
                // ECHILD: nothing left to wait for.
                Err(_) => return ended.unwrap_or(Ended::Exited(1)),
            }
        }
        let now = Instant::now();
        if ended.is_some() {
            let since = *launcher_ended_at.get_or_insert(now);
            if now.duration_since(since) >= ORPHAN_GRACE {
                kill_children(me);
            }
        } else if stop_sent.is_some_and(|sent| now.duration_since(sent) >= LAUNCHER_GRACE) {
            if !killed {
                eprintln!(
                    "{LAUNCHER_KILLED_MESSAGE} within {}s of SIGTERM; killed it and everything it \
                     left on this host",
                    LAUNCHER_GRACE.as_secs()
                );
                killed = true;
            }
            let _ = kill(launcher_pid, Signal::SIGKILL);
            kill_children(me);
        }
    }
}

/// How often [`run`]'s watch is asked.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Unanswered retransmissions after which a link counts as lost: with
/// Linux's minimum retransmission timeout of 200 ms, the fifth comes about
/// 6 s after the data was first sent.
const LOST_AFTER_RETRANSMITS: u32 = 5;

/// The addresses the daemon keeps a link to: `mpirun`'s and its parent
/// daemon's, from OpenMPI's `-mca orte_hnp_uri` and `-mca orte_parent_uri`
/// arguments (`JOBID.VPID;tcp://10.0.0.1,10.0.0.2:41107;tcp6://[::1]:41108`).
pub(crate) fn daemon_peers(daemon: &[String]) -> Vec<std::net::SocketAddr> {
    let mut peers = Vec::new();
    for pair in daemon.windows(3) {
        if pair[0] != "-mca" || !matches!(pair[1].as_str(), "orte_hnp_uri" | "orte_parent_uri") {
            continue;
        }
        for uri in pair[2].trim_matches('"').split(';') {
            let Some(rest) = uri
                .strip_prefix("tcp://")
                .or_else(|| uri.strip_prefix("tcp6://"))
            else {
                continue;
            };
            let Some((hosts, port)) = rest.rsplit_once(':') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for host in hosts.split(',') {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                    let peer = std::net::SocketAddr::new(ip, port);
                    if !peers.contains(&peer) {
                        peers.push(peer);
                    }
                }
            }
        }
    }
    peers
}

/// One TCP socket of `/proc/net/tcp` or `/proc/net/tcp6`: its remote
/// address, its state (1 is established) and how many times in a row the
/// kernel has resent its unanswered data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpSocket {
    pub(crate) remote: std::net::SocketAddr,
    pub(crate) state: u8,
    pub(crate) retransmits: u32,
}

/// The sockets of a `/proc/net/tcp` or `/proc/net/tcp6` table.
pub(crate) fn parse_tcp_table(text: &str) -> Vec<TcpSocket> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (address, port) = fields.get(2)?.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            // The address is the kernel's bytes, as 32-bit words in host
            // (little-endian) order.
            let mut bytes = Vec::with_capacity(16);
            for word in (0..address.len()).step_by(8) {
                let word = u32::from_str_radix(address.get(word..word + 8)?, 16).ok()?;
                bytes.extend_from_slice(&word.to_le_bytes());
            }
            let ip = match bytes.len() {
                4 => std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
                16 => {
                    let v6 = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?);
                    v6.to_ipv4_mapped()
                        .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4)
                }
                _ => return None,
            };
            Some(TcpSocket {
                remote: std::net::SocketAddr::new(ip, port),
                state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
                retransmits: u32::from_str_radix(fields.get(6)?, 16).ok()?,
            })
        })
        .collect()
}

/// The first of `peers` to which an established link has gone unanswered
/// for [`LOST_AFTER_RETRANSMITS`] retransmissions.
fn lost_link(peers: &[std::net::SocketAddr]) -> Option<std::net::SocketAddr> {
    if peers.is_empty() {
        return None;
    }
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| parse_tcp_table(&text))
        .find(|s| {
            s.state == 1 && s.retransmits >= LOST_AFTER_RETRANSMITS && peers.contains(&s.remote)
        })
        .map(|s| s.remote)
}

/// Waits up to `timeout` for one of `set`, which is blocked; its number.
fn wait_for_signal(set: &SigSet, timeout: Duration) -> Option<i32> {
    let timeout = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `set` is a valid signal set and `timeout` a valid timespec;
    // no siginfo is asked for.
    let signal = unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &timeout) };
    (signal > 0).then_some(signal)
}

/// Kills every child of process `parent` — ranks and daemons orphaned to
/// it, or the launcher's helpers — found in `/proc`.
fn kill_children(parent: libc::pid_t) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": the name may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<libc::pid_t>().ok());
        if ppid == Some(parent) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemons_peers_come_from_openmpis_uris() {
        let args: Vec<String> = [
            "orted",
            "-mca",
            "ess",
            "env",
            "-mca",
            "orte_hnp_uri",
            "870580224.0;tcp://10.77.0.1,192.168.5.1:41107;tcp6://[fe80::1]:41108",
            "-mca",
            "orte_parent_uri",
            "870580224.0;tcp://10.77.0.1:41107",
            "-mca",
            "plm",
            "rsh",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let peers: Vec<String> = daemon_peers(&args).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            peers,
            ["10.77.0.1:41107", "192.168.5.1:41107", "[fe80::1]:41108"]
        );
        assert!(daemon_peers(&["orted".to_owned()]).is_empty());
    }

    #[test]
    fn a_tcp_table_gives_each_sockets_peer_state_and_retransmissions() {
        // /proc/net/tcp as this machine wrote it: 10.77.0.13:53734 to
        // 10.77.0.1:41107, established, resent 6 times.
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
                  3: 0D004D0A:D1E6 01004D0A:A093 01 0000005D:00000000 01:00000273 00000006     0        0 51234 2 0000000000000000 20 4 0 10 -1\n";
        assert_eq!(
            parse_tcp_table(v4),
            [TcpSocket {
                remote: "10.77.0.1:41107".parse().unwrap(),
                state: 1,
                retransmits: 6
            }]
        );
        // An IPv4-mapped peer in /proc/net/tcp6 is the IPv4 address.
        let v6 = "  sl  local_address remote_address st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
                  0: 0000000000000000FFFF00000D004D0A:D1E6 0000000000000000FFFF000001004D0A:A093 01 00000000:00000000 00:00000000 00000000     0        0 1 1\n";
        assert_eq!(
            parse_tcp_table(v6)[0].remote,
            "10.77.0.1:41107".parse().unwrap()
        );
        assert!(parse_tcp_table("header\ngarbage line\n").is_empty());
    }
}
