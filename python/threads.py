"""The book's listing 11-1: threads appending their sums to one list.

As in "The Hacker's Guide to Python", chapter 11, but each thread has its own
random.Random: a free-threaded CPython (3.13t) serializes threads that share
the module-level generator, which would hide what the GIL does.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 threads.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. Each worker also reports its
thread's CPU time and its wait for a CPU (schedstat), and the main thread
reports its own ("coordinators"), so that gilfree can say where the time went.
With RETURN `numbers` each thread appends its whole list of numbers to the one
shared list (a reference: nothing is copied), and the main thread sums them
after the joins.
"""
import json
import os
import random
import sys
import threading
import time

results = []


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
        # --return numbers: the list itself goes on the shared list.
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
        results.append((report, numbers))
        report["delivered_ns"] = time.monotonic_ns()
    else:
        report["sum"] = total
        results.append(report)


def main():
    begun = begin_thread()
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    hand_back = sys.argv[6:7] == ["numbers"]
    threads = [
        threading.Thread(target=compute, args=(worker, count, low, high, seed, hand_back))
        for worker in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reports = results
    if hand_back:
        for report, numbers in results:
            report["sum_start_ns"] = time.monotonic_ns()
            report["sum"] = sum(numbers)
            report["sum_finish_ns"] = time.monotonic_ns()
            report["bytes"] = sys.getsizeof(numbers)
        reports = [report for report, _ in results]
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({
        "workers": reports,
        "gil_enabled": gil_enabled,
        "coordinators": [end_thread(begun)],
    }))


if __name__ == "__main__":
    main()
