"""Text that fits the width it is given: where the width comes from, runs side by side (names,
the change column, no empty table), and endpoint names shortened without look-alikes."""

from __future__ import annotations

import json
import os
import pty
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from tests.fake_sweep import Endpoint, add_run
from perf.cli.root import cli
from perf.base.errors import PerfError
from perf.store.database import open_store
from perf.reporter.render import blocks
from perf.reporter.render.text import text_width
from tests.report_fixtures import build_store


def perf(store, *args, env=None) -> str:
    result = CliRunner().invoke(cli, ["report", "--store", str(store), *args],
                                env={"COLUMNS": None, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("width") / "perf.duckdb"
    build_store(path)
    return path


def test_width_comes_from_the_option_then_the_terminal_then_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "91")
    assert text_width(132, None) == 132
    master, slave = pty.openpty()
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 77, 0, 0))
        with os.fdopen(os.dup(slave), "w") as terminal:
            assert text_width(None, terminal) == 77  # the terminal wins over COLUMNS
    finally:
        os.close(master)
        os.close(slave)
    assert text_width(None, None) == 91
    monkeypatch.delenv("COLUMNS")
    assert text_width(None, None) == 100
    with pytest.raises(PerfError, match="--width must be at least 40"):
        text_width(20, None)


def test_columns_is_read_when_piped(store):
    for columns in (80, 120):
        text = perf(store, env={"COLUMNS": str(columns)})
        assert max(map(len, text.splitlines())) <= columns
    narrow, wide = perf(store, env={"COLUMNS": "80"}), perf(store, env={"COLUMNS": "120"})
    assert "(continued)" in narrow and "(continued)" not in wide


def test_runs_side_by_side_are_named_by_label_with_the_change_against_the_first(tmp_path):
    """Two runs labelled alike are `base` and `base#2`; the change column is the last run's
    value against the first's, computed here from the JSON numbers."""
    path = tmp_path / "s.duckdb"
    con = open_store(path)
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ep = [Endpoint("GET /items", 3.0, 800, 1.3)]
    for i, slowdown in enumerate([1.0, 1.3]):
        add_run(con, tmp_path, f"run{i}", label="base", started=t0 + timedelta(hours=i),
                endpoints=ep, rates=(50,), workers=(1,), duration_s=2.0, slowdown=slowdown, seed=i)
    con.close()
    text = perf(path, "--last", "2", "--width", "80")
    header = next(line for line in text.splitlines() if line.startswith("Endpoint"))
    assert header.split() == ["Endpoint", "base", "base#2", "Change"]
    doc = json.loads(perf(path, "--last", "2", "--format", "json"))
    first, last = (a["metrics"] for a in doc["attacks"])
    row = next(line for line in text.splitlines() if line.strip().startswith("P99 ms"))
    change = (last["latency_p99_ms"] - first["latency_p99_ms"]) / first["latency_p99_ms"]
    assert row.split()[-1] == f"{change:+.1%}"
    assert row.split()[2:4] == [f"{first['latency_p99_ms']:.1f}", f"{last['latency_p99_ms']:.1f}"]


def test_many_runs_never_leave_an_empty_table(tmp_path):
    """`--last 12 --filter /items` where only the oldest run tested 200/s: that table has the
    one run's column, and the twelve runs wrap into parts instead of being dropped."""
    path = tmp_path / "many.duckdb"
    con = open_store(path)
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ep = [Endpoint("GET /items", 3.0, 800, 1.3), Endpoint("GET /other", 3.0, 800, 1.3)]
    for i in range(12):
        add_run(con, tmp_path, f"r{i:02d}", started=t0 + timedelta(hours=i), endpoints=ep,
                rates=(50, 200) if i == 0 else (50,), workers=(1,), duration_s=1.0, seed=i)
    con.close()
    text = perf(path, "--last", "12", "--filter", "/items", "--width", "80")
    assert max(map(len, text.splitlines())) <= 80
    blocks = text.split("\n\n")
    tables = [b for b in blocks if re.search(r"^-+  ", b, re.M)]
    for block in tables:
        lines = block.splitlines()
        rule = next(i for i, line in enumerate(lines) if re.match(r"^-+  ", line))
        assert len(lines) > rule + 1, block  # never a header without rows
    lone = next(b for b in tables if b.startswith("rate 200/s, 1 worker"))
    assert lone.splitlines()[1].split() == ["Endpoint", "r00"]  # the one run that has it
    fifty = [b for b in tables if b.startswith("rate 50/s, 1 worker")]
    heads = [name for b in fifty for name in b.splitlines()[1].split()[1:] if name != "Change"]
    assert heads == [f"r{i:02d}" for i in range(12)]  # every run, in parts, none dropped
    assert "GET /other" not in text


