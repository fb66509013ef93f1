"""The server self-check run at every server start: do kept-alive connections stall?

A server that leaves TCP_NODELAY off (uvicorn < 0.55 with --workers N > 1, see
collector/server/uvicorn_nodelay.py; any server handed a listener bound with proto 0; some proxies and
hand-written servers) holds the tail of every response after the first on a connection until the client ACKs the
head, and Linux clients delay that ACK ~40 ms. vegeta keeps connections alive, so every latency
it measures on such a server carries the stall: a 50 ms endpoint shows p50 ~92 ms.

The probe: `requests` sequential GETs of one fast route over ONE kept-alive HTTP/1.1
connection, interleaved with as many GETs each on a fresh connection (whose first response is
never held: a new connection starts in quick-ACK mode). Both medians are kept; the first
request of the kept-alive connection is not counted (it is a fresh one). A stall is a
kept-alive median at least STALL_MS above the fresh one: the stall adds time, whatever the
route costs. The probe never raises for a slow or broken server: it is bounded by `budget_s`
and says in `note` what it could not measure.

    check = check_keepalive("http://127.0.0.1:8000/openapi.json", server="uvicorn", workers=2)
    check.stall, check.note  # True, "responses on kept-alive connections stall ~43 ms: ..."
    check_id = insert_check(con, run_id, "uvicorn", 2, check)  # a server_checks row
"""

from __future__ import annotations

import http.client
import re
import ssl
import statistics
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

STALL_MS = 30.0  # a delayed ACK costs ~40 ms on Linux; scheduling noise stays far below
REQUESTS = 20  # each way; a stalled probe then takes ~1 s
BUDGET_S = 5.0
MIN_MEASURED = 5  # fewer requests measured (each way) than this and there is no verdict
# uvicorn before 0.55.0 bound its `--workers N` listener with proto 0 (see
# collector/server/uvicorn_nodelay.py); 0.55.0 binds it with IPPROTO_TCP and no longer stalls.
UVICORN_FIXED = (0, 55, 0)
GENERIC_CAUSE = ("the server likely leaves TCP_NODELAY off, so each response waits for the "
                 "client's delayed ACK")


@dataclass(frozen=True)
class KeepAliveCheck:
    """One probe's result: the columns of a `server_checks` row besides run/server/workers."""

    url: str
    checked_at: datetime
    keepalive_ms: float | None  # median on one kept-alive connection; None: not measured
    fresh_ms: float | None  # median with a fresh connection each; None: not measured
    stall: bool
    note: str | None  # the warning when stall; else what could not be measured; else None


def uvicorn_stalls(server: str | None, workers: int | None, uvicorn_version: str | None) -> bool:
    """Is this the known uvicorn stall: perf's `uvicorn` kind, several workers, and a uvicorn
    (in the app's interpreter) older than the release that fixed it? An unknown version
    (a server perf did not start) is not assumed to be one."""
    return (server == "uvicorn" and (workers or 1) > 1
            and _release(uvicorn_version) is not None and _release(uvicorn_version) < UVICORN_FIXED)


def _release(version: str | None) -> tuple[int, ...] | None:
    """(0, 54, 0) of "0.54.0" (or "0.54.0rc1"); None when it does not start with numbers."""
    parts = []
    for piece in (version or "").split(".")[:3]:
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts) if parts else None


def stall_cause(server: str | None, workers: int | None, uvicorn_version: str | None = None) -> str:
    if uvicorn_stalls(server, workers, uvicorn_version):
        fixed = ".".join(map(str, UVICORN_FIXED))
        return f"TCP_NODELAY is off (uvicorn {uvicorn_version} --workers > 1; fixed in {fixed})"
    return GENERIC_CAUSE


def stall_warning(keepalive_ms: float, fresh_ms: float, server: str | None,
                  workers: int | None, uvicorn_version: str | None = None) -> str:
    return (f"responses on kept-alive connections stall ~{keepalive_ms - fresh_ms:.0f} ms: "
            f"{stall_cause(server, workers, uvicorn_version)}")


