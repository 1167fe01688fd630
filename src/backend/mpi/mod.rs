//! The `mpi` backend: the workload on OpenMPI ranks, on this machine or
//! across hosts (cargo feature `mpi`; `docs/mpi.md`).
//!
//! # Design: the driver launches MPI, it does not become MPI
//!
//! gilfree never calls `MPI_Init` in the measuring process (MPI can be
//! initialized once per process, and a driver that is a rank cannot time
//! its own launch). Each run starts, as one registered child:
//!
//! ```text
//! gilfree (driver) ── gilfree mpi-launch (supervisor, launch.rs)
//!                       └─ mpirun -n W [--hostfile F]            (the launcher)
//!                            └─ gilfree mpi-rank … × W           (rank.rs, on each host)
//! ```
//!
//! Rank `r` computes worker `r`'s sum with the same kernel as every backend,
//! timed from the moment it leaves a start barrier, and rank 0 gathers every
//! rank's record and prints one line (`record.rs`), which the driver checks
//! strictly and turns into [`WorkerReport`]s. The run's wall time holds the
//! launch (`mpirun`, the ranks' start, `MPI_Init`, the barrier): the reports
//! say when the ranks were ready ([`WorkerReport::ready_ns`]) and where they
//! ran ([`WorkerReport::host`]), so the launch shows apart from the compute.
//!
//! # Nothing left behind
//!
//! OpenMPI's session files and shared-memory segments go to a per-run
//! directory (`OMPI_MCA_orte_tmpdir_base`, `OMPI_MCA_btl_vader_backing_directory`),
//! registered with [`os::cleanup`](crate::os::cleanup) and removed after the
//! run; the supervisor removes it too, and reaps every rank the launcher
//! orphans. A signal to gilfree ([`children::interrupt`]) and a timeout send
//! SIGTERM to the supervisor, which passes it to the launcher, which stops
//! the ranks on every host; whatever outstays [`STOP_GRACE`] is killed. If
//! gilfree itself is killed, the supervisor gets SIGTERM as its parent-death
//! signal and does the same.
//!
//! # The files
//!
//! This one is one job, the life of one run on the driver's side — its
//! directory made, the supervisor started, the launch watched to its
//! deadline, the ranks waited for, stopped or lost, and every failure
//! turned into an error that names the host — and stays whole (about 590
//! lines of code) because those steps share the run's state and each
//! error reads all of it. Beside it: `options.rs` (the launcher, the
//! hostfile, the Slurm allocation), `collect.rs` (the launcher's output
//! read as it comes), `failure.rs` (the launchers' failure messages),
//! `record.rs` (the ranks' records), `launch.rs` (the supervisors),
//! `rank.rs` (one rank).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::backend::{Backend, BackendKind, Deadline, Profile, Schedule, WorkerKind};
use crate::error::Error;
use crate::kernel::Workload;
use crate::os::children::{self, Stop};
use crate::os::signal_safe as sys;
use crate::worker::WorkerReport;

mod collect;
pub(crate) mod failure;
pub mod launch;
mod options;
#[cfg(feature = "mpi")]
pub mod rank;
pub(crate) mod record;

use self::collect::collect;
use self::options::read_hostfile;
pub use self::options::{Allocation, Launcher, MpiOptions};
use record::LaunchProgress;

/// The backend's name.
pub const NAME: &str = "mpi";

const PROFILE: Profile = Profile::rust(
    NAME,
    "one OpenMPI rank per worker, started by mpirun (or srun) on this host or a --hostfile's",
    WorkerKind::Rank,
    Schedule::AtOnce,
);

/// The registry's row.
pub(crate) const KIND: BackendKind = BackendKind::launched(PROFILE, |options| {
    Ok(Box::new(MpiBackend::new(options.mpi.clone())?))
});

/// The hidden subcommand a rank runs.
pub const RANK_SUBCOMMAND: &str = "mpi-rank";

/// The hidden subcommand the launcher's supervisor runs.
pub const LAUNCH_SUBCOMMAND: &str = "mpi-launch";

