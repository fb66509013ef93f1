"""The SLO a capacity search aims at (--slo "p99<100ms,success>=99.9%"): parsed and checked
with the other settings, judged on one attack's metrics (perf/store/metrics.py names)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from decimal import Decimal

from perf.base.errors import PerfError
from perf.store.stats import SUSTAINED_ACHIEVED, keeping_up_rps

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}



# Alias -> reporter metric name (perf/store/metrics.py; a test checks every name is there).
_LATENCY = {
    "p50": "latency_p50_ms", "p90": "latency_p90_ms", "p95": "latency_p95_ms",
    "p99": "latency_p99_ms", "p999": "latency_p999_ms", "p99.9": "latency_p999_ms",
    "mean": "latency_mean_ms", "max": "latency_max_ms",
}


_RATIO = {"success": "success_ratio", "achieved": "achieved_rps"}


METRIC_NAMES = {**_LATENCY, **_RATIO, **{name: name for name in (*_LATENCY.values(),
                                                                  *_RATIO.values())}}


_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%)?\s*$")


@dataclass(frozen=True)
class Clause:
    """One bound: `metric op limit` (latency in ms, success and achieved as fractions)."""

    metric: str  # the reporter's metric name
    op: str
    limit: float
    text: str  # as the user wrote it, e.g. "p99<100ms"
    implicit: bool = False

    def check(self, metrics: dict) -> str | None:
        """None when met, else why not, in words."""
        value = metrics.get(self.metric)
        if self.metric == "achieved_rps" and value is not None:
            value = value / keeping_up_rps(metrics)  # the fraction of a keeping-up server's
        if value is None:
            return f"{self.text}: not measured"
        if _OPS[self.op](value, self.limit):
            return None
        return f"{self.text}: {self._show(value)}"

    def _show(self, value: float) -> str:
        if self.metric == "achieved_rps":
            return f"{value:.1%} of the rate a server keeping up shows"
        if self.metric == "success_ratio":
            return f"{value:.2%}"
        return f"{value:.1f}ms"


@dataclass(frozen=True)
class Slo:
    text: str  # the clauses as given, e.g. "p99<100ms,success>=99.9%"
    clauses: tuple[Clause, ...]  # with the implicit keeping-up clause last, when added

    def failures(self, metrics: dict) -> list[str]:
        return [why for clause in self.clauses if (why := clause.check(metrics))]


def parse_slo(text: str) -> Slo:
    """'p99<100ms,success>=99.9%' -> Slo. Latency bounds from above (ms or s; a bare number is
    ms), success and achieved from below (a % or a fraction); one PerfError names a bad part."""
    parts = [part.strip() for part in str(text).split(",")]
    if not text or not any(parts):
        raise PerfError(f"bad --slo {text!r}: expected clauses like p99<100ms,success>=99.9%")
    clauses: list[Clause] = []
    for part in parts:
        clause = _clause(part, text)
        if any(c.metric == clause.metric for c in clauses):
            raise PerfError(f"bad --slo {text!r}: {clause.metric} is bounded twice")
        clauses.append(clause)
    if not any(c.metric == "achieved_rps" for c in clauses):
        clauses.append(Clause("achieved_rps", ">=", SUSTAINED_ACHIEVED,
                              f"achieved>={SUSTAINED_ACHIEVED:.0%}", implicit=True))
    return Slo(",".join(parts), tuple(clauses))


def _clause(part: str, text: str) -> Clause:
    bad = f"bad --slo {text!r}: {part!r}"
    match = _CLAUSE.match(part)
    if not match:
        raise PerfError(f"{bad}: expected METRIC OP VALUE, e.g. p99<100ms or success>=99.9%")
    name, op, number, unit = match.groups()
    metric = METRIC_NAMES.get(name.lower())
    if metric is None:
        raise PerfError(f"{bad}: unknown metric {name!r}; use "
                        f"{', '.join(_LATENCY)}, {', '.join(_RATIO)}")
    value = float(number)
    if metric in _LATENCY.values():
        if op not in ("<", "<="):
            raise PerfError(f"{bad}: latency is bounded from above (use < or <=)")
        if unit == "%":
            raise PerfError(f"{bad}: a latency is in ms or s, e.g. {name}<100ms")
        limit = value * 1000 if unit == "s" else value
    else:
        if op not in (">", ">="):
            raise PerfError(f"{bad}: {name} is bounded from below (use > or >=)")
        if unit in ("ms", "s"):
            raise PerfError(f"{bad}: {name} is a percentage, e.g. {name}>=99%")
        limit = float(Decimal(number) / 100) if unit == "%" else value  # 99.9% is 0.999
        if not 0 < limit <= 1:
            raise PerfError(f"{bad}: {name} must be within 0% and 100% (or a fraction 0..1)")
    if limit <= 0:
        raise PerfError(f"{bad}: the limit must be greater than zero")
    return Clause(metric, op, limit, part)
