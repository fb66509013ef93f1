"""The reading commands (report, runs, compare, history, ingest, doctor) fail with one line and
lose nothing: a signal mid-query, a damaged store, numbers JSON has no words for, a full disk
under --output, repeats without noise. Each case through the real CLI on a real DuckDB file."""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import psutil
import pytest

from perf.collector.storage.records import AttackRecord
from perf.collector.storage.run_rows import run_row
from perf.collector.storage.spool import attack_files, finish_files, run_files, write_entry
from perf.store.database import SCHEMA_VERSION, open_store, spool_path
from perf.reporter.compute.verdicts import NO_NOISE
from tests.fake_sweep import ALL_ENDPOINTS, Endpoint, add_run, attack_rows
from tests.helpers import PERF, REPO, perf_env, run_perf

T0 = datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)
SIMPLE = "GET /api/simple/async/{item_id}"
ENDPOINTS = [e for e in ALL_ENDPOINTS if e.endpoint in (SIMPLE, "GET /api/db/async/read/{item_id}")]


# ---- helpers ----------------------------------------------------------------------------

def strict_json(text: str):
    """json.loads that rejects NaN and Infinity, as JSON.parse and jq do."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def one_line(proc, code: int = 1) -> str:
    """Exit `code`, nothing on stdout, and stderr exactly one `perf: error: ...` line."""
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("perf: error: "), proc.stderr
    assert proc.stdout == ""
    return lines[0]


def store_line(proc) -> str:
    """perf doctor's store line, without its padded name."""
    (line,) = [l for l in proc.stdout.splitlines() if l.startswith("store ")]
    return line.split(None, 1)[1]


def count(store: Path, sql: str) -> int:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def vegeta_csv(path: Path, rate: float = 20, duration_s: float = 1.0) -> Path:
    """A small vegeta CSV results file (tests/fake_sweep.py's model of an attack)."""
    rows = attack_rows(ENDPOINTS[0], rate, 1, duration_s, int(T0.timestamp() * 1e9),
                       np.random.default_rng(7))
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    """Four runs of two endpoints, two repeats per cell, stored with the real ingest."""
    tmp = tmp_path_factory.mktemp("healthy")
    path = tmp / "perf.duckdb"
    con = open_store(path)
    try:
        for i in range(4):
            add_run(con, tmp, f"run{i:09d}", started=T0 + timedelta(hours=i), endpoints=ENDPOINTS,
                    rates=(25,), workers=(1,), duration_s=2.0, repeats=2, seed=i + 1)
    finally:
        con.close()
    return path


# ---- 1. Ctrl-C and SIGTERM while DuckDB runs a query -------------------------------------

BIG_REQUESTS = 6_000_000  # seconds of aggregation in one attack
BIG_RESULTS = 2_000_000  # seconds of reading and storing one results file


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> Path:
    """One attack of 6 million requests made with SQL in seconds, with no attack_stats row:
    a report aggregates every raw row, seconds of queries to interrupt."""
    path = tmp_path_factory.mktemp("big") / "big.duckdb"
    con = open_store(path)
    try:
        con.execute("INSERT INTO runs (run_id, started_at, finished_at, status, target, config) "
                    "VALUES ('bigrun000001', ?, ?, 'complete', 'x', '{}')",
                    [T0, T0 + timedelta(minutes=10)])
        attack_id = con.execute("SELECT nextval('attack_ids')").fetchone()[0]
        con.execute("INSERT INTO attacks (attack_id, run_id, endpoint, method, path, server, "
                    "workers, mode, target_rate, duration_s, generator_ok) VALUES "
                    "(?, 'bigrun000001', 'GET /x', 'GET', '/x', 'uvicorn', 1, 'rate', 10000, 600, "
                    "true)", [attack_id])
        con.execute("INSERT INTO requests SELECT $id, i, $t0 + i * 100000, "
                    "2000000 + hash(i) % 60000000, 200, 27, 0, '', 'GET', 'http://h/x' "
                    "FROM range($n) t(i)",
                    {"id": attack_id, "t0": int(T0.timestamp() * 1e9), "n": BIG_REQUESTS})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def big_results(tmp_path_factory) -> Path:
    """A vegeta CSV results file of 2 million results, written by DuckDB in a second or two."""
    path = tmp_path_factory.mktemp("big-results") / "big.csv"
    t0 = int(T0.timestamp() * 1e9)
    duckdb.connect().execute(
        f"COPY (SELECT {t0} + i * 1000000, 200, 2000000 + hash(i) % 60000000, 0, 27, '', '', '', "
        f"i, 'GET', 'http://h/x', '' FROM range({BIG_RESULTS}) t(i)) "
        f"TO '{path}' (HEADER false, DELIMITER ',')")
    yield path
    path.unlink()


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(f.path == str(path) for f in psutil.Process(pid).open_files())
    except psutil.Error:
        return False


