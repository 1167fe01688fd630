//! The `mpi` backend (cargo feature `mpi`): the sequential sums on OpenMPI
//! ranks, on one host and on two simulated hosts, with the launch shown
//! apart from the compute; and every way a run can go wrong — a rank killed
//! or failing, a bad record, no launcher, an unreachable host, a timeout,
//! Ctrl-C and SIGTERM, the launcher or gilfree killed — ending in an error
//! (or gilfree's death) with no process and no OpenMPI file left.
//!
//! Without `mpirun` each test says why it is skipped and returns; under CI
//! (`CI=true`) a missing `mpirun` is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{stderr, stdout};
use crate::export::scratch;

/// Whether `mpirun` can run here. Outside CI its absence skips the calling
/// test with a printed reason; under CI it fails it.
fn have_mpirun(test: &str) -> bool {
    let found = Command::new("mpirun")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: mpirun is missing under CI (scripts/install-mpi.sh installs it)"
        );
        eprintln!(
            "{test}: skipped: mpirun not found (install OpenMPI with scripts/install-mpi.sh)"
        );
    }
    found
}

/// A private TMPDIR, so that anything a run leaves there shows.
fn tmpdir(name: &str) -> PathBuf {
    let dir = scratch(&format!("mpi-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `gilfree --backend mpi` on a small workload with `seed`, in `tmp`, one
/// measured run unless `extra` says `--runs`.
fn mpi_command(tmp: &Path, seed: u64, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gilfree"));
    if !extra.contains(&"--runs") {
        command.args(["--runs", "1"]);
    }
    command
        .args(["--backend", "mpi", "-n", "20k", "--warmup", "0"])
        .args(["--seed", &seed.to_string()])
        .args(extra)
        .env("TMPDIR", tmp)
        .env_remove(gilfree::fault::ENV_VAR)
        .stdin(Stdio::null());
    command
}

/// Nothing of OpenMPI's anywhere it could put files: the private TMPDIR is
/// empty (the run's directory is gone), and neither `/dev/shm` nor `/tmp`
/// holds a shared-memory segment or a session directory.
fn assert_no_openmpi_files(tmp: &Path) {
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    for (dir, prefix) in [("/dev/shm", "vader_segment."), ("/tmp", "ompi.")] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let found: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with(prefix))
            .collect();
        assert!(found.is_empty(), "left in {dir}: {found:?}");
    }
}

/// Processes whose command line has `gilfree mpi-rank` with `--seed seed`
/// (each test uses its own seed).
fn ranks_with_seed(seed: u64) -> Vec<u32> {
    processes_matching(|cmdline| {
        cmdline.get(1).is_some_and(|word| word == "mpi-rank")
            && cmdline
                .windows(2)
                .any(|w| w[0] == "--seed" && w[1] == seed.to_string())
    })
}

fn processes_matching(matches: impl Fn(&[String]) -> bool) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let words: Vec<String> = raw
            .split(|&b| b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        if matches(&words) {
            found.push(pid);
        }
    }
    found
}

