"""A history folder: runs exported as files, one immutable folder per run, read as a store.

    DIR/<run_id>/manifest.json       {"format": "perf-run", "layout": 1, "run_id", "schema_version",
                                      "perf_version", "tables": {table: rows}, "raw_rows": bool}
    DIR/<run_id>/<table>.parquet     runs, attacks, attack_stats, server_checks, capacity,
                                     error_samples, request_counts; requests and samples with
                                     --with-requests

Each table file holds the store's columns (perf/store/database.py, schema version in the
manifest) for that run only (attack_stats and request_counts for every attack, computed from
the raw rows where the store had not kept them). The ids a store hands out from its
sequences (attack_id, check_id, capacity_id) would collide between stores, so an export writes
global ones instead: a block per run (from md5 of the run id) in [2^52, 2^53), which no
sequence reaches and JavaScript reads exactly, plus the id's offset in the run, so ids keep
the order attacks ran (two runs whose blocks collide, about 1 in 10^7 for a pair, are refused
when read together or imported); an id
already global (a run imported before) is kept, so exporting a run again gives the same rows.
A folder of exported runs is a store for every reading command: DuckDB reads the Parquet files
through one view per table, so concurrent CI jobs each add a folder and nobody holds a lock. An
export is written beside its place and renamed into it: a folder without its manifest is never
a run.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb

from perf.base.errors import PerfError
from perf.store.request_counts import COUNTS_SQL
from perf.store.stats import STATS_VERSION, stats_of

LAYOUT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = ("runs", "attacks", "attack_stats", "server_checks", "capacity", "error_samples",
          "request_counts")
RAW_TABLES = ("requests", "samples")
REMOTE = ("s3://", "gs://", "gcs://", "r2://", "az://", "abfss://", "http://", "https://")
# A pack (perf pack, perf/store/history_pack.py): many runs' rows in one folder of the same
# table files, so a folder of a thousand runs is read from a few files, not seven thousand.
PACK_PREFIX = "pack-"
PACK_FORMAT = "perf-pack"
RUN_KEYED = ("runs", "attacks", "server_checks", "capacity")  # the rest: by attack_id
FEW_FILES = 64  # a table read from this many files or fewer is read in order as it is
# Exported ids stay below 2^53, so JavaScript (the dashboard) reads them exactly: at or above
# 2^52, which no sequence reaches; a run's block of 2^16 ids picked by 36 bits of md5.
GLOBAL_IDS = 1 << 52
PER_RUN = 1 << 16  # ids of one kind in one run: the offset from the run's first

# An id as exported: kept when already global, else the run's block (from md5 of kind and run)
# plus the id's offset from the run's first id of that kind ($first_attack, $first_check,
# $first_capacity): ids keep the order they had, which is the order attacks ran.
_GLOBAL_ID_MACRO = f"""
CREATE OR REPLACE TEMP MACRO perf_gid(kind, run, id, first) AS
    CASE WHEN id IS NULL THEN NULL WHEN id >= {GLOBAL_IDS} THEN id
         ELSE {GLOBAL_IDS}
              + ('0x' || substr(md5(kind || ':' || run), 1, 9))::BIGINT * {PER_RUN}
              + (id - first)
    END
