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
from rich.cells import cell_len

from tests.helpers import PERF, REPO, perf_env

STYLE = re.compile(r"\x1b\[[0-9;]*m")  # colours: part of a line

CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")  # cursor moves: between lines

LIVE = re.compile(r"\[(\d+)/(\d+)\] .*?(\d+) results?\b")


def _screen_updates(data: bytes) -> list[str]:
    """Every line the terminal was shown (carriage returns and cursor moves split them)."""
    text = data.decode("utf-8", errors="replace")
    text = CONTROL.sub("\n", STYLE.sub("", text))
    return [line.strip() for line in re.split(r"[\r\n]", text) if line.strip()]


def _collect_on_a_terminal(tmp_path, args: list[str], columns: int) -> tuple[int, bytes]:
    """`perf collect ARGS` with stderr on a pseudo-terminal `columns` wide: its exit code and
    every byte the terminal was sent."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = perf_env(tmp_path, TERM="xterm-256color")
    env.pop("COLUMNS", None)  # the terminal's own size, as a user's shell has it
    proc = subprocess.Popen(
        [*PERF, "collect", *args], cwd=REPO, env=env,
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
    return proc.returncode, data


@pytest.mark.serial
@pytest.mark.slow
def test_live_counts_on_a_terminal_are_the_current_attacks(tmp_path):
    """Two attacks, the first at five times the second's rate: a counter that read the first
    attack's results file during the second would show more results than the second made."""
    store = tmp_path / "p.duckdb"
    code, data = _collect_on_a_terminal(
        tmp_path, ["--endpoint", "GET /api/simple/async/{item_id}", "--rates", "50,10",
                   "--duration", "2s", "--workers", "1", "--warmup", "0", "--store", str(store)],
        columns=220)
    lines = _screen_updates(data)
    assert code == 0, "\n".join(lines[-20:])

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


TOKEN = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|(.)", re.S)


def _too_wide(data: bytes, columns: int) -> list[str]:
    """Replays the bytes as the terminal draws them (carriage returns, line feeds, cursor
    moves to a column): every line whose text ran past `columns` cells, which the terminal
    wrapped onto the next row."""
    col, widest, line, wrapped = 0, 0, "", []
    for m in TOKEN.finditer(data.decode("utf-8", errors="replace") + "\n"):
        params, command, char = m.groups()
        if command == "G":  # cursor to a column (1-based)
            col = int(params or 1) - 1
        elif char == "\r":
            col = 0
        elif char == "\n":
            if widest > columns:
                wrapped.append(line)
            col, widest, line = 0, 0, ""
        elif char is not None and char >= " ":
            col += cell_len(char)
            widest, line = max(widest, col), line + char
    return wrapped


@pytest.mark.serial
@pytest.mark.slow
def test_the_live_display_never_wraps_at_80_columns(tmp_path):
    """At 80 columns the attack's title, bar, clocks and counts do not all fit: the line drops
    fields and shortens its title rather than wrap (a wrapped live line leaves a stale copy
    of itself at every redraw)."""
    code, data = _collect_on_a_terminal(
        tmp_path, ["--app", "target_app.main:app", "--endpoint", "GET /api/simple/async/{item_id}",
                   "--rates", "10,20", "--duration", "2s", "--workers", "1", "--warmup", "0",
                   "--store", str(tmp_path / "p.duckdb")],
        columns=80)
    lines = _screen_updates(data)
    assert code == 0, "\n".join(lines[-20:])
    assert _too_wide(data, 80) == []
    # Each redraw, rich erases its live lines by moving up over all but the last: two bars,
    # one move up. A bar rich had wrapped (the four lines at 80 columns) takes more.
    ups = [len(run) // len("\x1b[1A\x1b[2K")
           for run in re.findall(rb"\r\x1b\[2K((?:\x1b\[1A\x1b\[2K)+)", data)]
    assert ups and max(ups) == 1, ups
    live = [line for line in lines if LIVE.search(line) and "left" in line]
    assert any(line.startswith("[2/2] GET /api/") and "@ 20/s" in line for line in live), live
    assert all(len(line) <= 80 for line in lines)
