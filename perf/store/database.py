"""The DuckDB store: its schema (defined here only), version check, migrations and opening rules.

Timestamps in `requests` and `samples` are unix epoch nanoseconds (BIGINT): exact, cheap to
aggregate, and what vegeta itself records. `make_timestamp_ns(ts)` turns one into a TIMESTAMP.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple

import duckdb

from perf.base.errors import PerfError, file_error, make_folder
from perf.store import history_folder

SCHEMA_VERSION = 4
DEFAULT_STORE = "results/perf.duckdb"

# Each entry migrates a store from version i to i + 1 (index 0: empty file -> v1).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE perf_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE SEQUENCE attack_ids START 1;
    CREATE TABLE runs (
        run_id          VARCHAR PRIMARY KEY,
        started_at      TIMESTAMPTZ NOT NULL,
        finished_at     TIMESTAMPTZ,
        status          VARCHAR NOT NULL,   -- running | complete | partial | failed
        label           VARCHAR,
        git_commit      VARCHAR,
        git_branch      VARCHAR,
        git_dirty       BOOLEAN,
        host            VARCHAR,
        cpu_model       VARCHAR,
        cpu_count       INTEGER,
        os              VARCHAR,
        python_version  VARCHAR,
        vegeta_version  VARCHAR,
        perf_version    VARCHAR,
        target          VARCHAR,           -- app import string or URL attacked
        config          JSON               -- the full settings of the sweep
    );
    CREATE TABLE attacks (
        attack_id       BIGINT PRIMARY KEY,
        run_id          VARCHAR NOT NULL,
        endpoint        VARCHAR NOT NULL,  -- "METHOD /path/{param}"
        method          VARCHAR NOT NULL,
        path            VARCHAR NOT NULL,
        server          VARCHAR,           -- uvicorn | gunicorn | external
        workers         INTEGER,
        mode            VARCHAR NOT NULL,  -- rate (open loop) | concurrency (closed loop)
        target_rate     DOUBLE,            -- requests/s offered (mode = rate)
        concurrency     INTEGER,           -- vegeta max-workers (mode = concurrency)
        duration_s      DOUBLE,            -- planned attack duration
        started_at      TIMESTAMPTZ,
        finished_at     TIMESTAMPTZ,
        sent_rate       DOUBLE,            -- requests / (last ts - first ts)
        loadgen_cpu_max DOUBLE,            -- vegeta's peak CPU %, 100 = one core
        generator_ok    BOOLEAN,           -- false: the numbers of this attack are not trustworthy
        generator_note  VARCHAR            -- why generator_ok is false
    );
    CREATE TABLE requests (
        attack_id   BIGINT NOT NULL,
        seq         BIGINT NOT NULL,
        ts          BIGINT NOT NULL,       -- request start, unix ns
        latency_ns  BIGINT NOT NULL,
        code        USMALLINT NOT NULL,    -- 0 when no response (timeout, refused)
        bytes_in    BIGINT NOT NULL,
        bytes_out   BIGINT NOT NULL,
        error       VARCHAR NOT NULL,      -- '' when none
        method      VARCHAR,
        url         VARCHAR
    );
    CREATE TABLE samples (
        attack_id   BIGINT NOT NULL,
        ts          BIGINT NOT NULL,       -- unix ns
        process     VARCHAR NOT NULL,      -- server | loadgen
        cpu_percent DOUBLE NOT NULL,       -- summed over the process tree, 100 = one core
        rss_bytes   BIGINT NOT NULL        -- summed over the process tree
    );
    """,
    # v2: a cache of each finished attack's aggregates (perf/store/stats.py). Attacks stored
    # before it have no row and are aggregated from their raw rows when read.
    """
    CREATE TABLE attack_stats (
        attack_id   BIGINT PRIMARY KEY,
        version     INTEGER NOT NULL,      -- perf.store.stats.STATS_VERSION that computed the row
        requests    BIGINT NOT NULL,
        successes   BIGINT NOT NULL,
        first_ts    BIGINT,
        last_ts     BIGINT,
        end_ts      BIGINT,                -- max(ts + latency_ns)
        mean_ns     DOUBLE,
        max_ns      BIGINT,
        q           DOUBLE[],              -- latency quantiles, perf.store.stats.QUANTILES
        cpu_avg     DOUBLE,                -- server samples
        cpu_max     DOUBLE,
        rss_avg     DOUBLE,
        rss_max     BIGINT
    );
    """,
    # v3: perf on any app (why requests failed), nothing lost (dead runs found by their
    # process), noise measured by repeats, background loads, the server self-check, and
    # capacity searches. Older rows keep NULL (repeat_index 0): one attack, alone.
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;            -- the perf process writing a running run
    ALTER TABLE runs ADD COLUMN pid_started DOUBLE;     -- its start time (unix s): a reused pid is another process
    ALTER TABLE attacks ADD COLUMN repeat_index INTEGER DEFAULT 0;  -- 0..N-1 with collect --repeat N
    ALTER TABLE attacks ADD COLUMN role VARCHAR;        -- NULL alone | foreground | background (a mix)
    ALTER TABLE attacks ADD COLUMN background VARCHAR;  -- both sides of a mix: the background load, e.g. "POST /x 25MB @ 1/s"
    ALTER TABLE attacks ADD COLUMN foreground_id BIGINT;  -- a background attack: the attack it ran beside
    ALTER TABLE attacks ADD COLUMN check_id BIGINT;     -- the server self-check of the server start it ran on
    CREATE TABLE error_samples (
        attack_id   BIGINT NOT NULL,
        code        USMALLINT NOT NULL,    -- a status outside 200-399 (0 = no response)
        body        BLOB NOT NULL          -- the first 2048 bytes of one response with that code
    );
    CREATE SEQUENCE check_ids START 1;
    CREATE TABLE server_checks (
        check_id     BIGINT PRIMARY KEY,
        run_id       VARCHAR NOT NULL,
        server       VARCHAR,
        workers      INTEGER,
        checked_at   TIMESTAMPTZ,
        url          VARCHAR,              -- the route probed
        keepalive_ms DOUBLE,               -- median of sequential requests on one kept-alive connection
        fresh_ms     DOUBLE,               -- median with a fresh connection each
        stall        BOOLEAN,              -- responses on kept-alive connections stall
        note         VARCHAR               -- the warning every output shows when stall
    );
    CREATE SEQUENCE capacity_ids START 1;
    CREATE TABLE capacity (
        capacity_id   BIGINT PRIMARY KEY,
        run_id        VARCHAR NOT NULL,
        endpoint      VARCHAR NOT NULL,
        server        VARCHAR,
        workers       INTEGER,
        slo           VARCHAR NOT NULL,    -- e.g. "p99<100ms,success>=99.9%"
        rate          DOUBLE,              -- highest rate found meeting the SLO; NULL: not even the lowest
        passed_attack BIGINT,              -- the attack at `rate` that met it
        failed_attack BIGINT,              -- the lowest rate tried that did not (the upper bound)
        attack_ids    BIGINT[],            -- every attack of the search, in the order run
        note          VARCHAR              -- how the search ended (bracketed, attack budget spent, ...)
    );
    """,
    # v4: history that outlives a store (perf export / import): each attack's requests counted
    # per status code and error kind (perf/store/request_counts.py), so a run kept without its
    # raw rows still says how its requests failed. Older attacks are counted from raw rows.
    """
    CREATE TABLE request_counts (
        attack_id   BIGINT NOT NULL,
        code        USMALLINT NOT NULL,    -- 0 when no response
        kind        VARCHAR,               -- the error, without what varies per request; NULL: none
        n           BIGINT NOT NULL
    );
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION

