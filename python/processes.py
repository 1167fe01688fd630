"""The book's listing 11-2: a multiprocessing.Pool of worker processes.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 processes.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. Each worker also reports its
thread's CPU time and its wait for a CPU (schedstat), and the main thread
reports its own ("coordinators"), so that gilfree can say where the time went.
With RETURN `numbers` each worker returns its whole list of numbers, which the
Pool pickles through its pipe, and the parent sums them; it counts the bytes it
read meanwhile (/proc/self/io).
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


def compute(worker, count, low, high, seed, hand_back=False):
    if taken is not None:
        taken[worker] = os.getpid()
    tid = threading.get_native_id()
    start_ns = time.monotonic_ns()  # the same clock as gilfree's
    sched_start = schedstat(tid)
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    if hand_back:
        # --return numbers: the list itself goes back, pickled by the Pool.
        numbers = [rng.randint(low, high) for i in range(count)]
    else:
        total = sum([rng.randint(low, high) for i in range(count)])
    cpu_ns = time.thread_time_ns() - cpu_start_ns
    # The worker's last reading: its thread may end right after, before
    # anyone else could read it.
    sched_end = schedstat(tid)
    report = {
        "worker": worker,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": cpu_ns,
        "wait_ns": waited(sched_start, sched_end),
        "pid": os.getpid(),
        "tid": tid,
    }
    if hand_back:
        return report, numbers
    report["sum"] = total
    return report


def hand_back(args):
    """--return numbers: a worker's report and its whole list of numbers."""
    return compute(*args, hand_back=True)


def bytes_read():
    """The bytes this process has read so far (Linux's /proc/self/io)."""
    try:
        with open("/proc/self/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


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


def main():
    begun = begin_thread()
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    # Fork, where there is fork: the program comes on standard input, which a
    # spawned or forkserver worker could not import again.
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context()
    numbers = sys.argv[6:7] == ["numbers"]
    tasks = [(worker, count, low, high, seed) for worker in range(workers)]
    handed = []
    pipe_bytes = None
    table = context.Array("q", workers, lock=False)
    pool_start_ns = time.monotonic_ns()
    with context.Pool(processes=workers, initializer=init_worker, initargs=(table,)) as pool:
        if numbers:
            # Each list arrives pickled, as it is ready.
            before = bytes_read()
            watch = Watch(pool, table)
            arriving = pool.imap_unordered(hand_back, tasks)
            for _ in tasks:
                report, drawn = watch.result(arriving.next)
                report["delivered_ns"] = time.monotonic_ns()
                handed.append((report, drawn))
            after = bytes_read()
            if before is not None and after is not None:
                pipe_bytes = after - before
            results = [report for report, _ in handed]
        else:
            results = Watch(pool, table).result(pool.starmap_async(compute, tasks).get)
        helpers = helper_threads(pool_start_ns)
    for report, drawn in handed:
        report["sum_start_ns"] = time.monotonic_ns()
        report["sum"] = sum(drawn)
        report["sum_finish_ns"] = time.monotonic_ns()
    coordinators = [end_thread(begun)] + helpers
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({
        "workers": results,
        "gil_enabled": gil_enabled,
        "coordinators": coordinators,
        "pipe_bytes": pipe_bytes,
    }))


if __name__ == "__main__":
    main()
