"""The one metric registry: every table column, chart label, JSON unit and comparison reads it,
and every formula is written here once, as SQL over one attack's aggregates (perf/store/stats.py:
the attack_stats columns), so the reports, the capacity search, the generator check and the
progress line compute each metric the same way.

Definitions (DESIGN.md): success = status 200-399; duration = last ts - first ts;
wait = max(ts + latency) - last ts; sent rate = requests / duration; achieved RPS =
successes / (duration + wait) (vegeta's `throughput`); latencies exact over every request,
percentiles by linear interpolation (numpy's default); CPU 100 = one core, summed over the
server's process tree; 1 MB = 1,000,000 bytes; CPU-seconds per 1,000 successful requests =
cpu_avg / 100 * (duration + wait) / successes * 1000.
"""

from __future__ import annotations

from dataclasses import dataclass

from perf.base.errors import PerfError
from perf.store.stats import QUANTILES


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # short column / chart label
    unit: str
    fmt: str  # a format spec for format(); "%" specs multiply by 100 themselves
    higher_is_better: bool | None  # None: neither (a count, a duration)
    # The formula over one attack's aggregates, "{a}" standing for their table's alias.
    sql: str = ""
    samples: bool = False  # needs the CPU/memory samples (not only the requests)


_SPAN = "({a}last_ts > {a}first_ts)"  # duration > 0: a rate has something to divide by

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("requests", "Requests", "requests", ",d", None, "{a}requests"),
        Metric("successes", "Successes", "requests", ",d", True, "{a}successes"),
        Metric("success_ratio", "Success%", "ratio", ".2%", True,
               "{a}successes / {a}requests"),
        Metric("sent_rate", "Sent", "req/s", ".1f", None,
               f"CASE WHEN {_SPAN} THEN {{a}}requests / (({{a}}last_ts - {{a}}first_ts) / 1e9) END"),
        Metric("achieved_rps", "Achieved", "req/s", ".1f", True,
               f"CASE WHEN {_SPAN} THEN {{a}}successes / (({{a}}end_ts - {{a}}first_ts) / 1e9) END"),
        Metric("latency_mean_ms", "Mean", "ms", ".1f", False, "{a}mean_ns / 1e6"),
        *(Metric(name, label, "ms", ".1f", False, f"{{a}}q[{i}] / 1e6")
          for i, (name, label) in enumerate([
              ("latency_p50_ms", "P50"), ("latency_p90_ms", "P90"), ("latency_p95_ms", "P95"),
              ("latency_p99_ms", "P99"), ("latency_p999_ms", "P99.9")], start=1)),
        Metric("latency_max_ms", "Max", "ms", ".1f", False, "{a}max_ns / 1e6"),
        Metric("cpu_avg", "CPU avg%", "%", ".0f", False, "{a}cpu_avg", samples=True),
        Metric("cpu_max", "CPU max%", "%", ".0f", False, "{a}cpu_max", samples=True),
        Metric("rss_avg_mb", "Mem MB", "MB", ".1f", False, "{a}rss_avg / 1e6", samples=True),
        Metric("rss_max_mb", "Mem max MB", "MB", ".1f", False, "{a}rss_max / 1e6", samples=True),
        Metric("cpu_s_per_1k", "CPU-s/1k", "CPU-s per 1000 successful requests", ".3f", False,
               "CASE WHEN {a}successes > 0 THEN {a}cpu_avg / 100 * (({a}end_ts - {a}first_ts) "
               "/ 1e9) / {a}successes * 1000 END", samples=True),
        Metric("duration_s", "Duration", "s", ".2f", None, "({a}last_ts - {a}first_ts) / 1e9"),
        Metric("wait_s", "Wait", "s", ".3f", None, "({a}end_ts - {a}last_ts) / 1e9"),
    ]
}


def metric_sql(name: str, alias: str = "") -> str:
    """One metric's formula over the aggregates of the table `alias` ("st" -> st.requests)."""
    return METRICS[name].sql.format(a=f"{alias}." if alias else "")


def metric_columns(alias: str = "", samples: bool = True) -> str:
    """Every metric as a SELECT column (`... AS latency_p99_ms`), in registry order; without
    `samples`, only those the requests alone define (a results file before it is stored)."""
    return ",\n".join(f"    {metric_sql(m.name, alias)} AS {m.name}"
                      for m in METRICS.values() if samples or not m.samples)

# The latency quantiles, in the order one quantile_cont call computes them (perf.store.stats).
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
