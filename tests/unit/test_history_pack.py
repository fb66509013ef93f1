"""perf pack (issue 18): a history folder's run folders gathered into one pack read the same
as the run folders and as the store they came from; a pack is never rewritten, a run is read
once even while its run folder is still beside its pack, and import and export know packs."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from perf.store.history_folder import MANIFEST, PACK_PREFIX
from tests.fake_sweep import DEFAULT_ENDPOINTS, add_run
from tests.report_fixtures import RUNS
# The store and its two exported runs, as test_history_folder makes them.
from tests.unit.test_history_folder import (  # noqa: F401
    READING, _without_ids, failing, folder, perf, says_the_same, store,
)

OLD, NEW = RUNS[0]["run_id"], RUNS[1]["run_id"]


@pytest.fixture(scope="module")
def packed(folder, tmp_path_factory):
    """test_history_folder's two exported runs (the newer with its raw requests), packed."""
    dest = tmp_path_factory.mktemp("packed") / "history"
    shutil.copytree(folder, dest)
    result = CliRunner().invoke(cli, ["pack", str(dest)])
    assert result.exit_code == 0 and "packed 2 runs into" in result.output, result.output
    return dest


def _pack(folder):
    [pack] = [p for p in folder.iterdir() if p.name.startswith(PACK_PREFIX)]
    return pack


def test_a_pack_replaces_the_run_folders_and_says_what_it_holds(packed):
    pack = _pack(packed)
    assert [p.name for p in packed.iterdir()] == [pack.name]  # the run folders are gone
    manifest = json.loads((pack / MANIFEST).read_text())
    assert manifest["format"] == "perf-pack" and manifest["layout"] == 1
    assert sorted(manifest["runs"]) == sorted([OLD, NEW])
    assert manifest["runs"][OLD]["raw_rows"] is False and manifest["runs"][NEW]["raw_rows"] is True
    assert manifest["tables"]["runs"] == 2 and manifest["tables"]["requests"] > 0


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_every_reading_command_says_the_same_of_a_pack_as_of_the_store(store, packed, args):
    says_the_same(store, packed, args)


def test_packing_again_adds_a_pack_and_never_rewrites_one(store, packed, tmp_path):
    folder = tmp_path / "history"
    shutil.copytree(packed, folder)
    first = _pack(folder)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    nothing = CliRunner().invoke(cli, ["pack", str(folder)])
    assert nothing.exit_code == 0 and "0 run folders outside a pack; nothing packed" in nothing.output
    # A third run, exported later from another store, is a run folder beside the pack.
    other = tmp_path / "other.duckdb"
    con = open_store(other)
    add_run(con, tmp_path, "third", started=datetime(2030, 1, 1, tzinfo=timezone.utc),
            label="third", endpoints=DEFAULT_ENDPOINTS[:2], rates=(25,), workers=(1,), seed=3)
    con.close()
    perf("export", "third", "--store", str(other), "--to", str(folder))
    assert (folder / "third" / MANIFEST).exists()
    few = CliRunner().invoke(cli, ["pack", str(folder), "--min-runs", "2"])
    assert few.exit_code == 0 and "1 run folder outside a pack, fewer than --min-runs 2" in few.output
    runs = json.loads(perf("runs", "--format", "json", "--store", str(folder)))
    assert sorted(r["run_id"] for r in runs["runs"]) == sorted([OLD, NEW, "third"])
    perf("pack", str(folder))
    packs = sorted(p for p in folder.iterdir() if p.name.startswith(PACK_PREFIX))
    assert len(packs) == 2 and not (folder / "third").exists()
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    again = json.loads(perf("runs", "--format", "json", "--store", str(folder)))
    assert again == runs


def test_a_run_folder_beside_the_pack_that_holds_it_is_read_once(store, packed, tmp_path):
    """What a reader sees while perf pack removes the run folders it packed."""
    folder = tmp_path / "history"
    shutil.copytree(packed, folder)
    perf("export", OLD, "--store", str(store), "--to", str(tmp_path / "loose"))
    shutil.copytree(tmp_path / "loose" / OLD, folder / OLD)
    runs = json.loads(perf("runs", "--format", "json", "--store", str(folder)))
    assert sorted(r["run_id"] for r in runs["runs"]) == sorted([OLD, NEW])
    assert (_without_ids(perf("history", "--format", "json", "--store", str(folder)), folder)
            == _without_ids(perf("history", "--format", "json", "--store", str(store)), store))


def test_packing_removes_the_run_folders_a_pack_already_holds_and_keeps_one_that_differs(
        store, packed, tmp_path):
    """A pack interrupted after its rename leaves the run folders it holds: the next pack
    removes each whose rows are the pack's; one with other rows is kept and named."""
    folder = tmp_path / "history"
    shutil.copytree(packed, folder)
    perf("export", OLD, NEW, "--store", str(store), "--to", str(tmp_path / "loose"))
    for run in (OLD, NEW):
        shutil.copytree(tmp_path / "loose" / run, folder / run)
    con = open_store(folder, read_only=True)
    con.execute(f"COPY (SELECT * REPLACE ('other' AS label) FROM runs WHERE run_id = '{NEW}') "
                f"TO '{folder / NEW / 'runs.parquet'}' (FORMAT parquet)")
    con.close()
    result = CliRunner().invoke(cli, ["pack", str(folder)])
    assert result.exit_code == 0, result.output
    assert "removed 1 run folder a pack already held, with the same rows" in result.output
    assert f"{folder / NEW}: a pack already holds this run with other rows; kept" in result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted([_pack(packed).name, NEW])


def test_export_and_import_know_the_runs_a_pack_holds(store, packed, tmp_path):
    again = CliRunner().invoke(cli, ["export", OLD, "--store", str(store), "--to", str(packed)])
    assert again.exit_code == 0 and "already exported, the same" in again.output
    assert not (packed / OLD).exists()  # no second copy beside the pack
    target = tmp_path / "imported.duckdb"
    result = CliRunner().invoke(cli, ["import", str(packed), "--store", str(target)])
    assert result.exit_code == 0 and result.output.count(": imported") == 2, result.output
    args = ["report", "--format", "json", "--last", "2"]
    assert (_without_ids(perf(*args, "--store", str(target)), target)
            == _without_ids(perf(*args, "--store", str(store)), store))
    once = CliRunner().invoke(cli, ["import", str(_pack(packed)), "--store", str(target)])
    assert once.exit_code == 0 and once.output.count("already in the store, the same: skipped") == 2
    # A pack whose run differs from the store's run of that id: an error, nothing imported.
    tampered = tmp_path / "tampered"
    shutil.copytree(_pack(packed), tampered / _pack(packed).name)
    con = open_store(packed, read_only=True)
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN run_id = '{OLD}' THEN 'other' ELSE label END "
                f"AS label) FROM runs) TO '{tampered / _pack(packed).name / 'runs.parquet'}' "
                "(FORMAT parquet)")
    con.close()
    before = perf(*args, "--store", str(target))
    line = failing("import", str(tampered), "--store", str(target))
    assert f"already holds a run {OLD} with different rows" in line
    assert perf(*args, "--store", str(target)) == before
