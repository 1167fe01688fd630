//! The fixed-size binary record a worker process sends its parent: eleven
//! native-endian 64-bit fields, 88 bytes, far below `PIPE_BUF`, so that one
//! `write(2)` never blocks and arrives whole. A worker that hands its
//! numbers back sends the record after them (through the pipe) or writes it
//! after them (into the shared mapping): a record is the sign that every
//! number is there.

use std::time::Duration;

use crate::error::WorkerFailure;
use crate::worker::WorkerReport;

/// The size of a record, in bytes.
pub(super) const RECORD_LEN: usize = 88;
const MAGIC: u64 = u64::from_le_bytes(*b"gilfree3");
/// The waiting field of a worker whose wait is unknown.
const UNKNOWN: u64 = u64::MAX;

/// The record of `report`, and of the CPU time the worker spent writing its
/// numbers into its pipe (`copy_cpu_ns`, 0 when it wrote none). Allocates
/// nothing: a forked child calls it.
pub(super) fn encode(report: &WorkerReport, copy_cpu_ns: u64) -> [u8; RECORD_LEN] {
    let cpu = |c: Option<u32>| c.map_or(-1, i64::from);
    let fields: [u64; RECORD_LEN / 8] = [
        MAGIC,
        report.worker as u64,
        report.sum as u64,
        report.start_ns,
        report.finish_ns,
        report.cpu_time.as_nanos() as u64,
        cpu(report.cpu_at_start) as u64,
        cpu(report.cpu_at_finish) as u64,
        (u64::from(report.pid) << 32) | u64::from(report.tid),
        report.waiting_for_cpu.map_or(UNKNOWN, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(UNKNOWN - 1)
        }),
        copy_cpu_ns,
    ];
    let mut out = [0u8; RECORD_LEN];
    for (chunk, field) in out.chunks_exact_mut(8).zip(fields) {
        chunk.copy_from_slice(&field.to_ne_bytes());
    }
    out
}