"""

# Each table's rows of one run ($run), with global ids. Child tables find their run through
# attacks (a: the run's attacks).
_EXPORTS = {
    "runs": "SELECT * FROM runs WHERE run_id = $run",
    "attacks": """SELECT * REPLACE (perf_gid('attack', run_id, attack_id, $first_attack) AS attack_id,
                                    perf_gid('attack', run_id, foreground_id, $first_attack) AS foreground_id,
                                    perf_gid('check', run_id, check_id, $first_check) AS check_id)
                  FROM attacks WHERE run_id = $run ORDER BY attack_id""",
    "server_checks": """SELECT * REPLACE (perf_gid('check', run_id, check_id, $first_check) AS check_id)
                        FROM server_checks WHERE run_id = $run ORDER BY check_id""",
    "capacity": """SELECT * REPLACE (
                       perf_gid('capacity', run_id, capacity_id, $first_capacity) AS capacity_id,
                       perf_gid('attack', run_id, passed_attack, $first_attack) AS passed_attack,
                       perf_gid('attack', run_id, failed_attack, $first_attack) AS failed_attack,
                       list_transform(attack_ids, lambda x: perf_gid('attack', run_id, x, $first_attack)) AS attack_ids)
                   FROM capacity WHERE run_id = $run ORDER BY capacity_id""",
}
_CHILD = """SELECT t.* REPLACE (perf_gid('attack', $run, t.attack_id, $first_attack) AS attack_id)
            FROM {table} t WHERE t.attack_id IN (SELECT attack_id FROM attacks WHERE run_id = $run)
            ORDER BY {order}"""
_STATS_EXPORT = f"""SELECT * REPLACE (perf_gid('attack', $run, attack_id, $first_attack) AS attack_id)
                   FROM (SELECT {STATS_VERSION} AS version, *
                         FROM ({stats_of("SELECT attack_id FROM attacks WHERE run_id = $run")}))
                   ORDER BY attack_id"""
_COUNTS_EXPORT = f"""SELECT * REPLACE (perf_gid('attack', $run, attack_id, $first_attack) AS attack_id)
                    FROM ({COUNTS_SQL}) ORDER BY attack_id, code, kind"""
_CHILD_ORDER = {"error_samples": "t.attack_id, t.code",
                "requests": "t.attack_id, t.seq", "samples": "t.attack_id, t.ts, t.process"}


def is_folder(path: str | os.PathLike) -> bool:
    """Whether a --store names a history folder (a directory, or a remote prefix) rather than
    a DuckDB file."""
    text = str(path)
    return text.startswith(REMOTE) or Path(text).is_dir()


def export_run(con: duckdb.DuckDBPyConnection, run_id: str, dest: Path, *,
               with_requests: bool, perf_version: str, schema_version: int,
               packed: dict[str, RunSource] | None = None) -> str:
    """Write one run of the store open on `con` as DIR/<run_id>/. Returns "exported", or
    "unchanged" when the same export is already there, in its run folder or a pack; PerfError
    when a different one is. `packed`: the runs DIR's packs hold (packed_runs), when the
    caller exports several runs and lists them once."""
    tables = TABLES + (RAW_TABLES if with_requests else ())
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / run_id
    scratch = dest / f".{run_id}.{uuid.uuid4().hex[:8]}.partial"
    scratch.mkdir()
    try:
        con.execute(_GLOBAL_ID_MACRO)
        counts = {}
        attack_ids = [r[0] for r in con.execute(
            "SELECT attack_id FROM attacks WHERE run_id = ? ORDER BY attack_id", [run_id]).fetchall()]
        first = con.execute(
            "SELECT (SELECT min(attack_id) FROM attacks WHERE run_id = $run), "
            "(SELECT min(check_id) FROM server_checks WHERE run_id = $run), "
            "(SELECT min(capacity_id) FROM capacity WHERE run_id = $run)", {"run": run_id}).fetchone()
        spans = con.execute(
            "SELECT (SELECT max(attack_id) - min(attack_id) FROM attacks WHERE run_id = $run), "
            "(SELECT max(check_id) - min(check_id) FROM server_checks WHERE run_id = $run), "
            "(SELECT max(capacity_id) - min(capacity_id) FROM capacity WHERE run_id = $run)",
            {"run": run_id}).fetchone()
        if any(span is not None and span >= PER_RUN for span in spans):
            raise PerfError(f"run {run_id} spans more than {PER_RUN:,} ids of one kind; "
                            "a history folder cannot hold it")
        known = {"run": run_id, "first_attack": first[0] or 0, "first_check": first[1] or 0,
                 "first_capacity": first[2] or 0}
        for table in tables:
            extra: dict = {}
            if table == "attack_stats":  # every attack's aggregates: cached, else from its rows
                sql = _STATS_EXPORT
            elif table == "request_counts":  # likewise
                sql, extra = _COUNTS_EXPORT, {"ids": attack_ids}
            else:
                sql = _EXPORTS.get(table) or _CHILD.format(table=table, order=_CHILD_ORDER[table])
            # DuckDB refuses a named parameter the statement does not use.
            params = {k: v for k, v in known.items() if f"${k}" in sql} | extra
            target = scratch / f"{table}.parquet"
            con.execute(f"COPY ({sql}) TO '{_quoted(target)}' (FORMAT parquet)", params)
            counts[table] = con.execute(f"SELECT count(*) FROM read_parquet('{_quoted(target)}')").fetchone()[0]
        manifest = {"format": "perf-run", "layout": LAYOUT_VERSION, "run_id": run_id,
                    "schema_version": schema_version, "perf_version": perf_version,
                    "tables": counts, "raw_rows": with_requests}
        (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        held = (packed_runs(dest) if packed is None else packed).get(run_id)
        if held is not None:  # packed: compared with the pack's rows of it
            if _same_run(con, scratch, held, tables):
                return "unchanged"
            raise PerfError(f"{held.folder} already holds run {run_id} with different rows; "
                            "an exported run is never overwritten")
        if final.exists():
            if _same_run(con, scratch, final, tables):
                return "unchanged"
            raise PerfError(f"{final} already holds run {run_id} with different rows; "
                            "an exported run is never overwritten (remove it to export again)")
        os.rename(scratch, final)
        return "exported"
    except OSError as exc:
        raise PerfError(f"cannot export run {run_id} to {dest}: {exc.strerror or exc}") from None
    except duckdb.Error as exc:  # e.g. a full disk while writing a Parquet file
        raise PerfError(f"cannot export run {run_id} to {dest}: {str(exc).splitlines()[0]}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _same_run(con: duckdb.DuckDBPyConnection, a: Path, b: RunSource | Path,
              tables: tuple[str, ...]) -> bool:
    """Whether the run exported at `a` and the run `b` (a run folder, or a run in a pack) hold
    the same rows (files may differ byte for byte)."""
    if isinstance(b, Path):
        manifest = read_manifest(b)
        b = RunSource(manifest["run_id"], b, manifest)
    if not b.packed and read_manifest(a)["tables"] != b.manifest["tables"]:
        return False  # the counts differ: no need to read a row
    for table in tables:
        left, right = f"read_parquet('{_quoted(a / f'{table}.parquet')}')", b.relation(table)
        differ = con.execute(f"SELECT count(*) FROM ((FROM {left} EXCEPT ALL FROM {right}) "
                             f"UNION ALL (FROM {right} EXCEPT ALL FROM {left}))").fetchone()[0]
        if differ:
            return False
    return True


def exported_runs(source: str | Path) -> list[Path]:
    """The run folders of a local history folder (those with a manifest), by name."""
    folder = Path(source)
    return sorted(p.parent for p in folder.glob(f"*/{MANIFEST}")
                  if not p.parent.name.startswith((".", PACK_PREFIX)))


def read_manifest(run_folder: Path) -> dict:
    try:
        manifest = json.loads((run_folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise PerfError(f"{run_folder} is not an exported run: {MANIFEST} unreadable ({exc})") from None
    if manifest.get("format") != "perf-run" or manifest.get("layout") != LAYOUT_VERSION:
        raise PerfError(f"{run_folder} is not an exported run of layout {LAYOUT_VERSION} "
                        f"(format {manifest.get('format')!r}, layout {manifest.get('layout')!r})")
    return manifest


@dataclass(frozen=True)
class RunSource:
    """Where one exported run's rows are: its own run folder, or a pack that holds it."""

    run_id: str
    folder: Path  # the run folder, or the pack
    manifest: dict  # the run's schema_version, perf_version, raw_rows (a run folder's: all of it)
    packed: bool = False

    @cached_property
    def tables(self) -> tuple[str, ...]:
        """The tables it has rows files for (a packed run without raw rows: not the raw ones).
        Looked for once: an import of a thousand runs asked each run for every table."""
        return tuple(t for t in TABLES + RAW_TABLES if (self.folder / f"{t}.parquet").exists()
                     and not (self.packed and t in RAW_TABLES and not self.manifest.get("raw_rows")))

    def relation(self, table: str) -> str:
        """SQL reading this run's rows of `table`."""
        if self.packed:
            return _pack_rows(self.folder, table, [self.run_id])
        return f"read_parquet('{_quoted(self.folder / f'{table}.parquet')}')"


