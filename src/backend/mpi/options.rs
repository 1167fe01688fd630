//! How the `mpi` backend is asked to launch: the launcher (`mpirun` or
//! `srun`), the hostfile, the Slurm allocation it may run in.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::DEFAULT_LAUNCH_TIMEOUT;
use crate::error::Error;
use crate::kernel::Simd;

/// The program that starts the ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launcher {
    /// OpenMPI's `mpirun` (or `mpiexec`), its command and its own
    /// arguments, as `--mpirun` gives them; gilfree appends `-n W`,
    /// `--hostfile F` and the ranks' command.
    Mpirun(Vec<String>),
    /// Slurm's `srun`, which gilfree runs as `srun --mpi=pmix
    /// --kill-on-bad-exit=1 -n W` and the ranks' command, inside an
    /// allocation (`salloc`, `sbatch`) or making one.
    Srun,
}

impl Launcher {
    /// The launcher's program, for messages: `mpirun`, `srun`.
    pub fn name(&self) -> &str {
        match self {
            Launcher::Mpirun(words) => words.first().map_or("mpirun", String::as_str),
            Launcher::Srun => "srun",
        }
    }
}

/// How the `mpi` backend launches its ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpiOptions {
    /// The launcher.
    pub launcher: Launcher,
    /// A hostfile for `mpirun` (`--hostfile`).
    pub hostfile: Option<PathBuf>,
    /// The gilfree binary the ranks and the supervisor run; `None` for this
    /// process's own executable. It must be at the same path on every host.
    pub program: Option<PathBuf>,
    /// How long the launch may take: from the run's start until every rank
    /// has left the start barrier.
    pub launch_timeout: Duration,
    /// The SIMD path the ranks must take (`GILFREE_SIMD`); `None` for the
    /// widest each host has. The numbers are the same on every path.
    pub simd: Option<Simd>,
}

impl Default for MpiOptions {
    fn default() -> Self {
        MpiOptions {
            launcher: Launcher::Mpirun(vec!["mpirun".to_owned()]),
            hostfile: None,
            program: None,
            launch_timeout: DEFAULT_LAUNCH_TIMEOUT,
            simd: None,
        }
    }
}

/// The Slurm allocation this process runs in, from the variables `salloc`,
/// `sbatch` and `srun` set: `SLURM_JOB_ID`, `SLURM_NTASKS` (or
/// `SLURM_NPROCS`), `SLURM_JOB_NODELIST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The job id.
    pub job_id: String,
    /// The tasks it was given, where it says.
    pub tasks: Option<usize>,
    /// Its nodes, in Slurm's compressed form (`n[1-2]`), where it says.
    pub nodes: Option<String>,
}

impl Allocation {
    /// The allocation described by `get` (the environment, in use); `None`
    /// outside one.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Option<Allocation> {
        let job_id = get("SLURM_JOB_ID").filter(|id| !id.trim().is_empty())?;
        let tasks = get("SLURM_NTASKS")
            .or_else(|| get("SLURM_NPROCS"))
            .and_then(|n| n.trim().parse().ok())
            .filter(|&n: &usize| n > 0);
        Some(Allocation {
            job_id: job_id.trim().to_owned(),
            tasks,
            nodes: get("SLURM_JOB_NODELIST").filter(|n| !n.trim().is_empty()),
        })
    }

    /// This process's allocation, if it runs in one.
    pub fn current() -> Option<Allocation> {
        Allocation::from_env(|name| std::env::var(name).ok())
    }
}

/// The hosts a hostfile names, in order, each once: the first word of each
/// line, comments (`#`) and blank lines skipped.
///
/// # Errors
/// [`Error::InvalidOption`] when `path` is not a regular file (a FIFO or a
/// device would block or never end), cannot be read, or names no host.
pub(super) fn read_hostfile(path: &Path) -> Result<Vec<String>, Error> {
    let invalid = |reason| Error::InvalidOption {
        option: "hostfile",
        value: path.display().to_string(),
        reason,
    };
    // Checked before opening: opening a FIFO blocks until a writer comes.
    let metadata = std::fs::metadata(path)
        .map_err(|_| invalid("it must be a readable file, one host per line"))?;
    if !metadata.is_file() {
        return Err(invalid(
            "it must be a regular file (not a directory, FIFO or device), one host per line",
        ));
    }
    if metadata.len() > 16 << 20 {
        return Err(invalid("it is larger than any hostfile (16 MiB)"));
    }
    let text = std::fs::read(path)
        .map_err(|_| invalid("it must be a readable file, one host per line"))?;
    let hosts = parse_hostfile(&String::from_utf8_lossy(&text));
    if hosts.is_empty() {
        return Err(invalid(
            "it names no host: one host per line, such as \"node1 slots=4\"",
        ));
    }
    Ok(hosts)
}

