"""Ingest throughput: vegeta CSV results -> the store, rows per second (target >= 1,000,000).

Generates a vegeta-encoded CSV of N results (default 2,000,000; every column vegeta writes,
bodies and headers included, quoted as vegeta quotes them) and times
perf.collector.storage.attacks.store_attack on it; then the results filter (collector/load/results_filter.py:
what `perf ingest` of such a CSV, and every attack of `perf collect`, passes the results
through before they are stored) and store_attack on the filtered file.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 2000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perf.collector.storage.attacks import store_attack  # noqa: E402
from perf.collector.storage.records import AttackRecord  # noqa: E402
from perf.collector.load.results_filter import filter_file  # noqa: E402
from perf.store.database import open_store  # noqa: E402

HEADERS_B64 = "Q29udGVudC1MZW5ndGg6IDE1DQpDb250ZW50LVR5cGU6IGFwcGxpY2F0aW9uL2pzb24NCg0K"


def write_results(path: Path, rows: int) -> None:
    """A realistic vegeta CSV: 200/s for rows/200 s, ~1% 500s, bodies and headers present.
    Empty fields are NULLs, which DuckDB writes unquoted, as vegeta does ('' would be "")."""
    duckdb.connect().execute(f"""
        COPY (
          SELECT 1795305502670528600 + i * 5000000 AS ts,
                 CASE WHEN i % 97 = 0 THEN 500 ELSE 200 END AS code,
                 2000000 + (hash(i) % 50000000) AS latency, 0 AS bytes_out, 15 AS bytes_in,
                 CASE WHEN i % 97 = 0 THEN '500 Internal Server Error' END AS error,
                 'eyJzdGF0dXMiOiJvayJ9' AS body, NULL AS attack, i AS seq, 'GET' AS method,
                 'http://127.0.0.1:8000/api/simple/async/' || (i % 2000 + 1) AS url,
                 '{HEADERS_B64}' AS headers
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER false, DELIMITER ',')
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="perf-bench-ingest-"))
    try:
        measure(tmp, args.rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # hundreds of MB


def measure(tmp: Path, rows: int) -> None:
    results = tmp / "results.csv"
    write_results(results, rows)
    con = open_store(tmp / "bench.duckdb")
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('bench', now(), 'running')")
    attack = AttackRecord(run_id="bench", endpoint="GET /api/simple/async/{item_id}",
                          method="GET", path="/api/simple/async/{item_id}", mode="rate",
                          target_rate=200.0)
    start = time.perf_counter()
    attack_id = store_attack(con, attack, [results])
    seconds = time.perf_counter() - start
    stored = con.execute("SELECT count(*) FROM requests WHERE attack_id = ?", [attack_id]).fetchone()[0]
    slim = tmp / "filtered.csv"
    start = time.perf_counter()
    filter_file(results, slim)
    filter_s = time.perf_counter() - start
    start = time.perf_counter()
    store_attack(con, attack, [slim])
    slim_s = time.perf_counter() - start
    con.close()
    size_mb = results.stat().st_size / 1e6
    print(f"results file: {rows:,} rows, {size_mb:.0f} MB (vegeta CSV encoding)")
    print(f"stored: {stored:,} rows in {seconds:.2f} s, one transaction")
    print(f"ingest rate: {stored / seconds:,.0f} rows/s (target >= 1,000,000)")
    print(f"results filter: {rows / filter_s:,.0f} rows/s ({filter_s:.2f} s; "
          f"{slim.stat().st_size / 1e6:.0f} MB without bodies and headers)")
    print(f"stored from the filtered file: {rows / slim_s:,.0f} rows/s ({slim_s:.2f} s)")


if __name__ == "__main__":
    main()
