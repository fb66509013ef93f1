"""Spool, then store: what a sweep finishes is durable on disk before the store is touched.

Beside the store (perf.store.spool_path), one folder per run, one entry per step, in order:

    results/perf.duckdb.spool/<run_id>/
        0000-run/run.json                 the run's row
        0001-attack/attack.json           the AttackRecord, and how many results were written
                    results.csv           vegeta's results (collector/load/results_filter.py)
                    samples.json          the CPU/memory samples
        0002-check/check.json             a server self-check (collector/server/selfcheck.py)
        0003-capacity/capacity.json       a capacity search's result (collector/load/capacity.py)
        0004-finish/finish.json           the run's final status
        .tmp-0003-attack/                 being written: never read; cleared by the next writer

An entry appears only whole: its files are written and fsynced in a `.tmp-` folder, which is
then renamed (atomic) and its parent fsynced. The store takes entries in order, each in its
own transaction, and an entry is deleted only after its COMMIT. Storing one twice is
impossible: inside that transaction each kind first looks for itself (a run by run_id, an
attack by run, endpoint, repeat and start time, a check by run and time, a capacity search by
run, cell, SLO and attacks; a finish is an UPDATE that can be repeated), so an entry whose
COMMIT succeeded but whose deletion did not (perf killed in between) is skipped the next time.
Entries that can never be stored (unreadable, or values the store refuses) move to
`rejected/`; a run row that cannot be stored takes every entry of its run with it, and so does
an entry whose run is not in the store: no attack is ever stored without its run.

Ids the store hands out are not known while an entry waits, so entries refer to earlier ones by
what identifies them: an attack to the check of its server start (check.json: its time) and a
background attack to its foreground (foreground.json); a capacity search to its attacks (their
records). Entries are stored in order, so what they refer to is stored first.

During a sweep, collector/storage/store_writer.py moves entries into the store as they come. What is
still spooled when perf ends is stored by the next `perf collect` or `perf ingest` on that
store (`take_over`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from perf.collector.load.capacity import Capacity, Step, insert_capacity
from perf.collector.storage.attacks import BadResults, store_attack
from perf.collector.storage.records import AttackRecord
from perf.collector.storage.run_rows import RUN_COLUMNS, finish_run, reconcile_dead_runs, store_run_row
from perf.collector.load.sampler import Sample
from perf.collector.server.selfcheck import KeepAliveCheck, insert_check
from perf.base.errors import file_error, make_folder
from perf.store.database import (duckdb_cause, spool_path, store_failure, store_session, transaction,
                        writer_lock)

KINDS = ("run", "attack", "check", "capacity", "finish")
_TMP = ".tmp-"
REJECTED = "rejected"
_WRITTEN = "results_written"  # attack.json's key beside the AttackRecord's fields


@dataclass(frozen=True)
class Entry:
    path: Path
    run_id: str
    seq: int
    kind: str

    @property
    def name(self) -> str:
        return f"{self.run_id}/{self.path.name}"


def pending(root: Path) -> list[Entry]:
    """The whole entries waiting under `root`, each run's in order."""
    if not root.is_dir():
        return []
    entries = []
    for run_dir in sorted(root.iterdir()):
        if not run_dir.is_dir() or run_dir.name == REJECTED:
            continue
        for path in run_dir.iterdir():
            seq, _, kind = path.name.partition("-")
            if path.is_dir() and seq.isdigit() and kind in KINDS:
                entries.append(Entry(path, run_dir.name, int(seq), kind))
    return sorted(entries, key=lambda e: (e.run_id, e.seq))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_entry(root: Path, run_id: str, seq: int, kind: str, files: dict[str, bytes | Path]) -> Entry:
    """Make one entry durable: every file written and fsynced, then the folder renamed into place.
    A Path value is moved in (a results file from the sweep's scratch folder); bytes are written."""
    run_dir = root / run_id
    name = f"{seq:04d}-{kind}"
    tmp = run_dir / f"{_TMP}{name}"
    try:
        make_folder(run_dir, "spool")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        for file_name, content in files.items():
            target = tmp / file_name
            if isinstance(content, Path):
                shutil.move(content, target)
            else:
                target.write_bytes(content)
            _fsync(target)
        _fsync(tmp)
        os.rename(tmp, run_dir / name)
        _fsync(run_dir)
        _fsync(root)
    except OSError as exc:
        raise file_error(f"cannot keep the {kind} of run {run_id} in {root}", exc) from None
    return Entry(run_dir / name, run_id, seq, kind)


# ---- what each kind holds -----------------------------------------------------------------

