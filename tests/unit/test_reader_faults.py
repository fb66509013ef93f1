"""Reader faults decided in-process: which queries count as interrupted, the schema checked,
JSON that refuses NaN (the real processes are in tests/system/test_reader_faults.py)."""

from __future__ import annotations

import signal

import duckdb
import pytest

from perf.base import interrupts
from perf.base.jsontext import json_document
from perf.store.database import expected_schema, open_store, schema_damage
from tests.system.test_reader_faults import strict_json  # noqa: F401 (fixtures too)


def test_only_a_query_stopped_by_a_signal_counts_as_interrupted(monkeypatch):
    stopped = RuntimeError("Query interrupted")
    assert not interrupts.stopped_query(stopped)  # no signal received: an error like any other
    monkeypatch.setattr(interrupts, "_first", signal.SIGINT)
    assert interrupts.stopped_query(stopped)
    assert not interrupts.stopped_query(RuntimeError("something else broke"))
    assert not interrupts.stopped_query(ValueError("Query interrupted"))
    try:
        try:
            raise stopped
        except RuntimeError:
            raise ValueError("cannot store the results") from None
    except ValueError as wrapped:  # wrapped by a caller: still the signal
        assert interrupts.stopped_query(wrapped)


def test_the_schema_checked_is_the_one_the_migrations_build(tmp_path):
    """expected_schema() is read back from MIGRATIONS (never a second list); every table, column
    and sequence of it missing from a store is named."""
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    con = duckdb.connect(str(store))
    try:
        made = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "ORDER BY table_name, ordinal_position").fetchall():
            made.setdefault(table, []).append(column)
        schema = expected_schema()
        assert {t: list(c) for t, c in schema.columns.items()} == made
        assert set(schema.sequences) == {"attack_ids", "check_ids", "capacity_ids"}
        assert not schema_damage(con)
        for table, columns in schema.columns.items():
            con.execute("BEGIN")
            con.execute(f"DROP TABLE {table}")
            assert schema_damage(con).tables == (table,)
            con.execute("ROLLBACK")
            for column in columns[1:]:  # the first may carry the primary key
                con.execute("BEGIN")
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
                assert schema_damage(con).columns == (f"{table}.{column}",)
                con.execute("ROLLBACK")
        for sequence in schema.sequences:
            con.execute("BEGIN")
            con.execute(f"DROP SEQUENCE {sequence}")
            assert schema_damage(con).sequences == (sequence,)
            con.execute("ROLLBACK")
    finally:
        con.close()


def test_json_documents_refuse_nan_and_infinity():
    assert strict_json(json_document({"x": 1.5, "y": None})) == {"x": 1.5, "y": None}
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError):
            json_document({"x": bad})
