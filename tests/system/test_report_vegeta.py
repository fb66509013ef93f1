"""Cross-check against vegeta itself: a real 2 s attack on a real local HTTP server, stored with
the real ingest code, must report what `vegeta report -type=json` reports for the same results.

Counts, rates, durations and mean/max latency agree exactly; vegeta's percentiles are t-digest
estimates, so they agree only approximately (ours are exact: numpy's on the raw rows).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from perf.collector.storage.attacks import store_attack, to_csv
from perf.collector.storage.records import AttackRecord
from perf.store.database import open_store
from perf.reporter.query import attacks as query

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "hello.txt").write_text("hello\n")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_metrics_agree_with_vegeta_report(vegeta, http_server, tmp_path):
    gob = tmp_path / "results.gob"
    # One missing file among the targets gives 404s: a success ratio below 1 to compare.
    targets = f"GET {http_server}/hello.txt\nGET {http_server}/hello.txt\nGET {http_server}/missing\n"
    subprocess.run(
        [str(vegeta), "attack", "-rate=50/s", "-duration=2s", f"-output={gob}"],
        input=targets, text=True, check=True, timeout=60,
    )
    vegeta_report = json.loads(subprocess.run(
        [str(vegeta), "report", "-type=json", str(gob)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)
    csv_path = tmp_path / "results.csv"
    to_csv(vegeta, gob, csv_path)

    store = tmp_path / "perf.duckdb"
    con = open_store(store)
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('vegeta-xcheck', now(), 'complete')")
    attack_id = store_attack(con, AttackRecord(
        run_id="vegeta-xcheck", endpoint="GET /hello.txt", method="GET",
        path="/hello.txt", server="external", workers=1, mode="rate",
        target_rate=50.0, duration_s=2.0), [csv_path])
    [ours] = query.summaries(con, [attack_id])
    codes = query.request_counts(con, [attack_id])[0][attack_id]
    latencies = np.array([r[0] for r in con.execute(
        "SELECT latency_ns FROM requests WHERE attack_id = ?", [attack_id]).fetchall()])
    con.close()

    # 50/s for 2 s: 100, or one fewer when vegeta's last tick lands late on busy cores
    assert ours.metric("requests") == vegeta_report["requests"] >= 99
    assert ours.metric("success_ratio") == pytest.approx(vegeta_report["success"], rel=1e-12)
    assert 0.5 < ours.metric("success_ratio") < 0.8
    assert ours.metric("sent_rate") == pytest.approx(vegeta_report["rate"], rel=1e-9)
    assert ours.metric("achieved_rps") == pytest.approx(vegeta_report["throughput"], rel=1e-9)
    assert ours.metric("duration_s") == pytest.approx(vegeta_report["duration"] / 1e9, rel=1e-12)
    assert ours.metric("wait_s") == pytest.approx(vegeta_report["wait"] / 1e9, rel=1e-12)
    assert {str(k): v for k, v in codes.items()} == vegeta_report["status_codes"]
    lat = vegeta_report["latencies"]
    assert abs(ours.metric("latency_mean_ms") * 1e6 - lat["mean"]) <= 1  # vegeta truncates to whole ns
    # ms is a float, so ns come back through a binary fraction: round before comparing whole ns.
    assert round(ours.metric("latency_max_ms") * 1e6) == lat["max"]
    # Exact percentiles (numpy's) vs vegeta's t-digest estimates: within a few percent, or at
    # worst between the two raw latencies around the rank (t-digest interpolates centroids).
    ordered = np.sort(latencies)
    for key, q in (("50th", 50), ("90th", 90), ("95th", 95), ("99th", 99)):
        exact = ours.metric(f"latency_p{q}_ms") * 1e6
        assert exact == pytest.approx(np.percentile(latencies, q), abs=1)
        rank = q / 100 * (len(ordered) - 1)
        low, high = ordered[max(0, int(rank) - 1)], ordered[min(len(ordered) - 1, int(rank) + 2)]
        estimate = lat[key]
        assert abs(estimate - exact) <= 0.05 * exact or low <= estimate <= high, (key, exact, estimate)
