"""Worker scaling on generated figures with known answers."""

from __future__ import annotations

from itertools import count

import pytest

from perf.reporter.compute.scaling import from_capacity, from_sustained, scaling, throughput
from perf.reporter.rows import AttackRow, CapacityRow

_ids = count(1)


def capacity_row(workers, rate, failed=True, endpoint="GET /x", run="r1", server="uvicorn"):
    return CapacityRow(next(_ids), run_id=run, endpoint=endpoint, server=server, workers=workers,
                       rate=rate, failed_attack=99 if failed else None)


def attack(workers, rate, rss_mb=None, sustained=True, endpoint="GET /x", run="r1",
           server="uvicorn"):
    """A rate attack; sustained ones achieve exactly what a server keeping up shows."""
    duration, p50 = 10.0, 20.0
    keeping_up = rate * duration / (duration + p50 / 1000)
    return AttackRow(next(_ids), run_id=run, endpoint=endpoint, server=server,
                     workers=workers, mode="rate", target_rate=rate, concurrency=None,
                     generator_ok=True,
                     metrics={"success_ratio": 1.0, "duration_s": duration, "latency_p50_ms": p50,
                              "achieved_rps": keeping_up if sustained else 0.5 * keeping_up,
                              "rss_avg_mb": rss_mb})


def memory(per_worker=45.0, master=60.0, counts=(1, 2, 4), **kw):
    """Attacks carrying RSS of a master plus `per_worker` MB for each worker."""
    return [attack(n, 1.0, rss_mb=master + per_worker * n, **kw) for n in counts]


def only(rows):
    assert len(rows) == 1
    return rows[0]


def test_no_gain_beyond_the_cores():
    rows = [capacity_row(1, 100.0), capacity_row(2, 190.0), capacity_row(4, 200.0)]
    out = only(scaling(from_capacity(rows), memory(), {"r1": 2}))
    assert [(c["workers"], c["rps"], c["memory_mb"]) for c in out["workers"]] == [
        (1, 100.0, 105.0), (2, 190.0, 150.0), (4, 200.0, 240.0)]
    assert [c["efficiency"] for c in out["workers"]] == pytest.approx([1.0, 0.95, 0.5])
    assert out["memory_per_worker_mb"] == pytest.approx(45.0)
    assert (out["base_workers"], out["best_workers"], out["source"]) == (1, 2, "capacity")
    assert out["recommendation"] == ("2 workers: beyond 2 workers no gain on this 2-core host; "
                                     "each worker costs 45 MB")


def test_still_scaling_below_the_cores_says_try_more():
    rows = [capacity_row(1, 100.0), capacity_row(2, 200.0), capacity_row(4, 390.0)]
    out = only(scaling(from_capacity(rows), memory(), {"r1": 8}))
    assert out["workers"][-1]["efficiency"] == pytest.approx(0.975)
    assert out["recommendation"] == ("throughput still grows at 4 workers (efficiency 98%): try "
                                     "up to 8 on this 8-core host; each worker costs 45 MB")


def test_still_scaling_at_the_cores():
    rows = [capacity_row(1, 100.0), capacity_row(2, 195.0)]
    out = only(scaling(from_capacity(rows), [], {"r1": 2}))
    assert out["memory_per_worker_mb"] is None  # no memory samples: no cost in the sentence
    assert out["recommendation"] == ("throughput still grows at 2 workers (efficiency 98%), as "
                                     "many as this 2-core host has cores")


def test_a_small_gain_at_the_most_workers():
    rows = [capacity_row(1, 100.0), capacity_row(2, 125.0)]
    out = only(scaling(from_capacity(rows), memory(counts=(1, 2)), {"r1": 4}))
    assert out["best_workers"] == 2
    assert out["recommendation"] == ("2 workers: each added worker gains little (efficiency "
                                     "62%) on this 4-core host; each worker costs 45 MB")


def test_more_workers_slower_recommends_one():
    rows = [capacity_row(1, 100.0), capacity_row(2, 70.0), capacity_row(4, 50.0)]
    out = only(scaling(from_capacity(rows), memory(per_worker=30.0), {"r1": 2}))
    assert [c["efficiency"] for c in out["workers"]] == pytest.approx([1.0, 0.35, 0.125])
    assert out["recommendation"] == ("1 worker: beyond 1 worker no gain on this 2-core host; "
                                     "each worker costs 30 MB")


def test_a_capacity_the_search_could_not_bound_is_a_lower_bound():
    rows = [capacity_row(1, 100.0), capacity_row(2, 400.0, failed=False)]
    out = only(scaling(from_capacity(rows), [], {"r1": None}))
    two = out["workers"][1]
    assert (two["lower_bound"], two["efficiency"], two["efficiency_at_least"]) == (True, 2.0, True)
    assert out["recommendation"] == ("throughput still grows at 2 workers (efficiency at least "
                                     "200%), as many as this host has cores")