/// Waits (bounded) until `count` ranks of `seed` exist.
fn wait_for_ranks(seed: u64, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while ranks_with_seed(seed).len() < count {
        assert!(Instant::now() < deadline, "the ranks never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let them get through MPI_Init to the sleep.
    std::thread::sleep(Duration::from_millis(300));
}

/// Reaps every descendant orphaned to this process (a subreaper) until none
/// is left and no rank of `seed` exists, within a bounded time.
fn reap_everything(seed: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut status = 0;
        // SAFETY: `status` is writable; WNOHANG never blocks.
        let rc = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        let none_left = rc == -1 && ranks_with_seed(seed).is_empty();
        if none_left {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes are left: {:?}",
            ranks_with_seed(seed)
        );
        if rc <= 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn become_subreaper() {
    // SAFETY: makes orphans of our descendants our children, so that a rank
    // or launcher that gilfree failed to reap shows up in waitpid.
    let set = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(set, 0);
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

fn results_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("Results: ["))
        .expect("a Results line")
}

#[test]
fn the_mpi_row_gives_the_sequential_sums_and_shows_launch_apart_from_compute() {
    if !have_mpirun("mpi row") {
        return;
    }
    let tmp = tmpdir("row");
    let json = tmp.with_extension("json");
    let output = mpi_command(&tmp, 2015, &["--timeline", "--explain", "--runs", "2"])
        .args(["--backend", "process", "--export-json"])
        .arg(&json)
        .output()
        .unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("mpi "))
        .expect("an mpi row");
    assert!(row.ends_with('✓'), "{row}");
    let host = host_name();
    assert!(
        out.contains(&format!("mpi: 8 ranks on 1 host: {host} (workers 0–7)")),
        "{out}"
    );
    assert!(out.contains("mpi: of the typical run's"), "{out}");
    assert!(out.contains("mpi spent"), "{out}");
    assert!(out.contains(&format!("on {host}\n")), "{out}");
    // The same sums as a run without it.
    let plain = crate::cli::gilfree(&["-n", "20k", "--seed", "2015", "-b", "process"]);
    assert_eq!(results_line(&out), results_line(&stdout(&plain)));

    let export: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    let mpi = export["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backend"] == "mpi")
        .expect("an mpi result");
    assert_eq!(mpi["hosts"], serde_json::json!([host]));
    assert!(mpi["launch_median"].as_f64().unwrap() > 0.0);
    assert_eq!(mpi["sums"], export["sums"]);
    for run in mpi["runs"].as_array().unwrap() {
        let started = run["started_ns"].as_u64().unwrap();
        for worker in run["workers"].as_array().unwrap() {
            assert_eq!(worker["host"], host.as_str());
            let ready = worker["ready_ns"].as_u64().unwrap();
            assert!(started <= ready && ready <= worker["start_ns"].as_u64().unwrap());
        }
    }
    // The export reads back, for compare.
    let process = export["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backend"] == "process")
        .unwrap();
    assert!(process.get("hosts").is_none() && process.get("launch_median").is_none());
    assert_no_openmpi_files(&tmp);
}

#[test]
fn mpi_must_be_named_and_sweeps_over_ranks() {
    let out = stdout(&crate::cli::gilfree(&["--list-backends"]));
    assert!(out.lines().any(|l| l.starts_with("mpi ")), "{out}");
    let help = stdout(&crate::cli::gilfree(&["--help"]));
    assert!(help.contains("all leaves out mpi"), "{help}");
    assert!(!help.contains("mpi-rank") && !help.contains("mpi-launch"));
    if !have_mpirun("mpi sweep") {
        return;
    }
    let tmp = tmpdir("sweep");
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(["sweep", "-b", "mpi", "--workers", "1,3"])
        .args(["--runs", "1", "--warmup", "0", "--seed", "7"])
        .args(["--scaling", "strong", "-n", "30k"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.contains("\nmpi — "), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("3 ")),
        "no 3-rank point: {out}"
    );
    assert_no_openmpi_files(&tmp);
}

