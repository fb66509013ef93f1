"""Realistic sweep stores for the dashboard's tests, benchmark and screenshot, made with the real ingest.

Each attack becomes a vegeta CSV (the same columns `vegeta encode --to csv` writes) drawn from a
small queueing model: below an endpoint's capacity latency is its service time plus jitter; above
it a queue builds up over the attack, and requests that wait past the client timeout fail. Then
`perf.collector.storage.attacks.store_attack` stores it exactly as `perf collect` would.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from perf.collector.storage.attacks import store_attack
from perf.collector.storage.records import AttackRecord
from perf.collector.load.sampler import Sample

TIMEOUT_S = 5.0
BASE_URL = "http://127.0.0.1:8000"


@dataclass
class Endpoint:
    endpoint: str  # "METHOD /path/{param}"
    service_ms: float  # latency with no queue
    capacity_per_worker: float  # requests/s one worker sustains
    cpu_per_req_ms: float  # server CPU time per request
    error_rate: float = 0.0  # failures that happen at any load (e.g. SQLite "database is locked")


# Every route of target_app with a plausible service time and per-worker capacity on 2 cores.
ALL_ENDPOINTS = [
    Endpoint("GET /api/simple/sync_threadpool/{item_id}", 51.0, 760, 0.55),
    Endpoint("GET /api/simple/async_blocking/{item_id}", 50.2, 19.8, 0.30),
    Endpoint("GET /api/simple/async/{item_id}", 50.5, 2000, 0.35),
    Endpoint("GET /api/fanout/sync_baseline", 31.5, 1250, 0.6),
    Endpoint("GET /api/fanout/async_independent", 31.0, 1500, 0.5),
    Endpoint("GET /api/fanout/async_dependent", 31.2, 1500, 0.5),
    Endpoint("GET /api/fanout/async_concurrent", 10.8, 1500, 0.5),
    Endpoint("GET /api/db/async/read/{item_id}", 2.5, 900, 1.1),
    Endpoint("GET /api/db/sync_threadpool/read/{item_id}", 2.1, 700, 1.2),
    Endpoint("GET /api/db/async_blocking/read/{item_id}", 2.0, 450, 1.0),
    Endpoint("POST /api/db/async/write", 4.0, 260, 1.6, error_rate=0.004),
    Endpoint("POST /api/db/sync_threadpool/write", 4.2, 240, 1.7, error_rate=0.006),
    Endpoint("POST /api/db/async_blocking/write", 5.0, 180, 1.5, error_rate=0.01),
    Endpoint("GET /items", 3.0, 800, 1.3),
    Endpoint("POST /items", 4.1, 300, 1.5),
    Endpoint("GET /items/{item_id}", 2.2, 1000, 1.0),
    Endpoint("POST /api/payload/ping", 1.5, 1200, 0.8),
    Endpoint("POST /api/payload/pong", 1.2, 1500, 0.7),
]
# A handful with every shape: flat, saturating, overloaded with timeouts, failing writes.
DEFAULT_ENDPOINTS = [ALL_ENDPOINTS[i] for i in (2, 0, 1, 7, 10, 6)]


def _url(endpoint: str) -> tuple[str, str]:
    method, path = endpoint.split(" ", 1)
    return method, BASE_URL + path.replace("{item_id}", "7")


def attack_rows(ep: Endpoint, rate: float, workers: int, duration_s: float, t0_ns: int,
                rng: np.random.Generator, slowdown: float = 1.0) -> list[list]:
    """One constant-rate attack's results in vegeta's CSV column order."""
    n = max(int(rate * duration_s), 1)
    ts = t0_ns + (np.arange(n) * (1e9 / rate)).astype(np.int64)
    capacity = ep.capacity_per_worker * workers / slowdown
    service = ep.service_ms * slowdown
    jitter = rng.gamma(2.0, service * 0.04, n)
    elapsed = (ts - t0_ns) / 1e9
    overload = max(rate - capacity, 0.0)
    queue_ms = 1000.0 * overload * elapsed / capacity  # the backlog grows for as long as we offer more
    utilisation = min(rate / capacity, 0.99)
    queue_ms += service * utilisation ** 4 / (1 - utilisation) * rng.exponential(0.2, n)
    latency_ms = service + jitter + queue_ms
    spikes = rng.random(n) < 0.002  # GC pauses and scheduler hiccups: what the tail plots are for
    latency_ms[spikes] += rng.uniform(20, 120, spikes.sum())
    timed_out = latency_ms > TIMEOUT_S * 1000
    failed = rng.random(n) < ep.error_rate
    latency_ms[timed_out] = TIMEOUT_S * 1000 + rng.uniform(0, 2, timed_out.sum())
    method, url = _url(ep.endpoint)
    rows = []
    for i in range(n):
        if timed_out[i]:
            code, error, bytes_in = 0, (
                f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            ), 0
        elif failed[i]:
            code, error, bytes_in = 500, "500 Internal Server Error", 21
        else:
            code, error, bytes_in = 200, "", 27
        rows.append([int(ts[i]), code, int(latency_ms[i] * 1e6), 0, bytes_in, error, "",
                     "", i, method, url, ""])
    return rows


def samples_for(ep: Endpoint, rate: float, workers: int, duration_s: float, t0_ns: int,
                rng: np.random.Generator, loadgen_cpu: float | None = None) -> list[Sample]:
    served = min(rate, ep.capacity_per_worker * workers)
    cpu = min(served * ep.cpu_per_req_ms / 10.0, 100.0 * workers)  # % of one core
    out = []
    for k in range(int(duration_s / 0.5) + 1):
        ts = t0_ns + int(k * 0.5e9)
        out.append(Sample(ts, "server", float(cpu * rng.uniform(0.85, 1.1)),
                          int((48 + 31 * workers + served * 0.01) * 2**20)))
        vegeta_cpu = loadgen_cpu if loadgen_cpu is not None else rate * 0.02 * rng.uniform(0.9, 1.1)
        out.append(Sample(ts, "loadgen", float(vegeta_cpu), 30 * 2**20))
    return out


def add_run(con, tmp: Path, run_id: str, *, label: str | None = None, commit: str = "a1b2c3d",
            started: datetime | None = None, endpoints: list[Endpoint] | None = None,
            rates: tuple[float, ...] = (25, 50, 100, 200, 400), workers: tuple[int, ...] = (1, 2),
            duration_s: float = 4.0, slowdown: float = 1.0, seed: int = 1,
            saturated_above: float | None = None, repeats: int = 1,
            slow_endpoints: tuple[str, ...] | None = None) -> list[int]:
    """Insert one complete run (runs row + every attack) and return its attack ids.

    saturated_above: attacks offered more than this rate report a CPU-bound vegeta, so the
    generator check flags them (the warning the dashboard must show).
    repeats: every cell that many times, in interleaved rounds as `perf collect --repeat`
    stores them (repeat_index 0..N-1), each with its own noise.
    slowdown: multiplies service time and divides capacity; only of `slow_endpoints` when
    given (a regression in one place), else of every endpoint.
    """
    endpoints = endpoints or DEFAULT_ENDPOINTS
    rng = np.random.default_rng(seed)
    started = started or datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)
    config = {"rates": list(rates), "workers": list(workers), "duration_s": duration_s,
              "server": "uvicorn", "timeout_s": TIMEOUT_S}
    con.execute(
        """INSERT INTO runs (run_id, started_at, finished_at, status, label, git_commit, git_branch,
               git_dirty, host, cpu_model, cpu_count, os, python_version, vegeta_version,
               perf_version, target, config)
           VALUES (?, ?, ?, 'complete', ?, ?, 'main', false, 'bench-host', 'AMD EPYC 7B13', 2,
               'Linux 6.1', '3.11.2', 'v12.13.0', '0.1.0', 'target_app.main:app', ?)""",
        [run_id, started, started + timedelta(minutes=5), label, commit, json.dumps(config)],
    )
    ids = []
    clock = started
    for w, repeat in ((w, r) for w in workers for r in range(repeats)):
        for ep in endpoints:
            for rate in rates:
                t0_ns = int(clock.timestamp() * 1e9)
                slow = slowdown if slow_endpoints is None or ep.endpoint in slow_endpoints else 1.0
                rows = attack_rows(ep, rate, w, duration_s, t0_ns, rng, slow)
                path = tmp / f"{run_id}-{len(ids)}.csv"
                with open(path, "w", newline="") as fh:
                    csv.writer(fh, lineterminator="\n").writerows(rows)
                method, url_path = ep.endpoint.split(" ", 1)
                attack = AttackRecord(
                    run_id=run_id, endpoint=ep.endpoint, method=method, path=url_path,
                    server="uvicorn", workers=w, mode="rate", target_rate=float(rate),
                    duration_s=duration_s, started_at=clock,
                    finished_at=clock + timedelta(seconds=duration_s), repeat_index=repeat,
                )
                ids.append(store_attack(con, attack, [path],
                                        samples_for(
                    ep, rate, w, duration_s, t0_ns, rng,
                    95.0 if saturated_above is not None and rate > saturated_above else None)))
                path.unlink()
                clock += timedelta(seconds=duration_s + 1)
    return ids
