//! The numbers workers hand back (`--return numbers`), for the backends
//! whose workers are threads of this process: one buffer the parent owns,
//! mapped before the workers start, cut into one disjoint slice per worker.
//! Each worker writes its numbers straight into its slice — nothing is
//! copied on the way, the `readinto` idea — and once every worker has
//! ended, the parent sums each slice.
//!
//! The buffer is *preallocated*, as `readinto`'s is: [`prepare`] maps it
//! and puts its pages in place before the driver starts a run's clock, the
//! run borrows it ([`map`]) and gives it back when it ends, however it
//! ends, and [`release`] unmaps it once the clock has stopped — mapping
//! and unmapping a buffer are no part of receiving into it. A run nobody
//! prepared maps its own, and unmaps it, inside its time. The process rows
//! prepare theirs here too: the parent's buffer of `process`, the shared
//! mapping of `process-shared`.

use std::sync::{Mutex, PoisonError};

use crate::error::Error;
use crate::kernel::{Return, Workload};
use crate::os::signal_safe::MappedBytes;
use crate::worker::{self, WorkerReport};

/// A buffer prepared for the next run of a backend.
struct Prepared {
    backend: &'static str,
    shared: bool,
    memory: MappedBytes,
}

/// At most one prepared buffer per backend, until its run takes it.
static PREPARED: Mutex<Vec<Prepared>> = Mutex::new(Vec::new());

/// Maps `len` bytes for `backend`'s next run, its pages in place
/// ([`MappedBytes::private_populated`], or [`MappedBytes::shared`] when
/// `shared`), in place of any it had prepared: what [`Backend::prepare`]
/// does, before the run's clock starts.
///
/// # Errors
/// [`Error::Setup`] when the memory cannot be mapped.
///
/// [`Backend::prepare`]: crate::Backend::prepare
pub(crate) fn prepare(backend: &'static str, len: usize, shared: bool) -> Result<(), Error> {
    let mut prepared = PREPARED.lock().unwrap_or_else(PoisonError::into_inner);
    // The one it had goes first: never two of one backend's at once.
    prepared.retain(|p| p.backend != backend);
    let memory = map_fresh(backend, len, shared)?;
    prepared.push(Prepared {
        backend,
        shared,
        memory,
    });
    Ok(())
}

/// The buffer `prepare` made for `backend`'s run, if it is `len` bytes of
/// the kind asked for, to give back when the run ends; else a fresh one,
/// mapped now and unmapped then.
///
/// # Errors
/// [`Error::Setup`] when the memory cannot be mapped.
pub(crate) fn map(backend: &'static str, len: usize, shared: bool) -> Result<Lease, Error> {
    let taken = {
        let mut prepared = PREPARED.lock().unwrap_or_else(PoisonError::into_inner);
        let at = prepared
            .iter()
            .position(|p| p.backend == backend && p.shared == shared && p.memory.len() == len);
        at.map(|at| prepared.swap_remove(at).memory)
    };
    let prepared = taken.is_some();
    let memory = match taken {
        Some(memory) => memory,
        None => map_fresh(backend, len, shared)?,
    };
    Ok(Lease {
        backend,
        shared,
        prepared,
        memory: Some(memory),
    })
}

/// Unmaps what was prepared for `backend`, once its run has ended and its
/// clock stopped: what [`Backend::release`](crate::Backend::release) does.
pub(crate) fn release(backend: &'static str) {
    let gone: Vec<Prepared> = {
        let mut prepared = PREPARED.lock().unwrap_or_else(PoisonError::into_inner);
        let (gone, kept) = prepared.drain(..).partition(|p| p.backend == backend);
        *prepared = kept;
        gone
    };
    // Unmapped here, outside the lock.
    drop(gone);
}

/// A run's buffer: given back when dropped if it was prepared (for
/// [`release`] to unmap), unmapped then if the run mapped it itself.
pub(crate) struct Lease {
    backend: &'static str,
    shared: bool,
    prepared: bool,
    memory: Option<MappedBytes>,
}

impl std::ops::Deref for Lease {
    type Target = MappedBytes;
    fn deref(&self) -> &MappedBytes {
        self.memory
            .as_ref()
            .expect("a lease holds its memory until dropped")
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut MappedBytes {
        self.memory
            .as_mut()
            .expect("a lease holds its memory until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (true, Some(memory)) = (self.prepared, self.memory.take()) {
            PREPARED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Prepared {
                    backend: self.backend,
                    shared: self.shared,
                    memory,
                });
        }
    }
}

fn map_fresh(backend: &'static str, len: usize, shared: bool) -> Result<MappedBytes, Error> {
    let memory = if shared {
        MappedBytes::shared(len)
    } else {
        MappedBytes::private_populated(len)
    };
    memory.ok_or_else(|| Error::Setup {
        backend,
        what: if shared {
            "could not map the memory it shares with its workers"
        } else {
            "could not map memory for the numbers the workers hand back"
        },
        source: std::io::Error::last_os_error(),
    })
}

/// [`Backend::prepare`](crate::Backend::prepare) for a backend whose
/// workers are threads: the parent's buffer, when they hand numbers back.
///
/// # Errors
/// [`Error::Setup`] when the memory cannot be mapped.
pub(crate) fn prepare_for(backend: &'static str, workload: &Workload) -> Result<(), Error> {
    match workload.returns() {
        Return::Sums => Ok(()),
        Return::Numbers => prepare(backend, workload.returned_bytes() as usize, false),
    }
}

/// The parent's buffer of every worker's numbers.
pub(crate) struct Returned {
    buffer: Lease,
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
        let buffer = map(backend, workload.returned_bytes() as usize, false)?;
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