def _json(value) -> bytes:
    return json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
                      indent=1).encode()


def run_files(row: dict) -> dict[str, bytes]:
    return {"run.json": _json(row)}


def attack_files(attack: AttackRecord, csv_path: Path, samples: list[Sample],
                 foreground: AttackRecord | None = None,
                 check: KeepAliveCheck | None = None, written: int | None = None) -> dict:
    """`foreground`: for the background side of a mix whose foreground_id is not known yet
    (its foreground waits in the spool too), the foreground's record: found by it once stored.
    `check`: the self-check of the server start the attack ran on (its check_id, likewise).
    `written`: how many results csv_path holds: a file with fewer is refused as truncated
    (cut at a record boundary, it would still end with a whole record)."""
    record = asdict(attack) if written is None else {**asdict(attack), _WRITTEN: written}
    files = {"attack.json": _json(record),
             "samples.json": _json([[s.ts, s.process, s.cpu_percent, s.rss_bytes] for s in samples]),
             "results.csv": csv_path}
    if foreground is not None and attack.foreground_id is None:
        files["foreground.json"] = _json(asdict(foreground))
    if check is not None and attack.check_id is None:
        files["check.json"] = _json({"checked_at": check.checked_at})
    return files


def check_files(server: str | None, workers: int | None, check: KeepAliveCheck) -> dict[str, bytes]:
    return {"check.json": _json({"server": server, "workers": workers, **asdict(check)})}


def capacity_files(endpoint: str, server: str | None, workers: int | None, result: Capacity,
                   records: dict[int, AttackRecord]) -> dict[str, bytes]:
    """`records`: the AttackRecord of each step, by its index in result.steps (a step whose
    attack could not be kept has none)."""
    steps = [{"rate": s.rate, "met": s.met, "failures": list(s.failures), "untrusted": s.untrusted,
              "attack": asdict(records[i]) if i in records else None}
             for i, s in enumerate(result.steps)]
    return {"capacity.json": _json({
        "endpoint": endpoint, "server": server, "workers": workers, "slo": result.slo,
        "rate": result.rate, "ending": result.ending, "note": result.note, "steps": steps,
        "passed": _index(result.steps, result.passed), "failed": _index(result.steps, result.failed),
    })}


def _index(steps: tuple[Step, ...], step: Step | None) -> int | None:
    return next((i for i, s in enumerate(steps) if s is step), None) if step else None


def finish_files(status: str, finished_at: datetime) -> dict[str, bytes]:
    return {"finish.json": _json({"status": status, "finished_at": finished_at})}


def _read(entry: Entry, name: str):
    return json.loads((entry.path / name).read_text())


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ---- entries into the store ---------------------------------------------------------------

def _load(entry: Entry) -> dict | tuple:
    """What an entry holds, read back from its JSON."""
    if entry.kind == "run":
        row = _read(entry, "run.json")
        missing = [column for column in RUN_COLUMNS if column not in row]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        return {**row, "started_at": _when(row["started_at"])}
    if entry.kind == "attack":
        foreground = (_record(_read(entry, "foreground.json"))
                      if (entry.path / "foreground.json").exists() else None)
        checked_at = (_when(_read(entry, "check.json")["checked_at"])
                      if (entry.path / "check.json").exists() else None)
        fields = _read(entry, "attack.json")
        written = fields.pop(_WRITTEN, None)  # None: spooled by a perf that did not count
        return (_record(fields), [Sample(*s) for s in _read(entry, "samples.json")],
                foreground, checked_at, written)
    if entry.kind == "check":
        row = _read(entry, "check.json")
        server, workers = row.pop("server"), row.pop("workers")
        return server, workers, KeepAliveCheck(**{**row, "checked_at": _when(row["checked_at"])})
    if entry.kind == "capacity":
        row = _read(entry, "capacity.json")
        for step in row["steps"]:
            step["attack"] = _record(step["attack"]) if step["attack"] else None
        return row
    finish = _read(entry, "finish.json")
    return finish["status"], _when(finish["finished_at"])


def _record(fields: dict) -> AttackRecord:
    for key in ("started_at", "finished_at"):
        fields[key] = _when(fields.get(key))
    return AttackRecord(**fields)


# DuckDB's errors about a row's values (not about the store or its disk): an entry that
# raises one is refused however often it is tried.
_BAD_VALUES = (duckdb.ConversionException, duckdb.ConstraintException,
               duckdb.InvalidInputException, duckdb.OutOfRangeException,
               duckdb.TypeMismatchException, duckdb.InvalidTypeException)


