"""`perf collect`: the whole measurement, from plan to stored rows.

One server start per (server kind, worker count); every endpoint x load runs against it, each
attack stored in its own transaction the moment it ends. Whatever happens (error, Ctrl-C,
SIGTERM) the run is marked and every child process group is stopped.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from collector import processes
from collector.attack import run_attack
from collector.discovery import Endpoint, discover, select
from collector.environment import git_info, machine_info
from collector.ingest import store_attack
from collector.plan import SERVERS, Settings
from collector.server import Server, attach, check_importable, http_post, openapi, start_server
from collector.vegeta import find_vegeta, vegeta_version
from perf import __version__
from perf.errors import PerfError
from perf.store import resolve_store, store_session, writer_lock


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a sweep; carries what was kept."""

    def __init__(self, run_id: str, attacks: int):
        super().__init__(f"interrupted: run {run_id} kept {attacks} finished attack(s), marked partial")
        self.run_id, self.attacks = run_id, attacks


@dataclass
class Outcome:
    run_id: str
    attacks: int
    status: str


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def load_title(mode: str, load: float) -> str:
    return f"c={int(load)}" if mode == "concurrency" else f"{load:g}/s"


def _run_setup(server: Server, setup: list[Endpoint], progress) -> None:
    for endpoint in setup:
        url = endpoint.urls(server.base_url)[0]
        status = http_post(url)
        if not 200 <= status < 300:
            raise PerfError(f"setup {endpoint.name} answered HTTP {status}")
        progress.message(f"setup: {endpoint.name} -> {status}")


def _start(settings: Settings, workers: int | None, log_dir: Path) -> Server:
    if settings.url:
        return attach(settings.url, settings.pid)
    return start_server(settings.server, settings.app, workers, log_dir)


def _summary_line(con, attack_id: int) -> str:
    n, ok, first, last, end, flag, note = con.execute(
        """
        SELECT count(*), count(*) FILTER (code BETWEEN 200 AND 399), min(ts), max(ts),
               max(ts + latency_ns), any_value(a.generator_ok), any_value(a.generator_note)
        FROM requests r JOIN attacks a USING (attack_id) WHERE attack_id = ?
        """,
        [attack_id],
    ).fetchone()
    span = (end - first) / 1e9 if n else 0
    rps = ok / span if span > 0 else 0.0
    warn = "" if flag else f"  !! generator: {note}"
    return f"{n} requests, {100.0 * ok / n if n else 0:.1f}% ok, {rps:.1f} successful/s{warn}"


