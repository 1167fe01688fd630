"""The book's listing 11-1: threads appending their sums to one list.

As in "The Hacker's Guide to Python", chapter 11, but each thread has its own
random.Random: a free-threaded CPython (3.13t) serializes threads that share
the module-level generator, which would hide what the GIL does.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 threads.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. With RETURN `numbers` each thread
appends its whole list of numbers to the one shared list (a reference: nothing
is copied), and the main thread sums them after the joins.
"""
import json
import os
import random
import sys
import threading
import time

results = []


def compute(worker, count, low, high, seed):
    start_ns = time.monotonic_ns()  # the same clock as gilfree's
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    total = sum([rng.randint(low, high) for i in range(count)])
    results.append({
        "worker": worker,
        "sum": total,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": time.thread_time_ns() - cpu_start_ns,
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
    })


def hand_back(worker, count, low, high, seed):
    """--return numbers: the thread's numbers appended to the shared list."""
    start_ns = time.monotonic_ns()
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    numbers = [rng.randint(low, high) for i in range(count)]
    report = {
        "worker": worker,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": time.thread_time_ns() - cpu_start_ns,
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
    }
    results.append((report, numbers))
    report["delivered_ns"] = time.monotonic_ns()


def main():
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    numbers = sys.argv[6:7] == ["numbers"]
    threads = [
        threading.Thread(
            target=hand_back if numbers else compute,
            args=(worker, count, low, high, seed),
        )
        for worker in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if numbers:
        for report, handed in results:
            report["sum_start_ns"] = time.monotonic_ns()
            report["sum"] = sum(handed)
            report["sum_finish_ns"] = time.monotonic_ns()
            report["bytes"] = sys.getsizeof(handed)
        print(json.dumps({"workers": [report for report, _ in results]}))
        return
    print(json.dumps({"workers": results}))


if __name__ == "__main__":
    main()
