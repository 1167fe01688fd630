//! The numbers workers hand back (`--return numbers`), for the backends
//! whose workers are threads of this process: one buffer the parent owns,
//! mapped before the workers start, cut into one disjoint slice per worker.
//! Each worker writes its numbers straight into its slice — nothing is
//! copied on the way, the `readinto` idea — and once every worker has
//! ended, the parent sums each slice.

use crate::error::Error;
use crate::kernel::{Return, Workload};
use crate::os::signal_safe::MappedBytes;
use crate::worker::{self, WorkerReport};

/// The parent's buffer of every worker's numbers.
pub(crate) struct Returned {
    buffer: MappedBytes,
    per_worker: usize,
}

impl Returned {
    /// The buffer for `workload`'s numbers, or `None` when its workers hand
    /// back sums.
    ///
    /// # Errors
    /// [`Error::Setup`] when the memory cannot be mapped.
    pub(crate) fn for_workload(
        backend: &'static str,
        workload: &Workload,
    ) -> Result<Option<Returned>, Error> {
        if workload.returns() == Return::Sums {
            return Ok(None);
        }
        // Workload::new checked that they fit the address space.
        let per_worker = workload.numbers_bytes_per_worker() as usize;
        let buffer = MappedBytes::private_populated(workload.returned_bytes() as usize)
            .ok_or_else(|| Error::Setup {
                backend,
                what: "could not map memory for the numbers the workers hand back",
                source: std::io::Error::last_os_error(),
            })?;
        Ok(Some(Returned { buffer, per_worker }))
    }

    /// Worker `worker`'s numbers.
    pub(crate) fn of(&self, worker: usize) -> &[u8] {
        &self.buffer.as_slice()[worker * self.per_worker..(worker + 1) * self.per_worker]
    }

    /// Sums each worker's numbers into its report, in the parent, after the
    /// workers have ended.
    pub(crate) fn sum_into(&self, workload: &Workload, reports: &mut [WorkerReport]) {
        for report in reports {
            worker::sum_delivered(workload, report, self.of(report.worker));
        }
    }
}

/// One slot per worker of `workers`: its slice of `returned`, or `None`
/// for every worker when they hand back sums.
pub(crate) fn slots(returned: Option<&mut Returned>, workers: usize) -> Vec<Option<&mut [u8]>> {
    match returned {
        None => (0..workers).map(|_| None).collect(),
        Some(returned) if returned.per_worker == 0 => {
            (0..workers).map(|_| Some(&mut [][..])).collect()
        }
        Some(returned) => returned
            .buffer
            .as_mut_slice()
            .chunks_mut(returned.per_worker)
            .map(Some)
            .collect(),
    }
}

/// Sums every worker's numbers into its report when `returned` holds them.
pub(crate) fn finish(
    returned: Option<&Returned>,
    workload: &Workload,
    mut reports: Vec<WorkerReport>,
) -> Vec<WorkerReport> {
    if let Some(returned) = returned {
        returned.sum_into(workload, &mut reports);
    }
    reports
}
