"""The sweep keeps its promises under bad input and failures (issue 21): large bodies within
what the machine has and never held in memory, a plan that counts what it will run, a full
disk that loses nothing and says so, counts of attacks that count attacks, no attack stored
without its run, and a server that dies named at once with its cause.

Real processes throughout (perf, uvicorn, vegeta, DuckDB files). The full disk is the kernel's
own: the store's write-ahead log is a symlink to /dev/full, which answers every write with
ENOSPC ("No space left on device"), so no root and no small file system are needed.
"""

from __future__ import annotations

import json
import signal
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import pytest

from perf.collector.storage.spool import REJECTED, attack_files, finish_files, pending, run_files, write_entry
from perf.store.database import open_store, spool_path
from tests.helpers import results_said, run_perf
from tests.system.test_faults import (Perf, counts, one_error_line, query, reader,  # noqa: F401
                               results_json)

SWEEP = ["--rates", "10", "--duration", "1s", "--workers", "1", "--warmup", "0"]


# ---- 1. large bodies ---------------------------------------------------------------------

def test_a_body_this_machine_cannot_hold_fails_before_any_server_or_run(tmp_path):
    # The issue's own 50 GB, or more on a machine with more memory than that.
    size_gb = max(50, int(psutil.virtual_memory().available / 1e9 * 3))
    store = tmp_path / "s.duckdb"
    line = one_error_line(run_perf(
        ["collect", "--endpoint", "POST /api/payload/ping", *SWEEP, "--background",
         f"size={size_gb}GB rate=1", "--store", str(store)], tmp_path))
    assert line.startswith(f"perf: error: a {size_gb}GB request body is too large for this "
                           f"machine: vegeta holds each body in memory, ")
    assert " is available and large bodies may take at most half of it (" in line
    assert not store.exists()  # no run was written
    assert not (tmp_path / "logs").exists()  # no server was started (each start writes a log)


def test_the_dry_run_shows_every_background_load_and_counts_every_attack(tmp_path):
    args = ["collect", "--dry-run", "--endpoint", "POST /api/payload/ping", "--rates", "10",
            "--workers", "1", "--duration", "2s", "--warmup", "0", "--background",
            "size=1MB rate=1", "--background", "/api/simple/async/{item_id} rate=2",
            "--store", str(tmp_path / "s.duckdb")]
    text = run_perf(args, tmp_path)
    assert text.returncode == 0, text.stderr
    # alone, then again beside the mix: 2 attacks of 2 s, and 2 background attacks beside
    assert ("  loads: 10/s; workers: 1; 2s attacks: 2 attacks (and 2 background attacks beside "
            "them), ~0:04 of load\n"
            "  background: each attack runs again beside these loads, all at once:\n"
            "    the attacked operation itself, its example body grown to 1MB, at 1/s\n"
            "    GET /api/simple/async/{item_id}, at 2/s\n") in text.stdout
    plan = json.loads(run_perf([*args, "--format", "json", "--repeat", "3"], tmp_path).stdout)
    assert (plan["attacks"], plan["background_attacks"], plan["planned_load_s"]) == (6, 6, 12.0)
    assert plan["background"] == [
        {"load": "rate=1 size=1MB", "endpoint": None, "rate": 1.0, "size_bytes": 10**6},
        {"load": "/api/simple/async/{item_id} rate=2",
         "endpoint": "GET /api/simple/async/{item_id}", "rate": 2.0, "size_bytes": None}]
    one = run_perf(["collect", "--dry-run", "--endpoint", "GET /api/simple/async/{item_id}",
                    *SWEEP, "--store", str(tmp_path / "s.duckdb")], tmp_path)
    assert "1s attacks: 1 attack, ~0:01 of load\n" in one.stdout


# ---- 2. a full disk while storing ------------------------------------------------------

