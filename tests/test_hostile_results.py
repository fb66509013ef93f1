"""Issue 21, the results path: against tests/apps/hostile.py, perf never follows a redirect
(load and secrets stay on this machine), stores attacks whose answers are megabytes long,
never stores a secret the app echoes back, and refuses results files that would lie."""

from __future__ import annotations

import base64
import os
import select
import shutil
import socket
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import psutil
import pytest

from collector.server import start_server
from tests.helpers import REPO, run_perf

HOSTILE = "tests.apps.hostile:app"
BIG, HUGE = 2_500_000, 25_000_000  # the app's defaults for /big and /huge
X_TOKEN, BEARER = "SECRET-XTOKEN-777", "SECRET-BEARER-888"


def query(store: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def one_error_line(proc) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("perf: error: "), proc.stderr
    return lines[0]


# ---- 1. redirects are answers, never followed -------------------------------------------

def _off_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return address.address
    return None


class Listener:
    """A real TCP listener on another address of this host: whatever connects is recorded."""

    def __init__(self, host: str):
        self.sock = socket.create_server((host, 0))
        self.address = (host, self.sock.getsockname()[1])
        self.url = f"http://{host}:{self.address[1]}/caught"
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.sock], [], [], 0.1)[0]:
                continue
            conn, _ = self.sock.accept()
            self.connections += 1
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ncaught")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener():
    host = _off_loopback_ipv4()
    if host is None:
        pytest.skip("this host has no IPv4 address besides loopback to redirect to")
    server = Listener(host)
    yield server
    server.close()


def test_a_redirect_to_another_host_is_stored_as_307_and_never_followed(tmp_path, listener):
    # Sanity: the listener does catch what reaches it (else "nothing received" proves nothing).
    probe = socket.create_connection(listener.address, timeout=2)
    probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
    probe.recv(100)
    probe.close()
    assert listener.connections == 1
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", HOSTILE, "--header", "X-Token: SECRET",
                     "--endpoint", "GET /redirect-ext", "--rates", "5", "--duration", "1s",
                     "--warmup", "0.5s", "--workers", "1",
                     "--background", "GET /redirect-ext rate=2", "--store", str(store)],
                    tmp_path, HOSTILE_REDIRECT_TO=listener.url)
    assert proc.returncode == 0, proc.stderr
    assert listener.connections == 1 and not any(b"SECRET" in r for r in listener.received[1:])
    assert query(store, "SELECT DISTINCT code FROM requests") == [(307,)]
    assert query(store, "SELECT count(*) FROM attacks") == [(3,)]  # alone, inside the mix, beside
    assert "5 requests, 100.0% ok (5 redirects, not followed)" in proc.stderr
    assert query(store, "SELECT status FROM runs") == [("complete",)]


def test_perfs_own_requests_answer_a_redirect_with_its_status(listener):
    """Setup operations, readiness probes and the OpenAPI document: a 3xx is the answer."""
    import http.server

    from collector.server import Server, fetch_openapi, http_call, probe
    from perf.errors import PerfError

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(307)
            self.send_header("Location", listener.url)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{app.server_address[1]}"
    try:
        assert http_call("POST", base + "/seed", {"X-Token": "SECRET"}, b"{}") == 307
        assert probe(base + "/openapi.json").status == 307
        with pytest.raises(PerfError, match="GET /openapi.json answered 307"):
            fetch_openapi(Server("external", None, base, None), "/openapi.json")
    finally:
        app.shutdown()
        app.server_close()
    assert listener.connections == 0
