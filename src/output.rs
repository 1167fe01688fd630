//! The files gilfree writes — exports and pictures — checked before the run
//! and written whole or not at all.
//!
//! [`Output::check`] runs before anything is measured, so that a mistyped
//! directory fails in a moment instead of after a long run. What it prepares
//! depends on what the path names:
//!
//! - `-`, or a path that is this process's standard output (`/dev/stdout`,
//!   whatever it is): standard output, written through it.
//! - A regular file, or nothing yet: a file written beside it and renamed
//!   over it, as rsync and cargo replace files — a reader sees the previous
//!   file or the new one, never a part; of concurrent writers the last
//!   rename wins. Where the system has them (Linux's `O_TMPFILE`), the
//!   temporary is an unnamed file made now, so that however gilfree ends
//!   before the commit, even by SIGKILL, nothing is left; elsewhere a named
//!   one is made only when the run is done ([`crate::os::cleanup`] removes
//!   it on a signal). A symbolic link is followed, as `>` follows it.
//! - Anything else that exists — `/dev/null`, a FIFO, a process
//!   substitution's pipe, and any path through `/dev` or `/proc` — is opened
//!   now and written as a stream, never truncated or replaced. A FIFO with
//!   no reader is refused at once rather than waited for.
//!
//! [`commit_all`] writes a run's outputs as one step: every file staged
//! (written and `fsync`ed beside its target), then the streams written,
//! then every file renamed into place under one lock, which a signal waits
//! for; standard output last. [`check_distinct`] refuses two outputs that
//! name the same file.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::os::cleanup::{self, Registered};

/// One file to write, checked and prepared.
#[derive(Debug)]
pub struct Output {
    flag: &'static str,
    /// As given, for messages.
    path: PathBuf,
    /// The file replaced: `path` with symbolic links followed.
    file: PathBuf,
    target: Target,
    identity: Option<Identity>,
}

#[derive(Debug)]
enum Target {
    Stdout,
    Stream(File),
    Replace(Temporary),
}

/// Where an output is written before it replaces its target.
#[derive(Debug)]
enum Temporary {
    /// A file with no name (`O_TMPFILE`) in the target's directory, linked
    /// under a name only at the commit, for the moment of the rename.
    Unnamed { file: File, dir: PathBuf },
    /// A named file in `dir`, made when the output is staged.
    Later { dir: PathBuf },
}

/// What a path refers to, for telling two outputs apart.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Inode { device: u64, inode: u64 },
    Path(PathBuf),
}

impl Output {
    /// Checks `path`, given to `flag`, and prepares it for writing.
    ///
    /// # Errors
    /// [`Error::ExportPath`] naming the flag, the path and the problem, when
    /// it cannot be written: a missing or unwritable directory, a directory
    /// where a file should be, a FIFO without a reader.
    pub fn check(flag: &'static str, path: &Path) -> Result<Output, Error> {
        let fail = |problem: String| Error::ExportPath {
            flag,
            path: path.to_owned(),
            problem,
        };
        let output = |file: PathBuf, target, identity| Output {
            flag,
            path: path.to_owned(),
            file,
            target,
            identity,
        };
        if path == Path::new("-") {
            return Ok(output(path.to_owned(), Target::Stdout, stdout_identity()));
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Err(fail("is a directory".to_owned())),
            Ok(meta) if identity_of(&meta) == stdout_identity() => {
                // `/dev/stdout`, or the very file standard output goes to:
                // written through standard output, never replaced.
                Ok(output(path.to_owned(), Target::Stdout, identity_of(&meta)))
            }
            Ok(meta) if !meta.is_file() || through_dev_or_proc(path) => {
                let stream = open_stream(path).map_err(|err| fail(stream_problem(&err)))?;
                Ok(output(
                    path.to_owned(),
                    Target::Stream(stream),
                    identity_of(&meta),
                ))
            }
            Ok(meta) => {
                let file = std::fs::canonicalize(path).map_err(|err| fail(err.to_string()))?;
                let temp = temporary_beside(&file).map_err(fail)?;
                Ok(output(file, Target::Replace(temp), identity_of(&meta)))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let file = dangling_link_target(path);
                let temp = temporary_beside(&file).map_err(fail)?;
                let identity = canonical_of_new(&file).map(Identity::Path);
                Ok(output(file, Target::Replace(temp), identity))
            }
            Err(err) => Err(fail(err.to_string())),
        }
    }

