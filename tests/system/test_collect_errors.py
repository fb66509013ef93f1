"""Every expected failure of collect/ingest: a one-line message, exit 1, nothing half-stored."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import duckdb
import pytest

from perf.collector.server import server as server_mod
from perf.collector.server.server import free_port, start_server
from perf.store.database import open_store, writer_lock
from tests.helpers import REPO, run_perf


def _one_line_error(proc) -> str:
    assert proc.returncode == 1, proc.stderr
    # A failed server's log tail may follow, indented; perf itself never prints a traceback.
    assert not any("Traceback" in l for l in proc.stderr.splitlines() if not l.startswith("  | "))
    lines = [l for l in proc.stderr.splitlines() if l.startswith("perf: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


QUICK_ARGS = ["--rates", "10", "--duration", "1s", "--workers", "1", "--warmup", "0"]


def test_vegeta_missing(tmp_path):
    proc = run_perf(["collect", *QUICK_ARGS, "--store", str(tmp_path / "s.duckdb")], tmp_path,
                    PERF_VEGETA=str(tmp_path / "no-vegeta"))
    line = _one_line_error(proc)
    assert "vegeta not found" in line and "install" in line


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_folder_that_names_no_app_asks_for_one(tmp_path, dry_run):
    """Never the bundled demo app in a user's folder: it belongs to `make demo` and to an
    explicit --app target_app.main:app."""
    folder = tmp_path / "service"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "service"\n')
    proc = subprocess.run([sys.executable, "-m", "perf.cli", "collect", *dry_run, "--quick",
                           "--store", str(tmp_path / "s.duckdb")], cwd=folder,
                          capture_output=True, text=True, timeout=60)
    line = _one_line_error(proc)
    assert line.startswith("perf: error: which app? pass --app MODULE:ATTR") and "--url" in line
    assert proc.stdout == "" and not (tmp_path / "s.duckdb").exists()


def test_a_history_folder_is_read_never_written(tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    proc = run_perf(["collect", *QUICK_ARGS, "--store", str(folder)], tmp_path)
    line = _one_line_error(proc)
    assert f"{folder} is a history folder" in line and "perf export" in line
    assert list(folder.iterdir()) == []


def test_app_import_fails(tmp_path):
    proc = run_perf(["collect", "--app", "no_such_module.main:app", *QUICK_ARGS,
                     "--store", str(tmp_path / "s.duckdb")], tmp_path)
    line = _one_line_error(proc)
    assert "cannot import app 'no_such_module.main:app'" in line
    assert "No module named 'no_such_module'" in line


def test_server_that_exits_says_so_with_its_cause(tmp_path):
    app_dir = tmp_path / "apps"
    app_dir.mkdir()
    (app_dir / "broken_app.py").write_text(textwrap.dedent("""
        from contextlib import asynccontextmanager
        from fastapi import FastAPI

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("database unreachable at start-up")
            yield

        app = FastAPI(lifespan=lifespan)
    """))
    proc = run_perf(["collect", "--app", "broken_app:app", "--app-dir", str(app_dir),
                     *QUICK_ARGS, "--store", str(tmp_path / "s.duckdb")], tmp_path)
    line = _one_line_error(proc)
    assert ("uvicorn (1 worker) exited with code 3 before it was ready: "
            "RuntimeError: database unreachable at start-up (log: ") in line
    log = line.rsplit("(log: ", 1)[1].rstrip(")")
    assert "Waiting for application startup" in open(log).read()  # start-up lines are kept


def test_server_that_never_gets_ready_says_what_the_probe_got(tmp_path):
    app_dir = tmp_path / "apps"
    app_dir.mkdir()
    (app_dir / "plain.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n"
                                      "@app.get('/ok')\ndef ok():\n    return 1\n")
    proc = run_perf(["collect", "--app", "plain:app", "--app-dir", str(app_dir),
                     "--health-path", "/healthz", "--start-timeout", "6s", *QUICK_ARGS,
                     "--store", str(tmp_path / "s.duckdb")], tmp_path)
    line = _one_line_error(proc)
    assert "uvicorn (1 worker) not ready after 6s: last probe: GET /healthz answered 404" in line


def test_busy_port_is_skipped_not_fatal(tmp_path, monkeypatch):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    ports = iter([busy.getsockname()[1]])
    monkeypatch.setattr(server_mod, "free_port", lambda host="127.0.0.1": next(ports, None) or free_port())
    monkeypatch.setenv("TARGET_APP_DB", str(tmp_path / "app.sqlite3"))
    monkeypatch.chdir(REPO)
    srv = start_server("uvicorn", "target_app.main:app", 1, tmp_path / "logs")
    try:
        assert srv.base_url != f"http://127.0.0.1:{busy.getsockname()[1]}"
        assert server_mod.probe(srv.ready_url).status == 200
    finally:
        srv.stop()
        busy.close()


def test_url_unreachable(tmp_path):
    port = free_port()
    proc = run_perf(["collect", "--url", f"http://127.0.0.1:{port}", *QUICK_ARGS,
                     "--store", str(tmp_path / "s.duckdb")], tmp_path)
    line = _one_line_error(proc)
    assert f"--url http://127.0.0.1:{port} is unreachable" in line


@pytest.mark.parametrize("url, expected", [
    ("http://10.1.2.3:8000", "only sends load to this machine's loopback address"),
    ("http://example.com", "not to example.com"),
    ("ftp://127.0.0.1:21", "expected http://HOST:PORT"),
    ("http://127.0.0.1:http", "Port could not be cast"),
])
def test_url_must_be_loopback(tmp_path, url, expected):
    proc = run_perf(["collect", "--url", url, *QUICK_ARGS, "--store", str(tmp_path / "s.duckdb")],
                    tmp_path)
    assert expected in _one_line_error(proc)
    assert not (tmp_path / "s.duckdb").exists() or _count_runs(tmp_path / "s.duckdb") == 0


def test_no_endpoint_matches(tmp_path):
    proc = run_perf(["collect", "--filter", "/api/nothing-here", *QUICK_ARGS,
                     "--store", str(tmp_path / "s.duckdb")], tmp_path)
    line = _one_line_error(proc)
    assert "no operation matches /api/nothing-here; the app has: " in line
    assert "/api/simple (3), " in line and "/items (3)" in line
    assert not (tmp_path / "s.duckdb").exists() or _count_runs(tmp_path / "s.duckdb") == 0


def _count_runs(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("args, expected", [
    (["--rates", "fast"], "bad --rates value 'fast'"),
    (["--rates", "-5"], "bad --rates value '-5'"),
    (["--duration", "ten"], "bad --duration 'ten'"),
    (["--duration", "0s"], "bad --duration '0s'"),
    (["--concurrency", "0"], "bad --concurrency value '0'"),
    (["--timeout", "5 parsecs"], "bad --timeout '5 parsecs'"),
])
def test_bad_rate_or_duration_syntax(tmp_path, args, expected):
    proc = run_perf(["collect", *args, "--store", str(tmp_path / "s.duckdb")], tmp_path)
    assert expected in _one_line_error(proc)


@pytest.mark.parametrize("args, message, where", [
    # click's own wording (and its "did you mean" hints) may vary by version; our frame may not.
    (["collect", "--ratez", "5"], "No such option '--ratez'.", "perf collect"),
    (["collect", "--server", "nginx"], "Invalid value for '--server': 'nginx' is not one of",
     "perf collect"),
    (["report", "--last"], "Option '--last' requires an argument.", "perf report"),
    (["ingest"], "give vegeta result FILES to store (or --spooled)", "perf ingest"),
    (["reprot"], "No such command 'reprot'.", "perf"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message, where):
    proc = run_perf(args, tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"perf: error: {message}")
    assert line.endswith(f"(see `{where} --help`)")
    assert proc.stdout == ""


def test_store_locked_by_another_perf(tmp_path):
    store = tmp_path / "s.duckdb"
    with writer_lock(store, "collect"):
        proc = run_perf(["collect", *QUICK_ARGS, "--store", str(store)], tmp_path)
    line = _one_line_error(proc)
    assert f"store {store} is in use by perf collect (pid " in line


def test_store_of_newer_schema(tmp_path):
    store = tmp_path / "s.duckdb"
    con = open_store(store)
    con.execute("UPDATE perf_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    proc = run_perf(["collect", *QUICK_ARGS, "--store", str(store)], tmp_path)
    line = _one_line_error(proc)
    assert "schema v99, newer than this perf knows" in line


def test_store_held_open_by_another_process_names_it(tmp_path, vegeta):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    # Real vegeta results (every request refused: nothing listens on port 1).
    results = tmp_path / "refused.bin"
    with open(results, "wb") as out:
        subprocess.run([str(vegeta), "attack", "-rate=5/1s", "-duration=1s"],
                       input=b"GET http://127.0.0.1:1/\n", stdout=out, check=True, timeout=30)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(store)!r}); print('held', flush=True);"
         " time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = run_perf(["ingest", str(tmp_path / "missing.bin"), "--store", str(store)], tmp_path)
        line = _one_line_error(proc)
        assert f"is locked by process {holder.pid}" in line or "no such file" in line
        proc = run_perf(["ingest", str(results), "--store", str(store)], tmp_path)
        assert f"is locked by process {holder.pid}" in _one_line_error(proc)
    finally:
        holder.kill()
        holder.wait()


def test_large_bodies_need_a_body_to_grow(tmp_path):
    store = tmp_path / "p.duckdb"
    proc = run_perf(["collect", "--filter", "/items", "--large-body", "1MB", "--rates", "5",
                     "--duration", "1s", "--workers", "1", "--store", str(store)], tmp_path)
    line = _one_line_error(proc)
    assert line.startswith("perf: error: --large-body grows an endpoint's example body")
    assert "GET /items, POST /items, GET /items/{item_id} have none" in line
    assert not store.exists()  # refused before any run was recorded
