"""One worker after another in one thread: CPython's baseline for gilfree.

gilfree feeds this file to `python3 - WORKERS COUNT LOW HIGH SEED [RETURN]` on
standard input (`python3 sequential.py ...` runs it the same)
and reads the JSON it prints. Worker i draws from random.Random((SEED << 32) + i),
the same numbers as gilfree's `--rng python`. With RETURN `numbers` each worker
hands back its list of numbers, by reference, and the program sums them after.
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


def draw(worker, count, low, high, seed):
    """--return numbers: the worker's list of numbers, and its report."""
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


def main():
    workers, count, low, high, seed = (int(arg) for arg in sys.argv[1:6])
    if sys.argv[6:7] != ["numbers"]:
        results = [compute(worker, count, low, high, seed) for worker in range(workers)]
        print(json.dumps({"workers": results}))
        return
    handed = []
    for worker in range(workers):
        report, numbers = draw(worker, count, low, high, seed)
        handed.append((report, numbers))  # a reference: nothing is copied
        report["delivered_ns"] = report["finish_ns"]
    for report, numbers in handed:
        report["sum_start_ns"] = time.monotonic_ns()
        report["sum"] = sum(numbers)
        report["sum_finish_ns"] = time.monotonic_ns()
        report["bytes"] = sys.getsizeof(numbers)
    print(json.dumps({"workers": [report for report, _ in handed]}))


if __name__ == "__main__":
    main()