def stop_mid_query(args: list[str], tmp_path: Path, sig: int, ready) -> tuple[int, str, float]:
    """Run `perf ARGS`, wait until `ready(pid)` (it is at the store), give it half a second to
    be inside a long query, send `sig`: (exit status, stderr, seconds from signal to exit)."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.Popen([*PERF, *args], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=perf_env(tmp_path, TMPDIR=str(tmp_path / "tmp")))
    try:
        deadline = time.monotonic() + 60
        while not ready(proc.pid):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "perf never reached the store"
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "perf finished before the signal: make the data bigger"
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        return proc.returncode, err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]


@pytest.mark.parametrize("sig, status", SIGNALS)
def test_a_signal_during_a_report_query_is_one_line_and_writes_nothing(
        tmp_path, big_store, sig, status):
    out = tmp_path / "out"
    out.mkdir()
    code, err, took = stop_mid_query(
        ["report", "--store", str(big_store), "-o", str(out / "r.html")], tmp_path, sig,
        lambda pid: _has_open(pid, big_store))
    assert (code, err) == (status, "perf: interrupted\n")
    assert took < 10
    assert list(out.iterdir()) == []  # no report, no half-written temporary file
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("sig, status", SIGNALS)
def test_a_signal_during_ingest_keeps_what_it_finished(tmp_path, big_results, sig, status):
    """What an earlier perf left spooled is stored first and kept; the results file being
    stored when the signal came leaves no trace (its transaction is rolled back)."""
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    row = run_row(status="running", label="spooled", target="t", config={}, vegeta_version="v",
                  with_git=False)
    attack = AttackRecord(run_id=row["run_id"], endpoint=SIMPLE, method="GET",
                          path="/api/simple/async/{item_id}", target_rate=20.0, started_at=T0)
    root = spool_path(store)
    write_entry(root, row["run_id"], 0, "run", run_files(row))
    write_entry(root, row["run_id"], 1, "attack",
                attack_files(attack, vegeta_csv(tmp_path / "small.csv"), []))
    write_entry(root, row["run_id"], 2, "finish", finish_files("complete", T0))

    code, err, took = stop_mid_query(
        ["ingest", str(big_results), "--rate", "1000", "--store", str(store)], tmp_path, sig,
        lambda pid: not root.exists() and _has_open(pid, store))
    assert (code, err) == (status, "perf: interrupted\n")
    assert took < 10
    assert count(store, "SELECT count(*) FROM runs") == 1
    assert count(store, "SELECT count(*) FROM runs WHERE label = 'spooled' "
                        "AND status = 'complete'") == 1
    assert count(store, "SELECT count(*) FROM requests") == 20
    assert list((tmp_path / "tmp").iterdir()) == []  # no scratch folder left


# ---- 2. a damaged store -------------------------------------------------------------------

def damaged(healthy: Path, tmp_path: Path, *sql: str) -> Path:
    store = tmp_path / "s.duckdb"
    shutil.copy(healthy, store)
    con = duckdb.connect(str(store))
    try:
        for statement in sql:
            con.execute(statement)
    finally:
        con.close()
    return store


READERS = [["report"], ["report", "--format", "json"], ["runs", "--format", "json"],
           ["compare", "--format", "json"], ["history", "--format", "json"]]


@pytest.mark.parametrize("damage, missing", [
    ("DROP TABLE attack_stats", "table attack_stats is missing"),
    ("ALTER TABLE attack_stats DROP COLUMN q", "column attack_stats.q is missing"),
])
def test_a_lost_cache_is_rebuilt_from_the_raw_rows(tmp_path, healthy, damage, missing):
    store = damaged(healthy, tmp_path, damage)
    before = store.read_bytes()
    for args in READERS:
        want = run_perf([*args, "--store", str(healthy)], tmp_path)
        got = run_perf([*args, "--store", str(store)], tmp_path)
        assert (got.returncode, got.stderr) == (want.returncode, want.stderr) == (0, ""), args
        assert got.stdout == want.stdout, args
    assert store.read_bytes() == before  # readers never write the store
    doctor = run_perf(["doctor", "--store", str(store)], tmp_path)
    assert doctor.returncode == 1
    assert store_line(doctor) == (
        f"DAMAGED: {store} (perf store v{SCHEMA_VERSION}; damaged: {missing} (only a cache: reports aggregate "
        "the raw rows, the next perf collect or ingest recreates it))")
    # The next writer recreates it, empty: its rows come back as attacks are stored.
    ingest = run_perf(["ingest", str(vegeta_csv(tmp_path / "r.csv")), "--rate", "20",
                       "--store", str(store)], tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert store_line(run_perf(["doctor", "--store", str(store)], tmp_path)) == (
        f"{store} (perf store v{SCHEMA_VERSION})")
    assert count(store, "SELECT count(*) FROM attack_stats") == 1


@pytest.mark.parametrize("damage, missing", [
    ("DROP TABLE requests", "table requests is missing"),
    ("DROP TABLE attacks", "table attacks is missing"),
    ("DROP TABLE runs", "table runs is missing"),
    ("ALTER TABLE attacks DROP COLUMN role", "column attacks.role is missing"),
    ("ALTER TABLE requests DROP COLUMN latency_ns", "column requests.latency_ns is missing"),
])
def test_what_cannot_be_read_is_one_line(tmp_path, healthy, damage, missing):
    store = damaged(healthy, tmp_path, damage)
    before = store.read_bytes()
    line = (f"perf: error: store {store} is damaged: {missing}; perf cannot read it (restore "
            "it from a copy, or use another --store)")
    for args in READERS:
        proc = run_perf([*args, "--store", str(store)], tmp_path)
        assert one_line(proc, 2 if args[0] == "compare" else 1) == line, args
    results = vegeta_csv(tmp_path / "r.csv")
    ingest = run_perf(["ingest", str(results), "--store", str(store)], tmp_path)
    assert one_line(ingest) == line
    assert store.read_bytes() == before
    doctor = run_perf(["doctor", "--store", str(store)], tmp_path)
    assert doctor.returncode == 1
    assert store_line(doctor) == (f"DAMAGED: {store} (perf store v{SCHEMA_VERSION}; damaged: {missing}; "
                                  "perf cannot read it)")


def test_a_lost_sequence_stops_writers_not_readers(tmp_path, healthy):
    store = damaged(healthy, tmp_path, "DROP SEQUENCE attack_ids")
    for args in READERS:
        want = run_perf([*args, "--store", str(healthy)], tmp_path)
        got = run_perf([*args, "--store", str(store)], tmp_path)
        assert (got.returncode, got.stderr, got.stdout) == (0, "", want.stdout), args
    ingest = run_perf(["ingest", str(vegeta_csv(tmp_path / "r.csv")), "--store", str(store)],
                      tmp_path)
    assert one_line(ingest) == (
        f"perf: error: store {store} is damaged: sequence attack_ids is missing; perf cannot "
        "write it (restore it from a copy, or use another --store)")
    doctor = run_perf(["doctor", "--store", str(store)], tmp_path)
    assert doctor.returncode == 1
    assert store_line(doctor) == (f"DAMAGED: {store} (perf store v{SCHEMA_VERSION}; damaged: sequence "
                                  "attack_ids is missing; perf cannot write it)")


# ---- 3. JSON never holds NaN or Infinity ---------------------------------------------------

@pytest.fixture(scope="module")
def broken_then_fixed(tmp_path_factory) -> Path:
    """Two runs where every request failed (achieved RPS 0), then two healthy ones."""
    tmp = tmp_path_factory.mktemp("broken")
    path = tmp / "perf.duckdb"
    good = next(e for e in ALL_ENDPOINTS if e.endpoint == SIMPLE)
    broken = Endpoint(good.endpoint, good.service_ms, good.capacity_per_worker,
                      good.cpu_per_req_ms, error_rate=1.0)
    con = open_store(path)
    try:
        for i, (label, ep) in enumerate([("broken", broken), ("broken", broken),
                                         ("fixed", good), ("fixed", good)]):
            add_run(con, tmp, f"{label}{i:07d}", label=f"{label}-{i}",
                    started=T0 + timedelta(hours=i), endpoints=[ep], rates=(25,), workers=(1,),
                    duration_s=2.0, repeats=2, seed=i + 1)
    finally:
        con.close()
    return path


def test_a_change_from_zero_is_null_with_its_reason(tmp_path, broken_then_fixed):
    proc = run_perf(["compare", "broken-1", "fixed-2", "--format", "json",
                     "--store", str(broken_then_fixed)], tmp_path)
    assert proc.returncode in (0, 1) and proc.stderr == "", proc.stderr
    doc = strict_json(proc.stdout)
    achieved = doc["cells"][0]["metrics"]["achieved_rps"]
    assert achieved["base"] == 0 and achieved["candidate"] > 20
    assert achieved["change"] is None and achieved["note"] == "the base is 0: no relative change"
    assert achieved["verdict"] == "better"
    text = run_perf(["compare", "broken-1", "fixed-2", "--store", str(broken_then_fixed)],
                    tmp_path)
    assert text.returncode in (0, 1) and text.stderr == "", text.stderr


def test_every_json_output_parses_strictly(tmp_path, broken_then_fixed):
    store = ["--store", str(broken_then_fixed)]
    for args in (["report", "--last", "4"], ["runs"], ["compare", "broken-1", "fixed-2"],
                 ["history"]):
        proc = run_perf([*args, "--format", "json", *store], tmp_path)
        assert proc.returncode in (0, 1) and proc.stderr == "", (args, proc.stderr)
        strict_json(proc.stdout)
    history = strict_json(run_perf(["history", "--format", "json", *store], tmp_path).stdout)
    (rise,) = history["cells"][0]["change_points"]["achieved_rps"]
    assert rise["before"] == 0 and rise["change"] is None and rise["first_run"] == "fixed0000002"
    text = run_perf(["history", *store], tmp_path)
    assert "achieved_rps from 0 (0.0 → " in text.stdout


# ---- 4. --output is replaced whole or not at all -------------------------------------------

def run_limited(args: list[str], tmp_path: Path, max_file_bytes: int):
    """`perf ARGS` unable to write a file past `max_file_bytes` (RLIMIT_FSIZE): its writes
    fail with EFBIG as on a full disk, without root or a tiny file system."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run([*PERF, *args], cwd=REPO, env=perf_env(tmp_path), capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL, preexec_fn=limit)


