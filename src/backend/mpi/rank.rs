//! One MPI rank: what `gilfree mpi-rank` runs in every process the launcher
//! starts. Rank `r` is worker `r`: it waits at a barrier until every rank
//! is up (so launching is not in its time), computes its worker's sum with
//! the kernel every backend uses, and sends its record to rank 0, which
//! prints one line for the driver (`record.rs`).
//!
//! Besides the record, a rank says how far the launch got, each in a line
//! of its own that the launcher forwards at once: every rank when its
//! process has started (before `MPI_Init`), and rank 0 when every rank is
//! through the start barrier (`record::started_line`,
//! `record::COMPUTING_LINE`). The driver's launch deadline reads them.
//!
//! A rank keeps the default signal dispositions (a launcher stops ranks
//! with SIGTERM, then SIGKILL) and dies with its parent, the launcher or its
//! daemon, whatever kills that.

use std::io::Write;

use mpi::traits::{Communicator, CommunicatorCollectives, Root};

use super::record::{self, RECORD_WORDS, RankRecord};
use crate::fault::Fault;
use crate::kernel::{Return, Workload};
use crate::os::signal_safe as sys;
use crate::worker;

/// Exit statuses of a rank, which the launcher reports.
pub mod status {
    /// MPI could not be initialized (or was already).
    pub const NO_MPI: i32 = 3;
    /// The launcher started another number of ranks than the workload has
    /// workers.
    pub const WRONG_SIZE: i32 = 4;
    /// Rank 0 could not write the report.
    pub const NO_OUTPUT: i32 = 6;
}

/// The variables that give a process its rank before `MPI_Init`, in the
/// order they are believed: OpenMPI's launchers, PMIx (`srun --mpi=pmix`),
/// Slurm.
pub const RANK_VARIABLES: [&str; 3] = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"];

/// This process's rank as its launcher's environment gives it
/// ([`RANK_VARIABLES`]), before MPI says.
pub fn rank_from_environment(get: impl Fn(&str) -> Option<String>) -> Option<usize> {
    RANK_VARIABLES
        .iter()
        .find_map(|name| get(name)?.trim().parse().ok())
}

/// What the driver tells a rank about itself: the driver's process, so that
/// a rank can tell whether the driver's `getrusage` will count its CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriverIdentity {
    /// The driver's pid.
    pub pid: i32,
    /// Its start time, in clock ticks after boot.
    pub start_ticks: u64,
}

impl DriverIdentity {
    /// This process's identity, for the ranks it launches.
    pub fn of_this_process() -> Option<DriverIdentity> {
        let (pid, start_ticks) = crate::os::procfs::identity(std::process::id() as i32)?;
        Some(DriverIdentity { pid, start_ticks })
    }

    /// `PID:START`, as `gilfree mpi-rank --driver` takes it.
    pub fn to_arg(self) -> String {
        format!("{}:{}", self.pid, self.start_ticks)
    }

    /// The inverse of [`to_arg`](Self::to_arg).
    pub fn from_arg(arg: &str) -> Option<DriverIdentity> {
        let (pid, start) = arg.split_once(':')?;
        Some(DriverIdentity {
            pid: pid.parse().ok()?,
            start_ticks: start.parse().ok()?,
        })
    }
}

/// What a rank needs besides its workload.
#[derive(Debug, Clone, Default)]
pub struct RankContext {
    /// The driver that launched the run, when it said.
    pub driver: Option<DriverIdentity>,
    /// The driver's boot id: a rank on another boot cannot descend from it.
    pub driver_boot_id: Option<String>,
    /// The run's directory, where OpenMPI's shared-memory files go on the
    /// hosts that have it.
    pub dir: Option<std::path::PathBuf>,
}

