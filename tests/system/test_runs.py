"""`perf collect` and `perf ingest` refuse a label that run references would read as a run id."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from tests.unit.test_runs import store  # noqa: F401 (fixtures too)


@pytest.mark.parametrize("command", ["collect", "ingest"])
def test_a_label_that_run_references_read_as_a_run_id_is_refused(store, tmp_path, command):
    import shutil

    from tests.helpers import run_perf

    copy = tmp_path / "perf.duckdb"
    shutil.copy(store, copy)
    results = tmp_path / "r.csv"
    results.write_text("1714557600000000000,200,1000000,0,2,,,,0,GET,http://127.0.0.1:8000/x,\n")
    for label, what in (("a1b2", "a prefix of the id"), ("f6e5d4c3b2a1", "the id")):
        args = ([str(results)] if command == "ingest" else
                ["--endpoint", "GET /health", "--rates", "5", "--duration", "1s"])
        proc = run_perf([command, *args, "--label", label, "--store", str(copy)], tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.splitlines() == [
            f"perf: error: bad {'--label' if command == 'ingest' else 'label'} {label!r}: it is "
            f"{what} of run {'a1b2c3d4e5f6' if label == 'a1b2' else label}, so `--run {label}` "
            f"would name that run, not this label; pick another"]
    runs = CliRunner().invoke(cli, ["runs", "--store", str(copy), "--format", "json"])
    assert len(json.loads(runs.stdout)["runs"]) == 2  # nothing stored
