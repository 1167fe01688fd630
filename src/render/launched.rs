//! Rows whose workers ran in a program the backend launched on some hosts
//! (the `mpi` backend): where the workers ran, and how a typical run's wall
//! time split into launch, compute and collection.

use std::fmt::Write as _;
use std::time::Duration;

use super::format::duration;
use crate::measure::findings::{Finding, LaunchSplit};
use crate::measure::{BackendResult, Report, RunMeasurement};
use crate::text::{counted, plural};

/// `127.0.0.2 (workers 0–3), 127.0.0.3 (workers 4–7)` for a run's workers.
fn placement(run: &RunMeasurement) -> String {
    let mut hosts: Vec<(&str, Vec<usize>)> = Vec::new();
    for w in &run.workers {
        let Some(host) = w.host.as_deref() else {
            continue;
        };
        match hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, workers)) => workers.push(w.worker),
            None => hosts.push((host, vec![w.worker])),
        }
    }
    let parts: Vec<String> = hosts
        .into_iter()
        .map(|(host, workers)| format!("{host} ({})", ranges(&workers)))
        .collect();
    parts.join(", ")
}

/// `workers 0–3, 6`, `worker 5`.
fn ranges(workers: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < workers.len() {
        let mut j = i;
        while j + 1 < workers.len() && workers[j + 1] == workers[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            workers[i].to_string()
        } else {
            format!("{}–{}", workers[i], workers[j])
        });
        i = j + 1;
    }
    let noun = if workers.len() == 1 {
        "worker"
    } else {
        "workers"
    };
    format!("{noun} {}", parts.join(", "))
}

/// The header's lines on the hosts of launched rows: each host's cores and
/// processor, and the cores in all (hosts that share a machine counted
/// once).
pub(super) fn hosts_header(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter_map(|result| {
            let hosts = result.host_facts();
            let across = crate::measure::cores_across(&hosts)?;
            let each: Vec<String> = hosts
                .iter()
                .map(|h| format!("{} {}", h.name, counted(h.logical_cores, "core", "cores")))
                .collect();
            let mut models: Vec<&str> = hosts.iter().map(|h| h.cpu_model.as_str()).collect();
            models.dedup();
            let shared = if across.hosts_share_machines() {
                format!(
                    "; {} on {} (the same boot id: one kernel, its cores shared)",
                    counted(across.hosts, "host", "hosts"),
                    counted(across.machines, "machine", "machines")
                )
            } else {
                String::new()
            };
            Some(format!(
                "{}: {} ({}){shared}: {} cores in all",
                result.name(),
                each.join(", "),
                models.join(", "),
                across.cores
            ))
        })
        .collect()
}

/// The report's section on launched rows, or nothing.
pub(super) fn text(out: &mut String, report: &Report) {
    let mut lines = String::new();
    for finding in &report.findings() {
        let Finding::Launched { row, split, .. } = finding else {
            continue;
        };
        let Some(result) = report.result(row) else {
            continue;
        };
        let Some((_, run)) = result.typical_run() else {
            continue;
        };
        let hosts = result.hosts().len();
        let _ = writeln!(
            lines,
            "  {}: {} ranks on {hosts} {}: {}",
            result.name(),
            run.workers.len(),
            plural(hosts, "host", "hosts"),
            placement(run)
        );
        let _ = writeln!(
            lines,
            "  {}: of the typical run's {} wall, launch {} (the launcher, the ranks' start, \
             MPI_Init, the start barrier), compute {} (the barrier to the last rank's finish), \
             collection {} (gathering, MPI_Finalize, the launcher's end); median launch {}",
            result.name(),
            duration(split.wall),
            duration(split.launch),
            duration(split.compute),
            duration(split.collection),
            duration(result.launch_median().unwrap_or_default()),
        );
        let uncounted = result.uncounted_cpu_median();
        if !uncounted.is_zero() {
            let _ = writeln!(
                lines,
                "  {}: user, sys and CPU include {} (median) of CPU time that ranks not reaped by \
                 gilfree measured themselves (on other hosts, or under another daemon); the \
                 launcher's daemons there are not counted",
                result.name(),
                duration(uncounted)
            );
        }
    }
    if !lines.is_empty() {
        out.push_str("\nLaunched rows (workers in programs started for each run):\n");
        out.push_str(&lines);
    }
}

/// `--explain`'s sentence on a launched row: what part was launch and what
/// was compute.
pub(super) fn sentence(result: &BackendResult, split: &LaunchSplit) -> Option<String> {
    let (_, run) = result.typical_run()?;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / split.wall.as_secs_f64().max(1e-12);
    let hosts = result.hosts();
    Some(format!(
        "{} spent {} of its {} run launching ({:.0}%: mpirun starting {} rank processes on \
         {}, each initializing MPI and meeting at a barrier) and only {} computing ({:.0}%), \
         timed by the ranks themselves from the barrier; the remaining {} gathered the \
         results and shut MPI down. Its speedup counts all of it: launch costs the same \
         whatever the work, so it matters less the larger --count is.",
        result.name(),
        duration(split.launch),
        duration(split.wall),
        share(split.launch),
        run.workers.len(),
        match hosts.as_slice() {
            [one] => format!("host {one}"),
            _ => format!("{} hosts", hosts.len()),
        },
        duration(split.compute),
        share(split.compute),
        duration(split.collection),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_ranges_are_compact() {
        assert_eq!(ranges(&[0, 1, 2, 3]), "workers 0–3");
        assert_eq!(ranges(&[4, 6, 7]), "workers 4, 6–7");
        assert_eq!(ranges(&[5]), "worker 5");
    }
}
