"""How big a change must be before perf compare calls it worse or better, and which changes
fail the gate: the defaults, `--fail-on "p99:+10%,achieved_rps:-5%,success:-1pp"`, and
`[tool.perf.compare]` in pyproject.toml, all validated here.

A threshold has up to two parts, and a change must pass every part it has: relative (`+10%`)
and absolute in the metric's unit (`+2ms`, `+5MB`); ratios (success) take percentage points
(`-1pp`). The sign says which way is worse; it must agree with the metric registry's
higher_is_better (it may be left out).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from perf.base.errors import PerfError
from perf.base.pyproject import tool_perf
from perf.store.metrics import METRICS

# The metrics perf compare judges, by the short names --fail-on, verdict lines and JSON use.
KEY_METRICS: dict[str, str] = {
    "achieved_rps": "achieved_rps",
    "success": "success_ratio",
    "p50": "latency_p50_ms",
    "p95": "latency_p95_ms",
    "p99": "latency_p99_ms",
    "cpu_s_per_1k": "cpu_s_per_1k",
    "memory": "rss_avg_mb",
}
CAPACITY = "capacity"  # a capacity search's highest rate meeting its SLO (table `capacity`)

# Other spellings a user may reach for; each maps to a short name above.
ALIASES = {
    "rps": "achieved_rps", "achieved": "achieved_rps", "success_ratio": "success",
    "cpu": "cpu_s_per_1k", "rss": "memory", "rss_avg_mb": "memory", "mem": "memory",
    **{registry: short for short, registry in KEY_METRICS.items()},
}

# Absolute units an entry may carry, per metric unit in the registry.
_ABSOLUTE_UNITS = {"ms": "ms", "MB": "MB", "req/s": "rps", "CPU-s per 1000 successful requests": "s"}
_ENTRY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*:\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*(%|pp|[A-Za-z/]+)\s*$")


@dataclass(frozen=True)
class Threshold:
    """The smallest change in the worse direction (or, mirrored, the better one) that counts."""

    name: str  # a short name of KEY_METRICS, or CAPACITY
    relative: float | None = None  # fraction: 0.10 = 10%
    absolute: float | None = None  # in the metric's unit
    points: float | None = None  # percentage points (ratios)

    @property
    def higher_is_better(self) -> bool:
        return True if self.name == CAPACITY else bool(METRICS[KEY_METRICS[self.name]].higher_is_better)

    def exceeded(self, base: float, candidate: float) -> bool:
        """The change from base to candidate passes every part of the threshold (either way)."""
        delta = candidate - base
        if delta == 0:
            return False
        if self.points is not None and abs(delta) * 100 <= self.points:
            return False
        if self.absolute is not None and abs(delta) <= self.absolute:
            return False
        if self.relative is not None:
            if base == 0:
                return True  # from nothing to something: beyond any relative bound
            if abs(delta / base) <= self.relative:
                return False
        return True

    def text(self) -> str:
        """As --fail-on spells it, e.g. 'p99:+10%+2ms'."""
        sign = "-" if self.higher_is_better else "+"
        parts = []
        if self.relative is not None:
            parts.append(f"{sign}{self.relative * 100:g}%")
        if self.points is not None:
            parts.append(f"{sign}{self.points:g}pp")
        if self.absolute is not None:
            parts.append(f"{sign}{self.absolute:g}{_absolute_unit(self.name)}")
        return f"{self.name}:" + ("".join(parts) or f"{sign}0%")

    def as_dict(self) -> dict:
        return {"metric": self.name, "relative": self.relative, "absolute": self.absolute,
                "points": self.points, "spec": self.text()}


# Defaults tuned with benchmarks/bench_compare_accuracy.py on a 2-core machine shared with
# other load. Between two runs of identical code, each consistent across its own repeats
# (Welch's p < 0.05), the p50 of a 1.5 ms endpoint moved by 46% (0.6 ms) and its p95 by 44%
# (1.8 ms), a 50 ms endpoint's p95 by 11% (6 ms), CPU-s/1k by 61% (0.7 ms of CPU per request:
# 10 ms clock ticks over a small total): the absolute parts absorb these. A 50 ms endpoint
# made 10% slower still fails on p50 (+5 ms) every time.
DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    t.name: t for t in [
        Threshold("achieved_rps", relative=0.05),
        Threshold("success", points=1.0),
        Threshold("p50", relative=0.05, absolute=1.0),
        Threshold("p95", relative=0.10, absolute=10.0),
        Threshold("p99", relative=0.20, absolute=20.0),
        Threshold("cpu_s_per_1k", relative=0.15, absolute=1.0),
        Threshold("memory", relative=0.10, absolute=5.0),
        Threshold(CAPACITY, relative=0.0),  # any drop of the rate a capacity search found
    ]
}
DEFAULT_ALPHA = 0.05


def _absolute_unit(name: str) -> str:
    return "" if name == CAPACITY else _ABSOLUTE_UNITS.get(METRICS[KEY_METRICS[name]].unit, "")


def metric_name(text: str, where: str = "--fail-on") -> str:
    """A short metric name from any accepted spelling; PerfError naming the bad one."""
    key = text.strip().lower()
    if key in KEY_METRICS or key == CAPACITY:
        return key
    if key in ALIASES:
        return ALIASES[key]
    known = ", ".join([*KEY_METRICS, CAPACITY])
    raise PerfError(f"{where}: unknown metric {text.strip()!r}; known: {known}")


def _parse_entry(entry: str, where: str) -> tuple[str, dict]:
    match = _ENTRY.match(entry)
    if not match:
        raise PerfError(f"{where}: cannot read {entry.strip()!r}; expected METRIC:CHANGE, "
                        "e.g. p99:+10%, p50:+2ms, success:-1pp")
    raw_name, sign, number, unit = match.groups()
    name = metric_name(raw_name, where)
    value = float(number)
    higher_is_better = Threshold(name).higher_is_better
    if sign and (sign == "-") != higher_is_better:
        worse = "drops" if higher_is_better else "rises"
        raise PerfError(f"{where}: {entry.strip()!r}: {name} is worse when it {worse}, "
                        f"so its threshold is {'-' if higher_is_better else '+'}{number}{unit}")
    is_ratio = name != CAPACITY and METRICS[KEY_METRICS[name]].unit == "ratio"
    if unit == "%":
        if is_ratio:
            raise PerfError(f"{where}: {entry.strip()!r}: {name} is a ratio; give its threshold "
                            f"in percentage points, e.g. {name}:-1pp")
        return name, {"relative": value / 100}
    if unit == "pp":
        if not is_ratio:
            raise PerfError(f"{where}: {entry.strip()!r}: pp (percentage points) is for success "
                            "only; use % or the metric's unit")
        return name, {"points": value}
    expected = _absolute_unit(name)
    if not expected or unit.lower() != expected.lower():
        hint = f"% or {expected}" if expected else "%"
        raise PerfError(f"{where}: {entry.strip()!r}: unknown unit {unit!r} for {name}; use {hint}")
    return name, {"absolute": value}


def parse_fail_on(spec: str | dict, where: str = "--fail-on") -> dict[str, Threshold]:
    """`"p99:+10%,p50:+5%,p50:+1ms"` (or a {metric: change} table) -> {name: Threshold}.
    Entries for the same metric combine: every part must be passed."""
    if isinstance(spec, dict):
        entries = [f"{k}:{v}" for k, v in spec.items()]
    elif isinstance(spec, str):
        entries = [e for e in spec.split(",") if e.strip()]
    else:
        raise PerfError(f"{where}: expected a string like 'p99:+10%' or a table, not {spec!r}")
    if not entries:
        raise PerfError(f"{where}: empty; give at least one METRIC:CHANGE, e.g. p99:+10%")
    parts: dict[str, dict] = {}
    for entry in entries:
        name, part = _parse_entry(str(entry), where)
        parts.setdefault(name, {}).update(part)
    return {name: Threshold(name, **part) for name, part in parts.items()}


@dataclass(frozen=True)
class CompareSettings:
    """What decides verdicts and the exit status."""

    thresholds: dict[str, Threshold]  # every judged metric (KEY_METRICS + capacity)
    gate: tuple[str, ...]  # the metrics whose `worse` fails the gate (exit 1)
    alpha: float = DEFAULT_ALPHA  # the significance level of the repeats' test
    source: str = "defaults"  # where the gate came from: defaults | [tool.perf.compare] | --fail-on
    # With one attack a side there is no measure of noise: a change past the threshold is
    # inconclusive (shown, never gating) unless the user asks to gate on the threshold alone.
    gate_without_repeats: bool = False

    def as_dict(self) -> dict:
        return {"alpha": self.alpha, "gate": list(self.gate), "source": self.source,
                "gate_without_repeats": self.gate_without_repeats,
                "thresholds": {n: t.as_dict() for n, t in self.thresholds.items()}}


def _alpha(value, where: str) -> float:
    try:
        alpha = float(value)
    except (TypeError, ValueError):
        raise PerfError(f"{where}: alpha must be a number between 0 and 1, not {value!r}") from None
    if not (math.isfinite(alpha) and 0 < alpha < 1):
        raise PerfError(f"{where}: alpha must be between 0 and 1 (exclusive), not {value!r}")
    return alpha


PYPROJECT_KEYS = ("fail_on", "alpha", "gate_without_repeats")


def pyproject_compare(start: Path | None = None) -> tuple[dict, str]:
    """[tool.perf.compare] of the nearest pyproject.toml, and where it was found."""
    section, path = tool_perf(start)
    compare = section.get("compare", {})
    if not isinstance(compare, dict):
        raise PerfError(f"{path}: [tool.perf] compare must be a table")
    return compare, f"{path} [tool.perf.compare]" if path else "[tool.perf.compare]"


def compare_settings(fail_on: str | None = None, alpha: float | None = None,
                     config: dict | None = None, config_where: str = "[tool.perf.compare]",
                     gate_without_repeats: bool | None = None) -> CompareSettings:
    """Defaults < [tool.perf.compare] < --fail-on / --alpha / --gate-without-repeats.

    A fail-on list (from either place) is the whole gate: only the metrics it names fail the
    job; every other metric keeps its default threshold and still gets a verdict.
    """
    config = config or {}
    unknown = set(config) - set(PYPROJECT_KEYS)
    if unknown:
        raise PerfError(f"{config_where} has unknown keys: {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(PYPROJECT_KEYS)}")
    thresholds = dict(DEFAULT_THRESHOLDS)
    gate = tuple(thresholds)
    source = "defaults"
    chosen_alpha = DEFAULT_ALPHA
    if "alpha" in config:
        chosen_alpha = _alpha(config["alpha"], f"{config_where} alpha")
    if "fail_on" in config:
        given = parse_fail_on(config["fail_on"], f"{config_where} fail_on")
        thresholds.update(given)
        gate, source = tuple(given), config_where
    if alpha is not None:
        chosen_alpha = _alpha(alpha, "--alpha")
    if fail_on is not None:
        given = parse_fail_on(fail_on, "--fail-on")
        thresholds = {**DEFAULT_THRESHOLDS, **given}
        gate, source = tuple(given), "--fail-on"
    without = config.get("gate_without_repeats", False)
    if not isinstance(without, bool):
        raise PerfError(f"{config_where} gate_without_repeats must be true or false, not {without!r}")
    if gate_without_repeats is not None:
        without = gate_without_repeats
    return CompareSettings(thresholds, gate, chosen_alpha, source, without)