/// Runs this process's rank of `workload` and returns its exit status.
/// Call it once per process: MPI can be initialized only once.
pub fn main(workload: &Workload, context: &RankContext) -> i32 {
    // The launcher (or its daemon on this host) is the parent; if it dies,
    // so does the rank.
    let parent = std::os::unix::process::parent_id() as libc::pid_t;
    let _ = sys::die_with_parent(parent);
    let own_rank = rank_from_environment(|name| std::env::var(name).ok());
    // The driver points OpenMPI's shared-memory files into the run's
    // directory; a host where it does not exist (srun's ranks on other
    // nodes: no supervisor made it there) keeps OpenMPI's default.
    const BACKING: &str = "OMPI_MCA_btl_vader_backing_directory";
    if std::env::var_os(BACKING).is_some_and(|dir| !std::path::Path::new(&dir).is_dir()) {
        // SAFETY: this process has one thread until MPI_Init, below.
        unsafe { std::env::remove_var(BACKING) };
    }
    let host = host_name();
    // Said at once, so that a launch that stalls can name who got this far.
    if let Some(rank) = own_rank {
        print_line(&record::started_line(rank, &host));
    }
    // A rank that exits on its own, as a crashing one would (no
    // MPI_Finalize, no exit handlers), does so before MPI starts: a rank
    // exiting non-zero while the others wait in a collective now and then
    // leaves OpenMPI 4.1's mpirun hanging (gilfree's timeout then ends it).
    if let Some(rank) = own_rank
        && let Some(Fault::Exit(code)) = workload.fault_for(rank, Some(super::NAME))
    {
        sys::exit_now(code);
    }
    let Some(universe) = mpi::initialize() else {
        eprintln!("gilfree mpi-rank: MPI could not be initialized");
        return status::NO_MPI;
    };
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    if size != workload.workers() {
        if rank == 0 {
            eprintln!(
                "gilfree mpi-rank: {size} ranks were started for {} workers",
                workload.workers()
            );
        }
        return status::WRONG_SIZE;
    }
    world.barrier();
    let barrier_ns = sys::monotonic_ns();
    if rank == 0 {
        // Every rank is through the barrier: the launch is over.
        print_line(record::COMPUTING_LINE);
    }
    let fault = workload.fault_for(rank, Some(super::NAME));
    if let Some(Fault::Kill(signal)) = fault {
        // SAFETY: raise only sends a signal to this thread.
        unsafe { libc::raise(signal) };
    }
    // Handing the numbers back: this rank's, drawn into its own buffer,
    // then gathered at rank 0 (after every rank has drawn, so that a rank
    // that failed still takes part in the gather and the job ends cleanly).
    let numbers = workload.returns() == Return::Numbers;
    let per_rank = if numbers {
        workload.numbers_bytes_per_worker() as usize
    } else {
        0
    };
    let mut own = vec![0u8; per_rank];
    // A failed worker still sends a record, marked failed, so that the job
    // ends normally and rank 0 reports it (ending the job from here instead,
    // with MPI_Abort or a non-zero exit, now and then leaves OpenMPI 4.1's
    // mpirun hanging).
    let drawn = if numbers {
        worker::run_worker_caught(super::NAME, workload, rank, Some(&mut own[..]))
    } else {
        worker::run_worker_caught(super::NAME, workload, rank, None)
    };
    let (report, failure) = match drawn {
        Ok(report) => (report, None),
        Err(failure) => {
            let now = sys::monotonic_ns();
            let report = crate::worker::WorkerReport {
                worker: rank,
                sum: 0,
                start_ns: now,
                finish_ns: now,
                cpu_time: std::time::Duration::ZERO,
                waiting_for_cpu: None,
                cpu_at_start: None,
                cpu_at_finish: None,
                pid: std::process::id(),
                tid: std::process::id(),
                peak_rss_bytes: None,
                held_ns: Vec::new(),
                host: None,
                ready_ns: None,
                process: None,
                transfer: None,
            };
            (report, Some(failure.to_string()))
        }
    };
    let offset = |ns: u64| ns.saturating_sub(barrier_ns);
    let usage = sys::resource_usage(sys::Who::SelfProcess);
    let boot_id = super::boot_id().unwrap_or_else(|| "unknown".to_owned());
    let counted_by_driver = context.driver_boot_id.as_deref() == Some(boot_id.as_str())
        && context.driver.is_some_and(|driver| {
            crate::os::procfs::is_own_ancestor((driver.pid, driver.start_ticks))
        });
    let mut mine = RankRecord {
        rank,
        sum: report.sum,
        start_after_barrier_ns: offset(report.start_ns),
        finish_after_barrier_ns: offset(report.finish_ns),
        cpu_ns: u64::try_from(report.cpu_time.as_nanos()).unwrap_or(u64::MAX),
        peak_rss_bytes: usage.max_rss_bytes,
        pid: report.pid,
        cpu_at_start: report.cpu_at_start,
        cpu_at_finish: report.cpu_at_finish,
        host,
        barrier_ns,
        boot_id,
        user_ns: u64::try_from(usage.user.as_nanos()).unwrap_or(u64::MAX),
        system_ns: u64::try_from(usage.system.as_nanos()).unwrap_or(u64::MAX),
        counted_by_driver,
        // The launcher binds each rank to a core or two; the host's cores
        // are those its parent (the launcher's daemon, Slurm's step daemon)
        // may use.
        host_cores: crate::os::machine::cpus_of(parent)
            .unwrap_or_else(num_cpus::get)
            .max(1),
        cpu_model: crate::os::machine::cpu_model().unwrap_or_else(|| "unknown".to_owned()),
        failure,
        gathered: None,
    };
    if fault == Some(Fault::Garbled) {
        // A record the driver must refuse, naming this rank.
        mine.finish_after_barrier_ns = 0;
        mine.start_after_barrier_ns = 1;
    }
    let root = world.process_at_rank(0);
    // The numbers first: every rank's to rank 0, which sums each — the
    // parent sums what it received — and says when they arrived.
    let mut gathered: Vec<(i64, record::Gathered)> = Vec::new();
    if numbers {
        if rank != 0 {
            root.gather_into(&own[..]);
        } else {
            let mut all = vec![0u8; per_rank * size];
            root.gather_into_root(&own[..], &mut all[..]);
            let delivered = offset(sys::monotonic_ns());
            for r in 0..size {
                let slice = &all[r * per_rank..(r + 1) * per_rank];
                let start = offset(sys::monotonic_ns());
                let sum =
                    crate::kernel::sum_offsets(slice, workload.number_width(), workload.low());
                let finish = offset(sys::monotonic_ns());
                gathered.push((
                    sum,
                    record::Gathered {
                        bytes: per_rank as u64,
                        delivered_after_barrier_ns: delivered,
                        sum_start_after_barrier_ns: start,
                        sum_finish_after_barrier_ns: finish,
                    },
                ));
            }
        }
    }
    let words = mine.encode();
    if rank != 0 {
        root.gather_into(&words[..]);
        if let Some(Fault::Linger(pause)) = fault {
            std::thread::sleep(pause);
        }
        return 0;
    }
    let mut all = vec![0u64; RECORD_WORDS * size];
    root.gather_into_root(&words[..], &mut all[..]);
    let mut records: Vec<RankRecord> = all
        .chunks_exact(RECORD_WORDS)
        .filter_map(RankRecord::decode)
        .collect();
    // Each rank's sum is rank 0's sum of the numbers it received.
    for record in &mut records {
        if let Some(&(sum, g)) = gathered.get(record.rank)
            && record.failure.is_none()
        {
            record.sum = sum;
            record.gathered = Some(g);
        }
    }
    let mut line = record::line(records);
    match fault {
        Some(Fault::NoRecord) => line.clear(),
        Some(Fault::ShortRecord) => line.truncate(line.len() / 2),
        _ => {}
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return status::NO_OUTPUT;
    }
    if let Some(Fault::Linger(pause)) = fault {
        std::thread::sleep(pause);
    }
    0
}

/// Writes `line` to standard output at once (the launcher forwards it to
/// the driver as it comes); a closed output is the driver's concern.
fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

/// This host's name, as `gethostname(2)` gives it.
fn host_name() -> String {
    let mut name = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at
    // most that many bytes.
    if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len() - 1) } != 0 {
        return "unknown".to_owned();
    }
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    String::from_utf8_lossy(&name[..end]).into_owned()
}