# Tables that only cache what the raw rows already hold (perf/store/stats.py): a store that lost one
# lost nothing. Readers see it as empty and aggregate the raw rows; the next write recreates it.
CACHE_TABLES = ("attack_stats", "request_counts")

_LOCK_PID = re.compile(r"PID (\d+)")
# DuckDB's lock error says this only when the holder has the file open read-only.
_HELD_BY_READER = "would be able to open this database in read-only mode"
DUCKDB_MAGIC = b"DUCK"  # bytes 8..11 of every DuckDB database file


def resolve_store(path: str | os.PathLike | None) -> Path:
    """--store wins, then PERF_STORE, then results/perf.duckdb."""
    return Path(path or os.environ.get("PERF_STORE") or DEFAULT_STORE)


class StoreBusy(PerfError):
    """DuckDB's file lock is held by another process: a reader (any DuckDB client with the file
    open, even read-only) or a writer. `pid` is the holder when DuckDB names it."""

    def __init__(self, path: Path, pid: int | None, reader: bool):
        self.pid, self.reader = pid, reader
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"store {path} is locked by {who}{' (a reader)' if reader else ''}; "
                         "wait for it to finish or use another --store")

    @property
    def holder(self) -> str:
        who = f"pid {self.pid}" if self.pid else "another process"
        return f"{who}, a reader" if self.reader else who


