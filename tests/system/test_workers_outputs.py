"""Issue 11 end to end: the self-check, capacity searches and worker scaling, collected by the
real `perf collect` (uvicorn, vegeta) or stored in a generated store, then read back through
every output: text, JSON, markdown, compare."""

from __future__ import annotations

import importlib.metadata
import json

import duckdb
import pytest
from markdown_it import MarkdownIt

from perf.collector.load.capacity import Capacity, Step, insert_capacity
from perf.collector.server.selfcheck import KeepAliveCheck, insert_check, stall_cause
from perf.store.database import store_session
from tests.fake_sweep import ALL_ENDPOINTS, add_run
from tests.helpers import NODELAY_OFF, run_perf

ASYNC = "GET /api/simple/async/{item_id}"
BLOCKING = "GET /api/simple/async_blocking/{item_id}"
STALL_CAUSE = "TCP_NODELAY is off (uvicorn --workers > 1)"


# --- the self-check, on real servers -------------------------------------------------------


@pytest.mark.serial
@pytest.mark.slow
def test_a_one_and_two_worker_sweep_flags_the_stall_for_two_workers_only(tmp_path):
    """uvicorn as it was before 0.55 (tests/nodelay_off): its 2-worker server stalls, and
    every output says so for the 2-worker attacks only, with the cause the installed uvicorn
    explains (its name and version where it has the bug, the generic words where it has not)."""
    store = tmp_path / "s.duckdb"
    cause = stall_cause("uvicorn", 2, importlib.metadata.version("uvicorn"))
    proc = run_perf(["collect", "--endpoint", ASYNC, "--workers", "1,2", "--rates", "20",
                     "--duration", "1s", "--warmup", "0", "--store", str(store)], tmp_path,
                    **NODELAY_OFF)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    checks = con.execute("SELECT check_id, workers, stall, note FROM server_checks "
                         "ORDER BY workers").fetchall()
    by_check = dict(con.execute("SELECT workers, check_id FROM attacks").fetchall())
    con.close()
    assert [(w, stall) for _, w, stall, _ in checks] == [(1, False), (2, True)]
    assert checks[1][3].endswith(": " + cause)
    assert by_check == {1: checks[0][0], 2: checks[1][0]}  # each attack names its server start
    # The collect output said so at the server start.
    assert " ".join(cause.split()) in " ".join((proc.stderr + proc.stdout).split())

    text = run_perf(["report", "--store", str(store), "--width", "100"], tmp_path)
    assert text.returncode == 0, text.stderr
    words = " ".join(text.stdout.split())  # the warning wraps at the width
    assert words.count(" ".join(cause.split())) == 1
    assert f"uvicorn, 2 workers: responses on kept-alive connections stall" in words

    doc = json.loads(run_perf(["report", "--store", str(store), "--format", "json"],
                              tmp_path).stdout)
    assert len(doc["warnings"]) == 1 and "2 workers" in doc["warnings"][0]
    stalls = {a["workers"]: a["server_stall"] for a in doc["attacks"]}
    assert stalls[1] is None and stalls[2].endswith(": " + cause)
    assert [c["stall"] for c in sorted(doc["server_checks"], key=lambda c: c["workers"])] == [
        False, True]


@pytest.mark.serial
@pytest.mark.slow
def test_uvicorn_nodelay_passes_its_self_check(tmp_path):
    """Where plain uvicorn stalls (tests/nodelay_off), the fix does not."""
    store = tmp_path / "n.duckdb"
    proc = run_perf(["collect", "--endpoint", ASYNC, "--workers", "2", "--server",
                     "uvicorn-nodelay", "--rates", "20", "--duration", "1s", "--warmup", "0",
                     "--store", str(store)], tmp_path, **NODELAY_OFF)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    checks = con.execute("SELECT server, workers, stall FROM server_checks").fetchall()
    con.close()
    assert checks == [("uvicorn-nodelay", 2, False)]
    report = run_perf(["report", "--store", str(store)], tmp_path)
    assert "TCP_NODELAY" not in report.stdout


# --- the capacity search, on a real server ---------------------------------------------------


