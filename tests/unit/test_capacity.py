"""The capacity search: SLO parsing, the search on synthetic servers of known capacity, and
one small real case (uvicorn, one worker, an endpoint whose capacity its delay sets)."""

from __future__ import annotations

import random
from itertools import count

import pytest

from perf.collector.load.capacity import (ABOVE, BELOW, BRACKETED, BUDGET, GENERATOR, find_capacity,
                                          insert_capacity, nice_rate)
from perf.collector.settings.slo import METRIC_NAMES, Clause, parse_slo
from perf.base.errors import PerfError
from perf.store.stats import keeping_up_rps
from perf.store.database import store_session
from perf.store.metrics import METRICS

# --- parsing -------------------------------------------------------------------------------


def test_an_slo_reads_latency_in_ms_and_ratios_in_percent():
    slo = parse_slo("p99<100ms, success>=99.9%")
    assert slo.text == "p99<100ms,success>=99.9%"
    assert slo.clauses == (
        Clause("latency_p99_ms", "<", 100.0, "p99<100ms"),
        Clause("success_ratio", ">=", 0.999, "success>=99.9%"),
        Clause("achieved_rps", ">=", 0.99, "achieved>=99%", implicit=True),
    )


@pytest.mark.parametrize("text, metric, op, limit", [
    ("p50<=20", "latency_p50_ms", "<=", 20.0),  # a bare latency is in ms
    ("p95<0.25s", "latency_p95_ms", "<", 250.0),
    ("p999<1s", "latency_p999_ms", "<", 1000.0),
    ("p99.9<1s", "latency_p999_ms", "<", 1000.0),
    ("mean<40ms", "latency_mean_ms", "<", 40.0),
    ("max<2s", "latency_max_ms", "<", 2000.0),
    ("P90<5ms", "latency_p90_ms", "<", 5.0),
    ("latency_p99_ms<100", "latency_p99_ms", "<", 100.0),  # the registry's own name
    ("success>0.995", "success_ratio", ">", 0.995),  # a bare ratio is a fraction
    ("success_ratio>=100%", "success_ratio", ">=", 1.0),
])
def test_every_alias_and_unit(text, metric, op, limit):
    clause = parse_slo(text).clauses[0]
    assert (clause.metric, clause.op) == (metric, op)
    assert clause.limit == pytest.approx(limit)


def test_naming_achieved_replaces_the_implicit_keeping_up_bound():
    slo = parse_slo("p99<100ms,achieved>=95%")
    assert [c.metric for c in slo.clauses] == ["latency_p99_ms", "achieved_rps"]
    assert slo.clauses[1] == Clause("achieved_rps", ">=", 0.95, "achieved>=95%")


def test_every_metric_the_slo_names_is_in_the_registry():
    assert set(METRIC_NAMES.values()) <= set(METRICS)


@pytest.mark.parametrize("text, message", [
    ("", "bad --slo '': expected clauses like p99<100ms,success>=99.9%"),
    ("p99", "bad --slo 'p99': 'p99': expected METRIC OP VALUE, e.g. p99<100ms or success>=99.9%"),
    ("p98<100ms", "bad --slo 'p98<100ms': 'p98<100ms': unknown metric 'p98'; use p50, p90, p95, "
                  "p99, p999, p99.9, mean, max, success, achieved"),
    ("p99<100ms,cpu<50%", "bad --slo 'p99<100ms,cpu<50%': 'cpu<50%': unknown metric 'cpu'; use "
                          "p50, p90, p95, p99, p999, p99.9, mean, max, success, achieved"),
    ("p99>100ms", "bad --slo 'p99>100ms': 'p99>100ms': latency is bounded from above (use < or <=)"),
    ("success<99%", "bad --slo 'success<99%': 'success<99%': success is bounded from below "
                    "(use > or >=)"),
    ("p99<10%", "bad --slo 'p99<10%': 'p99<10%': a latency is in ms or s, e.g. p99<100ms"),
    ("success>=99ms", "bad --slo 'success>=99ms': 'success>=99ms': success is a percentage, "
                      "e.g. success>=99%"),
    ("success>=99.9", "bad --slo 'success>=99.9': 'success>=99.9': success must be within 0% and "
                      "100% (or a fraction 0..1)"),
    ("p99<0ms", "bad --slo 'p99<0ms': 'p99<0ms': the limit must be greater than zero"),
    ("p99<100ms,p99<=200ms", "bad --slo 'p99<100ms,p99<=200ms': latency_p99_ms is bounded twice"),
    ("p99<100ms,", "bad --slo 'p99<100ms,': '': expected METRIC OP VALUE, e.g. p99<100ms or "
                   "success>=99.9%"),
])
def test_a_bad_slo_is_one_line_naming_the_bad_part(text, message):
    with pytest.raises(PerfError) as err:
        parse_slo(text)
    assert str(err.value) == message


