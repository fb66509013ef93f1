"""The server under test: start uvicorn/gunicorn on a free loopback port, wait until it is
ready and idle, stop its whole process group. Or attach to a server that already runs (--url)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import signal
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

from perf.collector.server import processes
from perf.collector.load.sampler import TreeSampler
from perf.base.errors import PerfError
from perf.collector.settings.loopback import require_loopback
from perf.store.stats import REDIRECT_CODES
from perf.base.text import plural

READY_TIMEOUT_S = 30.0
IDLE_CPU_PERCENT = 20.0  # whole tree, 100 = one core
IDLE_PROBE_S = 0.1  # the readiness route answers within this when the server is idle
LOG_TAIL_LINES = 15
KEEP_LOGS = 50  # server logs kept in the log folder; each start writes one, so old ones go


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the app's answer, never followed: its Location may be another host, and the
    request carries the --header secrets (urllib then raises it as an HTTPError)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# Every request perf itself sends to the app (setup operations, readiness probes, the OpenAPI
# document) goes through this opener: redirects answered, not followed; and no proxy from the
# environment (http_proxy), since the app is on this machine and a proxy is not.
_OPENER = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))


def _open(request: urllib.request.Request | str, timeout: float):
    return _OPENER.open(request, timeout=timeout)


def http_call(method: str, url: str, headers: dict[str, str] | None = None,
              body: bytes | None = None, timeout: float = 60.0) -> int:
    """One request (a setup operation); its status code (a 3xx as it is: not followed)."""
    return http_exchange(method, url, headers, body, timeout)[0]


def http_exchange(method: str, url: str, headers: dict[str, str] | None = None,
                  body: bytes | None = None, timeout: float = 60.0,
                  limit: int = 1 << 20) -> tuple[int, dict[str, str], bytes]:
    """One request (a login); its status, headers and the first `limit` bytes of its body."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _open(request, timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read(limit)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read(limit)


@dataclass(frozen=True)
class ProbeAnswer:
    """What one readiness probe got: an HTTP status (and how long it took), or why not."""

    status: int | None  # None: no HTTP answer
    seconds: float | None
    detail: str  # "GET /openapi.json answered 404", "connection refused", ...

    @property
    def answered(self) -> bool:
        return self.status is not None


def probe(url: str, timeout: float = 1.0) -> ProbeAnswer:
    """GET `url` once, never raising: a status, or a plain reason it got none."""
    route = urllib.parse.urlsplit(url).path or "/"
    start = time.perf_counter()
    try:
        with _open(url, timeout) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        return ProbeAnswer(None, None, _no_answer(exc, timeout))
    seconds = time.perf_counter() - start
    return ProbeAnswer(status, seconds, answered("GET", route, status))


def answered(method: str, route: str, status: int) -> str:
    """'GET /health answered 307 (a redirect: perf does not follow them)'."""
    redirect = REDIRECT_CODES[0] <= status <= REDIRECT_CODES[1]
    moved = " (a redirect: perf does not follow them)" if redirect else ""
    return f"{method} {route} answered {status}{moved}"


def _no_answer(exc: Exception, timeout: float) -> str:
    reason = getattr(exc, "reason", exc)  # URLError wraps the socket's own error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g}s"
    if isinstance(reason, (http.client.HTTPException, ConnectionResetError)):
        return f"did not answer HTTP ({type(reason).__name__})"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return text


@dataclass(frozen=True)
class AppSpec:
    """The app perf starts, as uvicorn loads it, and the route that says it is ready."""

    app: str
    factory: bool = False
    app_dir: str | None = None
    python: str | None = None  # None: perf's own interpreter
    ready_path: str = "/openapi.json"
    # The OpenAPI document answering at all means the server is up (its status is read later,
    # by discovery); a health route the user names must answer 2xx.
    ready_needs_2xx: bool = False

    @property
    def interpreter(self) -> str:
        return self.python or sys.executable


