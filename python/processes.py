"""The book's listing 11-2: a multiprocessing.Pool of worker processes.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 processes.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. With RETURN `numbers` each worker
returns its whole list of numbers, which the Pool pickles through its pipe, and
the parent sums them; it counts the bytes it read meanwhile (/proc/self/io).
"""
import ctypes
import json
import multiprocessing
import os
import random
import sys
import threading
import time


def die_with_parent():
    """Pool initializer: a worker is killed when the interpreter dies, however
    it dies (Linux's PR_SET_PDEATHSIG), so that none computes on as an orphan
    when gilfree stops the run. Not in the book; elsewhere it does nothing."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        except (OSError, AttributeError):
            pass


def compute(worker, count, low, high, seed):
    start_ns = time.monotonic_ns()  # the same clock as gilfree's
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    total = sum([rng.randint(low, high) for i in range(count)])
    return {
        "worker": worker,
        "sum": total,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": time.thread_time_ns() - cpu_start_ns,
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
    }


def draw(args):
    """--return numbers: the worker's report and its whole list of numbers,
    which the Pool pickles back to the parent."""
    worker, count, low, high, seed = args
    start_ns = time.monotonic_ns()
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    numbers = [rng.randint(low, high) for i in range(count)]
    return {
        "worker": worker,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": time.thread_time_ns() - cpu_start_ns,
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
    }, numbers


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


def main():
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    # Fork, where there is fork: the program comes on standard input, which a
    # spawned or forkserver worker could not import again.
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context()
    if sys.argv[6:7] == ["numbers"]:
        return hand_back(context, workers, count, low, high, seed)
    with context.Pool(processes=workers, initializer=die_with_parent) as pool:
        results = pool.starmap(
            compute, [(worker, count, low, high, seed) for worker in range(workers)]
        )
    print(json.dumps({"workers": results}))


def hand_back(context, workers, count, low, high, seed):
    """--return numbers: each list arrives pickled, as it is ready; the
    parent sums them once all are there."""
    handed = []
    before = bytes_read()
    with context.Pool(processes=workers, initializer=die_with_parent) as pool:
        tasks = [(worker, count, low, high, seed) for worker in range(workers)]
        for report, numbers in pool.imap_unordered(draw, tasks):
            report["delivered_ns"] = time.monotonic_ns()
            handed.append((report, numbers))
    after = bytes_read()
    for report, numbers in handed:
        report["sum_start_ns"] = time.monotonic_ns()
        report["sum"] = sum(numbers)
        report["sum_finish_ns"] = time.monotonic_ns()
    print(json.dumps({
        "workers": [report for report, _ in handed],
        "pipe_bytes": None if before is None or after is None else after - before,
    }))


if __name__ == "__main__":
    main()
