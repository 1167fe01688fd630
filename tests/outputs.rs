//! Output files and streams under hostile conditions: full disks, devices,
//! FIFOs, pipes whose reader has gone, concurrent writers, signals — the
//! previous file is never lost, nothing is half-written, nothing is left.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gilfree::export::json;

use crate::cli::{gilfree, stderr, stdout};
use crate::export::scratch;

/// A quick run's arguments.
const QUICK: [&str; 8] = ["-n", "10k", "--seed", "1", "--runs", "1", "--warmup", "0"];

fn quick(extra: &[&str]) -> std::process::Output {
    let args: Vec<&str> = QUICK.iter().copied().chain(extra.iter().copied()).collect();
    gilfree(&args)
}

/// Every file in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = scratch(name);
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .ok()?;
        status.success().then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_previous_export_and_leaves_no_temporary() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    }
    let tmpfs = Tmpfs::mount("full-disk", "8k").expect("mount a tmpfs");
    let export = tmpfs.0.join("run.json");
    std::fs::write(&export, "{\"previous\": true}\n").unwrap();
    let csv = tmpfs.0.join("run.csv");
    std::fs::write(&csv, "previous\n").unwrap();
    // The JSON of 8 workers × 5 runs × 2 backends is far above 8 KiB; the
    // CSV would fit, but the exports are replaced together or not at all.
    let output = gilfree(&[
        "-n",
        "10k",
        "--seed",
        "1",
        "-b",
        "rayon",
        "--export-csv",
        csv.to_str().unwrap(),
        "--export-json",
        export.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "error: could not write {}: No space left on device (os error 28)\n",
            export.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&export).unwrap(),
        "{\"previous\": true}\n"
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "previous\n");
    assert_eq!(files(&tmpfs.0), ["run.csv", "run.json"]);
}

#[test]
fn concurrent_writers_of_one_export_leave_a_complete_file() {
    let dir = scratch("concurrent-writers");
    let export = dir.join("shared.json");
    for _ in 0..5 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_gilfree"))
                    .args(QUICK)
                    .args(["-b", "threads", "--export-json"])
                    .arg(&export)
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let bytes = std::fs::read(&export).unwrap();
        assert!(json::read(&bytes).is_ok(), "a torn export");
        assert_eq!(files(&dir), ["shared.json"], "a temporary was left");
    }
}