@dataclass(frozen=True)
class AppFacts:
    """What importing the app told: where its OpenAPI document is (None: it serves none), and
    the uvicorn its interpreter has (the self-check names uvicorn's own stall by its version)."""

    openapi_url: str | None
    title: str | None
    uvicorn_version: str | None = None


_FACTS_MARK = "perf-app-facts:"
_INSPECT = """
import importlib, json, sys
app_dir, module, attr, factory = sys.argv[1:5]
if app_dir:
    sys.path.insert(0, app_dir)
obj = importlib.import_module(module)
for part in attr.split("."):
    obj = getattr(obj, part)
if factory == "1":
    obj = obj()
url = getattr(obj, "openapi_url", "/openapi.json")
title = getattr(obj, "title", None)
try:
    from importlib.metadata import version
    uvicorn_version = version("uvicorn")
except Exception:
    uvicorn_version = None
print("%s" + json.dumps({"openapi_url": url if isinstance(url, str) else None,
                        "title": title if isinstance(title, str) else None,
                        "uvicorn_version": uvicorn_version}))
""" % _FACTS_MARK


def inspect_app(spec: AppSpec) -> AppFacts:
    """Import the app once, in the interpreter that will serve it, to fail early with the
    import error itself, and to learn its own openapi_url."""
    module, _, attr = spec.app.partition(":")
    args = [spec.interpreter, "-c", _INSPECT, spec.app_dir or "", module, attr,
            "1" if spec.factory else "0"]
    # Started like a server (its own group, known to the reaper): an import that hangs must
    # not outlive perf.
    try:
        proc = processes.spawn(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise PerfError(f"cannot run {spec.interpreter}: {exc.strerror}") from None
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        raise PerfError(f"importing app {spec.app!r} took over 120s") from None
    finally:
        processes.stop_group(proc, grace_s=1.0)
    if proc.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        cause = lines[-1] if lines else f"exit code {proc.returncode}"
        hint = ""
        if "ModuleNotFoundError" in cause and not spec.python:
            hint = (f" (perf runs the app with {spec.interpreter}: install perf in the app's "
                    f"environment, or pass --python with the app's interpreter)")
        if "TypeError" in cause and spec.factory:
            hint = " (--factory calls it with no arguments)"
        raise PerfError(f"cannot import app {spec.app!r}: {cause}{hint}")
    for line in reversed(stdout.splitlines()):
        if line.startswith(_FACTS_MARK):
            facts = json.loads(line[len(_FACTS_MARK):])
            return AppFacts(facts["openapi_url"], facts["title"], facts.get("uvicorn_version"))
    raise PerfError(f"cannot import app {spec.app!r}: the import printed nothing perf understood")


IDLE_WINDOW_S = 0.2  # the CPU window of the idle check


class CpuWindow:
    """CPU of a whole process tree (100 = one core) from the moment it is opened: opened when
    an attack ends, it runs while perf stores that attack, so the idle check only waits for
    what is left of its window. A window that started earlier is longer, never shorter, and
    still covers the whole time since the attack: the check is as strict as before."""

    def __init__(self, pid: int):
        self.sampler = TreeSampler({"tree": pid}, interval_s=IDLE_WINDOW_S)
        self.sampler.tick(emit=False)
        self.opened = time.monotonic()

    def percent(self, window_s: float = IDLE_WINDOW_S) -> float:
        left = self.opened + window_s - time.monotonic()
        if left > 0:
            time.sleep(left)
        self.sampler.tick()
        return self.sampler.samples[-1].cpu_percent if self.sampler.samples else 0.0


@dataclass
class Server:
    """One running server; `kind` is uvicorn, gunicorn, or external (--url)."""

    kind: str
    workers: int | None
    base_url: str  # may carry a path prefix (--url http://127.0.0.1:8000/api)
    pid: int | None
    ready_path: str = "/openapi.json"
    ready_needs_2xx: bool = False
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    spec: AppSpec | None = None
    cpu_window: "CpuWindow | None" = None  # opened when the last attack ended

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop_group(self.proc)
            self.proc = None

    def exit_code(self) -> int | None:
        """The exit code of a server perf started, once it has exited (negative: the signal
        that ended it); None while it runs, and always for one perf did not start (--url)."""
        return self.proc.poll() if self.proc is not None else None

    def exit_note(self, code: int, when: str) -> str:
        """'uvicorn (1 worker) exited with code -9 (SIGKILL) during the last attack: <the
        cause its log gives> (log: <path>)'."""
        return _exited(f"{self.kind} ({plural(self.workers, 'worker')})", code, when,
                       self.log_tail(), self.log_path)

    def log_tail(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:])

    @property
    def ready_url(self) -> str:
        return self.base_url + self.ready_path

    def is_ready(self, answer: ProbeAnswer) -> bool:
        if self.ready_needs_2xx:
            return answer.status is not None and 200 <= answer.status < 300
        return answer.answered

    def open_cpu_window(self) -> None:
        """Start the next idle check's CPU window now (see CpuWindow)."""
        self.cpu_window = CpuWindow(self.pid) if self.pid else None

    def wait_idle(self, max_wait_s: float) -> bool:
        """True once CPU has settled and the readiness route answers fast; False if not
        within max_wait_s. The first CPU window is the one open_cpu_window opened, if any."""
        deadline = time.monotonic() + max_wait_s
        while True:
            if self.exit_code() is not None:
                return False  # it will never be idle: the caller says why (exit_note)
            window, self.cpu_window = self.cpu_window, None
            if window is None and self.pid:
                window = CpuWindow(self.pid)
            cpu = window.percent() if window is not None else 0.0
            answer = probe(self.ready_url)
            if (self.is_ready(answer) and answer.seconds < IDLE_PROBE_S
                    and cpu < IDLE_CPU_PERCENT):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


