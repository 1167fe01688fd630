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

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::backend::{Backend, BackendKind, Deadline, Profile, Schedule, WorkerKind};
use crate::error::Error;
use crate::kernel::Workload;
use crate::os::children::{self, Stop};
use crate::os::signal_safe as sys;
use crate::worker::WorkerReport;

pub mod launch;
#[cfg(feature = "mpi")]
pub mod rank;
pub(crate) mod record;

/// The backend's name.
pub const NAME: &str = "mpi";

const PROFILE: Profile = Profile::rust(
    NAME,
    "one OpenMPI rank per worker, started by mpirun on this host or a --hostfile's",
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

/// How long a stopped run (a signal, a timeout) gets to end before it is
/// killed: the supervisor's own grace for the launcher and some room.
pub const STOP_GRACE: Duration = Duration::from_secs(4);

/// The most of the launcher's output kept, each stream: rank 0's line for
/// 65,536 ranks is about 20 MiB.
const MAX_OUTPUT_BYTES: u64 = 32 << 20;

/// What the install script is called, for messages.
pub const INSTALL_SCRIPT: &str = "scripts/install-mpi.sh";

/// How the `mpi` backend launches its ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpiOptions {
    /// The launcher and its own arguments (`mpirun`, or `mpiexec --mca …`,
    /// `srun`); the backend appends `-n W`, `--hostfile F` and the rank's
    /// command.
    pub launcher: Vec<String>,
    /// A hostfile for the launcher (`--hostfile`).
    pub hostfile: Option<PathBuf>,
    /// The gilfree binary the ranks and the supervisor run; `None` for this
    /// process's own executable. It must be at the same path on every host.
    pub program: Option<PathBuf>,
}

impl Default for MpiOptions {
    fn default() -> Self {
        MpiOptions {
            launcher: vec!["mpirun".to_owned()],
            hostfile: None,
            program: None,
        }
    }
}

/// The `mpi` backend; see the module documentation.
#[derive(Debug)]
pub struct MpiBackend {
    options: MpiOptions,
    program: PathBuf,
}

impl MpiBackend {
    /// The backend with `options`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an empty launcher, or a hostfile that
    /// cannot be read.
    pub fn new(options: MpiOptions) -> Result<MpiBackend, Error> {
        if options.launcher.is_empty() {
            return Err(Error::InvalidOption {
                option: "mpirun",
                value: String::new(),
                reason: "give a launcher command, such as \"mpirun\" or \"mpiexec --mca …\"",
            });
        }
        if let Some(hostfile) = &options.hostfile
            && (std::fs::File::open(hostfile).is_err() || hostfile.is_dir())
        {
            return Err(Error::InvalidOption {
                option: "hostfile",
                value: hostfile.display().to_string(),
                reason: "it must be a readable file, one host per line",
            });
        }
        let program = match &options.program {
            Some(program) => program.clone(),
            None => std::env::current_exe().map_err(|source| Error::Setup {
                backend: NAME,
                what: "could not find gilfree's own executable for the ranks",
                source,
            })?,
        };
        Ok(MpiBackend { options, program })
    }

    fn failure(&self, problem: String) -> Error {
        Error::Program {
            backend: NAME,
            problem,
        }
    }

    fn launcher_name(&self) -> &str {
        self.options
            .launcher
            .first()
            .map_or("mpirun", String::as_str)
    }

