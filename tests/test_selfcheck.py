"""The keep-alive self-check and the uvicorn-nodelay fix, on real servers."""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psutil
import pytest

from perf.collector.server.selfcheck import (GENERIC_CAUSE, STALL_MS, KeepAliveCheck, check_keepalive,
                                 insert_check, stall_cause, uvicorn_stalls)
from perf.collector.server.server import AppSpec, free_port, start_server
from perf.store.database import store_session
from tests.helpers import NODELAY_OFF, REPO

APP = "target_app.main:app"
UVICORN = importlib.metadata.version("uvicorn")  # what perf's `uvicorn` kind runs here


@pytest.fixture
def serve(tmp_path):
    """start(kind, workers, env) -> a running target_app; every one is stopped at the end."""
    started = []

    def start(kind: str, workers: int, env: dict | None = None):
        server = start_server(kind, APP, workers, tmp_path / "logs",
                              env={"TARGET_APP_DB": str(tmp_path / "app.sqlite3"), **(env or {})})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _check_finds(check: KeepAliveCheck, stalls: bool, cause: str) -> None:
    assert check.keepalive_ms is not None and check.fresh_ms is not None
    assert check.fresh_ms < STALL_MS  # a fresh connection is never held
    assert check.stall is stalls
    if stalls:
        # The delayed ACK of a Linux client: ~40 ms on every kept-alive response (200 ms at most).
        assert 30 <= check.keepalive_ms - check.fresh_ms < 200
        assert check.note.startswith("responses on kept-alive connections stall ~")
        assert check.note.endswith(": " + cause)
    else:
        assert check.keepalive_ms < STALL_MS
        assert check.note is None


@pytest.mark.serial
@pytest.mark.slow
@pytest.mark.parametrize("kind, workers, stalls", [
    ("uvicorn", 1, False),  # one worker: asyncio binds the listener itself, as a TCP socket
    ("uvicorn", 2, True),
    ("gunicorn", 2, False),  # gunicorn sets TCP_NODELAY on its listener
    ("uvicorn-nodelay", 2, False),
    ("uvicorn-nodelay", 1, False),
])
def test_the_probe_flags_the_stall_exactly_where_it_occurs(serve, kind, workers, stalls):
    """Every server started with TCP_NODELAY left off wherever uvicorn < 0.55 left it off
    (tests/nodelay_off): the check finds the stall there and only there, and perf's fix
    (uvicorn-nodelay) and gunicorn have none, whatever uvicorn is installed."""
    server = serve(kind, workers, NODELAY_OFF)
    url = server.base_url + "/openapi.json"
    start = time.monotonic()
    check = check_keepalive(url, server=kind, workers=workers, uvicorn_version=UVICORN)
    elapsed = time.monotonic() - start
    assert check.url == url
    _check_finds(check, stalls, stall_cause(kind, workers, UVICORN))
    if stalls:
        assert elapsed < 5  # 20 stalled requests take ~1 s


@pytest.mark.serial
@pytest.mark.slow
def test_perfs_uvicorn_kind_stalls_only_if_the_installed_uvicorn_has_the_bug(serve):
    """The installed uvicorn as perf runs it, nothing patched: 0.55.0 and later bind the
    --workers listener as a TCP socket and never stall; older ones do, and the check names
    uvicorn and its version as the cause."""
    server = serve("uvicorn", 2)
    check = check_keepalive(server.base_url + "/openapi.json", server="uvicorn", workers=2,
                            uvicorn_version=UVICORN)
    has_bug = uvicorn_stalls("uvicorn", 2, UVICORN)
    _check_finds(check, has_bug, f"TCP_NODELAY is off (uvicorn {UVICORN} --workers > 1; fixed in "
                                 f"0.55.0)")


