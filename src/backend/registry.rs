//! The registry of the built-in backends: one row per backend, from which
//! parsing `--backend`, its help, `--list-backends` and the tests that mean
//! every backend all derive.

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "mpi")]
use super::mpi;
use super::{Backend, BackendOptions, Profile, channels, gil, process, rayon, sequential, threads};
use crate::error::Error;

/// Makes a backend from the options.
type Constructor = fn(&BackendOptions) -> Result<Box<dyn Backend>, Error>;

/// A built-in backend: one row of the registry, [`BackendKind::ALL`].
///
/// Two kinds are equal when they have the same name, and they order as the
/// registry lists them (the order of the report's rows).
///
/// A row is *launched* when its workers run in another program that it
/// launches (`mpi`: `mpirun` and its ranks): such a row needs a system
/// package, costs a launch per run, and runs only when named — `all`
/// means the [`in_process`](BackendKind::in_process) rows.
#[derive(Clone, Copy)]
pub struct BackendKind {
    profile: Profile,
    build: Constructor,
    launched: bool,
}

impl BackendKind {
    /// The registry: every built-in backend, in the order reports list them.
    /// The sequential baseline comes first.
    pub const ALL: &'static [BackendKind] = &[
        sequential::KIND,
        gil::KIND,
        threads::KIND,
        channels::KIND,
        rayon::KIND,
        process::KIND,
        process::SHARED_KIND,
        #[cfg(feature = "mpi")]
        mpi::KIND,
    ];

    /// A registry row: what a backend's file declares as its `KIND`.
    pub const fn new(profile: Profile, build: Constructor) -> BackendKind {
        BackendKind {
            profile,
            build,
            launched: false,
        }
    }

    /// A registry row whose workers run in a program it launches (see the
    /// type's documentation).
    pub const fn launched(profile: Profile, build: Constructor) -> BackendKind {
        BackendKind {
            profile,
            build,
            launched: true,
        }
    }

    /// Whether the row's workers run in a program it launches.
    pub fn is_launched(self) -> bool {
        self.launched
    }

    /// The rows whose workers run inside gilfree's process or its forks:
    /// what `--backend all` selects, and what the tests that run every
    /// backend in the test process use.
    pub fn in_process() -> impl Iterator<Item = BackendKind> {
        BackendKind::ALL
            .iter()
            .copied()
            .filter(|kind| !kind.launched)
    }

    /// The built-in backend called `name` (case-insensitive), if any.
    pub fn named(name: &str) -> Option<BackendKind> {
        BackendKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
    }

    /// What the backend is.
    pub fn profile(self) -> Profile {
        self.profile
    }

    /// The name `--backend` accepts.
    pub fn name(self) -> &'static str {
        self.profile.name
    }

    /// One line saying how the backend runs its workers.
    pub fn description(self) -> &'static str {
        self.profile.description
    }

    /// Makes the backend.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an option the backend cannot take (a
    /// rayon pool of zero threads, a zero switch interval), and
    /// [`Error::Setup`] when it cannot be made (the pool's threads).
    pub fn build(self, options: &BackendOptions) -> Result<Box<dyn Backend>, Error> {
        (self.build)(options)
    }

    /// Comma-separated names of every backend, for messages and help.
    pub fn names() -> String {
        let names: Vec<&str> = BackendKind::ALL.iter().map(|kind| kind.name()).collect();
        names.join(", ")
    }

    /// The position in the registry.
    fn position(self) -> usize {
        BackendKind::ALL
            .iter()
            .position(|kind| kind.name() == self.name())
            .unwrap_or(usize::MAX)
    }
}

impl PartialEq for BackendKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for BackendKind {}

impl PartialOrd for BackendKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BackendKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.position()
            .cmp(&other.position())
            .then_with(|| self.name().cmp(other.name()))
    }
}

impl fmt::Debug for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendKind({})", self.name())
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to [`BackendKind::from_str`] is not a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend '{0}' (valid: all, {names})", names = BackendKind::names())]
pub struct UnknownBackend(pub String);

impl FromStr for BackendKind {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        BackendKind::named(name).ok_or_else(|| UnknownBackend(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::SequentialBackend;

    #[test]
    fn every_kind_parses_from_its_name_and_builds_a_backend_of_that_name() {
        for &kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<BackendKind>(), Ok(kind));
            let backend = kind.build(&BackendOptions::default()).unwrap();
            assert_eq!(backend.name(), kind.name());
            assert_eq!(backend.profile(), kind.profile());
            assert!(!backend.description().is_empty());
        }
    }

    #[test]
    fn the_registry_has_unique_names_and_the_baseline_first() {
        let mut names: Vec<&str> = BackendKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names[0], SequentialBackend.name());
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BackendKind::ALL.len());
        let mut sorted = BackendKind::ALL.to_vec();
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, BackendKind::ALL);
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let err = "fibers".parse::<BackendKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "unknown backend 'fibers' (valid: all, {})",
                BackendKind::names()
            )
        );
        assert!(BackendKind::names().starts_with("sequential, gil, threads"));
    }
}