    /// The command of one run: the supervisor, the launcher, the ranks.
    fn command(&self, workload: &Workload, dir: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command
            .arg(LAUNCH_SUBCOMMAND)
            .arg("--dir")
            .arg(dir)
            .arg("--")
            .args(&self.options.launcher)
            .args(["-n", &workload.workers().to_string()]);
        if let Some(hostfile) = &self.options.hostfile {
            command.arg("--hostfile").arg(hostfile);
        }
        command
            .arg(&self.program)
            .arg(RANK_SUBCOMMAND)
            .args(rank_arguments(workload));
        // OpenMPI's settings, as environment variables so that any launcher
        // can be given and its own arguments win: the per-run directory
        // always; the rest only where the user has not chosen.
        command
            .env("OMPI_MCA_orte_tmpdir_base", dir)
            .env("OMPI_MCA_btl_vader_backing_directory", dir);
        for (name, value) in [
            // ob1 over shared memory and TCP starts in a third of the time
            // that probing for high-speed transports takes.
            ("OMPI_MCA_pml", "ob1"),
            ("OMPI_MCA_btl", "self,vader,tcp"),
            // More ranks than cores is the point of some runs.
            ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
            // The ranks keep SIGTERM's default action: no need to wait
            // before SIGKILL.
            ("OMPI_MCA_odls_base_sigkill_timeout", "0"),
        ] {
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

    /// Waits for the supervisor until `deadline`; past it, or once a signal
    /// has interrupted the runs, asks it to stop and, after [`STOP_GRACE`],
    /// kills it. Returns how it ended and whether it was stopped.
    fn wait(
        &self,
        pid: libc::pid_t,
        deadline: Option<Deadline>,
    ) -> Result<(children::Reaped, bool), Error> {
        let mut stop_sent: Option<Instant> = None;
        loop {
            let step = Instant::now() + Duration::from_millis(20);
            let until = deadline.map_or(step, |d| d.at.min(step));
            match children::reap_group(pid, Some(until)) {
                Ok(Some(reaped)) => return Ok((reaped, stop_sent.is_some())),
                Ok(None) => {}
                Err(err) => {
                    children::kill_registered(pid);
                    let _ = children::reap(pid);
                    return Err(self.failure(format!("could not wait for the launcher: {err}")));
                }
            }
            let stopping = children::interrupted().is_some()
                || deadline.is_some_and(|d| Instant::now() >= d.at);
            match stop_sent {
                None if stopping => {
                    children::terminate_registered(pid);
                    stop_sent = Some(Instant::now());
                }
                Some(sent) if sent.elapsed() >= STOP_GRACE => {
                    children::kill_registered(pid);
                    let reaped = children::reap(pid).map_err(|err| {
                        self.failure(format!("could not wait for the launcher: {err}"))
                    })?;
                    return Ok((reaped, true));
                }
                _ => {}
            }
        }
    }

    /// The error for a run whose supervisor ended with `status`.
    fn launch_failure(&self, status: libc::c_int, stderr: &str) -> Error {
        if libc::WIFEXITED(status)
            && libc::WEXITSTATUS(status) == launch::LAUNCHER_NOT_STARTED
            && stderr.contains(launch::NOT_STARTED_MESSAGE)
        {
            let reason = stderr
                .lines()
                .find(|l| l.contains(launch::NOT_STARTED_MESSAGE))
                .and_then(|l| l.rsplit_once(": "))
                .map_or("it could not be run", |(_, reason)| reason);
            return self.failure(format!(
                "could not start the launcher '{}' ({reason}); install OpenMPI with {INSTALL_SCRIPT}, \
                 or name a launcher with --mpirun",
                self.launcher_name()
            ));
        }
        if let Some(rank) = record::rank_failure(stderr) {
            let host = rank
                .host
                .map_or_else(String::new, |host| format!(" on host {host}"));
            return self.failure(format!(
                "worker {0} (MPI rank {0}{host}) {1}, as {2} reported",
                rank.rank,
                rank.what,
                self.launcher_name()
            ));
        }
        let how = match children::check_status(status, |_| "") {
            Err(failure) => failure.to_string(),
            Ok(()) => "ended".to_owned(),
        };
        self.failure(format!(
            "{} {how} before the ranks reported{}",
            self.launcher_name(),
            explanation(stderr)
        ))
    }
}

/// The arguments of `gilfree mpi-rank` for `workload`.
fn rank_arguments(workload: &Workload) -> Vec<String> {
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
    ];
    if workload.materialize() {
        args.push("--materialize".to_owned());
    }
    args
}

/// `": LINE"` for the most telling line of a launcher's standard error (one
/// that says what failed, else the last non-empty one, not a rule), or
/// nothing.
fn explanation(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '-'))
        .collect();
    let telling = [
        "ssh:",
        "unable",
        "could not",
        "not found",
        "failed",
        "error",
    ];
    let line = lines
        .iter()
        .find(|l| {
            let lower = l.to_lowercase();
            telling.iter().any(|word| lower.contains(word))
        })
        .or(lines.last());
    match line {
        Some(line) => format!(": {}", crate::text::escape_controls(line)),
        None => String::new(),
    }
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
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

