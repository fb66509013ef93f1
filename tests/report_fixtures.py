"""A small, fully deterministic store for the reporter tests, built with the real ingest code.

Two runs of the same sweep (3 endpoints x rates 20, 40/s x 1, 2 workers); the second run's
sync endpoint is slower, async_blocking at 40/s with 1 worker falls behind with timeouts, and
one attack sends too slowly (the generator check flags it). Results are written in vegeta's
CSV encoding and stored with perf.collector.storage.attacks.store_attack, exactly as `perf collect` does.
"""

from __future__ import annotations

import csv
from pathlib import Path

from perf.collector.storage.attacks import store_attack
from perf.collector.storage.records import AttackRecord
from perf.collector.load.sampler import Sample
from perf.store.database import open_store

T0 = 1_714_557_600_000_000_000  # 2024-05-01 10:00:00 UTC, in ns
RUNS = [
    {"run_id": "a1b2c3d4e5f6", "started_at": "2024-05-01 10:00:00+00", "label": "baseline",
     "git_commit": "0123456789abcdef0123456789abcdef01234567", "offset_s": 0},
    {"run_id": "f6e5d4c3b2a1", "started_at": "2024-05-02 10:00:00+00", "label": None,
     "git_commit": "fedcba9876543210fedcba9876543210fedcba98", "offset_s": 86_400},
]
ENDPOINTS = ["async", "sync_threadpool", "async_blocking"]
RATES = [20, 40]
SECONDS = 4
WORKERS = [1, 2]
TIMEOUT = ('Get "http://127.0.0.1:8000/api/simple/async_blocking/{i}": context deadline '
           "exceeded (Client.Timeout exceeded while awaiting headers)")


def attack_rows(run: int, endpoint: str, rate: int, workers: int, t0: int) -> list[list]:
    """Four seconds of results: deterministic latencies (ns), codes and errors."""
    rows = []
    spacing = 1_000_000_000 // rate
    slow_sender = run == 1 and endpoint == "sync_threadpool" and rate == 40 and workers == 2
    if slow_sender:
        spacing = int(spacing * 1.1)  # sent rate ~36/s < 99% of 40/s: the generator check fails
    overloaded = endpoint == "async_blocking" and rate == 40 and workers == 1
    base_ms = {"async": 50, "sync_threadpool": 52 + 8 * run, "async_blocking": 55}[endpoint]
    for i in range(rate * SECONDS):
        jitter_us = (i * 7919 + rate * 31 + workers * 17 + run * 3) % 4000
        latency = base_ms * 1_000_000 + jitter_us * 1000 + i * 137
        code, error = 200, ""
        if overloaded:
            latency += i * 6_000_000  # the queue grows through the attack
            if i % 8 == 7:
                code, error, latency = 0, TIMEOUT.format(i=i), 2_000_000_000 + i
            elif i % 13 == 5:
                code, error = 503, "503 Service Unavailable"
        url = f"http://127.0.0.1:8000/api/simple/{endpoint}/{i}"
        rows.append([t0 + i * spacing + (i * 131) % 997, code, latency, 0,
                     0 if code == 0 else 27, error, "", "", i, "GET", url, ""])
    return rows


def samples_for(run: int, endpoint: str, rate: int, workers: int, t0: int) -> list[Sample]:
    out = []
    for k in range(SECONDS * 2):
        cpu = 4.0 * rate / 20 + 3 * k + (10.0 if endpoint == "async_blocking" else 0) + run
        rss = (40_000_000 + 30_000_000 * workers) + k * 250_000 + run * 1_000_000
        out.append(Sample(t0 + k * 500_000_000, "server", cpu, rss))
        out.append(Sample(t0 + k * 500_000_000, "loadgen", 5.0 + k, 20_000_000))
    return out


def build_store(path: Path, runs: int = 2) -> dict[int, dict]:
    """Create the fixture store at `path` (its CSV files go next to it).

    Returns {attack_id: {"csv": the results file, "samples": [Sample], "run_id": ...}} so
    tests can recompute every metric from the same raw rows on their own.
    """
    stored: dict[int, dict] = {}
    con = open_store(path)
    try:
        for r, run in enumerate(RUNS[:runs]):
            con.execute(
                """
                INSERT INTO runs (run_id, started_at, finished_at, status, label, git_commit,
                    git_branch, git_dirty, host, cpu_model, cpu_count, os, python_version,
                    vegeta_version, perf_version, target, config)
                VALUES (?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ + INTERVAL 20 MINUTE, 'complete', ?, ?,
                    'main', ?, 'bench-1', 'Test CPU @ 2.0GHz', 2, 'Linux 6.1.0', '3.11.2',
                    'v12.13.0', '0.1.0', 'target_app.main:app', ?)
                """,
                [run["run_id"], run["started_at"], run["started_at"], run["label"],
                 run["git_commit"], r == 1, '{"duration_s": 4, "rates": [20, 40]}'],
            )
            n = 0
            for workers in WORKERS:
                for rate in RATES:
                    for endpoint in ENDPOINTS:
                        t0 = T0 + run["offset_s"] * 1_000_000_000 + n * 10_000_000_000
                        n += 1
                        csv_path = path.parent / f"{run['run_id']}-{n}.csv"
                        with open(csv_path, "w", newline="") as fh:
                            csv.writer(fh, lineterminator="\n").writerows(
                                attack_rows(r, endpoint, rate, workers, t0))
                        samples = samples_for(r, endpoint, rate, workers, t0)
                        attack_id = store_attack(
                            con,
                            AttackRecord(
                                run_id=run["run_id"],
                                endpoint=f"GET /api/simple/{endpoint}/{{item_id}}",
                                method="GET", path=f"/api/simple/{endpoint}/{{item_id}}",
                                server="uvicorn", workers=workers, mode="rate",
                                target_rate=float(rate), duration_s=float(SECONDS)),
                            [csv_path],
                            samples,
                        )
                        stored[attack_id] = {"csv": csv_path, "samples": samples,
                                             "run_id": run["run_id"]}
    finally:
        con.close()
    return stored
