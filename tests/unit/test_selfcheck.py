"""The keep-alive self-check's judgement against small in-process HTTP servers: stalls, slow
routes, budgets, no keep-alive, its stored row (tests/system/test_selfcheck.py runs it on real
uvicorn and gunicorn servers and checks the uvicorn-nodelay fix)."""

from __future__ import annotations

import socket
import threading
import time

from perf.collector.server.selfcheck import (
    GENERIC_CAUSE,
    KeepAliveCheck,
    check_keepalive,
    insert_check,
    stall_cause,
)
from perf.collector.server.server import free_port
from perf.store.database import store_session


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