def test_achieved_is_judged_against_a_server_that_keeps_up():
    """A server that keeps up still shows achieved under the target (the last answers' wait);
    the implicit bound forgives exactly that, not a server falling behind."""
    slo = parse_slo("p99<1s")
    keeping_up = {"target_rate": 100.0, "duration_s": 9.99, "latency_p50_ms": 300.0,
                  "latency_p99_ms": 320.0, "success_ratio": 1.0,
                  "achieved_rps": 999 / (9.99 + 0.32)}  # waited one p99 for the last answer
    assert keeping_up["achieved_rps"] < 0.97 * 100
    assert slo.failures(keeping_up) == []
    behind = {**keeping_up, "achieved_rps": 0.95 * keeping_up_rps(keeping_up)}
    assert slo.failures(behind) == ["achieved>=99%: 95.0% of the rate a server keeping up shows"]
    assert slo.failures({**keeping_up, "latency_p99_ms": None}) == ["p99<1s: not measured"]


@pytest.mark.parametrize("rate, nice", [(113.137, 113.0), (9.38, 9.4), (0.3536, 0.35),
                                        (0.001, 0.01), (10.5, 10.0)])
def test_rates_are_rounded_to_what_people_write(rate, nice):
    assert nice_rate(rate) == nice


# --- the search on synthetic servers ---------------------------------------------------------


class Synthetic:
    """A server of known capacity C (req/s) answering in `latency_ms` when it keeps up. Above C
    a queue grows over the attack: request i of n waits (i/C - i/rate) more, so its latency
    percentiles, its wait and its achieved rate are exact functions of the rate. `noise`
    jitters C per attack (uniform +-noise, seeded). `errors_above` answers the excess with fast
    errors instead of queueing it (latency stays flat, success drops)."""

    def __init__(self, capacity, latency_ms=20.0, duration_s=10.0, noise=0.0, seed=0,
                 errors_above=False, generator_limit=None, latency_flat=False):
        self.capacity, self.latency_ms, self.duration_s = capacity, latency_ms, duration_s
        self.noise, self.rng = noise, random.Random(seed)
        self.errors_above, self.generator_limit = errors_above, generator_limit
        self.latency_flat = latency_flat
        self.ids = count(1)
        self.rates: list[float] = []

    def __call__(self, rate: float) -> dict:
        self.rates.append(rate)
        cap = self.capacity * (1 + self.rng.uniform(-self.noise, self.noise))
        d, base = self.duration_s, self.latency_ms
        behind = max(rate / cap - 1, 0.0)  # the queue's growth per second of attack
        if self.errors_above or self.latency_flat:
            p50 = p99 = base
            wait_s = base / 1000
        else:
            p50, p99 = base + 500 * d * behind, base + 990 * d * behind
            wait_s = base / 1000 + d * behind
        ratio = min(cap / rate, 1.0) if self.errors_above else 1.0
        achieved = rate * d * ratio / (d + wait_s)
        if self.latency_flat:
            achieved = min(rate, cap) * d / (d + wait_s)
        return {
            "attack_id": next(self.ids), "target_rate": rate, "duration_s": d,
            "latency_p50_ms": p50, "latency_p99_ms": p99, "success_ratio": ratio,
            "achieved_rps": achieved,
            "generator_ok": self.generator_limit is None or rate <= self.generator_limit,
        }