@pytest.mark.slow
def test_a_full_disk_while_storing_loses_nothing_blames_no_reader_and_exits_1(tmp_path):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    wal = store.with_name(store.name + ".wal")
    with reader(store) as holder:  # the whole sweep waits for it: everything is spooled
        perf = Perf(tmp_path, ["--filter", "/api/simple", *SWEEP, "--store", str(store)])
        assert f"held by pid {holder.pid}, a reader" in perf.until(
            lambda l: l.startswith("waiting for the store"))
        run_id = perf.until(lambda l: l.startswith("run ") and "->" in l).split()[1].rstrip(":")
        perf.until(lambda l: l.startswith("[3/3]") and "(elapsed" in l)
        wal.symlink_to("/dev/full")  # the disk is full before the reader lets go
    out = perf.finish()
    assert perf.proc.returncode == 1, out
    assert "Traceback" not in out
    error = out.strip().splitlines()[-1]
    assert [l for l in out.splitlines() if l.startswith("perf: error:")] == [error]
    assert error.startswith(f"perf: error: cannot store spooled run {run_id}/0000-run in store "
                            f"{store}: ")
    assert "No space left on device" in error
    assert (f"; nothing is lost: still spooled in {spool_path(store)}: run {run_id}: its run "
            f"row, 3 attacks, 1 server check, its final status; once the store can be written "
            f"again, run `perf ingest --spooled --store {store}`") in error
    # The reader is gone: nothing that says what became of the run blames it.
    assert str(holder.pid) not in error and "held by" not in error
    assert "the store is held by" not in out
    assert sorted(e.kind for e in pending(spool_path(store))) == [
        "attack", "attack", "attack", "check", "finish", "run"]

    wal.unlink()  # room again: everything spooled is stored, whole
    later = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert later.returncode == 0, later.stderr
    assert query(store, "SELECT run_id, status FROM runs") == [(run_id, "complete")]
    said = results_said(perf.lines)  # each attack's results, as vegeta returned them
    assert len(said) == 3 and min(said) >= 9, said
    assert query(store, "SELECT count(*) FROM requests") == [(sum(said),)]
    assert not spool_path(store).exists()


# ---- 3. counts of attacks ----------------------------------------------------------------

@pytest.mark.slow
def test_an_interrupted_sweep_counts_only_attacks_as_still_spooled(tmp_path):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    with reader(store):  # the run row, the check, the attack and the finish all wait
        perf = Perf(tmp_path, ["--endpoint", "GET /api/simple/async/{item_id}", "--rates",
                               "10,20", "--duration", "1s", "--workers", "1", "--warmup", "0",
                               "--store", str(store)])
        run_id = perf.until(lambda l: l.startswith("run ") and "->" in l).split()[1].rstrip(":")
        perf.until(lambda l: l.startswith("[1/2]") and "kept in the spool" in l)
        perf.proc.send_signal(signal.SIGINT)
        out = perf.finish()
    assert perf.proc.returncode == 130, out
    assert (f"still spooled in {spool_path(store)} (the store is held by pid") in out
    assert f": run {run_id}: its run row, 1 attack, 1 server check, its final status;" in out
    assert out.strip().splitlines()[-1] == (
        f"perf: interrupted: run {run_id} kept 1 finished attack (1 still spooled), "
        f"marked partial")


@pytest.mark.slow
def test_a_sweep_left_spooled_counts_only_attacks(tmp_path):
    """The store held past the end of the sweep and its 30 s grace: the last line counts the
    attack kept, not the run row, check and final status spooled beside it."""
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    with reader(store):
        perf = Perf(tmp_path, ["--endpoint", "GET /api/simple/async/{item_id}", *SWEEP,
                               "--store", str(store)])
        run_id = perf.until(lambda l: l.startswith("run ") and "->" in l).split()[1].rstrip(":")
        out = perf.finish(timeout_s=90)
    assert perf.proc.returncode == 0, out
    assert out.strip().splitlines()[-1] == (
        f"run {run_id}: 1 attack kept, 1 of them still spooled (complete); "
        f"see `perf report --run {run_id}`")


# ---- 4. no attack without its run --------------------------------------------------------

def _spool_a_run(store: Path, csv_path: Path) -> str:
    """A run as a collect the store never took leaves it: its row, an attack, its finish."""
    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.run_rows import run_row

    row = run_row(status="running", label="left", target="t", config={}, vegeta_version="v")
    attack = AttackRecord(run_id=row["run_id"], endpoint="GET /health", method="GET",
                          path="/health", target_rate=20.0, started_at=datetime.now(timezone.utc))
    root = spool_path(store)
    write_entry(root, row["run_id"], 0, "run", run_files(row))
    write_entry(root, row["run_id"], 1, "attack", attack_files(attack, csv_path, []))
    write_entry(root, row["run_id"], 2, "finish",
                finish_files("complete", datetime.now(timezone.utc)))
    return row["run_id"]


