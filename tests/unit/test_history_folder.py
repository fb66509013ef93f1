"""A history that is files (issue 18): `perf export` writes each run as its own folder of Parquet
files, a folder of them is a store for every reading command, and `perf import` adds them to a
store file, idempotently. Real DuckDB files and real Parquet; the outputs on the folder are
compared with the same outputs on the store (ids aside, which an export makes global)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from perf.store.history_folder import GLOBAL_IDS, MANIFEST
from tests.fake_sweep import DEFAULT_ENDPOINTS, add_run
from tests.report_fixtures import RUNS, build_store

IDS = re.compile(r"(^|_)(attack|check|capacity|foreground)(_id|_ids|s)?$|_attacks?$")


def perf(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def failing(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    return result.output + (result.stderr if result.stderr not in result.output else "")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The reporter's fixture store: two runs with timeouts, 503s and a flagged generator."""
    path = tmp_path_factory.mktemp("store") / "perf.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def folder(store, tmp_path_factory):
    dest = tmp_path_factory.mktemp("history") / "history"
    perf("export", RUNS[0]["run_id"], "--store", str(store), "--to", str(dest))
    perf("export", "latest", "--store", str(store), "--to", str(dest), "--with-requests")
    return dest


def _without_ids(text: str, *paths) -> object:
    """The output with the store's path and every id left out (an export makes ids global)."""
    for path in paths:
        text = text.replace(str(path), "STORE")
    try:
        doc = json.loads(text)
    except ValueError:
        return text

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not IDS.search(k)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(doc)


READING = [
    ["report", "--format", "json", "--last", "2"],
    ["report", "--last", "2"],
    ["report", "--format", "markdown"],
    ["runs", "--format", "json"],
    ["compare", "baseline", "latest", "--format", "json"],
    ["compare", "baseline", "latest"],
    ["history", "--format", "json"],
]


def says_the_same(store, folder, args: list[str]) -> None:
    """`perf ARGS` on the history folder prints what it prints on the store (ids aside)."""
    on_store = CliRunner().invoke(cli, [*args, "--store", str(store)])
    on_folder = CliRunner().invoke(cli, [*args, "--store", str(folder)])
    assert on_store.exit_code in (0, 1), on_store.output  # compare: 1 is its regression verdict
    assert on_folder.exit_code == on_store.exit_code, on_folder.output
    assert _without_ids(on_folder.stdout, folder) == _without_ids(on_store.stdout, store)


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_every_reading_command_says_the_same_of_the_folder_as_of_the_store(store, folder, args):
    says_the_same(store, folder, args)


