//! What the ranks hand back, in two forms: the fixed-size record each rank
//! sends to rank 0 (`MPI_Gather` of [`RECORD_WORDS`] `u64`s), and the one
//! line rank 0 prints for the driver, which the driver checks strictly
//! before it believes a number of it. Pure code, tested here; the ranks'
//! and the driver's effects live in `rank.rs` and `mod.rs`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::worker::{ProcessFacts, WorkerReport, WorkerTransfer};

/// The words of one rank's record.
pub(crate) const RECORD_WORDS: usize =
    FIXED_WORDS + HOST_WORDS + BOOT_ID_WORDS + CPU_MODEL_WORDS + FAILURE_WORDS;

/// The numbers of a record, before its texts.
const FIXED_WORDS: usize = 16;
/// The host name's room in a record: 256 bytes, more than any Linux host
/// name (64) and than POSIX's `HOST_NAME_MAX`.
const HOST_WORDS: usize = 32;
/// `/proc/sys/kernel/random/boot_id` (36 characters) and some room.
const BOOT_ID_WORDS: usize = 6;
/// The processor's model name: 128 bytes (x86's is at most 48).
const CPU_MODEL_WORDS: usize = 16;
/// A failed rank's message: 256 bytes.
const FAILURE_WORDS: usize = 32;
const HOST_AT: usize = FIXED_WORDS;
const BOOT_ID_AT: usize = HOST_AT + HOST_WORDS;
const CPU_MODEL_AT: usize = BOOT_ID_AT + BOOT_ID_WORDS;
const FAILURE_AT: usize = CPU_MODEL_AT + CPU_MODEL_WORDS;

/// Flags of a record's word 11.
const FAILED: u64 = 1;
const COUNTED_BY_DRIVER: u64 = 2;

/// The most logical cores a host is believed to have.
const MAX_HOST_CORES: usize = 1 << 20;

/// The first word of a record: "gilfMPI" and a version (2: the process's
/// CPU time and the host's cores).
const MAGIC: u64 = 0x6769_6c66_4d50_4902;

/// The prefix of the line rank 0 prints; nothing else a launcher or a rank
/// prints starts with it.
pub(crate) const LINE_PREFIX: &str = "gilfree-mpi-ranks ";

/// The line each rank prints when its process has started, before
/// `MPI_Init`: `gilfree-mpi-started RANK HOST`.
const STARTED_PREFIX: &str = "gilfree-mpi-started ";

/// The line rank 0 prints when every rank has left the start barrier.
pub(crate) const COMPUTING_LINE: &str = "gilfree-mpi-computing\n";

/// The line the host supervisor (`gilfree mpi-host`) prints on standard
/// error when it has started on a host, before the launcher's daemon:
/// `gilfree-mpi-host-up HOST`.
pub(crate) const HOST_UP_PREFIX: &str = "gilfree-mpi-host-up ";

/// A rank's started line.
pub(crate) fn started_line(rank: usize, host: &str) -> String {
    format!("{STARTED_PREFIX}{rank} {host}\n")
}

/// The host supervisor's line.
pub(crate) fn host_up_line(host: &str) -> String {
    format!("{HOST_UP_PREFIX}{host}\n")
}

/// How far a launch has got, from the lines the ranks and the host
/// supervisors print as they come ([`LaunchProgress::read_line`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LaunchProgress {
    /// The ranks whose process has started, with their host.
    pub(crate) started: std::collections::BTreeMap<usize, String>,
    /// The hosts whose supervisor started (the agent reached them), in order.
    pub(crate) hosts_up: Vec<String>,
    /// When every rank had left the start barrier, in ns on the driver's
    /// `CLOCK_MONOTONIC`, once rank 0 said so.
    pub(crate) computing_at: Option<u64>,
    /// When rank 0's report line arrived, likewise.
    pub(crate) report_at: Option<u64>,
    /// When the launcher said a rank had failed ([`is_failure_notice`]),
    /// likewise: the job is over, and the launcher should end soon after.
    pub(crate) failure_at: Option<u64>,
}

