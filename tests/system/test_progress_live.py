"""The live progress display, as a terminal shows it: a real short `perf collect` whose stderr
is a pseudo-terminal, so perf draws its rich bars; the screen updates are read back and checked
against what the store holds."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

import duckdb
import pytest

from tests.helpers import PERF, REPO, perf_env

STYLE = re.compile(r"\x1b\[[0-9;]*m")  # colours: part of a line

CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")  # cursor moves: between lines

LIVE = re.compile(r"\[(\d+)/(\d+)\] .*?(\d+) results?\b")


def _screen_updates(data: bytes) -> list[str]:
    """Every line the terminal was shown (carriage returns and cursor moves split them)."""
    text = data.decode("utf-8", errors="replace")
    text = CONTROL.sub("\n", STYLE.sub("", text))
    return [line.strip() for line in re.split(r"[\r\n]", text) if line.strip()]


@pytest.mark.serial
@pytest.mark.slow
def test_live_counts_on_a_terminal_are_the_current_attacks(tmp_path):
    """Two attacks, the first at five times the second's rate: a counter that read the first
    attack's results file during the second would show more results than the second made."""
    store = tmp_path / "p.duckdb"
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
    proc = subprocess.Popen(
        [*PERF, "collect", "--endpoint", "GET /api/simple/async/{item_id}", "--rates", "50,10",
         "--duration", "2s", "--workers", "1", "--warmup", "0", "--store", str(store)],
        cwd=REPO, env=perf_env(tmp_path, COLUMNS="220", TERM="xterm-256color"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, start_new_session=True,
    )
    os.close(slave)
    data = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                data += chunk
            elif proc.poll() is not None:
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    lines = _screen_updates(data)
    assert proc.returncode == 0, "\n".join(lines[-20:])

    con = duckdb.connect(str(store), read_only=True)
    stored = [n for (n,) in con.execute(
        "SELECT count(*) FROM requests JOIN attacks USING (attack_id) GROUP BY attack_id, "
        "target_rate ORDER BY attack_id").fetchall()]
    con.close()
    assert len(stored) == 2 and stored[0] >= 90 and 15 <= stored[1] <= 25

    shown: dict[int, list[int]] = {1: [], 2: []}
    for line in lines:
        m = LIVE.search(line)
        if m and "elapsed" in line:  # a live bar, not the finished attack's summary line
            assert m.group(2) == "2"
            shown[int(m.group(1))].append(int(m.group(3)))
    assert shown[1] and shown[2], lines
    for index, counts in shown.items():
        assert counts == sorted(counts), (index, counts)  # a counter never runs backwards
        assert max(counts) <= stored[index - 1], (index, counts, stored)
    assert max(shown[1]) >= stored[0] // 2  # the bar followed the attack, not just its start
    assert any(re.search(r"elapsed \d+:\d\d, ~\d+:\d\d left", line) for line in lines)
    assert any("starting uvicorn (1 worker) ..." in line for line in lines)
    assert any("1 operation x 2 rates x 1 worker count" in line for line in lines)
