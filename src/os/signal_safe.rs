//! What a forked worker process may call: async-signal-safe system calls,
//! without allocation, lock or panic.
//!
//! The parent may be multi-threaded (rayon's pool may exist), and `fork`
//! copies only the calling thread: any lock another thread held — the
//! allocator's, stdout's — stays locked forever in the child. So a child
//! calls nothing but what is here, the allocation-free kernel and the clock
//! readings of `worker::measure`. Every function in this module is a thin
//! wrapper over one or two system calls: `clock_gettime`, `getpid`, `write`
//! and `_exit` are async-signal-safe by POSIX; `getrusage`, `mmap`, `munmap`,
//! `nanosleep`, `prctl`, `getppid`, `gettid` and `sched_getcpu` are not on
//! POSIX's list but are plain system calls (or vDSO reads) on Linux, whose
//! libc wrappers take no lock and allocate nothing. The one file read here,
//! the calling thread's `/proc/thread-self/schedstat`, is `open`, `read` and
//! `close` (all three on POSIX's list) into a buffer on the stack, parsed
//! without allocating ([`crate::os::schedstat::parse`]).
//! Linux-only facilities have a fallback on other Unix systems.
//!
//! Keep it so: code that formats, allocates or reads any other file belongs
//! in a sibling module.

use std::os::fd::RawFd;
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::time::{ClockId, clock_gettime};

/// Reads a clock, in nanoseconds (0 if the clock cannot be read, which
/// cannot happen for the clocks used here).
fn clock_ns(clock: ClockId) -> u64 {
    clock_gettime(clock).map_or(0, |ts| {
        (ts.tv_sec() as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec() as u64)
    })
}

/// Now on `CLOCK_MONOTONIC`, in nanoseconds since an arbitrary (boot-time) epoch.
///
/// The clock is system-wide: a forked child's readings line up with its parent's.
pub(crate) fn monotonic_ns() -> u64 {
    clock_ns(ClockId::CLOCK_MONOTONIC)
}

/// The CPU time consumed so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`),
/// in nanoseconds. Unlike `RUSAGE_THREAD`, which moves in scheduler ticks, this
/// has nanosecond resolution.
pub(crate) fn thread_cpu_ns() -> u64 {
    clock_ns(ClockId::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU the calling thread is running on, when the platform says.
pub(crate) fn current_cpu() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        nix::sched::sched_getcpu()
            .ok()
            .and_then(|cpu| u32::try_from(cpu).ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The calling process's id.
pub(crate) fn process_id() -> u32 {
    std::process::id()
}

/// The calling thread's kernel id (Linux), or 0 where there is no such id.
pub(crate) fn thread_id() -> u32 {
    #[cfg(target_os = "linux")]
    {
        nix::unistd::gettid().as_raw() as u32
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// How long the calling thread has waited on a run queue for a CPU since it
/// was created, in nanoseconds (the second field of its `schedstat`), or
/// `None` where the kernel keeps no such statistics (or they are hidden for
/// a test: [`crate::os::schedstat`]). Async-signal-safe: `open`, `read` and
/// `close` into a stack buffer, parsed without allocating. Reading it while
/// running, the thread reads every wait up to now: the kernel adds a wait
/// when the waiting thread gets its CPU.
pub(crate) fn thread_waiting_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        if crate::os::schedstat::hidden() {
            return None;
        }
        let mut buffer = [0u8; 96];
        // SAFETY: a NUL-terminated path; the descriptor is closed below on
        // every path; `read` writes at most `buffer.len()` bytes into it.
        let len = unsafe {
            let fd = libc::open(
                c"/proc/thread-self/schedstat".as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            );
            if fd < 0 {
                return None;
            }
            let len = libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len());
            libc::close(fd);
            len
        };
        let len = usize::try_from(len).ok()?;
        crate::os::schedstat::parse(&buffer[..len]).map(|times| times.waiting_ns)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// One reading of `getrusage(2)`: CPU time and peak resident memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResourceUsage {
    /// Time spent in user mode.
    pub(crate) user: Duration,
    /// Time spent in the kernel on the process's behalf.
    pub(crate) system: Duration,
    /// Peak resident set size (`ru_maxrss`), in bytes.
    pub(crate) max_rss_bytes: u64,
}

/// Whose resources to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// The calling process, all threads.
    SelfProcess,
    /// All children that have terminated and been waited for.
    Children,
}

/// Reads `getrusage(2)` for `who` (all zero in the impossible case that it
/// fails).
pub(crate) fn resource_usage(who: Who) -> ResourceUsage {
    let who = match who {
        Who::SelfProcess => UsageWho::RUSAGE_SELF,
        Who::Children => UsageWho::RUSAGE_CHILDREN,
    };
    let Ok(usage) = getrusage(who) else {
        return ResourceUsage::default();
    };
    let time = |tv: nix::sys::time::TimeVal| {
        Duration::from_secs(tv.tv_sec() as u64) + Duration::from_micros(tv.tv_usec() as u64)
    };
    ResourceUsage {
        user: time(usage.user_time()),
        system: time(usage.system_time()),
        max_rss_bytes: max_rss_bytes(usage.max_rss() as u64),
    }
}

/// `ru_maxrss` is in kilobytes on Linux and the BSDs, in bytes on macOS.
pub(crate) fn max_rss_bytes(raw: u64) -> u64 {
    if cfg!(target_os = "macos") {
        raw
    } else {
        raw.saturating_mul(1024)
    }
}

/// A zero-filled buffer of `i64`s in an anonymous private memory mapping,
/// unmapped when dropped.
///
/// Materialized numbers live here rather than in a `Vec` for two reasons:
/// the pages go back to the kernel on drop (malloc keeps large freed blocks
/// resident and reuses them, which would make every later run's peak memory
/// look as large as the largest earlier one), and `mmap`/`munmap` are plain
/// system calls, safe to use in a forked child of a multi-threaded parent.
pub(crate) struct NumberBuffer {
    ptr: std::ptr::NonNull<i64>,
    count: usize,
}

impl NumberBuffer {
    /// Maps room for `count` numbers; `None` when the kernel refuses (not
    /// enough memory or address space).
    pub(crate) fn new(count: usize) -> Option<NumberBuffer> {
        if count == 0 {
            return Some(NumberBuffer {
                ptr: std::ptr::NonNull::dangling(),
                count: 0,
            });
        }
        let len = count.checked_mul(std::mem::size_of::<i64>())?;
        // SAFETY: an anonymous private mapping with no address hint touches
        // no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(NumberBuffer {
            ptr: std::ptr::NonNull::new(ptr.cast::<i64>())?,
            count,
        })
    }

    /// The numbers, all zero at first.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [i64] {
        // SAFETY: the mapping holds `count` i64s, is page-aligned (so aligned
        // for i64), zero-filled (valid i64s) and owned by `self` alone; for
        // count 0 a dangling, aligned pointer is valid for an empty slice.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.count) }
    }
}