@pytest.mark.serial
@pytest.mark.slow
def test_find_capacity_of_a_blocking_endpoint_is_one_over_its_delay(tmp_path):
    """`async_blocking` sleeps 100 ms inside `async def`: one worker serves 10 req/s at most.
    The search runs through `perf collect`, every attack stored, the result with them."""
    store = tmp_path / "c.duckdb"
    proc = run_perf(
        ["collect", "--find-capacity", "--slo", "p99<250ms,success>=99%", "--endpoint", BLOCKING,
         "--workers", "1", "--duration", "2s", "--warmup", "0", "--start-rate", "4",
         "--max-attacks", "6", "--store", str(store)],
        tmp_path, TARGET_APP_SIMPLE_DELAY_MS="100")
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    stored = con.execute("SELECT list(attack_id ORDER BY attack_id) FROM attacks").fetchone()[0]
    rate, passed, failed, ids, slo = con.execute(
        "SELECT rate, passed_attack, failed_attack, attack_ids, slo FROM capacity").fetchone()
    # The deciding attacks' figures from their raw rows, independently of the reporter.
    passed_p99 = con.execute(
        "SELECT quantile_cont(latency_ns, 0.99) / 1e6 FROM requests WHERE attack_id = ?",
        [passed]).fetchone()[0]
    passed_rate, failed_rate = (con.execute(
        "SELECT target_rate FROM attacks WHERE attack_id = ?", [i]).fetchone()[0]
        for i in (passed, failed))
    con.close()
    assert slo == "p99<250ms,success>=99%"
    assert sorted(ids) == stored and len(stored) <= 6  # every attack of the search is stored
    assert 7 <= rate <= 11 and passed_rate == rate
    assert failed is not None and rate < failed_rate <= 16
    assert 100 <= passed_p99 < 250

    doc = json.loads(run_perf(["report", "--store", str(store), "--format", "json"],
                              tmp_path).stdout)
    (found,) = doc["capacity"]
    assert found["rate"] == rate and found["lower_bound"] is False
    assert found["tested"] == sorted({found["rate"], failed_rate, *found["tested"]})
    text = run_perf(["report", "--store", str(store)], tmp_path).stdout
    assert "Sustainable RPS by worker count" in text and f"{rate:g}/s" in text


# --- every output, on a generated store ------------------------------------------------------


def _check(stall: bool) -> KeepAliveCheck:
    from datetime import datetime, timezone

    return KeepAliveCheck(url="http://127.0.0.1:8000/openapi.json",
                          checked_at=datetime(2025, 6, 2, 9, 29, tzinfo=timezone.utc),
                          keepalive_ms=44.0 if stall else 0.6, fresh_ms=0.9, stall=stall,
                          note=(f"responses on kept-alive connections stall ~43 ms: {STALL_CAUSE}"
                                if stall else None))


def _capacity(attack_ids: list[int], rates: list[float], rate: float) -> Capacity:
    steps = tuple(Step(r, r <= rate, (), i, False, {}) for i, r in zip(attack_ids, rates))
    passed = next(s for s in steps if s.rate == rate)
    failed = min((s for s in steps if s.rate > rate), key=lambda s: s.rate)
    return Capacity(slo="p99<100ms", rate=rate, passed=passed, failed=failed, steps=steps,
                    ending="bracketed", note=f"bracketed: meets at {rate:g}/s, misses at "
                                             f"{failed.rate:g}/s")


@pytest.fixture(scope="module")
def workers_store(tmp_path_factory):
    """Two runs, 1 and 2 workers of one endpoint: `base` stalls on 2 workers and found a
    capacity of 40/s (1 worker) and 80/s (2); `pr` keeps 40/s on 1 worker and drops to 60/s on
    2 (a capacity regression), on a server with no stall."""
    tmp = tmp_path_factory.mktemp("workers")
    path = tmp / "w.duckdb"
    endpoint = [e for e in ALL_ENDPOINTS if e.endpoint == BLOCKING]
    with store_session(path) as con:
        for run, label, found in (("run-base", "base", {1: 40, 2: 80}),
                                  ("run-pr", "pr", {1: 40, 2: 60})):
            ids = add_run(con, tmp, run, label=label, endpoints=endpoint, rates=(20, 40, 80),
                          workers=(1, 2), duration_s=2.0)
            for workers, attack_ids in ((1, ids[:3]), (2, ids[3:])):
                check = insert_check(con, run, "uvicorn", workers,
                                     _check(label == "base" and workers == 2))
                con.execute("UPDATE attacks SET check_id = ? WHERE list_contains(?, attack_id)",
                            [check, attack_ids])
                # The attacks at 20, 40 and 80/s, and one more the search would have run
                # (above 80/s, or between 40 and 80/s), stored under an id of its own.
                rate = float(found[workers])
                tried = [20.0, 40.0, 80.0] + ([] if rate == 40 else [120.0 if rate == 80 else rate])
                ids_tried = attack_ids + [attack_ids[-1] + 1000][:len(tried) - 3]
                insert_capacity(con, run, BLOCKING, "uvicorn", workers,
                                _capacity(ids_tried, tried, rate))
    return path


