"""Real `perf collect` on every app of the corpus (tests/apps): none has /health, few have an
OpenAPI example; each gets only the options its manifest names (a token, a value). Its plan
is checked, then every operation perf attacks must succeed on >= 99% of its requests."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.apps.corpus import BY_NAME, CORPUS
from tests.helpers import run_perf

pytestmark = pytest.mark.slow

TINY = ["--rates", "10", "--duration", "1s", "--workers", "1", "--warmup", "0"]


@pytest.mark.parametrize("entry", CORPUS, ids=[app.name for app in CORPUS])
def test_corpus_app_is_planned_and_attacked_successfully(tmp_path, entry):
    plan = run_perf(["collect", *entry.options(), "--dry-run", "--format", "json"], tmp_path)
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert tuple(op["endpoint"] for op in planned["operations"]) == entry.attacked
    skipped = {s["endpoint"]: s["reason"] for s in planned["skipped"]}
    for name, reason in entry.skipped.items():
        assert reason in skipped.get(name, ""), (name, skipped)
    for name, value in entry.headers:  # a token never appears in the plan
        assert value not in plan.stdout

    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", *entry.options(), *TINY, "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("""SELECT a.endpoint, s.requests, s.successes
                              FROM attacks a JOIN attack_stats s USING (attack_id)""").fetchall()
        config = con.execute("SELECT config FROM runs").fetchone()[0]
    finally:
        con.close()
    assert sorted(r[0] for r in rows) == sorted(entry.attacked)
    for endpoint, requests, successes in rows:
        # vegeta stops at its duration: starved of CPU in the parallel pass it may send 8 of the
        # 10 it planned. Success is what this test is about; a handful of requests suffices.
        assert requests >= 5 and successes >= 0.99 * requests, (endpoint, requests, successes)
    for name, value in entry.headers:  # nor in what the store keeps of the run
        assert value not in config


def test_a_route_that_fails_on_purpose_is_explained(tmp_path):
    entry = BY_NAME["flaky"]
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", entry.app, "--endpoint", "GET /crash", *TINY,
                     "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = [l for l in proc.stderr.splitlines() if l.startswith("every request failed")]
    assert line.startswith("every request failed: GET /crash: HTTP 500")
    assert "the app failed; its traceback is in the server log" in line
    log = line.rsplit("(", 1)[1].rstrip(")")
    assert "RuntimeError: this route fails on purpose" in open(log).read()
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT code, body FROM error_samples").fetchall() == [
            (500, b"Internal Server Error")]
    finally:
        con.close()
