"""The sweep's one way to its store: every step spooled first (collector/storage/spool.py), then
stored in order by a background thread that waits out a busy store while the sweep goes on.

A busy store is any DuckDB client holding the file: DuckDB lets no other process open a file
that one process has open for writing, and no writer in while another has it open, even
read-only. The thread retries every RETRY_S; the sweep waits for an attack at most TRY_S
before going on, and at its end up to END_WAIT_S before leaving the rest spooled.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import psutil

from perf.collector.storage.attacks import BadResults
from perf.collector.storage.records import AttackRecord
from perf.collector.load.sampler import Sample
from perf.collector.load.capacity import Capacity
from perf.collector.server.selfcheck import KeepAliveCheck
from perf.collector.storage.spool import (Entry, attack_files, capacity_files, check_files, describe,
                             finish_files, pending, run_files, store_one, take_over, tidy,
                             write_entry)
from perf.base import interrupts
from perf.base.errors import PerfError
from perf.store.database import StoreBusy, inspect_store, open_store, spool_path, store_failure, unwritable

TRY_S = 2.0  # how long the sweep waits for an attack to reach the store before going on
RETRY_S = 1.0  # how often a busy store is tried again
END_WAIT_S = 30.0  # how long a finished sweep waits for a busy store before leaving the rest spooled
INTERRUPTED_WAIT_S = 3.0  # the same once perf was told to stop


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
                   foreground: AttackRecord | None = None,
                   check: KeepAliveCheck | None = None, *, written: int) -> tuple[int | None, str]:
        """Keep a finished attack: (its attack_id, the progress line's summary) once it is
        stored; (None, what became of it) while the store is busy. `foreground`, `check`,
        `written` (the results csv_path was written with): see attack_files."""
        if not csv_path.exists():  # not vegeta's doing: said apart, so it can be traced
            raise BadResults(f"the results file of {attack.endpoint} is gone ({csv_path}): "
                             "something removed perf's scratch folder while it ran")
        if csv_path.stat().st_size == 0:
            raise BadResults(f"vegeta returned no results for {attack.endpoint}")
        entry = self._put("attack", attack_files(attack, csv_path, samples, foreground, check,
                                                 written))
        if self._wait(entry):
            return self._summaries[entry.path]
        return None, f"{written} results, kept in the spool until the store is free"

    def put_check(self, server: str | None, workers: int | None, check: KeepAliveCheck) -> None:
        """Keep a server self-check; the attacks on that server start refer to it (put_attack)."""
        self._wait(self._put("check", check_files(server, workers, check)))

    def put_capacity(self, endpoint: str, server: str | None, workers: int | None,
                     result: Capacity, records: dict[int, AttackRecord]) -> None:
        """Keep a capacity search's result; its attacks were kept before it (see capacity_files)."""
        self._wait(self._put("capacity", capacity_files(endpoint, server, workers, result, records)))

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
                held = f" (held by {self.holder})" if self.holder else ""
                self.say(f"waiting up to {limit:g}s for the store{held} to take what is "
                         f"spooled: {describe(left)}")
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
        tidy(self.root)
        return self._left()

    @property
    def failure(self) -> BaseException | None:
        """Why the store could not be written (a full disk, ...), which stopped the writer
        thread: what it had not stored stays spooled. The caller says so (collector/sweep/sweep.py)."""
        return self._fatal

    @property
    def holder(self) -> str | None:
        """Who holds the store, while it is busy: never a process that is gone (a reader that
        left before a write failed for another reason is not the cause)."""
        busy = self._busy
        if busy is None or (busy.pid and not psutil.pid_exists(busy.pid)):
            return None
        return busy.holder

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
            if not entry.path.exists():
                continue  # moved to rejected/ with the rest of its run (spool.store_entry)
            try:
                attack_id = store_one(con, self.store, entry)
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
            # The store was opened, or failed for another reason than a holder: an earlier
            # holder (a reader long gone) is not what stopped it.
            self._busy = None
            self._cond.notify_all()
