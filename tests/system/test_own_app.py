"""perf collect on apps that are not target_app: no /health, the OpenAPI document elsewhere,
factories, a path prefix, a plan without attacking, and why requests failed."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import duckdb
import pytest

from perf.collector.server.server import AppSpec, start_server
from tests.helpers import run_perf

pytestmark = pytest.mark.slow

QUICK = ["--rates", "10", "--duration", "1s", "--workers", "1", "--warmup", "0"]

APP = textwrap.dedent("""
    from fastapi import FastAPI, Header, HTTPException

    def create_app() -> FastAPI:
        app = FastAPI(title="shop", openapi_url="/api/v1/openapi.json")

        @app.get("/api/v1/items/{item_id}")
        def item(item_id: int):
            return {"id": item_id}

        @app.get("/api/v1/private")
        def private(authorization: str | None = Header(default=None)):
            if authorization != "Bearer letmein":
                raise HTTPException(401, "Not authenticated")
            return {"ok": True}

        @app.get("/api/v1/broken")
        def broken():
            raise RuntimeError("kaput on purpose")

        return app

    app = create_app()
""")


@pytest.fixture
def app_dir(tmp_path):
    folder = tmp_path / "apps"
    folder.mkdir()
    (folder / "shop.py").write_text(APP)
    return folder


def _rows(store, sql: str, params=()):
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_factory_app_with_its_own_openapi_url_and_no_health_route(tmp_path, app_dir):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", "shop:create_app", "--factory", "--app-dir",
                     str(app_dir), *QUICK, "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    attacks = dict(_rows(store, """SELECT a.endpoint, st.successes::DOUBLE / st.requests
                                   FROM attacks a JOIN attack_stats st USING (attack_id)"""))
    assert attacks == {"GET /api/v1/items/{item_id}": 1.0, "GET /api/v1/private": 0.0,
                       "GET /api/v1/broken": 0.0}
    # Why they failed: one sample body per failing status code, as the app sent it.
    samples = dict(_rows(store, """SELECT e.code, e.body FROM error_samples e
                                   JOIN attacks a USING (attack_id) ORDER BY e.code"""))
    assert json.loads(samples[401]) == {"detail": "Not authenticated"}
    assert samples[500] == b"Internal Server Error"
    # ... and one line each at the end of the sweep, with the likely fix.
    assert ("every request failed: GET /api/v1/private: HTTP 401 (Not authenticated): the app "
            "wants credentials; send them with --login USER:PASSWORD (perf logs in) or --header") in proc.stderr
    line = next(l for l in proc.stderr.splitlines() if "GET /api/v1/broken" in l and "failed" in l)
    log = line.rsplit("(", 1)[1].rstrip(")")
    assert "RuntimeError: kaput on purpose" in open(log).read()  # the traceback is in the log

    # The reports say the same: never "< 10/s" for a route that refuses every request.
    text = run_perf(["report", "--store", str(store), "--width", "200"], tmp_path).stdout
    assert re.search(r"GET /api/v1/private +1 no success \(all 401\)", text)
    why = text.split("Why requests failed\n", 1)[1]
    assert ("GET /api/v1/private: 10 requests (100%): HTTP 401 (Not authenticated): the app "
            "wants credentials") in why
    doc = json.loads(run_perf(["report", "--store", str(store), "--format", "json"],
                              tmp_path).stdout)
    private = next(a for a in doc["attacks"] if a["endpoint"] == "GET /api/v1/private")
    assert private["error_samples"] == {"401": '{"detail":"Not authenticated"}'}
    rates = {r["endpoint"]: (r["rate"], r["failed"], r["failing_code"])
             for r in doc["max_sustainable_rate"]}
    assert rates["GET /api/v1/private"] == (None, True, 401)
    assert rates["GET /api/v1/items/{item_id}"] == (10.0, False, None)
    assert [(f["endpoint"], f["code"], f["requests"]) for f in doc["failures"]] == [
        ("GET /api/v1/private", 401, 10), ("GET /api/v1/broken", 500, 10)]


def test_dry_run_plans_without_attacking_or_storing(tmp_path, app_dir):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", "shop:app", "--app-dir", str(app_dir), "--dry-run",
                     "--methods", "GET", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("plan for shop:app\n")
    assert "OpenAPI document: /api/v1/openapi.json" in proc.stdout
    assert "attacked (3):" in proc.stdout
    assert not store.exists()
    proc = run_perf(["collect", "--app", "shop:app", "--app-dir", str(app_dir), "--dry-run",
                     "--format", "json", "--rates", "5,10", "--workers", "1,2", "--store",
                     str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert [op["endpoint"] for op in plan["operations"]] == [
        "GET /api/v1/items/{item_id}", "GET /api/v1/private", "GET /api/v1/broken"]
    assert plan["attacks"] == 3 * 2 * 2 and plan["openapi_path"] == "/api/v1/openapi.json"


def test_url_with_a_path_prefix_and_a_named_health_route(tmp_path):
    app_dir = tmp_path / "apps"
    app_dir.mkdir()
    (app_dir / "mounted.py").write_text(textwrap.dedent("""
        from fastapi import FastAPI
        api = FastAPI()

        @api.get("/healthz")
        def healthz():
            return {"ok": True}

        @api.get("/orders")
        def orders():
            return []

        app = FastAPI(openapi_url=None)
        app.mount("/svc", api)
    """))
    spec = AppSpec("mounted:app", app_dir=str(app_dir), ready_path="/svc/healthz",
                   ready_needs_2xx=True)
    srv = start_server("uvicorn", spec, 1, tmp_path / "logs")
    try:
        store = tmp_path / "s.duckdb"
        proc = run_perf(["collect", "--url", srv.base_url + "/svc", "--health-path", "/healthz",
                         "--rates", "10", "--duration", "1s", "--warmup", "0", "--store",
                         str(store)], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert srv.proc.poll() is None
    finally:
        srv.stop()
    # /healthz is the readiness route, not a scenario; /orders reached through the prefix.
    assert "skipped GET /healthz: the readiness route (--health-path)" in proc.stderr
    assert _rows(store, "SELECT endpoint, count(*) FROM attacks GROUP BY ALL") == [
        ("GET /orders", 1)]
    assert _rows(store, "SELECT DISTINCT code, url LIKE '%/svc/orders' FROM requests") == [
        (200, True)]


@pytest.mark.parametrize("server", ["uvicorn", "gunicorn"])
def test_another_interpreter_runs_the_app(tmp_path, app_dir, server):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", "shop:create_app", "--factory", "--app-dir",
                     str(app_dir), "--python", sys.executable, "--server", server,
                     "--endpoint", "GET /api/v1/items/{item_id}", *QUICK, "--store", str(store)],
                    tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _rows(store, "SELECT server, count(*) FROM requests JOIN attacks USING (attack_id) "
                        "WHERE code = 200 GROUP BY ALL") == [(server, 10)]
