"""`perf runs`: the runs of a store, as text and JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from tests.report_fixtures import build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "perf.duckdb"
    build_store(path)
    return path


def test_text_lists_every_run_oldest_first(store):
    result = CliRunner().invoke(cli, ["runs", "--store", str(store)])
    assert result.exit_code == 0
    assert result.output == (
        "Run           Started                 Label    Commit      Status   Attacks Requests\n"
        "------------  ----------------------- -------- ----------- -------- ------- --------\n"
        "a1b2c3d4e5f6  2024-05-01 10:00:00 UTC baseline 0123456789  complete      12    1,440\n"
        "f6e5d4c3b2a1  2024-05-02 10:00:00 UTC -        fedcba9876+ complete      12    1,440\n"
    )


def test_json_and_last(store):
    result = CliRunner().invoke(cli, ["runs", "--store", str(store), "--last", "1", "--format", "json"])
    runs = json.loads(result.output)["runs"]
    assert [r["run_id"] for r in runs] == ["f6e5d4c3b2a1"]
    assert runs[0]["attacks"] == 12 and runs[0]["requests"] == 1440
    assert runs[0]["git_commit"] == "fedcba9876543210fedcba9876543210fedcba98"


def test_errors(store, tmp_path):
    result = CliRunner().invoke(cli, ["runs", "--store", str(store), "--format", "yaml"])
    assert result.exit_code == 1 and "unknown format 'yaml'" in result.output
    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    result = CliRunner().invoke(cli, ["runs", "--store", str(empty)])
    assert result.exit_code == 0 and "no runs yet" in result.output


def test_requests_come_from_the_cache_and_from_raw_rows_alike(store, tmp_path):
    """`perf runs` reads attack_stats; attacks without a current cached row (older stores,
    another stats version) are counted from their rows, to the same totals."""
    import shutil

    copy = tmp_path / "partly-cached.duckdb"
    shutil.copy(store, copy)
    con = open_store(copy)
    truth = dict(con.execute("SELECT a.run_id, count(*) FROM requests JOIN attacks a USING "
                             "(attack_id) GROUP BY ALL").fetchall())
    con.execute("DELETE FROM attack_stats WHERE attack_id IN "
                "(SELECT attack_id FROM attacks ORDER BY attack_id LIMIT 7)")
    con.execute("UPDATE attack_stats SET requests = requests + 1000 WHERE attack_id = "
                "(SELECT max(attack_id) FROM attack_stats)")
    con.close()
    result = CliRunner().invoke(cli, ["runs", "--store", str(copy), "--format", "json"])
    counts = {r["run_id"]: r["requests"] for r in json.loads(result.output)["runs"]}
    # The doctored cache row shows through (so it was read), the deleted ones were recounted.
    assert counts == {"a1b2c3d4e5f6": truth["a1b2c3d4e5f6"], "f6e5d4c3b2a1": truth["f6e5d4c3b2a1"] + 1000}


def test_attacks_waiting_in_the_spool_are_named_with_the_command_that_stores_them(store, tmp_path):
    import shutil
    from datetime import datetime, timezone

    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.spool import attack_files, write_entry
    from perf.store.database import spool_path

    copy = tmp_path / "perf.duckdb"
    shutil.copy(store, copy)
    quiet = CliRunner().invoke(cli, ["runs", "--store", str(copy)])
    assert "spool" not in quiet.stderr
    results = tmp_path / "results.csv"
    results.write_text("1714557600000000000,200,1000000,0,2,,,,0,GET,http://127.0.0.1:8000/x,\n")
    attack = AttackRecord(run_id="0a0b0c0d0e0f", endpoint="GET /x", method="GET", path="/x",
                          target_rate=1.0, started_at=datetime.now(timezone.utc))
    write_entry(spool_path(copy), "0a0b0c0d0e0f", 1, "attack", attack_files(attack, results, []))
    result = CliRunner().invoke(cli, ["runs", "--store", str(copy)])
    assert result.exit_code == 0
    assert result.stdout == quiet.stdout  # the table as it was
    assert result.stderr == (f"1 attack in {spool_path(copy)} is not stored yet, so not listed: "
                             "`perf ingest --spooled` stores it\n")
    copy.unlink()  # every run still spooled, the store not made yet
    result = CliRunner().invoke(cli, ["runs", "--store", str(copy)])
    assert result.exit_code == 1
    assert f"{spool_path(copy)} is not stored yet" in result.stderr


