"""Spool, then store: what a sweep finishes is durable on disk before the store is touched.

Beside the store (perf.store.spool_path), one folder per run, one entry per step, in order:

    results/perf.duckdb.spool/<run_id>/
        0000-run/run.json                 the run's row
        0001-attack/attack.json           the AttackRecord
                    results.csv           vegeta's results
                    samples.json          the CPU/memory samples
        0002-finish/finish.json           the run's final status
        .tmp-0003-attack/                 being written: never read; cleared by the next writer

An entry appears only whole: its files are written and fsynced in a `.tmp-` folder, which is
then renamed (atomic) and its parent fsynced. The store takes entries in order, each in its
own transaction, and an entry is deleted only after its COMMIT. Storing one twice is
impossible: inside that transaction each kind first looks for itself (a run by run_id, an
attack by run, endpoint, repeat and start time; a finish is an UPDATE that can be repeated),
so an entry whose COMMIT succeeded but whose deletion did not (perf killed in between) is
skipped the next time. Entries whose results are unreadable move to `rejected/`.

During a sweep a StoreWriter's thread moves entries into the store as they come; when the
store is busy (any DuckDB client holding the file, even read-only, blocks a writer) it
retries in the background and the sweep goes on. What is still spooled when perf ends is
stored by the next `perf collect` or `perf ingest` on that store (`take_over`).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from collector.ingest import BadResults, store_attack
from collector.records import AttackRecord
from collector.runs import finish_run, reconcile_dead_runs, store_run_row
from collector.sampler import Sample
from perf import interrupts
from perf.errors import PerfError, file_error, make_folder
from perf.store import (StoreBusy, inspect_store, open_store, spool_path, store_failure,
                        store_session, transaction, unwritable, writer_lock)

KINDS = ("run", "attack", "finish")
TRY_S = 2.0  # how long the sweep waits for an attack to reach the store before going on
RETRY_S = 1.0  # how often a busy store is tried again
END_WAIT_S = 30.0  # how long a finished sweep waits for a busy store before leaving the rest spooled
INTERRUPTED_WAIT_S = 3.0  # the same once perf was told to stop
_TMP = ".tmp-"
REJECTED = "rejected"


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
                 foreground: AttackRecord | None = None) -> dict:
    """`foreground`: for the background side of a mix whose foreground_id is not known yet
    (its foreground waits in the spool too), the foreground's record: found by it once stored."""
    files = {"attack.json": _json(asdict(attack)),
             "samples.json": _json([[s.ts, s.process, s.cpu_percent, s.rss_bytes] for s in samples]),
             "results.csv": csv_path}
    if foreground is not None and attack.foreground_id is None:
        files["foreground.json"] = _json(asdict(foreground))
    return files


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
        return {**row, "started_at": _when(row["started_at"])}
    if entry.kind == "attack":
        foreground = (_record(_read(entry, "foreground.json"))
                      if (entry.path / "foreground.json").exists() else None)
        return (_record(_read(entry, "attack.json")), [Sample(*s) for s in _read(entry, "samples.json")],
                foreground)
    finish = _read(entry, "finish.json")
    return finish["status"], _when(finish["finished_at"])


def _record(fields: dict) -> AttackRecord:
    for key in ("started_at", "finished_at"):
        fields[key] = _when(fields.get(key))
    return AttackRecord(**fields)


def store_entry(con: duckdb.DuckDBPyConnection, entry: Entry) -> int | None:
    """Store one entry in its own transaction, then delete it; an attack's new attack_id.
    BadResults when it cannot be stored as it is (it moves to rejected/, never retried)."""
    try:
        content = _load(entry)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # not whole: not written by this perf
        raise _rejected(entry, f"unreadable: {exc}") from None
    attack_id = None
    try:
        with transaction(con):
            if entry.kind == "run":
                if not con.execute("SELECT 1 FROM runs WHERE run_id = ?",
                                   [content["run_id"]]).fetchone():
                    store_run_row(con, content)
            elif entry.kind == "attack":
                attack, samples, foreground = content
                if foreground is not None:
                    attack = attack.but(foreground_id=_attack_id(con, foreground))
                if _attack_id(con, attack) is None:
                    attack_id = store_attack(con, attack, [entry.path / "results.csv"], samples,
                                             nested=True)
            else:
                finish_run(con, entry.run_id, *content)
    except BadResults as exc:
        raise _rejected(entry, str(exc)) from None
    shutil.rmtree(entry.path, ignore_errors=True)
    return attack_id


def _attack_id(con: duckdb.DuckDBPyConnection, attack: AttackRecord) -> int | None:
    """The stored attack this record became, if it is stored: one run never starts the same
    endpoint twice in the same microsecond."""
    row = con.execute(
        """SELECT attack_id FROM attacks WHERE run_id = ? AND endpoint = ? AND repeat_index = ?
           AND started_at IS NOT DISTINCT FROM ?""",
        [attack.run_id, attack.endpoint, attack.repeat_index, attack.started_at],
    ).fetchone()
    return row[0] if row else None


