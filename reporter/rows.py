"""The rows a report is made of that query builds and render draws: a module of plain data,
so neither compute nor render has to import query (the layering in ARCHITECTURE.md).

Query (perf.reporter.query.attacks) is the only place that knows the store's column names; it
builds these rows, and compute and render read their attributes. A metric is read by its
registry name (perf.store.metrics.METRICS) through `AttackRow.metric`, the one accessor.
`as_dict()` gives a row as the JSON and CSV outputs write it, keys in their stored order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, NamedTuple

from perf.store.metrics import METRICS

MetricValue = float | int | None


def _as_dict(row) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(row)}


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run (table `runs`) with its number of stored attacks."""

    run_id: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str = ""  # running | complete | partial | failed
    label: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    git_dirty: bool | None = None
    host: str | None = None
    cpu_model: str | None = None
    cpu_count: int | None = None
    os: str | None = None
    python_version: str | None = None
    vegeta_version: str | None = None
    perf_version: str | None = None
    target: str | None = None
    config: dict | None = None  # the sweep's settings, parsed
    pid: int | None = None
    pid_started: float | None = None
    attacks: int = 0  # stored attacks
    requests: int | None = None  # stored request rows (query.add_request_counts)
    # What every output calls the run: made over every run in the store (query.select_runs),
    # so `base#3` is always the third run labelled base; None where nobody named it.
    name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class AttackRow:
    """One attack's identity and its run's (query.attack_summaries), and every metric of it.

    The attack's own planned length and times are `planned_duration_s`, `attack_started_at`
    and `attack_finished_at`: `duration_s` is the measured metric, `started_at` the run's
    start (what history is ordered by)."""

    attack_id: int
    run_id: str
    endpoint: str
    method: str | None = None
    path: str | None = None
    server: str | None = None
    workers: int | None = None
    mode: str = "rate"  # rate (open loop) | concurrency (closed loop)
    target_rate: float | None = None
    concurrency: int | None = None
    planned_duration_s: float | None = None
    attack_started_at: datetime | None = None
    attack_finished_at: datetime | None = None
    loadgen_cpu_max: float | None = None
    generator_ok: bool | None = None
    generator_note: str | None = None
    started_at: datetime | None = None
    label: str | None = None
    git_commit: str | None = None
    repeat_index: int = 0
    role: str | None = None  # None alone; foreground | background: the two sides of a mix
    background: str | None = None
    check_id: int | None = None
    # METRICS name -> value, in registry order; a name missing reads as None.
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)

    def metric(self, name: str) -> MetricValue:
        """The value of one registry metric; a name outside the registry is a KeyError."""
        if name not in METRICS:
            raise KeyError(name)
        return self.metrics.get(name)

    def as_dict(self) -> dict[str, Any]:
        """The identity fields, then every metric by name: the order of SUMMARY_SQL's columns."""
        out = _as_dict(self)
        del out["metrics"]
        out.update(self.metrics)
        return out


@dataclass(frozen=True, slots=True)
class HistoryRow(AttackRow):
    """An attack of the same cell in any run of the store (query.history)."""

    run_name: str = ""  # its run's name over the whole store (compute.run_names)

    def as_dict(self) -> dict[str, Any]:
        out = AttackRow.as_dict(self)
        out["run_name"] = out.pop("run_name")  # after the metrics, where it was added
        return out


class CellRunRow(NamedTuple):
    """One cell in one run, its repeats grouped in SQL (query.cell_runs): perf history reads
    a thousand runs of twenty cells as these, not as twenty thousand AttackRows."""

    run_id: str
    endpoint: str
    method: str
    mode: str
    load: float | int | None  # target rate (mode rate) or concurrency, as compute.load_of
    workers: int | None
    server: str | None
    role: str | None
    background: str | None
    attacks: int  # the cell's attacks (repeats) in the run
    # Per metric asked for, in that order: the value of the cell's one attack, or the list of
    # its repeats' values; floats, None where one is not a finite number.
    values: tuple[float | None | list[float | None], ...]


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One server self-check (table `server_checks`): one per server start."""

    check_id: int
    run_id: str
    server: str | None = None
    workers: int | None = None
    checked_at: datetime | None = None
    url: str | None = None
    keepalive_ms: float | None = None
    fresh_ms: float | None = None
    stall: bool | None = None
    note: str | None = None  # the warning every output shows when stall

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """One capacity search (table `capacity`)."""

    capacity_id: int
    run_id: str
    endpoint: str
    server: str | None = None
    workers: int | None = None
    slo: str = ""
    rate: float | None = None  # the highest rate meeting the SLO; None: not even the lowest
    passed_attack: int | None = None
    failed_attack: int | None = None  # None with a rate: met at every rate tried
    attack_ids: list[int] = field(default_factory=list)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass
class OverTime:
    """One attack's latency over time, split into successes and errors, downsampled."""

    attack_id: int
    ok_t: list[float]  # seconds since the attack's first request
    ok_ms: list[float]
    err_t: list[float]
    err_ms: list[float]
    err_label: list[str]  # "503" or "0 <error kind>" for each kept error point
    requests: int
    errors: int


@dataclass
class Spectrum:
    """Exact latency percentiles of one attack, ready for a log-scaled 1/(1-p) axis."""

    attack_id: int
    p: list[float]  # percentile as a fraction; the last point is the max
    x: list[float]  # 1 / (1 - p); the max sits at x = requests
    ms: list[float]
