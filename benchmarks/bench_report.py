"""Benchmark `perf report` on a large generated store.

    .venv/bin/python benchmarks/bench_report.py                     # 1,000 runs x 20 attacks x 5,000 requests
    .venv/bin/python benchmarks/bench_report.py --runs 100          # a quicker, smaller store

The store is generated with DuckDB SQL from range() (never Python loops) under /tmp and reused
when it already has the requested shape (--regenerate forces a new one). It is never committed.
Prints the store size and wall-clock times of `perf report` (whole CLI process, as a user
runs it, and in-process build+render) for one run and for --last 50, first with every metric
aggregated from the raw rows, then with the attack_stats cache that perf collect fills.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.store.database import open_store  # noqa: E402

ENDPOINTS = ["async", "sync_threadpool", "async_blocking", "db_read"]
RATES = [50, 100, 200, 400, 800]  # 4 endpoints x 5 rates = 20 attacks per run


def generate(path: Path, runs: int, attacks: int, requests: int) -> None:
    if path.exists():
        path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()
    con = open_store(path)
    con.execute("SET preserve_insertion_order = true")
    base = 1_700_000_000_000_000_000  # unix ns
    run_gap = 3_600_000_000_000  # a run an hour
    attack_gap = 60_000_000_000  # an attack a minute
    con.execute(
        """
        INSERT INTO runs (run_id, started_at, finished_at, status, label, git_commit, git_branch,
            git_dirty, host, cpu_model, cpu_count, os, python_version, vegeta_version,
            perf_version, target, config)
        SELECT printf('%012x', 1000000 + i),
            make_timestamp((($base + i * $run_gap) // 1000)::BIGINT),
            make_timestamp((($base + i * $run_gap + $attacks * $attack_gap) // 1000)::BIGINT),
            'complete', CASE WHEN i % 10 = 0 THEN 'nightly' END,
            md5(i::VARCHAR) || '01234567', 'main', false, 'bench', 'Bench CPU', 2,
            'Linux', '3.11', 'v12.13.0', '0.1.0', 'target_app.main:app', '{}'
        FROM range($runs) t(i)
        """,
        {"base": base, "run_gap": run_gap, "attack_gap": attack_gap, "runs": runs,
         "attacks": attacks},
    )
    con.execute(
        """
        INSERT INTO attacks (attack_id, run_id, endpoint, method, path, server, workers, mode,
            target_rate, concurrency, duration_s, started_at, finished_at, sent_rate,
            loadgen_cpu_max, generator_ok, generator_note)
        SELECT a + 1, printf('%012x', 1000000 + a // $attacks),
            'GET /api/simple/' || list_extract($endpoints, (a % $attacks) % len($endpoints) + 1)
                || '/{item_id}',
            'GET',
            '/api/simple/' || list_extract($endpoints, (a % $attacks) % len($endpoints) + 1)
                || '/{item_id}',
            'uvicorn', 1, 'rate',
            list_extract($rates, ((a % $attacks) // len($endpoints)) % len($rates) + 1),
            NULL, $requests / list_extract($rates, ((a % $attacks) // len($endpoints)) % len($rates) + 1),
            NULL, NULL, NULL, 20.0, true, NULL
        FROM range($runs * $attacks) t(a)
        """,
        {"attacks": attacks, "endpoints": ENDPOINTS, "rates": RATES, "runs": runs,
         "requests": requests},
    )
    # Requests in attack order, as the collector stores them (one attack after another).
    # Latency: a deterministic pseudo-random spread from hash(); 1 in 200 is a 500 error.
    con.execute(
        """
        INSERT INTO requests
        SELECT a.attack_id, r.i % $requests AS seq,
            $base + (a.attack_id - 1) // $attacks * $run_gap + (a.attack_id - 1) % $attacks * $attack_gap
                + (r.i % $requests) * (1000000000 // a.target_rate)::BIGINT AS ts,
            2000000 + hash(r.i) % 60000000 AS latency_ns,
            CASE WHEN hash(r.i * 7) % 200 = 0 THEN 500 ELSE 200 END AS code,
            27, 0,
            CASE WHEN hash(r.i * 7) % 200 = 0 THEN '500 Internal Server Error' ELSE '' END,
            'GET',
            'http://127.0.0.1:8000' || replace(a.path, '{item_id}', (r.i % 2000)::VARCHAR)
        FROM range($runs * $attacks * $requests) r(i)
        JOIN attacks a ON a.attack_id = r.i // $requests + 1
        ORDER BY r.i
        """,
        {"requests": requests, "attacks": attacks, "base": base, "run_gap": run_gap,
         "attack_gap": attack_gap, "runs": runs},
    )
    con.execute(
        """
        INSERT INTO samples
        SELECT a.attack_id, k * 500000000, p.process,
            CASE p.process WHEN 'server' THEN 20 + hash(a.attack_id * 31 + k) % 60 ELSE 10 END,
            100000000 + hash(a.attack_id + k) % 5000000
        FROM attacks a, range(10) t(k), (VALUES ('server'), ('loadgen')) p(process)
        ORDER BY a.attack_id, k
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def set_cache(path: Path, filled: bool) -> None:
    """Empty the caches perf collect fills when it stores an attack (attack_stats and
    request_counts), or fill them for every attack with the collector's own SQL."""
    from perf.store.request_counts import LIVE_COUNTS_SQL
    from perf.store.stats import LIVE_STATS_SQL, STATS_VERSION

    con = open_store(path)
    try:
        con.execute("DELETE FROM attack_stats")
        con.execute("DELETE FROM request_counts")
        if filled:
            ids = [r[0] for r in con.execute("SELECT attack_id FROM attacks").fetchall()]
            con.execute(f"INSERT INTO attack_stats BY NAME SELECT {STATS_VERSION} AS version, * "
                        f"FROM ({LIVE_STATS_SQL})", {"ids": ids})
            con.execute(f"INSERT INTO request_counts BY NAME {LIVE_COUNTS_SQL}", {"ids": ids})
        con.execute("CHECKPOINT")
    finally:
        con.close()


def shape(path: Path) -> tuple[int, int, int] | None:
    if not path.exists():
        return None
    con = open_store(path, read_only=True)
    try:
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        attacks = con.execute("SELECT count(*) FROM attacks").fetchone()[0]
        requests = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    finally:
        con.close()
    return runs, attacks, requests


# As installed: pip compiles perf's bytecode when it installs the wheel, so a timed perf may
# write and reuse .pyc files even where the caller's environment says PYTHONDONTWRITEBYTECODE
# (compiling ~40 modules from source on every start would cost ~40 ms a run).
_INSTALLED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_perf(*args: str) -> float:
    """Seconds `perf ARGS...` takes as a user runs it (process start included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "perf.cli", *args], cwd=ROOT, env=_INSTALLED, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_cli(path: Path, args: list[str], repeat: int, command: str = "report",
             warm: bool = True) -> list[float]:
    """Wall times of `perf COMMAND --store PATH ARGS...` (run_perf). One untimed run first
    writes the bytecode and warms the file cache, as a user's second command finds them."""
    cmd = [command, "--store", str(path), *args]
    if warm:
        run_perf(*cmd)
    return [run_perf(*cmd) for _ in range(repeat)]


def time_history(path: Path, repeat: int) -> list[float]:
    """The dashboard's trend query: the latest run's cells in every run of the store."""
    from perf.reporter.query import attacks as query
    from perf.reporter.query.selection import Selection

    times = []
    for _ in range(repeat):
        con = open_store(path, read_only=True)
        try:
            runs = query.select_runs(con, Selection())
            attacks = query.attack_summaries(con, [r.run_id for r in runs], Selection())
            started = time.perf_counter()
            query.history(con, attacks)
            times.append(time.perf_counter() - started)
        finally:
            con.close()
    return times


def time_in_process(path: Path, sel, repeat: int) -> list[float]:
    from perf.reporter.report import build_report, render

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        con = open_store(path, read_only=True)
        try:
            render(build_report(con, sel, with_history=False), "text", ascii=True)
        finally:
            con.close()
        times.append(time.perf_counter() - started)
    return times


def line(name: str, times: list[float]) -> str:
    return (f"  {name:<36} median {statistics.median(times):6.3f} s   "
            f"min {min(times):6.3f} s   max {max(times):6.3f} s   (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/perf-bench/perf.duckdb"))
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--attacks", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    from perf.reporter.query.selection import Selection

    want = (args.runs, args.runs * args.attacks, args.runs * args.attacks * args.requests)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    if args.regenerate or shape(args.store) != want:
        print(f"generating {want[0]:,} runs, {want[1]:,} attacks, {want[2]:,} requests "
              f"into {args.store} ...", flush=True)
        started = time.perf_counter()
        generate(args.store, args.runs, args.attacks, args.requests)
        print(f"  generated in {time.perf_counter() - started:.0f} s")
    size = args.store.stat().st_size
    print(f"store: {args.store}  {size / 1e9:.2f} GB ({size / want[2]:.1f} bytes per request row)")
    print(f"  {want[0]:,} runs x {args.attacks} attacks x {args.requests:,} requests = "
          f"{want[2]:,} request rows;  cpus: {os.cpu_count()}")

    def timings(title: str) -> None:
        print(title)
        print(line("perf report (one run, CLI)", time_cli(args.store, [], args.repeat)))
        print(line("perf report --last 50 (CLI)", time_cli(args.store, ["--last", "50"], args.repeat)))
        print(line("build+render one run (in-process)", time_in_process(args.store, Selection(), args.repeat)))
        print(line("build+render --last 50 (in-process)",
                   time_in_process(args.store, Selection(last=50), args.repeat)))
        print(line("perf report --format json (CLI)",
                   time_cli(args.store, ["--format", "json"], args.repeat)))
        print(line("perf runs (all runs, CLI)", time_cli(args.store, [], args.repeat, command="runs")))

    set_cache(args.store, filled=False)
    timings("timings, every metric aggregated from the raw rows (no attack_stats rows):")
    print(line("history of one run's cells (query)", time_history(args.store, args.repeat)))
    started = time.perf_counter()
    set_cache(args.store, filled=True)
    print(f"filling attack_stats for every attack (what collect does per attack): "
          f"{time.perf_counter() - started:.0f} s")
    timings("timings with the attack_stats cache (what a store written by perf collect has):")
    print(line("history of one run's cells (query)", time_history(args.store, args.repeat)))
    team_scale(args.store, args.repeat)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def team_scale(store: Path, repeat: int) -> None:
    """Issue 18's targets: the whole history, the one-run dashboard, and the history kept as
    a folder of exported runs (export, import, reading the folder, the published site)."""
    import shutil
    import tempfile

    print("team scale (targets: history <= 1 s, dashboard <= 2 s, a run <= 50 KB, import <= 10 s, "
          "history --store DIR <= 2 s, site index <= 3 MB):")
    print(line("perf history (every run, cell, metric)", time_cli(store, [], repeat, "history")))
    print(line("perf history --format json", time_cli(store, ["--format", "json"], repeat, "history")))
    work = Path(tempfile.mkdtemp(prefix="perf-team-"))
    try:
        page = work / "one.html"
        print(line("perf report --output (one-run dashboard)",
                   time_cli(store, ["--output", str(page)], repeat)))
        print(f"  one-run dashboard: {page.stat().st_size / 1e6:.2f} MB")
        con = open_store(store, read_only=True)
        runs = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY started_at").fetchall()]
        con.close()
        folder = work / "history"
        print(line(f"perf export of {len(runs):,} runs", time_cli(store, [*runs, "--to", str(folder)], 1, "export", warm=False)))
        sizes = sorted(_size(d) for d in folder.iterdir() if d.is_dir())
        print(f"  exported run without requests: median {sizes[len(sizes) // 2] / 1e3:.1f} KB, "
              f"max {sizes[-1] / 1e3:.1f} KB; folder {_size(folder) / 1e6:.1f} MB")
        imported = work / "imported.duckdb"
        print(line(f"perf import of {len(runs):,} runs (new store)",
                   [run_perf("import", str(folder), "--store", str(imported))]))
        print(line(f"perf history --store DIR ({len(runs):,} run folders)",
                   time_cli(folder, [], repeat, "history")))
        # As perf-main.yml keeps it: the runs arrive one by one and every hundred are packed.
        packed = work / "packed"
        packed.mkdir()
        pack_times = []
        for start in range(0, len(runs), 100):
            for run_id in runs[start:start + 100]:
                shutil.copytree(folder / run_id, packed / run_id)
            pack_times.append(run_perf("pack", str(packed)))
        print(line("perf pack of 100 run folders", pack_times))
        n_packs = sum(1 for p in packed.iterdir() if p.name.startswith("pack-"))
        print(line(f"perf history --store DIR ({n_packs} packs)", time_cli(packed, [], repeat, "history")))
        print(line(f"perf runs --store DIR ({n_packs} packs)", time_cli(packed, [], repeat, "runs")))
        print(line(f"perf report --store DIR ({n_packs} packs)", time_cli(packed, [], repeat, "report")))
        folder = packed  # the site as the workflow builds it
        site = work / "site"
        print(line("perf publish SITE --store DIR", [run_perf("publish", str(site), "--store", str(folder))]))
        print(f"  site index.html {(site / 'index.html').stat().st_size / 1e6:.2f} MB, "
              f"whole site {_size(site) / 1e6:.1f} MB")
        drawn = _drawn_in_chromium(site / "index.html")
        if drawn is not None:
            print(line("site index drawn in Chromium", [drawn]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _drawn_in_chromium(page: Path) -> float | None:
    """Seconds from opening the page to every chart drawn (None without Chromium)."""
    from tests.browser import CHROMIUM

    if CHROMIUM is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_function("['ready', 'error'].includes(document.getElementById('perf-status')"
                              ".dataset.state)", timeout=120_000)
        seconds = time.perf_counter() - started
        browser.close()
    return seconds

if __name__ == "__main__":
    main()
