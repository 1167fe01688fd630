//! The files gilfree writes — exports and pictures — checked before the run
//! and written whole or not at all.
//!
//! [`Output::check`] runs before anything is measured, so that a mistyped
//! directory fails in a moment instead of after a long run. What it prepares
//! depends on what the path names:
//!
//! - `-`: standard output.
//! - A regular file, or nothing yet: a temporary file in the same directory
//!   (created now, which proves the directory writable). [`Output::commit`]
//!   writes it, `fsync`s it and renames it over the target, as rsync and
//!   cargo do: a reader sees the previous file or the new one, never a part;
//!   the last of several concurrent writers wins; and a run that fails, or
//!   is interrupted by a signal, leaves the previous file untouched and no
//!   temporary behind ([`crate::os::cleanup`]).
//! - Anything else that exists — `/dev/null`, `/dev/stdout`, a FIFO, a
//!   process substitution's pipe — is opened now and written as a stream at
//!   commit, never truncated. A FIFO with no reader is refused at once rather
//!   than waited for.
//!
//! [`check_distinct`] refuses two outputs that name the same file (the same
//! device and inode, or the same canonical path for files not yet there).

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
    /// The file written: `path` with symbolic links followed.
    file: PathBuf,
    target: Target,
    identity: Option<Identity>,
}

#[derive(Debug)]
enum Target {
    Stdout,
    Replace(Temporary),
    Stream(File),
}

/// The file an output is written to before it replaces the target.
#[derive(Debug)]
enum Temporary {
    /// A file with no name yet (Linux's `O_TMPFILE`): however gilfree ends
    /// before the commit, even by SIGKILL, it leaves nothing behind. The
    /// commit links it under a temporary name and renames that over the
    /// target at once.
    Unnamed { file: File, dir: PathBuf },
    /// A named temporary file, registered for removal, where the system or
    /// the file system has no unnamed ones.
    Named { file: File, guard: Registered },
}

impl Temporary {
    fn file(&mut self) -> &mut File {
        match self {
            Temporary::Unnamed { file, .. } | Temporary::Named { file, .. } => file,
        }
    }
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
        if path == Path::new("-") {
            return Ok(Output {
                flag,
                path: path.to_owned(),
                file: path.to_owned(),
                target: Target::Stdout,
                identity: None,
            });
        }
        // A symbolic link is followed, as `>` follows it: the file it names
        // is the one replaced, the link stays.
        let (file, target, identity) = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => return Err(fail("is a directory".to_owned())),
            Ok(meta) if !meta.is_file() => {
                let stream = open_stream(path).map_err(|err| fail(stream_problem(&err)))?;
                (path.to_owned(), Target::Stream(stream), identity_of(&meta))
            }
            Ok(meta) => {
                let file = std::fs::canonicalize(path).map_err(|err| fail(err.to_string()))?;
                let temp = temporary_beside(&file).map_err(fail)?;
                (file, Target::Replace(temp), identity_of(&meta))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let file = dangling_link_target(path);
                let temp = temporary_beside(&file).map_err(fail)?;
                let identity = canonical_of_new(&file).map(Identity::Path);
                (file, Target::Replace(temp), identity)
            }
            Err(err) => return Err(fail(err.to_string())),
        };
        Ok(Output {
            flag,
            path: path.to_owned(),
            file,
            target,
            identity,
        })
    }

    /// The flag that named this output.
    pub fn flag(&self) -> &'static str {
        self.flag
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this output is standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Writes `bytes` as the whole content of the output: the commit.
    ///
    /// # Errors
    /// The write, `fsync` or rename failed (the previous file, if any, is
    /// then untouched and the temporary removed).
    pub fn commit(self, bytes: &[u8]) -> io::Result<()> {
        self.stage(bytes)?.commit()
    }

    /// The first half of [`commit`](Self::commit): a file's bytes are
    /// written to its temporary and made durable, but the target is not yet
    /// replaced; a stream is written. Staging every output before
    /// committing any keeps a failed write from leaving some files new and
    /// others old.
    ///
    /// # Errors
    /// The write or `fsync` failed.
    pub fn stage(self, bytes: &[u8]) -> io::Result<Staged> {
        match self.target {
            Target::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()?;
                Ok(Staged(None))
            }
            Target::Stream(mut file) => {
                file.write_all(bytes)?;
                file.flush()?;
                Ok(Staged(None))
            }
            Target::Replace(mut temp) => {
                let file = temp.file();
                file.write_all(bytes)?;
                // An existing file keeps its permissions.
                if let Ok(meta) = std::fs::metadata(&self.file) {
                    file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))?;
                }
                file.sync_all()?;
                Ok(Staged(Some((temp, self.file))))
            }
        }
    }

    /// Whether this output is a file replaced on commit (rather than a
    /// stream written at once).
    pub fn is_file(&self) -> bool {
        matches!(self.target, Target::Replace { .. })
    }
}

/// An output whose bytes are written but, for a file, not yet in place.
/// Dropped without [`commit`](Staged::commit), the target stays as it was.
#[derive(Debug)]
pub struct Staged(Option<(Temporary, PathBuf)>);

impl Staged {
    /// Renames the staged file over its target.
    ///
    /// # Errors
    /// The rename failed (the target is then untouched).
    pub fn commit(self) -> io::Result<()> {
        let Some((temp, path)) = self.0 else {
            return Ok(());
        };
        let mut guard = match temp {
            Temporary::Named { guard, .. } => guard,
            Temporary::Unnamed { file, dir } => {
                // Named only for the moment between this link and the
                // rename below (microseconds).
                let name = dir.join(temporary_name(&path));
                let guard = cleanup::register(name.clone());
                let fd_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
                nix::unistd::linkat(
                    nix::fcntl::AT_FDCWD,
                    fd_path.as_str(),
                    nix::fcntl::AT_FDCWD,
                    &name,
                    nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW,
                )?;
                guard
            }
        };
        guard.commit(|temp_path| std::fs::rename(temp_path, &path))?;
        // The rename is durable once the directory is.
        if let Some(dir) = directory_of(&path).and_then(|dir| File::open(dir).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
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

/// A new temporary file in `path`'s directory, with the permissions a new
/// file would get (0666 less the umask): an unnamed one where the system
/// has them, else a named one registered for removal; or why there can be
/// none.
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
        use std::os::unix::fs::OpenOptionsExt;
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
            // No unnamed files on this file system (or kernel): name one.
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) => {}
            Err(err) => return Err(cannot(err)),
        }
    }
    let temp = tempfile::Builder::new()
        .prefix(&temporary_name(path))
        .suffix("")
        .rand_bytes(0)
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        // tempfile's message names its random file; name the directory.
        .map_err(|err| cannot(io::Error::from(err.kind())))?;
    let (file, temp_path) = temp.keep().map_err(|err| cannot(err.error))?;
    Ok(Temporary::Named {
        file,
        guard: cleanup::register(temp_path),
    })
}

/// A fresh hidden name beside `path`'s file: `.NAME.PID.RANDOM.gilfree-tmp`.
fn temporary_name(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let random = getrandom::u64().unwrap_or_else(|_| crate::os::signal_safe::monotonic_ns());
    format!(".{name}.{}.{random:016x}.gilfree-tmp", std::process::id())
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
        "a FIFO that no program is reading; start the reader first".to_owned()
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
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
    }

    #[test]
    fn a_fifo_without_a_reader_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = Output::check("--export-csv", &fifo).unwrap_err();
        assert!(err.to_string().contains("no program is reading"), "{err}");
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
