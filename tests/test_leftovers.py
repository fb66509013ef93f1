"""perf killed outright (SIGKILL) leaves nothing behind: no process it started, even one whose
start-up blocks, and no scratch folder that others may read or that no one removes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psutil
import pytest

from tests.helpers import PERF, REPO, perf_env

pytestmark = pytest.mark.slow


def _alive(pids: set[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.NoSuchProcess:
            pass
    return left


def _wait_gone(pids: set[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _command(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _start(args: list[str], tmp_path: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([*PERF, "collect", *args], cwd=REPO, env=perf_env(tmp_path, **env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_perf_killed_while_the_app_starts_leaves_no_process(tmp_path, workers):
    """The app's start-up blocks (a synchronous lifespan that sleeps): uvicorn only notes a
    SIGTERM then, and its workers are not perf's children. None may outlive perf."""
    perf = _start(["--app", "tests.apps.hostile:app", "--workers", str(workers),
                   "--start-timeout", "60s", "--store", str(tmp_path / "s.duckdb")],
                  tmp_path, HOSTILE_BLOCK_START="1")
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _descendants(perf.pid)
            seen.update(p.pid for p in now)
            commands = [_command(p) for p in now]
            server = [c for c in commands if "uvicorn tests.apps.hostile:app" in c]
            spawned = [c for c in commands if "multiprocessing.spawn" in c]
            if server and len(spawned) >= (workers if workers > 1 else 0):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"no server started: {perf.stderr.read()}")
        time.sleep(1.5)  # the workers import the app and enter its blocking lifespan
        seen.update(p.pid for p in _descendants(perf.pid))
        perf.kill()
        perf.wait(timeout=10)
        assert _wait_gone(seen, 8) == []
    finally:
        if perf.poll() is None:
            perf.kill()
        for pid in _alive(seen):  # the failure above is the report: leave nothing running
            os.kill(pid, signal.SIGKILL)
        perf.stderr.close()