@pytest.mark.slow
def test_uvicorn_nodelay_stops_with_its_workers_on_sigterm_to_the_group(serve):
    server = serve("uvicorn-nodelay", 2)
    tree = psutil.Process(server.pid).children(recursive=True)
    assert len([p for p in tree if "spawn_main" in " ".join(p.cmdline())]) == 2  # the workers
    log = server.log_path
    server.stop()  # SIGTERM to the process group, as for every kind
    gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive
    with pytest.raises(ProcessLookupError):
        os.killpg(server.pid, 0)
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
def test_uvicorn_nodelay_on_a_taken_port_says_so_like_uvicorn(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, str(REPO / "collector" / "server" / "uvicorn_nodelay.py"), APP, "--port",
             str(port), "--workers", "2", "--log-level", "warning", "--app-dir", str(REPO)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={**os.environ, "TARGET_APP_DB": str(tmp_path / "app.sqlite3")})
    assert proc.returncode == 3  # uvicorn's STARTUP_FAILURE
    # perf.collector.server.server retries another port when the log says this.
    assert "address already in use" in proc.stderr.lower()


OWN_APP = """
import importlib.util

from fastapi import FastAPI

import server  # the app's own module, not perf's collector/server/server.py


def create():
    app = FastAPI()

    @app.get("/who")
    def who():
        # perf's own modules (collector/load/sampler.py) are not on the app's path
        return {"module": server.NAME, "sampler": importlib.util.find_spec("sampler") is not None}

    return app
"""


@pytest.mark.serial
@pytest.mark.slow
def test_uvicorn_nodelay_serves_an_app_factory_from_its_own_folder(tmp_path):
    """perf runs the launcher by path in the app's interpreter: the app's folder, not perf's
    collector/, decides what `import server` means, and --factory works as in uvicorn."""
    app_dir = tmp_path / "svc"
    app_dir.mkdir()
    (app_dir / "main.py").write_text(OWN_APP)
    (app_dir / "server.py").write_text('NAME = "svc"\n')
    spec = AppSpec("main:create", factory=True, app_dir=str(app_dir))
    server = start_server("uvicorn-nodelay", spec, 2, tmp_path / "logs", env=NODELAY_OFF)
    try:
        with urllib.request.urlopen(server.base_url + "/who", timeout=5) as resp:
            assert json.loads(resp.read()) == {"module": "svc", "sampler": False}
        check = check_keepalive(server.base_url + "/openapi.json", "uvicorn-nodelay", 2)
    finally:
        server.stop()
    assert check.stall is False and check.keepalive_ms < STALL_MS


def test_a_server_that_never_answers_costs_the_budget_and_no_exception():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections; nobody reads them
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/openapi.json"
        start = time.monotonic()
        check = check_keepalive(url, budget_s=1.0)
        elapsed = time.monotonic() - start
    assert elapsed < 2.0
    assert check == KeepAliveCheck(url, check.checked_at, None, None, False, check.note)
    assert "timed out" in check.note and "no verdict" in check.note


def test_nothing_listening_is_a_note_not_an_exception():
    url = f"http://127.0.0.1:{free_port()}/openapi.json"
    check = check_keepalive(url)
    assert (check.keepalive_ms, check.fresh_ms, check.stall) == (None, None, False)
    assert check.note.startswith("keep-alive probe incomplete: kept-alive request failed: ")
    assert "refused" in check.note.lower()


def test_a_bad_url_is_a_note_not_an_exception():
    check = check_keepalive("ftp://127.0.0.1/x")
    assert not check.stall
    assert check.note == "probe not run: not an http(s) URL: ftp://127.0.0.1/x"


class _HttpServer:
    """A tiny HTTP/1.1 server on a thread: answers every request after `delay_s`, and either
    keeps the connection alive or closes it; counts the connections it accepted."""

    def __init__(self, delay_s: float = 0.0, keep_alive: bool = True):
        self.delay_s, self.keep_alive = delay_s, keep_alive
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/ready"
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn, conn.makefile("rb") as reader:
            while True:
                lines = []
                while (line := reader.readline()) not in (b"\r\n", b""):
                    lines.append(line)
                if not lines:
                    return
                time.sleep(self.delay_s)
                header = b"" if self.keep_alive else b"Connection: close\r\n"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + header + b"\r\nok")
                if not self.keep_alive:
                    return

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def test_one_connection_carries_every_kept_alive_request():
    server = _HttpServer()
    try:
        check = check_keepalive(server.url, requests=10)
    finally:
        server.close()
    assert not check.stall and check.note is None
    assert server.connections == 1 + 10  # one kept alive, ten fresh


