"""The sweep's promises about large bodies, in-process: the room they may take and one mix's
bodies streamed to their file at a time (tests/system/test_sweep_promises.py runs real sweeps)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from perf.collector.load.background import BackgroundAttack, body_room_problem
from perf.collector.requests.discovery import discover
from perf.collector.requests.payload import grow_body
from perf.collector.settings.settings import Settings
from perf.collector.sweep.sweep import _Sweep


def test_the_room_for_bodies_names_the_size_what_is_free_and_the_limit():
    folder = Path("/scratch/perf-collect-x")
    assert body_room_problem([25 * 10**6], 25 * 10**6, 8 * 10**9, 10**12, folder) is None
    assert body_room_problem([3 * 10**9, 2 * 10**9], 5 * 10**9, 8 * 10**9, 10**12, folder) == (
        "request bodies of 3GB and 2GB (5GB together) are too large for this machine: vegeta "
        "holds each body in memory, 8GB is available and large bodies may take at most half "
        "of it (4GB); use a smaller size= or --large-body")
    assert body_room_problem([2 * 10**9], 2 * 10**9, 64 * 10**9, 10**9, folder) == (
        "a 2GB request body is too large for this machine: body files go to "
        "/scratch/perf-collect-x, where 1GB is free and they may take at most 90% of it "
        "(900MB); use a smaller size= or --large-body, or point TMPDIR at a larger disk")


def test_large_bodies_are_streamed_to_their_file_one_mix_at_a_time(tmp_path):
    from target_app.main import app

    endpoints = {e.name: e for e in discover(app.openapi()).endpoints}
    ping, pong = endpoints["POST /api/payload/ping"], endpoints["POST /api/payload/pong"]
    sweep = _Sweep(Settings(), None, tmp_path / "s.duckdb", Path("vegeta"), tmp_path,
                   tmp_path / "logs", None)
    size = 6 * 10**6  # big enough to see a whole body held (tracemalloc slows every allocation)
    tracemalloc.start()
    try:
        bodies = sweep._large_bodies([BackgroundAttack(ping, 1.0, None),
                                      BackgroundAttack(ping, 1.0, size)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 5  # chunks of about a megabyte, never the body
    assert list(bodies) == [1]
    body = bodies[1].read_bytes()
    assert size <= len(body) < size + 100 and json.loads(body)["name"]
    assert body[:1000] == grow_body(ping.body_example, size)[:1000]
    # The next mix needs another body: the first one's file goes, so the scratch folder
    # holds one mix's bodies at most (what the check before the sweep counted).
    second = sweep._large_bodies([BackgroundAttack(pong, 1.0, 10**6)])
    assert not bodies[1].exists() and second[0].exists()
    assert sorted(p.name for p in tmp_path.glob("large-body-*")) == [second[0].name]
