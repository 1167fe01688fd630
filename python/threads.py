"""The book's listing 11-1: threads appending their sums to one list.

As in "The Hacker's Guide to Python", chapter 11, but each thread has its own
random.Random: a free-threaded CPython (3.13t) serializes threads that share
the module-level generator, which would hide what the GIL does.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED` on standard
input (`python3 threads.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`.
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


def main():
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    threads = [
        threading.Thread(target=compute, args=(worker, count, low, high, seed))
        for worker in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"workers": results}))


if __name__ == "__main__":
    main()