_EXCEPTION_LINE = re.compile(r"^\w+(Error|Exception)\b.*")


def _cause(log_tail: str, exceptions_only: bool = False) -> str:
    """The most telling line of a failed server's log: its exception, else its last line."""
    lines = [line.strip() for line in log_tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    if exceptions_only:
        return ""
    return lines[-1] if lines else "its log is empty"


def _command(kind: str, spec: AppSpec, workers: int, port: int) -> list[str]:
    # Log level info keeps start-up lines and tracebacks in the log; access lines stay off.
    if kind in ("uvicorn", "uvicorn-nodelay"):
        # uvicorn-nodelay: uvicorn --workers N with TCP_NODELAY on (collector/server/uvicorn_nodelay.py),
        # run by path: it needs only uvicorn, so it runs in the app's interpreter without perf.
        launcher = (["-m", "uvicorn"] if kind == "uvicorn"
                    else [str(Path(__file__).with_name("uvicorn_nodelay.py"))])
        args = [spec.interpreter, *launcher, spec.app, "--host", "127.0.0.1", "--port",
                str(port), "--workers", str(workers), "--no-access-log", "--log-level", "info"]
        if spec.factory:
            args.append("--factory")
        if spec.app_dir:
            args += ["--app-dir", spec.app_dir]
        return args
    if kind == "gunicorn":
        app = spec.app + ("()" if spec.factory else "")  # gunicorn calls "module:factory()"
        args = [spec.interpreter, "-m", "gunicorn", app, "--worker-class",
                _gunicorn_worker(spec.interpreter), "--workers", str(workers), "--bind",
                f"127.0.0.1:{port}", "--graceful-timeout", "5", "--log-level", "info"]
        if spec.app_dir:
            args += ["--pythonpath", spec.app_dir]
        return args
    raise PerfError(f"unknown --server {kind!r}: use uvicorn, gunicorn or uvicorn-nodelay")


def _gunicorn_worker(python: str) -> str:
    # uvicorn_worker is the maintained home of UvicornWorker; uvicorn.workers is deprecated.
    probe_code = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('uvicorn_worker') else 1)"
    if python == sys.executable:
        found = importlib.util.find_spec("uvicorn_worker") is not None
    else:
        found = subprocess.run([python, "-c", probe_code], capture_output=True).returncode == 0
    return "uvicorn_worker.UvicornWorker" if found else "uvicorn.workers.UvicornWorker"


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


