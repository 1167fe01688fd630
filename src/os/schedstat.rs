//! What the scheduler says of one thread: how long it ran on a CPU, how long
//! it waited on a run queue for one (`/proc/PID/task/TID/schedstat`), and,
//! where that file is missing, the state it is in now (`R`, `S`, `D` in
//! `/proc/PID/task/TID/stat`), for sampling.
//!
//! `schedstat` holds three numbers: nanoseconds on a CPU
//! (`se.sum_exec_runtime`), nanoseconds runnable but waiting for a CPU
//! (`sched_info.run_delay`) and the number of timeslices. A thread's life
//! splits into the first, the second, and the rest, in which it slept —
//! blocked on a lock, a condition variable, a pipe (Brendan Gregg's off-CPU
//! analysis: time off a CPU is either run-queue latency or blocked). Both
//! counters start at zero when the thread is created. The kernel brings the
//! waiting time up to date when the thread gets a CPU, so a thread that
//! reads its own file reads its waiting exactly; its time on a CPU is
//! brought up to date only at scheduler events (up to a tick late), so
//! gilfree takes that from the thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`), which is exact.
//!
//! The parsers are pure, allocate nothing (a forked child uses
//! [`parse`] through `signal_safe::thread_waiting_ns`) and are tested on
//! text; the readers return `None` where the file is missing (a kernel
//! without `CONFIG_SCHED_INFO`, another OS, a thread that ended).

use std::sync::atomic::{AtomicBool, Ordering};

/// One reading of a thread's `schedstat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedTimes {
    /// Nanoseconds the thread has run on a CPU since it was created.
    pub on_cpu_ns: u64,
    /// Nanoseconds it has waited on a run queue: ready to run, no CPU free.
    pub waiting_ns: u64,
    /// Timeslices it has run.
    pub timeslices: u64,
}

/// Parses the text of a `schedstat` file: three decimal numbers separated
/// by spaces. Allocation-free.
pub fn parse(text: &[u8]) -> Option<SchedTimes> {
    let mut fields = [0u64; 3];
    let mut rest = text;
    for field in &mut fields {
        while let [b' ' | b'\t', tail @ ..] = rest {
            rest = tail;
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut value: u64 = 0;
        for &digit in &rest[..digits] {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
        }
        *field = value;
        rest = &rest[digits..];
    }
    Some(SchedTimes {
        on_cpu_ns: fields[0],
        waiting_ns: fields[1],
        timeslices: fields[2],
    })
}

/// The `schedstat` of thread `tid` of process `pid`, or `None` where it
/// cannot be read.
pub fn of_task(pid: u32, tid: u32) -> Option<SchedTimes> {
    if hidden() {
        return None;
    }
    parse(&std::fs::read(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?)
}

/// Whether this kernel keeps per-thread scheduler statistics that gilfree
/// can read: the calling thread's `schedstat` reads.
pub fn available() -> bool {
    crate::os::signal_safe::thread_waiting_ns().is_some()
}

/// What a thread was doing when its state was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// `R`: running, or ready to run and waiting for a CPU.
    Runnable,
    /// `S` (sleeping) or `D` (uninterruptible sleep, usually I/O): blocked.
    Blocked,
    /// Anything else: stopped, traced, a zombie, dead, idle.
    Other,
}

/// The state in a `/proc/PID/task/TID/stat` line: the field after the
/// command name, which is in parentheses and may itself contain spaces and
/// parentheses, so the field is found after the last `)`.
pub fn parse_state(stat: &str) -> Option<TaskState> {
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(match rest.split_whitespace().next()? {
        "R" => TaskState::Runnable,
        "S" | "D" => TaskState::Blocked,
        _ => TaskState::Other,
    })
}

/// The state of thread `tid` of process `pid` now, or `None` once it has
/// ended.
pub fn task_state(pid: u32, tid: u32) -> Option<TaskState> {
    parse_state(&std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?)
}

/// The threads of process `pid` (empty once it has ended).
pub fn tasks(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        },
    )
}

static HIDDEN: AtomicBool = AtomicBool::new(false);

/// Whether the files are to be treated as missing ([`hide`]). An atomic
/// load: a forked child may ask.
pub(crate) fn hidden() -> bool {
    HIDDEN.load(Ordering::Relaxed)
}

/// Tests only (feature `fault-injection`): treat every `schedstat` file as
/// missing from now on, as on a kernel without scheduler statistics, so that
/// the accounting falls back to sampled thread states. The binary does so
/// when the environment variable [`HIDE_ENV_VAR`] is set.
#[cfg(feature = "fault-injection")]
pub fn hide(hidden: bool) {
    HIDDEN.store(hidden, Ordering::Relaxed);
}

/// The environment variable that makes a test build of the binary [`hide`]
/// the `schedstat` files.
#[cfg(feature = "fault-injection")]
pub const HIDE_ENV_VAR: &str = "GILFREE_TEST_NO_SCHEDSTAT";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_is_three_numbers() {
        assert_eq!(
            parse(b"166178 2944527 2\n"),
            Some(SchedTimes {
                on_cpu_ns: 166_178,
                waiting_ns: 2_944_527,
                timeslices: 2
            })
        );
        assert_eq!(parse(b"1 2 3"), parse(b"1  2\t3\n"));
        assert_eq!(parse(b"1 2"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"1 x 3"), None);
        assert_eq!(parse(b"-1 2 3"), None);
        // A number beyond 64 bits is not a reading.
        assert_eq!(parse(b"99999999999999999999999 2 3"), None);
    }

    #[test]
    fn the_state_is_read_past_a_command_name_with_parentheses() {
        assert_eq!(
            parse_state("42 (a) b) (c) R 7 42"),
            Some(TaskState::Runnable)
        );
        assert_eq!(parse_state("42 (py) S 7"), Some(TaskState::Blocked));
        assert_eq!(parse_state("42 (py) D 7"), Some(TaskState::Blocked));
        assert_eq!(parse_state("42 (py) Z 7"), Some(TaskState::Other));
        assert_eq!(parse_state("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_sleeping_thread_reads_as_blocked_and_its_times_read() {
        let pid = std::process::id();
        let (tell, told) = std::sync::mpsc::channel();
        let (_stop, stopped) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            tell.send(crate::os::signal_safe::thread_id()).unwrap();
            let _ = stopped.recv();
        });
        let tid = told.recv().unwrap();
        // Blocked in recv until `_stop` drops; give it a moment to get there.
        let mut state = None;
        for _ in 0..200 {
            state = task_state(pid, tid);
            if state == Some(TaskState::Blocked) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let times = of_task(pid, tid);
        assert!(tasks(pid).contains(&tid));
        drop(_stop);
        sleeper.join().unwrap();
        assert_eq!(state, Some(TaskState::Blocked));
        assert!(times.is_some());
    }
}
