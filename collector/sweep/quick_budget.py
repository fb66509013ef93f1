"""--quick keeps its promise on any app: about a minute of load. On a small app the quick grid
fits; on one with hundreds of operations it would be a quarter of an hour, so the sweep takes one
rate, then a sample of the operations spread over the path tree (the same sample every time)."""

from __future__ import annotations

import math
from typing import Callable

from perf.collector.requests.endpoint import Discovery
from perf.collector.settings.settings import Settings


def fit_quick(settings: Settings, found: Discovery, worker_counts: int,
              planned_s: Callable[[Settings, int, int], float]) -> str | None:
    """Shrink the sweep to settings.quick_budget_s of load (in place); the note saying how, or
    None when it fits. `planned_s(settings, endpoints, worker_counts)`: its seconds of load."""
    budget = settings.quick_budget_s
    total = len(found.endpoints)
    if budget is None or planned_s(settings, total, worker_counts) <= budget:
        return None
    notes = []
    if settings.mode == "rate" and "rates" not in settings.given and len(settings.rates) > 1:
        settings.rates = settings.rates[:1]
        notes.append(f"one rate ({settings.rates[0]:g}/s)")
    per_operation = planned_s(settings, 1, worker_counts)
    keep = max(1, math.floor(budget / per_operation)) if per_operation else total
    if keep < total:
        ordered = sorted(found.endpoints, key=lambda e: (e.path, e.method))
        picked = {id(ordered[round(i * (total - 1) / max(1, keep - 1))]) for i in range(keep)}
        found.endpoints[:] = [e for e in found.endpoints if id(e) in picked]
        notes.append(f"{len(found.endpoints)} of {total} operations, a spread sample "
                     f"(--endpoint or --filter choose others)")
    return f"--quick: {', '.join(notes)}, to keep to about {budget:g}s of load" if notes else None