@pytest.mark.parametrize("command, name, status", [
    (["report", "--last", "2"], "r.html", 1),
    (["compare"], "c.json", 2),
])
def test_a_full_disk_keeps_the_old_output(tmp_path, healthy, command, name, status):
    out = tmp_path / "out"
    out.mkdir()
    target = out / name
    target.write_text("the previous output\n")
    proc = run_limited([*command, "--store", str(healthy), "-o", str(target)], tmp_path, 4096)
    assert one_line(proc, status) == f"perf: error: cannot write --output {target}: File too large"
    assert target.read_text() == "the previous output\n"
    assert [p.name for p in out.iterdir()] == [name]  # no temporary file left


@pytest.mark.parametrize("command, status", [(["report"], 1), (["compare"], 2)])
def test_a_device_is_written_as_it_is(tmp_path, healthy, command, status):
    """/dev/full cannot be replaced by a renamed file (nor must it be): written in place, its
    error is the one line."""
    proc = run_perf([*command, "--format", "json", "--store", str(healthy), "-o", "/dev/full"],
                    tmp_path)
    assert one_line(proc, status) == ("perf: error: cannot write --output /dev/full: "
                                      "No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_replaced_output_keeps_its_mode_and_its_link(tmp_path, healthy):
    out = tmp_path / "out"
    out.mkdir()
    real = out / "real.md"
    real.write_text("old\n")
    real.chmod(0o640)
    link = out / "link.md"
    link.symlink_to(real)
    proc = run_perf(["report", "--store", str(healthy), "-o", str(link)], tmp_path)
    assert proc.returncode == 0 and proc.stderr == f"wrote {link}\n", proc.stderr
    assert link.is_symlink() and real.read_text().startswith("## perf report")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in out.iterdir()) == ["link.md", "real.md"]


