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
import sys
import threading
import time
from multiprocessing import shared_memory

# The segment's numbers, as this process and the workers it forks see them.
view = None


def die_with_parent():
    """Pool initializer: a worker is killed when the interpreter dies, however
    it dies (Linux's PR_SET_PDEATHSIG), so that none computes on as an orphan
    when gilfree stops the run. Elsewhere it does nothing."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        except (OSError, AttributeError):
            pass


def draw_into(args):
    """The worker's numbers, written where the parent reads them."""
    worker, count, low, high, seed = args
    start_ns = time.monotonic_ns()
    cpu_start_ns = time.thread_time_ns()
    rng = random.Random((seed << 32) + worker)
    out = view
    base = worker * count
    for i in range(count):
        out[base + i] = rng.randint(low, high) - low
    return {
        "worker": worker,
        "start_ns": start_ns,
        "finish_ns": time.monotonic_ns(),
        "cpu_ns": time.thread_time_ns() - cpu_start_ns,
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
    }


def main():
    global view
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
        with context.Pool(processes=workers, initializer=die_with_parent) as pool:
            reports = list(pool.imap_unordered(draw_into, tasks))
        for report in reports:
            # Written in place: there when the worker finished.
            report["delivered_ns"] = report["finish_ns"]
        for report in reports:
            base = report["worker"] * count
            report["sum_start_ns"] = time.monotonic_ns()
            report["sum"] = count * low + sum(view[base : base + count])
            report["sum_finish_ns"] = time.monotonic_ns()
            report["bytes"] = count * width
        print(json.dumps({"workers": reports}))
    finally:
        if view is not None:
            view.release()
        segment.close()
        segment.unlink()


if __name__ == "__main__":
    main()
