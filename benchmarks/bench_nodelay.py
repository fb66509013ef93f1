"""What TCP_NODELAY is worth: p50 of one endpoint on uvicorn 1 worker, uvicorn 2 workers,
uvicorn-nodelay 2 workers and gunicorn 2 workers, each with the keep-alive self-check.

vegeta's own report computes the percentiles (not perf's code), after a 1 s warm-up.

    .venv/bin/python benchmarks/bench_nodelay.py [--rate 50] [--duration 3] \
        [--path /api/simple/async/1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from collector.selfcheck import check_keepalive  # noqa: E402
from collector.server import start_server  # noqa: E402
from collector.vegeta import find_vegeta  # noqa: E402

SERVERS = [("uvicorn", 1), ("uvicorn", 2), ("uvicorn-nodelay", 2), ("gunicorn", 2)]


def vegeta_report(vegeta: Path, url: str, rate: float, duration_s: float) -> dict:
    attack = subprocess.run(
        [str(vegeta), "attack", f"-rate={rate:g}/1s", f"-duration={duration_s:g}s"],
        input=f"GET {url}\n".encode(), capture_output=True, check=True)
    report = subprocess.run([str(vegeta), "report", "-type=json"], input=attack.stdout,
                            capture_output=True, check=True)
    return json.loads(report.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--path", default="/api/simple/async/1")
    args = parser.parse_args()
    vegeta = find_vegeta()
    tmp = Path(tempfile.mkdtemp(prefix="perf-bench-nodelay-"))
    env = {"TARGET_APP_DB": str(tmp / "app.sqlite3")}
    os.chdir(REPO)
    print(f"GET {args.path} at {args.rate:g}/s for {args.duration:g}s (vegeta report)")
    for kind, workers in SERVERS:
        server = start_server(kind, "target_app.main:app", workers, tmp / "logs", env=env)
        try:
            check = check_keepalive(server.base_url + "/openapi.json", kind, workers)
            url = server.base_url + args.path
            vegeta_report(vegeta, url, args.rate, 1.0)  # warm-up
            latencies = vegeta_report(vegeta, url, args.rate, args.duration)["latencies"]
        finally:
            server.stop()
        print(f"{kind:>16} w{workers}: p50 {latencies['50th'] / 1e6:6.1f} ms  "
              f"p99 {latencies['99th'] / 1e6:6.1f} ms  | probe: kept-alive "
              f"{check.keepalive_ms:.1f} ms, fresh {check.fresh_ms:.1f} ms, "
              f"stall {'YES' if check.stall else 'no'}")


if __name__ == "__main__":
    main()
