"""Exact output of `perf report` (plain text and markdown) on the deterministic fixture store.

To accept a deliberate change of the output: PERF_UPDATE_SNAPSHOTS=1 pytest tests/test_report_snapshots.py
and review the diff of tests/snapshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from perf.cli import cli
from report_fixtures import build_store

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("snapshots") / "perf.duckdb"
    build_store(path)
    return path


def perf_report(store: Path, *args: str) -> str:
    # CliRunner's stdout is not a terminal, so text is the plain ASCII form at width 100.
    result = CliRunner().invoke(cli, ["report", "--store", str(store), *args])
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


@pytest.mark.parametrize("name", CASES)
def test_snapshot(store, name):
    check_snapshot(name, perf_report(store, *CASES[name]))


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
    # One per (rate, workers) and the sustainable-rate table.
    assert len(tables) == 5
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
    assert runs[0][:3] == ["Run", "Started", "Label"] and len(runs) == 3
    for table in tables[1:5]:
        assert table[0] == ["Endpoint", "a1b2c3d4", "f6e5d4c3"]
        assert all(len(row) == 3 for row in table)


def test_terminal_form_uses_rich_bars_and_warning_marks(store):
    import re

    from perf.store import open_store
    from reporter.render_text import render_text
    from reporter.report import build_report
    from reporter.selection import Selection

    con = open_store(store, read_only=True)
    try:
        report = build_report(con, Selection(last=2), with_history=False)
    finally:
        con.close()
    text = render_text(report, ascii=False, width=100)
    visible = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "█" in visible and "⚠" in visible
    assert max(len(line) for line in visible.splitlines()) <= 100