@pytest.mark.parametrize("damage, reason", [
    (lambda path: path.write_text('{"run_id": "cut sh'), "unreadable: "),
    (lambda path: path.write_text(json.dumps({**json.loads(path.read_text()),
                                              "cpu_count": "many"})), "Could not convert"),
    (lambda path: path.write_text(json.dumps({**json.loads(path.read_text()),
                                              "started_at": None})), "NOT NULL"),
], ids=["corrupt-json", "a-value-duckdb-refuses", "no-start-time"])
def test_a_bad_spooled_run_row_takes_its_attacks_to_rejected_with_it(
        tmp_path, results_json, vegeta, damage, reason):  # noqa: F811
    from perf.collector.storage.attacks import to_csv

    store = tmp_path / "s.duckdb"
    csv_path = tmp_path / "r.csv"
    to_csv(vegeta, results_json, csv_path)
    run_id = _spool_a_run(store, csv_path)
    root = spool_path(store)
    damage(root / run_id / "0000-run" / "run.json")
    proc = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    line, = proc.stderr.splitlines()
    assert line.startswith(f"spooled run {run_id}/0000-run cannot be stored (")
    assert reason in line
    assert line.endswith(f"); its run row, 1 attack, its final status moved to "
                         f"{root / REJECTED / run_id}")
    assert counts(store)["attacks"] == 0 and counts(store)["runs"] == 0  # no orphan attack
    assert pending(root) == []
    moved = root / REJECTED / run_id
    assert sorted(p.name for p in moved.iterdir()) == [
        "0000-run", "0001-attack", "0002-finish", "reason.txt"]
    assert (moved / "0001-attack" / "results.csv").stat().st_size > 0  # nothing lost
    again = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert again.returncode == 0 and again.stderr == f"nothing spooled for {store}\n"


def test_spooled_attacks_whose_run_is_not_in_the_store_are_never_stored(
        tmp_path, results_json, vegeta):  # noqa: F811
    """The run row gone from the spool (and never stored): its attacks go to rejected/ too."""
    import shutil

    from perf.collector.storage.attacks import to_csv

    store = tmp_path / "s.duckdb"
    csv_path = tmp_path / "r.csv"
    to_csv(vegeta, results_json, csv_path)
    run_id = _spool_a_run(store, csv_path)
    shutil.rmtree(spool_path(store) / run_id / "0000-run")
    proc = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (f"spooled attack {run_id}/0001-attack cannot be stored (its run "
                           f"{run_id} is not in the store); 1 attack, its final status moved "
                           f"to {spool_path(store) / REJECTED / run_id}\n")
    assert counts(store)["attacks"] == 0


# ---- 5. a server that dies mid-attack --------------------------------------------------

@pytest.mark.slow
@pytest.mark.serial  # how soon it is said is measured
def test_a_server_that_dies_during_an_attack_is_said_so_at_once_with_its_cause(tmp_path):
    app_dir = tmp_path / "apps"
    app_dir.mkdir()
    (app_dir / "mortal.py").write_text(textwrap.dedent("""
        import os, sys
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/die")
        def die():
            print("RuntimeError: the connection pool is gone", file=sys.stderr, flush=True)
            os._exit(3)
    """))
    store = tmp_path / "s.duckdb"
    perf = Perf(tmp_path, ["--app", "mortal:app", "--app-dir", str(app_dir), "--rates", "2,3",
                           "--duration", "1s", "--workers", "1", "--warmup", "0",
                           "--idle-wait", "10s", "--store", str(store)])
    perf.until(lambda l: l.startswith("[1/2]") and "(elapsed" in l)
    seen = time.monotonic()
    line = perf.until(lambda l: "exited" in l or "not idle" in l)
    took = time.monotonic() - seen
    out = perf.finish()
    assert line.startswith("uvicorn (1 worker) exited with code 3 during the last attack: "
                           "RuntimeError: the connection pool is gone (log: "), line
    assert line.rstrip().endswith("; restarting it")
    assert took < 5, f"said so after {took:.1f}s"  # not after the 10 s idle wait
    assert perf.proc.returncode == 0, out
    assert "[2/2]" in out and "not idle" not in out
    assert query(store, "SELECT count(*) FROM attacks") == [(2,)]