def _pack_rows(pack: Path, table: str, run_ids: list[str]) -> str:
    """SQL reading the rows of `table` that a pack holds for these runs."""
    rows = f"read_parquet('{_quoted(pack / f'{table}.parquet')}')"
    runs = f"list_contains({_sql_list(run_ids)}, run_id)"
    if table in RUN_KEYED:
        return f"(SELECT * FROM {rows} WHERE {runs})"
    attacks = f"read_parquet('{_quoted(pack / 'attacks.parquet')}')"
    return f"(SELECT * FROM {rows} WHERE attack_id IN (SELECT attack_id FROM {attacks} WHERE {runs}))"


def packs(folder: str | Path) -> list[Path]:
    """The packs of a local history folder, by name."""
    return sorted(p.parent for p in Path(folder).glob(f"{PACK_PREFIX}*/{MANIFEST}"))


def read_pack_manifest(pack: Path) -> dict:
    try:
        manifest = json.loads((pack / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise PerfError(f"{pack} is not a pack of exported runs: {MANIFEST} unreadable ({exc})") from None
    if manifest.get("format") != PACK_FORMAT or manifest.get("layout") != LAYOUT_VERSION:
        raise PerfError(f"{pack} is not a pack of layout {LAYOUT_VERSION} (format "
                        f"{manifest.get('format')!r}, layout {manifest.get('layout')!r})")
    return manifest


def pack_sources(pack: Path) -> list[RunSource]:
    return [RunSource(run_id, pack, meta, packed=True)
            for run_id, meta in read_pack_manifest(pack)["runs"].items()]


def packed_runs(folder: str | Path) -> dict[str, RunSource]:
    """{run id: where a pack holds it} of a local history folder (none when it does not
    exist); a run two packs hold, from the first by name."""
    held: dict[str, RunSource] = {}
    for pack in packs(folder):
        for source in pack_sources(pack):
            held.setdefault(source.run_id, source)
    return held


def run_sources(folder: str | Path) -> list[RunSource]:
    """Every run of a local history folder, once: the packs' runs, then the run folders no
    pack holds (a run folder packed while this read the folder is read from its pack)."""
    sources = packed_runs(folder)
    for run in exported_runs(folder):
        manifest = read_manifest(run)
        sources.setdefault(manifest["run_id"], RunSource(manifest["run_id"], run, manifest))
    return list(sources.values())


def sources_in(folder: Path) -> list[RunSource]:
    """The runs a folder names: a run folder, a pack, or a history folder of them."""
    if (folder / MANIFEST).exists():
        if folder.name.startswith(PACK_PREFIX):
            return pack_sources(folder)
        manifest = read_manifest(folder)
        return [RunSource(manifest["run_id"], folder, manifest)]
    return run_sources(folder)


def open_folder(source: str | os.PathLike, ddl: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding every exported run's rows (the raw requests and samples as
    views over their Parquet files); a table no run has (requests without --with-requests) is
    an empty table of the store's columns. `ddl`: each table's CREATE TABLE statement (perf.store.database.expected_schema)."""
    text = str(source).rstrip("/")
    remote = text.startswith(REMOTE)
    if not remote and not Path(text).is_dir():
        raise PerfError(f"no history folder at {text}")
    con = duckdb.connect(":memory:")
    rows: dict[Path, dict[str, int]] = {}
    try:
        if remote:
            _load_remote_reader(con, text)
        sources = [] if remote else run_sources(text)
        # The files to read: each pack's whole, and the run folders no pack holds.
        folders = list(dict.fromkeys(s.folder for s in sources))
        rows = _table_rows(sources)
        # Runs exported from stores of one schema have the same columns in the same order:
        # read by position, which skips reading every file's schema first (a third of the
        # time over a thousand runs). Mixed versions, packs (a union of runs' columns) or a
        # remote prefix match by name.
        by_name = (remote or any(s.packed for s in sources)
                   or len({s.manifest.get("schema_version") for s in sources}) > 1)
        loads, in_order, statements = [], [], []
        for table in TABLES + RAW_TABLES:
            if remote:  # a prefix in object storage: every run folder and pack under it
                pattern = f"{text}/*/{table}.parquet"
                files = pattern if con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchone()[0] else None
            else:  # only finished exports: a folder with its manifest (never one being written)
                # A file its manifest says is empty is not opened (DuckDB pays ~0.4 ms a file);
                # one it counts rows of is there (a missing one fails the read, never skipped),
                # so only a table the manifest does not name is looked for (8,000 stat calls
                # over a thousand runs, a tenth of a second).
                found = [str(folder / f"{table}.parquet") for folder in folders
                         if (rows[folder][table] if table in rows[folder]
                             else (folder / f"{table}.parquet").exists())]
                files = found or None
            if files is None:
                statements.append(ddl[table])
                continue
            reader = f"read_parquet({_sql_list(files)}, union_by_name = {str(by_name).lower()}"
            if table in RAW_TABLES:  # the raw rows stay where they are, read by the queries that need them
                statements.append(f"CREATE VIEW {table} AS SELECT * FROM {reader})")
                continue
            if isinstance(files, list) and len(files) <= FEW_FILES:  # packs: read as they are
                in_order.append(f"CREATE TABLE {table} AS SELECT * FROM {reader})")
                continue
            # The small tables are read once, into memory: a report queries each several times,
            # and with a thousand runs every read opens a thousand files. DuckDB reads a
            # thousand small files in half the time when it may append their rows in any
            # order; the table then takes them in the order of the files and their rows, as
            # a plain read would have, so every query sees the rows as before.
            loads.append(f"CREATE TABLE _loading_{table} AS SELECT * FROM {reader}, "
                         "filename = true, file_row_number = true)")
            position = ("(SELECT unnest($files) AS filename, generate_subscripts($files, 1) AS _position)"
                        .replace("$files", _sql_list(files)) if isinstance(files, list)
                        else "(SELECT filename, row_number() OVER (ORDER BY filename) AS _position "
                             f"FROM (SELECT DISTINCT filename FROM _loading_{table}))")
            statements.append(f"CREATE TABLE {table} AS SELECT * EXCLUDE (filename, file_row_number, "
                              f"_position) FROM _loading_{table} JOIN {position} USING (filename) "
                              "ORDER BY _position, file_row_number")
            statements.append(f"DROP TABLE _loading_{table}")
        # Each table read on a thread of its own (DuckDB reads one table's files on about one
        # core), its rows in any order; then put in order.
        from concurrent.futures import ThreadPoolExecutor  # only here: 4 ms of every start

        with ThreadPoolExecutor(max_workers=4) as pool:
            def run(sql: str) -> None:
                con.cursor().execute(sql).close()

            con.execute("SET preserve_insertion_order = false")  # a setting of the database
            list(pool.map(run, loads))
            con.execute("SET preserve_insertion_order = true")
            list(pool.map(run, in_order))
        for sql in statements:
            con.execute(sql)
        # A run read twice (a remote prefix holding a pack and the run folder it replaced, a
        # sync caught midway), or two runs whose id blocks collide, would mix their rows:
        # refused, never misread.
        (twice,) = con.execute("SELECT min(run_id) FROM (SELECT run_id FROM runs GROUP BY run_id "
                               "HAVING count(*) > 1)").fetchone()
        (clashes,) = con.execute("SELECT count(*) - count(DISTINCT attack_id) FROM attacks").fetchone()
    except duckdb.Error as exc:
        con.close()
        missing = [] if remote else _missing_files(rows)
        if missing:
            raise PerfError(f"history folder {text} is damaged: {missing[0]} is gone, and its "
                            "manifest counts rows in it (export that run again)") from None
        raise PerfError(f"cannot read history folder {text}: {exc}") from None
    if twice is not None:
        con.close()
        raise PerfError(f"history folder {text} holds run {twice} twice (a pack and the run "
                        "folder it replaced?); sync it again, with deletions, after perf pack")
    if clashes:
        con.close()
        raise PerfError(f"history folder {text} holds runs whose attack ids collide; read them "
                        "from separate folders")
    return con


def _missing_files(rows: dict[Path, dict[str, int]]) -> list[Path]:
    """The rows files that manifests count rows in but that are not there."""
    return [folder / f"{table}.parquet" for folder, tables in rows.items()
            for table, count in tables.items()
            if count and not (folder / f"{table}.parquet").exists()]


def _table_rows(sources: list[RunSource]) -> dict[Path, dict[str, int]]:
    """{run folder or pack: {table: rows}}, as their manifests say."""
    out: dict[Path, dict[str, int]] = {}
    for source in sources:
        if source.folder not in out:
            out[source.folder] = (read_pack_manifest(source.folder) if source.packed
                                  else source.manifest).get("tables") or {}
    return out


def _sql_list(files: str | list[str]) -> str:
    if isinstance(files, str):
        return f"'{_quoted(files)}'"
    return "[" + ", ".join(f"'{_quoted(f)}'" for f in files) + "]"


def _load_remote_reader(con: duckdb.DuckDBPyConnection, url: str) -> None:
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        try:
            con.execute("INSTALL httpfs")
            con.execute("LOAD httpfs")
        except duckdb.Error as exc:
            raise PerfError(f"cannot read {url}: DuckDB's httpfs extension is not available "
                            f"here ({str(exc).splitlines()[0]}); sync the folder to disk first") from None


def _quoted(path: str | Path) -> str:
    return str(path).replace("'", "''")


def import_runs(con: duckdb.DuckDBPyConnection, sources: list[RunSource], *, schema_version: int,
                perf_version: str) -> list[tuple[RunSource, str]]:
    """Add exported runs (run folders, runs in packs) to the store open (writable) on `con`:
    each run's outcome, "imported" or "already there" (the store holds the same run). Every
    run the store already holds is checked first, so a different run of the same id
    (PerfError) imports nothing; then the new runs go in together, one statement per table
    and pack, in one transaction (a thousand runs one by one took 13 s, most of it
    per-statement overhead)."""
    for source in sources:
        if source.manifest.get("schema_version", 0) > schema_version:
            raise PerfError(f"{source.folder} holds run {source.run_id} exported from a store of "
                            f"schema v{source.manifest['schema_version']}, newer than this perf "
                            f"knows (v{schema_version}); upgrade perf to import it")
    present = {r[0] for r in con.execute("SELECT run_id FROM runs WHERE list_contains(?, run_id)",
                                         [[s.run_id for s in sources]]).fetchall()}
    outcomes, new, seen = [], [], set()
    for source in sources:
        if source.run_id in present:
            _check_same(con, source, schema_version=schema_version, perf_version=perf_version)
            outcomes.append((source, "already there"))
        elif source.run_id in seen:  # the same run named twice (a folder and its history folder)
            outcomes.append((source, "already there"))
        else:
            seen.add(source.run_id)
            new.append(source)
            outcomes.append((source, "imported"))
    if new:
        con.execute("BEGIN")
        try:
            for table in (*TABLES, *RAW_TABLES):
                for rows in _new_rows(new, table):  # by name: an older schema lacks newer columns
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {rows}")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return outcomes


def _new_rows(new: list[RunSource], table: str) -> list[str]:
    """SQL reading the new runs' rows of `table`: the run folders' files in one read, and each
    pack's rows of its new runs."""
    out = []
    files = [str(s.folder / f"{table}.parquet") for s in new if not s.packed and table in s.tables]
    if files:
        out.append(f"read_parquet({_sql_list(files)}, union_by_name = true)")
    by_pack: dict[Path, list[str]] = {}
    for s in new:
        if s.packed and table in s.tables:
            by_pack.setdefault(s.folder, []).append(s.run_id)
    return out + [_pack_rows(pack, table, ids) for pack, ids in by_pack.items()]


def _check_same(con: duckdb.DuckDBPyConnection, source: RunSource, *,
                schema_version: int, perf_version: str) -> None:
    """PerfError unless the store's run of this id has the exported run's rows."""
    run_id = source.run_id
    scratch = source.folder.parent / f".{run_id}.{uuid.uuid4().hex[:8]}.check"
    try:
        export_run(con, run_id, scratch, with_requests=bool(source.manifest.get("raw_rows")),
                   perf_version=perf_version, schema_version=schema_version, packed={})
        same = _same_run(con, scratch / run_id, source, source.tables)
    except OSError as exc:
        raise PerfError(f"cannot compare {source.folder} with the store's run: {exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not same:
        raise PerfError(f"the store already holds a run {run_id} with different rows than "
                        f"{source.folder}; nothing imported")