def _stored_version(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> int:
    where = f"store {path}" if path else "this DuckDB file"
    try:  # one query; information_schema only when there is no perf_meta (~10 ms)
        row = con.execute("SELECT value FROM perf_meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        if con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]:
            raise PerfError(f"{where} is not a perf store (a DuckDB file with other tables, "
                            "no perf_meta)") from None
        return 0
    if row is None:
        return 0
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise PerfError(f"{where} is not a perf store this perf can read: its schema version "
                        f"in perf_meta is {row[0]!r}, not a number") from None


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _stored_version(con, path)
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    if version == SCHEMA_VERSION:
        return
    with transaction(con):
        for step in MIGRATIONS[version:]:
            con.execute(step)
        con.execute(
            "INSERT OR REPLACE INTO perf_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, rolled back when the body raises.

    A COMMIT that fails (a full disk) has already ended the transaction: it is reported as it
    is, never followed by a ROLLBACK whose own error ("no transaction is active") would hide
    the real cause. A ROLLBACK that fails after a failed statement is ignored for the same
    reason: the statement's error is the one that matters.
    """
    con.execute("BEGIN")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    con.execute("COMMIT")


@dataclass(frozen=True)
class Schema:
    """What a store of one schema version holds, as MIGRATIONS build it."""

    columns: dict[str, tuple[str, ...]]  # table -> its columns, in order
    ddl: dict[str, str]  # table -> its CREATE TABLE statement
    sequences: tuple[str, ...]


@functools.cache
def expected_schema(version: int = SCHEMA_VERSION) -> Schema:
    """The schema of a store of `version`: MIGRATIONS up to it, run on an empty in-memory
    database and read back. The schema is written once, in MIGRATIONS; every check of a
    store is derived from it."""
    con = duckdb.connect(":memory:")
    try:
        for step in MIGRATIONS[:version]:
            con.execute(step)
        columns = _columns(con)
        ddl = dict(con.execute("SELECT table_name, sql FROM duckdb_tables() "
                               "WHERE database_name = current_database()").fetchall())
        sequences = _sequences(con)
    finally:
        con.close()
    return Schema(columns, ddl, sequences)


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    rows = con.execute(
        "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' GROUP BY table_name "
        "ORDER BY table_name"
    ).fetchall()
    return {table: tuple(names) for table, names in rows}


def _sequences(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    return tuple(r[0] for r in con.execute(
        "SELECT sequence_name FROM duckdb_sequences() WHERE database_name = current_database() "
        "ORDER BY sequence_name").fetchall())


@dataclass(frozen=True)
class Damage:
    """What a store lacks of expected_schema(): tables missing whole, columns missing from the
    tables it has ('table.column'), sequences."""

    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()

    @property
    def caches(self) -> tuple[str, ...]:
        """The cache tables missing or missing a column: rebuilt, never a loss."""
        hit = set(self.tables) | {c.split(".", 1)[0] for c in self.columns}
        return tuple(t for t in CACHE_TABLES if t in hit)

    def refusal(self, writing: bool) -> str | None:
        """Why perf cannot use the store for reading (or `writing`); None when it can."""
        hit = self.tables + tuple(c.split(".", 1)[0] for c in self.columns)
        if any(t not in CACHE_TABLES for t in hit):
            return "perf cannot read it"
        if writing and self.sequences:  # the ids of new rows come from them
            return "perf cannot write it"
        return None

    def __bool__(self) -> bool:
        return bool(self.tables or self.columns or self.sequences)

    def text(self) -> str:
        """'table requests is missing, column attacks.role is missing'."""
        parts = []
        for kind, names in (("table", self.tables), ("column", self.columns),
                            ("sequence", self.sequences)):
            if len(names) == 1:
                parts.append(f"{kind} {names[0]} is missing")
            elif names:
                parts.append(f"{kind}s {', '.join(names)} are missing")
        return ", ".join(parts)


def schema_damage(con: duckdb.DuckDBPyConnection, version: int = SCHEMA_VERSION) -> Damage:
    """What the store open on `con` lacks of the schema of its `version` (extra tables and
    columns, e.g. a user's own, are no damage)."""
    expected = expected_schema(version)
    have = _columns(con)
    tables = tuple(t for t in expected.columns if t not in have)
    columns = tuple(f"{t}.{c}" for t, names in expected.columns.items() if t in have
                    for c in names if c not in have[t])
    sequences = tuple(s for s in expected.sequences if s not in _sequences(con))
    return Damage(tables, columns, sequences)


def _rebuild_caches(con: duckdb.DuckDBPyConnection, damage: Damage, writable: bool) -> None:
    """Cache tables lost or damaged: recreated empty (their rows are recomputed from the raw
    rows when read). A reader makes a TEMP table, which shadows the store's for this connection
    only: reading never writes the store, so it never waits for, or blocks, a writer."""
    expected = expected_schema()
    for table in damage.caches:
        ddl = expected.ddl[table]
        if writable:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        else:
            ddl = ddl.replace("CREATE TABLE", "CREATE TEMP TABLE", 1)
        con.execute(ddl)


# Every open checks the store's schema against expected_schema(), whose replay of MIGRATIONS
# in a new in-memory database costs ~40 ms, most of a one-run `perf report`. A writer that
# found a store whole records which catalog it found, keyed by the text of MIGRATIONS; an
# open whose catalog is still exactly that (read back in ~4 ms) has nothing missing and skips
# the replay. Nothing can go stale: another perf's MIGRATIONS, or any table, column or
# sequence dropped or added since, changes the key and the full check runs.
_WHOLE_KEY = "schema_whole"


def _catalog_key(con: duckdb.DuckDBPyConnection) -> str:
    catalog = repr((_columns(con), _sequences(con), MIGRATIONS))
    return hashlib.sha256(catalog.encode()).hexdigest()


def _known_whole(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    """(the store's catalog is the one a writer found whole, that catalog's key)."""
    key = _catalog_key(con)
    row = con.execute("SELECT value FROM perf_meta WHERE key = ?", [_WHOLE_KEY]).fetchone()
    return (row is not None and row[0] == key), key


def _check_schema(con: duckdb.DuckDBPyConnection, path: Path, writable: bool) -> None:
    """One line naming what is missing when the store cannot be used as opened; a lost cache
    is rebuilt (_rebuild_caches)."""
    whole, key = _known_whole(con)
    if whole:
        return
    damage = schema_damage(con)
    if not damage:
        if writable:
            try:
                con.execute("INSERT OR REPLACE INTO perf_meta VALUES (?, ?)", [_WHOLE_KEY, key])
            except duckdb.Error:  # only a shortcut for the next open (a full disk says so later)
                pass
        return
    refusal = damage.refusal(writable)
    if refusal:
        raise PerfError(f"store {path} is damaged: {damage.text()}; {refusal} (restore it from "
                        "a copy, or use another --store)")
    _rebuild_caches(con, damage, writable)


def _newer(path: Path, version: int) -> PerfError:
    return PerfError(f"store {path} has schema v{version}, newer than this perf knows "
                     f"(v{SCHEMA_VERSION}); upgrade perf to read it")


def _lock_error(path: Path, exc: Exception) -> StoreBusy:
    match = _LOCK_PID.search(str(exc))
    return StoreBusy(path, int(match.group(1)) if match else None, _HELD_BY_READER in str(exc))


def duckdb_cause(exc: BaseException) -> str:
    """The line of a DuckDB error that says what went wrong, without its class prefix
    ("IO Error: ", "TransactionContext Error: ")."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]+ Error: ", "", first)


def store_failure(path: Path, action: str, exc: BaseException) -> PerfError:
    """A failed write to the store (a full disk, a read-only file system) as one line."""
    return PerfError(f"cannot {action} in store {path}: {duckdb_cause(exc)}")


def unwritable(path: Path) -> str | None:
    """Why a store at `path` could not be written or created, or None when it could: e.g.
    "read-only directory: Read-only file system", or the file standing where a folder must be."""
    if path.exists():
        targets = [(path, "read-only file"), (path.parent, "read-only directory")]
    else:
        existing = next(p for p in path.parents if p.exists())
        if not existing.is_dir():
            return f"{existing} is a file"
        targets = [(existing, "read-only directory")]
    for target, what in targets:
        if not os.access(target, os.W_OK):  # false on a read-only file system even for root
            read_only_fs = os.statvfs(target).f_flag & os.ST_RDONLY
            return f"{what}: {os.strerror(errno.EROFS if read_only_fs else errno.EACCES)}"
    return None


class StoreState(NamedTuple):
    text: str  # what perf would find, in words
    usable: bool  # whether `perf collect` could use it
    damage: Damage = Damage()  # what it lacks of its schema version's tables and columns


def inspect_store(path: str | os.PathLike | None) -> tuple[str, bool]:
    """What perf would find at the store path, read without changing anything:
    (what it is, whether `perf collect` could use it)."""
    state = store_state(path)
    return state.text, state.usable


def store_state(path: str | os.PathLike | None) -> StoreState:
    """inspect_store, and what the store lacks of its schema (`perf doctor` names it)."""
    store = resolve_store(path)
    if not store.exists():
        problem = unwritable(store)
        if problem is None:
            return StoreState("will be created", True)
        return StoreState(f"cannot be created ({problem})" if problem.endswith("is a file")
                          else f"not writable ({problem})", False)
    if store.is_dir():
        runs = len(history_folder.run_sources(store))
        return StoreState(f"a history folder of {runs} exported run{'' if runs == 1 else 's'} "
                          "(read by report, runs, compare, history; collect needs a store file)", False)
    with open(store, "rb") as fh:
        if fh.read(12)[8:12] != DUCKDB_MAGIC:
            return StoreState("not a DuckDB file", False)
    try:
        con = _connect(store, True, wait_s=1.0)
    except StoreBusy as busy:
        return StoreState(f"in use by {busy.holder}; cannot look inside now", True)
    except PerfError as exc:
        return StoreState(str(exc), False)
    try:
        version = _stored_version(con, store)
        damage = schema_damage(con, version) if 0 < version <= SCHEMA_VERSION else Damage()
    except PerfError as exc:
        return StoreState(str(exc).replace(f"store {store} is ", ""), False)
    finally:
        con.close()
    if version > SCHEMA_VERSION:
        return StoreState(f"newer than this perf (v{version}; this perf knows v{SCHEMA_VERSION})",
                          False)
    state = {0: "an empty DuckDB file (perf will set it up)",
             SCHEMA_VERSION: f"perf store v{SCHEMA_VERSION}"}.get(
        version, f"perf store v{version} (will be upgraded in place on next write)")
    refusal = damage.refusal(writing=True)  # perf collect writes
    if refusal:
        return StoreState(f"{state}; damaged: {damage.text()}; {refusal}", False, damage)
    if damage:
        state += (f"; damaged: {damage.text()} (only a cache: reports aggregate the raw rows, "
                  "the next perf collect or ingest recreates it)")
    problem = unwritable(store)
    if problem:
        return StoreState(f"{state}; not writable ({problem})", False, damage)
    return StoreState(state, True, damage)


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    # A writer holds DuckDB's file lock only for the moment of an ingest, so a short
    # retry lets readers and writers take turns instead of failing.
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "Could not set lock" in text or "Conflicting lock" in text:
                if time.monotonic() >= deadline:
                    raise _lock_error(path, exc) from None
                time.sleep(0.1)
                continue
            if "not a valid DuckDB database file" in text:
                raise PerfError(f"store {path} is not a DuckDB file") from None
            raise PerfError(f"cannot open store {path}: {_open_cause(exc)}") from None
        except duckdb.Error as exc:
            raise PerfError(f"cannot open store {path}: {duckdb_cause(exc)}") from None


def _open_cause(exc: BaseException) -> str:
    # 'Cannot open file "/x/s.duckdb": Read-only file system' -> 'Read-only file system'
    cause = duckdb_cause(exc)
    match = re.match(r'Cannot open file "[^"]*": (.+)$', cause)
    return match.group(1) if match else cause


def open_store(
    path: str | os.PathLike | None = None, *, read_only: bool = False, wait_s: float = 10.0
) -> duckdb.DuckDBPyConnection:
    """Open (creating or migrating when writable) the store and check its schema version. A
    history folder (perf/store/history_folder.py) opens for reading as an in-memory store."""
    where = str(path or os.environ.get("PERF_STORE") or DEFAULT_STORE)  # a URL stays a URL
    if history_folder.is_folder(where):
        if not read_only:
            raise _folder_not_written(where)
        return history_folder.open_folder(where, expected_schema().ddl)
    store = resolve_store(path)
    if read_only:
        if not store.exists():
            raise PerfError(f"no store at {store}; run `perf collect` first (or pass --store)")
        con = _connect(store, True, wait_s)
        try:
            version = _stored_version(con, store)
        except BaseException:
            con.close()
            raise
        if version == SCHEMA_VERSION:
            try:
                _check_schema(con, store, writable=False)
            except BaseException:
                con.close()
                raise
            return con
        con.close()
        if version > SCHEMA_VERSION:
            raise _newer(store, version)
        # Old stores are migrated in place; reading one needs it migrated first. Reading it
        # as it is would need every query in each old dialect, so a store that cannot be
        # written is refused with what to do rather than half-read.
        cause = unwritable(store)
        if cause:
            raise PerfError(f"store {store} is schema v{version} and read-only ({cause}): perf "
                            f"needs to upgrade it in place to v{SCHEMA_VERSION}; make it writable once")
    else:
        make_folder(store.parent, "store")
    con = _connect(store, False, wait_s)
    try:
        _migrate(con, store)
        _check_schema(con, store, writable=True)
    except Exception:
        con.close()
        raise
    return con


@contextmanager
def store_session(
    path: str | os.PathLike | None = None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store for one unit of work and always close it (releasing DuckDB's file lock)."""
    con = open_store(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def _folder_not_written(where: str) -> PerfError:
    return PerfError(f"{where} is a history folder: report, runs, compare and history read it; "
                     "collect and ingest write a store file (--store FILE), and `perf export` adds "
                     "its runs to the folder")


def next_attack_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT nextval('attack_ids')").fetchone()[0]


def spool_path(store: str | os.PathLike | None) -> Path:
    """Where finished attacks wait, durable, until the store takes them (collector/storage/spool.py)."""
    path = resolve_store(store)
    return path.with_name(path.name + ".spool")


def spooled_attacks(store: str | os.PathLike | None) -> int:
    """Attacks waiting in the store's spool, counted from the spool's folder names
    (collector/storage/spool.py lays them out) without opening anything."""
    root = spool_path(store)
    return len(list(root.glob("*/[0-9]*-attack"))) if root.is_dir() else 0


@contextmanager
def writer_lock(path: str | os.PathLike | None, command: str) -> Iterator[Path]:
    """Hold `<store>.lock` for a whole sweep, so a second perf never writes the same store.

    DuckDB's own file lock is held only while an attack is being stored (readers can open
    the store between attacks); this lock says which perf process owns the store.
    """
    import fcntl

    if history_folder.is_folder(str(path or os.environ.get("PERF_STORE") or DEFAULT_STORE)):
        raise _folder_not_written(str(path or os.environ.get("PERF_STORE")))
    store = resolve_store(path)
    make_folder(store.parent, "store")
    lock_path = store.with_name(store.name + ".lock")
    try:
        fh = open(lock_path, "a+")
    except OSError as exc:
        raise file_error(f"cannot write store {store} (its lock file {lock_path.name})", exc) from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "another perf process"
            raise PerfError(f"store {store} is in use by {owner}; wait for it or use another --store")
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"perf {command} (pid {os.getpid()})")
            fh.flush()
        except OSError as exc:
            raise file_error(f"cannot write store {store} (its lock file {lock_path.name})",
                             exc) from None
        yield store
    finally:
        try:
            fh.close()
        except OSError:
            pass  # a buffered write that failed already raised its own error above