    /// The flag that named this output.
    pub fn flag(&self) -> &'static str {
        self.flag
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this output goes to standard output (`-`, `/dev/stdout`, or
    /// the file standard output is redirected to): the report should then
    /// go to standard error.
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Writes `bytes` as the whole content of the output: the commit of a
    /// single output ([`commit_all`] for several).
    ///
    /// # Errors
    /// [`Error::Write`] naming the path (the previous file, if any, is then
    /// untouched and no temporary is left).
    pub fn commit(self, bytes: &[u8]) -> Result<(), Error> {
        commit_all(vec![(self, bytes.to_vec())])
    }
}

/// A file staged for its rename.
struct Staged {
    /// The output's path as given, for messages.
    path: PathBuf,
    /// The file to replace.
    file: PathBuf,
    /// The unnamed file, or the registered name, that replaces it.
    temp: StagedTemp,
}

enum StagedTemp {
    Unnamed { file: File, dir: PathBuf },
    Named(Registered),
}

/// Writes every output its bytes, as one step: each file written and
/// `fsync`ed beside its target (a failure, a full disk say, stops here with
/// every target as it was); then the streams (a device that fails stops here
/// too); then every file renamed over its target under one lock, which a
/// signal waits for; then standard output, last, so that a reader that has
/// gone cannot stop the files.
///
/// # Errors
/// [`Error::Write`] naming the first output that failed.
pub fn commit_all(outputs: Vec<(Output, Vec<u8>)>) -> Result<(), Error> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    let mut staged = Vec::new();
    let mut streams = Vec::new();
    let mut stdout = Vec::new();
    for (output, bytes) in outputs {
        match output.target {
            Target::Replace(temp) => {
                let temp = stage(temp, &output.file, &bytes).map_err(fail(&output.path))?;
                staged.push(Staged {
                    path: output.path,
                    file: output.file,
                    temp,
                });
            }
            Target::Stream(file) => streams.push((output.path, file, bytes)),
            Target::Stdout => stdout.push((output.path, bytes)),
        }
    }
    for (path, mut file, bytes) in streams {
        file.write_all(&bytes)
            .and_then(|()| file.flush())
            .map_err(fail(&path))?;
    }
    rename_all(staged)?;
    for (_, bytes) in stdout {
        let mut out = io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(fail(Path::new(STDOUT)))?;
    }
    Ok(())
}

/// The path [`Error::Write`] names for a failure on standard output.
pub const STDOUT: &str = "standard output";

