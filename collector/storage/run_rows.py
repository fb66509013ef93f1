"""A run's row in the store: written when a sweep or an ingest begins, closed when it ends,
and marked `partial` by the next writer when the process that wrote it died."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone

import duckdb
import psutil

from perf.collector.storage.environment import git_info, machine_info
from perf import __version__

RUN_COLUMNS = ("run_id", "started_at", "status", "label", "git_commit", "git_branch", "git_dirty",
               "host", "cpu_model", "cpu_count", "os", "python_version", "vegeta_version",
               "perf_version", "target", "config", "pid", "pid_started")

# A process's start time as psutil reads it twice: equal to well under this (seconds).
_SAME_START_S = 1.0


def run_row(*, status: str, label: str | None, target: str, config: dict, vegeta_version: str,
            with_git: bool = True) -> dict:
    """A new run: this machine's facts (and the checkout's, for runs made here), and the pid
    and start time of this process, so a later writer can tell whether it is still alive."""
    env = {**machine_info(), **(git_info() if with_git else {})}
    return {
        "run_id": uuid.uuid4().hex[:12], "started_at": datetime.now(timezone.utc),
        "status": status, "label": label, "git_commit": env.get("git_commit"),
        "git_branch": env.get("git_branch"), "git_dirty": env.get("git_dirty"),
        "host": env["host"], "cpu_model": env["cpu_model"], "cpu_count": env["cpu_count"],
        "os": env["os"], "python_version": env["python_version"],
        "vegeta_version": vegeta_version, "perf_version": __version__, "target": target,
        "config": json.dumps(config), "pid": os.getpid(),
        "pid_started": psutil.Process().create_time(),
    }


def store_run_row(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    con.execute(
        f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
        [row[c] for c in RUN_COLUMNS],
    )


def insert_run(con: duckdb.DuckDBPyConnection, **facts) -> str:
    """Insert a new run (see run_row for the facts); returns its id."""
    row = run_row(**facts)
    store_run_row(con, row)
    return row["run_id"]


def run_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [run_id for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall()]


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str,
               finished_at: datetime | None = None) -> None:
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
        [status, finished_at or datetime.now(timezone.utc), run_id],
    )


def process_alive(pid: int | None, started: float | None) -> bool:
    """Is the process that wrote a run (or made a scratch folder) still running? A reused
    pid is another process."""
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < _SAME_START_S
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # someone else's live process: not ours to judge


def reconcile_dead_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark `partial` every run left `running` by a process that is gone, keeping its attacks;
    one line each saying so. Called by whoever holds the writer lock, so no live perf can be
    writing these runs (a run without a pid predates v3, whose perf held the same lock)."""
    notes = []
    rows = con.execute(
        "SELECT run_id, pid, pid_started FROM runs WHERE status = 'running' ORDER BY started_at"
    ).fetchall()
    for run_id, pid, started in rows:
        if process_alive(pid, started):
            continue
        last = con.execute("SELECT max(finished_at) FROM attacks WHERE run_id = ?", [run_id]).fetchone()[0]
        finish_run(con, run_id, "partial", last)
        who = f"pid {pid}, which is gone" if pid else "a perf that is gone"
        notes.append(f"run {run_id} was left running by {who}: marked partial")
    return notes
