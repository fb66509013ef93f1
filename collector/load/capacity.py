"""Capacity under an SLO: the highest constant rate at which an endpoint still meets it.

    slo = parse_slo("p99<100ms,success>=99.9%")
    result = find_capacity(measure, slo, start_rate=10, max_attacks=8)
    result.rate, result.note   # 40.0, "between 40/s (met) and 43/s (missed): within 10%"

`measure(rate)` runs one attack at `rate` (and stores it, as every attack is) and returns its
metrics under the reporter's metric names (perf/store/metrics.py: latency_p99_ms, success_ratio,
achieved_rps, ...; plus target_rate, duration_s, latency_p50_ms for the keeping-up check,
attack_id, and generator_ok when known). The search is plain logic over that function, so it is
tested with synthetic servers and wired into the sweep with one call.

The search: probe exponentially from `start_rate` (doubling while the SLO is met, halving while
it is not) until one rate meets it and one does not, then bisect (geometric midpoints, rates
rounded to what people write) until the two are within `precision` of each other or the attack
budget is spent. It assumes that meeting the SLO is monotonic in the rate, which noise breaks a
little: the answer is then the highest rate met below the lowest rate missed, so noise moves it
by about one bisection step, never above a rate that failed.

Every SLO also requires the server to keep up (achieved >= 99% of what a server keeping up shows,
perf.store.stats.keeping_up_rps) unless it names `achieved` itself: a server that answers every
request but falls behind builds a queue, and its throughput is not the offered rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from perf.base.errors import PerfError
from perf.collector.settings.slo import Slo



@dataclass(frozen=True)
class Step:
    """One attack of the search."""

    rate: float
    met: bool
    failures: tuple[str, ...]  # the clauses missed, in words ("p99<100ms: 152.3ms")
    attack_id: int | None
    untrusted: bool  # the load generator could not offer the rate (generator check)
    metrics: dict = field(compare=False, repr=False)


# How a search ended (Capacity.ending).
BRACKETED, BUDGET, ABOVE, BELOW, GENERATOR = "bracketed", "budget", "above", "below", "generator"


@dataclass(frozen=True)
class Capacity:
    slo: str
    rate: float | None  # the highest rate that met the SLO; None: not even the lowest tried
    passed: Step | None  # the attack at `rate`
    failed: Step | None  # the lowest rate that missed it (the upper bound), if any
    steps: tuple[Step, ...]  # every attack, in the order run
    ending: str  # BRACKETED | BUDGET | ABOVE | BELOW | GENERATOR
    note: str  # how it ended, in words

    @property
    def attack_ids(self) -> list[int]:
        return [s.attack_id for s in self.steps if s.attack_id is not None]


def nice_rate(rate: float) -> float:
    """A rate people write: whole numbers from 10/s, one decimal below, two below 1/s."""
    if rate >= 10:
        return float(round(rate))
    if rate >= 1:
        return round(rate, 1)
    return max(round(rate, 2), 0.01)


def find_capacity(measure: Callable[[float], dict], slo: Slo, *, start_rate: float = 10.0,
                  max_attacks: int = 8, precision: float = 0.1, min_rate: float = 0.5,
                  max_rate: float = 10_000.0) -> Capacity:
    """The highest rate meeting `slo`, within `max_attacks` calls of `measure` (see the module)."""
    if max_attacks < 1:
        raise PerfError(f"--max-attacks {max_attacks}: must be at least 1")
    if not 0 < min_rate <= start_rate <= max_rate:
        raise PerfError(f"capacity search: need 0 < min rate ({min_rate:g}) <= start rate "
                        f"({start_rate:g}) <= max rate ({max_rate:g})")
    steps: list[Step] = []

    def attack(rate: float) -> Step:
        metrics = measure(rate)
        failures = tuple(slo.failures(metrics))
        step = Step(rate, not failures, failures, metrics.get("attack_id"),
                    metrics.get("generator_ok") is False, metrics)
        steps.append(step)
        return step

    def done(ending: str, note: str) -> Capacity:
        met = [s for s in steps if s.met and not s.untrusted]
        missed = [s for s in steps if not s.met and not s.untrusted]
        best = max(met, key=lambda s: s.rate) if met else None
        above = [s for s in missed if best is None or s.rate > best.rate]
        lowest_miss = min(above, key=lambda s: s.rate) if above else None
        return Capacity(slo.text, best.rate if best else None, best, lowest_miss, tuple(steps),
                        ending, note)

    # The exponential probe: find one rate that meets the SLO and one that does not.
    lo = hi = None
    rate = nice_rate(start_rate)
    while lo is None or hi is None:
        if len(steps) == max_attacks:
            return _budget_spent(done, lo, hi, max_attacks)
        step = attack(rate)
        if step.untrusted:
            return done(GENERATOR, _generator_note(step, lo))
        if step.met:
            lo = rate
            if hi is None:
                if rate >= max_rate:
                    return done(ABOVE, f"met the SLO at {_r(rate)}, the highest rate the search "
                                       f"may try: the capacity is higher")
                rate = nice_rate(min(rate * 2, max_rate))
        else:
            hi = rate
            if lo is None:
                if rate <= min_rate:
                    return done(BELOW, f"missed the SLO even at {_r(rate)}, the lowest rate the "
                                       f"search may try ({'; '.join(step.failures)})")
                rate = nice_rate(max(rate / 2, min_rate))

    # Bisection between the highest rate met (lo) and the lowest missed (hi).
    while True:
        if hi / lo - 1 <= precision:
            return done(BRACKETED, _bracket(lo, hi) + f": within {precision:.0%}")
        mid = nice_rate(math.sqrt(lo * hi))
        if mid in (lo, hi):
            return done(BRACKETED, _bracket(lo, hi) + ": as close as rates are rounded")
        if len(steps) == max_attacks:
            return _budget_spent(done, lo, hi, max_attacks)
        step = attack(mid)
        if step.untrusted:
            return done(GENERATOR, _generator_note(step, lo))
        if step.met:
            lo = mid
        else:
            hi = mid


def _r(rate: float) -> str:
    return f"{rate:g}/s"


def _bracket(lo: float, hi: float) -> str:
    return f"between {_r(lo)} (met) and {_r(hi)} (missed)"


def _budget_spent(done, lo: float | None, hi: float | None, max_attacks: int) -> Capacity:
    spent = f"attack budget ({max_attacks}) spent"
    if lo is None:
        return done(BELOW, f"{spent}: missed the SLO at every rate tried, down to {_r(hi)}")
    if hi is None:
        return done(ABOVE, f"{spent}: met the SLO at every rate tried, up to {_r(lo)}: "
                           f"the capacity is higher")
    return done(BUDGET, f"{spent}: {_bracket(lo, hi)}")


def _generator_note(step: Step, lo: float | None) -> str:
    known = f"; the capacity is at least {_r(lo)}" if lo is not None else ""
    return (f"the load generator could not offer {_r(step.rate)} (generator check): the server's "
            f"limit is not measurable beyond it{known}")


def insert_capacity(con: duckdb.DuckDBPyConnection, run_id: str, endpoint: str,
                    server: str | None, workers: int | None, result: Capacity) -> int:
    """Store one search as a `capacity` row; returns its capacity_id."""
    (capacity_id,) = con.execute("SELECT nextval('capacity_ids')").fetchone()
    con.execute(
        """
        INSERT INTO capacity (capacity_id, run_id, endpoint, server, workers, slo, rate,
                              passed_attack, failed_attack, attack_ids, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [capacity_id, run_id, endpoint, server, workers, result.slo, result.rate,
         result.passed.attack_id if result.passed else None,
         result.failed.attack_id if result.failed else None, result.attack_ids, result.note],
    )
    return capacity_id