/// Writes `bytes` into `temp`, with the target's permissions if it exists,
/// and makes them durable.
fn stage(temp: Temporary, target: &Path, bytes: &[u8]) -> io::Result<StagedTemp> {
    let (mut file, staged) = match temp {
        Temporary::Unnamed { file, dir } => {
            let handle = file.try_clone()?;
            (handle, StagedTemp::Unnamed { file, dir })
        }
        Temporary::Later { dir } => {
            let (file, guard) = named_temporary(&dir, target)?;
            (file, StagedTemp::Named(guard))
        }
    };
    file.write_all(bytes)?;
    // An existing file keeps its permissions.
    if let Ok(meta) = std::fs::metadata(target) {
        file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    file.sync_all()?;
    Ok(staged)
}

/// Renames every staged file over its target, under the cleanup lock.
fn rename_all(staged: Vec<Staged>) -> Result<(), Error> {
    // Guards whose commit failed are dropped after the lock is released
    // (their drop takes it).
    let mut armed = Vec::new();
    let mut result = Ok(());
    let mut dirs = Vec::new();
    {
        let mut lock = cleanup::lock();
        for staged in staged {
            let mut guard = match staged.temp {
                StagedTemp::Named(guard) => guard,
                StagedTemp::Unnamed { file, dir } => {
                    // Named only between this link and the rename below;
                    // registered before the lock is released.
                    let fd_path =
                        format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
                    let mut prefix = String::new();
                    let linked = temporary(&staged.file, &mut prefix)
                        .make_in(&dir, |name| {
                            nix::unistd::linkat(
                                nix::fcntl::AT_FDCWD,
                                fd_path.as_str(),
                                nix::fcntl::AT_FDCWD,
                                name,
                                nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW,
                            )
                            .map_err(io::Error::from)
                        })
                        .and_then(|named| named.into_temp_path().keep().map_err(|e| e.error));
                    let name = match linked {
                        Ok(name) => name,
                        Err(source) => {
                            // Nothing was linked: nothing to remove.
                            result = Err(Error::Write {
                                path: staged.path,
                                source,
                            });
                            break;
                        }
                    };
                    lock.register(name)
                }
            };
            let target = staged.file.clone();
            match lock.commit(&mut guard, |temp| std::fs::rename(temp, &target)) {
                Ok(()) => dirs.extend(directory_of(&staged.file).map(Path::to_owned)),
                Err(source) => {
                    armed.push(guard);
                    result = Err(Error::Write {
                        path: staged.path,
                        source,
                    });
                    break;
                }
            }
        }
    }
    drop(armed);
    // The renames are durable once their directories are.
    for dir in dirs {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    result
}

/// Refuses two outputs that would write the same file, or standard output
/// twice.
///
/// # Errors
/// [`Error::ExportPath`] naming the second output and the first.
pub fn check_distinct(outputs: &[&Output]) -> Result<(), Error> {
    for (i, later) in outputs.iter().enumerate() {
        for earlier in &outputs[..i] {
            let same = if later.is_stdout() || earlier.is_stdout() {
                later.is_stdout() && earlier.is_stdout()
            } else {
                later.identity.is_some() && later.identity == earlier.identity
            };
            if same {
                let problem = if later.is_stdout() {
                    format!(
                        "standard output is already taken by {}; write one of them to a file",
                        earlier.flag
                    )
                } else {
                    format!(
                        "the same file is already written by {} {}; give each output a file of its own",
                        earlier.flag,
                        earlier.path.display()
                    )
                };
                return Err(Error::ExportPath {
                    flag: later.flag,
                    path: later.path.clone(),
                    problem,
                });
            }
        }
    }
    Ok(())
}

/// The identity of what standard output is, if it can be told.
fn stdout_identity() -> Option<Identity> {
    let stat = nix::sys::stat::fstat(std::io::stdout()).ok()?;
    Some(Identity::Inode {
        device: stat.st_dev as u64,
        inode: stat.st_ino as u64,
    })
}

/// Whether `path`, or a symbolic link on the way to its file, lies in `/dev`
/// or `/proc`: such a file is never replaced (`/dev/stdout` is a link to
/// `/proc/self/fd/1`, which is whatever standard output is).
fn through_dev_or_proc(path: &Path) -> bool {
    let special = |p: &Path| p.starts_with("/dev") || p.starts_with("/proc");
    let mut hop = path.to_owned();
    for _ in 0..40 {
        if special(&hop) {
            return true;
        }
        match std::fs::read_link(&hop) {
            Ok(link) => {
                hop = match directory_of(&hop) {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Err(_) => break,
        }
    }
    std::fs::canonicalize(path).is_ok_and(|c| special(&c))
}

/// Where a path that does not exist would create its file: itself, or, for
/// a symbolic link to nothing, where the link (or chain of links) points.
fn dangling_link_target(path: &Path) -> PathBuf {
    let mut file = path.to_owned();
    // Links may chain; the kernel's own limit is 40.
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink());
        let Some(link) = is_link.then(|| std::fs::read_link(&file).ok()).flatten() else {
            break;
        };
        file = match directory_of(&file) {
            Some(dir) if link.is_relative() => dir.join(link),
            _ => link,
        };
    }
    file
}

/// The directory a file path lies in (`.` for a bare name).
fn directory_of(path: &Path) -> Option<&Path> {
    match path.parent() {
        Some(dir) if dir.as_os_str().is_empty() => Some(Path::new(".")),
        other => other,
    }
}

/// Prepares the temporary for replacing `path`: an unnamed file in its
/// directory where the system has them; else the directory, checked by
/// making and removing a named file there; or why there can be none.
fn temporary_beside(path: &Path) -> Result<Temporary, String> {
    let (Some(dir), Some(_)) = (directory_of(path), path.file_name()) else {
        return Err("not a file name".to_owned());
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a directory", dir.display())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(format!("the directory {} does not exist", dir.display()));
        }
        Err(err) => return Err(format!("{}: {err}", dir.display())),
    }
    let cannot = |err: io::Error| format!("cannot create a file in {}: {err}", dir.display());
    #[cfg(target_os = "linux")]
    {
        let unnamed = OpenOptions::new()
            .write(true)
            .mode(0o666)
            .custom_flags(libc::O_TMPFILE)
            .open(dir);
        match unnamed {
            Ok(file) => {
                return Ok(Temporary::Unnamed {
                    file,
                    dir: dir.to_owned(),
                });
            }
            // No unnamed files on this file system (or kernel): named ones.
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) => {}
            Err(err) => return Err(cannot(err)),
        }
    }
    // Proves the directory writable now, and leaves nothing until the run
    // is done.
    let (probe, guard) = named_temporary(dir, path).map_err(cannot)?;
    drop((probe, guard));
    Ok(Temporary::Later {
        dir: dir.to_owned(),
    })
}

