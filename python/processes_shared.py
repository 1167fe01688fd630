"""Listing 11-2 handing its numbers back through shared memory: a
multiprocessing.Pool whose workers write their numbers straight into one
multiprocessing.shared_memory segment, through a memoryview, where the parent
reads them in place: nothing is pickled, nothing copied (Python's zero-copy
memoryview, chapter 10 of the book, across processes).

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED numbers NAME`
on standard input (`python3 processes_shared.py ...` runs it the same) and
reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`, and writes each as its offset
from LOW in the fewest bytes that hold HIGH - LOW (1, 2, 4 or 8), at
i × COUNT in the segment called NAME, which the program makes and removes
(gilfree removes it too, should the program be killed first).
"""
import ctypes
import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from multiprocessing import shared_memory

# The segment's numbers, as this process and the workers it forks see them.
view = None


def schedstat(tid):
    """(ns on a CPU, ns waiting for one) of thread `tid` of this process since
    it started, from the kernel's schedstat, or None where it cannot be read
    (gilfree then falls back to sampling the threads' states)."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat", "rb") as f:
            on_cpu, waiting = f.read().split()[:2]
        return int(on_cpu), int(waiting)
    except (OSError, ValueError):
        return None


def waited(before, after):
    """The time waited for a CPU between two schedstat readings, or None."""
    if before is None or after is None:
        return None
    return after[1] - before[1]


def begin_thread():
    """The calling thread's clocks now, for end_thread."""
    tid = threading.get_native_id()
    return tid, time.monotonic_ns(), schedstat(tid), time.thread_time_ns()


def end_thread(begun):
    """The calling thread's wall, CPU and waiting time since begin_thread:
    how gilfree accounts for the thread that started the workers and waited
    for them, apart from the workers."""
    tid, start_ns, sched_start, cpu_start_ns = begun
    cpu_ns = time.thread_time_ns() - cpu_start_ns
    sched_end = schedstat(tid)
    return {
        "pid": os.getpid(),
        "tid": tid,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": cpu_ns,
        "wait_ns": waited(sched_start, sched_end),
    }


def helper_threads(since_ns):
    """The pool's helper threads in this process (every thread but the
    calling one), each from `since_ns` — just before the pool started them —
    to now: wall, CPU and waiting time from their schedstat, which starts at
    zero with the thread. Read while they are alive; none without schedstat."""
    me = threading.get_native_id()
    helpers = []
    for name in os.listdir("/proc/self/task"):
        tid = int(name)
        sched = schedstat(tid) if tid != me else None
        if sched is not None:
            helpers.append({
                "pid": os.getpid(),
                "tid": tid,
                "start_ns": since_ns,
                "finish_ns": time.monotonic_ns(),
                "cpu_ns": sched[0],
                "wait_ns": sched[1],
            })
    return helpers


# Which pool process draws for each worker (its pid, 0 before one took the
# task), shared with the pool: how a pool process that dies is named.
taken = None


def init_worker(table):
    """Pool initializer: a worker is killed when the interpreter dies, however
    it dies (Linux's PR_SET_PDEATHSIG), so that none computes on as an orphan
    when gilfree stops the run; and it notes its tasks in `table`. Not in the
    book; elsewhere the first does nothing."""
    global taken
    taken = table
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        except (OSError, AttributeError):
            pass


def describe(process, table):
    """A pool process that has ended: which worker's task it had (from
    `table`), and how it ended."""
    owners = [w for w, pid in enumerate(table) if pid == process.pid]
    if owners:
        who = f"worker {owners[0]} (pool process {process.pid})"
    else:
        who = f"pool process {process.pid}, before it took a worker's task,"
    code = process.exitcode
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown"
        return f"{who} was killed by signal {-code} ({name})"
    return f"{who} exited with status {code}"


class Watch:
    """Waits for a Pool's results while watching its processes: the Pool
    would start another in place of one that died and wait for ever for the
    task it had. When one has died, the program names it on standard error,
    kills the pool (not through `pool.terminate()`, which waits for a lock
    the dead process may have held), runs `cleanup` and exits 1 at once.
    `_pool`, the Pool's processes, is private but has been there since
    Python 2.6; without it, gilfree's --timeout still ends a lost run."""

    def __init__(self, pool, table, cleanup=None):
        self.pool = pool
        self.table = table
        self.cleanup = cleanup
        # Every process the pool has had: a replacement started between two
        # looks cannot hide the death it replaced.
        self.processes = []

    def result(self, wait):
        """`wait(timeout)`'s result (a pool result's get, an iterator's
        next), looking at the pool's processes every 50 ms meanwhile."""
        while True:
            self.stop_if_a_process_died()
            try:
                return wait(0.05)
            except multiprocessing.TimeoutError:
                pass

    def stop_if_a_process_died(self):
        for process in getattr(self.pool, "_pool", []):
            if process not in self.processes:
                self.processes.append(process)
        dead = [process for process in self.processes if process.exitcode is not None]
        if not dead:
            return
        said = " and ".join(describe(process, self.table) for process in dead)
        sys.stderr.write(f"{said} during the run, so the Pool was stopped\n")
        sys.stderr.flush()
        for process in self.processes:
            try:
                process.kill()
            except (OSError, ValueError):
                pass
        if self.cleanup is not None:
            self.cleanup()
        os._exit(1)


def draw_into(args):
    """The worker's numbers, written where the parent reads them."""
    worker, count, low, high, seed = args
    if taken is not None:
        taken[worker] = os.getpid()
    tid = threading.get_native_id()
    start_ns = time.monotonic_ns()  # the same clock as gilfree's
    sched_start = schedstat(tid)
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    out = view
    base = worker * count
    for i in range(count):
        out[base + i] = rng.randint(low, high) - low
    cpu_ns = time.thread_time_ns() - cpu_start_ns
    sched_end = schedstat(tid)
    return {
        "worker": worker,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": cpu_ns,
        "wait_ns": waited(sched_start, sched_end),
        "pid": os.getpid(),
        "tid": tid,
    }


def main():
    global view
    begun = begin_thread()
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    name = sys.argv[7]
    width = next(w for w in (1, 2, 4, 8) if high - low < 256 ** w)
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
    # The workers inherit the segment's mapping when the Pool forks them.
    context = multiprocessing.get_context("fork")
    segment = shared_memory.SharedMemory(
        name=name, create=True, size=max(1, workers * count * width)
    )
    try:
        view = segment.buf[: workers * count * width].cast(code)
        tasks = [(worker, count, low, high, seed) for worker in range(workers)]
        table = context.Array("q", workers, lock=False)
        pool_start_ns = time.monotonic_ns()
        with context.Pool(processes=workers, initializer=init_worker, initargs=(table,)) as pool:
            watch = Watch(pool, table, segment.unlink)
            arriving = pool.imap_unordered(draw_into, tasks)
            reports = [watch.result(arriving.next) for _ in tasks]
            helpers = helper_threads(pool_start_ns)
        for report in reports:
            # Written in place: there when the worker finished.
            report["delivered_ns"] = report["finish_ns"]
        for report in reports:
            base = report["worker"] * count
            report["sum_start_ns"] = time.monotonic_ns()
            report["sum"] = count * low + sum(view[base : base + count])
            report["sum_finish_ns"] = time.monotonic_ns()
            report["bytes"] = count * width
        gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
        print(json.dumps({
            "workers": reports,
            "gil_enabled": gil_enabled,
            "coordinators": [end_thread(begun)] + helpers,
        }))
    finally:
        if view is not None:
            view.release()
        segment.close()
        segment.unlink()


if __name__ == "__main__":
    main()
