"""`perf report` beside a real writer process: a store briefly locked does not block reading."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.unit.test_report_cli import store  # noqa: F401 (fixtures too)


def test_a_store_briefly_locked_by_a_writer_does_not_block_reading(store):
    # A collect holds DuckDB's write lock while it stores one attack; a reader waits for it.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
         " time.sleep(1.5); con.close()", str(store)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "perf.cli", "report", "--store", str(store), "--format", "json"],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["attacks"]
        assert time.monotonic() - started < 10
    finally:
        holder.wait(timeout=10)
