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
        "{} workers × {} integers in [{}, {}]{}{}, {}, seed {}",
        w.workers,
        group_digits(i128::from(w.count)),
        w.low,
        w.high,
        if w.materialize { " (materialized)" } else { "" },
        if w.returns == "numbers" {
            " (handed back)"
        } else {
            ""
        },
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
    let fields: [(&'static str, String, String); 8] = [
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
        // Sums or every number handed back: a different job.
        ("workload.returns", a.returns.clone(), b.returns.clone()),
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
    let mut differences: Vec<Difference> = fields.into_iter().filter(|(_, x, y)| x != y).collect();
    differences.extend(interpreter_differences(old, new));
    differences
}

/// The interpreter that ran the Python rows, field by field: which one,
/// which version, and its GIL — a change of any of them changes what the
/// Python rows measure. `none` where a file had no Python rows.
fn interpreter_differences(old: &JsonExport, new: &JsonExport) -> Vec<Difference> {
    let field = |export: &JsonExport, get: fn(&json::InterpreterRecord) -> String| {
        export
            .interpreter
            .as_ref()
            .map_or_else(|| "none".to_owned(), get)
    };
    let gil = |i: &json::InterpreterRecord| {
        match (i.gil_enabled, i.free_threaded_build) {
            (true, false) => "enabled",
            (true, true) => "enabled (free-threaded build, PYTHON_GIL=1)",
            (false, _) => "disabled (free-threaded build)",
        }
        .to_owned()
    };
    type Field = fn(&json::InterpreterRecord) -> String;
    let fields: [(&'static str, Field); 4] = [
        ("interpreter.implementation", |i| i.implementation.clone()),
        ("interpreter.version", |i| i.version.clone()),
        ("interpreter.gil", gil),
        ("interpreter.command", |i| i.command.clone()),
    ];
    if old.interpreter.is_none() && new.interpreter.is_none() {
        return Vec::new();
    }
    fields
        .into_iter()
        .map(|(name, get)| (name, field(old, get), field(new, get)))
        .filter(|(_, x, y)| x != y)
        .collect()
}

/// The table's columns; each grows to its widest cell.
const COLUMNS: [(&str, usize); 10] = [
    ("backend", 10),
    ("old median", 10),
    ("new median", 10),
    ("new/old", 7),
    ("P(new faster)", 13),
    ("verdict", 7),
    ("old CPU", 7),
    ("new CPU", 7),
    ("old speedup", 11),
    ("new speedup", 11),
];

/// The significance level of the verdicts: 5 %, benchstat's default.
pub const ALPHA: f64 = 0.05;

fn table(out: &mut String, old: &JsonExport, new: &JsonExport) {
    let pairs: Vec<(&ResultRecord, &ResultRecord)> = old
        .results
        .iter()
        .filter_map(|a| Some((a, new.result(&a.backend)?)))
        .collect();
    if pairs.is_empty() {
        out.push_str("(no backend appears in both exports)\n");
        return;
    }
    let rows: Vec<Vec<String>> = pairs.iter().map(|(a, b)| cells(a, b)).collect();
    // Every column as wide as its widest cell: names like python-processes
    // and verdicts with long p-values stay aligned.
    let mut columns = COLUMNS;
    for (i, (name, width)) in columns.iter_mut().enumerate() {
        *width = rows
            .iter()
            .map(|cells| cells[i].chars().count())
            .chain([name.chars().count(), *width])
            .max()
            .unwrap_or(*width);
    }
    let header: Vec<String> = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
    crate::render::format::row_in(out, &header, &columns);
    for cells in &rows {
        crate::render::format::row_in(out, cells, &columns);
    }
    out.push_str(
        "\nnew/old = new median wall ÷ old median wall (below 1: the new run was faster). \
         P(new faster) = the share of (old run, new run) pairs in which the new run was faster, \
         ties half: the Mann–Whitney U over old × new runs. verdict: the U test on the two files' \
         run times, two-sided: faster or slower when p < 0.05 and the medians and the pairs agree, \
         mixed when they point opposite ways (the runs are not one distribution shifted), ~ when \
         the difference is not significant (it may be noise); n = runs old+new. CPU: median, of \
         one core. speedup: against each file's sequential row of the row's own language.\n",
    );
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
        probability_new_faster(&old.times, &new.times)
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.2}")),
        verdict(&old.times, &new.times),
        format!("{:.0}%", old.cpu_percent),
        format!("{:.0}%", new.cpu_percent),
        speedup(old),
        speedup(new),
    ]
}

/// The probability that a run of `new` is faster than a run of `old`,
/// estimated over every pair (ties count half): U ÷ (m·n), where U counts
/// the pairs in which the old run took longer. 0.5 when neither tends to
/// be faster; `None` without runs.
pub fn probability_new_faster(old: &[f64], new: &[f64]) -> Option<f64> {
    let test = stats::mann_whitney(old, new)?;
    Some(test.u / (old.len() * new.len()) as f64)
}

/// The verdict on two sets of run times: `1.05× slower  p=0.008 n=5+5`,
/// `~  p=0.42 n=5+5`, `mixed  p=0.033 n=20+20`, or `too few runs  n=3+3`.
///
/// Significance comes from the ranks (the U test), and so does the
/// direction: the new runs are faster when most (old, new) pairs say so.
/// The size is the ratio of the medians, given only when it points the
/// same way; when the medians and the pairs disagree (two runs of the
/// files are different mixtures, say, not one distribution shifted) the
/// verdict is `mixed`, with no factor.
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
        return format!("~  {p} {n}");
    }
    // U counts the pairs in which the old run took longer.
    let pairs_say_faster = test.u > (old.len() * new.len()) as f64 / 2.0;
    match (pairs_say_faster, b < a, b > a) {
        (true, true, _) => format!("{:.2}× faster  {p} {n}", a / b),
        (false, _, true) => format!("{:.2}× slower  {p} {n}", b / a),
        _ => format!("mixed  {p} {n}"),
    }
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
        assert_eq!(probability_new_faster(&old, &faster), Some(1.0));
        assert_eq!(probability_new_faster(&faster, &old), Some(0.0));
    }

    #[test]
    fn the_direction_follows_the_ranks_and_disagreement_is_mixed() {
        // Old: 11 runs near 2.0 s and 9 near 0.5 s (median 2.0 s); new: 11
        // near 1.0 s and 9 near 3.0 s (median 1.0 s). The medians say twice
        // as fast; 279 of the 400 pairs say the new runs were slower.
        let spread = |center: f64, n: usize| -> Vec<f64> {
            (0..n).map(|i| center + 0.001 * i as f64).collect()
        };
        let old = [spread(2.0, 11), spread(0.5, 9)].concat();
        let new = [spread(1.0, 11), spread(3.0, 9)].concat();
        let u = stats::mann_whitney(&old, &new).unwrap();
        assert_eq!(400.0 - u.u, 279.0, "pairs with the new run slower");
        assert!(u.p_value < ALPHA, "{u:?}");
        let line = verdict(&old, &new);
        assert!(line.starts_with("mixed  p=0.0"), "{line}");
        assert!(
            !line.contains("faster") && !line.contains("slower"),
            "{line}"
        );
        let p = probability_new_faster(&old, &new).unwrap();
        assert!((p - 121.0 / 400.0).abs() < 1e-12, "{p}");
    }
}