def _rejected(entry: Entry, reason: str) -> BadResults:
    """Move an entry that can never be stored aside (with why); the error that says so."""
    target = entry.path.parent.parent / REJECTED / f"{entry.run_id}-{entry.path.name}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(entry.path, target)
        (target / "reason.txt").write_text(reason + "\n")
    except OSError:
        pass  # stays where it is; the next writer says so again
    return BadResults(f"spooled {entry.kind} {entry.name} cannot be stored ({reason}); "
                      f"moved to {target}")


def _tidy(root: Path, keep: str | None = None) -> None:
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


def describe(entries: list[Entry]) -> str:
    """'run 41ac60e1d2f3: its run row, 2 attacks, its final status' (runs joined by '; ')."""
    by_run: dict[str, list[str]] = {}
    for e in entries:
        by_run.setdefault(e.run_id, []).append(e.kind)
    parts = []
    for run_id, kinds in by_run.items():
        attacks = kinds.count("attack")
        what = ["its run row"] if "run" in kinds else []
        what += [f"{attacks} attack{'s' if attacks != 1 else ''}"] if attacks else []
        what += ["its final status"] if "finish" in kinds else []
        parts.append(f"run {run_id}: {', '.join(what)}")
    return "; ".join(parts)


def take_over(con: duckdb.DuckDBPyConnection, store: Path, keep: str | None = None) -> list[str]:
    """What the holder of the writer lock does first: store what earlier perfs left spooled,
    then mark the runs of dead processes partial. One line per thing done, to show."""
    root = spool_path(store)
    notes = []
    _tidy(root, keep)
    left = [e for e in pending(root) if e.run_id != keep]
    stored, rejected = [], []
    for entry in left:
        try:
            _store_one(con, store, entry)
            stored.append(entry)
        except BadResults as exc:
            rejected.append(str(exc))
    if stored:
        notes.append(f"stored what an earlier perf left spooled: {describe(stored)}")
    notes += rejected
    notes += reconcile_dead_runs(con)
    _tidy(root, keep)
    return notes


def _store_one(con: duckdb.DuckDBPyConnection, store: Path, entry: Entry) -> int | None:
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


# ---- the sweep's writer --------------------------------------------------------------------

