//! Fault injection, for tests only: make one worker panic, exit with a code,
//! kill itself, send a short or garbled record or none at all, sleep, or fail
//! to start, so that every failure path of the backends can be exercised on
//! purpose and its handling asserted.
//!
//! Hidden from the documentation and not part of the supported interface.
//! Only a build with the `fault-injection` cargo feature can inject a fault:
//! the tests enable it (the crate is its own dev-dependency with that
//! feature), `cargo build` does not. In such a build the library takes an
//! `Injection` through `Workload::with_fault`, and the `gilfree` binary reads
//! one from the environment variable `GILFREE_TEST_FAULT`
//! (`GILFREE_TEST_FAULT=3:kill=9`), which exists for its own tests. Without
//! the feature only [`Fault`] is compiled, and since no workload can carry
//! one, the compiler removes every fault's handling.
//!
//! A fault hits one worker, in every backend or, with `@BACKEND`, in one
//! backend only (the sequential baseline always runs first, so a fault for
//! another backend needs the filter). Thread backends act on [`Fault::Panic`]
//! and [`Fault::Sleep`]; a worker
//! there is a thread of the measuring process, so the faults that end or
//! corrupt a process apply to the process backend only, which acts on all.

#[cfg(feature = "fault-injection")]
use std::fmt;
#[cfg(feature = "fault-injection")]
use std::str::FromStr;
use std::time::Duration;

/// The environment variable the binary reads an [`Injection`] from.
#[cfg(feature = "fault-injection")]
pub const ENV_VAR: &str = "GILFREE_TEST_FAULT";

/// The name a worker's thread (or process) takes while [`Fault::Sleep`]
/// holds it, so that a test sees in `/proc/PID/task/TID/comm` that the
/// worker is sleeping before it signals gilfree.
pub const SLEEPING_THREAD_NAME: &str = "fault-sleep";

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The worker panics (a forked child exits as gilfree's panic guard
    /// would, with status 5, without running the panic hook, which could
    /// block on a lock held by another thread of the parent).
    Panic,
    /// The worker process exits at once with this status.
    Exit(i32),
    /// The worker process sends itself this signal.
    Kill(i32),
    /// The worker process writes only part of its record, then exits 0.
    ShortRecord,
    /// The worker process exits 0 without writing anything.
    NoRecord,
    /// The worker process writes a full record with a wrong magic number.
    Garbled,
    /// The worker sleeps this long before computing.
    Sleep(Duration),
    /// The worker process sends its record, closes its pipe, then lives on
    /// this long before exiting: the parent waits for it in `waitid`.
    Linger(Duration),
    /// `fork` fails for this worker, as if with `EAGAIN`.
    ForkFails,
    /// `pipe` fails for this worker, as if with `EMFILE`.
    PipeFails,
    /// The worker process, handing its numbers back, is killed (SIGKILL)
    /// when it has written half of them: into its pipe, or into the shared
    /// mapping.
    DieMidWrite,
}

#[cfg(feature = "fault-injection")]
/// A fault for one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The worker it happens to.
    pub worker: usize,
    /// What happens.
    pub fault: Fault,
    /// Only in this backend (by name), or in every backend that runs the
    /// worker — the sequential baseline included — when `None`.
    pub backend: Option<String>,
}

#[cfg(feature = "fault-injection")]
impl Injection {
    /// Whether the fault hits `worker` when `backend` runs it (`None`: a
    /// backend that does not say its name).
    pub(crate) fn hits(&self, worker: usize, backend: Option<&str>) -> bool {
        self.worker == worker
            && match &self.backend {
                None => true,
                Some(only) => backend == Some(only.as_str()),
            }
    }
}

#[cfg(feature = "fault-injection")]
impl fmt::Display for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.worker)?;
        match self.fault {
            Fault::Panic => write!(f, "panic"),
            Fault::Exit(code) => write!(f, "exit={code}"),
            Fault::Kill(signal) => write!(f, "kill={signal}"),
            Fault::ShortRecord => write!(f, "short"),
            Fault::NoRecord => write!(f, "silent"),
            Fault::Garbled => write!(f, "garbled"),
            Fault::Sleep(d) => write!(f, "sleep={}", d.as_millis()),
            Fault::Linger(d) => write!(f, "linger={}", d.as_millis()),
            Fault::ForkFails => write!(f, "fork-fails"),
            Fault::PipeFails => write!(f, "pipe-fails"),
            Fault::DieMidWrite => write!(f, "die-mid-write"),
        }?;
        match &self.backend {
            Some(backend) => write!(f, "@{backend}"),
            None => Ok(()),
        }
    }
}

#[cfg(feature = "fault-injection")]
impl FromStr for Injection {
    type Err = String;

