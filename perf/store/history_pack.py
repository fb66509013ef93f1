"""perf pack: the run folders of a history folder gathered into one pack, so that reading a
thousand runs opens a few files instead of seven thousand (DuckDB pays ~0.4 ms a Parquet file).

    DIR/pack-<hash>/manifest.json     {"format": "perf-pack", "layout": 1,
                                       "runs": {run_id: {"schema_version", "perf_version",
                                                         "raw_rows"}},
                                       "tables": {table: rows}}
    DIR/pack-<hash>/<table>.parquet   the rows of every run it holds, as a run folder's files

A pack is written once and never changed, like a run folder: packing again gathers only the
run folders no pack holds into a new pack, so a folder kept in git or object storage never
rewrites a file (a team packs every hundred runs; a thousand runs are then ten packs). The
pack is written beside its place and renamed into it before the run folders it holds are
removed: a reader that lists the folder in between reads each run once, from the pack
(history_folder.run_sources). <hash> names the runs it holds. A pack interrupted after that
rename leaves run folders its pack already holds; the next `perf pack` removes each whose rows
equal the pack's (a folder that differs is kept and named: it is not perf's to settle).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb

from perf.base.errors import PerfError
from perf.store.history_folder import (
    LAYOUT_VERSION, MANIFEST, PACK_FORMAT, PACK_PREFIX, RAW_TABLES, TABLES, RunSource, _quoted,
    _same_run, _sql_list, exported_runs, packed_runs, read_manifest, run_sources,
)


def held_twice(folder: Path) -> tuple[list[Path], list[Path]]:
    """The run folders of `folder` whose run a pack already holds (a pack interrupted before
    it removed them, a sync that brought one back): (those with the pack's rows, removed;
    those that differ, kept)."""
    held = packed_runs(folder)
    removed, differ = [], []
    con = duckdb.connect(":memory:")
    try:
        for run in exported_runs(folder):
            manifest = read_manifest(run)
            pack = held.get(manifest["run_id"])
            if pack is None:
                continue
            loose = RunSource(manifest["run_id"], run, manifest)
            if loose.tables == pack.tables and _same_run(con, run, pack, loose.tables):
                shutil.rmtree(run, ignore_errors=True)
                removed.append(run)
            else:
                differ.append(run)
    except duckdb.Error as exc:
        raise PerfError(f"cannot pack {folder}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return removed, differ


def pack_folder(folder: Path, min_runs: int = 1) -> tuple[list[RunSource], Path | None]:
    """Gather the run folders of `folder` that no pack holds into a new pack, when there are
    at least `min_runs` of them. Returns (the runs packed, the pack), or ([], None)."""
    if not folder.is_dir():
        raise PerfError(f"no history folder at {folder}")
    loose = [s for s in run_sources(folder) if not s.packed]
    if not loose or len(loose) < min_runs:
        return [], None
    ids = sorted(s.run_id for s in loose)
    name = PACK_PREFIX + hashlib.sha256(",".join(ids).encode()).hexdigest()[:16]
    final = folder / name
    scratch = folder / f".{name}.{uuid.uuid4().hex[:8]}.partial"
    con = duckdb.connect(":memory:")
    try:
        scratch.mkdir()
        counts = {}
        for table in TABLES + RAW_TABLES:
            files = [str(s.folder / f"{table}.parquet") for s in loose if table in s.tables]
            if not files:
                continue
            target = scratch / f"{table}.parquet"
            # In the run folders' order (by name), each file's rows as they were; by name, as
            # runs exported by an older schema lack newer columns.
            con.execute(f"COPY (SELECT * FROM read_parquet({_sql_list(files)}, union_by_name = true)) "
                        f"TO '{_quoted(target)}' (FORMAT parquet)")
            counts[table] = con.execute(
                f"SELECT count(*) FROM read_parquet('{_quoted(target)}')").fetchone()[0]
        runs = {s.run_id: {k: s.manifest.get(k) for k in ("schema_version", "perf_version", "raw_rows")}
                for s in loose}
        manifest = {"format": PACK_FORMAT, "layout": LAYOUT_VERSION, "runs": runs, "tables": counts}
        (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if not final.exists():  # the same runs packed before (a pack named by them): kept
            os.rename(scratch, final)
    except OSError as exc:
        raise PerfError(f"cannot pack {folder}: {exc.strerror or exc}") from None
    except duckdb.Error as exc:  # e.g. a full disk while writing a Parquet file
        raise PerfError(f"cannot pack {folder}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    for source in loose:  # only now: every run is in the pack
        shutil.rmtree(source.folder, ignore_errors=True)
    return loose, final
