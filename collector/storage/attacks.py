"""Vegeta results -> the store. Each attack lands in one transaction.

vegeta's CSV encoding is the common form: `perf collect` pipes `vegeta attack` through
`vegeta encode --to csv`, and `perf ingest` converts gob/json files the same way; both go
through collector/load/results_filter.py, which leaves the bodies and headers out of the file perf
keeps (one error sample per failing code aside). DuckDB then reads the CSV in bulk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import duckdb

from perf.collector.storage.records import AttackRecord
from perf.collector.load.results_filter import BadResults, filter_encoded
from perf.collector.load.sampler import Sample
from perf.collector.settings.secrets import Masker
from perf.store.failures import BODY_SAMPLE_BYTES
from perf.store.metrics import metric_columns, metric_sql
from perf.store.request_counts import cache_counts
from perf.store.stats import cache_stats, request_aggregates, success_sql
from perf.store.database import next_attack_id, transaction

# The columns of `vegeta encode --to csv` (vegeta v12), in order.
VEGETA_CSV_COLUMNS = {
    "ts": "BIGINT",
    "code": "USMALLINT",
    "latency_ns": "BIGINT",
    "bytes_out": "BIGINT",
    "bytes_in": "BIGINT",
    "error": "VARCHAR",
    "body": "VARCHAR",
    "attack": "VARCHAR",
    "seq": "BIGINT",
    "method": "VARCHAR",
    "url": "VARCHAR",
    "headers": "VARCHAR",
}

# Generator check (DESIGN.md): below 99% of the offered rate, or vegeta near a full core,
# means the load generator, not the server, may have set the numbers.
MIN_SENT_FRACTION = 0.99
LOADGEN_SATURATED_CPU = 90.0


def is_vegeta_csv(path: Path) -> bool:
    """True when the file starts like a vegeta CSV record (unix-ns timestamp, status code)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    parts = head.split(b",", 2)
    return len(parts) == 3 and parts[0].isdigit() and len(parts[0]) >= 18 and parts[1].isdigit()


def check_complete(path: Path) -> None:
    # vegeta ends every record with a newline; a file that does not was cut off mid-write.
    size = path.stat().st_size
    if size == 0:
        raise BadResults(f"{path}: empty results file")
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        if fh.read(1) != b"\n":
            raise BadResults(f"{path}: truncated vegeta results (last record is incomplete)")


def to_csv(vegeta: Path, source: Path, out: Path, masker: Masker | None = None) -> int:
    """Convert one vegeta results file in any encoding (gob, json, csv) to the CSV perf
    keeps (collector/load/results_filter.py); the number of results."""
    kept, returncode, stderr = filter_encoded(vegeta, source, out, masker)
    if returncode != 0:
        detail = stderr.strip().splitlines()
        reason = detail[-1].split("encode: ", 1)[-1] if detail else f"exit {returncode}"
        reason = re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", reason)
        raise BadResults(f"{source}: not readable as vegeta results ({reason})")
    return kept.results


def csv_source(paths: list[Path]) -> str:
    """The SQL that reads vegeta CSV files as rows of VEGETA_CSV_COLUMNS."""
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in VEGETA_CSV_COLUMNS.items())
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    # strict_mode makes a malformed or short record an error instead of a guess.
    return (
        f"read_csv({files}, header = false, auto_detect = false, columns = {{{columns}}}, "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        "max_line_size = 2097152)"
    )


def insert_requests(
    con: duckdb.DuckDBPyConnection, attack_id: int, csv_files: list[Path], renumber: bool = False
) -> int:
    """Bulk-insert vegeta CSV results as request rows of one attack; returns the row count.

    Several source files are one attack run from several load machines: their seq numbers
    collide, so rows are renumbered in time order (`renumber`, implied by several CSVs).
    """
    for path in csv_files:
        check_complete(path)
    renumber = renumber or len(csv_files) > 1
    seq = "row_number() OVER (ORDER BY ts, seq) - 1" if renumber else "seq"
    try:
        # Row order inside an attack carries no meaning (seq and ts do): let DuckDB insert
        # in parallel instead of preserving the file's order.
        con.execute("SET preserve_insertion_order = false")
        inserted = con.execute(
            f"""
            INSERT INTO requests
            SELECT ?, {seq}, ts, latency_ns, code, bytes_in, bytes_out,
                   coalesce(error, ''), method, url
            FROM {csv_source(csv_files)}
            """,
            [attack_id],
        ).fetchone()[0]
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        # What the file holds is at fault; any other error (a full disk) is the store's.
        names = ", ".join(map(str, csv_files))
        first = str(exc).strip().splitlines()[0]
        raise BadResults(f"{names}: not valid vegeta CSV results ({first})") from exc
    return inserted


def results_metrics(csv_path: Path, success: str | None = None) -> dict:
    """One attack's request metrics straight from its vegeta CSV (the registry's formulas over
    the same aggregates the store caches), before it is stored: what a capacity search judges
    each attack by."""
    check_complete(csv_path)
    con = duckdb.connect()
    try:
        cursor = con.execute(
            f"SELECT {metric_columns('st', samples=False)} "
            f"FROM (SELECT {request_aggregates(success_sql(success))} "
            f"FROM {csv_source([csv_path])}) st")
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone()))
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise BadResults(f"{csv_path}: not valid vegeta CSV results "
                         f"({str(exc).strip().splitlines()[0]})") from exc
    finally:
        con.close()


