"""Real `perf collect` over every app of the test corpus (tests/apps/corpus.py), with the options
each needs: operations found in its document, attacked, and attacked with >= 99% success; each
app's `--dry-run --format json` plan is checked against the manifest's operations too.

    .venv/bin/python benchmarks/bench_corpus.py [--rate 10] [--duration 1s] [--store PATH]

Tiny loads (one rate, one worker) on loopback; each app is started and stopped by perf itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.apps.corpus import CORPUS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", default="10")
    parser.add_argument("--duration", default="1s")
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    store = args.store or Path(tempfile.mkdtemp(prefix="bench-corpus-")) / "perf.duckdb"
    totals = [0, 0, 0]
    print(f"{'app':<16} {'found':>5} {'attacked':>8} {'>=99% ok':>8}")
    for entry in CORPUS:
        dry = subprocess.run(
            [sys.executable, "-m", "perf.cli", "collect", *entry.options(), "--dry-run",
             "--format", "json"], cwd=REPO, capture_output=True, text=True, timeout=300)
        found = len(entry.attacked) + len(entry.skipped) + len(entry.failing)
        planned = tuple(op["endpoint"] for op in json.loads(dry.stdout)["operations"]) \
            if dry.returncode == 0 else ()
        run = subprocess.run(
            [sys.executable, "-m", "perf.cli", "collect", *entry.options(), "--rates", args.rate,
             "--duration", args.duration, "--workers", "1", "--warmup", "0", "--store",
             str(store), "--label", entry.name], cwd=REPO, capture_output=True, text=True,
            timeout=600)
        con = duckdb.connect(str(store), read_only=True)
        try:
            rows = con.execute(
                "SELECT s.requests, s.successes FROM attacks a JOIN attack_stats s "
                "USING (attack_id) JOIN runs r USING (run_id) WHERE r.label = ?",
                [entry.name]).fetchall()
        finally:
            con.close()
        good = sum(1 for requests, ok in rows if ok >= 0.99 * requests)
        for i, n in enumerate((found, len(rows), good)):
            totals[i] += n
        note = "" if run.returncode == 0 and dry.returncode == 0 else (
            f"  perf exited {run.returncode}: {(run.stderr or dry.stderr).strip()[-200:]}")
        if planned != entry.attacked:
            note += f"  !! the --dry-run plan lists {', '.join(planned) or 'nothing'}"
        print(f"{entry.name:<16} {found:>5} {len(rows):>8} {good:>8}{note}")
    print(f"{'total':<16} {totals[0]:>5} {totals[1]:>8} {totals[2]:>8}")
    return 0 if totals[1] == totals[2] == sum(len(e.attacked) for e in CORPUS) else 1


if __name__ == "__main__":
    sys.exit(main())