    /// `WORKER:FAULT[@BACKEND]`, the fault one of `panic`, `exit=CODE`,
    /// `kill=SIGNAL`, `short`, `silent`, `garbled`, `sleep=MILLISECONDS`,
    /// `linger=MILLISECONDS`,
    /// `fork-fails`, `pipe-fails`, `die-mid-write`; `@BACKEND` limits it to
    /// one backend.
    fn from_str(spec: &str) -> Result<Injection, String> {
        let bad = || {
            format!(
                "{ENV_VAR}={spec:?} is not WORKER:FAULT[@BACKEND] (panic, exit=CODE, kill=SIGNAL, \
                 short, silent, garbled, sleep=MS, linger=MS, fork-fails, pipe-fails, \
                 die-mid-write)"
            )
        };
        let (spec_only, backend) = match spec.split_once('@') {
            Some((rest, backend)) if !backend.trim().is_empty() => {
                (rest, Some(backend.trim().to_owned()))
            }
            Some(_) => return Err(bad()),
            None => (spec, None),
        };
        let (worker, fault) = spec_only.split_once(':').ok_or_else(bad)?;
        let worker = worker.trim().parse().map_err(|_| bad())?;
        let (name, value) = fault.split_once('=').unwrap_or((fault, ""));
        let number = || value.parse::<i64>().map_err(|_| bad());
        let fault = match name.trim() {
            "panic" => Fault::Panic,
            "exit" => Fault::Exit(i32::try_from(number()?).map_err(|_| bad())?),
            "kill" => Fault::Kill(i32::try_from(number()?).map_err(|_| bad())?),
            "short" => Fault::ShortRecord,
            "silent" => Fault::NoRecord,
            "garbled" => Fault::Garbled,
            "sleep" => Fault::Sleep(Duration::from_millis(
                u64::try_from(number()?).map_err(|_| bad())?,
            )),
            "linger" => Fault::Linger(Duration::from_millis(
                u64::try_from(number()?).map_err(|_| bad())?,
            )),
            "fork-fails" => Fault::ForkFails,
            "pipe-fails" => Fault::PipeFails,
            "die-mid-write" => Fault::DieMidWrite,
            _ => return Err(bad()),
        };
        Ok(Injection {
            worker,
            fault,
            backend,
        })
    }
}

/// One edit of a valid input, for the property tests that feed every
/// parser of outside bytes its valid inputs slightly broken: `at` picks the
/// place (modulo the length), `kind` the edit (modulo 6), `value` its byte,
/// length or token.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Where, modulo the input's length + 1.
    pub at: usize,
    /// Which edit, modulo 6: flip bits, delete, insert a byte, repeat a
    /// piece, cut the rest, or insert a token that parsers trip on.
    pub kind: u8,
    /// The byte, the length or the token's index.
    pub value: u8,
}

/// Tokens that a parser of numbers, JSON or records meets at its edges.
#[cfg(feature = "fault-injection")]
const TOKENS: [&[u8]; 18] = [
    b"-1",
    b"0",
    b"1e309",
    b"-0.0",
    b"null",
    b"\"\\u001b[2J\\u0007\"",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"NaN",
    b"[]",
    b"{}",
    b",",
    b"\"",
    b"\\",
    b"\n",
    b"\0",
    b"\xff\xfe",
    b"\xe2\x80\xae",
];

/// `valid` with `edits` applied one after another.
#[cfg(feature = "fault-injection")]
pub fn mutate(valid: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = valid.to_vec();
    for edit in edits {
        let at = edit.at % (bytes.len() + 1);
        let length = usize::from(edit.value % 32) + 1;
        match edit.kind % 6 {
            0 if at < bytes.len() => bytes[at] ^= edit.value | 1,
            1 => {
                let end = (at + length).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => bytes.insert(at, edit.value),
            3 => {
                let end = (at + length).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                bytes.splice(at..at, piece);
            }
            4 => bytes.truncate(at),
            5 => {
                let token = TOKENS[usize::from(edit.value) % TOKENS.len()];
                bytes.splice(at..at, token.iter().copied());
            }
            _ => {}
        }
    }
    bytes
}

/// How many cases each property test of a parser runs: `default`, or
/// `GILFREE_FUZZ_CASES` when set (CI sets tens of thousands).
#[cfg(feature = "fault-injection")]
pub fn fuzz_cases(default: u32) -> u32 {
    std::env::var("GILFREE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[cfg(feature = "fault-injection")]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injections_parse_and_print_back() {
        for spec in [
            "3:panic",
            "0:exit=7",
            "2:kill=9",
            "1:short",
            "1:silent",
            "5:garbled",
            "4:sleep=250",
            "4:linger=250",
            "6:fork-fails",
            "7:pipe-fails",
            "1:die-mid-write",
            "2:panic@rayon",
            "3:kill=15@process",
        ] {
            let injection: Injection = spec.parse().unwrap();
            assert_eq!(injection.to_string(), spec);
        }
        for bad in [
            "",
            "3",
            "x:panic",
            "3:explode",
            "3:exit=",
            "3:sleep=-1",
            "3:kill=x",
            "3:panic@",
        ] {
            assert!(bad.parse::<Injection>().is_err(), "{bad}");
        }
    }

    #[test]
    fn mutations_apply_each_kind_of_edit() {
        let edit = |at, kind, value| Edit { at, kind, value };
        assert_eq!(mutate(b"abc", &[]), b"abc");
        assert_eq!(mutate(b"abc", &[edit(1, 0, 2)]), b"aac");
        assert_eq!(mutate(b"abcdef", &[edit(1, 1, 1)]), b"adef");
        assert_eq!(mutate(b"abc", &[edit(3, 2, b'!')]), b"abc!");
        assert_eq!(mutate(b"abc", &[edit(0, 3, 1)]), b"ababc");
        assert_eq!(mutate(b"abc", &[edit(6, 4, 0)]), b"ab");
        assert_eq!(mutate(b"ab", &[edit(1, 5, 4)]), b"anullb");
        // Any place and any edit: never out of bounds.
        for at in [0, 1, 7, usize::MAX] {
            for kind in 0..12 {
                let _ = mutate(b"", &[edit(at, kind, 255)]);
                let _ = mutate(b"xyz", &[edit(at, kind, 255), edit(at, kind, 0)]);
            }
        }
    }

    #[test]
    fn a_backend_filter_limits_the_fault_to_that_backend() {
        let any: Injection = "3:panic".parse().unwrap();
        assert!(any.hits(3, Some("sequential")) && any.hits(3, None));
        assert!(!any.hits(2, Some("sequential")));
        let rayon: Injection = "3:panic@rayon".parse().unwrap();
        assert!(rayon.hits(3, Some("rayon")));
        assert!(!rayon.hits(3, Some("sequential")) && !rayon.hits(3, None));
    }
}
