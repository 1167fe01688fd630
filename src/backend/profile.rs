//! What a backend is, as data: the facts its figures are read by.

/// The language a backend's workers run in. Each row is read against the
/// sequential row of its own language: Python's threads against Python run
/// sequentially, not against Rust, which computes the same sums about a
/// hundred times faster and would make every Python row look like 0.01×.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Language {
    /// gilfree's own code.
    #[default]
    Rust,
    /// CPython running the book's programs.
    Python,
}

impl Language {
    /// `rust`, `python`: as in exports.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
        }
    }

    /// The backend whose median wall time this language's speedups divide:
    /// `sequential`, `python-sequential`.
    pub fn baseline(self) -> &'static str {
        match self {
            Language::Rust => "sequential",
            Language::Python => "python-sequential",
        }
    }

    /// The language called `name` ([`Language::name`]).
    pub fn named(name: &str) -> Option<Language> {
        [Language::Rust, Language::Python]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

/// What a backend is: the facts by which its figures are read. Each backend
/// states its profile once (a `PROFILE` constant in its file, or built from
/// the interpreter for CPython's rows); the registry row and the backend
/// both return it, and the report carries it with the row's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    /// A short, stable name, as accepted by `--backend`.
    pub name: &'static str,
    /// One line saying how the backend runs its workers.
    pub description: &'static str,
    /// The language the workers run in, whose sequential row the row's
    /// speedup and efficiency are read against ([`Language::baseline`]).
    pub language: Language,
    /// What one worker is.
    pub worker: WorkerKind,
    /// How the workers share the cores.
    pub schedule: Schedule,
    /// How the workers hand their numbers back (`--return numbers`).
    pub returns: ReturnPath,
}

impl Profile {
    /// A Rust backend's profile.
    pub const fn rust(
        name: &'static str,
        description: &'static str,
        worker: WorkerKind,
        schedule: Schedule,
    ) -> Profile {
        Profile {
            name,
            description,
            language: Language::Rust,
            worker,
            schedule,
            returns: ReturnPath::of(worker),
        }
    }

    /// This profile, its workers handing their numbers back by `path`
    /// instead of the way its kind of worker does by default
    /// ([`ReturnPath::of`]).
    pub const fn returning(mut self, path: ReturnPath) -> Profile {
        self.returns = path;
        self
    }

    /// Whether this is its language's sequential row, the baseline of the
    /// language's speedups.
    pub fn is_baseline(&self) -> bool {
        self.name == self.language.baseline()
    }
}

/// What one worker of a backend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkerKind {
    /// A thread of the process that runs the backend (or of the interpreter).
    Thread,
    /// A process of its own: a fork, or a pool's worker process.
    Process,
    /// A rank that a launcher started, on this host or another.
    Rank,
}

/// How a backend's workers share the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schedule {
    /// One worker after another, on one core: a sequential row.
    OneAfterAnother,
    /// All started at once, but computing only while holding a lock, so in
    /// turns.
    TakingTurns(Lock),
    /// All at once, as many at a time as there are cores.
    AtOnce,
}

/// A lock that makes workers take turns ([`Schedule::TakingTurns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lock {
    /// CPython's global interpreter lock, enabled in the interpreter.
    Gil,
    /// gilfree's emulation of it: the `gil` backend's one global lock.
    Emulated,
}

/// How a backend's workers hand their numbers back to the parent
/// (`--return numbers`), and so how many times each byte is copied on the
/// way ([`copies`](ReturnPath::copies)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReturnPath {
    /// Written where the parent reads them, nothing copied: one buffer the
    /// threads share (each its own slice), a `MAP_SHARED` mapping made
    /// before `fork`, or a Python list handed over by reference.
    Shared,
    /// Through a pipe: `write(2)` copies them into the kernel, `read(2)`
    /// out of it.
    Pipe,
    /// Pickled through `multiprocessing`'s pipe, as a `Pool` returns a
    /// result: pickled, written into the kernel, read out of it into a
    /// chunk, gathered into one buffer, unpickled (CPython 3.8–3.13's
    /// `multiprocessing.connection`).
    Pickle,
    /// `MPI_Gather` to rank 0: copied into the transport (a shared-memory
    /// segment on one host, a socket between hosts) and out of it.
    Gather,
}

impl ReturnPath {
    /// The way a kind of worker hands its numbers back unless its profile
    /// says otherwise: threads share the parent's buffer, processes use a
    /// pipe, ranks a gather.
    pub const fn of(worker: WorkerKind) -> ReturnPath {
        match worker {
            WorkerKind::Thread => ReturnPath::Shared,
            WorkerKind::Process => ReturnPath::Pipe,
            WorkerKind::Rank => ReturnPath::Gather,
        }
    }

    /// `shared`, `pipe`, `pickle`, `gather`: as in exports.
    pub fn name(self) -> &'static str {
        match self {
            ReturnPath::Shared => "shared",
            ReturnPath::Pipe => "pipe",
            ReturnPath::Pickle => "pickle",
            ReturnPath::Gather => "gather",
        }
    }

    /// The path called `name` ([`ReturnPath::name`]).
    pub fn named(name: &str) -> Option<ReturnPath> {
        [
            ReturnPath::Shared,
            ReturnPath::Pipe,
            ReturnPath::Pickle,
            ReturnPath::Gather,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }

    /// How many times each byte is copied between the worker that wrote
    /// it and the parent that reads it: 0 shared, 2 through a pipe (into
    /// the kernel and out), 5 pickled (see [`ReturnPath::Pickle`]), 2
    /// gathered.
    pub fn copies(self) -> u32 {
        match self {
            ReturnPath::Shared => 0,
            ReturnPath::Pipe | ReturnPath::Gather => 2,
            ReturnPath::Pickle => 5,
        }
    }
}
