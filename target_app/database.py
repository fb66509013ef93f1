"""The SQLite file shared by the db and items scenarios, and the connections to it.

Two ways in, one per access style under test:
- `sync_connections`: one blocking sqlite3 connection per thread. Threadpool endpoints and the
  "async but blocking" anti-pattern (which runs on the event-loop thread) both use it.
- `async_pool`: a few aiosqlite connections handed out round-robin.

Connections live for the whole process so a request pays for its query, not for opening a
file. Every connection is in autocommit mode: each statement commits by itself, so there is
never a half-finished transaction to share, and a write is visible to other connections as
soon as its statement returns.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path

import aiosqlite

# Writers wait this long for the write lock instead of failing with "database is locked".
BUSY_TIMEOUT_MS = 5000

# SQLite integers are signed 64-bit; a larger Python int would make sqlite3 raise OverflowError
# (a 500), so request values are checked against this range first (a 422).
SQLITE_MIN_INT = -(2**63)
SQLITE_MAX_INT = 2**63 - 1

# Rows per table after seeding: load generators cycle ids 1..SEED_ROWS.
SEED_ROWS = 2000

BENCH_ITEMS_DDL = "CREATE TABLE IF NOT EXISTS bench_items (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)"
ITEMS_DDL = "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL)"

# WAL lets readers run beside the one writer. synchronous=NORMAL is the usual WAL pairing: a
# commit is still a commit for every other connection, only an OS crash can lose the last ones.
CONNECTION_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous = NORMAL",
)


def fits_sqlite_integer(value: int) -> int:
    """Pydantic validator for ids whose schema shows a friendlier range than the one enforced."""
    if not SQLITE_MIN_INT <= value <= SQLITE_MAX_INT:
        raise ValueError("does not fit in a 64-bit SQLite integer")
    return value


def seed_tables(connection: sqlite3.Connection) -> dict[str, int]:
    """Recreate both tables holding exactly ids 1..SEED_ROWS, so every benchmark starts alike."""
    # IMMEDIATE takes the write lock up front, so the busy timeout applies instead of a
    # mid-transaction "database is locked" when another writer is active.
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("DROP TABLE IF EXISTS bench_items")
        connection.execute(BENCH_ITEMS_DDL)
        connection.executemany(
            "INSERT INTO bench_items (id, name, value) VALUES (?, ?, ?)",
            ((i, f"item-{i}", i) for i in range(1, SEED_ROWS + 1)),
        )
        connection.execute("DROP TABLE IF EXISTS items")
        connection.execute(ITEMS_DDL)
        connection.executemany(
            "INSERT INTO items (id, name, description) VALUES (?, ?, ?)",
            ((i, f"item {i}", f"seeded item number {i}") for i in range(1, SEED_ROWS + 1)),
        )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:  # SQLite may already have rolled back on its own
            connection.execute("ROLLBACK")
        raise
    return {
        table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("bench_items", "items")
    }


def prepare_database(path: Path) -> None:
    """Create the file, switch it to WAL and create the tables, so the app works unseeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = connect(path)
    try:
        # journal_mode is stored in the file, so setting it once covers every later connection.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(BENCH_ITEMS_DDL)
        connection.execute(ITEMS_DDL)
    finally:
        connection.close()


def connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False only so that shutdown can close connections other threads opened;
    # while serving, each connection is used by the thread that opened it.
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection


class ThreadLocalConnections:
    """One sqlite3 connection per thread, opened on first use."""

    def __init__(self) -> None:
        self._path: Path | None = None
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def configure(self, path: Path) -> None:
        self._path = path

    def get(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._path is None:
                raise RuntimeError("database not configured: the app's lifespan has not run")
            connection = connect(self._path)
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def close_all(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()


class AsyncConnectionPool:
    """A few aiosqlite connections shared round-robin by all coroutines.

    Sharing is safe because every query is a single autocommit statement run in one hop to the
    connection's thread; more than one connection lets queries run on several threads at once.
    """

    def __init__(self) -> None:
        self._connections: list[aiosqlite.Connection] = []
        self._cycle: itertools.cycle[aiosqlite.Connection] | None = None

    async def open(self, path: Path, size: int) -> None:
        for _ in range(size):
            connection = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            for pragma in CONNECTION_PRAGMAS:
                await connection.execute(pragma)
            self._connections.append(connection)
        self._cycle = itertools.cycle(self._connections)

    def get(self) -> aiosqlite.Connection:
        if self._cycle is None:
            raise RuntimeError("database not configured: the app's lifespan has not run")
        return next(self._cycle)

    async def close(self) -> None:
        connections, self._connections, self._cycle = self._connections, [], None
        for connection in connections:
            await connection.close()


sync_connections = ThreadLocalConnections()
async_pool = AsyncConnectionPool()