P99 = parse_slo("p99<100ms")  # true limit of a Synthetic: C * (1 + 0.08 / duration_s)


def _check_invariants(result, measure, max_attacks):
    assert len(result.steps) == len(measure.rates) <= max_attacks
    assert [s.rate for s in result.steps] == measure.rates
    assert result.attack_ids == [s.attack_id for s in result.steps]
    met = [s.rate for s in result.steps if s.met]
    missed = [s.rate for s in result.steps if not s.met]
    assert result.rate == (max(met) if met else None)
    if result.passed:
        assert result.passed.rate == result.rate and result.passed.met
    if result.failed:
        assert not result.failed.met and result.failed.rate == min(missed)
        assert result.rate is None or result.failed.rate > result.rate


@pytest.mark.parametrize("capacity, start", [(137, 10), (137, 1000), (3.3, 10), (41, 41)])
def test_an_exact_server_is_bracketed_within_the_precision(capacity, start):
    measure = Synthetic(capacity)
    result = find_capacity(measure, P99, start_rate=start, max_attacks=12, precision=0.1)
    _check_invariants(result, measure, 12)
    assert result.ending == BRACKETED
    true_limit = capacity * 1.008
    assert result.rate <= true_limit < result.failed.rate
    assert result.failed.rate / result.rate - 1 <= 0.1 or "rounded" in result.note
    assert result.note.startswith(f"between {result.rate:g}/s (met) and "
                                  f"{result.failed.rate:g}/s (missed): ")


def test_the_steps_are_the_exponential_probe_then_bisection():
    measure = Synthetic(137)
    result = find_capacity(measure, P99, start_rate=10, max_attacks=12, precision=0.05)
    # up by doubling until missed, then geometric midpoints
    # 113 = sqrt(80 x 160) met, 134 = sqrt(113 x 160) met, 146 missed, 140 missed
    assert measure.rates == [10, 20, 40, 80, 160, 113, 134, 146, 140]
    assert (result.rate, result.failed.rate) == (134, 140)
    assert result.note == "between 134/s (met) and 140/s (missed): within 5%"
    # 140/s on a 137/s server for 10 s: the last request waited 10 x (140/137 - 1) = 0.219 s
    # more, p99 = 20 + 0.99 x 219 ms; achieved / keeping-up = (10 + p50) / (10 + wait)
    # = (10 + 0.1295) / (10 + 0.2390)
    assert result.steps[-1].failures == ("p99<100ms: 236.8ms", "achieved>=99%: 98.9% of the "
                                         "rate a server keeping up shows")


def test_noise_moves_the_answer_by_about_a_step_never_above_a_missed_rate():
    for seed in range(30):
        measure = Synthetic(50, noise=0.05, seed=seed)
        result = find_capacity(measure, P99, start_rate=10, max_attacks=10, precision=0.1)
        _check_invariants(result, measure, 10)
        assert result.ending in (BRACKETED, BUDGET)
        assert 0.95 * 50 * 0.9 <= result.rate <= 1.05 * 50 * 1.008


def test_budget_spent_says_where_the_capacity_lies():
    measure = Synthetic(137)
    result = find_capacity(measure, P99, start_rate=10, max_attacks=5)
    assert measure.rates == [10, 20, 40, 80, 160]
    assert (result.ending, result.rate, result.failed.rate) == (BUDGET, 80, 160)
    assert result.note == "attack budget (5) spent: between 80/s (met) and 160/s (missed)"


def test_a_server_above_every_rate_the_search_may_try():
    measure = Synthetic(10**6)
    result = find_capacity(measure, P99, start_rate=100, max_attacks=10, max_rate=1000)
    assert measure.rates == [100, 200, 400, 800, 1000]
    assert (result.ending, result.rate, result.failed) == (ABOVE, 1000, None)
    assert result.note == ("met the SLO at 1000/s, the highest rate the search may try: "
                           "the capacity is higher")
    rising = find_capacity(Synthetic(10**6), P99, start_rate=100, max_attacks=3)
    assert (rising.ending, rising.rate) == (ABOVE, 400)
    assert rising.note == ("attack budget (3) spent: met the SLO at every rate tried, up to "
                           "400/s: the capacity is higher")