/// A pipe read to its end (at most [`MAX_OUTPUT_BYTES`] kept) on a thread
/// of its own, with the time at which rank 0's line arrived.
struct Collected(std::sync::mpsc::Receiver<(Vec<u8>, Option<u64>)>);

/// How long a pipe may stay open after the supervisor ended (something
/// outside its group holds it).
const PIPE_GRACE: Duration = Duration::from_secs(2);

fn collect<R: Read + Send + 'static>(pipe: Option<R>) -> Collected {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut line_at = None;
        // Where the line being read starts: each byte is looked at once.
        let mut line_start = 0;
        if let Some(mut pipe) = pipe {
            let mut buffer = [0u8; 64 * 1024];
            loop {
                match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = (MAX_OUTPUT_BYTES as usize).saturating_sub(bytes.len());
                        let from = bytes.len();
                        bytes.extend_from_slice(&buffer[..n.min(room)]);
                        for end in (from..bytes.len()).filter(|&i| bytes[i] == b'\n') {
                            if line_at.is_none() && is_report_line(&bytes[line_start..end]) {
                                line_at = Some(sys::monotonic_ns());
                            }
                            line_start = end + 1;
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = sender.send((bytes, line_at));
    });
    Collected(receiver)
}

/// Whether `line` (without its newline) is rank 0's report.
fn is_report_line(line: &[u8]) -> bool {
    line.starts_with(record::LINE_PREFIX.as_bytes())
}

impl Collected {
    fn finish(self) -> (Vec<u8>, Option<u64>) {
        self.0.recv_timeout(PIPE_GRACE).unwrap_or_default()
    }
}

impl Backend for MpiBackend {
    fn profile(&self) -> Profile {
        PROFILE
    }

    /// Every rank on this host is a process, plus the launcher and its
    /// supervisor (with a hostfile, fewer run here; the limit still holds
    /// for the launcher's host in the worst case).
    fn check(&self, workload: &Workload) -> Result<(), Error> {
        crate::backend::process::check_process_limit(NAME, workload, workload.workers() as u64 + 2)
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
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        let waited = self.wait(pid, deadline);
        let ((stdout, line_at), (stderr, _)) = (stdout.finish(), stderr.finish());
        drop(dir);
        if let Some(interrupted) = interrupted() {
            return Err(interrupted);
        }
        let (reaped, stopped) = waited?;
        if stopped {
            let deadline = deadline.expect("only a deadline or a signal stops a run");
            return Err(deadline.missed(
                NAME,
                format!(
                    "{} and its {} rank{}",
                    self.launcher_name(),
                    workload.workers(),
                    if workload.workers() == 1 { "" } else { "s" }
                ),
            ));
        }
        let stderr = String::from_utf8_lossy(&stderr);
        if reaped.status != 0 {
            return Err(self.launch_failure(reaped.status, &stderr));
        }
        let records = record::parse_line(&stdout, workload.workers()).map_err(|bad| match bad {
            record::BadOutput::Output(problem) => {
                self.failure(format!("{problem}{}", explanation(&stderr)))
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
        let received_ns = line_at.unwrap_or_else(sys::monotonic_ns);
        let barrier = record::barrier_on_driver_clock(
            &records,
            boot_id().as_deref(),
            launched_ns,
            received_ns,
        );
        Ok(record::reports(records, barrier))
    }
}
