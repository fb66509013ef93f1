"""perf collect overhead: wall time / sum of attack durations (target <= 1.05).

A sweep of 6 endpoints x 2 rates x 5 s with one worker count, everything counted: perf's own
start-up, the app import check, one server start, setup, idle checks, ingest.

    .venv/bin/python benchmarks/bench_collect_overhead.py [--duration 5] [--store PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
ENDPOINTS = [
    "GET /api/simple/async/{item_id}",
    "GET /api/simple/sync_threadpool/{item_id}",
    "GET /api/fanout/async_concurrent",
    "GET /api/db/async/read/{item_id}",
    "GET /api/db/sync_threadpool/read/{item_id}",
    "GET /items",
]
RATES = "20,40"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="perf-bench-"))
    store = tmp / "bench.duckdb"
    cmd = [sys.executable, "-m", "perf.cli", "collect", "--rates", RATES,
           "--duration", f"{args.duration:g}s", "--workers", "1", "--warmup", "0",
           "--store", str(store)]
    for endpoint in ENDPOINTS:
        cmd += ["--endpoint", endpoint]
    env = {**os.environ, "TARGET_APP_DB": str(tmp / "app.sqlite3")}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"collect failed:\n{proc.stderr}")
    con = duckdb.connect(str(store), read_only=True)
    attacks, planned = con.execute("SELECT count(*), sum(duration_s) FROM attacks").fetchone()
    con.close()
    print(f"attacks: {attacks} ({len(ENDPOINTS)} endpoints x {RATES} req/s x {args.duration:g}s, 1 worker)")
    print(f"sum of attack durations: {planned:.1f} s")
    print(f"wall time of perf collect: {wall:.1f} s")
    print(f"overhead ratio: {wall / planned:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