def start_server(kind: str, app: str | AppSpec, workers: int, log_dir: Path,
                 env: dict | None = None, ready_timeout_s: float = READY_TIMEOUT_S) -> Server:
    """Start the app and wait until it answers HTTP on its readiness route. A port taken
    between probe and bind is retried elsewhere."""
    spec = app if isinstance(app, AppSpec) else AppSpec(app)
    log_dir.mkdir(parents=True, exist_ok=True)
    prune_logs(log_dir, KEEP_LOGS - 1)
    what = f"{kind} ({plural(workers, 'worker')})"
    for attempt in range(5):
        port = free_port()
        log_path = log_dir / f"{kind}-w{workers}-{port}.log"
        with open(log_path, "wb") as log:
            proc = processes.spawn(
                _command(kind, spec, workers, port),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
        server = Server(kind, workers, f"http://127.0.0.1:{port}", proc.pid, spec.ready_path,
                        spec.ready_needs_2xx, proc, log_path, spec)
        deadline = time.monotonic() + ready_timeout_s
        answer = ProbeAnswer(None, None, "no probe yet")
        while time.monotonic() < deadline and proc.poll() is None:
            answer = probe(server.ready_url)
            if server.is_ready(answer):
                return server
            time.sleep(0.1)
        code = proc.poll()  # read before stop(): stopping it gives it an exit code of our own
        tail = server.log_tail()
        server.stop()
        if "address already in use" in tail.lower() and attempt < 4:
            continue
        if code is not None:
            raise PerfError(_exited(what, code, "before it was ready", tail, log_path))
        raise PerfError(f"{what} not ready after {ready_timeout_s:g}s: last probe: "
                        f"{answer.detail}{_log_hint(tail)} (log: {log_path})")
    raise PerfError("could not find a free port on 127.0.0.1")


def _exited(what: str, code: int, when: str, tail: str, log_path: Path | None) -> str:
    """A server that exited, as one line: its exit code (and the signal, when one ended it),
    when, and the cause its log gives."""
    killed = ""
    if code < 0:
        try:
            killed = f" ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"{what} exited with code {code}{killed} {when}: {_cause(tail)} (log: {log_path})"


def _log_hint(tail: str) -> str:
    cause = _cause(tail, exceptions_only=True)
    return f"; the log says: {cause}" if cause else ""


def attach(url: str, pid: int | None, ready_path: str, ready_needs_2xx: bool) -> Server:
    """An already running server: its readiness route must answer HTTP now."""
    require_loopback(url)
    if pid is not None and not psutil.pid_exists(pid):
        raise PerfError(f"--pid {pid}: no such process")
    server = Server("external", None, url.rstrip("/"), pid, ready_path, ready_needs_2xx)
    answer = probe(server.ready_url, timeout=5.0)
    if not answer.answered:
        raise PerfError(f"--url {url} is unreachable: {answer.detail}")
    if not server.is_ready(answer):
        raise PerfError(f"--url {url} is not ready: {answer.detail} (--health-path routes must "
                        f"answer 2xx)")
    return server


def fetch_openapi(server: Server, path: str) -> dict:
    """The OpenAPI document at `path` under the server's base URL; with a base that carries a
    path prefix, also at the server's root (the prefix may be the app's own, or a proxy's)."""
    urls = [server.base_url + path]
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(server.base_url))
    if origin != server.base_url:
        urls.append(origin + path)
    answers = []
    for url in urls:
        try:
            with _open(url, 30.0) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            answers.append(answered("GET", urllib.parse.urlsplit(url).path, exc.code))
            continue
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            answers.append(_no_answer(exc, 30.0))
            continue
        try:
            spec = json.loads(body)
        except ValueError:
            answers.append(f"{url} is not JSON")
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
            answers.append(f"{url} is not an OpenAPI document (no paths)")
            continue
        return spec
    raise PerfError(f"no OpenAPI document: {'; '.join(answers)}; point --openapi-url at it, or "
                    f"give the requests with --targets FILE")
