"""`perf ingest`: vegeta result files made elsewhere become one complete run of one attack."""

from __future__ import annotations

import hashlib
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from perf.collector.storage import scratch
from perf.collector.storage.attacks import BadResults, check_complete, csv_source, is_vegeta_csv, store_attack, to_csv
from perf.collector.storage.records import AttackRecord
from perf.collector.load.results_filter import filter_file
from perf.collector.storage.run_rows import finish_run, run_ids, run_row, store_run_row
from perf.collector.storage.spool import take_over
from perf.collector.load.vegeta import vegeta_version
from perf.base.errors import PerfError, file_error
from perf.store.runref import check_label
from perf.store.database import store_failure, store_session, transaction, writer_lock

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_endpoint(text: str) -> tuple[str, str]:
    """'GET /items' -> ('GET', '/items')."""
    method, _, path = text.strip().partition(" ")
    if not method or not path.strip():
        raise PerfError(f"bad --endpoint {text!r}: use 'METHOD /path'")
    return method.upper(), path.strip()


def results_as_csv(vegeta: Path, files: list[Path], folder: Path) -> list[Path]:
    """Each file as the CSV perf keeps (collector/load/results_filter.py: no bodies), checked whole:
    CSV is filtered as it is, gob and JSON converted by `vegeta encode` on the way.

    Each file is converted on its own: `vegeta encode` of several files stops quietly at the
    first damaged one (exit 0), while one file at a time reports it.
    """
    _check_files(files)
    out = []
    for i, path in enumerate(files):
        converted = folder / f"{i}.csv"
        if is_vegeta_csv(path):
            check_complete(path)
            filter_file(path, converted)
        else:
            results = to_csv(vegeta, path, converted)
            if _starts_with(path, b"{"):
                _check_json_whole(path, results)
        check_complete(converted)
        out.append(converted)
    _check_distinct(files, out)
    return out


def _check_files(files: list[Path]) -> None:
    """Regular files, each given once: a file given twice would count its results twice."""
    seen: dict[tuple[int, int], Path] = {}
    for path in files:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise PerfError(f"{path}: no such file") from None
        except OSError as exc:
            raise file_error(f"cannot read {path}", exc) from None
        if not stat.S_ISREG(info.st_mode):
            raise PerfError(f"{path}: not a regular file")
        first = seen.setdefault((info.st_dev, info.st_ino), path)
        if first is not path:
            what = "given twice" if first == path else f"the same file as {first}"
            raise PerfError(f"{path}: {what}: its results would count twice")


def _check_distinct(files: list[Path], converted: list[Path]) -> None:
    """Two files holding the same results (a copy): the same timestamps to the nanosecond
    cannot come from two load machines. Compared only when their sizes match."""
    by_size: dict[int, list[int]] = {}
    for i, path in enumerate(converted):
        by_size.setdefault(path.stat().st_size, []).append(i)
    for same_size in (group for group in by_size.values() if len(group) > 1):
        digests: dict[bytes, int] = {}
        for i in same_size:
            first = digests.setdefault(_digest(converted[i]), i)
            if first != i:
                raise PerfError(f"{files[i]}: the same results as {files[first]}: its results "
                                f"would count twice")


def _digest(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "blake2b").digest()


def _starts_with(path: Path, prefix: bytes) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(prefix)) == prefix


def _check_json_whole(source: Path, results: int) -> None:
    # `vegeta encode` stops quietly at a broken JSON line (exit 0, the results before it kept),
    # so a file cut in half would pass as a shorter attack: every line must become a result.
    with open(source, "rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    if results != lines:
        raise BadResults(f"{source}: truncated vegeta results ({results} of {lines} JSON lines "
                         "are whole results)")


def _results_facts(con: duckdb.DuckDBPyConnection, csv_files: list[Path]) -> tuple[int, int, int, str, str]:
    """(results, first ts, last ts, most common method, its most common URL path)."""
    source = csv_source(csv_files)
    try:
        n, first, last = con.execute(f"SELECT count(*), min(ts), max(ts) FROM {source}").fetchone()
        top = con.execute(
            f"""SELECT method, regexp_replace(regexp_replace(url, '^[a-z]+://[^/]+', ''), '\\?.*$', '')
                FROM {source} GROUP BY ALL ORDER BY count(*) DESC, 1, 2 LIMIT 1"""
        ).fetchone()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        names = ", ".join(map(str, csv_files))
        raise BadResults(f"{names}: not valid vegeta CSV results "
                         f"({str(exc).strip().splitlines()[0]})") from None
    if not n:
        raise BadResults(f"{', '.join(map(str, csv_files))}: no results in file")
    method, path = top
    return n, first, last, method or "GET", path or "/"


def _at(ts_ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


def ingest_run(store: str | Path | None, vegeta: Path, files: list[Path], *, label: str | None,
               endpoint: str | None, rate: float | None, workers: int | None
               ) -> tuple[str, int, list[str]]:
    """The files become one complete run of one attack: (run_id, results stored, notes).

    The run's and the attack's times are those of the results themselves; the endpoint, unless
    given, is the most common method and URL path in them. Holding the writer lock, it first
    stores what earlier perfs left spooled and closes their dead runs (the notes say what).
    """
    method, path = parse_endpoint(endpoint) if endpoint else (None, None)
    scratch.remove_stale()  # those of perfs killed outright, which could not
    with writer_lock(store, "ingest") as store_path, scratch.folder("ingest") as tmp:
        csv_files = results_as_csv(vegeta, files, tmp)
        with store_session(store_path) as con:
            notes = take_over(con, store_path)
            if label is not None:
                check_label(label, "--label", run_ids(con))
            n, first, last, top_method, top_path = _results_facts(con, csv_files)
            method, path = (method, path) if method else (top_method, top_path)
            row = {**run_row(status="complete", label=label, target="ingested",
                             config={"ingested": [str(p) for p in files], "rate": rate},
                             vegeta_version=vegeta_version(vegeta), with_git=False),
                   "started_at": _at(first)}
            attack = AttackRecord(
                run_id=row["run_id"], endpoint=f"{method} {path}", method=method, path=path,
                server="external", workers=workers, mode="rate", target_rate=rate,
                duration_s=(last - first) / 1e9 or None, started_at=_at(first),
                finished_at=_at(last))
            try:
                with transaction(con):
                    store_run_row(con, row)
                    finish_run(con, row["run_id"], "complete", _at(last))
                    store_attack(con, attack, csv_files, nested=True, renumber=len(files) > 1)
            except duckdb.Error as exc:
                raise store_failure(store_path, "store the results", exc) from None
    return row["run_id"], n, notes
