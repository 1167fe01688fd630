//! `--rng python`: CPython's random numbers, bit for bit — against fixtures
//! written by CPython (scripts/python-fixtures.py), against a live python3
//! when there is one, and on every backend.

use std::process::Command;

use gilfree::backend::{BackendKind, BackendOptions};
use gilfree::kernel::{python_numbers, worker_sum};
use gilfree::{Generator, Workload, WorkloadSpec};
use serde_json::Value;

use crate::cli::{gilfree, stderr, stdout};

const FIXTURE: &str = include_str!("fixtures/python_random.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("the fixture is JSON")
}

/// An integer the fixture writes as text (it may not fit a double).
fn int(value: &Value) -> i128 {
    value
        .as_str()
        .expect("an integer as text")
        .parse()
        .expect("an integer")
}

#[test]
fn the_streams_match_cpythons_fixtures() {
    let fixture = fixture();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 300);
    for case in cases {
        let seed = int(&case["seed"]) as u64;
        let worker = case["worker"].as_u64().unwrap() as usize;
        let low = int(&case["low"]) as i64;
        let high = int(&case["high"]) as i64;
        let count = case["count"].as_u64().unwrap() as usize;
        let drawn: Vec<i64> = python_numbers(seed, worker, low, high)
            .take(count)
            .collect();
        let sum: i128 = drawn.iter().map(|&x| i128::from(x)).sum();
        assert_eq!(sum, int(&case["sum"]), "{case}");
        let first: Vec<i128> = case["first"].as_array().unwrap().iter().map(int).collect();
        let ours: Vec<i128> = drawn.iter().take(5).map(|&x| i128::from(x)).collect();
        assert_eq!(ours, first, "{case}");
        // Where the workload is valid, the kernel's sum is the same.
        if let Ok(workload) = Workload::new(WorkloadSpec {
            workers: worker + 1,
            count: count as u64,
            low,
            high,
            seed,
            generator: Generator::Python,
            ..WorkloadSpec::default()
        }) {
            assert_eq!(i128::from(worker_sum(&workload, worker)), sum, "{case}");
        }
    }
}

fn book_python(seed: u64) -> Workload {
    Workload::new(WorkloadSpec {
        seed,
        generator: Generator::Python,
        ..WorkloadSpec::default()
    })
    .unwrap()
}

#[test]
fn every_backend_reproduces_cpythons_sums_for_the_books_workload() {
    let expected: Vec<i64> = fixture()["book_seed_2015_sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let workload = book_python(2015);
    let options = BackendOptions {
        rayon_threads: 2,
        ..BackendOptions::default()
    };
    for kind in BackendKind::in_process() {
        let backend = kind.build(&options).unwrap();
        let mut reports = backend.run(&workload).unwrap();
        reports.sort_by_key(|r| r.worker);
        let sums: Vec<i64> = reports.iter().map(|r| r.sum).collect();
        assert_eq!(sums, expected, "{}", kind.name());
    }
}

#[test]
fn the_cli_prints_cpythons_sums_with_rng_python() {
    // The book's count: the fixture holds CPython's sums for 8 × 1M.
    let output = gilfree(&[
        "--rng",
        "python",
        "--seed",
        "2015",
        "--runs",
        "1",
        "--backend",
        "threads",
        "-n",
        "1M",
    ]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected: Vec<String> = fixture()["book_seed_2015_sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    assert!(
        out.contains(&format!("Results: [{}]", expected.join(", "))),
        "{out}"
    );
    assert!(
        out.contains("seed 2015") && out.contains(", python, "),
        "{out}"
    );
}

/// Whether `python3` runs here.
fn python3() -> Option<String> {
    let output = Command::new("python3").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[test]
fn the_streams_match_a_live_cpython() {
    let Some(version) = python3() else {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    };
    // Cases spread over seeds, workers and ranges, chosen by a fixed LCG so
    // that a failure can be repeated.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state
    };
    let ranges = [
        (1, 100),
        (-1000, 1000),
        (0, 1 << 33),
        (i64::MIN, i64::MAX),
        (-3, -3),
    ];
    let cases: Vec<(u64, usize, i64, i64, usize)> = (0..40)
        .map(|_| {
            let (low, high) = ranges[(next() % ranges.len() as u64) as usize];
            (
                next(),
                (next() % 65_536) as usize,
                low,
                high,
                (next() % 300) as usize,
            )
        })
        .collect();
    let program = format!(
        "import random\nfor s, w, lo, hi, n in {cases:?}:\n    r = random.Random((s << 32) + w)\n    print(sum(r.randint(lo, hi) for _ in range(n)))\n",
        cases = cases
            .iter()
            .map(|&(s, w, lo, hi, n)| (s, w, lo, hi, n))
            .collect::<Vec<_>>()
    );
    let output = Command::new("python3")
        .args(["-c", &program])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sums: Vec<i128> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(sums.len(), cases.len());
    for (&(seed, worker, low, high, count), &want) in cases.iter().zip(&sums) {
        let ours: i128 = python_numbers(seed, worker, low, high)
            .take(count)
            .map(i128::from)
            .sum();
        assert_eq!(
            ours, want,
            "{version}: seed {seed} worker {worker} [{low}, {high}] × {count}"
        );
    }
}