impl Drop for NumberBuffer {
    fn drop(&mut self) {
        if self.count > 0 {
            // SAFETY: unmapping exactly the mapping `new` made, which nothing
            // refers to any more (slices borrowed from `self` have ended).
            unsafe {
                libc::munmap(
                    self.ptr.as_ptr().cast(),
                    self.count * std::mem::size_of::<i64>(),
                )
            };
        }
    }
}

/// A zero-filled run of bytes in an anonymous memory mapping, unmapped when
/// dropped: private to this process ([`MappedBytes::private`]) or shared
/// with the children it forks afterwards ([`MappedBytes::shared`]).
///
/// The numbers workers hand back live here: the pages go back to the
/// kernel on drop (malloc would keep them resident), `mmap` is a plain
/// system call a forked child may make, and a `MAP_SHARED` anonymous
/// mapping made before `fork` is memory the parent and its children see
/// alike — no file, no segment name, nothing to remove: the kernel frees it
/// when the last process that maps it unmaps it or ends, however it ends.
pub(crate) struct MappedBytes {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is owned memory like a Vec<u8>'s; `&MappedBytes` only
// reads it (`as_slice`), and writing needs `&mut` or the raw pointer, whose
// users state why no one else touches those bytes meanwhile.
unsafe impl Send for MappedBytes {}
// SAFETY: as above.
unsafe impl Sync for MappedBytes {}

impl MappedBytes {
    /// `len` bytes only this process sees; `None` when the kernel refuses.
    pub(crate) fn private(len: usize) -> Option<MappedBytes> {
        Self::map(len, libc::MAP_PRIVATE)
    }

    /// `len` bytes that every child forked after this call shares with this
    /// process: what one writes, the others read. Its pages are put in
    /// place at once (`MAP_POPULATE`), so that neither the children writing
    /// nor the parent reading stop for a page fault. `None` when the kernel
    /// refuses.
    pub(crate) fn shared(len: usize) -> Option<MappedBytes> {
        Self::map(len, libc::MAP_SHARED | POPULATE)
    }

