//! Reading a launcher's standard error when a run fails: which rank failed
//! and where (`srun`'s own lines; `mpirun`'s are in `record.rs`), which host
//! `mpirun` lost during the run, and the line that says best what went wrong
//! — the agent's own words first (`Permission denied`, `Connection refused`,
//! `No route to host`, `Could not resolve`), with the host they concern.
//! Pure code, tested here against the launchers' real messages.

use super::record::RankFailure;

/// Words of a remote agent (ssh) that say why a host could not be reached.
const AGENT_WORDS: [&str; 8] = [
    "permission denied",
    "connection refused",
    "no route to host",
    "could not resolve",
    "connection timed out",
    "host key verification failed",
    "name or service not known",
    "connection closed",
];

/// Words of any line that says what failed.
const TELLING: [&str; 6] = [
    "ssh:",
    "unable",
    "could not",
    "not found",
    "failed",
    "error",
];

/// `": LINE"` for the line of a launcher's standard error that says best
/// what went wrong, or nothing: a remote agent's own words first, then one
/// that says what failed, else the last non-empty one that is not a rule.
/// When the line names no host and exactly one host was never heard from
/// (`silent`), it is named: `host h3: Permission denied (publickey).`.
pub(crate) fn explanation(stderr: &str, silent: &[String]) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '-'))
        .filter(|l| !l.starts_with(super::record::HOST_UP_PREFIX.trim_end()))
        .collect();
    let has = |line: &str, words: &[&str]| {
        let lower = line.to_lowercase();
        words.iter().any(|word| lower.contains(word))
    };
    let agent = lines.iter().find(|l| has(l, &AGENT_WORDS));
    let line = agent
        .or_else(|| lines.iter().find(|l| has(l, &TELLING)))
        .or(lines.last());
    let Some(line) = line else {
        return String::new();
    };
    let line = crate::text::escape_controls(line);
    match silent {
        [host] if agent.is_some() && !line.contains(host.as_str()) => {
            format!(": host {host}: {line}")
        }
        _ => format!(": {line}"),
    }
}

/// A daemon `mpirun` lost during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LostDaemon {
    /// The host it ran on, as `mpirun` names it.
    pub(crate) host: String,
}

/// Reads OpenMPI's report of a daemon it lost (its host died, or its link
/// did):
///
/// ```text
/// ORTE has lost communication with a remote daemon.
///
///   HNP daemon   : [[24496,0],0] on node head
///   Remote daemon: [[24496,0],3] on node h3
/// ```
pub(crate) fn lost_daemon(stderr: &str) -> Option<LostDaemon> {
    if !stderr.contains("lost communication with a remote daemon") {
        return None;
    }
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Remote daemon"))?;
    let host = line.rsplit_once(" on node ")?.1.trim();
    (!host.is_empty()).then(|| LostDaemon {
        host: host.to_owned(),
    })
}

/// Reads `srun`'s report of a failed task:
///
/// ```text
/// srun: error: n1: task 2: Killed
/// srun: error: n1: tasks 0-1,3: Exited with exit code 4
/// ```
///
/// The first task named is the rank blamed.
pub(crate) fn srun_task_failure(stderr: &str) -> Option<RankFailure> {
    for line in stderr.lines() {
        let Some(rest) = line.trim().strip_prefix("srun: error: ") else {
            continue;
        };
        // HOST: task(s) LIST: WHAT
        let mut parts = rest.splitn(3, ": ");
        let (Some(host), Some(tasks), Some(what)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(list) = tasks
            .strip_prefix("tasks ")
            .or_else(|| tasks.strip_prefix("task "))
        else {
            continue;
        };
        let Some(rank) = list
            .split([',', '-'])
            .next()
            .and_then(|first| first.trim().parse::<usize>().ok())
        else {
            continue;
        };
        let what = what.trim().trim_end_matches('.');
        let what = if what == "Killed" {
            "was killed".to_owned()
        } else if let Some(code) = what.strip_prefix("Exited with exit code ") {
            format!("exited with status {code}")
        } else if let Some(signal) = what.strip_prefix("Terminated") {
            format!("was terminated{signal}")
        } else {
            format!("failed: {}", crate::text::escape_controls(what))
        };
        let host = (!host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)))
        .then(|| host.to_owned());
        return Some(RankFailure { rank, host, what });
    }
    None
}