#[test]
fn two_simulated_hosts_each_run_half_of_the_ranks() {
    if !have_mpirun("two hosts") {
        return;
    }
    // Each "host" is a UTS namespace of its own, which needs root.
    let unshare = Command::new("unshare")
        .args(["--uts", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !unshare {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "unshare --uts must work under CI (as root)"
        );
        eprintln!("two hosts: skipped: unshare --uts needs root here");
        return;
    }
    let tmp = tmpdir("two-hosts");
    let hostfile = tmp.with_extension("hosts");
    std::fs::write(&hostfile, "127.0.0.2 slots=4\n127.0.0.3 slots=4\n").unwrap();
    let agent = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mpi-local-ssh.sh");
    let output = mpi_command(&tmp, 2015, &["--runs", "2", "--timeline"])
        .arg("--hostfile")
        .arg(&hostfile)
        .env("OMPI_MCA_plm_rsh_agent", &agent)
        .env("OMPI_MCA_btl_tcp_if_include", "lo")
        .env("OMPI_MCA_oob_tcp_if_include", "lo")
        .output()
        .unwrap();
    std::fs::remove_file(&hostfile).unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    assert!(
        out.contains("mpi: 8 ranks on 2 hosts: 127.0.0.2 (workers 0–3), 127.0.0.3 (workers 4–7)"),
        "{out}"
    );
    assert!(
        out.contains("| cpu") && out.contains(" on 127.0.0.3\n"),
        "{out}"
    );
    let row = out.lines().find(|l| l.starts_with("mpi ")).unwrap();
    assert!(row.ends_with('✓'), "{row}");
    assert_no_openmpi_files(&tmp);
}

/// Waits for `child` at most `limit`; kills it and fails past that.
fn output_within(mut child: std::process::Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_fifo_hostfile_a_torn_quote_and_mpirun_with_srun_are_refused_at_once_with_exit_2() {
    let tmp = tmpdir("refused");
    let fifo = tmp.with_extension("fifo");
    let _ = std::fs::remove_file(&fifo);
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let cases: [(&[&str], &str); 4] = [
        (
            &["--hostfile", fifo.to_str().unwrap()],
            "it must be a regular file",
        ),
        (
            &["--hostfile", tmp.to_str().unwrap()],
            "it must be a regular file",
        ),
        (
            &["--mpirun", "mpirun --mca plm_rsh_args '-p 22"],
            "close every quote",
        ),
        (
            &["--launcher", "srun", "--mpirun", "mpirun"],
            "--launcher srun builds its own",
        ),
    ];
    for (args, expected) in cases {
        let child = mpi_command(&tmp, 5, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A FIFO opened for reading would block until a writer came.
        let output = output_within(child, Duration::from_secs(20));
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    std::fs::remove_file(&fifo).unwrap();
    assert_no_openmpi_files(&tmp);
}

#[test]
fn a_shell_quoted_mpirun_reaches_mpirun_as_its_words() {
    if !have_mpirun("shell-quoted mpirun") {
        return;
    }
    let tmp = tmpdir("quoted");
    // Split at spaces, '-p 22' would be two words and mpirun would take
    // "22'" for the program (status 134, as it once did).
    let output = mpi_command(
        &tmp,
        2016,
        &["-w", "2", "--mpirun", "mpirun --mca plm_rsh_args '-p 22'"],
    )
    .output()
    .unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("mpi "))
        .expect("an mpi row");
    assert!(row.ends_with('✓'), "{row}");
    assert_no_openmpi_files(&tmp);
}

#[test]
fn gilfree_simd_reaches_the_ranks() {
    if !have_mpirun("GILFREE_SIMD") {
        return;
    }
    let tmp = tmpdir("simd");
    let words = tmp.with_extension("words");
    // A launcher that writes down the words it was given, one a line, then
    // is mpirun: quoting as a shell would is what makes it one argument.
    let launcher = format!(
        "sh -c 'printf \"%s\\n\" \"$@\" > {}; exec mpirun \"$@\"' sh",
        words.display()
    );
    let output = mpi_command(
        &tmp,
        2017,
        &["-w", "2", "--mpirun", &launcher, "--export-json", "-"],
    )
    .env("GILFREE_SIMD", "scalar")
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let given = std::fs::read_to_string(&words).unwrap();
    let given: Vec<&str> = given.lines().collect();
    assert!(
        given.windows(2).any(|w| w == ["--simd", "scalar"]),
        "{given:?}"
    );
    let export: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(export["workload"]["simd"], "scalar");
    let mpi = export["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backend"] == "mpi")
        .unwrap();
    assert_eq!(mpi["verified"], true);
    assert_eq!(mpi["host_details"][0]["logical_cores"], num_cpus::get());
    std::fs::remove_file(&words).unwrap();
    assert_no_openmpi_files(&tmp);
}

/// A launcher that outlives its job — as OpenMPI 4.1's mpirun does when it
/// deadlocks finalizing after a rank was killed — is stopped a few seconds
/// after the job is over: a rank's failure it noticed is the run's error;
/// after a complete report the run fails too, saying why (its wall time
/// would hold the wait), instead of waiting out `--timeout`. Two launchers
/// that linger on purpose (a shell that sleeps after mpirun, or after
/// printing mpirun's notice) stand in for the deadlock, which comes about
/// once in ten kills.
#[test]
fn a_launcher_that_outlives_its_job_is_stopped_within_seconds() {
    if !have_mpirun("lingering launcher") {
        return;
    }
    let tmp = tmpdir("lingering");
    let lingerers = || processes_matching(|cmdline| cmdline.iter().any(|w| w == "6001"));
    let started = Instant::now();
    let err = expect_one_line_error(
        "lingering after the report",
        mpi_command(
            &tmp,
            2041,
            &[
                "-w",
                "2",
                "--mpirun",
                "sh -c 'mpirun \"$@\"; exec sleep 6001' sh",
            ],
        ),
        &tmp,
        "sh had not ended 5s after rank 0's report arrived, and was stopped; the run's wall \
         time would include that wait, so the run is not counted (run again)",
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{err}");
    assert!(lingerers().is_empty(), "the lingering launcher was left");

    let notice = "mpirun noticed that process rank 1 with PID 0 on node far-host exited on \
                  signal 9 (Killed).";
    let launcher = format!("sh -c 'echo \"{notice}\" >&2; exec sleep 6001' sh");
    let started = Instant::now();
    let err = expect_one_line_error(
        "lingering after a failure",
        mpi_command(&tmp, 2042, &["-w", "2", "--mpirun", &launcher]),
        &tmp,
        "worker 1 (MPI rank 1 on host far-host) was killed by signal 9 (SIGKILL), as sh reported",
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{err}");
    assert!(lingerers().is_empty(), "the lingering launcher was left");

    // A notice of a rank the run does not have names no worker: the
    // launcher's words are quoted as they are.
    let notice = "mpirun noticed that process rank 7 with PID 0 on node far-host exited on \
                  signal 9 (Killed).";
    let launcher = format!("sh -c 'echo \"{notice}\" >&2; exec sleep 6001' sh");
    let err = expect_one_line_error(
        "a notice of a rank beyond --workers",
        mpi_command(&tmp, 2043, &["-w", "2", "--mpirun", &launcher]),
        &tmp,
        "noticed that process rank 7",
    );
    assert!(!err.contains("worker 7"), "{err}");
    assert!(lingerers().is_empty(), "the lingering launcher was left");
}

/// One failing run: exit 1 and exactly one line, `error: mpi backend: …`
/// containing `expected`; nothing left behind.
fn expect_one_line_error(name: &str, mut command: Command, tmp: &Path, expected: &str) -> String {
    let output: Output = command.output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{name}: {err}");
    assert_eq!(err.lines().count(), 1, "{name}: {err}");
    assert!(err.starts_with("error: mpi backend: "), "{name}: {err}");
    assert!(err.contains(expected), "{name}: {err}");
    assert_no_openmpi_files(tmp);
    err
}

alone! {
    /// A rank killed or failing, a bad or missing report, no launcher, an
    /// unreachable host, a timeout: each an error of one line naming the
    /// backend (and the rank), exit code 1, no process and no file left.
    fn every_failure_of_an_mpi_run_is_an_error_that_leaves_nothing() {
        if !have_mpirun("mpi failures") {
            return;
        }
        become_subreaper();
        let tmp = tmpdir("failures");
        let host = host_name();
        let fault = |spec: &str| {
            let mut command = mpi_command(&tmp, 11, &["--launch-timeout", "15s"]);
            command.env(gilfree::fault::ENV_VAR, spec);
            command
        };
        let cases = [
            ("killed rank", fault("3:kill=9@mpi"), format!(
                "worker 3 (MPI rank 3 on host {host}) was killed by signal 9 (SIGKILL), as mpirun reported"
            )),
            // A rank exiting on its own before MPI starts: OpenMPI 4.1's
            // mpirun reports it with its own status (4), or dies of SIGPIPE
            // writing to the dead rank, or leaves the others waiting in
            // MPI_Init, which the launch deadline ends; each is an error of
            // the backend (checked below).
            ("failing rank", fault("2:exit=4@mpi"), String::new()),
            ("panicking rank", fault("6:panic@mpi"),
                format!("worker 6 (MPI rank 6 on host {host}) panicked: injected fault: worker 6 panics")),
            ("garbled record", fault("1:garbled@mpi"),
                "worker 1 (MPI rank 1) sent a record that finishes before it starts".to_owned()),
            ("no report", fault("0:silent@mpi"), "rank 0 printed no report".to_owned()),
            ("short report", fault("0:short@mpi"), "rank 0's report is not valid".to_owned()),
        ];
        for (name, command, expected) in cases {
            let err = expect_one_line_error(name, command, &tmp, &expected);
            if name == "failing rank" {
                assert!(
                    err.contains("mpirun ")
                        || err.contains("still launching after 15s (--launch-timeout)"),
                    "{err}"
                );
            }
            assert_eq!(reap_count(), 0, "{name}: a process was left");
        }

        let mut missing = mpi_command(&tmp, 11, &["--mpirun", "/nonexistent/mpirun -v"]);
        missing.env_remove("PATH");
        let err = expect_one_line_error("no launcher", missing, &tmp, "scripts/install-mpi.sh");
        assert!(err.contains("'/nonexistent/mpirun'"), "{err}");

        // Nothing listens on 127.0.0.9's ssh port: ssh is refused at once.
        let hostfile = tmp.with_extension("unreachable");
        std::fs::write(&hostfile, "127.0.0.9 slots=8\n").unwrap();
        let mut unreachable = mpi_command(&tmp, 11, &[]);
        unreachable
            .arg("--hostfile")
            .arg(&hostfile)
            .env("OMPI_MCA_plm_rsh_agent", "ssh")
            .env("OMPI_MCA_plm_rsh_args", "-o BatchMode=yes -o ConnectTimeout=5");
        let err = expect_one_line_error("unreachable host", unreachable, &tmp, "127.0.0.9");
        assert!(err.contains("before the ranks reported"), "{err}");
        std::fs::remove_file(&hostfile).unwrap();

        let mut slow = fault("0:sleep=60000@mpi");
        slow.args(["--timeout", "3s"]);
        expect_one_line_error(
            "timeout",
            slow,
            &tmp,
            "the run did not finish within 3s: mpirun and its 8 ranks still running, killed",
        );
        reap_everything(11);
    }
}

/// Children reaped now (orphans adopted by this subreaper).
fn reap_count() -> usize {
    let mut reaped = 0;
    loop {
        let mut status = 0;
        // SAFETY: `status` is writable; WNOHANG never blocks.
        if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } <= 0 {
            return reaped;
        }
        reaped += 1;
    }
}

alone! {
    /// Ctrl-C and SIGTERM stop an MPI run on every rank: one line, exit
    /// codes 130 and 143, every rank reaped, no OpenMPI file left.
    fn sigint_and_sigterm_stop_every_rank_and_leave_no_file() {
        if !have_mpirun("mpi signals") {
            return;
        }
        become_subreaper();
        let tmp = tmpdir("signals");
        for (seed, signal, name, code) in [
            (21, libc::SIGINT, "SIGINT", 130),
            (22, libc::SIGTERM, "SIGTERM", 143),
        ] {
            let child = mpi_command(&tmp, seed, &[])
                .env(gilfree::fault::ENV_VAR, "0:sleep=60000@mpi")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            wait_for_ranks(seed, 8);
            // SAFETY: signalling our own child, which has not been waited for.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            let output = child.wait_with_output().unwrap();
            assert_eq!(output.status.code(), Some(code), "{name}: {}", stderr(&output));
            assert_eq!(
                stderr(&output),
                format!("gilfree: interrupted by {name}; stopped and reaped 1 worker process\n")
            );
            assert!(ranks_with_seed(seed).is_empty(), "{name}: ranks left");
            assert_eq!(reap_count(), 0, "{name}: a process was left");
            assert_no_openmpi_files(&tmp);
        }
    }
}

alone! {
    /// Killing one rank, or the launcher itself, from outside fails the run
    /// with an error that says which; no process or OpenMPI file is left.
    fn a_rank_or_the_launcher_killed_from_outside_fails_the_run_cleanly() {
        if !have_mpirun("mpi kills") {
            return;
        }
        become_subreaper();
        let tmp = tmpdir("kills");
        // One rank: rank 5, found by its command line.
        let child = mpi_command(&tmp, 31, &[])
            .env(gilfree::fault::ENV_VAR, "0:sleep=60000@mpi")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_ranks(31, 8);
        let ranks = ranks_with_seed(31);
        let victim = ranks.iter().copied().find(|&pid| rank_of(pid) == Some(5)).unwrap();
        // SAFETY: a rank of our own run, still running.
        unsafe { libc::kill(victim as libc::pid_t, libc::SIGKILL) };
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(
            err.contains("error: mpi backend: worker 5 (MPI rank 5 on host")
                && err.contains("was killed by signal 9 (SIGKILL)"),
            "{err}"
        );
        reap_everything(31);
        assert_no_openmpi_files(&tmp);

        // The launcher: mpirun, the parent of the ranks.
        let child = mpi_command(&tmp, 32, &[])
            .env(gilfree::fault::ENV_VAR, "0:sleep=60000@mpi")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_ranks(32, 8);
        let launcher = parent_of(ranks_with_seed(32)[0]).unwrap();
        assert!(command_name(launcher).contains("mpirun"), "{launcher}");
        // SAFETY: the launcher of our own run, still running.
        unsafe { libc::kill(launcher as libc::pid_t, libc::SIGKILL) };
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert_eq!(
            err,
            "error: mpi backend: mpirun was killed by signal 9 (SIGKILL) before the ranks reported\n"
        );
        reap_everything(32);
        assert_no_openmpi_files(&tmp);
    }
}

alone! {
    /// gilfree killed with SIGKILL: its launcher's supervisor gets SIGTERM
    /// (its parent-death signal), stops every rank and removes the run's
    /// directory; nothing is left.
    fn gilfree_killed_takes_its_ranks_and_files_with_it() {
        if !have_mpirun("gilfree killed") {
            return;
        }
        become_subreaper();
        let tmp = tmpdir("sigkill");
        let mut child = mpi_command(&tmp, 41, &[])
            .env(gilfree::fault::ENV_VAR, "0:sleep=60000@mpi")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_ranks(41, 8);
        child.kill().unwrap();
        child.wait().unwrap();
        reap_everything(41);
        assert_no_openmpi_files(&tmp);
    }
}

/// The rank of a rank process, from its environment (OpenMPI sets
/// `OMPI_COMM_WORLD_RANK`).
fn rank_of(pid: u32) -> Option<usize> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ
        .split(|&b| b == 0)
        .filter_map(|var| std::str::from_utf8(var).ok())
        .find_map(|var| var.strip_prefix("OMPI_COMM_WORLD_RANK="))
        .and_then(|rank| rank.parse().ok())
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn command_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default()
}

#[test]
fn mpi_ranks_gather_their_numbers_to_rank_0_which_sums_them() {
    if !have_mpirun("mpi gather") {
        return;
    }
    let tmp = tmpdir("gather");
    let json = tmp.with_extension("json");
    // Two bytes a number: the offsets of -300..=300.
    let output = mpi_command(
        &tmp,
        7,
        &["--return", "numbers", "--low=-300", "--high=300", "-w", "4"],
    )
    .arg("--export-json")
    .arg(&json)
    .output()
    .unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("mpi "))
        .expect("an mpi row");
    assert!(row.ends_with('✓'), "{row}");
    assert!(
        out.contains("mpi: 0 B of the 160 kB crossed the network"),
        "{out}"
    );
    let export = gilfree::export::json::read(&std::fs::read(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    let mpi = export.result("mpi").unwrap();
    assert_eq!(mpi.sums, export.sums);
    let t = mpi.transfer.as_ref().unwrap();
    assert_eq!((t.mode.as_str(), t.copies, t.bytes), ("gather", 2, 160_000));
    assert_eq!(t.network_bytes, Some(0));
    for w in &mpi.runs[0].workers {
        let wt = w.transfer.unwrap();
        assert_eq!(wt.bytes, 40_000);
        assert!(wt.delivered_ns >= w.finish_ns && wt.sum_start_ns >= wt.delivered_ns);
    }
    assert_no_openmpi_files(&tmp);
}