/// A new named temporary file in `dir` for replacing `target`, registered
/// for removal, with the permissions a new file would get (0666 less the
/// umask): `tempfile` makes it, hidden beside the target
/// (`.NAME.RANDOM.gilfree-tmp`), and gilfree keeps it — the commit renames
/// it, and `os::cleanup` removes it on a signal.
fn named_temporary(dir: &Path, target: &Path) -> io::Result<(File, Registered)> {
    // Registered under the cleanup lock: a signal exit waits for the lock,
    // so it sees the file either not yet made or registered.
    let mut lock = cleanup::lock();
    let mut prefix = String::new();
    let (file, path) = temporary(target, &mut prefix)
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)?
        .keep()
        .map_err(|err| err.error)?;
    Ok((file, lock.register(path)))
}

/// How a temporary beside `target` is named: hidden, `.NAME.RANDOM.gilfree-tmp`
/// (the prefix, which `prefix` holds, and the suffix).
fn temporary<'a>(target: &Path, prefix: &'a mut String) -> tempfile::Builder<'a, 'static> {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    *prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix.as_str()).suffix(".gilfree-tmp");
    builder
}

/// Opens an existing non-regular file for writing, without truncating it
/// and without blocking on a FIFO that has no reader.
fn open_stream(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    // Blocking writes from here on: the reader sets the pace.
    let fd = std::os::fd::AsFd::as_fd(&file);
    let flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL)?;
    let flags = nix::fcntl::OFlag::from_bits_truncate(flags) - nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(flags))?;
    Ok(file)
}

fn stream_problem(err: &io::Error) -> String {
    if err.raw_os_error() == Some(libc::ENXIO) {
        "nothing is reading it (a FIFO with no reader, or a socket); start the reader first"
            .to_owned()
    } else {
        err.to_string()
    }
}

