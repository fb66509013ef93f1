"""State every worker process of a corpus app shares, as a real app's database would: JSON rows
in one SQLite file. perf serves apps with --workers N, and a dict in memory would be N different
stores (a row created by one worker a 404 on the next).

The file is APP_STATE_DB, else TARGET_APP_DB with a suffix (tests/helpers.py gives every perf
run its own), else one in the temp folder per app.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from pathlib import Path


def _path(app: str) -> Path:
    explicit = os.environ.get("APP_STATE_DB")
    if explicit:
        return Path(explicit)
    beside = os.environ.get("TARGET_APP_DB")
    if beside:
        return Path(beside).with_name(Path(beside).stem + f"-{app}.sqlite3")
    return Path(tempfile.gettempdir()) / f"perf-corpus-{app}.sqlite3"


class Table:
    """JSON rows by key; every call is one short transaction, safe across threads and processes."""

    def __init__(self, app: str, name: str):
        self.path, self.name = _path(app), name
        self._local = threading.local()
        with self._db() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY, row TEXT)")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def get(self, key) -> dict | None:
        found = self._db().execute(f"SELECT row FROM {self.name} WHERE key = ?",
                                   [str(key)]).fetchone()
        return json.loads(found[0]) if found else None

    def rows(self) -> list[dict]:
        return [json.loads(r) for (r,) in
                self._db().execute(f"SELECT row FROM {self.name} ORDER BY rowid")]

    def insert(self, key, row: dict, unique: tuple[str, ...] = ()) -> bool:
        """Add a row; False when `key` exists or another row has the same values in `unique`."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for other in (json.loads(r) for (r,) in db.execute(f"SELECT row FROM {self.name}")):
                if unique and all(other.get(f) == row.get(f) for f in unique):
                    db.execute("ROLLBACK")
                    return False
            inserted = db.execute(f"INSERT OR IGNORE INTO {self.name} VALUES (?, ?)",
                                  [str(key), json.dumps(row, default=str)]).rowcount == 1
            db.execute("COMMIT")
            return inserted
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def put(self, key, row: dict) -> None:
        self._db().execute(f"INSERT OR REPLACE INTO {self.name} VALUES (?, ?)",
                           [str(key), json.dumps(row, default=str)])

    def delete(self, key) -> None:
        self._db().execute(f"DELETE FROM {self.name} WHERE key = ?", [str(key)])

    def clear(self) -> None:
        self._db().execute(f"DELETE FROM {self.name}")
