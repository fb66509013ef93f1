"""The one metric registry: every table column, chart label, JSON unit and comparison reads it.

Definitions (DESIGN.md): success = status 200-399; duration = last ts - first ts;
wait = max(ts + latency) - last ts; sent rate = requests / duration; achieved RPS =
successes / (duration + wait) (vegeta's `throughput`); latencies exact over every request,
percentiles by linear interpolation (numpy's default); CPU 100 = one core, summed over the
server's process tree; 1 MB = 1,000,000 bytes; CPU-seconds per 1,000 successful requests =
cpu_avg / 100 * (duration + wait) / successes * 1000.
"""

from __future__ import annotations

from dataclasses import dataclass

from perf.errors import PerfError
from perf.stats import QUANTILES


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # short column / chart label
    unit: str
    fmt: str  # a format spec for format(); "%" specs multiply by 100 themselves
    higher_is_better: bool | None  # None: neither (a count, a duration)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("requests", "Requests", "requests", ",d", None),
        Metric("successes", "Successes", "requests", ",d", True),
        Metric("success_ratio", "Success%", "ratio", ".2%", True),
        Metric("sent_rate", "Sent", "req/s", ".1f", None),
        Metric("achieved_rps", "Achieved", "req/s", ".1f", True),
        Metric("latency_mean_ms", "Mean", "ms", ".1f", False),
        Metric("latency_p50_ms", "P50", "ms", ".1f", False),
        Metric("latency_p90_ms", "P90", "ms", ".1f", False),
        Metric("latency_p95_ms", "P95", "ms", ".1f", False),
        Metric("latency_p99_ms", "P99", "ms", ".1f", False),
        Metric("latency_p999_ms", "P99.9", "ms", ".1f", False),
        Metric("latency_max_ms", "Max", "ms", ".1f", False),
        Metric("cpu_avg", "CPU avg%", "%", ".0f", False),
        Metric("cpu_max", "CPU max%", "%", ".0f", False),
        Metric("rss_avg_mb", "Mem MB", "MB", ".1f", False),
        Metric("rss_max_mb", "Mem max MB", "MB", ".1f", False),
        Metric("cpu_s_per_1k", "CPU-s/1k", "CPU-s per 1000 successful requests", ".3f", False),
        Metric("duration_s", "Duration", "s", ".2f", None),
        Metric("wait_s", "Wait", "s", ".3f", None),
    ]
}

# The latency quantiles, in the order one quantile_cont call computes them (perf.stats).
PERCENTILES: dict[str, float] = dict(zip(
    ["latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms", "latency_p999_ms"],
    QUANTILES, strict=True,
))


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise PerfError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def format_value(name: str, value: float | int | None) -> str:
    """The display form of one metric value; '-' when it cannot be computed (no samples, ...)."""
    if value is None:
        return "-"
    spec = metric(name).fmt
    if spec.endswith("d"):
        value = int(value)
    return format(value, spec)
