"""The DuckDB store: its schema (defined here only), version check, migrations and opening rules.

Timestamps in `requests` and `samples` are unix epoch nanoseconds (BIGINT): exact, cheap to
aggregate, and what vegeta itself records. `make_timestamp_ns(ts)` turns one into a TIMESTAMP.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from perf.errors import PerfError

SCHEMA_VERSION = 3
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
    # v2: a cache of each finished attack's aggregates (perf/stats.py). Attacks stored
    # before it have no row and are aggregated from their raw rows when read.
    """
    CREATE TABLE attack_stats (
        attack_id   BIGINT PRIMARY KEY,
        version     INTEGER NOT NULL,      -- perf.stats.STATS_VERSION that computed the row
        requests    BIGINT NOT NULL,
        successes   BIGINT NOT NULL,
        first_ts    BIGINT,
        last_ts     BIGINT,
        end_ts      BIGINT,                -- max(ts + latency_ns)
        mean_ns     DOUBLE,
        max_ns      BIGINT,
        q           DOUBLE[],              -- latency quantiles, perf.stats.QUANTILES
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
]
assert len(MIGRATIONS) == SCHEMA_VERSION

_LOCK_PID = re.compile(r"PID (\d+)")


def resolve_store(path: str | os.PathLike | None) -> Path:
    """--store wins, then PERF_STORE, then results/perf.duckdb."""
    return Path(path or os.environ.get("PERF_STORE") or DEFAULT_STORE)


def _stored_version(con: duckdb.DuckDBPyConnection) -> int:
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'perf_meta'"
    ).fetchone()[0]
    if not has_meta:
        has_tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]
        if has_tables:
            raise PerfError("this DuckDB file is not a perf store (no perf_meta table)")
        return 0
    row = con.execute("SELECT value FROM perf_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _stored_version(con)
    if version > SCHEMA_VERSION:
        raise PerfError(
            f"store {path} has schema v{version}, newer than this perf knows (v{SCHEMA_VERSION}); "
            "upgrade perf to read it"
        )
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


def _lock_error(path: Path, exc: Exception) -> PerfError:
    match = _LOCK_PID.search(str(exc))
    who = f"process {match.group(1)}" if match else "another process"
    return PerfError(f"store {path} is locked by {who}; wait for it to finish or use another --store")


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    # A writer holds DuckDB's file lock only for the moment of an ingest, so a short
    # retry lets readers and writers take turns instead of failing.
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise PerfError(f"cannot open store {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise _lock_error(path, exc) from exc
            time.sleep(0.1)
        except duckdb.Error as exc:
            raise PerfError(f"cannot open store {path}: {str(exc).splitlines()[0]}") from exc


def open_store(
    path: str | os.PathLike | None = None, *, read_only: bool = False, wait_s: float = 10.0
) -> duckdb.DuckDBPyConnection:
    """Open (creating or migrating when writable) the store and check its schema version."""
    store = resolve_store(path)
    if read_only:
        if not store.exists():
            raise PerfError(f"no store at {store}; run `perf collect` first (or pass --store)")
        con = _connect(store, True, wait_s)
        version = _stored_version(con)
        if version > SCHEMA_VERSION:
            con.close()
            raise PerfError(
                f"store {store} has schema v{version}, newer than this perf knows "
                f"(v{SCHEMA_VERSION}); upgrade perf to read it"
            )
        if version < SCHEMA_VERSION:
            # Old stores are migrated by the next writer; reading one needs it migrated first.
            con.close()
            con = _connect(store, False, wait_s)
            _migrate(con, store)
        return con
    store.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(store, False, wait_s)
    try:
        _migrate(con, store)
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


def next_attack_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT nextval('attack_ids')").fetchone()[0]


@contextmanager
def writer_lock(path: str | os.PathLike | None, command: str) -> Iterator[Path]:
    """Hold `<store>.lock` for a whole sweep, so a second perf never writes the same store.

    DuckDB's own file lock is held only while an attack is being stored (readers can open
    the store between attacks); this lock says which perf process owns the store.
    """
    import fcntl

    store = resolve_store(path)
    store.parent.mkdir(parents=True, exist_ok=True)
    lock_path = store.with_name(store.name + ".lock")
    fh = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "another perf process"
            raise PerfError(f"store {store} is in use by {owner}; wait for it or use another --store")
        fh.seek(0)
        fh.truncate()
        fh.write(f"perf {command} (pid {os.getpid()})")
        fh.flush()
        yield store
    finally:
        fh.close()