fn identity_of(meta: &std::fs::Metadata) -> Option<Identity> {
    Some(Identity::Inode {
        device: meta.dev(),
        inode: meta.ino(),
    })
}

/// A path that does not exist yet, with its directory made canonical.
fn canonical_of_new(path: &Path) -> Option<PathBuf> {
    let dir = directory_of(path)?.canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporaries(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".gilfree-tmp"))
            .collect()
    }

    #[test]
    fn a_file_is_replaced_whole_and_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        let output = Output::check("--export-json", &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        // Unnamed (O_TMPFILE) where the file system has them, else named.
        assert!(temporaries(dir.path()).len() <= 1);
        output.commit(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert!(temporaries(dir.path()).is_empty());
    }

    #[test]
    fn an_output_dropped_uncommitted_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        drop(Output::check("--export-csv", &path).unwrap());
        assert!(!path.exists());
        assert!(temporaries(dir.path()).is_empty());
    }

    #[test]
    fn bad_destinations_are_refused_with_the_flag_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let err = Output::check("--export-json", dir.path()).unwrap_err();
        assert!(err.to_string().ends_with("is a directory"), "{err}");
        let missing = dir.path().join("no/such/dir/x.json");
        let err = Output::check("--export-json", &missing).unwrap_err();
        assert!(err.is_usage());
        assert!(err.to_string().starts_with("--export-json "), "{err}");
        assert!(!dir.path().join("no").exists());
    }

    #[test]
    fn devices_are_written_as_streams() {
        Output::check("--export-json", Path::new("/dev/null"))
            .unwrap()
            .commit(b"x")
            .unwrap();
        assert!(Path::new("/dev/null").exists());
        let full = Output::check("--export-json", Path::new("/dev/full")).unwrap();
        let err = full.commit(b"x").unwrap_err();
        assert_eq!(err.to_string(), "could not write /dev/full");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("No space left on device (os error 28)")
        );
    }

    #[test]
    fn a_fifo_without_a_reader_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = Output::check("--export-csv", &fifo).unwrap_err();
        assert!(err.to_string().contains("nothing is reading it"), "{err}");
    }

    #[test]
    fn a_symbolic_link_is_followed_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&data, "old").unwrap();
        std::os::unix::fs::symlink("data.csv", &link).unwrap();
        Output::check("--export-csv", &link)
            .unwrap()
            .commit(b"new")
            .unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&data).unwrap(), "new");

        // A link to a file not there yet creates that file.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("made.json", &dangling).unwrap();
        let made = Output::check("--export-json", &dangling).unwrap();
        let same = Output::check("--export-csv", &dir.path().join("made.json")).unwrap();
        assert!(
            check_distinct(&[&made, &same]).is_err(),
            "the same file, by its link"
        );
        drop(same);
        made.commit(b"{}").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.json")).unwrap(),
            "{}"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn two_outputs_naming_one_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("same");
        let dotted = dir.path().join(".").join("same");
        let a = Output::check("--export-json", &path).unwrap();
        let b = Output::check("--export-csv", &dotted).unwrap();
        let err = check_distinct(&[&a, &b]).unwrap_err();
        assert!(
            err.to_string().contains("already written by --export-json"),
            "{err}"
        );

        std::fs::write(&path, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let a = Output::check("--export-json", &path).unwrap();
        let b = Output::check("--timeline-svg", &link).unwrap();
        assert!(check_distinct(&[&a, &b]).is_err());

        let other = Output::check("--export-markdown", &dir.path().join("other")).unwrap();
        assert!(check_distinct(&[&a, &other]).is_ok());
        let out1 = Output::check("--export-json", Path::new("-")).unwrap();
        let out2 = Output::check("--export-csv", Path::new("-")).unwrap();
        assert!(check_distinct(&[&out1, &a, &out2]).is_err());
    }
}