def test_endpoint_names_shorten_by_what_they_share_and_never_into_look_alikes():
    db = ["GET /api/db/async/read/{item_id}", "GET /api/db/sync_threadpool/read/{item_id}",
          "GET /api/db/async_blocking/read/{item_id}"]
    labels, note = blocks.endpoint_labels(db, 16)
    assert sorted(labels.values()) == ["async/read/{}", "async_blocking/read/{}",
                                       "sync_threadpool/read/{}"]
    assert note == "every endpoint is GET; paths under /api/db/; path parameters shown as {}"
    # {} would make these two the same: they keep their names.
    clash = ["GET /a/{id}/b", "GET /a/{name}/b"]
    labels, note = blocks.endpoint_labels(clash, 5)
    assert len(set(labels.values())) == 2 and "{}" not in note
    # A name longer than its column breaks at slashes, losing nothing.
    assert blocks.break_name("/api/db/sync_threadpool/read/{}", 12) == [
        "/api/db/", "sync_threadp", "ool/read/{}"]
    assert "".join(blocks.break_name("/api/db/sync_threadpool/read/{}", 12)) == "/api/db/sync_threadpool/read/{}"


def test_a_table_wider_than_the_width_wraps_repeating_its_key_columns():
    table = blocks.Table("t", ["Endpoint", "Target"] + [f"M{i}" for i in range(12)],
                         [["GET /x", "50/s"] + [f"{i}.0" for i in range(12)]],
                         ["l"] + ["r"] * 13, keep=2)
    parts = blocks.fit_table(table, 40)
    assert len(parts) > 1 and all(p.columns[:2] == [0, 1] for p in parts)
    assert sorted(c for p in parts for c in p.columns[2:]) == list(range(2, 14))
    drawn = ["".join(t for t, _ in line) for line in blocks.table_lines(table, 40)]
    assert max(map(len, drawn)) <= 40
    assert [line for line in drawn if line.startswith("t")][1:] == ["t (continued)"] * (len(parts) - 1)


def test_baseline_comes_first_whatever_its_age(store):
    text = perf(store, "--run", "baseline", "--baseline", "f6e5", "--width", "100")
    header = next(line for line in text.splitlines() if line.startswith("Endpoint"))
    assert header.split() == ["Endpoint", "f6e5d4c3", "baseline", "Change"]
    result = CliRunner().invoke(cli, ["report", "--store", str(store), "--baseline", "f6e5"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "perf: error: --baseline f6e5 is the run being reported; pick the candidate with "
        "--run, --last or --label")


def test_one_outlier_does_not_flatten_the_other_bars():
    """Issue 20: a p99 of 4.6 s made every 3-60 ms bar a sliver. The scale stops short of it;
    its bar is drawn clipped, marked, with its value beside it."""
    values = [("a", 62.3, False), ("b", 62.8, False), ("c", 4637.5, False), ("d", 3.0, False),
              ("e", 5.2, False), ("f", 12.9, False)]
    chart = blocks.Chart("P99 latency (ms)", "latency_p99_ms", [("rate 25/s", values)])
    lines = ["".join(t for t, _ in line) for line in blocks.chart_lines(chart, 80, "!", ascii=True)]
    assert lines[1].startswith("  > = past the scale")
    row = {line.split()[0]: line for line in lines[3:]}
    assert row["c"].split()[1].endswith(">") and row["c"].endswith(" 4637.5")
    assert row["b"].count("#") >= 15  # 62.8 ms was 0 of 66 columns against 4637.5
    assert all(len(line) <= 80 for line in lines)
    even = blocks.Chart("P99 latency (ms)", "latency_p99_ms", [("rate 25/s", values[:2] + values[3:])])
    drawn = ["".join(t for t, _ in line) for line in blocks.chart_lines(even, 80, "!", ascii=True)]
    assert not any(">" in line for line in drawn) and drawn[1].strip() == "rate 25/s"
