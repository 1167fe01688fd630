//! Temporary files and directories that must not outlive the process, even
//! when a signal ends it (and with it every destructor that would have
//! removed them).
//!
//! Whoever makes one registers it (`register`) and removes it by dropping
//! the guard; the signal handler calls [`remove_all`] before it exits. Both
//! remove under the registry's lock, so a signal arriving during a removal
//! waits for it instead of exiting half-way, and an owner that commits its
//! file (renames it into place) does so under the lock too (`Registered::commit`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock() -> MutexGuard<'static, Vec<PathBuf>> {
    PATHS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered temporary path: removed (file or directory, recursively)
/// when dropped, unless committed.
#[derive(Debug)]
pub(crate) struct Registered {
    path: Option<PathBuf>,
}

/// Registers `path` for removal when the guard drops or the process ends on
/// a signal.
pub(crate) fn register(path: PathBuf) -> Registered {
    lock().push(path.clone());
    Registered { path: Some(path) }
}

impl Registered {
    /// Runs `keep` (a rename into place, say) under the registry's lock and,
    /// if it succeeds, forgets the path instead of removing it. On failure
    /// the guard stays armed.
    pub(crate) fn commit<T>(
        &mut self,
        keep: impl FnOnce(&Path) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let mut paths = lock();
        let Some(path) = &self.path else {
            return Err(std::io::Error::other("already committed"));
        };
        let kept = keep(path)?;
        paths.retain(|p| p != path);
        self.path = None;
        Ok(kept)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let mut paths = lock();
            remove(&path);
            paths.retain(|p| *p != path);
        }
    }
}

fn remove(path: &Path) {
    let _ = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// Removes every registered path; for a process about to exit without
/// running destructors (the signal handler).
pub fn remove_all() {
    for path in lock().drain(..) {
        remove(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_path_is_removed_when_dropped_and_kept_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        std::fs::create_dir(&gone).unwrap();
        std::fs::write(gone.join("inside"), "x").unwrap();
        drop(register(gone.clone()));
        assert!(!gone.exists());

        let kept = dir.path().join("kept.tmp");
        std::fs::write(&kept, "x").unwrap();
        let mut guard = register(kept.clone());
        let target = dir.path().join("kept");
        guard.commit(|path| std::fs::rename(path, &target)).unwrap();
        drop(guard);
        assert!(target.exists());
        assert!(!lock().contains(&kept));
    }
}