class StoreWriter:
    """The one way a sweep writes its store: every step is spooled first, then stored in order
    by a background thread, which waits out a busy store while the sweep goes on.

    Every line it shows goes through `say`, on the main thread.
    """

    def __init__(self, store: Path, say: Callable[[str], None],
                 summarize: Callable[[duckdb.DuckDBPyConnection, int], str]):
        self.store, self.root, self.say, self.summarize = store, spool_path(store), say, summarize
        self.run_id: str | None = None
        self._seq = 0
        self._cond = threading.Condition()
        self._summaries: dict[Path, tuple] = {}  # this run's stored entries: (attack_id, summary)
        self._failures: list[BaseException] = []  # rejected entries of this run, not yet raised
        self._fatal: BaseException | None = None  # the store cannot be written: stop
        self._busy: StoreBusy | None = None  # the store's holder while it is busy
        self._told_busy = False
        self._late = 0  # attacks stored after waiting for a busy store, not yet told
        self._notes: list[str] = []  # the thread's lines for the main thread to show
        self._told_fatal = False
        self._taken_over = False
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- main thread --

    def begin(self) -> "StoreWriter":
        """Take the store over (take_over) and start the writer thread. A busy store is
        checked read-only instead (a foreign or newer file fails now, before any server
        starts) and taken over once it is free. A store that does not exist yet is only
        checked to be creatable: it is made with the run's first step."""
        if not self.store.exists() and not self.root.exists():
            problem = unwritable(self.store)
            if problem:
                raise PerfError(f"cannot create store {self.store}: {problem}")
            self._taken_over = True
            self._start_thread()
            return self
        try:
            con = open_store(self.store, wait_s=TRY_S)
        except StoreBusy as busy:
            state, usable = inspect_store(self.store)
            if not usable:
                raise PerfError(f"store {self.store}: {state}") from None
            self._busy = busy
        else:
            try:
                self._notes += take_over(con, self.store)
            except duckdb.Error as exc:
                raise store_failure(self.store, "store what was spooled", exc) from None
            finally:
                con.close()
            self._taken_over = True
        self._start_thread()
        self._tell()
        return self

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._work, name="perf-store-writer", daemon=True)
        self._thread.start()

    def start_run(self, row: dict) -> str:
        self.run_id = row["run_id"]
        self._wait(self._put("run", run_files(row)))
        return self.run_id

    def put_attack(self, attack: AttackRecord, csv_path: Path, samples: list[Sample],
                   foreground: AttackRecord | None = None) -> tuple[int | None, str]:
        """Keep a finished attack: (its attack_id, the progress line's summary) once it is
        stored; (None, what became of it) while the store is busy. `foreground`: see
        attack_files."""
        if not csv_path.exists() or csv_path.stat().st_size == 0:
            raise BadResults(f"vegeta returned no results for {attack.endpoint}")
        rows = _count_lines(csv_path)
        entry = self._put("attack", attack_files(attack, csv_path, samples, foreground))
        if self._wait(entry):
            return self._summaries[entry.path]
        return None, f"{rows} results, kept in the spool until the store is free"

    def waiting(self) -> bool:
        """Does anything of this run still wait in the spool?"""
        return bool(self._left())

    def finish_run(self, status: str, finished_at: datetime) -> None:
        """Spool the run's final status; a failure of the store shows in close, not here (the
        sweep may be ending because of it)."""
        if self.run_id is not None:
            self._wait(self._put("finish", finish_files(status, finished_at), check=False),
                       check=False)

    def close(self, wait_s: float = END_WAIT_S) -> list[Entry]:
        """Give a busy store up to `wait_s` (a few seconds once perf was signalled) to take
        this run's spooled steps, stop the thread, and return what is still spooled."""
        start = time.monotonic()
        told = False
        left = self._left()
        while left and self._fatal is None and self._thread is not None:
            limit = min(wait_s, INTERRUPTED_WAIT_S) if interrupts.received() else wait_s
            if time.monotonic() - start >= limit:
                break
            if self._busy and not told:
                self.say(f"waiting up to {limit:g}s for the store (held by {self._busy.holder}) "
                         f"to take what is spooled: {describe(left)}")
                told = True
            with self._cond:
                self._cond.wait(0.2)
            left = self._left()
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._tell()
        if self._fatal is not None and not self._told_fatal:
            self.say(f"the store could not take the rest: {self._fatal}")
        _tidy(self.root)
        return self._left()

    @property
    def holder(self) -> str | None:
        """Who held the store the last time it was busy."""
        return self._busy.holder if self._busy else None

    def _left(self) -> list[Entry]:
        return [e for e in pending(self.root) if e.run_id == self.run_id]

    def _put(self, kind: str, files: dict, check: bool = True) -> Entry:
        if check:
            self._raise_failure()
        # A signal must not leave a finished attack half-spooled: the write completes first.
        with interrupts.held():
            entry = write_entry(self.root, self.run_id, self._seq, kind, files)
            self._seq += 1
            with self._cond:
                self._cond.notify_all()
        interrupts.raise_pending()
        return entry

    def _wait(self, entry: Entry, check: bool = True) -> bool:
        """True once the entry is stored; False when the store is busy: after TRY_S when it
        seemed free, at once (one retry) when it was busy already, so a long-held store
        does not slow the sweep down. `check`: raise what went wrong in the writer thread."""
        start = time.monotonic()
        patience = RETRY_S / 2 if self._busy else TRY_S
        with self._cond:
            while (entry.path not in self._summaries and not self._failures
                   and self._fatal is None
                   and not (self._busy and time.monotonic() - start >= patience)):
                self._cond.wait(0.1)
        self._tell()
        if check:
            self._raise_failure()
        return entry.path in self._summaries

    def _raise_failure(self) -> None:
        with self._cond:
            failure = self._fatal or (self._failures.pop(0) if self._failures else None)
        if failure is not None:
            self._told_fatal = failure is self._fatal
            raise failure

    def _tell(self) -> None:
        """Show what the writer thread did since last time, on this (the main) thread."""
        with self._cond:
            notes, self._notes = self._notes, []
            busy, late, told = self._busy, self._late, self._told_busy
            self._told_busy = bool(busy)
            if not busy:
                self._late = 0
        for note in notes:
            self.say(note)
        if busy and not told:
            self.say(f"waiting for the store (held by {busy.holder}): finished attacks are kept "
                     f"in {self.root} and stored when it is free; the sweep goes on")
        if late and not busy:
            self.say(f"the store is free again: stored {late} attack(s) that were waiting")

    # -- writer thread --

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                if not self._left():
                    self._cond.wait(RETRY_S)
                    continue
            try:
                con = open_store(self.store, wait_s=0)
            except StoreBusy as busy:
                with self._cond:
                    self._busy = busy
                    self._cond.notify_all()
                    if not self._stop:
                        self._cond.wait(RETRY_S)
                continue
            except BaseException as exc:
                self._die(exc)
                return
            try:
                self._store_all(con)
            except BaseException as exc:
                self._die(exc)
                return
            finally:
                con.close()

    def _store_all(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self._taken_over:
            notes = take_over(con, self.store, keep=self.run_id)
            with self._cond:
                self._notes += notes
                self._taken_over = True
        was_busy = self._busy is not None
        for entry in self._left():
            if self._stop:
                break
            try:
                attack_id = _store_one(con, self.store, entry)
                summary = (attack_id, self.summarize(con, attack_id) if attack_id is not None
                           else "stored")
            except BadResults as exc:
                with self._cond:
                    self._failures.append(exc)
                    self._cond.notify_all()
                continue
            with self._cond:
                self._summaries[entry.path] = summary
                self._late += was_busy and entry.kind == "attack"
                self._cond.notify_all()
        with self._cond:
            self._busy = None
            self._cond.notify_all()

    def _die(self, exc: BaseException) -> None:
        with self._cond:
            self._fatal = exc if isinstance(exc, PerfError) else store_failure(
                self.store, "store the sweep's results", exc)
            self._cond.notify_all()


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