/// The hosts of a hostfile's text; see [`read_hostfile`].
fn parse_hostfile(text: &str) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        if let Some(host) = line.split_whitespace().next()
            && !hosts.iter().any(|h| h == host)
        {
            hosts.push(host.to_owned());
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostfiles_hosts_are_its_first_words_once_each() {
        let text = "# the cluster\nnode1 slots=4\n\n  node2 slots=4 # fast\nnode1 slots=2\n";
        assert_eq!(parse_hostfile(text), ["node1", "node2"]);
        assert!(parse_hostfile("# nothing\n\n").is_empty());
    }

    #[test]
    fn an_allocation_is_read_from_slurms_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(Allocation::from_env(env(&[("SLURM_NTASKS", "4")])), None);
        assert_eq!(
            Allocation::from_env(env(&[
                ("SLURM_JOB_ID", "17"),
                ("SLURM_NTASKS", "4"),
                ("SLURM_JOB_NODELIST", "n[1-2]")
            ])),
            Some(Allocation {
                job_id: "17".to_owned(),
                tasks: Some(4),
                nodes: Some("n[1-2]".to_owned())
            })
        );
        assert_eq!(
            Allocation::from_env(env(&[("SLURM_JOB_ID", "18"), ("SLURM_NPROCS", "2")]))
                .and_then(|a| a.tasks),
            Some(2)
        );
        assert_eq!(
            Allocation::from_env(env(&[("SLURM_JOB_ID", "19"), ("SLURM_NTASKS", "x")]))
                .and_then(|a| a.tasks),
            None
        );
    }
}

/// Property tests: whatever a hostfile holds, gilfree reads its hosts or
/// refuses it in one line as bad input (exit 2).
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fault::{Edit, fuzz_cases, mutate};
    use proptest::prelude::*;

    const VALID: &[u8] =
        b"# the cluster\nnode1 slots=4\n\n  node2 slots=4 # fast\n10.0.0.3\nnode1 slots=2\n";

    fn read_or_one_line(bytes: &[u8]) -> Result<(), TestCaseError> {
        // What parse_hostfile promises, on the text itself: each host a
        // line's first word, before any comment, once.
        let text = String::from_utf8_lossy(bytes);
        let hosts = parse_hostfile(&text);
        for (i, host) in hosts.iter().enumerate() {
            prop_assert!(
                !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains('#')
            );
            prop_assert!(!hosts[..i].contains(host), "{} twice", host);
            prop_assert!(
                text.lines().any(
                    |l| l.split('#').next().unwrap_or("").split_whitespace().next() == Some(host)
                ),
                "{} is no line's first word",
                host
            );
        }
        // And read from a file: the same hosts, or bad input in one line.
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        match read_hostfile(file.path()) {
            Ok(read) => prop_assert_eq!(read, hosts),
            Err(err) => {
                prop_assert!(hosts.is_empty());
                prop_assert!(err.is_usage());
                prop_assert!(!err.to_string().contains('\n'), "{}", err);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases(1000)))]

        #[test]
        fn any_bytes_are_hosts_or_one_line(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            read_or_one_line(&bytes)?;
        }

        #[test]
        fn a_broken_hostfile_is_hosts_or_one_line(
            edits in proptest::collection::vec(
                (any::<usize>(), any::<u8>(), any::<u8>())
                    .prop_map(|(at, kind, value)| Edit { at, kind, value }),
                1..6,
            )
        ) {
            read_or_one_line(&mutate(VALID, &edits))?;
        }
    }
}