/// The hidden subcommand that supervises the launcher's daemon on each
/// other host (OpenMPI's `orted`, started through `orte_launch_agent`).
pub const HOST_SUBCOMMAND: &str = "mpi-host";

/// How long a stopped run (a signal, a timeout) gets to end before it is
/// killed: the supervisor's own grace for the launcher and some room.
pub const STOP_GRACE: Duration = Duration::from_secs(4);

/// How long the launcher may take to end once the job is over (rank 0's
/// report arrived, or the launcher noticed a rank fail) before the driver
/// stops it. mpirun ends within about 0.1 s of that here, its daemons on
/// three hosts included; but OpenMPI 4.1's mpirun can deadlock in
/// `PMIx_server_finalize` after a rank was killed (seen here about once in
/// ten kills on a loaded machine: every rank a zombie, mpirun waiting on a
/// futex for ever), and without this the run would wait out `--timeout`.
/// After a rank's failure the run fails with that rank; after a complete
/// report it fails too, saying why, since its wall would hold the wait.
pub const JOB_OVER_GRACE: Duration = Duration::from_secs(5);

/// The launch deadline when none is given: from the run's start until
/// every rank has left the start barrier. OpenMPI starts 8 ranks on 3
/// hosts over ssh in about 0.3–1.2 s here; ssh alone waits minutes for a
/// host that drops its packets.
pub const DEFAULT_LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// OpenMPI's TCP keepalive for its daemons' links to `mpirun` (idle
/// seconds, seconds between probes, probes): a daemon whose `mpirun` is
/// gone, or cut off, notices within about 5 s and ends, and its ranks with
/// it; `mpirun` likewise notices a lost daemon. OpenMPI's default, 300 s
/// and 9 × 20 s, leaves ranks running for 8 minutes.
const KEEPALIVE: [(&str, &str); 3] = [
    ("OMPI_MCA_oob_tcp_keepalive_time", "2"),
    ("OMPI_MCA_oob_tcp_keepalive_intvl", "1"),
    ("OMPI_MCA_oob_tcp_keepalive_probes", "3"),
];

/// What the install script is called, for messages.
pub const INSTALL_SCRIPT: &str = "scripts/install-mpi.sh";

/// The `mpi` backend; see the module documentation.
#[derive(Debug)]
pub struct MpiBackend {
    options: MpiOptions,
    program: PathBuf,
    /// The hosts of the hostfile, in order: where daemons are expected.
    hostfile_hosts: Vec<String>,
}

/// Why the driver stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    /// The launch deadline passed before every rank left the barrier.
    Launch,
    /// `--timeout` passed.
    Timeout,
    /// A signal interrupted the runs.
    Signal,
    /// The job was over, but the launcher had not ended
    /// [`JOB_OVER_GRACE`] later: a failure it noticed is the error; after
    /// a complete report the run is not counted (its wall would hold the
    /// wait).
    Lingered,
}

/// How the supervisor's wait ended.
struct Waited {
    reaped: children::Reaped,
    stopped: Option<StopReason>,
    /// The supervisor did not end within [`STOP_GRACE`] and was killed.
    killed: bool,
}

impl MpiBackend {
    /// The backend with `options`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an empty launcher, a hostfile that is
    /// not a readable regular file (a FIFO would block), a hostfile with
    /// `srun`, or a zero launch timeout.
    pub fn new(options: MpiOptions) -> Result<MpiBackend, Error> {
        if let Launcher::Mpirun(words) = &options.launcher
            && words.is_empty()
        {
            return Err(Error::InvalidOption {
                option: "mpirun",
                value: String::new(),
                reason: "give a launcher command, such as \"mpirun\" or \"mpiexec --mca …\"",
            });
        }
        if options.launch_timeout.is_zero() {
            return Err(Error::InvalidOption {
                option: "launch-timeout",
                value: "0".to_owned(),
                reason: "give the launch some time, such as 30s",
            });
        }
        let mut hostfile_hosts = Vec::new();
        if let Some(hostfile) = &options.hostfile {
            if options.launcher == Launcher::Srun {
                return Err(Error::InvalidOption {
                    option: "hostfile",
                    value: hostfile.display().to_string(),
                    reason: "srun places ranks on the allocation's nodes: choose them with \
                             salloc/sbatch --nodelist, or use --launcher mpirun with a hostfile",
                });
            }
            hostfile_hosts = read_hostfile(hostfile)?;
        }
        let program = match &options.program {
            Some(program) => program.clone(),
            None => std::env::current_exe().map_err(|source| Error::Setup {
                backend: NAME,
                what: "could not find gilfree's own executable for the ranks",
                source,
            })?,
        };
        Ok(MpiBackend {
            options,
            program,
            hostfile_hosts,
        })
    }