/// Whether two names are one host: equal, or equal up to the first dot
/// (`node1` and `node1.cluster`).
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    let short = |name: &str| name.split('.').next().unwrap_or(name).to_owned();
    a == b || (a.parse::<std::net::IpAddr>().is_err() && short(a) == short(b))
}

/// `h1`, `h1 and h2`, `h1, h2 and h3`.
pub(crate) fn names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `rank 3`, `ranks 4–7`, `ranks 0–1 and 5`, of `workers`.
pub(crate) fn rank_list(ranks: &[usize], workers: usize) -> String {
    let mut sorted = ranks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() == workers && workers > 1 {
        return format!("all {workers} ranks");
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}–{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    let noun = if sorted.len() == 1 { "rank" } else { "ranks" };
    format!("{noun} {}", names(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_own_words_come_first_with_the_host() {
        // What mpirun printed here when h3's sshd refused root's key.
        let stderr = "root@h3: Permission denied (publickey).\n\
            --------------------------------------------------------------------------\n\
            ORTE was unable to reliably start one or more daemons.\n\
            This usually is caused by:\n";
        assert_eq!(
            explanation(stderr, &["h3".to_owned()]),
            ": root@h3: Permission denied (publickey)."
        );
        // A stand-in agent that does not say which host: the silent one is named.
        let bare = "Permission denied (publickey).\nORTE was unable to reliably start\n";
        assert_eq!(
            explanation(bare, &["h3".to_owned()]),
            ": host h3: Permission denied (publickey)."
        );
        assert_eq!(
            explanation("ssh: connect to host h2 port 22: No route to host\n", &[]),
            ": ssh: connect to host h2 port 22: No route to host"
        );
        assert_eq!(
            explanation("something\nmpirun failed badly\nbye\n", &[]),
            ": mpirun failed badly"
        );
        assert_eq!(explanation("\n----\n", &[]), "");
        assert_eq!(explanation("a\u{1b}[2Jb\n", &[]), ": a\\u{1b}[2Jb");
    }

    #[test]
    fn a_lost_daemon_is_named_by_its_host() {
        let stderr = "--------------------------------------------------------------------------\n\
            ORTE has lost communication with a remote daemon.\n\n\
              HNP daemon   : [[24496,0],0] on node head\n\
              Remote daemon: [[24496,0],3] on node h3\n\n\
            This is usually due to either a failure of the TCP network\n";
        assert_eq!(
            lost_daemon(stderr),
            Some(LostDaemon {
                host: "h3".to_owned()
            })
        );
        assert_eq!(lost_daemon("Remote daemon: x on node h3\n"), None);
    }

    #[test]
    fn sruns_failure_lines_name_the_task_and_its_host() {
        let killed = "srun: Job step aborted\nsrun: error: n1: task 2: Killed\n";
        assert_eq!(
            srun_task_failure(killed),
            Some(RankFailure {
                rank: 2,
                host: Some("n1".to_owned()),
                what: "was killed".to_owned()
            })
        );
        let exited = "srun: error: n2: tasks 4-5,7: Exited with exit code 3\n";
        assert_eq!(
            srun_task_failure(exited),
            Some(RankFailure {
                rank: 4,
                host: Some("n2".to_owned()),
                what: "exited with status 3".to_owned()
            })
        );
        assert_eq!(
            srun_task_failure("srun: error: Unable to allocate resources\n"),
            None
        );
    }

    #[test]
    fn ranks_and_hosts_are_listed_compactly() {
        assert_eq!(rank_list(&[4, 5, 6, 7], 8), "ranks 4–7");
        assert_eq!(rank_list(&[5, 0, 1], 8), "ranks 0–1 and 5");
        assert_eq!(rank_list(&[3], 8), "rank 3");
        assert_eq!(rank_list(&[0, 1], 2), "all 2 ranks");
        assert_eq!(
            names(&["a".to_owned(), "b".to_owned(), "c".to_owned()]),
            "a, b and c"
        );
        assert!(same_host("node1", "node1.cluster"));
        assert!(!same_host("10.0.0.1", "10.0.0.2"));
        assert!(!same_host("h1", "h2"));
    }
}
