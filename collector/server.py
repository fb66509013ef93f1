"""The server under test: start uvicorn/gunicorn on a free loopback port, wait until it is
ready and idle, stop its whole process group. Or attach to a server that already runs (--url)."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from collector import processes
from collector.sampler import TreeSampler
from perf.errors import PerfError

READY_TIMEOUT_S = 30.0
IDLE_CPU_PERCENT = 20.0  # whole tree, 100 = one core
IDLE_HEALTH_S = 0.1
LOG_TAIL_LINES = 15
KEEP_LOGS = 50  # server logs kept in the log folder; each start writes one, so old ones go


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def http_post(url: str, timeout: float = 60.0) -> int:
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def health_latency(base_url: str) -> float | None:
    """Seconds /health took to answer 2xx, or None when it did not."""
    start = time.perf_counter()
    try:
        status, _ = http_get(base_url + "/health", timeout=1.0)
    except (OSError, ValueError):
        return None
    return time.perf_counter() - start if 200 <= status < 300 else None


def tree_cpu_percent(pid: int, window_s: float = 0.2) -> float:
    """CPU of a whole process tree over a short window, 100 = one core."""
    sampler = TreeSampler({"tree": pid}, interval_s=window_s)
    sampler.tick(emit=False)
    time.sleep(window_s)
    sampler.tick()
    return sampler.samples[-1].cpu_percent if sampler.samples else 0.0


def check_importable(app: str, python: str = sys.executable) -> None:
    """Fail early, with the import error itself, when the app cannot be imported."""
    module, _, attr = app.partition(":")
    if not module or not attr:
        raise PerfError(f"bad --app {app!r}: expected MODULE:ATTRIBUTE, e.g. target_app.main:app")
    code = (
        "import importlib, sys\n"
        f"m = importlib.import_module({module!r})\n"
        f"getattr(m, {attr!r})\n"
    )
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
        raise PerfError(f"cannot import app {app!r}: {lines[-1] if lines else 'unknown error'}")


@dataclass
class Server:
    """One running server; `kind` is uvicorn, gunicorn, or external (--url)."""

    kind: str
    workers: int | None
    base_url: str
    pid: int | None
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    app: str | None = None

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop_group(self.proc)
            self.proc = None

    def log_tail(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def wait_idle(self, max_wait_s: float) -> bool:
        """True once CPU has settled and /health answers fast; False if not within max_wait_s."""
        deadline = time.monotonic() + max_wait_s
        while True:
            latency = health_latency(self.base_url)
            cpu = tree_cpu_percent(self.pid) if self.pid else 0.0
            if latency is not None and latency < IDLE_HEALTH_S and cpu < IDLE_CPU_PERCENT:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


_EXCEPTION_LINE = re.compile(r"^\w+(Error|Exception)\b.*")


def _cause(log_tail: str) -> str:
    """The most telling line of a failed server's log: its exception, else its last line."""
    lines = [line.strip() for line in log_tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else "(empty log)"


def _command(kind: str, app: str, workers: int, port: int) -> list[str]:
    if kind == "uvicorn":
        return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    if kind == "gunicorn":
        return [sys.executable, "-m", "gunicorn", app, "--worker-class", _gunicorn_worker(),
                "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                "--graceful-timeout", "5", "--log-level", "warning"]
    raise PerfError(f"unknown --server {kind!r}: use uvicorn or gunicorn")


def _gunicorn_worker() -> str:
    # uvicorn_worker is the maintained home of UvicornWorker; uvicorn.workers is deprecated.
    if importlib.util.find_spec("uvicorn_worker"):
        return "uvicorn_worker.UvicornWorker"
    return "uvicorn.workers.UvicornWorker"


def prune_logs(log_dir: Path, keep: int) -> None:
    """Delete all but the `keep` newest server logs (every start writes one; nothing reads old ones)."""
    dated = []
    for log in log_dir.glob("*.log"):
        try:
            dated.append((log.stat().st_mtime, log))
        except FileNotFoundError:  # another perf (another store in this folder) pruned it
            pass
    for _, old in sorted(dated, reverse=True)[keep:]:
        old.unlink(missing_ok=True)


def start_server(kind: str, app: str, workers: int, log_dir: Path, env: dict | None = None,
                 ready_timeout_s: float = READY_TIMEOUT_S) -> Server:
    """Start and wait for /health. A port taken between probe and bind is retried elsewhere."""
    log_dir.mkdir(parents=True, exist_ok=True)
    prune_logs(log_dir, KEEP_LOGS - 1)
    for attempt in range(5):
        port = free_port()
        log_path = log_dir / f"{kind}-w{workers}-{port}.log"
        with open(log_path, "wb") as log:
            proc = processes.spawn(
                _command(kind, app, workers, port),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
        server = Server(kind, workers, f"http://127.0.0.1:{port}", proc.pid, proc, log_path, app)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if health_latency(server.base_url) is not None:
                return server
            time.sleep(0.1)
        tail = server.log_tail()
        server.stop()
        if "address already in use" in tail.lower() and attempt < 4:
            continue
        why = "exited" if proc.returncode is not None else f"not healthy after {ready_timeout_s:g}s"
        raise PerfError(
            f"{kind} ({workers} workers) did not become healthy ({why}): {_cause(tail)}; "
            f"log: {log_path}\n" + "\n".join(f"  | {line}" for line in tail.splitlines())
        )
    raise PerfError("could not find a free port on 127.0.0.1")


def require_loopback(url: str) -> None:
    """perf samples the server's processes and waits for them to go idle, so the server runs on
    this machine; and load never leaves it (a typo must not turn into a load test of a host)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise PerfError(f"--url {url}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PerfError(f"--url {url}: expected http://HOST:PORT, e.g. http://127.0.0.1:8000")
    host = parts.hostname
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise PerfError(f"--url {url}: perf only sends load to this machine's loopback address "
                        f"(127.0.0.1, localhost or [::1]), not to {host}")


def attach(url: str, pid: int | None) -> Server:
    """An already running server: it must answer /openapi.json (or /health) now."""
    require_loopback(url)
    base = url.rstrip("/")
    try:
        status, _ = http_get(base + "/openapi.json", timeout=3.0)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PerfError(f"--url {url} is unreachable: {reason}") from None
    if status >= 500:
        raise PerfError(f"--url {url} answered /openapi.json with HTTP {status}")
    if pid is not None and not psutil.pid_exists(pid):
        raise PerfError(f"--pid {pid}: no such process")
    return Server("external", None, base, pid)


def openapi(server: Server) -> dict:
    try:
        status, body = http_get(server.base_url + "/openapi.json", timeout=10.0)
    except OSError as exc:
        raise PerfError(f"cannot read {server.base_url}/openapi.json: {exc}") from None
    if status != 200:
        raise PerfError(f"{server.base_url}/openapi.json answered HTTP {status}")
    try:
        return json.loads(body)
    except ValueError:
        raise PerfError(f"{server.base_url}/openapi.json is not JSON") from None