class _NoRun(BadResults):
    """An entry whose run is not in the store (its run row was refused, or is gone)."""


def store_entry(con: duckdb.DuckDBPyConnection, entry: Entry) -> int | None:
    """Store one entry in its own transaction, then delete it; an attack's new attack_id.
    BadResults when it cannot be stored as it is (it moves to rejected/, never retried). A run
    row that cannot be stored takes every entry of its run to rejected/ with it: an attack is
    never stored without its run."""
    try:
        content = _load(entry)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # not whole: not written by this perf
        raise _rejected(entry, f"unreadable: {exc}") from None
    attack_id = None
    try:
        with transaction(con):
            if entry.kind == "run":
                if not _run_stored(con, content["run_id"]):
                    store_run_row(con, content)
            elif not _run_stored(con, entry.run_id):
                raise _NoRun(f"its run {entry.run_id} is not in the store")
            elif entry.kind == "attack":
                attack, samples, foreground, checked_at, written = content
                if foreground is not None:
                    attack = attack.but(foreground_id=_attack_id(con, foreground))
                if checked_at is not None:
                    attack = attack.but(check_id=_check_id(con, attack.run_id, checked_at))
                if _attack_id(con, attack) is None:
                    attack_id = store_attack(con, attack, [entry.path / "results.csv"], samples,
                                             nested=True, written=written)
            elif entry.kind == "check":
                server, workers, check = content
                if _check_id(con, entry.run_id, check.checked_at) is None:
                    insert_check(con, entry.run_id, server, workers, check)
            elif entry.kind == "capacity":
                _store_capacity(con, entry.run_id, content)
            else:
                finish_run(con, entry.run_id, *content)
    except BadResults as exc:
        raise _rejected(entry, str(exc), whole_run=isinstance(exc, _NoRun)) from None
    except _BAD_VALUES as exc:
        raise _rejected(entry, duckdb_cause(exc)) from None
    shutil.rmtree(entry.path, ignore_errors=True)
    return attack_id


