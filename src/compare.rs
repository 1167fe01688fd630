//! `gilfree compare OLD.json NEW.json`: two JSON exports side by side — two
//! machines, two commits, or two workloads.
//!
//! For each backend present in both it prints the ratio of the median wall
//! times, new ÷ old, with a spread propagated from both files' runs, and the
//! speedups over each file's own sequential baseline, which stay comparable
//! even when the workloads or machines differ. Every difference in workload,
//! plan, machine or gilfree version is listed, and the per-worker sums are
//! checked: the same workload must give the same sums wherever it ran.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Error;
use crate::export::json::{self, JsonExport, ResultRecord};
use crate::measure::stats;
use crate::render::format::group_digits;

/// Reads and parses a JSON export.
///
/// # Errors
/// [`Error::BadExport`] when the file cannot be read or is not an export of
/// this schema version.
pub fn read_export(path: &Path) -> Result<JsonExport, Error> {
    let bad = |problem: String| Error::BadExport {
        path: path.to_owned(),
        problem,
    };
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking to open: a FIFO that no program writes must not hang the
    // comparison (it then reads as empty); blocking reads after that.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| bad(err.to_string()))?;
    let fd = std::os::fd::AsFd::as_fd(&file);
    if let Ok(flags) = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL) {
        let flags = nix::fcntl::OFlag::from_bits_truncate(flags) - nix::fcntl::OFlag::O_NONBLOCK;
        let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(flags));
    }
    let mut bytes = Vec::new();
    file.take(MAX_EXPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| bad(err.to_string()))?;
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(bad(format!(
            "larger than {} MiB: not an export gilfree can compare",
            MAX_EXPORT_BYTES >> 20
        )));
    }
    json::read(&bytes).map_err(|err| bad(err.to_string()))
}

/// The largest file `compare` reads: an export of 10,000 runs of 8 workers
/// is about 20 MiB.
pub const MAX_EXPORT_BYTES: u64 = 256 << 20;

/// The outcome of comparing two exports.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The text to print, ending in a newline.
    pub text: String,
    /// `false` when the two exports ran the same workload yet their sums
    /// differ: one of them computed wrong numbers.
    pub sums_consistent: bool,
}

