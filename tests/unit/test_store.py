"""The store's schema versions and the attack_stats cache: migration in place, cache == raw."""

from __future__ import annotations

import duckdb
import pytest

from perf.base.errors import PerfError
from perf.store.database import SCHEMA_VERSION, open_store
from perf.reporter.query import attacks as query
from perf.reporter.rows import AttackRow
from tests.report_fixtures import build_store


def _summaries(path) -> list[AttackRow]:
    con = open_store(path, read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT attack_id FROM attacks").fetchall()]
        return query.summaries(con, ids)
    finally:
        con.close()


def _execute(path, *statements: str) -> None:
    """Change the store behind perf's back, as another DuckDB client (or an old perf) would."""
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _counts(path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("runs", "attacks", "requests", "samples")}
    finally:
        con.close()


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.duckdb"
    build_store(path)
    return path


def test_ingest_caches_stats_for_every_attack(store):
    con = duckdb.connect(str(store), read_only=True)
    missing = con.execute(
        "SELECT count(*) FROM attacks WHERE attack_id NOT IN (SELECT attack_id FROM attack_stats)"
    ).fetchone()[0]
    con.close()
    assert missing == 0


def test_cached_and_raw_summaries_are_identical(store):
    cached = _summaries(store)
    _execute(store, "DELETE FROM attack_stats")
    assert _summaries(store) == cached


def test_cache_rows_of_another_stats_version_are_ignored(store):
    cached = _summaries(store)
    # A stale row with wrong numbers must never be read.
    _execute(store, "UPDATE attack_stats SET version = version + 100, requests = 1, q = [0, 0, 0, 0, 0]")
    assert _summaries(store) == cached


# What each version added, undone: turns a current store into an older one, as an older perf
# would have left it.
_V3_ADDED = [
    "ALTER TABLE runs DROP COLUMN pid", "ALTER TABLE runs DROP COLUMN pid_started",
    "ALTER TABLE attacks DROP COLUMN repeat_index", "ALTER TABLE attacks DROP COLUMN role",
    "ALTER TABLE attacks DROP COLUMN background", "ALTER TABLE attacks DROP COLUMN foreground_id",
    "ALTER TABLE attacks DROP COLUMN check_id", "DROP TABLE error_samples",
    "DROP TABLE server_checks", "DROP SEQUENCE check_ids", "DROP TABLE capacity",
    "DROP SEQUENCE capacity_ids",
]
_V2_ADDED = ["DROP TABLE attack_stats"]
_V4_ADDED = ["DROP TABLE request_counts"]


def _downgrade(path, version: int) -> None:
    undo = _V4_ADDED + (_V3_ADDED if version < 3 else []) + (_V2_ADDED if version < 2 else [])
    _execute(path, *undo, f"UPDATE perf_meta SET value = '{version}' WHERE key = 'schema_version'")


def test_v2_store_is_migrated_in_place_keeping_every_row(store):
    before_counts, before = _counts(store), _summaries(store)
    _downgrade(store, 2)
    assert _summaries(store) == before
    con = duckdb.connect(str(store), read_only=True)
    version = con.execute("SELECT value FROM perf_meta WHERE key = 'schema_version'").fetchone()
    repeats = con.execute("SELECT DISTINCT repeat_index FROM attacks").fetchall()
    con.close()
    assert version == (str(SCHEMA_VERSION),) and repeats == [(0,)]
    assert _counts(store) == before_counts


def test_v1_store_is_migrated_in_place_keeping_every_row(store):
    before_counts, before = _counts(store), _summaries(store)
    _downgrade(store, 1)

    assert _summaries(store) == before  # a reader migrates it, then reads the raw rows
    con = duckdb.connect(str(store), read_only=True)
    version = con.execute("SELECT value FROM perf_meta WHERE key = 'schema_version'").fetchone()
    cached = con.execute("SELECT count(*) FROM attack_stats").fetchone()[0]
    con.close()
    assert version == (str(SCHEMA_VERSION),) and cached == 0
    assert _counts(store) == before_counts


def test_newer_store_is_refused_not_touched(store):
    _execute(store, "UPDATE perf_meta SET value = '99' WHERE key = 'schema_version'")
    for read_only in (True, False):
        with pytest.raises(PerfError, match="schema v99, newer than this perf knows"):
            open_store(store, read_only=read_only)


def test_a_duckdb_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    _execute(path, "CREATE TABLE mine (x INTEGER)")
    with pytest.raises(PerfError, match="not a perf store"):
        open_store(path)


def test_v3_store_is_migrated_and_its_request_counts_come_from_the_raw_rows(store):
    """v4 keeps each attack's requests counted by status and error kind (request_counts); a store
    from before has none, and its reports count them from the raw rows, as before."""
    con = open_store(store, read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT attack_id FROM attacks").fetchall()]
        before = query.request_counts(con, ids)
        stored = con.execute("SELECT count(*) FROM request_counts").fetchone()[0]
    finally:
        con.close()
    assert stored > 0 and any(before[1].values())  # the fixture has timeouts and 503s
    _downgrade(store, 3)
    con = open_store(store, read_only=True)
    try:
        assert query.request_counts(con, ids) == before
        assert con.execute("SELECT count(*) FROM request_counts").fetchone()[0] == 0
    finally:
        con.close()


def test_a_store_found_whole_is_not_checked_again_until_its_catalog_changes(tmp_path, monkeypatch):
    """An open skips replaying MIGRATIONS (expected_schema, ~40 ms a command) only while the
    store's catalog is the one a writer found whole; a column dropped since is still found."""
    from perf.store import database

    path = tmp_path / "s.duckdb"
    open_store(path).close()  # a writer creates it and finds it whole

    def replayed(*args, **kwargs):
        raise AssertionError("expected_schema replayed")

    with monkeypatch.context() as m:
        m.setattr(database, "expected_schema", replayed)
        open_store(path, read_only=True).close()  # the catalog is the one found whole
        open_store(path).close()
    _execute(path, "ALTER TABLE attacks DROP COLUMN role")
    with pytest.raises(PerfError, match="column attacks.role is missing"):
        open_store(path, read_only=True)
    _execute(path, "ALTER TABLE attacks ADD COLUMN role VARCHAR",
             "UPDATE perf_meta SET value = 'forged' WHERE key = 'schema_whole'")
    open_store(path, read_only=True).close()  # checked in full, and whole