    /// [`private`](Self::private), its pages put in place at once, and
    /// left out of the children this process forks (`MADV_DONTFORK`): a
    /// buffer the parent alone fills, whose page faults are then no part of
    /// what fills it, and whose page tables `fork` need not copy.
    pub(crate) fn private_populated(len: usize) -> Option<MappedBytes> {
        let mapping = Self::map(len, libc::MAP_PRIVATE | POPULATE)?;
        #[cfg(target_os = "linux")]
        if len > 0 {
            // SAFETY: advice on exactly the mapping just made; a failure
            // only leaves the mapping inherited, which is harmless.
            unsafe { libc::madvise(mapping.ptr.as_ptr().cast(), len, libc::MADV_DONTFORK) };
        }
        Some(mapping)
    }

    fn map(len: usize, kind: libc::c_int) -> Option<MappedBytes> {
        if len == 0 {
            return Some(MappedBytes {
                ptr: std::ptr::NonNull::dangling(),
                len: 0,
            });
        }
        // SAFETY: an anonymous mapping with no address hint touches no
        // existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                kind | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(MappedBytes {
            ptr: std::ptr::NonNull::new(ptr.cast::<u8>())?,
            len,
        })
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes, to read.
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: the mapping holds `len` initialized (zero-filled) bytes
        // for as long as `self` lives; writers to it through `as_mut_ptr`
        // (a forked child) have ended before the parent reads, as their
        // callers arrange.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, to write.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as `as_slice`, and `&mut self` excludes every other
        // reference in this process.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// The start of the bytes, for a forked child that writes its part of a
    /// shared mapping (the parent's copy of `self` is not the child's to
    /// borrow mutably).
    pub(crate) fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for MappedBytes {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmapping exactly the mapping `map` made, which
            // nothing refers to any more (slices borrowed from `self` have
            // ended).
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
        }
    }
}

/// `MAP_POPULATE` where there is one (Linux): the pages in place at `mmap`.
#[cfg(target_os = "linux")]
const POPULATE: libc::c_int = libc::MAP_POPULATE;
#[cfg(not(target_os = "linux"))]
const POPULATE: libc::c_int = 0;

/// `write(2)` all of `bytes` to `fd`, retrying on `EINTR` and short writes;
/// false on any other error.
pub(crate) fn write_all(fd: RawFd, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid buffer of the given length; `fd` is a
        // descriptor the caller owns (a bad one only makes write fail).
        let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if written < 0 {
            // Reading errno allocates nothing.
            if nix::errno::Errno::last() == nix::errno::Errno::EINTR {
                continue;
            }
            return false;
        }
        bytes = &bytes[written as usize..];
    }
    true
}

/// Arranges for the calling process — a child just forked or about to
/// `exec` — to be killed with SIGKILL when `parent` dies, whatever kills it
/// (`PR_SET_PDEATHSIG`, Linux). Returns false when `parent` is already gone
/// (the child was reparented before the call took effect): the caller must
/// then exit at once. Elsewhere there is no such call, and it returns true.
///
/// The signal follows the death of the parent *thread* that forked: fork
/// from a thread that outlives the children (gilfree forks from the thread
/// that runs the backend, which waits for them).
pub(crate) fn die_with_parent(parent: libc::pid_t) -> bool {
    on_parent_death(parent, libc::SIGKILL)
}

/// [`die_with_parent`], with `signal` sent at the parent's death instead of
/// SIGKILL: a child that must clean up (an MPI launcher's supervisor) asks
/// for SIGTERM and handles it.
pub(crate) fn on_parent_death(parent: libc::pid_t, signal: libc::c_int) -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and
        // touches nothing but this process's attributes; async-signal-safe.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0) } != 0 {
            return false;
        }
        // SAFETY: getppid cannot fail.
        unsafe { libc::getppid() == parent }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (parent, signal);
        true
    }
}

/// Ends the calling process at once with `code`, skipping atexit handlers,
/// destructors and stdio flushing (which belong to the parent of a forked
/// child).
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and cannot fail.
    unsafe { libc::_exit(code) }
}

/// Sleeps for `pause` with `nanosleep`, resuming after a signal.
pub(crate) fn sleep(pause: Duration) {
    let mut request = libc::timespec {
        tv_sec: pause.as_secs() as libc::time_t,
        tv_nsec: pause.subsec_nanos() as libc::c_long,
    };
    let mut remaining = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: both timespecs are valid; on EINTR the rest is slept again.
    while unsafe { libc::nanosleep(&request, &mut remaining) } != 0 {
        request = remaining;
    }
}

/// The thread name a worker takes while an injected `sleep` fault holds it
/// ([`crate::fault::SLEEPING_THREAD_NAME`], NUL-terminated), so that a test
/// can see from `/proc` that the worker has got there before it sends a
/// signal, instead of guessing how long that takes.
const SLEEPING_THREAD_NAME: &[u8; 12] = b"fault-sleep\0";