class _ProbeConnections:
    """The connections of one probe, each request bounded by what is left of the budget."""

    def __init__(self, url: str, budget_s: float):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self.tls = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.deadline = time.monotonic() + budget_s
        self.kept: http.client.HTTPConnection | None = None

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def _connection(self) -> http.client.HTTPConnection:
        timeout = max(self.left(), 0.01)
        if self.tls:  # loopback only (perf refuses other hosts): the certificate is the user's
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=ssl._create_unverified_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    @staticmethod
    def _get(conn: http.client.HTTPConnection, target: str, headers: dict) -> tuple[float, bool]:
        """Seconds one GET took, whole body read; and whether the server will close."""
        start = time.perf_counter()
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - start, response.will_close

    def kept_alive(self) -> float:
        if self.kept is None:
            self.kept = self._connection()
            _, closes = self._get(self.kept, self.target, {})  # the connection's first: not counted
            if closes:
                raise _NoKeepAlive
        self.kept.timeout = max(self.left(), 0.01)
        if self.kept.sock is not None:
            self.kept.sock.settimeout(self.kept.timeout)
        elapsed, closes = self._get(self.kept, self.target, {})
        if closes:
            raise _NoKeepAlive
        return elapsed

    def fresh(self) -> float:
        conn = self._connection()
        try:
            return self._get(conn, self.target, {"Connection": "close"})[0]
        finally:
            conn.close()

    def close(self) -> None:
        if self.kept is not None:
            self.kept.close()


class _NoKeepAlive(Exception):
    """The server closes the connection after each response."""


def check_keepalive(url: str, server: str | None = None, workers: int | None = None,
                    requests: int = REQUESTS, budget_s: float = BUDGET_S,
                    uvicorn_version: str | None = None) -> KeepAliveCheck:
    """Probe `url` (a fast GET route); `server`, `workers` and the app's `uvicorn_version` only
    choose the words of the cause."""
    checked_at = datetime.now(timezone.utc)
    kept: list[float] = []
    fresh: list[float] = []
    problems: list[str] = []
    try:
        conn = _ProbeConnections(url, budget_s)
    except ValueError as exc:
        return KeepAliveCheck(url, checked_at, None, None, False, f"probe not run: {exc}")
    try:
        for _ in range(requests):
            if conn.left() <= 0:
                problems.append(f"time budget of {budget_s:g}s spent")
                break
            for series, measure, name in ((kept, conn.kept_alive, "kept-alive"),
                                          (fresh, conn.fresh, "fresh")):
                try:
                    series.append(measure())
                except _NoKeepAlive:
                    raise
                except (OSError, http.client.HTTPException) as exc:
                    problems.append(f"{name} request failed: {_reason(exc)}")
                    raise _Stop from None
    except _NoKeepAlive:
        problems.append("the server closes connections after each response (no keep-alive)")
    except _Stop:
        pass
    finally:
        conn.close()
    return _verdict(url, checked_at, kept, fresh, problems, requests, server, workers,
                    uvicorn_version)


class _Stop(Exception):
    """A request failed: the probe ends with what it has."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "timed out (the time budget ran out)"
    return str(exc) or type(exc).__name__


def _verdict(url: str, checked_at: datetime, kept: list[float], fresh: list[float],
             problems: list[str], requests: int, server: str | None,
             workers: int | None, uvicorn_version: str | None) -> KeepAliveCheck:
    keepalive_ms = statistics.median(kept) * 1000 if len(kept) >= MIN_MEASURED else None
    fresh_ms = statistics.median(fresh) * 1000 if len(fresh) >= MIN_MEASURED else None
    if keepalive_ms is None or fresh_ms is None:
        problems.append(f"measured {len(kept)} kept-alive and {len(fresh)} fresh requests of "
                        f"{requests} (at least {MIN_MEASURED} each needed): no verdict")
    stall = (keepalive_ms is not None and fresh_ms is not None
             and keepalive_ms - fresh_ms >= STALL_MS)
    if stall:
        note = stall_warning(keepalive_ms, fresh_ms, server, workers, uvicorn_version)
    else:
        note = "keep-alive probe incomplete: " + "; ".join(problems) if problems else None
    return KeepAliveCheck(url, checked_at, keepalive_ms, fresh_ms, stall, note)


def insert_check(con: duckdb.DuckDBPyConnection, run_id: str, server: str | None,
                 workers: int | None, check: KeepAliveCheck) -> int:
    """Store one check as a `server_checks` row; returns its check_id (for attacks.check_id)."""
    (check_id,) = con.execute("SELECT nextval('check_ids')").fetchone()
    con.execute(
        """
        INSERT INTO server_checks (check_id, run_id, server, workers, checked_at, url,
                                   keepalive_ms, fresh_ms, stall, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [check_id, run_id, server, workers, check.checked_at, check.url, check.keepalive_ms,
         check.fresh_ms, check.stall, check.note],
    )
    return check_id
