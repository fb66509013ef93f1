"""`perf report` as users call it: formats, --output, selection errors, locked and newer stores."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from tests.report_fixtures import build_store
from perf.store.metrics import METRICS


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "perf.duckdb"
    build_store(path)
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("perf: error: ")
    return lines[0]


def test_json_has_every_metric_with_units_and_the_run_metadata(store):
    doc = json.loads(run("report", "--store", str(store), "--format", "json").output)
    assert doc["format"] == "perf-report" and doc["version"] == 1
    assert list(doc["metrics"]) == list(METRICS)
    assert doc["metrics"]["latency_p99_ms"] == {"label": "P99", "unit": "ms", "higher_is_better": False}
    assert [r["run_id"] for r in doc["runs"]] == ["f6e5d4c3b2a1"]
    assert doc["runs"][0]["started_at"] == "2024-05-02T10:00:00Z"
    assert doc["runs"][0]["config"] == {"duration_s": 4, "rates": [20, 40]}
    attack = doc["attacks"][0]
    assert list(attack["metrics"]) == list(METRICS)
    assert {"attack_id", "endpoint", "workers", "mode", "target_rate", "generator_ok",
            "status_codes", "errors"} <= set(attack)
    flagged = [a for a in doc["attacks"] if not a["generator_ok"]]
    assert len(flagged) == 1 and "< 99% of target" in flagged[0]["generator_note"]
    rates = {(r["endpoint"], r["workers"]): r["rate"] for r in doc["max_sustainable_rate"]}
    assert rates[("GET /api/simple/async_blocking/{item_id}", 1)] == 20


def test_csv_is_one_row_per_attack(store):
    rows = list(csv.DictReader(io.StringIO(run("report", "--store", str(store), "--last", "2",
                                               "--format", "csv").output)))
    assert len(rows) == 24
    assert set(METRICS) <= set(rows[0])
    blocked = [r for r in rows if r["errors"]]
    assert blocked and all("503:10" in r["status_codes"] for r in blocked)


@pytest.mark.parametrize("suffix, check", [
    (".json", lambda text: json.loads(text)["format"] == "perf-report"),
    (".md", lambda text: text.startswith("## perf report")),
    (".csv", lambda text: text.startswith("run_id,")),
    (".txt", lambda text: text.startswith("perf report - run")),
])
def test_output_extension_picks_the_format(store, tmp_path, suffix, check):
    out = tmp_path / "sub" / f"report{suffix}"
    result = run("report", "--store", str(store), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert check(out.read_text())


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "unknown format 'xml'"),
    (["--output", "report.pdf"], "cannot tell the format of report.pdf"),
    (["--chart", "p99"], "unknown metric 'p99'; known: requests"),
    (["--run", "nope"], "no run with id, id prefix or label 'nope'; runs in the store: "
                        "f6e5d4c3b2a1, a1b2c3d4e5f6 (baseline)"),
    (["--label", "nightly"], "no run with results is labelled 'nightly'; labels in the store: baseline"),
    (["--endpoint", "GET /nope"], "no attack matches --endpoint GET /nope in run(s) f6e5d4c3b2a1; "
                                  "endpoints there: GET /api/simple/async/{item_id}"),
    (["--workers", "two"], "--workers takes whole numbers"),
    (["--run", "a1b2", "--last", "2"], "--run cannot be combined with --last or --label"),
])
def test_user_errors_are_one_line(store, args, message):
    assert message in error_line(run("report", "--store", str(store), *args))


def test_empty_and_missing_stores(tmp_path):
    missing = tmp_path / "missing.duckdb"
    assert "no store at" in error_line(run("report", "--store", str(missing)))
    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    assert "the store has no runs yet" in error_line(run("report", "--store", str(empty)))


def test_store_of_a_newer_schema(tmp_path):
    path = tmp_path / "new.duckdb"
    con = open_store(path)
    con.execute("UPDATE perf_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    assert "has schema v99, newer than this perf knows" in error_line(
        run("report", "--store", str(path)))


def test_store_env_var(store, monkeypatch):
    monkeypatch.setenv("PERF_STORE", str(store))
    result = run("report", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["runs"]


@pytest.mark.parametrize("prefix, endpoints", [
    ("/api/simple/async", {"GET /api/simple/async/{item_id}"}),  # not .../async_blocking
    ("/api/simple/async/", {"GET /api/simple/async/{item_id}"}),
    ("GET /api/simple/sync_threadpool", {"GET /api/simple/sync_threadpool/{item_id}"}),
    ("/api/simple", {"GET /api/simple/async/{item_id}", "GET /api/simple/sync_threadpool/{item_id}",
                     "GET /api/simple/async_blocking/{item_id}"}),
    ("/api/sim", set()),
])
def test_filter_matches_whole_path_segments_like_collect(store, prefix, endpoints):
    result = run("report", "--store", str(store), "--filter", prefix, "--format", "csv")
    if not endpoints:
        assert "no attack" in error_line(result)
        return
    assert {r["endpoint"] for r in csv.DictReader(io.StringIO(result.output))} == endpoints