    fn failure(&self, problem: String) -> Error {
        Error::Program {
            backend: NAME,
            problem,
        }
    }

    fn launcher_name(&self) -> &str {
        self.options.launcher.name()
    }

    /// The command of one run: the supervisor, the launcher, the ranks.
    fn command(&self, workload: &Workload, dir: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command
            .arg(LAUNCH_SUBCOMMAND)
            .arg("--dir")
            .arg(dir)
            .arg("--");
        let workers = workload.workers().to_string();
        match &self.options.launcher {
            Launcher::Mpirun(words) => {
                command.args(words).args(["-n", &workers]);
                if let Some(hostfile) = &self.options.hostfile {
                    command.arg("--hostfile").arg(hostfile);
                }
            }
            Launcher::Srun => {
                // PMIx is what Debian's OpenMPI speaks (pmi2 and none fail);
                // a task that fails ends the step at once.
                command.args(["srun", "--mpi=pmix", "--kill-on-bad-exit=1", "-n", &workers]);
            }
        }
        command
            .arg(&self.program)
            .arg(RANK_SUBCOMMAND)
            .args(self.rank_arguments(workload, dir));
        // OpenMPI's settings, as environment variables so that any launcher
        // can be given and its own arguments win: the per-run directory
        // always; the rest only where the user has not chosen.
        command
            .env("OMPI_MCA_orte_tmpdir_base", dir)
            .env("OMPI_MCA_btl_vader_backing_directory", dir);
        let host_agent = format!(
            "{} {HOST_SUBCOMMAND} --dir {} -- orted",
            self.program.display(),
            dir.display()
        );
        let mut defaults = vec![
            // ob1 over shared memory and TCP starts in a third of the time
            // that probing for high-speed transports takes.
            ("OMPI_MCA_pml", "ob1"),
            ("OMPI_MCA_btl", "self,vader,tcp"),
            // More ranks than cores is the point of some runs.
            ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
            // The ranks keep SIGTERM's default action: no need to wait
            // before SIGKILL.
            ("OMPI_MCA_odls_base_sigkill_timeout", "0"),
            // Each other host's daemon runs under gilfree's host supervisor,
            // which says when it is up, reaps the ranks and removes the
            // run's directory there.
            ("OMPI_MCA_orte_launch_agent", host_agent.as_str()),
        ];
        defaults.extend(KEEPALIVE);
        for (name, value) in defaults {
            if std::env::var_os(name).is_none() {
                command.env(name, value);
            }
        }
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            // mpirun refuses root without these; gilfree run as root means it.
            command
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// The arguments of `gilfree mpi-rank` for `workload`.
    fn rank_arguments(&self, workload: &Workload, dir: &Path) -> Vec<String> {
        let mut args = vec![
            "--workers".to_owned(),
            workload.workers().to_string(),
            "--count".to_owned(),
            workload.count().to_string(),
            format!("--low={}", workload.low()),
            format!("--high={}", workload.high()),
            "--seed".to_owned(),
            workload.seed().to_string(),
            "--generator".to_owned(),
            workload.generator().name().to_owned(),
            "--dir".to_owned(),
            dir.display().to_string(),
        ];
        if workload.materialize() {
            args.push("--materialize".to_owned());
        }
        if workload.returns() == crate::kernel::Return::Numbers {
            args.extend(["--return".to_owned(), "numbers".to_owned()]);
        }
        if let Some(simd) = self.options.simd {
            args.extend(["--simd".to_owned(), simd.name().to_owned()]);
        }
        #[cfg(feature = "mpi")]
        if let Some(driver) = rank::DriverIdentity::of_this_process() {
            args.extend(["--driver".to_owned(), driver.to_arg()]);
        }
        if let Some(boot_id) = boot_id() {
            args.extend(["--driver-boot-id".to_owned(), boot_id]);
        }
        args
    }

    /// Waits for the supervisor until it ends. Past the launch deadline
    /// (while the ranks are still launching) or `deadline`, or once a
    /// signal has interrupted the runs, asks it to stop and, after
    /// [`STOP_GRACE`], kills it.
    fn wait(
        &self,
        pid: libc::pid_t,
        launched: Instant,
        deadline: Option<Deadline>,
        progress: &Mutex<LaunchProgress>,
    ) -> Result<Waited, Error> {
        let mut stop_sent: Option<(Instant, StopReason)> = None;
        let launch_deadline = launched + self.options.launch_timeout;
        loop {
            let step = Instant::now() + Duration::from_millis(20);
            let until = deadline.map_or(step, |d| d.at.min(step));
            match children::reap_group(pid, Some(until)) {
                Ok(Some(reaped)) => {
                    return Ok(Waited {
                        reaped,
                        stopped: stop_sent.map(|(_, why)| why),
                        killed: false,
                    });
                }
                Ok(None) => {}
                Err(err) => {
                    children::kill_registered(pid);
                    let _ = children::reap(pid);
                    return Err(self.failure(format!("could not wait for the launcher: {err}")));
                }
            }
            let now = Instant::now();
            let (computing_at, job_over_at) = progress
                .lock()
                .map_or((None, None), |p| (p.computing_at, p.job_over_at()));
            // Still launching: nothing said the ranks compute, or the job ended.
            let launching = computing_at.is_none() && job_over_at.is_none();
            let lingered = job_over_at.is_some_and(|at| {
                sys::monotonic_ns().saturating_sub(at) >= JOB_OVER_GRACE.as_nanos() as u64
            });
            let reason = if children::interrupted().is_some() {
                Some(StopReason::Signal)
            } else if deadline.is_some_and(|d| now >= d.at) {
                Some(StopReason::Timeout)
            } else if launching && now >= launch_deadline {
                Some(StopReason::Launch)
            } else if lingered {
                Some(StopReason::Lingered)
            } else {
                None
            };
            match stop_sent {
                None => {
                    if let Some(reason) = reason {
                        children::terminate_registered(pid);
                        stop_sent = Some((now, reason));
                    }
                }
                Some((sent, why)) if sent.elapsed() >= STOP_GRACE => {
                    children::kill_registered(pid);
                    let reaped = children::reap(pid).map_err(|err| {
                        self.failure(format!("could not wait for the launcher: {err}"))
                    })?;
                    return Ok(Waited {
                        reaped,
                        stopped: Some(why),
                        killed: true,
                    });
                }
                _ => {}
            }
        }
    }

    /// The error for a run whose supervisor ended with `status`.
    fn launch_failure(
        &self,
        status: libc::c_int,
        stderr: &str,
        progress: &LaunchProgress,
        workers: usize,
    ) -> Error {
        if libc::WIFEXITED(status)
            && libc::WEXITSTATUS(status) == launch::LAUNCHER_NOT_STARTED
            && stderr.contains(launch::NOT_STARTED_MESSAGE)
        {
            let reason = stderr
                .lines()
                .find(|l| l.contains(launch::NOT_STARTED_MESSAGE))
                .and_then(|l| l.rsplit_once(": "))
                .map_or("it could not be run", |(_, reason)| reason);
            let hint = match self.options.launcher {
                Launcher::Srun => {
                    "install Slurm's client with scripts/install-slurm.sh, or use --launcher mpirun"
                }
                Launcher::Mpirun(_) => {
                    "install OpenMPI with scripts/install-mpi.sh, or name a launcher with --mpirun"
                }
            };
            return self.failure(format!(
                "could not start the launcher '{}' ({reason}); {hint}",
                self.launcher_name()
            ));
        }
        // A rank the run does not have is no worker to name: the launcher's
        // words are then quoted as they are.
        let rank = record::rank_failure(stderr)
            .or_else(|| failure::srun_task_failure(stderr))
            .filter(|rank| rank.rank < workers);
        if let Some(rank) = rank {
            let host = rank
                .host
                .or_else(|| progress.started.get(&rank.rank).cloned())
                .map_or_else(String::new, |host| format!(" on host {host}"));
            return self.failure(format!(
                "worker {0} (MPI rank {0}{host}) {1}, as {2} reported",
                rank.rank,
                rank.what,
                self.launcher_name()
            ));
        }
        if let Some(lost) = failure::lost_daemon(stderr) {
            return self.failure(self.lost_host_message(&lost, progress, workers));
        }
        let how = match children::check_status(status, |_| "") {
            Err(failure) => failure.to_string(),
            Ok(()) => "ended".to_owned(),
        };
        let silent = self.silent_hosts(progress);
        self.failure(format!(
            "{} {how} before the ranks reported{}",
            self.launcher_name(),
            failure::explanation(stderr, &silent)
        ))
    }

    /// The hostfile's hosts from which nothing was heard: no supervisor, no
    /// rank. Empty without a hostfile.
    fn silent_hosts(&self, progress: &LaunchProgress) -> Vec<String> {
        let heard = progress.hosts_heard();
        self.hostfile_hosts
            .iter()
            .filter(|host| !heard.iter().any(|h| failure::same_host(h, host)))
            .cloned()
            .collect()
    }

    /// What to say when `mpirun` lost its daemon on `lost`'s host.
    fn lost_host_message(
        &self,
        lost: &failure::LostDaemon,
        progress: &LaunchProgress,
        workers: usize,
    ) -> String {
        let ranks: Vec<usize> = progress
            .started
            .iter()
            .filter(|(_, host)| failure::same_host(host, &lost.host))
            .map(|(&rank, _)| rank)
            .collect();
        let stranded = if ranks.is_empty() {
            String::from("any ranks there could not be reached")
        } else {
            format!(
                "{} there could not be reached",
                failure::rank_list(&ranks, workers)
            )
        };
        format!(
            "host {} stopped answering during the run ({} lost its daemon there); {stranded} and \
             may still be running there until gilfree's supervisor on that host finds its link \
             unanswered (about 6 s) and stops them and removes their files",
            lost.host,
            self.launcher_name()
        )
    }

    /// The error of a run the driver stopped for `why`.
    fn stopped(
        &self,
        why: StopReason,
        deadline: Option<Deadline>,
        waited: &Waited,
        stderr: &str,
        progress: &LaunchProgress,
        workers: usize,
    ) -> Error {
        let launcher = self.launcher_name();
        // The supervisor confirms what it stopped: everything on this host,
        // and with the launcher's clean end, the ranks on every host.
        let launcher_killed = waited.killed || stderr.contains(launch::LAUNCHER_KILLED_MESSAGE);
        let local = hostname();
        let remote: Vec<usize> = progress
            .started
            .iter()
            .filter(|(_, host)| local.as_deref() != Some(host.as_str()))
            .map(|(&rank, _)| rank)
            .collect();
        let remote_hosts: Vec<String> = {
            let mut hosts: Vec<String> = Vec::new();
            for host in progress.started.values() {
                if local.as_deref() != Some(host.as_str()) && !hosts.contains(host) {
                    hosts.push(host.clone());
                }
            }
            for host in &progress.hosts_up {
                if !hosts.iter().any(|h| failure::same_host(h, host)) {
                    hosts.push(host.clone());
                }
            }
            hosts
        };
        let unconfirmed = if launcher_killed && !remote_hosts.is_empty() {
            format!(
                "; {launcher} did not stop within its grace and was killed, so {} on {} could not \
                 be confirmed stopped: they stop by themselves within seconds of losing their \
                 daemon's link to {launcher}, and remove their files",
                if remote.is_empty() {
                    "any ranks".to_owned()
                } else {
                    failure::rank_list(&remote, workers)
                },
                failure::names(&remote_hosts)
            )
        } else {
            String::new()
        };
        match why {
            StopReason::Launch => {
                let silent = self.silent_hosts(progress);
                let heard = progress.hosts_heard();
                let started: Vec<usize> = progress.started.keys().copied().collect();
                let mut what = if !silent.is_empty() {
                    format!(
                        "no answer from host{} {} (no daemon or rank reported from there{})",
                        if silent.len() == 1 { "" } else { "s" },
                        failure::names(&silent),
                        if heard.is_empty() {
                            String::new()
                        } else {
                            format!("; {} did", failure::names(&heard))
                        }
                    )
                } else if started.len() < workers {
                    let missing: Vec<usize> =
                        (0..workers).filter(|r| !started.contains(r)).collect();
                    format!(
                        "{} never started{}",
                        failure::rank_list(&missing, workers),
                        if heard.is_empty() {
                            String::new()
                        } else {
                            format!(" (hosts heard from: {})", failure::names(&heard))
                        }
                    )
                } else {
                    "every rank started, but they never all reached the start barrier (MPI_Init \
                     or the barrier did not complete)"
                        .to_owned()
                };
                what.push_str(&failure::explanation(stderr, &silent));
                self.failure(format!(
                    "the run was still launching after {} (--launch-timeout): {what}; stopped{unconfirmed}",
                    humantime::format_duration(self.options.launch_timeout)
                ))
            }
            StopReason::Timeout => {
                if let Some(lost) = failure::lost_daemon(stderr) {
                    return self.failure(format!(
                        "the run did not finish within {}: {}",
                        humantime::format_duration(deadline.map_or(Duration::ZERO, |d| d.limit)),
                        self.lost_host_message(&lost, progress, workers)
                    ));
                }
                let deadline = deadline.expect("a timeout has a deadline");
                if unconfirmed.is_empty() {
                    deadline.missed(
                        NAME,
                        format!(
                            "{launcher} and its {workers} rank{}",
                            if workers == 1 { "" } else { "s" }
                        ),
                    )
                } else {
                    self.failure(format!(
                        "the run did not finish within {}: stopped on this host{unconfirmed}",
                        humantime::format_duration(deadline.limit)
                    ))
                }
            }
            StopReason::Signal => {
                interrupted().unwrap_or_else(|| self.failure("stopped".to_owned()))
            }
            // The launcher outlived the job: the rank's failure it noticed
            // is the run's error.
            StopReason::Lingered if progress.failure_at.is_some() => {
                self.launch_failure(waited.reaped.status, stderr, progress, workers)
            }
            // After a complete report: its sums are right, but the run's
            // wall would hold the wait, a figure no table should show.
            StopReason::Lingered => self.failure(format!(
                "{launcher} had not ended {} after rank 0's report arrived, and was stopped; \
                 the run's wall time would include that wait, so the run is not counted \
                 (run again)",
                humantime::format_duration(JOB_OVER_GRACE),
            )),
        }
    }
}

/// This machine's host name.
fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// [`Error::Interrupted`] once a signal has interrupted the runs.
fn interrupted() -> Option<Error> {
    children::interrupted().map(|signal| Error::Interrupted {
        backend: NAME,
        signal,
        name: children::signal_name(signal),
    })
}

/// This machine's boot id: processes with the same one share its
/// `CLOCK_MONOTONIC`.
pub(crate) fn boot_id() -> Option<String> {
    crate::os::machine::boot_id()
}

impl Backend for MpiBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    /// Every rank on this host is a process, plus the launcher and its
    /// supervisor (with a hostfile, fewer run here; the limit still holds
    /// for the launcher's host in the worst case). Inside a Slurm
    /// allocation, no more ranks than its tasks: `mpirun` would silently
    /// oversubscribe, `srun` refuses.
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        if let Some(allocation) = Allocation::current()
            && let Some(tasks) = allocation.tasks
            && workload.workers() > tasks
        {
            return Err(Error::TooManyForAllocation {
                backend: NAME,
                workers: workload.workers(),
                tasks,
                job_id: allocation.job_id,
            });
        }
        // One MPI_Gather takes each rank's numbers: its count is a C int.
        if workload.returns() == crate::kernel::Return::Numbers
            && workload.numbers_bytes_per_worker() > i32::MAX as u64
        {
            return Err(Error::InvalidOption {
                option: "count",
                value: workload.count().to_string(),
                reason: "the mpi backend gathers each rank's numbers in one MPI_Gather, whose \
                         counts are C ints: at most 2 GiB a rank (lower --count)",
            });
        }
        crate::backend::process::check_process_limit(NAME, workload, workload.workers() as u64 + 2)
    }

    /// Every rank's own numbers and, at rank 0, all of them again.
    fn returned_memory(&self, workload: &Workload) -> u64 {
        workload.returned_bytes().saturating_mul(2)
    }

    fn run(&self, workload: &Workload) -> Result<Vec<WorkerReport>, Error> {
        self.run_until(workload, None)
    }

    fn run_until(
        &self,
        workload: &Workload,
        deadline: Option<Deadline>,
    ) -> Result<Vec<WorkerReport>, Error> {
        let launched_ns = sys::monotonic_ns();
        let launched = Instant::now();
        // Made and registered under the cleanup lock: a signal exit cannot
        // come between, and removes it.
        let dir = {
            let mut lock = crate::os::cleanup::lock();
            let made = tempfile::Builder::new()
                .prefix("gilfree-mpi-")
                .tempdir()
                .map_err(|source| Error::Setup {
                    backend: NAME,
                    what: "could not make the run's directory for OpenMPI's files",
                    source,
                })?;
            let path = made.keep();
            (lock.register(path.clone()), path)
        };
        let (dir, dir_path) = dir;
        let mut command = self.command(workload, &dir_path);
        let mut child = match children::spawn_registered_with(&mut command, Stop::Terminate) {
            Ok(child) => child,
            Err(err) => {
                return Err(interrupted().unwrap_or_else(|| {
                    self.failure(format!("could not start {}: {err}", self.program.display()))
                }));
            }
        };
        let pid = child.id() as libc::pid_t;
        let progress = Arc::new(Mutex::new(LaunchProgress::default()));
        let stdout = collect(child.stdout.take(), Arc::clone(&progress));
        let stderr = collect(child.stderr.take(), Arc::clone(&progress));
        let waited = self.wait(pid, launched, deadline, &progress);
        let (stdout, stderr) = (stdout.finish(), stderr.finish());
        drop(dir);
        let progress = progress.lock().map(|p| p.clone()).unwrap_or_default();
        if let Some(interrupted) = interrupted() {
            return Err(interrupted);
        }
        let waited = waited?;
        let stderr = String::from_utf8_lossy(&stderr);
        if let Some(why) = waited.stopped {
            return Err(self.stopped(
                why,
                deadline,
                &waited,
                &stderr,
                &progress,
                workload.workers(),
            ));
        }
        if waited.reaped.status != 0 {
            return Err(self.launch_failure(
                waited.reaped.status,
                &stderr,
                &progress,
                workload.workers(),
            ));
        }
        let records = record::parse_line(&stdout, workload.workers()).map_err(|bad| match bad {
            record::BadOutput::Output(problem) => {
                self.failure(format!("{problem}{}", failure::explanation(&stderr, &[])))
            }
            record::BadOutput::Rank { rank, problem } => {
                self.failure(format!("worker {rank} (MPI rank {rank}) {problem}"))
            }
        })?;
        if let Some(failed) = records.iter().find(|r| r.failure.is_some()) {
            return Err(self.failure(format!(
                "worker {0} (MPI rank {0} on host {1}) {2}",
                failed.rank,
                failed.host,
                crate::text::escape_controls(failed.failure.as_deref().unwrap_or(""))
            )));
        }
        let received_ns = progress.report_at.unwrap_or_else(sys::monotonic_ns);
        let barrier = record::barrier_on_driver_clock(
            &records,
            boot_id().as_deref(),
            launched_ns,
            received_ns,
        );
        Ok(record::reports(records, barrier))
    }
}
