"""perf history and change_points: a shift injected into a generated history is found at the
right run with the right size, sixteen runs of identical code show none, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.fake_sweep import ALL_ENDPOINTS, add_run
from perf.cli.root import cli
from perf.store.database import open_store
from perf.reporter.compute.changepoints import change_points
from perf.reporter.compute.thresholds import DEFAULT_THRESHOLDS, Threshold

ASYNC = "GET /api/simple/async/{item_id}"
ENDPOINTS = [e for e in ALL_ENDPOINTS if e.endpoint in (ASYNC, "GET /api/db/async/read/{item_id}")]
T0 = datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)


def _history(tmp: Path, name: str, slowdowns: list[float], repeats: int = 1) -> Path:
    """One run per slowdown, an hour apart, each its own commit and label."""
    path = tmp / f"{name}.duckdb"
    con = open_store(path)
    for i, slowdown in enumerate(slowdowns):
        add_run(con, tmp, f"{name}{i:02d}aaaaaa", label=f"{name}-{i}", commit=f"{i:02d}c0ffee{i:02d}",
                started=T0 + timedelta(hours=i), rates=(50,), workers=(1,), endpoints=ENDPOINTS,
                duration_s=2.0, seed=100 + i, slowdown=slowdown, repeats=repeats,
                slow_endpoints=(ASYNC,))
    con.close()
    return path


@pytest.fixture(scope="module")
def shifted(tmp_path_factory) -> Path:
    """8 runs at scale 1.0 then 8 at 1.3, on the async endpoint only."""
    return _history(tmp_path_factory.mktemp("history"), "shift", [1.0] * 8 + [1.3] * 8)


@pytest.fixture(scope="module")
def steady(tmp_path_factory) -> Path:
    return _history(tmp_path_factory.mktemp("history"), "same", [1.0] * 16)


def history(store: Path, *args: str):
    return CliRunner().invoke(cli, ["history", "--store", str(store), *args])


def test_an_injected_shift_is_found_at_the_right_run(shifted):
    result = history(shifted, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "perf-history" and len(doc["runs"]) == 16
    cells = {c["cell"]["endpoint"]: c for c in doc["cells"]}
    slow = cells[ASYNC]
    assert [r["label"] for r in slow["runs"]] == [f"shift-{i}" for i in range(16)]
    # p99 moves ~19 ms, under its 20 ms floor: reported or not, never elsewhere.
    assert all(cp["index"] == 8 for cp in slow["change_points"]["p99"])
    for name in ("p50", "p95"):
        [cp] = slow["change_points"][name]
        assert cp["index"] == 8
        assert cp["after_run"] == "shift07aaaaaa" and cp["first_run"] == "shift08aaaaaa"
        assert cp["change"] == pytest.approx(0.3, abs=0.05)
        assert cp["p_value"] < 0.01
    for name in ("achieved_rps", "success", "cpu_s_per_1k", "memory"):
        assert slow["change_points"][name] == []
    # The other endpoint did not change: no mark on any of its metrics.
    assert all(cps == [] for cps in cells["GET /api/db/async/read/{item_id}"]["change_points"].values())


def test_the_sizes_are_the_medians_of_the_two_levels(shifted):
    doc = json.loads(history(shifted, "--format", "json", "--metric", "p50").stdout)
    slow = next(c for c in doc["cells"] if c["cell"]["endpoint"] == ASYNC)
    values = [r["values"]["p50"] for r in slow["runs"]]
    [cp] = slow["change_points"]["p50"]
    assert cp["before"] == pytest.approx(float(np.median(values[:8])))
    assert cp["after"] == pytest.approx(float(np.median(values[8:])))
    assert cp["change"] == pytest.approx(cp["after"] / cp["before"] - 1)


def test_identical_code_has_no_change_point(steady):
    doc = json.loads(history(steady, "--format", "json").stdout)
    assert len(doc["cells"]) == 2
    for cell in doc["cells"]:
        assert len(cell["runs"]) == 16
        assert all(cps == [] for cps in cell["change_points"].values()), cell["change_points"]


def test_text_marks_the_first_run_of_the_new_level(shifted):
    result = history(shifted, "--filter", "/api/simple/async", "--metric", "p50,p95")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    marked = [line for line in lines if "<- " in line]
    assert len(marked) == 1 and marked[0].startswith("shift-8 ")
    assert "<- p50 +3" in marked[0] and "p95 +3" in marked[0]
    shift = next(line for line in lines if line.startswith("p50 +"))
    assert "after run shift-7, from run shift-8 [08c0ffe] on" in shift
    assert "1 cell over 16 runs; 2 change points found" in result.stdout


def test_markdown_and_last(shifted):
    result = history(shifted, "--format", "markdown", "--last", "10")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## perf history\n\n- 2 cells over 10 runs; 2 change points found")
    # Runs 6..15: two before the shift, eight after; still found, at the third run shown.
    assert "| shift-5 |" not in result.stdout and "| shift-6 |" in result.stdout
    assert "ms) after run shift-7, from run shift-8 \\[08c0ffe\\] on" in result.stdout  # escaped [ ]
    only_after = history(shifted, "--format", "markdown", "--last", "6")
    assert "0 change points found" in only_after.stdout


def test_bad_options_are_one_line(shifted):
    for args, message in ((("--metric", "p12"), "--metric: unknown metric 'p12'"),
                          (("--format", "csv"), "unknown format 'csv'"),
                          (("--last", "0"), "--last must be at least 1"),
                          (("--filter", "/nothing"), "no attack matches --filter /nothing")):
        result = history(shifted, *args)
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and message in result.output


# ---- change_points on plain series ------------------------------------------------------------

def test_change_points_on_plain_series():
    rng = np.random.default_rng(7)
    level = 50 * np.exp(rng.normal(0, 0.02, 24))
    series = list(level[:8]) + list(level[8:16] * 1.3) + list(level[16:] * 0.9)
    cps = change_points(series)
    assert [cp.index for cp in cps] == [8, 16]
    assert cps[0].change == pytest.approx(0.3, abs=0.05)
    assert cps[1].change == pytest.approx(0.9 / 1.3 - 1, abs=0.05)
    assert change_points(list(level)) == []
    assert change_points([1.0, 2.0, 3.0]) == []  # too short for two segments of two
    assert change_points([5.0] * 8 + [6.0] * 8)[0].index == 8  # flat levels: conclusive


def test_shifts_below_the_threshold_are_not_reported():
    rng = np.random.default_rng(8)
    series = list(50 * np.exp(rng.normal(0, 0.005, 8))) + list(51.5 * np.exp(rng.normal(0, 0.005, 8)))
    assert [cp.index for cp in change_points(series, Threshold("p50", relative=0.01))] == [8]
    assert change_points(series, DEFAULT_THRESHOLDS["p50"]) == []  # 3% and 1.5 ms: below 5%, 1 ms


def test_ratio_series_shift_in_points():
    series = [1.0, 0.999, 1.0, 1.0, 0.999, 1.0] + [0.95, 0.951, 0.949, 0.95, 0.952, 0.95]
    [cp] = change_points(series, DEFAULT_THRESHOLDS["success"], ratio=True)
    assert cp.index == 6 and cp.change == pytest.approx(-5.0, abs=0.2)




def test_cells_with_one_run_fold_into_one_line(tmp_path):
    """Issue 20: `perf history` of the demo store was 736 lines, mostly a one-row table and
    "no change point" for each cell measured in one run only."""
    path = _history(tmp_path, "mix", [1.0, 1.0])
    con = open_store(path)
    add_run(con, tmp_path, "mix02aaaaaa", label="mix-2", commit="02c0ffee02", started=T0 + timedelta(hours=2),
            rates=(25, 100), workers=(1,), endpoints=ENDPOINTS, duration_s=2.0, seed=7)
    con.close()
    text = history(path).stdout
    words = " ".join(text.split())
    assert ("4 cells with one run (run mix-2), no history to analyse yet: 2 operations at 25/s, "
            "100/s with 1 worker: GET /api/db/async/read/{item_id}; GET /api/simple/async/{item_id}"
            in words)
    assert text.count("no change point") == 2  # the two cells with two runs keep their tables
    assert "@ 25/s, 1 worker\n" not in text  # no table titled by a one-run cell
    md = history(path, "--format", "markdown").stdout
    assert "- 4 cells with one run (run mix-2)" in md and md.count("### ") == 2


def test_a_long_history_shows_its_newest_runs_and_the_runs_around_each_change(tmp_path):
    """40 runs, the level moving at run 8: the table shows runs 7 and 8, the newest 20, and
    one line for each folded stretch; json still has every run."""
    store = _history(tmp_path, "long", [1.0] * 8 + [1.3] * 32)
    result = history(store, "--filter", "/api/simple/async", "--metric", "p50")
    assert result.exit_code == 0, result.output
    rows = [" ".join(line.split()[:2]) if line.startswith("...") else line.split()[0]
            for line in result.stdout.splitlines() if line.startswith(("long-", "... "))]
    assert rows == (["... 7", "long-7", "long-8", "... 11"]
                    + [f"long-{i}" for i in range(20, 40)]), rows
    assert "newest 20 runs and the runs around each change point" in result.stdout
    doc = json.loads(history(store, "--format", "json").stdout)
    assert all(len(cell["runs"]) == 40 for cell in doc["cells"])


def test_each_runs_value_is_the_median_of_its_repeats(tmp_path):
    """perf history groups a run's repeats of a cell in SQL (query.cell_runs); the dashboard
    groups the AttackRows it already holds (changepoints.attack_points). Both must give each
    run the median over its repeats, as numpy computes it from the attacks' own metrics."""
    from perf.reporter.compare import named_runs
    from perf.reporter.compute.changepoints import attack_points, cell_run_points
    from perf.reporter.compute.thresholds import KEY_METRICS
    from perf.reporter.query import attacks as query
    from perf.reporter.query.selection import Selection

    store = _history(tmp_path, "rep", [1.0, 1.1, 1.3], repeats=3)
    doc = json.loads(history(store, "--format", "json").stdout)
    con = open_store(store, read_only=True)
    try:
        runs = [r for r in query.all_runs(con) if r.attacks]
        attacks = query.attack_summaries(con, [r.run_id for r in runs], Selection())
        shorts = list(KEY_METRICS)
        grouped = query.cell_runs(con, [r.run_id for r in runs], Selection(),
                                  [KEY_METRICS[m] for m in shorts])
    finally:
        con.close()
    checked = 0
    for cell in doc["cells"]:
        for run in cell["runs"]:
            same = [a for a in attacks if a.run_id == run["run_id"]
                    and a.endpoint == cell["cell"]["endpoint"]]
            assert run["attacks"] == len(same) == 3
            for short, name in KEY_METRICS.items():
                kept = [a.metric(name) for a in same
                        if a.metric(name) is not None and np.isfinite(a.metric(name))]
                want = float(np.median(kept)) if kept else None
                assert run["values"][short] == pytest.approx(want, rel=1e-12), (short, run)
                checked += 1
    assert checked == 2 * 3 * len(KEY_METRICS)
    names = named_runs(runs)
    assert (cell_run_points(grouped, runs, names, shorts)
            == attack_points(attacks, runs, names, shorts))


def test_the_noise_estimate_takes_numpys_median_to_the_bit():
    from perf.reporter.compute.changepoints import _middle

    rng = np.random.default_rng(1)
    for n in range(1, 80):
        x = rng.normal(size=n) * 10.0 ** rng.integers(-5, 5)
        for series in (x, np.round(x, 1)):  # ties too
            assert _middle(series) == float(np.median(series))
