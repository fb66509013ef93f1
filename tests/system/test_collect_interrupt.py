"""Ctrl-C and SIGTERM in the middle of a sweep: quick exit, nothing left running, nothing lost."""

from __future__ import annotations

import signal
import subprocess
import time

import duckdb
import psutil
import pytest

from tests.helpers import PERF, REPO, perf_env

pytestmark = pytest.mark.slow


@pytest.mark.serial
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_finished_attacks_and_leaves_no_process(tmp_path, sig):
    store = tmp_path / "i.duckdb"
    proc = subprocess.Popen(
        [*PERF, "collect", "--filter", "/api/simple", "--rates", "20", "--duration", "2s",
         "--workers", "1", "--warmup", "0", "--store", str(store)],
        cwd=REPO, env=perf_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True,
    )
    seen: set[int] = set()
    lines = []
    deadline = time.monotonic() + 90
    # Wait until the first attack is stored and the second one is under way.
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        seen.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
        if line.startswith("[2/"):
            break
    assert any(l.startswith("[1/3] GET") and "requests" in l for l in lines), "".join(lines)
    time.sleep(0.7)  # mid-attack: vegeta and the server are both busy
    seen.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
    assert len(seen) >= 2  # the server and vegeta were running
    sent_at = time.monotonic()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    took = time.monotonic() - sent_at
    assert took < 10, f"took {took:.1f}s to stop"
    assert proc.returncode == 128 + sig, "".join(lines) + out  # 130 SIGINT, 143 SIGTERM
    assert "partial" in out
    alive = [p for p in seen if psutil.pid_exists(p)
             and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert alive == []
    con = duckdb.connect(str(store), read_only=True)
    status = con.execute("SELECT status FROM runs").fetchall()
    kept = con.execute(
        "SELECT count(*), min((SELECT count(*) FROM requests r WHERE r.attack_id = a.attack_id))"
        " FROM attacks a"
    ).fetchone()
    con.close()
    assert status == [("partial",)]
    assert kept[0] >= 1 and kept[1] >= 35  # the finished attack, whole (20/s for 2 s)