/// Whether `line` is the launcher's notice that a rank failed and the job
/// is over: mpirun's "noticed that process rank N … exited on signal" or
/// "detected that one or more processes exited with non-zero status", or
/// srun's "srun: error: HOST: task N: …".
pub(crate) fn is_failure_notice(line: &str) -> bool {
    line.contains("noticed that process rank ")
        || line.contains("detected that one or more processes exited with non-zero status")
        || line
            .trim_start()
            .strip_prefix("srun: error: ")
            .is_some_and(|rest| rest.contains(": task"))
}

impl LaunchProgress {
    /// Takes one line of the launcher's output (without its newline), read
    /// at `now_ns`. Lines of other programs, and names that are not plain,
    /// are ignored.
    pub(crate) fn read_line(&mut self, line: &[u8], now_ns: u64) {
        let Ok(line) = std::str::from_utf8(line) else {
            return;
        };
        let line = line.trim_end_matches('\r');
        if line.starts_with(LINE_PREFIX) {
            self.report_at.get_or_insert(now_ns);
        } else if is_failure_notice(line) {
            self.failure_at.get_or_insert(now_ns);
        } else if line == COMPUTING_LINE.trim_end() {
            self.computing_at.get_or_insert(now_ns);
        } else if let Some(rest) = line.strip_prefix(STARTED_PREFIX) {
            if let Some((rank, host)) = rest.split_once(' ')
                && let Ok(rank) = rank.parse::<usize>()
                && is_plain_name(host)
            {
                self.started.entry(rank).or_insert_with(|| host.to_owned());
            }
        } else if let Some(host) = line.strip_prefix(HOST_UP_PREFIX)
            && is_plain_name(host)
            && !self.hosts_up.iter().any(|h| h == host)
        {
            self.hosts_up.push(host.to_owned());
        }
    }

    /// When the job was over, as the launcher's output said: rank 0's report
    /// arrived, or the launcher noticed a rank fail.
    pub(crate) fn job_over_at(&self) -> Option<u64> {
        match (self.report_at, self.failure_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The hosts any sign of life came from: a supervisor or a rank.
    pub(crate) fn hosts_heard(&self) -> Vec<String> {
        let mut hosts = self.hosts_up.clone();
        for host in self.started.values() {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
        hosts
    }
}

/// A host name as a record may carry it: 1 to 255 of letters, digits and
/// `-._:`.
fn is_plain_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() < HOST_WORDS * 8
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c))
}

/// The longest a rank may compute for, as offsets from its barrier: far
/// beyond any run (about 11 days), and small enough that no sum of these
/// overflows.
const MAX_OFFSET_NS: u64 = 1 << 50;

/// One rank's report, as measured by the rank itself. Times are offsets
/// from the moment it left the start barrier, on its own host's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RankRecord {
    /// The rank, which is the worker's index.
    pub(crate) rank: usize,
    /// The worker's sum.
    pub(crate) sum: i64,
    /// When it started computing, in ns after it left the barrier.
    pub(crate) start_after_barrier_ns: u64,
    /// When it finished, in ns after it left the barrier.
    pub(crate) finish_after_barrier_ns: u64,
    /// CPU time of its computing thread, in ns.
    pub(crate) cpu_ns: u64,
    /// Peak resident set size of the rank's process, in bytes.
    pub(crate) peak_rss_bytes: u64,
    /// The rank's process id, on its host.
    pub(crate) pid: u32,
    /// The CPU it started on, where known.
    pub(crate) cpu_at_start: Option<u32>,
    /// The CPU it finished on, where known.
    pub(crate) cpu_at_finish: Option<u32>,
    /// Its host's name.
    pub(crate) host: String,
    /// When it left the barrier, in ns on its host's `CLOCK_MONOTONIC`.
    pub(crate) barrier_ns: u64,
    /// Its host's boot id: ranks with the driver's boot id share its clock
    /// (and hosts with the same one share their cores).
    pub(crate) boot_id: String,
    /// User-mode CPU time of the rank's whole process when it sent the
    /// record, in ns.
    pub(crate) user_ns: u64,
    /// Kernel-mode CPU time, likewise.
    pub(crate) system_ns: u64,
    /// Whether the rank's process descends from the driver, so that the
    /// driver's `getrusage` counts its CPU time once it is reaped.
    pub(crate) counted_by_driver: bool,
    /// Logical cores the rank could run on, on its host.
    pub(crate) host_cores: usize,
    /// Its host's processor model, or `unknown`.
    pub(crate) cpu_model: String,
    /// What went wrong, for a rank whose worker failed (it panicked, or its
    /// numbers could not be allocated): it still sends a record, so that
    /// the job ends normally and the failure is reported with its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failure: Option<String>,
    /// With `--return numbers`: how the rank's numbers reached rank 0, as
    /// rank 0 saw it (rank 0 fills it in before it prints the line; it is
    /// not among the words a rank sends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gathered: Option<Gathered>,
}

