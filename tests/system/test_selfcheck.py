"""The keep-alive self-check and the uvicorn-nodelay fix, on real servers."""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from perf.collector.server.selfcheck import (
    STALL_MS,
    KeepAliveCheck,
    check_keepalive,
    stall_cause,
    uvicorn_stalls,
)
from perf.collector.server.server import AppSpec, start_server
from tests.helpers import NODELAY_OFF, REPO
from tests.unit.test_selfcheck import _HttpServer

APP = "target_app.main:app"

UVICORN = importlib.metadata.version("uvicorn")  # what perf's `uvicorn` kind runs here

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


@pytest.mark.serial
def test_a_slow_route_is_slow_both_ways_and_no_stall():
    server = _HttpServer(delay_s=0.06)
    try:
        check = check_keepalive(server.url, requests=6)
    finally:
        server.close()
    assert check.keepalive_ms >= 60 and check.fresh_ms >= 60
    assert not check.stall and check.note is None
