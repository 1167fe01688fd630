//! Temporary files that must not outlive the process, even when a signal
//! ends it (and with it every destructor that would have removed them).
//!
//! Whoever makes one registers it and removes it by dropping the guard; the
//! signal handler calls [`remove_all`] before it exits. Both work under the
//! registry's lock, and so does an owner that commits its file (renames it
//! into place, through a `Lock`): a signal arriving during a removal or a
//! commit waits for it to finish instead of exiting half-way, and once
//! [`remove_all`] has run, no commit starts.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
struct State {
    paths: Vec<PathBuf>,
    /// Set by [`remove_all`]: the process is exiting on a signal.
    exiting: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    paths: Vec::new(),
    exiting: false,
});

/// The registry, locked. Hold it across several commits to make them one
/// step for a signal; never drop a [`Registered`] while holding it (its drop
/// takes the lock).
pub(crate) struct Lock(MutexGuard<'static, State>);

/// Locks the registry.
pub(crate) fn lock() -> Lock {
    Lock(STATE.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A registered temporary path: removed (file or directory, recursively)
/// when dropped, unless committed.
#[derive(Debug)]
pub(crate) struct Registered {
    path: Option<PathBuf>,
}

impl Lock {
    /// Registers `path` for removal when the guard drops or the process ends
    /// on a signal.
    pub(crate) fn register(&mut self, path: PathBuf) -> Registered {
        self.0.paths.push(path.clone());
        Registered { path: Some(path) }
    }

    /// Runs `keep` (a rename into place, say) on `registered`'s path and, if
    /// it succeeds, forgets the path instead of removing it. Refuses, with
    /// `Interrupted`, once the process is exiting on a signal; on any
    /// failure the guard stays armed.
    pub(crate) fn commit<T>(
        &mut self,
        registered: &mut Registered,
        keep: impl FnOnce(&Path) -> io::Result<T>,
    ) -> io::Result<T> {
        if self.0.exiting {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let Some(path) = &registered.path else {
            return Err(io::Error::other("already committed"));
        };
        let kept = keep(path)?;
        self.0.paths.retain(|p| p != path);
        registered.path = None;
        Ok(kept)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let mut state = lock();
            remove(&path);
            state.0.paths.retain(|p| *p != path);
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

/// Removes every registered path, and refuses every commit from now on; for
/// a process about to exit without running destructors (the signal
/// handler).
pub fn remove_all() {
    let mut state = lock();
    state.0.exiting = true;
    for path in state.0.paths.drain(..) {
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
        // (The lock must be released before the guard drops: its drop takes it.)
        let guard = lock().register(gone.clone());
        drop(guard);
        assert!(!gone.exists());

        let kept = dir.path().join("kept.tmp");
        std::fs::write(&kept, "x").unwrap();
        let mut guard = lock().register(kept.clone());
        let target = dir.path().join("kept");
        let committed = lock().commit(&mut guard, |path| std::fs::rename(path, &target));
        committed.unwrap();
        drop(guard);
        assert!(target.exists());
        assert!(!lock().0.paths.contains(&kept));
    }
}