/// [`sleep`], with the calling thread named [`SLEEPING_THREAD_NAME`] for the
/// time (its name restored afterwards). Async-signal-safe: `prctl` and
/// `nanosleep` only.
pub(crate) fn sleep_visibly(pause: Duration) {
    let mut name = [0u8; 16];
    // SAFETY: PR_GET_NAME writes at most 16 bytes into `name`, which has 16;
    // PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe {
        libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr());
        libc::prctl(libc::PR_SET_NAME, SLEEPING_THREAD_NAME.as_ptr());
    }
    sleep(pause);
    // SAFETY: `name` is NUL-terminated: the kernel wrote at most 15 bytes
    // and a NUL.
    unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visible_sleep_names_the_thread_for_its_time() {
        assert_eq!(
            &SLEEPING_THREAD_NAME[..SLEEPING_THREAD_NAME.len() - 1],
            crate::fault::SLEEPING_THREAD_NAME.as_bytes()
        );
        let comm = |tid: libc::pid_t| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).unwrap()
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        let sleeper = std::thread::Builder::new()
            .name("sleeper".to_owned())
            .spawn(move || {
                // SAFETY: gettid has no preconditions.
                sender.send(unsafe { libc::gettid() }).unwrap();
                sleep_visibly(Duration::from_secs(2));
                // Its own name again afterwards.
                std::fs::read_to_string("/proc/thread-self/comm").unwrap()
            })
            .unwrap();
        let tid = receiver.recv().unwrap();
        while comm(tid) != "fault-sleep\n" {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(sleeper.join().unwrap(), "sleeper\n");
    }

    #[test]
    fn monotonic_clock_never_goes_back() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(a > 0 && b >= a);
    }

    #[test]
    fn thread_cpu_time_grows_with_work() {
        let before = thread_cpu_ns();
        let mut x = 0u64;
        while thread_cpu_ns() - before < 2_000_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(thread_cpu_ns() - before >= 2_000_000);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn current_cpu_is_one_of_the_machines_cpus() {
        let cpu = current_cpu().expect("Linux reports the current CPU");
        // Allowed CPUs may be sparse; the id is below the configured count.
        // SAFETY: sysconf is always safe to call.
        let configured = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) };
        assert!(i64::from(cpu) < configured as i64);
    }

    #[test]
    fn self_usage_counts_this_processs_cpu() {
        let before = resource_usage(Who::SelfProcess);
        let start = thread_cpu_ns();
        let mut x = 0u64;
        while thread_cpu_ns() - start < 20_000_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = resource_usage(Who::SelfProcess);
        let cpu = (after.user + after.system) - (before.user + before.system);
        assert!(cpu >= Duration::from_millis(15), "{cpu:?}");
        assert!(after.max_rss_bytes > 0);
    }

    #[test]
    fn number_buffers_are_zeroed_writable_and_may_be_empty() {
        let mut buffer = NumberBuffer::new(1000).unwrap();
        assert!(buffer.as_mut_slice().iter().all(|&n| n == 0));
        buffer.as_mut_slice()[999] = -7;
        assert_eq!(buffer.as_mut_slice()[999], -7);
        assert!(NumberBuffer::new(0).unwrap().as_mut_slice().is_empty());
        assert!(NumberBuffer::new(usize::MAX / 4).is_none());
    }

    #[test]
    fn a_shared_mapping_carries_a_forked_childs_writes_to_its_parent() {
        let shared = MappedBytes::shared(4096).unwrap();
        let mut private = MappedBytes::private(4096).unwrap();
        private.as_mut_slice()[7] = 1;
        // SAFETY: the child writes into both mappings with plain stores and
        // leaves through _exit, touching nothing else of the parent's.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: both mappings are 4096 bytes long.
            unsafe {
                *shared.as_mut_ptr().add(4095) = 42;
                *private.as_mut_ptr().add(7) = 9;
            }
            exit_now(0);
        }
        assert!(pid > 0);
        let mut status = 0;
        // SAFETY: waiting for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(shared.as_slice()[4095], 42);
        assert_eq!(private.as_slice()[7], 1, "a private mapping stays private");
        assert_eq!(MappedBytes::shared(0).unwrap().as_slice(), &[] as &[u8]);
        assert!(MappedBytes::private(usize::MAX / 2).is_none());
    }

    #[test]
    fn write_all_writes_everything_or_says_it_failed() {
        let (read_end, write_end) = nix::unistd::pipe().unwrap();
        use std::os::fd::AsRawFd;
        assert!(write_all(write_end.as_raw_fd(), b"gilfree"));
        drop(write_end);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(read_end), &mut text).unwrap();
        assert_eq!(text, "gilfree");
        assert!(!write_all(-1, b"x"));
    }
}
