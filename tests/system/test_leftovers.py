"""perf killed outright (SIGKILL) leaves nothing behind: no process it started, even one whose
start-up blocks, and no scratch folder that others may read or that no one removes."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import PERF, REPO, perf_env, run_perf

pytestmark = pytest.mark.slow

TOKEN = "Bearer fake-token-kept-0600"
ONE_ATTACK = ["--endpoint", "GET /api/simple/async/{item_id}", "--rates", "10", "--workers", "1",
              "--warmup", "0"]


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


def _folder_name(pid: int, started_s: float, tail: str) -> str:
    return f"perf-collect-{pid}-{round(started_s * 1000)}-{tail}"


def test_a_killed_collect_leaves_a_private_folder_that_the_next_collect_removes(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    store = tmp_path / "s.duckdb"
    first = _start([*ONE_ATTACK, "--duration", "5s", "--header", f"Authorization: {TOKEN}",
                    "--store", str(store)], tmp_path, TMPDIR=str(tmp))
    seen: set[int] = set()
    lines = []
    for line in first.stderr:  # bounded: perf ends (and stderr closes) by itself
        lines.append(line)
        seen.update(p.pid for p in _descendants(first.pid))
        if line.startswith("[1/1]"):
            break
    time.sleep(1.0)  # mid-attack: the targets written, vegeta writing its results
    seen.update(p.pid for p in _descendants(first.pid))
    first.kill()
    first.wait(timeout=10)
    first.stderr.close()
    assert any(l.startswith("[1/1]") for l in lines), "".join(lines)
    assert _wait_gone(seen, 10) == []

    (left,) = tmp.iterdir()
    assert stat.S_IMODE(left.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in left.iterdir()}
    assert "targets.jsonl" in files and "attack.csv" in files, files
    assert set(files.values()) == {0o600}, files
    assert TOKEN in (left / "targets.jsonl").read_text()  # the secret the mode protects
    assert left.name.startswith(f"perf-collect-{first.pid}-")  # its owner, to tell it stale

    me = psutil.Process()
    live = tmp / _folder_name(me.pid, me.create_time(), "live")  # this test runs: not stale
    reused = tmp / _folder_name(me.pid, me.create_time() - 3600, "reused")  # pid reused since
    older = tmp / "perf-collect-q1w2e3r4"  # an older perf's name: no owner to prove gone
    for folder in (live, reused, older):
        folder.mkdir(mode=0o700)
        (folder / "targets.jsonl").write_text("{}\n")
    held = os.open(live, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as a live perf holds its folder (even if the clock steps)

    try:
        second = run_perf(["collect", *ONE_ATTACK, "--duration", "1s", "--store", str(store)],
                          tmp_path, TMPDIR=str(tmp))
    finally:
        os.close(held)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in tmp.iterdir()) == sorted([live.name, older.name])


# A perf started after the wall clock was stepped 5 s: Linux's start times (boot time + ticks)
# all move by the step, so the start in a live perf's folder name no longer matches its own.
_STEPPED_CLEANUP = """
import sys
import psutil._pslinux as linux
boot_time = linux.boot_time
linux.boot_time = lambda: boot_time() + 5
from perf.collector.storage import scratch
print(len(scratch.remove_stale(sys.argv[1])))
"""


@pytest.mark.skipif(not psutil.LINUX, reason="start times from the boot time: Linux")
def test_a_perf_after_a_clock_step_leaves_a_live_collects_folder_alone(tmp_path):
    """Seen in CI: a perf whose clock reading moved took a live collect's scratch folder for
    stale and removed it mid-attack; the attack was lost ("vegeta returned no results")."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    store = tmp_path / "s.duckdb"
    first = _start([*ONE_ATTACK, "--duration", "3s", "--store", str(store)], tmp_path, TMPDIR=str(tmp))
    lines = []
    for line in first.stderr:  # bounded: perf ends (and stderr closes) by itself
        lines.append(line)
        if line.startswith("[1/1]"):
            break
    time.sleep(1.0)  # mid-attack: vegeta writing its results into the folder
    cleanup = subprocess.run([sys.executable, "-c", _STEPPED_CLEANUP, str(tmp)],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    rest = first.stderr.read()
    first.wait(timeout=60)
    assert cleanup.returncode == 0 and cleanup.stdout.strip() == "0", cleanup.stderr
    assert first.returncode == 0, "".join(lines) + rest
    assert "1 attack stored (complete)" in rest
    assert list(tmp.iterdir()) == []  # removed by its own perf when it ended


def test_ingest_removes_the_folders_of_perfs_that_are_gone(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    gone = subprocess.Popen(["sleep", "0"])
    started = psutil.Process(gone.pid).create_time()
    gone.wait()
    stale = tmp / f"perf-ingest-{gone.pid}-{round(started * 1000)}-x"
    stale.mkdir()
    (stale / "results.csv").write_text("")
    results = tmp_path / "r.json"
    results.write_text(json.dumps({
        "attack": "", "seq": 0, "code": 200, "timestamp": "2020-01-01T00:00:00Z",
        "latency": 1000000, "bytes_out": 0, "bytes_in": 2, "error": "", "body": None,
        "method": "GET", "url": "http://127.0.0.1:8000/health", "headers": None}) + "\n")
    proc = run_perf(["ingest", str(results), "--store", str(tmp_path / "s.duckdb")], tmp_path,
                    TMPDIR=str(tmp))
    assert proc.returncode == 0, proc.stderr
    assert list(tmp.iterdir()) == []  # the stale folder, and ingest's own


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
