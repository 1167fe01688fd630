#!/usr/bin/env python3
"""Writes tests/fixtures/python_random.json: what CPython's random module draws
for gilfree's `--rng python` workloads, so that the Rust tests can check
gilfree's MT19937 streams against CPython bit for bit without running Python.

Worker i of a run with seed s draws random.Random((s << 32) + i).randint(low, high).
Run from the repository root:  python3 scripts/python-fixtures.py
"""
import json
import platform
import random
import sys

SEEDS = [0, 1, 2015, 2**32 + 5, 2**64 - 1]
WORKERS = [0, 1, 7]
RANGES = [
    (1, 100),               # the book's
    (-50, 50),              # negative to positive
    (-10, -5),              # all negative
    (5, 5),                 # one value: getrandbits(1) with rejection
    (0, 2**32 - 1),         # n = 2^32: k = 33, two words
    (0, 2**40),             # wider than 32 bits
    (-2**63, 2**63 - 1),    # the whole i64 range: n = 2^64, k = 65, three words
]
COUNTS = [0, 1, 1000]


def numbers(seed, worker, low, high, count):
    rng = random.Random((seed << 32) + worker)
    return [rng.randint(low, high) for _ in range(count)]


def main():
    cases = []
    for seed in SEEDS:
        for worker in WORKERS:
            for low, high in RANGES:
                for count in COUNTS:
                    drawn = numbers(seed, worker, low, high, count)
                    # Integers as text: sums and the i64 extremes exceed what
                    # a JSON reader keeps exactly in a double.
                    cases.append({
                        "seed": str(seed), "worker": worker, "low": str(low),
                        "high": str(high), "count": count, "sum": str(sum(drawn)),
                        "first": [str(x) for x in drawn[:5]],
                    })
    book = [sum(numbers(2015, w, 1, 100, 1_000_000)) for w in range(8)]
    fixture = {
        "generated_by": f"CPython {platform.python_version()} ({sys.implementation.name})",
        "definition": "worker i of seed s: random.Random((s << 32) + i).randint(low, high)",
        "cases": cases,
        "book_seed_2015_sums": book,
    }
    with open("tests/fixtures/python_random.json", "w") as out:
        json.dump(fixture, out, indent=1)
        out.write("\n")
    print(f"{len(cases)} cases and the book's sums written")


if __name__ == "__main__":
    main()