def test_every_count_a_lower_bound_says_test_higher():
    attacks = [attack(n, rate, rss_mb=60 + 45 * n) for n in (1, 2) for rate in (10.0, 20.0)]
    out = only(scaling(from_sustained(attacks), attacks, {"r1": 2}))
    assert [(c["rps"], c["lower_bound"]) for c in out["workers"]] == [(20.0, True), (20.0, True)]
    assert out["workers"][1]["efficiency"] is None  # the base is only a lower bound
    assert out["best_workers"] is None
    assert out["recommendation"] == ("every worker count met every rate tested: test higher "
                                     "rates (or search the capacity) to see how workers scale; "
                                     "each worker costs 45 MB")


def test_nothing_sustained():
    attacks = [attack(n, 50.0, sustained=False) for n in (1, 2)]
    out = only(scaling(from_sustained(attacks), attacks, {"r1": 2}))
    assert [c["rps"] for c in out["workers"]] == [None, None]
    assert out["recommendation"] == "no worker count sustained the lowest rate tested"


def test_sustained_rates_are_the_fallback_and_the_base_is_the_fewest_workers():
    attacks = [attack(2, 50.0), attack(2, 100.0), attack(2, 200.0, sustained=False),
               attack(4, 100.0), attack(4, 190.0), attack(4, 400.0, sustained=False)]
    out = only(scaling(throughput([], attacks), attacks, {"r1": 4}))
    assert out["source"] == "sustained"
    assert out["base_workers"] == 2
    assert [(c["workers"], c["rps"], c["lower_bound"]) for c in out["workers"]] == [
        (2, 100.0, False), (4, 190.0, False)]
    assert out["workers"][1]["efficiency"] == pytest.approx(0.95)  # (190/4) / (100/2)


def test_capacity_results_win_over_sustained_rates_cell_by_cell():
    attacks = ([attack(n, 10.0, endpoint=e) for n in (1, 2) for e in ("GET /a", "GET /b")])
    capacity = [capacity_row(1, 80.0, endpoint="GET /a"), capacity_row(2, 150.0, endpoint="GET /a")]
    rows = throughput(capacity, attacks)
    assert sorted((r["endpoint"], r["workers"], r["source"], r["rps"]) for r in rows) == [
        ("GET /a", 1, "capacity", 80.0), ("GET /a", 2, "capacity", 150.0),
        ("GET /b", 1, "sustained", 10.0), ("GET /b", 2, "sustained", 10.0)]


def test_memory_is_the_median_per_cell_and_the_slope_leaves_the_master_out():
    attacks = [attack(1, 1.0, rss_mb=100.0), attack(1, 1.0, rss_mb=104.0),
               attack(1, 1.0, rss_mb=500.0),  # one outlier: the median ignores it
               attack(3, 1.0, rss_mb=200.0), attack(3, 1.0, rss_mb=202.0)]
    rows = [capacity_row(1, 10.0), capacity_row(3, 30.0)]
    out = only(scaling(from_capacity(rows), attacks, {"r1": 4}))
    assert [c["memory_mb"] for c in out["workers"]] == [104.0, 201.0]
    assert out["memory_per_worker_mb"] == pytest.approx((201.0 - 104.0) / 2)


def test_one_worker_count_and_other_runs_or_servers_stay_apart():
    rows = [capacity_row(1, 10.0, run="r1"), capacity_row(2, 20.0, run="r2"),
            capacity_row(1, 10.0, server="gunicorn"), capacity_row(2, 19.0, server="gunicorn")]
    out = scaling(from_capacity(rows), [], {"r1": 2, "r2": 2})
    assert [(r["run_id"], r["server"]) for r in out] == [("r1", "gunicorn")]


def test_a_scaling_table_of_dashes_is_one_line_instead():
    """Issue 20: with nothing sustained the report printed a worker-scaling table made of "-"."""
    from types import SimpleNamespace

    from perf.reporter.render.blocks import Lines, Table
    from perf.reporter.render.report_blocks import scaling_blocks

    labels = {"GET /x": "GET /x"}
    failed = [attack(n, 50.0, sustained=False) for n in (1, 2)]
    report = SimpleNamespace(capacity=[], attacks=failed, runs=[])
    (block,) = scaling_blocks(report, labels, {"r1": "r1"})
    assert isinstance(block, Lines) and block.title == "Worker scaling"
    assert block.lines[0].startswith("no table: no endpoint has a sustained rate")
    report.attacks = [attack(n, 50.0) for n in (1, 2)]
    assert isinstance(scaling_blocks(report, labels, {"r1": "r1"})[0], Table)
