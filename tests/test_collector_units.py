"""Pure pieces of the collector: option parsing, vegeta flags, sampling (discovery has its own
test files: test_discovery*.py, test_schema_values.py, test_targets_file.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from collector.attack import attack_args, rate_flag
from collector.ingest import generator_verdict
from collector.plan import parse_duration, parse_numbers
from collector.sampler import TreeSampler
from perf.errors import PerfError

def test_duration_and_number_parsing():
    assert parse_duration("10s") == 10 and parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120 and parse_duration("3") == 3
    for bad in ("", "ten", "-1s", "0s", "5 parsecs"):
        with pytest.raises(PerfError):
            parse_duration(bad)
    assert parse_numbers(["50", "100/s", "12.5"], "--rates") == [50, 100, 12.5]
    with pytest.raises(PerfError, match="bad --workers value 'x'"):
        parse_numbers(["x"], "--workers", int)


def test_vegeta_flags_for_open_and_closed_loop():
    assert rate_flag(50) == "50/1s" and rate_flag(12.5) == "12500/1000s"
    open_loop = attack_args("vegeta", "t.jsonl", "rate", 50, 2, 5)
    assert "-rate=50/1s" in open_loop and "-duration=2s" in open_loop and "-timeout=5s" in open_loop
    closed = attack_args("vegeta", "t.jsonl", "concurrency", 5, 2, 5)
    assert {"-rate=0", "-max-workers=5", "-workers=5"} <= set(closed)
    assert "-redirects=-1" in open_loop and "-redirects=-1" in closed  # a 3xx is the answer


def test_generator_verdict():
    assert generator_verdict("rate", 100, 99.5, 10) == (True, "")
    ok, note = generator_verdict("rate", 100, 90, 10)
    assert not ok and "sent 90.0/s < 99% of target 100/s" in note
    ok, note = generator_verdict("concurrency", None, 500, 97)
    assert not ok and "vegeta CPU-bound" in note


def test_sampler_sees_cpu_of_children_in_the_tree():
    # A parent that sleeps and a child that spins: only a tree-wide sum sees the load.
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'while True: pass']); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        time.sleep(0.5)
        sampler = TreeSampler({"server": parent.pid}, interval_s=0.2).start()
        time.sleep(1.2)
        samples = sampler.stop()
    finally:
        import os
        import signal
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
    cpu = [s.cpu_percent for s in samples if s.process == "server"]
    assert len(cpu) >= 4
    assert max(cpu) > 50 and sum(cpu) / len(cpu) > 40  # one spinning core, summed over the tree
    assert all(s.rss_bytes > 0 for s in samples)


def test_live_count_follows_a_growing_results_file(tmp_path):
    from collector.attack import LiveCount

    path = tmp_path / "r.csv"
    live = LiveCount(path)
    live.update()  # not created yet
    assert (live.results, live.successes) == (0, 0)
    path.write_bytes(b"1795305502670528600,200,1,0,0,,,,0,GET,http://h/,\n1795305502670528601,50")
    live.update()
    assert (live.results, live.successes) == (1, 1)  # the half-written record waits
    with open(path, "ab") as fh:
        fh.write(b"0,1,0,0,boom,,,1,GET,http://h/,\n1795305502670528602,0,1,0,0,x,,,2,GET,u,\n")
    live.update()
    assert (live.results, live.successes) == (3, 1)


def test_old_server_logs_are_pruned_to_the_newest(tmp_path):
    import os

    from collector.server import prune_logs

    for i in range(6):
        log = tmp_path / f"uvicorn-w1-{9000 + i}.log"
        log.write_text(f"start {i}\n")
        os.utime(log, (1_700_000_000 + i, 1_700_000_000 + i))  # log i is the i-th newest start
    (tmp_path / "notes.txt").write_text("not a server log")
    prune_logs(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt", "uvicorn-w1-9004.log", "uvicorn-w1-9005.log"]


def test_large_bodies_grow_the_example_to_the_size():
    from collector.payload import grow_body, size_text
    from collector.plan import parse_size

    example = {"name": "small", "data": {"a": 1, "b": 2}}
    for size in (1_000, 250_000, 1_000_003):
        body = grow_body(example, size)
        entry = len('"k100000":1,')
        assert size <= len(body) < size + entry
        doc = json.loads(body)
        assert doc["name"] == "small" and set(doc["data"].values()) == {1}
    listed = json.loads(grow_body({"items": [{"x": 1}], "n": 2}, 500))
    assert listed["n"] == 2 and len(listed["items"]) > 10 and listed["items"][-1] == {"x": 1}
    with pytest.raises(PerfError, match="no object or array field"):
        grow_body({"name": "x", "description": "y"}, 1000)
    assert [parse_size(t) for t in ("25MB", "512KiB", "300", "1.5 mb")] == [
        25_000_000, 524_288, 300, 1_500_000]
    for bad in ("25 parsecs", "0MB", "-1MB"):
        with pytest.raises(PerfError, match="bad --large-body"):
            parse_size(bad)
    assert [size_text(n) for n in (25_000_000, 1_500_000, 512_000, 300)] == [
        "25MB", "1.5MB", "512KB", "300B"]
