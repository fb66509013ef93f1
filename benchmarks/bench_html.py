"""Size and generation time of the HTML dashboard.

    .venv/bin/python benchmarks/bench_html.py                      # a default-sweep-shaped store
    .venv/bin/python benchmarks/bench_html.py --store results/perf.duckdb   # e.g. after make demo
    .venv/bin/python benchmarks/bench_html.py --screenshot docs/report.png  # the README image

Without --store it builds, with the real ingest code, a store shaped like `perf collect`'s
defaults (every target_app route x rates 25,50,100 x workers 1,2 x 10 s) with two earlier runs
for the history charts, and reports on the latest run. The goal: <= 1 MB, offline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_sweep import ALL_ENDPOINTS, add_run  # noqa: E402
from perf.store.database import open_store  # noqa: E402
from perf.reporter.render.plotly_bundle import current_bundle, packed_plotlyjs  # noqa: E402
from perf.reporter.render.dashboard import render_html  # noqa: E402
from perf.reporter.report import build_report  # noqa: E402
from perf.reporter.query.selection import Selection  # noqa: E402

GOAL_BYTES = 1_000_000


def default_sweep_store(path: Path) -> None:
    con = open_store(path)
    start = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
    for i, (commit, slowdown) in enumerate([("4f1e2aa", 1.0), ("9b03c51", 1.15), ("c7d2e90", 1.0)]):
        add_run(con, path.parent, f"2025060{2 + i}-0900-{commit[:4]}", label="default",
                commit=commit, started=start + timedelta(days=i), endpoints=ALL_ENDPOINTS,
                rates=(25, 50, 100), workers=(1, 2), duration_s=10.0, slowdown=slowdown,
                seed=i + 1)
    con.close()


def measure(store: Path, out: Path, repeat: int) -> None:
    con = open_store(store, read_only=True)
    attacks = con.execute("SELECT count(*) FROM attacks").fetchone()[0]
    requests = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    packed_plotlyjs()  # packed once per process; timed separately below
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        report = build_report(con, Selection(), with_series=True)
        html = render_html(report, plotlyjs="embed")
        times.append(time.perf_counter() - t0)
    con.close()
    out.write_text(html, encoding="utf-8")
    t0 = time.perf_counter()
    packed_plotlyjs.cache_clear()
    plotly_part = len(packed_plotlyjs().text)
    pack_s = time.perf_counter() - t0
    size = out.stat().st_size
    print(f"store: {store} ({attacks} attacks, {requests:,} requests in the store; "
          f"report on {len(report.attacks)} attacks of the latest run)")
    print(f"report: {out}  {size:,} bytes ({size / 1e6:.2f} MB; goal <= {GOAL_BYTES / 1e6:.1f} MB: "
          f"{'ok' if size <= GOAL_BYTES else 'OVER'})")
    print(f"  {current_bundle().describe()}")
    print(f"  plotly.js packed: {plotly_part:,} bytes; data + page: {size - plotly_part:,} bytes")
    print(f"generation (build_report + render_html), best of {repeat}: {min(times):.2f} s "
          f"(+ {pack_s:.2f} s to pack plotly.js once per process)")


def screenshot(report: Path, png: Path, width: int, height: int) -> None:
    """The top of the opened report, as the README shows it (headless Chromium, offline)."""
    from browser import TrapProxy, chromium, find_chromium, open_report

    binary = find_chromium()
    if binary is None:
        raise SystemExit("no Chromium found (set PERF_CHROMIUM or `make chromium`)")
    proxy = TrapProxy()
    try:
        with chromium(binary, proxy) as browser:
            page, seen, state = open_report(browser, report.resolve().as_uri(), width, height)
            if state != "ready" or seen.problems:
                raise SystemExit(f"report did not render cleanly: {state} {seen.problems}")
            page.screenshot(path=str(png))
            page.context.close()
    finally:
        proxy.close()
    print(f"screenshot: {png} ({png.stat().st_size:,} bytes)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, help="an existing store [default: build one]")
    ap.add_argument("--output", type=Path, default=ROOT / "results" / "bench-report.html")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--screenshot", type=Path, help="also write a PNG of the report's top")
    ap.add_argument("--width", type=int, default=1400, help="screenshot width in CSS px")
    ap.add_argument("--height", type=int, default=2000, help="screenshot height in CSS px")
    args = ap.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.store:
        measure(args.store, args.output, args.repeat)
        if args.screenshot:
            screenshot(args.output, args.screenshot, args.width, args.height)
        return
    with tempfile.TemporaryDirectory(prefix="perf-bench-html-") as tmp:
        store = Path(tmp) / "perf.duckdb"
        t0 = time.perf_counter()
        default_sweep_store(store)
        print(f"built a default-sweep-shaped store in {time.perf_counter() - t0:.1f} s")
        measure(store, args.output, args.repeat)
    if args.screenshot:
        screenshot(args.output, args.screenshot, args.width, args.height)


if __name__ == "__main__":
    main()
