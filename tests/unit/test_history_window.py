"""The dashboard's history charts draw each cell's last runs (`perf report --history N`), not
the whole store, so a report's cost stays flat as history grows; the selected runs are always
among them, however old."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.reporter.query.selection import Selection
from perf.reporter.report import build_report
from perf.store.database import open_store
from tests.fake_sweep import DEFAULT_ENDPOINTS, add_run

RUNS = [f"run-{i}" for i in range(6)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("window")
    path = tmp / "perf.duckdb"
    con = open_store(path)
    t0 = datetime(2025, 6, 1, tzinfo=timezone.utc)
    for i, run_id in enumerate(RUNS):
        add_run(con, tmp, run_id, started=t0 + timedelta(days=i), endpoints=DEFAULT_ENDPOINTS[:2],
                rates=(25,), workers=(1,), seed=i + 1)
    con.close()
    return path


def _history_runs(store, sel: Selection, window: int | None) -> list[str]:
    con = open_store(store, read_only=True)
    try:
        report = build_report(con, sel, with_history=True, history_window=window)
    finally:
        con.close()
    cells = {(h.endpoint, h.run_id) for h in report.history}
    per_endpoint = {}
    for endpoint, run_id in sorted(cells):
        per_endpoint.setdefault(endpoint, []).append(run_id)
    (runs,) = {tuple(r) for r in per_endpoint.values()}  # every cell draws the same runs
    return list(runs)


def test_each_cell_draws_its_last_runs(store):
    assert _history_runs(store, Selection(), 3) == RUNS[-3:]
    assert _history_runs(store, Selection(), None) == RUNS
    assert _history_runs(store, Selection(), 100) == RUNS


def test_an_old_selected_run_is_drawn_with_the_last_runs(store):
    assert _history_runs(store, Selection(runs=("run-0",)), 2) == ["run-0", *RUNS[-2:]]


def test_the_option_sets_the_window_and_zero_means_every_run(store, tmp_path):
    sizes = {}
    for n in ("2", "0"):
        out = tmp_path / f"h{n}.html"
        result = CliRunner().invoke(cli, ["report", "--store", str(store), "--output", str(out),
                                          "--history", n])
        assert result.exit_code == 0, result.output
        sizes[n] = out.stat().st_size
    assert sizes["2"] < sizes["0"]  # two runs' points, not six (the page packs its data)
    result = CliRunner().invoke(cli, ["report", "--store", str(store), "--history", "-1"])
    assert result.exit_code == 2 and "--history" in result.output