/// How a rank's numbers reached rank 0 by `MPI_Gather`, on rank 0's clock,
/// as offsets from its barrier exit (the moment every rank left the barrier
/// together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Gathered {
    /// The bytes of the rank's numbers rank 0 received.
    pub(crate) bytes: u64,
    /// When the gather had them all at rank 0.
    pub(crate) delivered_after_barrier_ns: u64,
    /// When rank 0 began summing this rank's numbers.
    pub(crate) sum_start_after_barrier_ns: u64,
    /// When it had their sum.
    pub(crate) sum_finish_after_barrier_ns: u64,
}

/// The line's JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    ranks: Vec<RankRecord>,
}

fn put_text(words: &mut [u64], text: &str) {
    let mut bytes = vec![0u8; words.len() * 8];
    let len = text.len().min(bytes.len() - 1);
    bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
}

fn get_text(words: &[u64]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

const NO_CPU: u64 = u64::MAX;

impl RankRecord {
    /// The record as the words a rank sends.
    pub(crate) fn encode(&self) -> [u64; RECORD_WORDS] {
        let cpu = |c: Option<u32>| c.map_or(NO_CPU, u64::from);
        let mut words = [0u64; RECORD_WORDS];
        words[..FIXED_WORDS].copy_from_slice(&[
            MAGIC,
            self.rank as u64,
            self.sum as u64,
            self.start_after_barrier_ns,
            self.finish_after_barrier_ns,
            self.cpu_ns,
            self.peak_rss_bytes,
            u64::from(self.pid),
            cpu(self.cpu_at_start),
            cpu(self.cpu_at_finish),
            self.barrier_ns,
            if self.failure.is_some() { FAILED } else { 0 }
                | if self.counted_by_driver {
                    COUNTED_BY_DRIVER
                } else {
                    0
                },
            self.host_cores as u64,
            self.user_ns,
            self.system_ns,
            0,
        ]);
        put_text(&mut words[HOST_AT..BOOT_ID_AT], &self.host);
        put_text(&mut words[BOOT_ID_AT..CPU_MODEL_AT], &self.boot_id);
        put_text(&mut words[CPU_MODEL_AT..FAILURE_AT], &self.cpu_model);
        put_text(
            &mut words[FAILURE_AT..],
            self.failure.as_deref().unwrap_or(""),
        );
        words
    }

    /// A record from the words rank 0 received; `None` when they are not a
    /// record. Its fields are checked by [`parse_line`] on the driver's side.
    pub(crate) fn decode(words: &[u64]) -> Option<RankRecord> {
        if words.len() != RECORD_WORDS || words[0] != MAGIC {
            return None;
        }
        let cpu = |w: u64| u32::try_from(w).ok();
        Some(RankRecord {
            rank: usize::try_from(words[1]).ok()?,
            sum: words[2] as i64,
            start_after_barrier_ns: words[3],
            finish_after_barrier_ns: words[4],
            cpu_ns: words[5],
            peak_rss_bytes: words[6],
            pid: u32::try_from(words[7]).ok()?,
            cpu_at_start: cpu(words[8]),
            cpu_at_finish: cpu(words[9]),
            barrier_ns: words[10],
            host: get_text(&words[HOST_AT..BOOT_ID_AT]),
            boot_id: get_text(&words[BOOT_ID_AT..CPU_MODEL_AT]),
            user_ns: words[13],
            system_ns: words[14],
            counted_by_driver: words[11] & COUNTED_BY_DRIVER != 0,
            host_cores: usize::try_from(words[12]).ok()?,
            cpu_model: get_text(&words[CPU_MODEL_AT..FAILURE_AT]),
            failure: (words[11] & FAILED != 0).then(|| get_text(&words[FAILURE_AT..])),
            gathered: None,
        })
    }
}

/// Rank 0's line for `records`, newline included.
pub(crate) fn line(records: Vec<RankRecord>) -> String {
    let json = serde_json::to_string(&Line { ranks: records }).unwrap_or_default();
    format!("{LINE_PREFIX}{json}\n")
}

/// Why rank 0's output was not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadOutput {
    /// The output as a whole: no line, two lines, not the format.
    Output(String),
    /// One rank's record.
    Rank {
        /// The rank.
        rank: usize,
        /// What is wrong with its record.
        problem: &'static str,
    },
}

