"""A run's row in the store: written when a sweep or an ingest begins, closed when it ends."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import duckdb

from collector.environment import git_info, machine_info
from perf import __version__


def insert_run(con: duckdb.DuckDBPyConnection, *, status: str, label: str | None, target: str,
               config: dict, vegeta_version: str, with_git: bool = True) -> str:
    """Insert a run with this machine's facts (and the checkout's, for runs made here)."""
    run_id = uuid.uuid4().hex[:12]
    env = {**machine_info(), **(git_info() if with_git else {})}
    con.execute(
        """
        INSERT INTO runs (run_id, started_at, status, label, git_commit, git_branch, git_dirty,
            host, cpu_model, cpu_count, os, python_version, vegeta_version, perf_version,
            target, config)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [run_id, datetime.now(timezone.utc), status, label, env.get("git_commit"),
         env.get("git_branch"), env.get("git_dirty"), env["host"], env["cpu_model"],
         env["cpu_count"], env["os"], env["python_version"], vegeta_version, __version__,
         target, json.dumps(config)],
    )
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str) -> None:
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
        [status, datetime.now(timezone.utc), run_id],
    )