/// One field that differs between the exports: (name, old value, new value).
type Difference = (&'static str, String, String);

/// Compares `old` and `new`; `old_name` and `new_name` label them (file names).
pub fn compare(old: &JsonExport, old_name: &str, new: &JsonExport, new_name: &str) -> Comparison {
    let mut out = String::new();
    let same_machine = old.machine == new.machine;
    let _ = writeln!(out, "old: {old_name}  {}", provenance(old, true));
    let _ = writeln!(out, "new: {new_name}  {}", provenance(new, !same_machine));

    let workload = workload_differences(old, new);
    if workload.is_empty() {
        let _ = writeln!(out, "workload: {}, in both", describe_workload(old));
    } else {
        let _ = writeln!(out, "old workload: {}", describe_workload(old));
        let _ = writeln!(out, "new workload: {}", describe_workload(new));
    }
    out.push('\n');
    table(&mut out, old, new);

    let only = |a: &JsonExport, b: &JsonExport| -> Vec<String> {
        a.results
            .iter()
            .filter(|r| b.result(&r.backend).is_none())
            .map(|r| r.backend.clone())
            .collect()
    };
    for (label, names) in [("old", only(old, new)), ("new", only(new, old))] {
        if !names.is_empty() {
            let _ = writeln!(out, "only in {label}: {}", names.join(", "));
        }
    }

    let mut differences = workload.clone();
    differences.extend(other_differences(old, new));
    if !differences.is_empty() {
        out.push_str("\ndifferences:\n");
        for (field, a, b) in &differences {
            let _ = writeln!(out, "  {field:<24}{a} → {b}");
        }
    }
    if !workload.is_empty() {
        out.push_str(
            "\nwarning: the workloads differ, so new/old compares different jobs; \
             the speedup columns, each against its own file's sequential run, still compare like with like.\n",
        );
    }

    let sums_equal = old.sums == new.sums;
    let sums_consistent = sums_equal || !workload.is_empty();
    out.push('\n');
    out.push_str(match (sums_equal, workload.is_empty()) {
        (true, _) => "sums: the per-worker sums are identical in both exports.\n",
        (false, false) => "sums: they differ, as they must for different workloads.\n",
        (false, true) => {
            "error: the workloads are identical but the per-worker sums differ: \
             one of the two runs computed wrong numbers.\n"
        }
    });
    Comparison {
        text: out,
        sums_consistent,
    }
}

fn provenance(export: &JsonExport, with_machine: bool) -> String {
    let mut text = format!("gilfree {}, {}", export.gilfree_version, export.started);
    if with_machine {
        let m = &export.machine;
        let _ = write!(
            text,
            ", {} ({} logical cores, {} {})",
            m.cpu_model, m.logical_cores, m.os, m.arch
        );
    } else {
        text.push_str(", same machine");
    }
    text
}

fn describe_workload(export: &JsonExport) -> String {
    let w = &export.workload;
    format!(
        "{} workers × {} integers in [{}, {}]{}, {}, seed {}",
        w.workers,
        group_digits(i128::from(w.count)),
        w.low,
        w.high,
        if w.materialize { " (materialized)" } else { "" },
        w.generator,
        w.seed
    )
}

fn workload_differences(old: &JsonExport, new: &JsonExport) -> Vec<Difference> {
    let (a, b) = (&old.workload, &new.workload);
    let fields: [(&'static str, String, String); 7] = [
        (
            "workload.workers",
            a.workers.to_string(),
            b.workers.to_string(),
        ),
        ("workload.count", a.count.to_string(), b.count.to_string()),
        ("workload.low", a.low.to_string(), b.low.to_string()),
        ("workload.high", a.high.to_string(), b.high.to_string()),
        ("workload.seed", a.seed.to_string(), b.seed.to_string()),
        (
            "workload.generator",
            a.generator.clone(),
            b.generator.clone(),
        ),
        (
            "workload.materialize",
            a.materialize.to_string(),
            b.materialize.to_string(),
        ),
    ];
    fields.into_iter().filter(|(_, x, y)| x != y).collect()
}

fn other_differences(old: &JsonExport, new: &JsonExport) -> Vec<Difference> {
    let (a, b) = (&old.machine, &new.machine);
    let fields: [(&'static str, String, String); 10] = [
        (
            "workload.simd",
            old.workload.simd.clone().unwrap_or_default(),
            new.workload.simd.clone().unwrap_or_default(),
        ),
        (
            "plan.runs",
            old.plan.runs.to_string(),
            new.plan.runs.to_string(),
        ),
        (
            "plan.warmup",
            old.plan.warmup.to_string(),
            new.plan.warmup.to_string(),
        ),
        (
            "machine.cpu_model",
            a.cpu_model.clone(),
            b.cpu_model.clone(),
        ),
        (
            "machine.logical_cores",
            a.logical_cores.to_string(),
            b.logical_cores.to_string(),
        ),
        (
            "machine.physical_cores",
            a.physical_cores.to_string(),
            b.physical_cores.to_string(),
        ),
        ("machine.os", a.os.clone(), b.os.clone()),
        ("machine.kernel", a.kernel.clone(), b.kernel.clone()),
        ("machine.arch", a.arch.clone(), b.arch.clone()),
        (
            "gilfree_version",
            old.gilfree_version.clone(),
            new.gilfree_version.clone(),
        ),
    ];
    fields.into_iter().filter(|(_, x, y)| x != y).collect()
}

const COLUMNS: [(&str, usize); 7] = [
    ("backend", 10),
    ("old median", 11),
    ("new median", 11),
    ("new/old", 12),
    ("change", 14),
    ("old speedup", 11),
    ("new speedup", 11),
];

fn table(out: &mut String, old: &JsonExport, new: &JsonExport) {
    let header: Vec<String> = COLUMNS.iter().map(|(n, _)| (*n).to_owned()).collect();
    row(out, &header);
    let mut any = false;
    for a in &old.results {
        let Some(b) = new.result(&a.backend) else {
            continue;
        };
        any = true;
        row(out, &cells(a, b));
    }
    if any {
        out.push_str(
            "\nnew/old = new median wall ÷ old median wall (below 1: the new run was faster), \
             ± propagated from both files' spread of runs.\n",
        );
    } else {
        out.push_str("(no backend appears in both exports)\n");
    }
}

fn cells(old: &ResultRecord, new: &ResultRecord) -> Vec<String> {
    let sample = |r: &ResultRecord| (r.median, stats::robust_std_dev(&r.times).unwrap_or(0.0));
    let ratio = stats::ratio_with_error(sample(new), sample(old));
    let speedup = |r: &ResultRecord| {
        r.speedup
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.2}×"))
    };
    let duration = |secs: f64| {
        crate::render::format::duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
    };
    vec![
        old.backend.clone(),
        duration(old.median),
        duration(new.median),
        ratio.map_or_else(|| "—".to_owned(), |(r, e)| format!("{r:.2} ± {e:.2}")),
        ratio.map_or_else(|| "—".to_owned(), |(r, e)| change(r, e)),
        speedup(old),
        speedup(new),
    ]
}

/// Words for a ratio new/old with its error.
fn change(ratio: f64, error: f64) -> String {
    if ratio <= 0.0 {
        "—".to_owned()
    } else if (ratio - 1.0).abs() <= error {
        "within noise".to_owned()
    } else if ratio < 1.0 {
        format!("{:.2}× faster", 1.0 / ratio)
    } else {
        format!("{ratio:.2}× slower")
    }
}

fn row(out: &mut String, cells: &[String]) {
    crate::render::format::row_in(out, cells, &COLUMNS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_described_against_their_noise() {
        assert_eq!(change(0.5, 0.01), "2.00× faster");
        assert_eq!(change(1.25, 0.01), "1.25× slower");
        assert_eq!(change(1.04, 0.05), "within noise");
        assert_eq!(change(1.0, 0.0), "within noise");
    }
}