/// Finds rank 0's line in the launcher's standard output and checks it:
/// exactly one such line, of the format, with one record per rank of
/// `0..workers`, each with times in order and within bounds, a pid, and a
/// host name and boot id of plain characters.
///
/// # Errors
/// [`BadOutput`], saying what was wrong.
pub(crate) fn parse_line(stdout: &[u8], workers: usize) -> Result<Vec<RankRecord>, BadOutput> {
    let bad = |what: String| Err(BadOutput::Output(what));
    let mut lines = stdout
        .split(|&b| b == b'\n')
        .filter(|line| line.starts_with(LINE_PREFIX.as_bytes()));
    let Some(line) = lines.next() else {
        return bad("rank 0 printed no report".to_owned());
    };
    if lines.next().is_some() {
        return bad("more than one report was printed".to_owned());
    }
    let json = &line[LINE_PREFIX.len()..];
    let parsed: Line = match serde_json::from_slice(json) {
        Ok(parsed) => parsed,
        // serde quotes what it read (an unknown field's name): escaped.
        Err(err) => {
            return bad(format!(
                "rank 0's report is not valid: {}",
                crate::text::escape_controls(&err.to_string())
            ));
        }
    };
    let mut records = parsed.ranks;
    if records.len() != workers {
        return bad(format!(
            "rank 0's report has {} records for {workers} ranks",
            records.len()
        ));
    }
    records.sort_by_key(|r| r.rank);
    for (expected, record) in records.iter().enumerate() {
        if record.rank != expected {
            return bad(format!(
                "rank 0's report does not have one record for each rank 0..{workers}"
            ));
        }
        check_record(record).map_err(|problem| BadOutput::Rank {
            rank: record.rank,
            problem,
        })?;
    }
    Ok(records)
}

fn check_record(record: &RankRecord) -> Result<(), &'static str> {
    if record.finish_after_barrier_ns < record.start_after_barrier_ns {
        return Err("sent a record that finishes before it starts");
    }
    if record.finish_after_barrier_ns > MAX_OFFSET_NS {
        return Err("sent a record with a time beyond any run");
    }
    if record.pid == 0 {
        return Err("sent a record without a process id");
    }
    if !is_plain_name(&record.host) {
        return Err("sent a host name that is empty or not a plain name");
    }
    if !is_plain_name(&record.boot_id) || record.boot_id.len() >= BOOT_ID_WORDS * 8 {
        return Err("sent a boot id that is empty or not plain");
    }
    if record.host_cores == 0 || record.host_cores > MAX_HOST_CORES {
        return Err("sent a number of cores no host has");
    }
    if record.user_ns > MAX_OFFSET_NS || record.system_ns > MAX_OFFSET_NS {
        return Err("sent a CPU time beyond any run");
    }
    let printable = |text: &str, most: usize| {
        !text.is_empty()
            && text.len() <= most
            && text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    };
    if !printable(&record.cpu_model, CPU_MODEL_WORDS * 8 - 1) {
        return Err("sent a processor model that is empty or not printable");
    }
    if let Some(g) = record.gathered {
        let times = [
            g.delivered_after_barrier_ns,
            g.sum_start_after_barrier_ns,
            g.sum_finish_after_barrier_ns,
        ];
        if times.iter().any(|&t| t > MAX_OFFSET_NS)
            || g.sum_finish_after_barrier_ns < g.sum_start_after_barrier_ns
        {
            return Err("was gathered at times no run has");
        }
    }
    Ok(())
}

