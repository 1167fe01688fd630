//! Property tests of the parsers of outside bytes that the library exposes:
//! the JSON export reader and `compare` on what it accepts, over arbitrary
//! bytes, over byte-level mutations of a real export, and over real exports
//! with one value replaced by a hostile one; and the real binary's exit code
//! on a few of them. Each asserts no panic, a one-line error and the
//! documented exit code (2 for a file that is not an export). The parsers
//! inside the crate have theirs beside them (the worker record, the MPI
//! line, the Python report, the number and duration grammars).
//!
//! `GILFREE_FUZZ_CASES` sets the cases per property (default 1,000; the
//! binary's runs take a fiftieth of it); CI runs tens of thousands.

use std::sync::OnceLock;

use gilfree::backend::BackendKind;
use gilfree::export::Exporter;
use gilfree::export::json::{self, JsonExporter};
use gilfree::fault::{Edit, fuzz_cases, mutate};
use gilfree::measure::{Driver, Plan};
use gilfree::{Backend, Workload, WorkloadSpec};
use proptest::prelude::*;

use crate::export::scratch;

/// A real export: two rows of two workers, three runs each.
fn valid_export() -> &'static [u8] {
    static VALID: OnceLock<Vec<u8>> = OnceLock::new();
    VALID.get_or_init(|| {
        let workload = Workload::new(WorkloadSpec {
            workers: 2,
            count: 1_000,
            seed: 7,
            ..WorkloadSpec::default()
        })
        .unwrap();
        let gil = BackendKind::named("gil")
            .unwrap()
            .build(&Default::default())
            .unwrap();
        let backends: Vec<&dyn Backend> = vec![gil.as_ref()];
        let report = Driver::new(workload, Plan::exactly(3, 0))
            .unwrap()
            .run(&backends)
            .unwrap();
        JsonExporter.serialize(&report).unwrap()
    })
}

/// Every control character but the newline, in `text`.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect()
}

/// `bytes` read as an export: an export, whose comparison with the valid
/// one and with itself prints nothing raw, or one line saying why not.
fn read_or_one_line(bytes: &[u8]) -> Result<(), TestCaseError> {
    match json::read(bytes) {
        Ok(export) => {
            let valid = json::read(valid_export()).unwrap();
            for (old, new) in [(&valid, &export), (&export, &valid), (&export, &export)] {
                let comparison = gilfree::compare::compare(old, "old.json", new, "new.json");
                prop_assert!(comparison.text.ends_with('\n'));
                prop_assert_eq!(raw_controls(&comparison.text), Vec::<char>::new());
            }
        }
        Err(err) => {
            let message = err.to_string();
            prop_assert!(!message.contains('\n'), "{}", message);
            // compare says it with the file's name: bad input, exit 2.
            let error = gilfree::Error::BadExport {
                path: "x.json".into(),
                problem: message,
            };
            prop_assert!(error.is_usage());
        }
    }
    Ok(())
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

/// Every leaf of `value` (numbers, strings, booleans, nulls, empty arrays
/// and objects), as JSON pointers.
fn leaves(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(fields) if !fields.is_empty() => {
            for (key, item) in fields {
                leaves(
                    item,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => out.push(at),
    }
}

/// Values that sit at the edges of what a field can hold.
fn hostile_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        proptest::sample::select(vec![
            json!(null),
            json!(true),
            json!(0),
            json!(-1),
            json!(1),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1e308),
            json!(-1e308),
            json!(5e-324),
            json!(-0.0),
            json!(0.5),
            json!(1e9),
            json!(1.000_000_1e9),
            json!(""),
            json!("\u{1b}[2J\u{7}\r\nX"),
            json!("python-threads"),
            json!("sequential"),
            json!([]),
            json!({}),
            json!([1, 2, 3]),
            json!([[0.0, 1.0, 2.0]]),
        ]),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        any::<String>().prop_map(|s| json!(s)),
    ]
}

