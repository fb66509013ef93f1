"""Exact output of `perf report` (plain text and markdown) on deterministic stores: the small
fixture store (report_fixtures) and one shaped like a default sweep of target_app (fake_sweep:
every route x 25, 50, 100/s x 1, 2 workers), the latter at 80 and 120 columns.

To accept a deliberate change of the output: PERF_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_report_snapshots.py
and review the diff of tests/snapshots/.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from tests.fake_sweep import ALL_ENDPOINTS, add_run
from perf.cli.root import cli
from perf.store.database import open_store
from tests.report_fixtures import build_store

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("snapshots") / "perf.duckdb"
    build_store(path)
    return path


def sweep_store(path: Path) -> Path:
    """Two default-sweep-shaped runs (the second slower), labelled as a PR check would."""
    con = open_store(path)
    t0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
    for i, label in enumerate(["main", "pr-42"]):
        add_run(con, path.parent, f"2025060{2 + i}-0900", label=label, commit=f"{i}abcdef0",
                started=t0 + timedelta(days=i), endpoints=ALL_ENDPOINTS, rates=(25, 50, 100),
                workers=(1, 2), duration_s=10.0, slowdown=1.0 + 0.15 * i, seed=i + 1)
    con.close()
    return path


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return sweep_store(tmp_path_factory.mktemp("sweep") / "perf.duckdb")


def perf_report(store: Path, *args: str, env: dict | None = None) -> str:
    # CliRunner's stdout is not a terminal, so text is the plain ASCII form, at --width, else
    # COLUMNS (unset here), else 100 columns.
    result = CliRunner().invoke(cli, ["report", "--store", str(store), *args],
                                env={"COLUMNS": None, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.output


def check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("PERF_UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert path.exists(), f"no snapshot {path}; run with PERF_UPDATE_SNAPSHOTS=1 to create it"
    assert actual == path.read_text()


CASES = {
    "report_latest.txt": [],
    "report_two_runs.txt": ["--last", "2"],
    "report_latest.md": ["--format", "markdown"],
    "report_two_runs.md": ["--last", "2", "--format", "markdown"],
}


SWEEP_CASES = {
    "sweep_80.txt": ["--width", "80"],
    "sweep_120.txt": ["--width", "120"],
    "sweep_two_runs_db_80.txt": ["--width", "80", "--last", "2", "--filter", "/api/db"],
}


@pytest.mark.parametrize("name", CASES)
def test_snapshot(store, name):
    check_snapshot(name, perf_report(store, *CASES[name]))


@pytest.mark.parametrize("name", SWEEP_CASES)
def test_default_sweep_snapshot(sweep, name):
    text = perf_report(sweep, *SWEEP_CASES[name])
    width = int(SWEEP_CASES[name][1])
    assert max(len(line) for line in text.splitlines()) <= width
    check_snapshot(name, text)


@pytest.mark.parametrize("args", [[], ["--last", "2"]])
def test_text_is_plain_ascii_within_100_columns(store, args):
    text = perf_report(store, *args)
    assert text.isascii()
    assert max(len(line) for line in text.splitlines()) <= 100


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table GitHub would render: [[header cells], [row cells], ...] each."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, current, row = [], None, None
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            current = []
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
        elif tok.type == "tr_close":
            current.append(row)
        elif tok.type == "table_close":
            tables.append(current)
    return tables


def test_markdown_renders_as_tables_on_github(store):
    tables = markdown_tables(perf_report(store, "--format", "markdown"))
    # One per (rate, workers), the sustainable-rate table and the worker scaling.
    assert len(tables) == 6
    assert tables[5][0] == ["Endpoint", "Workers", "RPS", "Efficiency", "Mem MB"]
    header = ["Endpoint", "Target", "Achieved", "P50", "P95", "P99", "Success%", "CPU avg%",
              "CPU max%", "Mem MB"]
    for table in tables[:4]:
        assert table[0] == header
        assert len(table) == 4
        assert all(len(row) == len(header) for row in table)
    flagged = [row for table in tables for row in table if "⚠️" in row[0]]
    assert len(flagged) == 1 and flagged[0][0].startswith("GET /api/simple/sync_threadpool/")


def test_markdown_side_by_side_runs(store):
    tables = markdown_tables(perf_report(store, "--last", "2", "--format", "markdown"))
    runs = tables[0]
    assert runs[0][:3] == ["Name", "Run", "Started (UTC)"] and len(runs) == 3
    assert [row[0] for row in runs[1:]] == ["baseline", "f6e5d4c3"]
    for table in tables[1:5]:
        assert table[0] == ["Endpoint", "baseline", "f6e5d4c3", "Change"]
        assert all(len(row) == 4 for row in table)


def test_terminal_form_uses_rich_bars_and_warning_marks(store):
    import re

    from perf.store.database import open_store
    from perf.reporter.render.text import render_text
    from perf.reporter.report import build_report
    from perf.reporter.query.selection import Selection

    con = open_store(store, read_only=True)
    try:
        report = build_report(con, Selection(last=2), with_history=False)
    finally:
        con.close()
    for width in (80, 100):
        text = render_text(report, ascii=False, width=width)
        visible = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert "█" in visible and "⚠" in visible and "…" not in visible
        assert max(len(line) for line in visible.splitlines()) <= width
        # One width logic: the terminal's lines are the plain ones, bars and marks aside.
        plain = render_text(report, ascii=True, width=width)
        def same(t):
            return [re.sub(r"[#█▏▎▍▌▋▊▉]+ *", "", line).replace("⚠", "!").replace("›", ">").rstrip()
                    for line in t.splitlines() if line.strip()]
        assert same(visible) == same(plain)


def parsed_tables(text: str) -> list[tuple[str, list[str], list[dict]]]:
    """Every drawn table: (title, header, rows as {column: cell}), its columns read off the
    dashes of its rule line, so a cell that was cut or shifted would show."""
    lines = text.splitlines()
    tables = []
    for i, line in enumerate(lines):
        if i < 2 or not re.fullmatch(r"-+(  -+)?( -+)*", line):
            continue
        spans = [m.span() for m in re.finditer(r"-+", line)]
        spans = [(a, b if k + 1 == len(spans) else spans[k + 1][0] - 1) for k, (a, b) in enumerate(spans)]
        header = [lines[i - 1][a:b].strip() for a, b in spans]
        rows = []
        for row in lines[i + 1:]:
            if not row.strip():
                break
            cells = [row[a:b].strip() for a, b in spans]
            # A cell's text never crosses into its neighbour's column.
            assert all(row[b:b + 1] in ("", " ") for _, b in spans[:-1]), row
            rows.append(dict(zip(header, cells)))
        tables.append((lines[i - 2], header, rows))
    return tables


@pytest.mark.parametrize("width", [80, 120])
def test_default_sweep_keeps_every_number_whole_and_every_endpoint_distinct(sweep, width):
    """At 80 and 120 columns each attack's every table value is exactly its metric, formatted,
    and each row of a table names a different endpoint (the full one, or its path parameters
    written {})."""
    import json

    from perf.reporter.compute.tables import TABLE_METRICS
    from perf.reporter.render.shared import column_header
    from perf.store.metrics import format_value

    text = perf_report(sweep, "--width", str(width))
    doc = json.loads(perf_report(sweep, "--format", "json"))
    attacks = {(a["endpoint"].replace("{item_id}", "{}"), a["workers"], f"{a['target_rate']:g}/s"): a
               for a in doc["attacks"]}
    by_title = {f"rate {r:g}/s, {w} worker{'s' if w > 1 else ''}": (w, f"{r:g}/s")
                for r in (25, 50, 100) for w in (1, 2)}
    seen = {}
    for title, header, rows in parsed_tables(text):
        group = title.removesuffix(" (continued)")
        if group not in by_title:
            continue
        workers, target = by_title[group]
        names = [row["Endpoint"].removesuffix(" !").strip() for row in rows]
        assert len(set(names)) == len(names) == 18, names
        for row, name in zip(rows, names):
            assert row["Target"] == target
            attack = attacks[(name.replace("{item_id}", "{}"), workers, target)]
            for metric in TABLE_METRICS:
                if column_header(metric) in row:
                    value = attack["metrics"][metric]
                    assert row[column_header(metric)] == format_value(metric, value), (name, metric)
                    seen[(name, workers, target, metric)] = True
    assert len(seen) == 18 * 6 * len(TABLE_METRICS)  # every value of every attack, once


def _sweep_report(sweep, last: int = 1):
    from perf.reporter.query.selection import Selection
    from perf.reporter.report import build_report

    con = open_store(sweep, read_only=True)
    try:
        return build_report(con, Selection(last=last), with_history=False)
    finally:
        con.close()


def test_rows_with_failed_requests_are_coloured_on_a_terminal(sweep, monkeypatch):
    """Issue 20: the failing rows looked like the others. Red below 99% success (the rule
    perf.store.stats keeps), yellow for any failure; no colour in the plain form or NO_COLOR."""
    from perf.reporter.render.text import render_text

    monkeypatch.delenv("NO_COLOR", raising=False)
    report = _sweep_report(sweep)
    text = render_text(report, ascii=False, width=80)
    rows = {}
    for line in text.splitlines():
        m = re.match(r"(?:\x1b\[([0-9;]*)m)?(GET|POST) (\S+)", line)
        if m and "%" in line:
            rows.setdefault(m.group(1), []).append(line)
    red = [line for line in rows.get("31", []) if re.search(r" (\d+\.\d\d)%", line)]
    assert red and all(float(re.search(r" (\d+\.\d\d)%", line).group(1)) < 99 for line in red)
    uncoloured = [line for line in rows.get(None, []) if re.search(r" (\d+\.\d\d)%", line)]
    assert uncoloured and all(" 100.00%" in line for line in uncoloured)
    assert "\x1b" not in render_text(report, ascii=True, width=80)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[31m" not in render_text(report, ascii=False, width=80)


def test_success_stays_beside_the_latencies_at_80_columns(sweep):
    """Issue 20: at 80 columns the wrapped table put Success% in the continued part."""
    text = perf_report(sweep, "--width", "80")
    headers = [line.split() for line in text.splitlines() if line.startswith("Endpoint ")
               and "P99" in line]
    assert headers and all(h[h.index("P99") + 1] == "Success%" for h in headers)