# ---- 5. repeats without noise --------------------------------------------------------------

def clone_run(con, source: str, run_id: str, started: datetime, repeats: int) -> None:
    """Store `source`'s attacks again as run `run_id`, `repeats` times: repeats identical to
    the request (as a deterministic endpoint, or a cached response, gives them)."""
    con.execute("INSERT INTO runs SELECT * REPLACE (?::VARCHAR AS run_id, "
                "?::TIMESTAMPTZ AS started_at) FROM runs WHERE run_id = ?",
                [run_id, started, source])
    ids = [r[0] for r in con.execute("SELECT attack_id FROM attacks WHERE run_id = ? "
                                     "ORDER BY attack_id", [source]).fetchall()]
    for repeat in range(repeats):
        for old in ids:
            new = con.execute("SELECT nextval('attack_ids')").fetchone()[0]
            con.execute("INSERT INTO attacks SELECT * REPLACE (?::BIGINT AS attack_id, "
                        "?::VARCHAR AS run_id, ?::INTEGER AS repeat_index) "
                        "FROM attacks WHERE attack_id = ?", [new, run_id, repeat, old])
            for table in ("requests", "samples"):
                con.execute(f"INSERT INTO {table} SELECT * REPLACE (?::BIGINT AS attack_id) "
                            f"FROM {table} WHERE attack_id = ?", [new, old])