/// Decodes worker `worker`'s record, checking its length, magic and index:
/// its report, and the CPU time it spent writing its numbers.
pub(super) fn decode(bytes: &[u8], worker: usize) -> Result<(WorkerReport, u64), WorkerFailure> {
    if bytes.len() != RECORD_LEN {
        return Err(WorkerFailure::ShortRecord {
            got: bytes.len(),
            expected: RECORD_LEN,
        });
    }
    let mut fields = [0u64; RECORD_LEN / 8];
    for (field, chunk) in fields.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *field = u64::from_ne_bytes(word);
    }
    let [
        magic,
        index,
        sum,
        start_ns,
        finish_ns,
        cpu_ns,
        cpu_start,
        cpu_finish,
        ids,
        waiting_ns,
        copy_cpu_ns,
    ] = fields;
    if magic != MAGIC {
        return Err(WorkerFailure::BadRecord("wrong magic number"));
    }
    if index != worker as u64 {
        return Err(WorkerFailure::BadRecord("it names another worker"));
    }
    if finish_ns < start_ns {
        return Err(WorkerFailure::BadRecord("it finished before it started"));
    }
    if waiting_ns != UNKNOWN && waiting_ns > finish_ns - start_ns {
        return Err(WorkerFailure::BadRecord(
            "it waited for a CPU longer than it lived",
        ));
    }
    let cpu = |c: u64| u32::try_from(c as i64).ok();
    let report = WorkerReport {
        worker,
        sum: sum as i64,
        start_ns,
        finish_ns,
        cpu_time: Duration::from_nanos(cpu_ns),
        waiting_for_cpu: (waiting_ns != UNKNOWN).then(|| Duration::from_nanos(waiting_ns)),
        cpu_at_start: cpu(cpu_start),
        cpu_at_finish: cpu(cpu_finish),
        pid: (ids >> 32) as u32,
        tid: ids as u32,
        peak_rss_bytes: None,
        held_ns: Vec::new(),
        host: None,
        ready_ns: None,
        process: None,
        transfer: None,
    };
    Ok((report, copy_cpu_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WorkerReport {
        WorkerReport {
            worker: 5,
            sum: -1234567890123,
            start_ns: 10,
            finish_ns: 25,
            cpu_time: Duration::from_nanos(14),
            waiting_for_cpu: Some(Duration::from_nanos(1)),
            cpu_at_start: Some(1),
            cpu_at_finish: None,
            pid: 4242,
            tid: 4343,
            peak_rss_bytes: None,
            held_ns: Vec::new(),
            host: None,
            ready_ns: None,
            process: None,
            transfer: None,
        }
    }

    #[test]
    fn a_record_round_trips() {
        assert_eq!(decode(&encode(&sample(), 77), 5).unwrap(), (sample(), 77));
        let unknown = WorkerReport {
            waiting_for_cpu: None,
            ..sample()
        };
        assert_eq!(decode(&encode(&unknown, 0), 5).unwrap(), (unknown, 0));
    }

    #[test]
    fn a_wait_longer_than_the_life_is_rejected() {
        let impossible = WorkerReport {
            waiting_for_cpu: Some(Duration::from_nanos(16)),
            ..sample()
        };
        assert!(matches!(
            decode(&encode(&impossible, 0), 5),
            Err(WorkerFailure::BadRecord(_))
        ));
    }

    #[test]
    fn short_long_and_garbled_records_are_rejected() {
        let bytes = encode(&sample(), 0);
        assert!(matches!(
            decode(&bytes[..RECORD_LEN - 1], 5),
            Err(WorkerFailure::ShortRecord {
                got: 87,
                expected: 88
            })
        ));
        assert!(matches!(
            decode(&[], 5),
            Err(WorkerFailure::ShortRecord { got: 0, .. })
        ));
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(matches!(
            decode(&long, 5),
            Err(WorkerFailure::ShortRecord { got: 89, .. })
        ));
        let mut garbled = bytes;
        garbled[0] ^= 1;
        assert!(matches!(
            decode(&garbled, 5),
            Err(WorkerFailure::BadRecord(_))
        ));
        assert!(matches!(
            decode(&bytes, 6),
            Err(WorkerFailure::BadRecord(_))
        ));
    }
}

/// Property tests: whatever a worker process sends (a broken child, a
/// stray write), the parent decodes a record or says in one line why not,
/// and the run fails with exit code 1 naming the worker.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::error::Error;
    use crate::fault::{Edit, fuzz_cases, mutate};
    use proptest::prelude::*;

    fn valid() -> [u8; RECORD_LEN] {
        encode(
            &WorkerReport {
                worker: 3,
                sum: 50_512,
                start_ns: 100,
                finish_ns: 900,
                cpu_time: Duration::from_nanos(700),
                waiting_for_cpu: Some(Duration::from_nanos(50)),
                cpu_at_start: Some(0),
                cpu_at_finish: Some(1),
                pid: 77,
                tid: 77,
                peak_rss_bytes: None,
                held_ns: Vec::new(),
                host: None,
                ready_ns: None,
                process: None,
                transfer: None,
            },
            0,
        )
    }

    fn decoded_or_one_line(bytes: &[u8]) -> Result<(), TestCaseError> {
        match decode(bytes, 3) {
            Ok((report, _)) => {
                prop_assert_eq!(bytes.len(), RECORD_LEN);
                prop_assert_eq!(report.worker, 3);
                prop_assert!(report.finish_ns >= report.start_ns);
            }
            Err(failure) => {
                let error = Error::Worker {
                    backend: "process",
                    worker: 3,
                    failure,
                };
                prop_assert!(!error.to_string().contains('\n'), "{}", error);
                prop_assert!(!error.is_usage());
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases(1000)))]

        #[test]
        fn any_bytes_are_a_record_or_one_line(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), RECORD_LEN..=RECORD_LEN),
                proptest::collection::vec(any::<u8>(), 0..160),
            ]
        ) {
            decoded_or_one_line(&bytes)?;
        }

        #[test]
        fn a_broken_record_is_a_record_or_one_line(
            edits in proptest::collection::vec(
                (any::<usize>(), any::<u8>(), any::<u8>())
                    .prop_map(|(at, kind, value)| Edit { at, kind, value }),
                1..4,
            )
        ) {
            decoded_or_one_line(&mutate(&valid(), &edits))?;
        }
    }
}