/// The moment on the driver's clock at which the ranks are taken to have
/// left the barrier together. Rank 0's own barrier time when it ran on this
/// machine (same boot id: the same `CLOCK_MONOTONIC`) and that time lies
/// within the run; otherwise an estimate from when the driver read the
/// line: `received_ns` less the longest rank's finish offset, no earlier
/// than the run's start. Every rank's times are offsets from its own barrier
/// exit, placed on this one moment.
pub(crate) fn barrier_on_driver_clock(
    records: &[RankRecord],
    boot_id: Option<&str>,
    launched_ns: u64,
    received_ns: u64,
) -> u64 {
    let last = records
        .iter()
        .map(|r| r.finish_after_barrier_ns)
        .max()
        .unwrap_or(0);
    if let (Some(rank0), Some(boot_id)) = (records.first(), boot_id) {
        let latest = received_ns.saturating_sub(last);
        if rank0.boot_id == boot_id && (launched_ns..=latest).contains(&rank0.barrier_ns) {
            return rank0.barrier_ns;
        }
    }
    received_ns.saturating_sub(last).max(launched_ns)
}

/// The workers' reports: every rank's offsets placed on `barrier_ns`.
pub(crate) fn reports(records: Vec<RankRecord>, barrier_ns: u64) -> Vec<WorkerReport> {
    records
        .into_iter()
        .map(|r| WorkerReport {
            worker: r.rank,
            sum: r.sum,
            start_ns: barrier_ns + r.start_after_barrier_ns,
            finish_ns: barrier_ns + r.finish_after_barrier_ns,
            cpu_time: Duration::from_nanos(r.cpu_ns),
            // A rank's wait is not carried in its record: mpi rows go
            // unaccounted.
            waiting_for_cpu: None,
            cpu_at_start: r.cpu_at_start,
            cpu_at_finish: r.cpu_at_finish,
            pid: r.pid,
            // A rank computes on its main thread.
            tid: r.pid,
            peak_rss_bytes: Some(r.peak_rss_bytes),
            held_ns: Vec::new(),
            host: Some(r.host),
            ready_ns: Some(barrier_ns),
            transfer: r.gathered.map(|g| WorkerTransfer {
                bytes: g.bytes,
                delivered_ns: barrier_ns + g.delivered_after_barrier_ns,
                // Its MPI library spins while it waits: the CPU a gather
                // took is not the copies'.
                copy_cpu_ns: None,
                sum_start_ns: barrier_ns + g.sum_start_after_barrier_ns,
                sum_finish_ns: barrier_ns + g.sum_finish_after_barrier_ns,
            }),
            process: Some(ProcessFacts {
                user: Duration::from_nanos(r.user_ns),
                system: Duration::from_nanos(r.system_ns),
                counted_by_driver: r.counted_by_driver,
                host_cores: r.host_cores,
                cpu_model: r.cpu_model,
                boot_id: r.boot_id,
            }),
        })
        .collect()
}

/// A rank's failure as the launcher reported it on standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RankFailure {
    /// The rank.
    pub(crate) rank: usize,
    /// Its host, when the launcher said.
    pub(crate) host: Option<String>,
    /// What happened: `was killed by signal 9 (SIGKILL)`, `exited with status 4`.
    pub(crate) what: String,
}

