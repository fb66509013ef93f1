"""The reporter's pure functions on hand-made rows: sustainable rates, grouping, labels, names."""

from __future__ import annotations

from dataclasses import replace

from perf.reporter.compute import tables as compute
from perf.reporter.render import blocks
from perf.reporter.report import Report
from perf.reporter.render.text import render_text
from perf.reporter.rows import AttackRow, RunRow


def attack(attack_id, endpoint="GET /a", rate=100.0, ok=1.0, achieved=None, run="r1", workers=1,
           mode="rate", concurrency=None, generator_ok=True):
    metrics = {"success_ratio": ok, "achieved_rps": rate if achieved is None else achieved}
    for name in ("requests", "successes", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
                 "cpu_avg", "cpu_max", "rss_avg_mb"):
        metrics.setdefault(name, 1)
    return AttackRow(
        attack_id=attack_id, run_id=run, endpoint=endpoint, method="GET",
        path=endpoint.split(" ", 1)[1], server="uvicorn", workers=workers, mode=mode,
        target_rate=rate if mode == "rate" else None, concurrency=concurrency,
        generator_ok=generator_ok, generator_note=None if generator_ok else "sent too slowly",
        metrics=metrics)


def measured(row, **metrics):
    return replace(row, metrics={**row.metrics, **metrics})


def test_sustainable_rate_is_the_highest_rate_meeting_both_thresholds():
    rows = compute.max_sustainable_rates([
        attack(1, rate=50, achieved=49.6),        # 99.2% of target: sustained
        attack(2, rate=100, achieved=98.9),       # 98.9%: not
        attack(3, rate=200, ok=0.995, achieved=199),  # sustained, above a failing rate
        attack(4, rate=400, ok=0.98, achieved=400),   # success below 99%: not
    ])
    assert rows == [{"run_id": "r1", "endpoint": "GET /a", "server": "uvicorn", "workers": 1,
                     "rate": 200, "all_sustained": False, "tested": [50, 100, 200, 400],
                     "untrusted": False, "failed": False, "failing_code": None}]


def test_a_slow_endpoint_that_keeps_up_is_sustained_and_a_queue_is_not():
    # 250 requests at 25/s over 9.96 s. Keeping up at 300 ms, the last answers wait ~0.3 s:
    # achieved = 250 / 10.27 = 24.3/s, under 99% of 25 yet all a keeping-up server can show.
    slow = measured(attack(1, rate=25, achieved=250 / (9.96 + 0.31)),
                    duration_s=9.96, latency_p50_ms=305.0)
    assert compute.is_sustained(slow)
    # Capacity 20/s against 25/s: a queue builds, the last answer waits 2.5 s (p50 1.2 s).
    queued = measured(attack(2, rate=25, achieved=250 / (9.96 + 2.5)),
                      duration_s=9.96, latency_p50_ms=1200.0)
    assert not compute.is_sustained(queued)
    # Slightly behind (capacity 97% of the target): the wait outgrows one p50, and it fails.
    behind = measured(attack(3, rate=100, achieved=97.0), duration_s=9.99, latency_p50_ms=150.0)
    assert compute.keeping_up_rps(behind.as_dict()) == 100 * 9.99 / (9.99 + 0.15)
    assert not compute.is_sustained(behind)


def test_sustainable_rate_edges():
    none = compute.max_sustainable_rates([attack(1, rate=50, ok=0.5)])
    assert none[0]["rate"] is None and not none[0]["all_sustained"]
    every = compute.max_sustainable_rates([attack(1, rate=50), attack(2, rate=100, generator_ok=False)])
    assert every[0]["rate"] == 100 and every[0]["all_sustained"] and every[0]["untrusted"]
    closed_loop = compute.max_sustainable_rates([attack(1, mode="concurrency", concurrency=10)])
    assert closed_loop == []


def test_groups_order_rates_then_workers_then_concurrency():
    attacks = [attack(1, rate=200, workers=2), attack(2, rate=50, workers=2),
               attack(3, rate=50, workers=1), attack(4, mode="concurrency", concurrency=5)]
    keys = [key for key, _ in compute.grouped(attacks)]
    assert [compute.group_title(k) for k in keys] == [
        "rate 50/s, 1 worker", "rate 50/s, 2 workers", "rate 200/s, 2 workers",
        "concurrency 5, 1 worker"]


def test_run_names_are_unique_prefixes():
    runs = [RunRow("abcdef123456"), RunRow("abcdef129999"), RunRow("0123456789ab")]
    assert compute.run_names(runs) == {"abcdef123456": "abcdef123", "abcdef129999": "abcdef129",
                                       "0123456789ab": "012345678"}


def test_endpoint_labels_shorten_only_as_far_as_needed():
    endpoints = ["GET /api/simple/sync_threadpool/{item_id}", "GET /api/simple/async/{item_id}"]
    assert blocks.endpoint_labels(endpoints, 60) == ({e: e for e in endpoints}, None)
    labels, note = blocks.endpoint_labels(endpoints, 26)
    assert labels[endpoints[0]] == "sync_threadpool/{item_id}"
    assert note == "every endpoint is GET; paths under /api/simple/"
    labels, note = blocks.endpoint_labels(endpoints, 18)
    assert labels[endpoints[0]] == "sync_threadpool/{}" and note.endswith("path parameters shown as {}")
    # Never cut: what does not fit after the shared parts go stays whole (the table breaks it).
    labels, _ = blocks.endpoint_labels(endpoints + ["POST /items"], 12)
    assert labels == {e: e.replace("{item_id}", "{}") for e in endpoints + ["POST /items"]}


def test_concurrency_mode_tables():
    attacks = [attack(1, mode="concurrency", concurrency=5, achieved=80.0),
               attack(2, endpoint="GET /b", mode="concurrency", concurrency=5, achieved=40.0)]
    run = RunRow("r1", started_at=None, status="complete", attacks=2, requests=2)
    text = render_text(Report([run], attacks), ascii=True)
    assert "concurrency 5, 1 worker" in text
    assert "GET /a       c=5     80.0 1.0" in text
    assert "Maximum sustainable rate" not in text  # closed loop has no offered rate