def test_a_server_below_every_rate_the_search_may_try():
    measure = Synthetic(0.2)
    result = find_capacity(measure, P99, start_rate=4, min_rate=0.5, max_attacks=10)
    assert measure.rates == [4, 2, 1, 0.5]
    assert (result.ending, result.rate, result.passed) == (BELOW, None, None)
    assert result.failed.rate == 0.5
    assert result.note.startswith("missed the SLO even at 0.5/s, the lowest rate the search may "
                                  "try (p99<100ms: ")
    budget = find_capacity(Synthetic(0.2), P99, start_rate=4, max_attacks=2)
    assert (budget.ending, budget.note) == (
        BELOW, "attack budget (2) spent: missed the SLO at every rate tried, down to 2/s")


def test_errors_instead_of_a_queue_are_caught_by_the_success_bound():
    # Latency never moves; the implicit keeping-up bound still sees the successes drop...
    flat = find_capacity(Synthetic(60, errors_above=True), P99, start_rate=10, max_attacks=12)
    assert flat.rate <= 60 < flat.failed.rate
    assert flat.failed.failures == (flat.failed.failures[0],)
    assert flat.failed.failures[0].startswith("achieved>=99%: ")
    # ... and a success bound names them.
    result = find_capacity(Synthetic(60, errors_above=True), parse_slo("p99<100ms,success>=99.9%"),
                           start_rate=10, max_attacks=12)
    assert result.ending == BRACKETED and result.rate <= 60 < result.failed.rate
    assert result.failed.failures[0].startswith("success>=99.9%: ")


def test_a_server_falling_behind_at_flat_latency_is_caught_by_the_implicit_bound():
    result = find_capacity(Synthetic(60, latency_flat=True), P99, start_rate=10, max_attacks=12)
    assert result.rate <= 60 * 1.01 < result.failed.rate
    assert result.failed.failures[0].startswith("achieved>=99%: ")
    # Naming achieved replaces it: half of the offered rate is accepted up to 2 C.
    loose = find_capacity(Synthetic(60, latency_flat=True), parse_slo("p99<100ms,achieved>=50%"),
                          start_rate=10, max_attacks=12)
    assert loose.rate <= 120 < loose.failed.rate


def test_a_generator_that_cannot_offer_the_rate_ends_the_search():
    measure = Synthetic(10**6, generator_limit=300)
    result = find_capacity(measure, P99, start_rate=100, max_attacks=10)
    assert measure.rates == [100, 200, 400]
    assert (result.ending, result.rate, result.failed) == (GENERATOR, 200, None)
    assert result.steps[-1].untrusted
    assert result.note == ("the load generator could not offer 400/s (generator check): the "
                           "server's limit is not measurable beyond it; the capacity is at "
                           "least 200/s")


def test_bad_search_settings_are_one_line_errors():
    with pytest.raises(PerfError, match=r"^--max-attacks 0: must be at least 1$"):
        find_capacity(Synthetic(10), P99, max_attacks=0)
    with pytest.raises(PerfError, match=r"^capacity search: need 0 < min rate"):
        find_capacity(Synthetic(10), P99, start_rate=0.1, min_rate=0.5)


def test_a_search_is_stored_as_a_capacity_row(store_path):
    result = find_capacity(Synthetic(137), P99, start_rate=10, max_attacks=12)
    with store_session(store_path) as con:
        first = insert_capacity(con, "run1", "GET /x", "uvicorn", 2, result)
        row = con.execute("SELECT * FROM capacity WHERE capacity_id = ?", [first]).fetchone()
    assert row == (first, "run1", "GET /x", "uvicorn", 2, "p99<100ms", result.rate,
                   result.passed.attack_id, result.failed.attack_id, result.attack_ids,
                   result.note)


# The real case (a delay-scaled endpoint searched by `perf collect --find-capacity`) is in
# tests/test_workers_outputs.py.