def test_each_run_is_a_folder_with_its_manifest_and_global_ids(store, folder):
    old, new = RUNS[0]["run_id"], RUNS[1]["run_id"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([old, new])
    manifest = json.loads((folder / old / MANIFEST).read_text())
    assert manifest["format"] == "perf-run" and manifest["layout"] == 1 and manifest["raw_rows"] is False
    assert not (folder / old / "requests.parquet").exists() and (folder / new / "requests.parquet").exists()
    con = open_store(folder, read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT attack_id FROM attacks ORDER BY run_id, attack_id").fetchall()]
        counted = con.execute("SELECT count(DISTINCT attack_id) FROM request_counts").fetchone()[0]
    finally:
        con.close()
    assert all(GLOBAL_IDS <= i < 2 * GLOBAL_IDS for i in ids) and len(set(ids)) == len(ids) == counted


def test_runs_from_stores_whose_ids_collide_read_as_one_history(tmp_path):
    """Two CI jobs, each with a store of its own: both stores number their attacks from 1."""
    t0 = datetime(2025, 6, 1, tzinfo=timezone.utc)
    dest = tmp_path / "history"
    for i in range(2):
        path = tmp_path / f"job{i}.duckdb"
        con = open_store(path)
        add_run(con, tmp_path, f"job-{i}", started=t0 + timedelta(days=i), label=f"job{i}",
                endpoints=DEFAULT_ENDPOINTS[:2], rates=(25,), workers=(1,), seed=i + 1)
        con.close()
        perf("export", "--store", str(path), "--to", str(dest))
    runs = json.loads(perf("runs", "--format", "json", "--store", str(dest)))
    assert [r["run_id"] for r in runs["runs"]] == ["job-0", "job-1"]
    assert "job0" in perf("compare", "job0", "job1", "--store", str(dest))


def test_import_round_trip_is_idempotent_and_refuses_a_different_run(store, folder, tmp_path):
    target = tmp_path / "imported.duckdb"
    perf("import", str(folder), "--store", str(target))
    args = ["report", "--format", "json", "--last", "2"]
    assert (_without_ids(perf(*args, "--store", str(target)), target)
            == _without_ids(perf(*args, "--store", str(store)), store))
    result = CliRunner().invoke(cli, ["import", str(folder), "--store", str(target)])
    assert result.exit_code == 0 and result.output.count("already in the store, the same: skipped") == 2
    # The same run id with other rows: an error, and the store keeps what it had.
    tampered = tmp_path / "tampered"
    shutil.copytree(folder / RUNS[0]["run_id"], tampered / RUNS[0]["run_id"])
    con = open_store(folder, read_only=True)
    con.execute(f"COPY (SELECT * REPLACE ('other' AS label) FROM runs WHERE run_id = '{RUNS[0]['run_id']}') "
                f"TO '{tampered / RUNS[0]['run_id'] / 'runs.parquet'}' (FORMAT parquet)")
    con.close()
    before = perf(*args, "--store", str(target))
    line = failing("import", str(tampered), "--store", str(target))
    assert f"already holds a run {RUNS[0]['run_id']} with different rows" in line
    assert perf(*args, "--store", str(target)) == before


def test_an_export_is_never_overwritten_and_a_half_written_one_is_not_a_run(store, folder, tmp_path):
    again = CliRunner().invoke(cli, ["export", RUNS[0]["run_id"], "--store", str(store), "--to", str(folder)])
    assert again.exit_code == 0 and "already exported, the same" in again.output
    copy = tmp_path / "history"
    shutil.copytree(folder, copy)
    (copy / ".x.partial").mkdir()
    shutil.copy(copy / RUNS[0]["run_id"] / "runs.parquet", copy / ".x.partial" / "runs.parquet")
    unfinished = copy / "f00d"
    unfinished.mkdir()
    shutil.copy(copy / RUNS[0]["run_id"] / "runs.parquet", unfinished / "runs.parquet")  # no manifest
    runs = json.loads(perf("runs", "--format", "json", "--store", str(copy)))
    assert len(runs["runs"]) == 2


def test_a_run_folder_missing_a_file_its_manifest_counts_is_refused_not_read_short(folder, tmp_path):
    """Read without it, the run would show no attacks (the file was skipped before)."""
    copy = tmp_path / "history"
    shutil.copytree(folder, copy)
    (copy / RUNS[0]["run_id"] / "attacks.parquet").unlink()
    line = failing("runs", "--store", str(copy))
    assert (f"history folder {copy} is damaged: {copy / RUNS[0]['run_id'] / 'attacks.parquet'} "
            "is gone, and its manifest counts rows in it") in line


# collect takes the same path (perf.store.database.writer_lock): tests/system/test_collect_errors.py
@pytest.mark.parametrize("command", [["import", "FOLDER"], ["ingest", "FOLDER/x.json"]],
                         ids=lambda c: c[0])
def test_writing_commands_refuse_a_folder(folder, command):
    line = failing(*[part.replace("FOLDER", str(folder)) for part in command], "--store", str(folder))
    assert "is a history folder" in line and "perf export" in line


def test_runs_named_twice_in_one_import_go_in_once(store, folder, tmp_path):
    """A history folder and one of its runs on the same command line: one copy of the run,
    the second said to be there already."""
    target = tmp_path / "once.duckdb"
    result = CliRunner().invoke(cli, ["import", str(folder), str(folder / RUNS[0]["run_id"]),
                                      "--store", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": imported") == 2 and result.output.count("skipped") == 1
    con = open_store(target, read_only=True)
    try:
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        attacks = con.execute("SELECT count(*), count(DISTINCT attack_id) FROM attacks").fetchone()
    finally:
        con.close()
    assert runs == 2 and attacks[0] == attacks[1]


def test_many_run_folders_read_in_the_order_of_their_files(tmp_path):
    """Over FEW_FILES files, a table's files are read in any order (twice as fast) and the
    rows then put in the order of the files and their rows: every table holds the same rows
    in the same order as a plain, ordered read gives, and says the same as the store."""
    from perf.store import history_folder
    from perf.store.database import expected_schema

    path, dest = tmp_path / "many.duckdb", tmp_path / "history"
    t0 = datetime(2025, 6, 1, tzinfo=timezone.utc)
    con = open_store(path)
    for i in range(24):
        add_run(con, tmp_path, f"run-{i:02d}", started=t0 + timedelta(hours=i), label=f"r{i % 3}",
                endpoints=DEFAULT_ENDPOINTS[:2], rates=(25, 50), workers=(1,), duration_s=1.0,
                seed=i + 1)
    con.close()
    perf("export", *[f"run-{i:02d}" for i in range(24)], "--store", str(path), "--to", str(dest),
         "--with-requests")

    def tables(con) -> dict:
        return {t: con.execute(f"SELECT * FROM {t}").fetchall()
                for t in history_folder.TABLES + history_folder.RAW_TABLES}

    plain = history_folder.open_folder(dest, expected_schema().ddl)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(history_folder, "FEW_FILES", 0)
        reordered = history_folder.open_folder(dest, expected_schema().ddl)
        try:
            got, want = tables(reordered), tables(plain)
            assert len(want["attacks"]) == 24 * 4 and len(want["attack_stats"]) == 24 * 4
            assert got == want
            assert reordered.execute(
                "SELECT current_setting('preserve_insertion_order')").fetchone() == (True,)
        finally:
            plain.close()
            reordered.close()
        for args in (["history", "--format", "json"], ["report", "--format", "json", "--last", "3"]):
            says_the_same(path, dest, args)