def _create_run(store: Path, settings: Settings, vegeta_path: Path, target: str) -> str:
    run_id = uuid.uuid4().hex[:12]
    env = {**machine_info(), **git_info()}
    config = {**settings.to_config(), "vegeta": str(vegeta_path)}
    with store_session(store) as con:
        con.execute(
            """
            INSERT INTO runs (run_id, started_at, status, label, git_commit, git_branch, git_dirty,
                host, cpu_model, cpu_count, os, python_version, vegeta_version, perf_version,
                target, config)
            VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [run_id, datetime.now(timezone.utc), settings.label, env["git_commit"],
             env["git_branch"], env["git_dirty"], env["host"], env["cpu_model"], env["cpu_count"],
             env["os"], env["python_version"], vegeta_version(vegeta_path), __version__, target,
             json.dumps(config)],
        )
    return run_id


def _finish_run(store: Path, run_id: str, status: str) -> None:
    with store_session(store) as con:
        con.execute(
            "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
            [status, datetime.now(timezone.utc), run_id],
        )


def collect(settings: Settings, store: str | None, vegeta: str | None, progress) -> Outcome:
    if settings.server not in SERVERS:
        raise PerfError(f"unknown --server {settings.server!r}: use {' or '.join(SERVERS)}")
    vegeta_path = find_vegeta(vegeta)
    if not settings.url:
        check_importable(settings.app)
    store_path = resolve_store(store)
    worker_counts: list[int | None] = [None] if settings.url else list(settings.workers)
    previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    scratch = Path(tempfile.mkdtemp(prefix="perf-collect-"))
    log_dir = store_path.parent / "logs"
    server: Server | None = None
    run_id, stored = None, 0
    try:
        with writer_lock(store_path, "collect"):
            progress.message(f"starting {settings.url or settings.server} "
                             f"({worker_counts[0] or 'external'} workers) ...")
            server = _start(settings, worker_counts[0], log_dir)
            found = discover(openapi(server), ids=settings.ids)
            endpoints = select(found.endpoints, settings.filters, settings.endpoints)
            if not endpoints:
                wanted = ", ".join(settings.filters + settings.endpoints)
                known = ", ".join(e.name for e in found.endpoints) or "none"
                raise PerfError(f"no endpoint matches {wanted}; the app has: {known}")
            target = settings.url or settings.app
            run_id = _create_run(store_path, settings, vegeta_path, target)
            loads = settings.loads
            total = len(worker_counts) * len(endpoints) * len(loads)
            progress.start(total, total * (settings.duration_s + settings.warmup_s))
            progress.message(f"run {run_id}: {len(endpoints)} endpoints x {len(loads)} "
                             f"{settings.mode}s x {len(worker_counts)} worker counts -> {store_path}")
            index = 0
            for n, workers in enumerate(worker_counts):
                if n > 0:
                    server.stop()
                    progress.message(f"starting {settings.server} ({workers} workers) ...")
                    server = _start(settings, workers, log_dir)
                if settings.setup:
                    _run_setup(server, found.setup, progress)
                for endpoint in endpoints:
                    targets = endpoint.write_targets(server.base_url, scratch / "targets.jsonl")
                    for load in loads:
                        index += 1
                        server = _ensure_idle(server, settings, found.setup, log_dir, progress)
                        title = (f"{endpoint.name} @ {load_title(settings.mode, load)} "
                                 f"[{server.kind} w{workers or '?'}]")
                        if settings.warmup_s > 0:
                            run_attack(vegeta_path, targets, scratch / "warmup.csv",
                                       mode=settings.mode, load=load, duration_s=settings.warmup_s,
                                       timeout_s=settings.timeout_s, server_pid=None)
                        progress.attack_started(index, title, settings.duration_s)
                        result = run_attack(
                            vegeta_path, targets, scratch / "attack.csv", mode=settings.mode,
                            load=load, duration_s=settings.duration_s,
                            timeout_s=settings.timeout_s, server_pid=server.pid,
                            on_tick=progress.tick,
                        )
                        attack = {
                            "run_id": run_id, "endpoint": endpoint.name,
                            "method": endpoint.method, "path": endpoint.path,
                            "server": server.kind, "workers": workers, "mode": settings.mode,
                            "target_rate": load if settings.mode == "rate" else None,
                            "concurrency": int(load) if settings.mode == "concurrency" else None,
                            "duration_s": settings.duration_s,
                            "started_at": result.started_at, "finished_at": result.finished_at,
                        }
                        with store_session(store_path) as con:
                            attack_id = store_attack(con, attack, [result.csv_path], result.samples)
                            line = _summary_line(con, attack_id)
                        stored += 1
                        progress.attack_done(f"{title}: {line}", settings.duration_s + settings.warmup_s)
            _finish_run(store_path, run_id, "complete")
            return Outcome(run_id, stored, "complete")
    except KeyboardInterrupt:
        if run_id:
            _finish_run(store_path, run_id, "partial")
            raise Interrupted(run_id, stored) from None
        raise
    except BaseException:
        if run_id:
            _finish_run(store_path, run_id, "partial" if stored else "failed")
        raise
    finally:
        progress.close()
        if server is not None:
            server.stop()
        processes.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous_handler)


def _ensure_idle(server: Server, settings: Settings, setup: list[Endpoint], log_dir: Path,
                 progress) -> Server:
    """A server still busy with the last attack's backlog would skew the next one: restart it."""
    if server.wait_idle(settings.idle_wait_s):
        return server
    if server.kind == "external":
        progress.message(f"warning: {server.base_url} is not idle after {settings.idle_wait_s:g}s")
        return server
    progress.message(f"{server.kind} not idle after {settings.idle_wait_s:g}s: restarting it")
    server.stop()
    fresh = start_server(server.kind, server.app, server.workers, log_dir)
    if settings.setup:
        _run_setup(fresh, setup, progress)
    return fresh