def _run_stored(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    return con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None


def _attack_id(con: duckdb.DuckDBPyConnection, attack: AttackRecord) -> int | None:
    """The stored attack this record became, if it is stored: one run never starts the same
    endpoint twice in the same microsecond."""
    row = con.execute(
        """SELECT attack_id FROM attacks WHERE run_id = ? AND endpoint = ? AND repeat_index = ?
           AND started_at IS NOT DISTINCT FROM ?""",
        [attack.run_id, attack.endpoint, attack.repeat_index, attack.started_at],
    ).fetchone()
    return row[0] if row else None


def _check_id(con: duckdb.DuckDBPyConnection, run_id: str, checked_at: datetime) -> int | None:
    """The stored self-check of a run made at that moment (one server start each)."""
    row = con.execute("SELECT check_id FROM server_checks WHERE run_id = ? AND checked_at = ?",
                      [run_id, checked_at]).fetchone()
    return row[0] if row else None


def _store_capacity(con: duckdb.DuckDBPyConnection, run_id: str, row: dict) -> None:
    """A capacity search, its steps' attack_ids found from their records; skipped when stored."""
    steps = tuple(Step(s["rate"], s["met"], tuple(s["failures"]),
                       _attack_id(con, s["attack"]) if s["attack"] else None, s["untrusted"], {})
                  for s in row["steps"])
    ids = [s.attack_id for s in steps if s.attack_id is not None]
    if con.execute(
            """SELECT 1 FROM capacity WHERE run_id = ? AND endpoint = ? AND slo = ?
               AND server IS NOT DISTINCT FROM ? AND workers IS NOT DISTINCT FROM ?
               AND attack_ids = ?::BIGINT[]""",
            [run_id, row["endpoint"], row["slo"], row["server"], row["workers"], ids]).fetchone():
        return
    pick = lambda i: steps[i] if i is not None else None  # noqa: E731
    insert_capacity(con, run_id, row["endpoint"], row["server"], row["workers"],
                    Capacity(row["slo"], row["rate"], pick(row["passed"]), pick(row["failed"]),
                             steps, row["ending"], row["note"]))


def _rejected(entry: Entry, reason: str, whole_run: bool = False) -> BadResults:
    """Move an entry that can never be stored aside (with why); the error that says so. A
    run row goes with every entry of its run (`whole_run` too), to rejected/<run_id>/."""
    if entry.kind == "run" or whole_run:
        return _rejected_run(entry, reason)
    target = entry.path.parent.parent / REJECTED / f"{entry.run_id}-{entry.path.name}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(entry.path, target)
        (target / "reason.txt").write_text(reason + "\n")
    except OSError:
        pass  # stays where it is; the next writer says so again
    return BadResults(f"spooled {entry.kind} {entry.name} cannot be stored ({reason}); "
                      f"moved to {target}")


def _rejected_run(entry: Entry, reason: str) -> BadResults:
    """Every entry of the run moved to rejected/<run_id>/ (reason.txt says which entry and
    why): its attacks are kept, and never stored without the run they belong to."""
    root = entry.path.parent.parent
    target = root / REJECTED / entry.run_id
    entries = [e for e in pending(root) if e.run_id == entry.run_id]
    moved = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        with open(target / "reason.txt", "a") as fh:
            fh.write(f"{entry.path.name}: {reason}\n")
        for e in entries:
            os.rename(e.path, target / e.path.name)
            moved.append(e)
    except OSError:
        pass  # what is left stays where it is; the next writer says so again
    _rmdir(entry.path.parent)
    return BadResults(f"spooled {entry.kind} {entry.name} cannot be stored ({reason}); "
                      f"{_contents([e.kind for e in moved]) or 'nothing'} moved to {target}")


def tidy(root: Path, keep: str | None = None) -> None:
    """Remove the half-written entries of dead writers and folders left empty."""
    if not root.is_dir():
        return
    for run_dir in root.iterdir():
        if not run_dir.is_dir() or run_dir.name in (REJECTED, keep):
            continue
        for tmp in run_dir.glob(f"{_TMP}*"):
            shutil.rmtree(tmp, ignore_errors=True)
        _rmdir(run_dir)
    _rmdir(root)


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # not empty (or gone): kept


def count_attacks(entries: list[Entry]) -> int:
    """How many of `entries` are attacks (a run's row, checks, capacity results and its final
    status are spooled too, and are not attacks)."""
    return sum(entry.kind == "attack" for entry in entries)


def describe(entries: list[Entry]) -> str:
    """'run 41ac60e1d2f3: its run row, 2 attacks, its final status' (runs joined by '; ')."""
    by_run: dict[str, list[str]] = {}
    for e in entries:
        by_run.setdefault(e.run_id, []).append(e.kind)
    return "; ".join(f"run {run_id}: {_contents(kinds)}" for run_id, kinds in by_run.items())


def _contents(kinds: list[str]) -> str:
    """One run's entries by their kinds: 'its run row, 2 attacks, its final status'."""
    attacks, checks, searches = (kinds.count(k) for k in ("attack", "check", "capacity"))
    what = ["its run row"] if "run" in kinds else []
    what += [f"{attacks} attack{'s' if attacks != 1 else ''}"] if attacks else []
    what += [f"{checks} server check{'s' if checks != 1 else ''}"] if checks else []
    what += [f"{searches} capacity result{'s' if searches != 1 else ''}"] if searches else []
    what += ["its final status"] if "finish" in kinds else []
    return ", ".join(what)


def take_over(con: duckdb.DuckDBPyConnection, store: Path, keep: str | None = None) -> list[str]:
    """What the holder of the writer lock does first: store what earlier perfs left spooled,
    then mark the runs of dead processes partial. One line per thing done, to show."""
    root = spool_path(store)
    notes = []
    tidy(root, keep)
    left = [e for e in pending(root) if e.run_id != keep]
    stored, rejected = [], []
    for entry in left:
        if not entry.path.exists():
            continue  # moved to rejected/ with the rest of its run
        try:
            store_one(con, store, entry)
            stored.append(entry)
        except BadResults as exc:
            rejected.append(str(exc))
    if stored:
        notes.append(f"stored what an earlier perf left spooled: {describe(stored)}")
    notes += rejected
    notes += reconcile_dead_runs(con)
    tidy(root, keep)
    return notes


def store_one(con: duckdb.DuckDBPyConnection, store: Path, entry: Entry) -> int | None:
    try:
        return store_entry(con, entry)
    except duckdb.Error as exc:
        raise store_failure(store, f"store spooled {entry.kind} {entry.name}", exc) from None


def store_spooled(store: str | Path | None) -> list[str]:
    """`perf ingest --spooled`: take the writer lock and store everything spooled now (and
    close the runs of dead processes, as every writer does first)."""
    with writer_lock(store, "ingest --spooled") as path:
        if not path.exists() and not spool_path(path).exists():
            return [f"nothing spooled for {path}"]
        with store_session(path) as con:
            notes = take_over(con, path)
    return notes or [f"nothing spooled for {path}"]
