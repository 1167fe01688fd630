//! The operating system underneath gilfree, in two kinds of module.
//!
//! - `signal_safe`: the only calls a forked worker process makes — clocks,
//!   `getrusage`, `mmap`, `write`, `_exit`. Every function there is
//!   async-signal-safe (or a lock-free system call) and allocates nothing:
//!   a module's promise, kept by construction, so that code running in a
//!   child of a multi-threaded parent can use all of it and nothing else.
//! - Everything else, for the parent only: resource limits (`limits`),
//!   facts about the machine (`machine`), peak memory (`memory`), CPU time
//!   as `/proc` reports it for the machine and for other processes
//!   (`procfs`), each thread's time on a CPU, waiting for one, and its
//!   state (`schedstat`, whose allocation-free parser the forked child uses
//!   too), and the
//!   registry of live child processes that a signal must stop ([`children`]),
//!   and of temporary files that must not outlive the process ([`cleanup`]).
//!   These read files, allocate and lock.
//!
//! Where the `nix` crate wraps a call safely it is used; raw `libc` stays
//! where async-signal-safety must be visible at the call (`fork`, `_exit`,
//! `write`, `close`, `prctl`, `nanosleep`, `mmap`) and where nix has no call
//! that does what is needed (`wait4`, which also returns the child's
//! resource usage).

pub mod children;
pub mod cleanup;
pub(crate) mod limits;
pub(crate) mod machine;
pub(crate) mod memory;
pub mod procfs;
pub mod schedstat;
pub(crate) mod signal_safe;
