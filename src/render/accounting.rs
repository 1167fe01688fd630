//! Where the workers' time went, as text: the second table of the report
//! (running, waiting for a core, blocked, threads wanting to run at once;
//! the coordinating threads apart) and `--explain`'s line per row. Figures
//! only: what they mean is read in `measure/`.

use std::fmt::Write as _;

use super::format::row_in;
use crate::measure::{AccountingSource, BackendResult, Report, TimeAccounting};
use crate::text::counted;

const COLUMNS: [(&str, usize); 7] = [
    ("backend", 10),
    ("threads", 7),
    ("running", 7),
    ("waiting", 7),
    ("blocked", 7),
    ("wanting to run", 14),
    ("coordinating threads, apart", 27),
];

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `1 thread: 2% / 0% / 98%`, or `—` when nothing was accounted.
fn apart(accounting: Option<TimeAccounting>) -> String {
    match accounting.and_then(|a| Some((a.threads, a.shares()?))) {
        Some((threads, s)) => format!(
            "{threads} {}: {} / {} / {}",
            if threads == 1 { "thread" } else { "threads" },
            percent(s.running),
            percent(s.waiting),
            percent(s.blocked)
        ),
        None => "—".to_owned(),
    }
}

fn cells(result: &BackendResult) -> Vec<String> {
    let dash = || "—".to_owned();
    let accounting = result.time_accounting();
    let shares = accounting.and_then(|a| a.shares());
    vec![
        result.name().to_owned(),
        accounting.map_or_else(dash, |a| a.threads.to_string()),
        shares.map_or_else(dash, |s| percent(s.running)),
        shares.map_or_else(dash, |s| percent(s.waiting)),
        shares.map_or_else(dash, |s| percent(s.blocked)),
        match (result.wanting_to_run(), accounting) {
            (Some(wanting), Some(a)) => format!("{wanting:.2} of {}", a.threads),
            _ => dash(),
        },
        apart(result.coordinator_accounting()),
    ]
}

/// The second table: one row per backend, when at least one was accounted.
pub(crate) fn table(out: &mut String, report: &Report) {
    if report.results.iter().all(|r| r.time_accounting().is_none()) {
        return;
    }
    let sampled = report
        .results
        .iter()
        .any(|r| r.accounting_source() == Some(AccountingSource::SampledStates));
    let _ = writeln!(
        out,
        "\nWhere the workers' time went (each worker thread's life, summed over the runs; {}):",
        if sampled {
            "schedstat where the kernel has it, else the thread states the sampler saw"
        } else {
            "the threads' CPU clocks and schedstat"
        }
    );
    let mut columns = COLUMNS;
    columns[0].1 = report
        .results
        .iter()
        .map(|r| r.name().chars().count())
        .fold(COLUMNS[0].1, usize::max);
    let header: Vec<String> = columns.iter().map(|(name, _)| (*name).to_owned()).collect();
    row_in(out, &header, &columns);
    for result in &report.results {
        row_in(out, &cells(result), &columns);
    }
    let _ = writeln!(
        out,
        "\nrunning = on a CPU; waiting = ready to run, no core free; blocked = asleep (a lock, the GIL,\n\
         a pipe, a join). wanting to run = (running + waiting) / wall: how many of the threads wanted a\n\
         core at once, on average. Coordinating threads — gilfree's, the interpreter's main thread, a\n\
         pool's helpers — started and waited for the workers; their running / waiting / blocked are apart."
    );
}

/// One line per accounted row, for `--explain`: the shares and how many
/// threads wanted to run at once.
pub(crate) fn lines(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter_map(|r| {
            let a = r.time_accounting()?;
            let s = a.shares()?;
            let wanting = r.wanting_to_run()?;
            let cores = r.cores_busy()?;
            Some(format!(
                "{}: {} running {} of {}, waiting for a core {}, blocked {}; on average \
                 {wanting:.2} wanted to run at once and ran on {cores:.2} cores{}.",
                r.name(),
                counted(a.threads, "worker thread,", "worker threads,"),
                percent(s.running),
                if a.threads == 1 { "its life" } else { "their lives" },
                percent(s.waiting),
                percent(s.blocked),
                match r.accounting_source() {
                    Some(AccountingSource::SampledStates) => {
                        " (waiting estimated from sampled thread states: this kernel has no schedstat)"
                    }
                    _ => "",
                }
            ))
        })
        .collect()
}