def test_every_report_output_shows_the_check_the_capacity_and_the_scaling(workers_store,
                                                                          tmp_path):
    store = str(workers_store)
    text = run_perf(["report", "--store", store, "--run", "base", "--width", "100"],
                    tmp_path).stdout
    assert "uvicorn, 2 workers: responses on kept-alive connections stall" in text
    assert "Sustainable RPS by worker count" in text
    assert "Worker scaling" in text and "Workers to run" in text
    # efficiency of 2 workers: 80 / (2 x 40) = 100%
    scaling_rows = [line for line in text.splitlines() if "100%" in line]
    assert scaling_rows, text

    doc = json.loads(run_perf(["report", "--store", store, "--run", "base", "--format", "json"],
                              tmp_path).stdout)
    assert [(c["workers"], c["rate"]) for c in doc["capacity"]] == [(1, 40.0), (2, 80.0)]
    (scaled,) = doc["scaling"]
    assert scaled["source"] == "capacity"
    assert [(c["workers"], c["rps"], c["efficiency"]) for c in scaled["workers"]] == [
        (1, 40.0, 1.0), (2, 80.0, 1.0)]
    assert len(doc["warnings"]) == 1

    md = run_perf(["report", "--store", store, "--run", "base", "--format", "markdown"],
                  tmp_path).stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    cells = [t.content for t in tokens if t.type == "inline"]
    assert any("Sustainable RPS by worker count" in c for c in cells)
    assert any(STALL_CAUSE in c for c in cells)
    assert "80/s" in cells and "40/s" in cells


def test_compare_calls_a_capacity_drop_a_regression_and_names_the_stall(workers_store, tmp_path):
    store = str(workers_store)
    proc = run_perf(["compare", "base", "pr", "--store", store], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    regression = [line for line in lines if "capacity" in line and "80" in line and "60" in line]
    assert regression, proc.stdout
    assert any(line.startswith("! base, 2 workers (3 cells): responses on kept-alive") for line in lines)

    doc = json.loads(run_perf(["compare", "base", "pr", "--store", store, "--format", "json"],
                              tmp_path).stdout)
    caps = {c["workers"]: c for c in doc["capacity"]}
    assert caps[2]["verdict"] == "worse" and caps[1]["verdict"] == "same"
    stalled = [c for c in doc["cells"] if c["server_stalls"]]
    assert stalled and all(c["cell"]["workers"] == 2 for c in stalled)


def test_the_dashboard_draws_the_capacity_and_scaling_panels_and_the_stall(workers_store,
                                                                           tmp_path):
    from tests.browser import chromium, open_report, TrapProxy
    from tests.browser import CHROMIUM, NO_ALERT, PLOTS, needs_chromium

    if needs_chromium.args[0]:
        pytest.skip(needs_chromium.kwargs["reason"])
    out = tmp_path / "w.html"
    proc = run_perf(["report", "--store", str(workers_store), "--run", "base", "--output",
                     str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    proxy = TrapProxy()
    try:
        with chromium(CHROMIUM, proxy) as browser:
            page, _, state = open_report(browser, out.as_uri(), before_load=NO_ALERT)
            assert state == "ready"
            plots = {p[0]: p for p in page.evaluate(PLOTS)}
            for plot in ("plot-capacity", "plot-scaling"):
                _, traces, drawn, hidden, _ = plots[plot]
                assert traces > 0 and drawn > 0 and not hidden, plot
            warning = page.inner_text("#server-warnings")
            notes = page.inner_text("#capacity")
            page.context.close()
    finally:
        proxy.close()
    assert "uvicorn, 2 workers" in warning and STALL_CAUSE in warning
    assert "meets at 80/s, misses at 120/s" in notes
