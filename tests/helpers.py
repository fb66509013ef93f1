"""Small helpers for tests that run the real perf CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PERF = [sys.executable, "-m", "perf.cli"]
# On PYTHONPATH, makes every uvicorn started from that environment leave TCP_NODELAY off with
# --workers N, as uvicorn < 0.55 did (tests/nodelay_off/sitecustomize.py): a real stall for the
# self-check to find, whatever uvicorn is installed.
NODELAY_OFF = {"PYTHONPATH": str(REPO / "tests" / "nodelay_off")}
# A finished attack's progress line: "[2/3] GET /x @ 10/s [uvicorn w1]: 10 requests, ..." (or
# "...: 10 results, kept in the spool ...").
_RESULTS_SAID = re.compile(r"^\[\d+/\d+\] .*\]: (\d+) (?:requests|results)\b")


def results_said(lines) -> list[int]:
    """How many results vegeta returned for each finished attack, as perf's progress lines
    said while it ran, in order. What a test compares stored rows with: vegeta sends rate x
    duration requests only when it keeps pace (on two busy cores its last tick can land after
    the duration, and it sends one fewer)."""
    chunks = [lines] if isinstance(lines, str) else lines
    return [int(m[1]) for chunk in chunks for line in chunk.splitlines()
            if (m := _RESULTS_SAID.match(line))]


def perf_env(tmp_path: Path, **extra: str) -> dict:
    env = {**os.environ, "TARGET_APP_DB": str(tmp_path / "app.sqlite3"), **extra}
    env.pop("PERF_STORE", None)
    return env


def run_perf(args: list[str], tmp_path: Path, timeout: float = 180, **extra: str):
    """Run `perf ARGS` in the repo (so target_app imports) and return the CompletedProcess."""
    return subprocess.run(
        [*PERF, *args], cwd=REPO, env=perf_env(tmp_path, **extra), capture_output=True,
        text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def stored_successes(store) -> tuple[list[tuple[str, int, int]], dict]:
    """(endpoint, requests, successes) of every stored attack, and the run's config."""
    import json

    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("""SELECT a.endpoint, s.requests, s.successes
                              FROM attacks a JOIN attack_stats s USING (attack_id)""").fetchall()
        config = json.loads(con.execute("SELECT config FROM runs").fetchone()[0])
    finally:
        con.close()
    return rows, config


def first_results(results_json: Path, n: int) -> Path:
    """Keep the first `n` results of a vegeta JSON results file (a result a line), for a
    fixture that needs exactly n: it attacks for twice as long and keeps n, as rate x duration
    is what vegeta sends only when it keeps pace (see results_said)."""
    lines = results_json.read_bytes().splitlines(keepends=True)
    assert len(lines) >= n, f"vegeta returned {len(lines)} results, fewer than {n}"
    results_json.write_bytes(b"".join(lines[:n]))
    return results_json