/// A real export with the value at one leaf (chosen by `pick`) replaced.
fn with_value(pick: usize, value: serde_json::Value) -> Vec<u8> {
    let mut export: serde_json::Value = serde_json::from_slice(valid_export()).unwrap();
    let mut paths = Vec::new();
    leaves(&export, String::new(), &mut paths);
    let path = &paths[pick % paths.len()];
    *export.pointer_mut(path).unwrap() = value;
    serde_json::to_vec(&export).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases(1000)))]

    #[test]
    fn any_bytes_are_an_export_or_one_line(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        read_or_one_line(&bytes)?;
    }

    #[test]
    fn a_broken_export_is_an_export_or_one_line(edits in edits()) {
        read_or_one_line(&mutate(valid_export(), &edits))?;
    }

    #[test]
    fn an_export_with_a_hostile_value_is_read_and_compared_or_refused(
        pick in any::<usize>(),
        value in hostile_value(),
    ) {
        read_or_one_line(&with_value(pick, value))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases((fuzz_cases(1000) / 50).max(4)))]

    /// The real binary on a broken or hostile file: exit 0, 1 (identical
    /// workloads with different sums) or 2 (not an export) with one line,
    /// nothing printed raw, never a panic.
    #[test]
    fn compare_on_a_broken_file_exits_0_1_or_2_with_one_line(
        edits in edits(),
        pick in any::<usize>(),
        value in hostile_value(),
        hostile in any::<bool>(),
    ) {
        let dir = scratch("fuzz-compare");
        let (valid, broken) = (dir.join("valid.json"), dir.join("broken.json"));
        std::fs::write(&valid, valid_export()).unwrap();
        let bytes = if hostile { with_value(pick, value) } else { mutate(valid_export(), &edits) };
        std::fs::write(&broken, &bytes).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .arg("compare")
            .args([&valid, &broken])
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        prop_assert_eq!(raw_controls(&out), Vec::<char>::new());
        prop_assert_eq!(raw_controls(&err), Vec::<char>::new());
        match output.status.code() {
            Some(0) => prop_assert!(err.is_empty(), "{}", err),
            Some(1) => prop_assert!(out.contains("sums"), "{}", out),
            Some(2) => {
                prop_assert_eq!(err.lines().count(), 1, "{}", err);
                prop_assert!(err.starts_with("error: "), "{}", err);
                prop_assert!(out.is_empty());
            }
            code => prop_assert!(false, "exit {:?}: {}", code, err),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases((fuzz_cases(1000) / 50).max(4)))]

    /// The real binary given any text for a number or a duration: it runs
    /// (--list-backends, which needs the arguments parsed and nothing
    /// else) or exits 2 with one line that quotes nothing raw.
    #[test]
    fn any_text_for_a_number_or_a_duration_is_taken_or_refused_in_one_line(
        flag in proptest::sample::select(vec![
            "--count", "--workers", "--runs", "--min-runs", "--warmup", "--threads",
            "--switch-interval", "--timeout", "--backend", "--low", "--seed",
        ]),
        text in prop_oneof![
            any::<String>(),
            "[ 0-9_.+eE-]{0,6}[kKmMgGsunµμhy]{0,3}[ 0-9]{0,3}",
        ],
    ) {
        // An argument cannot hold a NUL byte.
        let text = text.replace('\0', "");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(["--list-backends", flag, &text])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        prop_assert_eq!(raw_controls(&err), Vec::<char>::new());
        match output.status.code() {
            Some(0) => prop_assert!(err.is_empty(), "{}", err),
            Some(2) => {
                prop_assert_eq!(err.lines().count(), 1, "{}", err);
                prop_assert!(err.starts_with("error: "), "{}", err);
            }
            code => prop_assert!(false, "{} {:?}: exit {:?}: {}", flag, text, code, err),
        }
    }
}