def insert_error_samples(con: duckdb.DuckDBPyConnection, attack_id: int,
                         csv_files: list[Path], success: str | None = None) -> None:
    """One response body (its first 2 KB) per failing status code (by the run's `success`
    rule): what the app said
    when it refused. Read only for attacks that had failures (most have none).

    The results filter kept one body per failing code and file (the first not empty); with
    several files, the earliest of them. Picked by (ts, seq), never by scan order: DuckDB reads
    a CSV in parallel, so a plain first(body) could differ from one store to the next."""
    # base64 of BODY_SAMPLE_BYTES bytes, rounded up to whole 4-character groups (files the
    # filter made are cut already; spool entries of an older perf are not)
    chars = (BODY_SAMPLE_BYTES + 2) // 3 * 4
    con.execute(
        f"""
        INSERT INTO error_samples
        SELECT ?, code, from_base64(left(coalesce(
            first(body ORDER BY ts, seq) FILTER (WHERE body <> ''), ''), {chars}))
        FROM {csv_source(csv_files)}
        WHERE NOT ({success_sql(success)})
        GROUP BY code
        """,
        [attack_id],
    )


def generator_verdict(
    mode: str, target_rate: float | None, sent_rate: float | None, loadgen_cpu_max: float | None
) -> tuple[bool, str]:
    """Was the load generator able to offer the planned load? (ok, why-not)"""
    reasons = []
    if mode == "rate" and target_rate and sent_rate is not None:
        if sent_rate < MIN_SENT_FRACTION * target_rate:
            reasons.append(f"sent {sent_rate:.1f}/s < 99% of target {target_rate:g}/s")
    if loadgen_cpu_max is not None and loadgen_cpu_max >= LOADGEN_SATURATED_CPU:
        reasons.append(f"vegeta CPU-bound (peak {loadgen_cpu_max:.0f}%)")
    return (not reasons, "; ".join(reasons))


def store_attack(
    con: duckdb.DuckDBPyConnection,
    attack: AttackRecord,
    csv_files: list[Path],
    samples: Iterable[Sample] = (),
    nested: bool = False,
    renumber: bool = False,
    written: int | None = None,
) -> int:
    """Store one finished attack (its row, every request, every sample) atomically.

    sent_rate and the generator verdict are derived here from the stored rows.
    `nested`: the caller owns the transaction (DuckDB has no nested transactions).
    `written`: how many results the file was written with (a spool entry says), when known.
    """
    if not nested:
        with transaction(con):
            return store_attack(con, attack, csv_files, samples, nested=True, renumber=renumber,
                                written=written)
    samples = list(samples)
    attack_id = next_attack_id(con)
    rows = insert_requests(con, attack_id, csv_files, renumber)
    if rows == 0:
        raise BadResults(f"{', '.join(map(str, csv_files))}: no results in file")
    if written is not None and rows != written:
        # Cut exactly at a record boundary, a file ends with a whole record all the same.
        raise BadResults(f"{', '.join(map(str, csv_files))}: truncated vegeta results "
                         f"({rows} of the {written} results written)")
    if samples:
        con.executemany(
            "INSERT INTO samples VALUES (?, ?, ?, ?, ?)",
            [(attack_id, s.ts, s.process, s.cpu_percent, s.rss_bytes) for s in samples],
        )
    cache_stats(con, attack_id, attack.run_id)
    cache_counts(con, attack_id)
    failed, sent_rate = con.execute(
        f"SELECT requests > successes, {metric_sql('sent_rate')} FROM attack_stats "
        f"WHERE attack_id = ?", [attack_id]).fetchone()
    if failed:
        (rule,) = con.execute("SELECT json_extract_string(config, '$.success') FROM runs "
                              "WHERE run_id = ?", [attack.run_id]).fetchone() or (None,)
        insert_error_samples(con, attack_id, csv_files, rule)
    loadgen = [s.cpu_percent for s in samples if s.process == "loadgen"]
    loadgen_cpu_max = max(loadgen) if loadgen else None
    ok, note = generator_verdict(attack.mode, attack.target_rate, sent_rate, loadgen_cpu_max)
    con.execute(
        """
        INSERT INTO attacks (attack_id, run_id, endpoint, method, path, server, workers, mode,
            target_rate, concurrency, duration_s, started_at, finished_at, sent_rate,
            loadgen_cpu_max, generator_ok, generator_note, repeat_index, role, background,
            foreground_id, check_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            attack_id, attack.run_id, attack.endpoint, attack.method, attack.path,
            attack.server, attack.workers, attack.mode, attack.target_rate, attack.concurrency,
            attack.duration_s, attack.started_at, attack.finished_at, sent_rate,
            loadgen_cpu_max, ok, note or None, attack.repeat_index, attack.role,
            attack.background, attack.foreground_id, attack.check_id,
        ],
    )
    return attack_id