@pytest.fixture(scope="module")
def identical_repeats(tmp_path_factory) -> Path:
    """'flat' and 'flat-again': three identical repeats of one attack per cell each; 'slow-1'
    and 'slow-2': the same cells 50% slower, with ordinary noise between repeats."""
    tmp = tmp_path_factory.mktemp("identical")
    path = tmp / "perf.duckdb"
    con = open_store(path)
    try:
        add_run(con, tmp, "source000001", label="source", started=T0, endpoints=ENDPOINTS,
                rates=(25,), workers=(1,), duration_s=2.0, seed=1)
        clone_run(con, "source000001", "identical001", T0 + timedelta(hours=1), repeats=3)
        con.execute("UPDATE runs SET label = 'flat' WHERE run_id = 'identical001'")
        clone_run(con, "source000001", "identical002", T0 + timedelta(hours=2), repeats=3)
        con.execute("UPDATE runs SET label = 'flat-again' WHERE run_id = 'identical002'")
        for i in (1, 2):
            add_run(con, tmp, f"slow0000000{i}", label=f"slow-{i}",
                    started=T0 + timedelta(hours=2 + i), endpoints=ENDPOINTS, rates=(25,),
                    workers=(1,), duration_s=2.0, repeats=3, seed=10 + i, slowdown=1.5)
    finally:
        con.close()
    return path


def test_identical_repeats_against_noisy_ones_print_no_warning(tmp_path, identical_repeats):
    store = ["--store", str(identical_repeats)]
    for args in (["compare", "flat", "slow-1"], ["compare", "flat", "slow-1", "--format", "json"],
                 ["history"], ["history", "--format", "json"]):
        proc = run_perf([*args, *store], tmp_path)
        assert proc.returncode in (0, 1) and proc.stderr == "", (args, proc.stderr)
    doc = strict_json(run_perf(["compare", "flat", "slow-1", "--format", "json", *store],
                               tmp_path).stdout)
    p50 = next(c for c in doc["cells"] if c["cell"]["endpoint"] == SIMPLE)["metrics"]["p50"]
    assert len(set(p50["base_values"])) == 1 and len(set(p50["candidate_values"])) == 3
    assert p50["verdict"] == "worse" and p50["p_value"] < 0.05 and p50["note"] == ""
    history = strict_json(run_perf(["history", "--format", "json", *store], tmp_path).stdout)
    cell = next(c for c in history["cells"] if c["cell"]["endpoint"] == SIMPLE)
    assert [cp["first_run"] for cp in cell["change_points"]["p50"]] == ["slow00000001"]


def test_identical_repeats_on_both_sides_say_the_threshold_decides(tmp_path, identical_repeats):
    proc = run_perf(["compare", "flat", "flat-again", "--format", "json", "--store",
                     str(identical_repeats)], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    for cell in strict_json(proc.stdout)["cells"]:
        for m in cell["metrics"].values():
            if m["base_values"]:
                assert (m["verdict"], m["p_value"], m["note"]) == ("same", 1.0, NO_NOISE), m
