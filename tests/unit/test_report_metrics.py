"""Every metric of `perf report`, recomputed independently (numpy / plain Python) from the same
raw rows: the vegeta CSV files the fixture store was ingested from."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from tests.report_fixtures import build_store
from perf.reporter.query import attacks as query
from perf.store.metrics import METRICS, format_value
from perf.reporter.report import build_report
from perf.reporter.query.selection import Selection


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "perf.duckdb"
    return path, build_store(path)


def expected_metrics(csv_path, samples) -> dict:
    """The DESIGN.md definitions, written out again without SQL."""
    with open(csv_path, newline="") as fh:
        rows = list(csv.reader(fh))
    ts = np.array([int(r[0]) for r in rows], dtype=np.int64)
    code = np.array([int(r[1]) for r in rows])
    latency = np.array([int(r[2]) for r in rows], dtype=np.int64)
    n = len(rows)
    ok = int(((code >= 200) & (code <= 399)).sum())
    duration = (int(ts.max()) - int(ts.min())) / 1e9
    wait = (int((ts + latency).max()) - int(ts.max())) / 1e9
    server = [s for s in samples if s.process == "server"]
    cpu = [s.cpu_percent for s in server]
    rss = [s.rss_bytes for s in server]
    q = np.percentile(latency, [50, 90, 95, 99, 99.9])  # numpy's default: linear interpolation
    cpu_avg = sum(cpu) / len(cpu)
    return {
        "requests": n,
        "successes": ok,
        "success_ratio": ok / n,
        "sent_rate": n / duration,
        "achieved_rps": ok / (duration + wait),
        "latency_mean_ms": latency.mean() / 1e6,
        "latency_p50_ms": q[0] / 1e6,
        "latency_p90_ms": q[1] / 1e6,
        "latency_p95_ms": q[2] / 1e6,
        "latency_p99_ms": q[3] / 1e6,
        "latency_p999_ms": q[4] / 1e6,
        "latency_max_ms": latency.max() / 1e6,
        "cpu_avg": cpu_avg,
        "cpu_max": max(cpu),
        "rss_avg_mb": sum(rss) / len(rss) / 1e6,
        "rss_max_mb": max(rss) / 1e6,
        "cpu_s_per_1k": cpu_avg / 100 * (duration + wait) / ok * 1000,
        "duration_s": duration,
        "wait_s": wait,
    }


def test_every_metric_of_every_attack_matches_an_independent_computation(fixture_store):
    path, stored = fixture_store
    con = open_store(path, read_only=True)
    try:
        summaries = query.summaries(con, sorted(stored))
    finally:
        con.close()
    assert [s.attack_id for s in summaries] == sorted(stored)
    for summary in summaries:
        source = stored[summary.attack_id]
        expected = expected_metrics(source["csv"], source["samples"])
        assert set(expected) == set(METRICS)
        for name, value in expected.items():
            assert summary.metric(name) == pytest.approx(value, rel=1e-12, abs=1e-12), (
                summary.endpoint, summary.target_rate, summary.workers, name)


def test_json_output_percentiles_equal_numpy_to_the_nanosecond(fixture_store):
    path, stored = fixture_store
    result = CliRunner().invoke(cli, ["report", "--store", str(path), "--last", "2",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert len(doc["attacks"]) == len(stored)
    for attack in doc["attacks"]:
        source = stored[attack["attack_id"]]
        expected = expected_metrics(source["csv"], source["samples"])
        for name in ("latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms",
                     "latency_p999_ms", "latency_mean_ms", "latency_max_ms"):
            assert abs(attack["metrics"][name] - expected[name]) < 1e-6  # 1 ns, in ms
        for name in ("requests", "successes", "success_ratio", "sent_rate", "achieved_rps"):
            assert attack["metrics"][name] == pytest.approx(expected[name], rel=1e-12)


def test_status_codes_and_error_kinds_count_every_request(fixture_store):
    path, stored = fixture_store
    con = open_store(path, read_only=True)
    try:
        statuses, errors = query.request_counts(con, sorted(stored))
    finally:
        con.close()
    for attack_id, source in stored.items():
        with open(source["csv"], newline="") as fh:
            rows = list(csv.reader(fh))
        codes: dict[int, int] = {}
        for r in rows:
            codes[int(r[1])] = codes.get(int(r[1]), 0) + 1
        assert statuses[attack_id] == codes
        assert sum(errors[attack_id].values()) == sum(1 for r in rows if r[5])
    timeouts = [e for e in errors.values() if e]
    assert timeouts, "the fixture has an overloaded attack"
    # The request (method + URL) is not part of an error's kind: 20 timeouts, one kind.
    assert timeouts[0] == {
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)": 20,
        "503 Service Unavailable": 10,
    }


def test_selection_picks_runs_and_attacks(fixture_store):
    path, _ = fixture_store
    con = open_store(path, read_only=True)
    try:
        latest = build_report(con, Selection(), with_history=False)
        assert [r.run_id for r in latest.runs] == ["f6e5d4c3b2a1"]
        assert len(latest.attacks) == 12
        by_label = build_report(con, Selection(runs=["baseline"]), with_history=False)
        assert [r.run_id for r in by_label.runs] == ["a1b2c3d4e5f6"]
        by_prefix = build_report(con, Selection(runs=["a1b2"]), with_history=False)
        assert by_prefix.runs == by_label.runs
        both = build_report(con, Selection(last=2, endpoints=["/api/simple/async/{item_id}"],
                                           workers=[2]), with_history=False)
        assert [r.run_id for r in both.runs] == ["a1b2c3d4e5f6", "f6e5d4c3b2a1"]
        assert {(a.run_id, a.endpoint, a.workers) for a in both.attacks} == {
            (run, "GET /api/simple/async/{item_id}", 2) for run in ("a1b2c3d4e5f6", "f6e5d4c3b2a1")}
        # Prefixes match whole path segments (as in collect): async_blocking is not under async.
        prefixed = build_report(con, Selection(prefixes=["/api/simple/async"]), with_history=False)
        assert {a.endpoint for a in prefixed.attacks} == {"GET /api/simple/async/{item_id}"}
        # History: the same cells in every run, oldest run first.
        full = build_report(con, Selection(endpoints=["GET /api/simple/async/{item_id}"]))
        assert [h.run_id for h in full.history] == ["a1b2c3d4e5f6"] * 4 + ["f6e5d4c3b2a1"] * 4
        assert {"started_at", "label", "git_commit", "latency_p99_ms"} <= set(full.history[0].as_dict())
    finally:
        con.close()


def test_format_value_uses_the_registry():
    assert format_value("success_ratio", 0.99512) == "99.51%"
    assert format_value("latency_p99_ms", 12.345) == "12.3"
    assert format_value("requests", 12345) == "12,345"
    assert format_value("cpu_avg", None) == "-"
