"""One worker after another in one thread: CPython's baseline for gilfree.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED` on standard
input (`python3 sequential.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`.
"""
import json
import os
import random
import sys
import threading
import time


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


def main():
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    results = [compute(worker, count, low, high, seed) for worker in range(workers)]
    print(json.dumps({"workers": results}))


if __name__ == "__main__":
    main()
