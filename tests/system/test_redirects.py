"""Issue 19, defect 6: a redirect is the app's whole answer (perf never follows one). By default
it counts as success (vegeta's rule) and every output says so; `--success 2xx` makes it a
failure in every figure of the run: the stored successes, the Why section, the over-time chart
and the end of collect. Checked against the raw rows, counted here with numpy."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest

from perf.reporter.query.series import over_time
from tests.helpers import run_perf

pytestmark = pytest.mark.slow
APP = "tests.apps.streams_and_redirects:app"
TINY = ["--rates", "10", "--duration", "1s", "--warmup", "0", "--workers", "1"]


def _collect(tmp_path, *options: str):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", APP, *TINY, *options, "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc, store


def _figures(store):
    """(endpoint -> (stored successes, 2xx rows, 3xx rows, all rows)), and one attack id of a
    redirecting route."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        out, redirecting = {}, None
        for attack_id, endpoint, successes in con.execute(
                "SELECT attack_id, endpoint, successes FROM attacks JOIN attack_stats "
                "USING (attack_id)").fetchall():
            codes = con.execute("SELECT code FROM requests WHERE attack_id = ?",
                                [attack_id]).fetchnumpy()["code"].astype(int)
            out[endpoint] = (successes, int(np.sum((codes >= 200) & (codes <= 299))),
                             int(np.sum((codes >= 300) & (codes <= 399))), len(codes))
            if endpoint == "GET /old-catalog":
                redirecting = attack_id
        return out, redirecting
    finally:
        con.close()


def _report(tmp_path, store, *options: str) -> str:
    proc = run_perf(["report", "--store", str(store), *options], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout if "json" in options else " ".join(proc.stdout.split())  # unwrapped


def test_by_default_a_redirect_counts_as_success_and_every_output_says_so(tmp_path):
    proc, store = _collect(tmp_path)
    figures, _ = _figures(store)
    assert {"GET /old-catalog", "GET /login-page", "GET /catalog"} <= set(figures)
    redirects = sum(f[2] for f in figures.values())
    answers = sum(f[3] for f in figures.values())
    for endpoint, (successes, ok_2xx, ok_3xx, rows) in figures.items():
        assert successes == ok_2xx + ok_3xx == rows, endpoint  # 200-399, vegeta's rule
    assert figures["GET /old-catalog"][2] == figures["GET /old-catalog"][3] > 0
    said = (f"{redirects:,} of {answers:,} answers were redirects (3xx), counted as success; "
            f"perf does not follow them; use --success 2xx to count them as failures")
    assert said in proc.stderr
    assert said in _report(tmp_path, store)
    doc = json.loads(_report(tmp_path, store, "--format", "json"))
    assert said in doc["warnings"]
    assert "Success% = status 200-399." in _report(tmp_path, store)


def test_success_2xx_makes_a_redirect_a_failure_in_every_figure(tmp_path):
    proc, store = _collect(tmp_path, "--success", "2xx")
    figures, redirecting = _figures(store)
    for endpoint, (successes, ok_2xx, _, _) in figures.items():
        assert successes == ok_2xx, endpoint
    assert figures["GET /old-catalog"][0] == 0 and figures["GET /catalog"][0] > 0
    assert "counted as failures (--success 2xx)" in proc.stderr
    assert ("every request failed: GET /old-catalog: HTTP 308: a redirect (perf does not follow "
            "them; --success 2xx counts it as a failure)") in proc.stderr
    text = _report(tmp_path, store)
    assert "Success% = status 200-299 (--success 2xx)." in text
    assert "a redirect (perf does not follow them" in text  # the Why section
    with duckdb.connect(str(store), read_only=True) as con:
        config = json.loads(con.execute("SELECT config FROM runs").fetchone()[0])
        series = over_time(con, redirecting)
    assert config["success"] == "2xx"
    assert series.ok_t == [] and len(series.err_t) > 0  # every 308 drawn as an error


def test_a_run_collected_without_the_option_stores_no_rule(tmp_path):
    """Runs before --success and runs with the default store the same config."""
    _, store = _collect(tmp_path, "--endpoint", "GET /catalog")
    with duckdb.connect(str(store), read_only=True) as con:
        config = json.loads(con.execute("SELECT config FROM runs").fetchone()[0])
    assert "success" not in config


def test_an_unknown_rule_is_a_one_line_error(tmp_path):
    proc = run_perf(["collect", "--app", APP, "--success", "3xx", "--dry-run"], tmp_path)
    assert proc.returncode == 1  # as every settings error
    assert proc.stderr.strip().count("\n") == 0 and "2xx-3xx or 2xx" in proc.stderr, proc.stderr