#[test]
fn a_new_export_gets_the_permissions_of_a_new_file() {
    let dir = scratch("export-mode");
    let export = dir.join("new.csv");
    let output = quick(&["--export-csv", export.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mode = std::fs::metadata(&export).unwrap().permissions().mode() & 0o777;
    // 0666 less the umask: readable by others, as `>` would make it, unless
    // the umask says otherwise; never the temporary's 0600.
    // SAFETY: umask only reads and sets this process's mask; restored at once.
    let umask = unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old
    };
    assert_eq!(mode, 0o666 & !(umask as u32));
}

#[test]
fn devices_fifos_and_pipes_are_written_as_streams() {
    let output = quick(&["--export-json", "/dev/null"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = quick(&["--export-json", "/dev/full"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: could not write /dev/full: No space left on device (os error 28)\n"
    );

    // /dev/stdout into a pipe (the table goes there too).
    let output = quick(&["--export-csv", "/dev/stdout", "--export-json", "/dev/null"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("command,mean,stddev"));

    // A FIFO with a reader gets the export; one without is refused at once.
    let dir = scratch("fifo");
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let output = quick(&["--export-csv", fifo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing is reading it"),
        "{}",
        stderr(&output)
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    // Wait until the reader has opened the FIFO.
    let started = Instant::now();
    let output = loop {
        let output = quick(&["--export-csv", fifo.to_str().unwrap()]);
        if output.status.code() != Some(2) || started.elapsed() > Duration::from_secs(120) {
            break output;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(reader.join().unwrap().starts_with("command,mean,"));
    assert_eq!(files(&dir), ["fifo"]);
}

#[test]
fn two_outputs_naming_one_file_are_refused_before_the_run() {
    let dir = scratch("same-file");
    let x = dir.join("x");
    let dotted = dir.join(".").join("x");
    let (x_str, dotted_str) = (x.to_str().unwrap(), dotted.to_str().unwrap());
    let output = quick(&["--export-json", x_str, "--export-csv", dotted_str]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "error: --export-csv {dotted_str}: the same file is already written by \
             --export-json {x_str}; give each output a file of its own\n"
        )
    );
    std::fs::write(&x, "keep").unwrap();
    let link = dir.join("link");
    std::os::unix::fs::symlink(&x, &link).unwrap();
    for other in ["--export-markdown", "--timeline-svg"] {
        let output = quick(&["--export-json", x_str, other, link.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{other}");
    }
    assert_eq!(std::fs::read_to_string(&x).unwrap(), "keep");
    assert_eq!(files(&dir), ["link", "x"]);
}

#[test]
fn picture_paths_are_checked_before_the_run() {
    // 8 × 1G numbers would take minutes: the paths are checked first.
    let started = Instant::now();
    let output = gilfree(&[
        "-n",
        "1G",
        "--timeline-svg",
        "/nonexistent-gilfree-dir/t.svg",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --timeline-svg /nonexistent-gilfree-dir/t.svg: the directory \
         /nonexistent-gilfree-dir does not exist\n"
    );
    let output = gilfree(&[
        "sweep",
        "-n",
        "1G",
        "--plot",
        "/nonexistent-gilfree-dir/p.svg",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: --plot /nonexistent-gilfree-dir/p.svg: "));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!Path::new("/nonexistent-gilfree-dir").exists());
}

#[test]
fn a_run_stopped_by_a_signal_leaves_no_export_and_no_temporary() {
    let dir = scratch("signal-exports");
    let kept = dir.join("kept.csv");
    std::fs::write(&kept, "previous\n").unwrap();
    for backend in ["sequential", "threads", "process"] {
        let json = dir.join(format!("{backend}.json"));
        let child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(QUICK)
            .args(["--backend", backend, "--export-json"])
            .arg(&json)
            .arg("--export-csv")
            .arg(&kept)
            .env(gilfree::fault::ENV_VAR, format!("7:sleep=600000@{backend}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        crate::robustness::wait_until_worker_sleeps(child.id());
        // SAFETY: signalling our own child, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "{backend}: {}",
            stderr(&output)
        );
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "previous\n");
        assert_eq!(files(&dir), ["kept.csv"], "{backend}");
    }
}

#[test]
fn the_python_rows_write_no_file_and_need_no_tmpdir() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3 on PATH (CI has one)");
        return;
    }
    let missing = Path::new("/nonexistent-gilfree-tmpdir");
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(QUICK)
        .args(["--python", "-b", "threads", "--rng", "python"])
        .env("TMPDIR", missing)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("python-processes"));
    assert!(!missing.exists());
}

/// Runs gilfree with its standard output a pipe whose reader has already
/// gone (closed before gilfree starts, so that no write can get in first);
/// returns its exit code and standard error.
fn into_a_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    drop(read_end);
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(args)
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (output.status.code(), stderr(&output))
}

#[test]
fn a_reader_that_goes_away_ends_the_program_quietly_after_its_files() {
    let dir = scratch("broken-pipe");
    let export = dir.join("run.json");
    let mut args: Vec<&str> = QUICK.to_vec();
    args.extend([
        "-b",
        "threads",
        "--timeline",
        "--export-json",
        export.to_str().unwrap(),
    ]);
    let (code, err) = into_a_closed_pipe(&args);
    assert_eq!((code, err.as_str()), (Some(141), ""));
    assert!(json::read(&std::fs::read(&export).unwrap()).is_ok());

    for args in [&["--list-backends"][..], &["--help"]] {
        assert_eq!(
            into_a_closed_pipe(args),
            (Some(141), String::new()),
            "{args:?}"
        );
    }
    let compared = dir.join("run.json");
    let compared = compared.to_str().unwrap();
    assert_eq!(
        into_a_closed_pipe(&["compare", compared, compared]),
        (Some(141), String::new())
    );
}

#[test]
fn a_full_standard_output_is_an_error() {
    for args in [&["--help"][..], &["--list-backends"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&output),
            "error: could not write to standard output: No space left on device (os error 28)\n"
        );
    }
}

#[test]
fn a_closed_standard_error_does_not_stop_the_signal_handling() {
    for backend in ["threads", "process"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(QUICK)
            .args(["--backend", backend])
            .env(gilfree::fault::ENV_VAR, format!("7:sleep=600000@{backend}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        crate::robustness::wait_until_worker_sleeps(child.id());
        let started = Instant::now();
        // SAFETY: signalling our own child, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("{backend}: SIGTERM did not end gilfree with stderr closed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(143), "{backend}");
    }
}

#[test]
fn dev_stdout_is_standard_output_whatever_it_is() {
    let dir = scratch("dev-stdout");
    // Redirected to a regular file: the JSON goes there, the table to
    // standard error, and /dev/stdout stays what it was.
    let redirected = dir.join("out.txt");
    let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
        .args(QUICK)
        .args(["-b", "threads", "--export-json", "/dev/stdout"])
        .stdout(std::fs::File::create(&redirected).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(json::read(&std::fs::read(&redirected).unwrap()).is_ok());
    assert!(stderr(&output).contains("Results: ["));
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A pipe, through a link of one's own: the same.
    let link = dir.join("mystdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let output = quick(&["-b", "threads", "--export-json", link.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(json::read(&output.stdout).is_ok());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Standard output cannot be taken twice.
    let output = quick(&["--export-json", "/dev/stdout", "--export-csv", "-"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_broken_pipe_on_an_export_is_a_failure_not_a_quiet_exit() {
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    drop(read_end);
    let fd = std::os::fd::AsRawFd::as_raw_fd(&write_end);
    // The pipe's write end, inherited as /dev/fd/N (close-on-exec cleared).
    // SAFETY: clearing FD_CLOEXEC on a descriptor this test owns.
    unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    let output = quick(&["-b", "threads", "--export-json", &format!("/dev/fd/{fd}")]);
    drop(write_end);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Broken pipe"),
        "{}",
        stderr(&output)
    );
}