@pytest.mark.serial
def test_a_slow_route_is_slow_both_ways_and_no_stall():
    server = _HttpServer(delay_s=0.06)
    try:
        check = check_keepalive(server.url, requests=6)
    finally:
        server.close()
    assert check.keepalive_ms >= 60 and check.fresh_ms >= 60
    assert not check.stall and check.note is None


def test_a_slow_route_beyond_the_budget_gives_what_it_measured():
    server = _HttpServer(delay_s=0.1)
    try:
        start = time.monotonic()
        check = check_keepalive(server.url, requests=20, budget_s=0.8)
        elapsed = time.monotonic() - start
    finally:
        server.close()
    assert elapsed < 1.2
    assert check.keepalive_ms is None and not check.stall
    assert "time budget of 0.8s spent" in check.note or "timed out" in check.note
    assert "no verdict" in check.note


def test_a_server_without_keep_alive_is_said_so():
    server = _HttpServer(keep_alive=False)
    try:
        check = check_keepalive(server.url)
    finally:
        server.close()
    assert not check.stall
    assert "closes connections after each response" in check.note


def test_the_cause_names_uvicorn_only_for_its_versions_with_the_bug_and_workers():
    from perf.collector.server.selfcheck import stall_warning

    assert stall_warning(43.4, 1.0, "uvicorn", 2, "0.54.0") == (
        "responses on kept-alive connections stall ~42 ms: TCP_NODELAY is off "
        "(uvicorn 0.54.0 --workers > 1; fixed in 0.55.0)")
    assert stall_cause("uvicorn", 4, "0.29.0rc1").startswith("TCP_NODELAY is off (uvicorn 0.29.0rc1")
    for version in ("0.55.0", "0.55.1", "1.0", "0.100.2"):  # fixed: another cause stalls it
        assert stall_warning(43.4, 1.0, "uvicorn", 2, version).endswith(": " + GENERIC_CAUSE)
    assert stall_warning(43.4, 1.0, "uvicorn", 2, None).endswith(": " + GENERIC_CAUSE)
    assert stall_warning(43.4, 1.0, "uvicorn", 2, "unknown").endswith(": " + GENERIC_CAUSE)
    assert stall_warning(43.4, 1.0, "uvicorn", 1, "0.54.0").endswith(": " + GENERIC_CAUSE)
    assert stall_warning(43.4, 1.0, "external", None, "0.54.0").endswith(": " + GENERIC_CAUSE)
    assert stall_warning(43.4, 1.0, "gunicorn", 4, "0.54.0").endswith(": " + GENERIC_CAUSE)


def test_a_check_is_stored_as_a_server_checks_row(store_path):
    from datetime import datetime, timezone

    check = KeepAliveCheck("http://127.0.0.1:1/openapi.json",
                           datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                           43.5, 0.9, True, "responses on kept-alive connections stall ~43 ms: x")
    with store_session(store_path) as con:
        first = insert_check(con, "run1", "uvicorn", 2, check)
        second = insert_check(con, "run1", "uvicorn", 1, check)
        rows = con.execute(
            "SELECT check_id, run_id, server, workers, epoch(checked_at), url, keepalive_ms, "
            "fresh_ms, stall, note FROM server_checks ORDER BY check_id").fetchall()
    assert second == first + 1
    assert rows[0] == (first, "run1", "uvicorn", 2, 1735787045.0, check.url, 43.5, 0.9, True,
                       check.note)
    assert rows[1][3] == 1
