"""One worker after another in one thread: CPython's baseline for gilfree.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 sequential.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. Each worker also reports its
thread's CPU time and its wait for a CPU (schedstat), and the main thread
reports its own ("coordinators"), so that gilfree can say where the time went.
With RETURN `numbers` each worker hands back its list of numbers, by reference,
and the program sums them after.
"""
import json
import os
import random
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


def compute(worker, count, low, high, seed, hand_back=False):
    tid = threading.get_native_id()
    start_ns = time.monotonic_ns()  # the same clock as gilfree's
    sched_start = schedstat(tid)
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    if hand_back:
        # --return numbers: the list itself goes back; the caller sums it.
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


def main():
    begun = begin_thread()
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    if sys.argv[6:7] == ["numbers"]:
        handed = []
        for worker in range(workers):
            report, numbers = compute(worker, count, low, high, seed, hand_back=True)
            handed.append((report, numbers))  # a reference: nothing is copied
            report["delivered_ns"] = report["finish_ns"]
        for report, numbers in handed:
            report["sum_start_ns"] = time.monotonic_ns()
            report["sum"] = sum(numbers)
            report["sum_finish_ns"] = time.monotonic_ns()
            report["bytes"] = sys.getsizeof(numbers)
        results = [report for report, _ in handed]
    else:
        results = [compute(worker, count, low, high, seed) for worker in range(workers)]
    # The workers ran on this thread too; gilfree takes their time out of it.
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({
        "workers": results,
        "gil_enabled": gil_enabled,
        "coordinators": [end_thread(begun)],
    }))


if __name__ == "__main__":
    main()
