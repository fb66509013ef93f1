"""Benchmark the change points of `perf history`: perf's PELT in numpy against ruptures' Pelt
(the pure-Python implementation it replaced), and `perf history` on a store of many runs.

    .venv/bin/python benchmarks/bench_changepoints.py               # series, then a 1,000-run store
    .venv/bin/python benchmarks/bench_changepoints.py --runs 300    # a smaller store

Series: log-normal latencies with a 30% shift every `--every` runs (PELT prunes well) and with a
single shift in the middle (its worst case: nothing is pruned in a long flat stretch), at the
penalty perf uses. ruptures runs only up to 1,000 points (10,000 would take about 20 minutes).
The store is generated with DuckDB SQL (benchmarks/bench_report.py's generator: 20 attacks a run,
--requests requests each, attack_stats filled as perf collect fills it) under /tmp.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_report import generate, set_cache, shape  # noqa: E402
from perf.reporter.compute.changepoints import MIN_SEGMENT, _noise  # noqa: E402
from perf.reporter.compute.pelt import pelt_l2  # noqa: E402


def series(n: int, every: int | None, rng: np.random.Generator) -> np.ndarray:
    level = np.zeros(n)
    for start in range(every or n // 2, n, every or n):
        level[start:] += math.log(1.3) * (1 if (start // (every or n)) % 2 else -1)
    return level + np.log(50) + rng.normal(0, 0.05, n)


def penalty(x: np.ndarray) -> float:
    return 3 * max(_noise(x), 1e-4) ** 2 * math.log(len(x))


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_series(every: int) -> None:
    import ruptures

    rng = np.random.default_rng(1)
    print(f"{'points':>8}  {'shape':<22} {'numpy PELT':>11} {'ruptures':>10}  same")
    for n in (100, 1_000, 5_000, 10_000, 100_000):
        for shape_name, step in ((f"a shift every {every}", every), ("one shift, mid-series", None)):
            if step is None and n > 10_000:
                continue  # the worst case grows with the square: 100,000 flat points take minutes
            x = series(n, step, rng)
            pen = penalty(x)
            ours_s, ours = timed(lambda: pelt_l2(x, pen, MIN_SEGMENT))
            if n <= 1_000:
                theirs_s, theirs = timed(lambda: [b for b in ruptures.Pelt(
                    model="l2", min_size=MIN_SEGMENT, jump=1).fit(x.reshape(-1, 1)).predict(pen=pen)
                    if b < n])
                cells = f"{theirs_s:>9.3f}s  {'yes' if ours == theirs else 'NO'}"
            else:
                cells = f"{'-':>10}  -"
            print(f"{n:>8,}  {shape_name:<22} {ours_s:>10.3f}s {cells}")


def bench_history(store: Path, runs: int, requests: int) -> None:
    if shape(store) != (runs, 20, requests):
        print(f"generating {store}: {runs} runs x 20 attacks x {requests} requests ...", flush=True)
        store.parent.mkdir(parents=True, exist_ok=True)
        generate(store, runs, 20, requests)
        set_cache(store, True)
    perf = [sys.executable, "-m", "perf.cli"]
    for args in (["history"], ["history", "--last", "100"], ["history", "--format", "json"]):
        seconds, done = timed(lambda: subprocess.run([*perf, *args, "--store", str(store)],
                                                     capture_output=True, text=True, timeout=1800))
        assert done.returncode == 0, done.stderr
        print(f"perf {' '.join(args):<24} {seconds:7.2f} s  ({len(done.stdout.splitlines())} lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--store", type=Path, default=Path("/tmp/perf-bench/history.duckdb"))
    args = parser.parse_args()
    bench_series(args.every)
    print()
    bench_history(args.store, args.runs, args.requests)


if __name__ == "__main__":
    main()
