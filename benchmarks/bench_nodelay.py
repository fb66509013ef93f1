"""What TCP_NODELAY is worth: p50 of one endpoint on uvicorn 1 worker, uvicorn 2 workers,
uvicorn-nodelay 2 workers and gunicorn 2 workers, each with the keep-alive self-check; and
uvicorn 2 workers as uvicorn < 0.55 bound its listener (proto 0, tests/nodelay_off), which the
installed uvicorn (0.55.0 and later) no longer does.

vegeta's own report computes the percentiles (not perf's code), after a 1 s warm-up.

    .venv/bin/python benchmarks/bench_nodelay.py [--rate 50] [--duration 3] \
        [--path /api/simple/async/1]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from perf.collector.server.selfcheck import check_keepalive  # noqa: E402
from perf.collector.server.server import start_server  # noqa: E402
from perf.collector.load.vegeta import find_vegeta  # noqa: E402

# (kind, workers, bound as uvicorn < 0.55 did)
SERVERS = [("uvicorn", 1, False), ("uvicorn", 2, False), ("uvicorn", 2, True),
           ("uvicorn-nodelay", 2, True), ("gunicorn", 2, False)]
BEFORE_055 = {"PYTHONPATH": str(REPO / "tests" / "nodelay_off")}


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
    uvicorn = importlib.metadata.version("uvicorn")
    print(f"GET {args.path} at {args.rate:g}/s for {args.duration:g}s (vegeta report), "
          f"uvicorn {uvicorn}")
    for kind, workers, before_055 in SERVERS:
        server = start_server(kind, "target_app.main:app", workers, tmp / "logs",
                              env={**env, **(BEFORE_055 if before_055 else {})})
        try:
            check = check_keepalive(server.base_url + "/openapi.json", kind, workers,
                                    uvicorn_version=uvicorn)
            url = server.base_url + args.path
            vegeta_report(vegeta, url, args.rate, 1.0)  # warm-up
            latencies = vegeta_report(vegeta, url, args.rate, args.duration)["latencies"]
        finally:
            server.stop()
        bound = " (as < 0.55)" if before_055 else ""
        print(f"{kind + bound:>27} w{workers}: p50 {latencies['50th'] / 1e6:6.1f} ms  "
              f"p99 {latencies['99th'] / 1e6:6.1f} ms  | probe: kept-alive "
              f"{check.keepalive_ms:.1f} ms, fresh {check.fresh_ms:.1f} ms, "
              f"stall {'YES' if check.stall else 'no'}")


if __name__ == "__main__":
    main()
