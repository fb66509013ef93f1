"""Two CI jobs, each with a store of its own (issue 18): their runs exported and imported in
either order give one store that says what a store where both runs were collected says, and
importing again changes nothing. Real `perf collect` (uvicorn, vegeta), real DuckDB, real
Parquet."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import run_perf
from tests.unit.test_history_folder import _without_ids

pytestmark = pytest.mark.slow

COLLECT = ["collect", "--filter", "/api/simple/async/", "--rates", "30", "--duration", "1s",
           "--warmup", "0"]
READING = [
    ["report", "--format", "json", "--last", "2"],
    ["runs", "--format", "json"],
    ["compare", "first", "second", "--format", "json", "--gate-without-repeats"],
    ["history", "--format", "json"],
]


def _perf(args: list[str], tmp_path, ok=(0,)) -> str:
    proc = run_perf(args, tmp_path)
    assert proc.returncode in ok, proc.stderr
    return proc.stdout


def test_runs_of_two_jobs_imported_in_either_order_read_as_one_store(tmp_path):
    job_a, job_b = tmp_path / "job-a", tmp_path / "job-b"
    job_a.mkdir()
    job_b.mkdir()
    _perf([*COLLECT, "--label", "first", "--store", str(job_a / "perf.duckdb")], tmp_path)
    # Job B's store holds both runs, as one store where both were collected would.
    shutil.copy(job_a / "perf.duckdb", job_b / "perf.duckdb")
    _perf([*COLLECT, "--label", "second", "--store", str(job_b / "perf.duckdb")], tmp_path)
    both = job_b / "perf.duckdb"
    _perf(["export", "first", "--store", str(job_a / "perf.duckdb"), "--to", str(tmp_path / "out-a")], tmp_path)
    _perf(["export", "second", "--store", str(both), "--to", str(tmp_path / "out-b")], tmp_path)

    expected = {tuple(args): _without_ids(_perf([*args, "--store", str(both)], tmp_path, ok=(0, 1)), both)
                for args in READING}
    for order in (["out-a", "out-b"], ["out-b", "out-a"]):
        target = tmp_path / f"{order[0]}-first.duckdb"
        for folder in order:
            _perf(["import", str(tmp_path / folder), "--store", str(target)], tmp_path)
        said = {tuple(args): _without_ids(_perf([*args, "--store", str(target)], tmp_path, ok=(0, 1)), target)
                for args in READING}
        assert said == expected, order
        # Again: every run is already there, the same, and nothing changes.
        proc = run_perf(["import", str(tmp_path / "out-a"), str(tmp_path / "out-b"), "--store", str(target)],
                        tmp_path)
        again = proc.stdout + proc.stderr
        assert proc.returncode == 0 and again.count("already in the store, the same: skipped") == 2, again
        assert {tuple(args): _without_ids(_perf([*args, "--store", str(target)], tmp_path, ok=(0, 1)), target)
                for args in READING} == expected
