"""A lazy-fed attack (collector/load/target_feed.py: vegeta reads its targets from perf as they
are due, perf logging in again mid-attack) measures what a file-fed attack measures: same app,
same route, 50/s for 3 s, the achieved rate and latency side by side; and each target carries
the newest login's token."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from perf.collector.load.attack import run_attack
from perf.collector.load.target_feed import Credentials, GrowingMasker, TargetFeed
from perf.collector.server.server import http_exchange, start_server
from perf.collector.storage.attacks import results_metrics
from tests.helpers import REPO

RATE, SECONDS = 50, 3


def _log_in(base: str) -> str:
    body = urllib.parse.urlencode({"grant_type": "password", "username": "alice",
                                   "password": "wonderland"}).encode()
    status, _, answer = http_exchange("POST", base + "/auth/token",
                                      {"Content-Type": "application/x-www-form-urlencoded"}, body,
                                      timeout=10)
    assert status == 200, answer
    return json.loads(answer)["access_token"]


def _targets(path, base: str, token: str, count: int):
    with open(path, "w") as fh:
        for _ in range(count):
            fh.write(json.dumps({"method": "GET", "url": base + "/users/me",
                                 "header": {"Authorization": [f"Bearer {token}"]}}) + "\n")
    return path


@pytest.mark.serial
def test_a_lazy_fed_attack_matches_a_file_fed_one(tmp_path, vegeta):
    srv = start_server("uvicorn", "tests.apps.expiring_login:app", 1, tmp_path / "logs",
                       env={"PYTHONPATH": str(REPO), "EXPIRING_LOGIN_TTL_S": "60",
                            "APP_STATE_DB": str(tmp_path / "state.sqlite")})
    try:
        base = srv.base_url
        targets = _targets(tmp_path / "t.jsonl", base, _log_in(base), RATE * SECONDS)
        logins: list[str] = []

        def log_in() -> Credentials:  # a real login; said to live 1 s, so renewed every 0.5 s
            token = _log_in(base)
            logins.append(token)
            return Credentials({"Authorization": f"Bearer {token}"}, time.time() + 1.0, (token,))

        figures = {}
        for kind in ("file", "lazy", "file-again"):
            feed = TargetFeed(targets, log_in, GrowingMasker()) if kind == "lazy" else None
            result = run_attack(vegeta, targets, tmp_path / f"{kind}.csv", mode="rate", load=RATE,
                                duration_s=SECONDS, timeout_s=5, server_pid=srv.pid, feed=feed)
            figures[kind] = results_metrics(result.csv_path)
            if feed is not None:
                lazy_feed = feed
    finally:
        srv.stop()
    print({k: {m: round(v[m], 3) for m in ("requests", "success_ratio", "sent_rate",
                                              "latency_p50_ms", "latency_p90_ms")}
           for k, v in figures.items()})
    file, lazy = figures["file"], figures["lazy"]
    assert lazy["requests"] == file["requests"] == RATE * SECONDS
    assert lazy["success_ratio"] == 1.0
    assert abs(lazy["sent_rate"] - file["sent_rate"]) <= 0.02 * RATE
    # The feed's lead means vegeta never waits for a target: no latency of perf's own added.
    # (Tolerance: the spread between two file-fed runs, and 1 ms.)
    spread = abs(figures["file-again"]["latency_p50_ms"] - file["latency_p50_ms"])
    assert lazy["latency_p50_ms"] <= file["latency_p50_ms"] + max(1.0, 2 * spread)
    assert lazy["latency_p90_ms"] <= max(file["latency_p90_ms"], figures["file-again"]["latency_p90_ms"]) + 2.0
    assert len(logins) >= 1 + SECONDS * 2 - 1, logins  # renewed every half second
    assert len(set(logins)) == len(logins) >= 2
    # Every token used is masked in the results the attack wrote
    assert all(lazy_feed.masker.text(t) == "***" for t in logins)


def test_a_closed_loop_feed_keeps_few_targets_waiting(tmp_path, vegeta):
    """Without a rate, the feed writes as fast as vegeta reads, through a pipe of one page: a
    renewed token reaches the requests within a few targets."""
    srv = start_server("uvicorn", "tests.apps.expiring_login:app", 1, tmp_path / "logs",
                       env={"PYTHONPATH": str(REPO), "EXPIRING_LOGIN_TTL_S": "60",
                            "APP_STATE_DB": str(tmp_path / "state.sqlite")})
    try:
        base = srv.base_url
        targets = _targets(tmp_path / "t.jsonl", base, "not-a-token", 10)  # the feed's replace it

        def log_in() -> Credentials:
            token = _log_in(base)
            return Credentials({"Authorization": f"Bearer {token}"}, time.time() + 0.6, (token,))

        feed = TargetFeed(targets, log_in, GrowingMasker())
        result = run_attack(vegeta, targets, tmp_path / "c.csv", mode="concurrency", load=2,
                            duration_s=1.5, timeout_s=5, server_pid=srv.pid, feed=feed)
    finally:
        srv.stop()
    figures = results_metrics(result.csv_path)
    assert figures["requests"] > 50 and figures["success_ratio"] == 1.0, figures
    assert feed.logins >= 3 and feed.refused is None
