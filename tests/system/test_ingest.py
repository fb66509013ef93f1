"""perf ingest: vegeta result files made elsewhere land in the store exactly, or not at all."""

from __future__ import annotations

import csv
import subprocess

import duckdb
import pytest

from perf.collector.server.server import start_server
from tests.helpers import REPO, run_perf


@pytest.fixture(scope="module")
def attack_gob(tmp_path_factory, vegeta):
    """A real 1 s, 20/s vegeta attack against target_app's /health and /items/{id}."""
    tmp = tmp_path_factory.mktemp("ingest")
    import os

    os.environ.setdefault("TARGET_APP_DB", str(tmp / "app.sqlite3"))
    srv = start_server("uvicorn", "target_app.main:app", 1, tmp / "logs",
                       env={"TARGET_APP_DB": str(tmp / "app.sqlite3"), "PYTHONPATH": str(REPO)})
    try:
        targets = f"GET {srv.base_url}/health\nGET {srv.base_url}/items/999999\n"
        for name in ("results.gob", "results-2.gob"):  # the second: another load machine's
            with open(tmp / name, "wb") as out:
                subprocess.run([str(vegeta), "attack", "-rate=20/1s", "-duration=1s"],
                               input=targets.encode(), stdout=out, check=True, timeout=30)
        yield tmp / "results.gob"
    finally:
        srv.stop()


@pytest.fixture
def second_gob(attack_gob):
    return attack_gob.parent / "results-2.gob"


def _vegeta_rows(vegeta, path):
    out = subprocess.run([str(vegeta), "encode", "--to", "csv", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return sorted(
        (int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], int(r[8]), r[9], r[10])
        for r in csv.reader(out.splitlines())
    )


def _stored_rows(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        return sorted(con.execute(
            "SELECT ts, code, latency_ns, bytes_out, bytes_in, error, seq, method, url FROM requests"
        ).fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("encoding", ["gob", "json", "csv"])
def test_ingest_stores_every_result_exactly(tmp_path, vegeta, attack_gob, encoding):
    source = attack_gob
    if encoding != "gob":
        source = tmp_path / f"results.{encoding}"
        with open(source, "wb") as out:
            subprocess.run([str(vegeta), "encode", "--to", encoding, str(attack_gob)],
                           stdout=out, check=True)
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(source), "--label", "laptop", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = _vegeta_rows(vegeta, attack_gob)
    assert len(expected) == 20
    assert {r[1] for r in expected} == {200, 404}  # the 404s are stored, not dropped
    assert _stored_rows(store) == expected
    con = duckdb.connect(str(store), read_only=True)
    run = con.execute("SELECT label, status FROM runs").fetchone()
    con.close()
    assert run == ("laptop", "complete")


def test_several_files_are_one_attack(tmp_path, vegeta, attack_gob, second_gob):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(attack_gob), str(second_gob), "--endpoint", "GET /health",
                     "--rate", "40", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    attacks = con.execute("SELECT endpoint, target_rate FROM attacks").fetchall()
    seqs = con.execute("SELECT count(*), count(DISTINCT seq) FROM requests").fetchone()
    con.close()
    assert attacks == [("GET /health", 40.0)]
    assert seqs == (40, 40)  # renumbered: both machines' seq 0..19 would collide


@pytest.mark.parametrize("damage", ["truncated", "foreign", "empty", "truncated-csv"])
def test_bad_files_store_nothing(tmp_path, vegeta, attack_gob, damage):
    bad = tmp_path / "bad"
    data = attack_gob.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "foreign":
        bad.write_text("this is not a vegeta file\n")
    elif damage == "empty":
        bad.write_bytes(b"")
    else:
        text = subprocess.run([str(vegeta), "encode", "--to", "csv", str(attack_gob)],
                              capture_output=True, check=True).stdout
        bad.write_bytes(text[: len(text) - 7])
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(attack_gob), str(bad), "--store", str(store)], tmp_path)
    assert proc.returncode == 1 and "perf: error:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not store.exists()  # the files are checked whole before the store is touched
