//! `--explain`: a few plain sentences that read a run's own figures.

use std::fmt::Write as _;

use super::format::{duration, group_digits, megabytes, round_up_1_2_5};
use super::{SHORT_JOB, WIDE_SPREAD};
use crate::measure::{BackendResult, Report};

/// A few plain sentences that read this run's own figures: what the CPU
/// column says about each kind of backend, how far the speedups got against
/// what the cores allow, and whether start-up costs or noise blur them.
/// Every sentence is chosen and filled in from the measurements; none is
/// printed whatever the numbers.
pub fn explain(report: &Report) -> String {
    let mut sentences: Vec<String> = Vec::new();
    let cores = report.machine.logical_cores;
    let workers = report.workload.workers();
    let baseline = report.baseline();
    let others: Vec<&BackendResult> = report.results.iter().skip(1).collect();
    let cpu_cores = |r: &BackendResult| r.cpu_percent_median() / 100.0;

    if let Some(gil) = report.result("gil") {
        let speedup = report.speedup(gil).unwrap_or(0.0);
        // With one worker there is nobody to take turns with.
        if cpu_cores(gil) < 1.3 && workers > 1 {
            sentences.push(format!(
                "gil kept about one core busy ({:.0}% CPU) although its {workers} threads could \
                 have used {} cores: only the thread holding the lock computes, so they took turns, and \
                 it ran at {speedup:.2}× the sequential speed — what the book's Python threads do.",
                gil.cpu_percent_median(),
                workers.min(cores),
            ));
        } else {
            sentences.push(format!(
                "gil used {:.0}% CPU, more than one core: the lock hand-overs and waiting threads \
                 cost CPU of their own here; it ran at {speedup:.2}× the sequential speed.",
                gil.cpu_percent_median()
            ));
        }
    }

    let parallel: Vec<&BackendResult> = others
        .iter()
        .copied()
        .filter(|r| r.name != "gil" && report.usable_parallelism(r) > 1)
        .collect();
    let (busy, idle): (Vec<&BackendResult>, Vec<&BackendResult>) = parallel
        .iter()
        .partition(|r| cpu_cores(r) >= 0.75 * report.usable_parallelism(r) as f64);
    if !busy.is_empty() {
        let names: Vec<&str> = busy.iter().map(|r| r.name).collect();
        let speedups: Vec<f64> = busy.iter().filter_map(|r| report.speedup(r)).collect();
        let (lo, hi) = (
            speedups.iter().copied().fold(f64::INFINITY, f64::min),
            speedups.iter().copied().fold(0.0, f64::max),
        );
        let cpu_lo = busy
            .iter()
            .map(|r| cpu_cores(r))
            .fold(f64::INFINITY, f64::min);
        let cpu_hi = busy.iter().map(|r| cpu_cores(r)).fold(0.0, f64::max);
        let ceiling = workers.min(cores);
        sentences.push(format!(
            "{} kept about {} cores busy ({:.0}–{:.0}% CPU) and ran {} faster than sequential; with \
             {workers} workers on {cores} logical cores, {ceiling}× is the most possible.",
            join_names(&names),
            if cpu_hi - cpu_lo < 0.15 { format!("{cpu_hi:.1}") } else { format!("{cpu_lo:.1}–{cpu_hi:.1}") },
            cpu_lo * 100.0,
            cpu_hi * 100.0,
            if hi - lo < 0.05 { format!("{hi:.2}×") } else { format!("{lo:.2}–{hi:.2}×") },
        ));
    }
    for r in idle {
        sentences.push(format!(
            "{} used only {:.0}% CPU of the {}00% it could: its workers were not all computing at \
             once for much of the run (start-up, or too little work to share).",
            r.name,
            r.cpu_percent_median(),
            report.usable_parallelism(r)
        ));
    }

    // Rows launched as programs on hosts (mpi): launch against compute.
    sentences.extend(super::launched::explain(report));

    let short = baseline.wall_median() < SHORT_JOB && report.workload.count() > 0;
    if short && !others.is_empty() {
        let factor = (0.5 / baseline.wall_median().as_secs_f64().max(1e-6)).max(1.0);
        sentences.push(format!(
            "The whole job took only {} on one core, so starting the workers — about 30 µs a thread, \
             130 µs a process — is a visible part of every run; --count {} would make it about half \
             a second and let the scaling show.",
            duration(baseline.wall_median()),
            group_digits(round_up_1_2_5(report.workload.count() as f64 * factor) as i128).replace(',', "_"),
        ));
        if let (Some(threads), Some(process)) = (report.result("threads"), report.result("process"))
        {
            let extra = process.wall_median().as_secs_f64() - threads.wall_median().as_secs_f64();
            // Only when the difference stands out from both backends' own spread.
            let noise = |r: &BackendResult| (r.wall_max() - r.wall_min()).as_secs_f64();
            if extra > noise(threads).max(noise(process)) {
                sentences.push(format!(
                    "process took {} longer than threads, about {} per worker: the price of fork, a \
                     pipe and waiting for each child.",
                    duration(std::time::Duration::from_secs_f64(extra)),
                    duration(std::time::Duration::from_secs_f64(extra / workers as f64)),
                ));
            }
        }
    }

    if workers > cores && !parallel.is_empty() {
        sentences.push(format!(
            "{workers} workers shared {cores} cores: beyond {cores}, more workers only take turns."
        ));
    }

    if report.workload.materialize() {
        let most = report
            .results
            .iter()
            .max_by_key(|r| r.self_peak_rss_bytes());
        if let Some(most) = most {
            sentences.push(format!(
                "Materializing the numbers cost memory: {} peaked at {} (every worker's vector at \
                 once), sequential at {}.",
                most.name,
                megabytes(most.self_peak_rss_bytes()),
                megabytes(baseline.self_peak_rss_bytes()),
            ));
        }
    }

    let spread = report
        .results
        .iter()
        .map(BackendResult::wall_spread)
        .fold(0.0, f64::max);
    if spread > WIDE_SPREAD {
        sentences.push(format!(
            "The runs of one backend differed by up to {:.0}% of their median: differences between \
             backends smaller than that are noise.",
            spread * 100.0
        ));
    }

    let mut out = String::from("\nWhat this run shows:\n");
    for sentence in sentences {
        let _ = writeln!(out, "- {sentence}");
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_joined_as_in_a_sentence() {
        assert_eq!(join_names(&["a"]), "a");
        assert_eq!(join_names(&["a", "b"]), "a and b");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }
}