/// Reads OpenMPI's reports of a failed rank from `mpirun`'s standard error:
///
/// ```text
/// mpirun noticed that process rank 2 with PID 0 on node vm exited on signal 9 (Killed).
/// ```
/// and
/// ```text
/// mpirun detected that one or more processes exited with non-zero status, …
///   Process name: [[23095,1],2]
///   Exit code:    4
/// ```
pub(crate) fn rank_failure(stderr: &str) -> Option<RankFailure> {
    let words_after = |line: &str, marker: &str| -> Option<Vec<String>> {
        let at = line.find(marker)?;
        Some(
            line[at + marker.len()..]
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        )
    };
    for line in stderr.lines() {
        // "rank 2 with PID 0 on node vm exited on signal 9 (Killed)."
        if let Some(words) = words_after(line, "noticed that process rank ") {
            let rank = words.first()?.parse().ok()?;
            let host = words
                .iter()
                .position(|w| w == "node")
                .and_then(|i| words.get(i + 1))
                .cloned();
            let signal = words
                .iter()
                .position(|w| w == "signal")
                .and_then(|i| words.get(i + 1))
                .and_then(|s| s.trim_end_matches('.').parse::<i32>().ok());
            let what = match signal {
                Some(signal) => format!(
                    "was killed by signal {signal} ({})",
                    crate::os::children::signal_name(signal)
                ),
                None => "ended abnormally".to_owned(),
            };
            return Some(RankFailure { rank, host, what });
        }
    }
    let mut lines = stderr.lines().map(str::trim);
    while let Some(line) = lines.next() {
        // "Process name: [[23095,1],2]" then "Exit code:    4"
        if let Some(name) = line.strip_prefix("Process name:") {
            let rank = name
                .trim()
                .trim_end_matches(']')
                .rsplit(',')
                .next()?
                .parse()
                .ok()?;
            let code = lines
                .next()
                .and_then(|l| l.strip_prefix("Exit code:"))
                .and_then(|c| c.trim().parse::<i32>().ok());
            let what = match code {
                Some(code) => format!("exited with status {code}"),
                None => "exited with a non-zero status".to_owned(),
            };
            return Some(RankFailure {
                rank,
                host: None,
                what,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_is_over_at_the_report_or_at_the_launchers_notice_of_a_failure() {
        let mut progress = LaunchProgress::default();
        progress.read_line(b"gilfree-mpi-computing", 10);
        progress.read_line(b"some other program's line about rank 3", 15);
        assert_eq!(progress.job_over_at(), None);
        for notice in [
            "mpirun noticed that process rank 5 with PID 0 on node vm exited on signal 9 (Killed).",
            "mpirun detected that one or more processes exited with non-zero status, thus causing",
            "srun: error: node1: task 3: Killed",
            "srun: error: node1: tasks 0-3: Exited with exit code 1",
        ] {
            let mut failed = progress.clone();
            failed.read_line(notice.as_bytes(), 20);
            assert_eq!(failed.job_over_at(), Some(20), "{notice}");
            failed.read_line(notice.as_bytes(), 30);
            assert_eq!(failed.failure_at, Some(20), "the first notice counts");
        }
        for not_a_notice in [
            "srun: error: Unable to allocate resources: Requested node configuration is not available",
            "mpirun was unable to launch the specified application",
        ] {
            let mut other = progress.clone();
            other.read_line(not_a_notice.as_bytes(), 20);
            assert_eq!(other.job_over_at(), None, "{not_a_notice}");
        }
        progress.read_line(b"gilfree-mpi-ranks 1 2 3", 40);
        assert_eq!(progress.job_over_at(), Some(40));
        progress.read_line(b"srun: error: node1: task 1: Killed", 50);
        assert_eq!(progress.job_over_at(), Some(40), "the earlier of the two");
    }

    fn record(rank: usize) -> RankRecord {
        RankRecord {
            rank,
            sum: -5 + rank as i64,
            start_after_barrier_ns: 10,
            finish_after_barrier_ns: 1_000 + rank as u64,
            cpu_ns: 900,
            peak_rss_bytes: 4 << 20,
            pid: 4242 + rank as u32,
            cpu_at_start: Some(1),
            cpu_at_finish: None,
            host: format!("node-{}", rank / 2),
            barrier_ns: 5_000,
            boot_id: "4f0c-11".to_owned(),
            user_ns: 2_000 + rank as u64,
            system_ns: 300,
            counted_by_driver: rank < 2,
            host_cores: 2,
            cpu_model: "AMD EPYC 9R14 (x)".to_owned(),
            failure: None,
            gathered: None,
        }
    }

    fn output(records: Vec<RankRecord>) -> Vec<u8> {
        format!("some launcher chatter\n{}", line(records)).into_bytes()
    }

    #[test]
    fn a_record_survives_the_words_a_rank_sends() {
        let r = record(3);
        assert_eq!(RankRecord::decode(&r.encode()), Some(r.clone()));
        let failed = RankRecord {
            failure: Some("panicked: oops".to_owned()),
            ..r.clone()
        };
        assert_eq!(RankRecord::decode(&failed.encode()), Some(failed));
        let mut words = r.encode();
        words[0] ^= 1;
        assert_eq!(RankRecord::decode(&words), None);
        assert_eq!(RankRecord::decode(&words[1..]), None);
        let long = RankRecord {
            host: "h".repeat(400),
            ..r
        };
        assert_eq!(
            RankRecord::decode(&long.encode()).unwrap().host,
            "h".repeat(255)
        );
    }

    #[test]
    fn rank_zeros_line_is_read_back_whole() {
        let records: Vec<RankRecord> = (0..4).rev().map(record).collect();
        let parsed = parse_line(&output(records), 4).unwrap();
        assert_eq!(parsed, (0..4).map(record).collect::<Vec<_>>());
    }

    #[test]
    fn a_missing_doubled_short_or_garbled_line_is_refused() {
        let good = line((0..2).map(record).collect());
        let is_output_error =
            |bytes: &[u8], workers| matches!(parse_line(bytes, workers), Err(BadOutput::Output(_)));
        assert!(is_output_error(b"nothing here\n", 2));
        assert!(is_output_error(format!("{good}{good}").as_bytes(), 2));
        assert!(is_output_error(&good.as_bytes()[..good.len() / 2], 2));
        assert!(is_output_error(good.as_bytes(), 3));
        assert!(is_output_error(
            good.replace("\"cpu_ns\"", "\"extra\":1,\"cpu_ns\"")
                .as_bytes(),
            2
        ));
        let twice = line(vec![record(0), record(0)]);
        assert!(is_output_error(twice.as_bytes(), 2));
    }

    #[test]
    fn a_bad_record_is_blamed_on_its_rank() {
        let mut records: Vec<RankRecord> = (0..3).map(record).collect();
        records[1].finish_after_barrier_ns = 1;
        assert_eq!(
            parse_line(&output(records.clone()), 3),
            Err(BadOutput::Rank {
                rank: 1,
                problem: "sent a record that finishes before it starts"
            })
        );
        records[1] = record(1);
        records[2].host = "evil\u{1b}[2J".to_owned();
        assert!(matches!(
            parse_line(&output(records.clone()), 3),
            Err(BadOutput::Rank { rank: 2, .. })
        ));
        records[2] = record(2);
        records[0].pid = 0;
        assert!(matches!(
            parse_line(&output(records.clone()), 3),
            Err(BadOutput::Rank { rank: 0, .. })
        ));
        records[0] = record(0);
        // Numbers gathered at rank 0: summed before they arrived is refused.
        let gathered = Gathered {
            bytes: 40_000,
            delivered_after_barrier_ns: 2_000,
            sum_start_after_barrier_ns: 2_100,
            sum_finish_after_barrier_ns: 2_200,
        };
        records[1].gathered = Some(gathered);
        assert_eq!(
            parse_line(&output(records.clone()), 3).map(|r| r.len()),
            Ok(3)
        );
        records[1].gathered = Some(Gathered {
            sum_finish_after_barrier_ns: 2_050,
            ..gathered
        });
        assert_eq!(
            parse_line(&output(records), 3),
            Err(BadOutput::Rank {
                rank: 1,
                problem: "was gathered at times no run has"
            })
        );
    }

    #[test]
    fn ranks_are_placed_on_rank_zeros_barrier_when_it_shares_the_clock() {
        let records: Vec<RankRecord> = (0..2).map(record).collect();
        // Same boot: rank 0's barrier time, inside the run.
        assert_eq!(
            barrier_on_driver_clock(&records, Some("4f0c-11"), 1_000, 9_000),
            5_000
        );
        // Another machine: the line's arrival less the longest rank.
        assert_eq!(
            barrier_on_driver_clock(&records, Some("other"), 1_000, 9_000),
            9_000 - 1_001
        );
        // A barrier time outside the run is not believed; never before the start.
        assert_eq!(
            barrier_on_driver_clock(&records, Some("4f0c-11"), 6_000, 6_500),
            6_000
        );
        let reports = reports(records, 5_000);
        assert_eq!(reports[1].start_ns, 5_010);
        assert_eq!(reports[1].finish_ns, 6_001);
        assert_eq!(reports[1].ready_ns, Some(5_000));
        assert_eq!(reports[1].host.as_deref(), Some("node-0"));
    }

    #[test]
    fn openmpis_reports_of_a_failed_rank_name_it() {
        let killed = "-----\nmpirun noticed that process rank 2 with PID 0 on node vm exited on \
                      signal 9 (Killed).\n-----\n";
        assert_eq!(
            rank_failure(killed),
            Some(RankFailure {
                rank: 2,
                host: Some("vm".to_owned()),
                what: "was killed by signal 9 (SIGKILL)".to_owned()
            })
        );
        let exited = "mpirun detected that one or more processes exited with non-zero status, \
                      thus causing\nthe job to be terminated. The first process to do so \
                      was:\n\n  Process name: [[23095,1],5]\n  Exit code:    4\n";
        assert_eq!(
            rank_failure(exited),
            Some(RankFailure {
                rank: 5,
                host: None,
                what: "exited with status 4".to_owned()
            })
        );
        assert_eq!(rank_failure("ssh: connect to host x: refused\n"), None);
    }
}

/// Property tests: whatever rank 0 prints, and whatever words a rank sends
/// it, the driver reads the records or says in one line why not, and the
/// run fails with exit code 1.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fault::{Edit, fuzz_cases, mutate};
    use proptest::prelude::*;

    fn valid_line() -> Vec<u8> {
        let records = (0..3)
            .map(|rank| RankRecord {
                rank,
                sum: 500 + rank as i64,
                start_after_barrier_ns: 10,
                finish_after_barrier_ns: 1_000,
                cpu_ns: 900,
                peak_rss_bytes: 1 << 20,
                pid: 100 + rank as u32,
                cpu_at_start: Some(0),
                cpu_at_finish: Some(1),
                host: "node-1".to_owned(),
                barrier_ns: 5_000,
                boot_id: "4f0c-11".to_owned(),
                user_ns: 800,
                system_ns: 100,
                counted_by_driver: rank == 0,
                host_cores: 2,
                cpu_model: "AMD EPYC 9R14".to_owned(),
                failure: None,
                gathered: (rank == 1).then_some(Gathered {
                    bytes: 40_000,
                    delivered_after_barrier_ns: 2_000,
                    sum_start_after_barrier_ns: 2_100,
                    sum_finish_after_barrier_ns: 2_200,
                }),
            })
            .collect();
        format!("launcher chatter\n{}", line(records)).into_bytes()
    }

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        proptest::collection::vec(
            (any::<usize>(), any::<u8>(), any::<u8>()).prop_map(|(at, kind, value)| Edit {
                at,
                kind,
                value,
            }),
            1..6,
        )
    }

    fn parsed_or_one_line(bytes: &[u8]) -> Result<(), TestCaseError> {
        match parse_line(bytes, 3) {
            Ok(records) => {
                prop_assert_eq!(records.len(), 3);
                for (rank, record) in records.iter().enumerate() {
                    prop_assert_eq!(record.rank, rank);
                    prop_assert!(check_record(record).is_ok());
                }
            }
            Err(BadOutput::Output(problem)) => {
                prop_assert!(!problem.contains('\n'), "{}", problem);
            }
            Err(BadOutput::Rank { problem, .. }) => {
                prop_assert!(!problem.contains('\n'), "{}", problem);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases(1000)))]

        #[test]
        fn any_output_is_records_or_one_line(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            parsed_or_one_line(&bytes)?;
            let mut prefixed = LINE_PREFIX.as_bytes().to_vec();
            prefixed.extend_from_slice(&bytes);
            parsed_or_one_line(&prefixed)?;
        }

        #[test]
        fn a_broken_line_is_records_or_one_line(edits in edits()) {
            parsed_or_one_line(&mutate(&valid_line(), &edits))?;
        }

        #[test]
        fn any_words_are_a_record_or_none(words in proptest::collection::vec(any::<u64>(), 0..(RECORD_WORDS + 4))) {
            if let Some(record) = RankRecord::decode(&words) {
                // What decodes encodes back to the words it came from.
                prop_assert_eq!(words.len(), RECORD_WORDS);
                prop_assert_eq!(RankRecord::decode(&record.encode()), Some(record));
            }
        }
    }
}
