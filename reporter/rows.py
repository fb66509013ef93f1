"""The rows a report is made of that query builds and render draws: a module of plain data,
so render never has to import query (the layering in ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import dataclass


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
