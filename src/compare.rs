//! `gilfree compare OLD.json NEW.json`: two JSON exports side by side — two
//! machines, two commits, or two workloads.
//!
//! For each backend present in both it prints the ratio of the median wall
//! times, new ÷ old, and a verdict decided by the Mann–Whitney U test on
//! the two files' run times, as Go's benchstat does: "faster" or "slower"
//! when p < 0.05, `~` when the difference is not significant, and "too few
//! runs" when the sample sizes cannot reach p < 0.05 at all; p and the
//! sample sizes stand beside every verdict. Then the speedups over each
//! file's own sequential rows, which stay comparable even when the
//! workloads or machines differ. Every difference in workload,
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

/// The largest file `compare` reads: the largest export gilfree writes
/// ([`json::MAX_BYTES`]).
pub const MAX_EXPORT_BYTES: u64 = json::MAX_BYTES;

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

    let busy = |export: &JsonExport| -> Vec<String> {
        export
            .results
            .iter()
            .filter(|r| r.contended)
            .map(|r| format!("{} ({:.2} cores)", r.backend, r.others_cores.unwrap_or(0.0)))
            .collect()
    };
    let (old_busy, new_busy) = (busy(old), busy(new));
    if !old_busy.is_empty() || !new_busy.is_empty() {
        let mut parts = Vec::new();
        for (label, rows) in [("old", old_busy), ("new", new_busy)] {
            if !rows.is_empty() {
                parts.push(format!("in {label}, {}", rows.join(", ")));
            }
        }
        let _ = writeln!(
            out,
            "\nwarning: other programs kept cores busy during some runs ({}): a difference in \
             those rows may be theirs, not the code's.",
            parts.join("; ")
        );
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

/// `5`, or `5–20 until ±2%`.
fn plan_words(plan: &json::PlanRecord) -> String {
    match plan.precision {
        Some(p) if plan.min_runs != plan.max_runs => {
            format!("{}–{} until ±{}%", plan.min_runs, plan.max_runs, p * 100.0)
        }
        _ => plan.min_runs.to_string(),
    }
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
        ("plan.runs", plan_words(&old.plan), plan_words(&new.plan)),
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
    ("old median", 10),
    ("new median", 10),
    ("new/old", 7),
    ("verdict", 26),
    ("old speedup", 11),
    ("new speedup", 11),
];

/// The significance level of the verdicts: 5 %, benchstat's default.
pub const ALPHA: f64 = 0.05;

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
            "\nnew/old = new median wall ÷ old median wall (below 1: the new run was faster). \
             verdict: Mann–Whitney U test on the two files' run times, two-sided; faster or slower \
             when p < 0.05, ~ when the difference is not significant (it may be noise), n = runs old+new. \
             speedup: against each file's sequential row of the row's own language.\n",
        );
    } else {
        out.push_str("(no backend appears in both exports)\n");
    }
}

fn cells(old: &ResultRecord, new: &ResultRecord) -> Vec<String> {
    let speedup = |r: &ResultRecord| {
        r.speedup
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.2}×"))
    };
    let duration = |secs: f64| {
        crate::render::format::duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
    };
    let ratio = (old.median > 0.0).then(|| new.median / old.median);
    vec![
        old.backend.clone(),
        duration(old.median),
        duration(new.median),
        ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.2}")),
        verdict(&old.times, &new.times),
        speedup(old),
        speedup(new),
    ]
}

/// The verdict on two sets of run times: `1.05× slower  p=0.008 n=5+5`,
/// `~  p=0.42 n=5+5`, or `too few runs  n=3+3`.
pub fn verdict(old: &[f64], new: &[f64]) -> String {
    let n = format!("n={}+{}", old.len(), new.len());
    let Some(test) = stats::mann_whitney(old, new) else {
        return format!("no runs  {n}");
    };
    if test.smallest_p >= ALPHA {
        return format!("too few runs  {n}");
    }
    let p = if test.p_value < 0.001 {
        "p<0.001".to_owned()
    } else {
        format!("p={:.3}", test.p_value)
    };
    let (Some(a), Some(b)) = (stats::median(old), stats::median(new)) else {
        return format!("no runs  {n}");
    };
    if test.p_value >= ALPHA || a <= 0.0 || b <= 0.0 {
        format!("~  {p} {n}")
    } else if b < a {
        format!("{:.2}× faster  {p} {n}", a / b)
    } else {
        format!("{:.2}× slower  {p} {n}", b / a)
    }
}

fn row(out: &mut String, cells: &[String]) {
    crate::render::format::row_in(out, cells, &COLUMNS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_need_significance_and_enough_runs() {
        let old = [1.00, 1.01, 0.99, 1.02, 0.98];
        let faster = [0.50, 0.51, 0.49, 0.52, 0.48];
        assert_eq!(verdict(&old, &faster), "2.00× faster  p=0.008 n=5+5");
        assert_eq!(verdict(&faster, &old), "2.00× slower  p=0.008 n=5+5");
        let same = [1.005, 0.995, 1.015, 0.985, 1.0];
        assert!(
            verdict(&old, &same).starts_with("~  p="),
            "{}",
            verdict(&old, &same)
        );
        assert_eq!(verdict(&old[..3], &faster[..3]), "too few runs  n=3+3");
        assert_eq!(verdict(&[], &faster), "no runs  n=0+5");
    }
}
