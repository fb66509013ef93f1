"""Worker scaling: how throughput grows with workers, what each worker costs, what to run.

Pure (typed rows in, plain dicts out), per (run, endpoint, server) measured at several worker
counts:
- RPS(n): the capacity found under an SLO (`capacity` rows) when the run searched for it, else
  the highest rate sustained (compute.max_sustainable_rates). Either may be a lower bound: the
  search met the SLO at every rate it tried, or every tested rate was sustained.
- scaling efficiency RPS(n) / (n x RPS(1)): 100% is linear; with no 1-worker figure the
  smallest worker count measured is the base (RPS(n)/n over RPS(b)/b).
- memory per worker: the slope of the server tree's RSS (the median of its attacks' averages)
  over the worker counts, so the master process's share is not counted per worker.
- a recommendation in plain words, tied to the host's CPU count: the fewest workers within
  GAIN of the best throughput, e.g. "2 workers: beyond 2 workers no gain on this 2-core host;
  each worker costs 45 MB".
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from perf.reporter.compute.tables import max_sustainable_rates
from perf.reporter.rows import AttackRow, CapacityRow, RunRow
from perf.base.text import plural

GAIN = 0.10  # throughput within 10% of the best counts as no gain: below attack-to-attack noise
STILL_SCALING = 0.70  # efficiency at the most workers tested that says "more workers help"


def lower_bound(search: CapacityRow) -> bool:
    """A search with no missed rate above its answer found a lower bound."""
    return search.rate is not None and search.failed_attack is None


def from_capacity(rows: list[CapacityRow]) -> list[dict]:
    """Throughput rows from capacity searches."""
    return [{
        "run_id": r.run_id, "endpoint": r.endpoint, "server": r.server,
        "workers": r.workers, "rps": r.rate, "lower_bound": lower_bound(r),
        "source": "capacity",
    } for r in rows]


def capacity_results(capacity: list[CapacityRow], attacks: list[AttackRow]) -> list[dict]:
    """Capacity searches as the reports show them ("sustainable RPS by worker count"): each
    `capacity` row with `lower_bound` (met at every rate tried: the capacity is higher) and
    `tested` (the rates its attacks tried, ascending, from the attacks at hand)."""
    rates = {a.attack_id: a.target_rate for a in attacks}
    out = []
    for r in capacity:
        ids = list(r.attack_ids)
        out.append({
            "run_id": r.run_id, "endpoint": r.endpoint, "server": r.server,
            "workers": r.workers, "slo": r.slo, "rate": r.rate, "lower_bound": lower_bound(r),
            "tested": sorted({rates[i] for i in ids if rates.get(i) is not None}),
            "attacks": len(ids), "attack_ids": ids, "passed_attack": r.passed_attack,
            "failed_attack": r.failed_attack, "note": r.note,
        })
    return out


def cpu_counts(runs: list[RunRow]) -> dict[str, int | None]:
    return {run.run_id: run.cpu_count for run in runs}


def report_scaling(report) -> list[dict]:
    """scaling() of a perf.reporter.report.Report: capacity results where searched, else the
    highest rates sustained."""
    return scaling(throughput(report.capacity, report.attacks), report.attacks,
                   cpu_counts(report.runs))


def from_sustained(attacks: list[AttackRow]) -> list[dict]:
    """Throughput rows from the highest rate each cell sustained."""
    return [{
        "run_id": r["run_id"], "endpoint": r["endpoint"], "server": r["server"],
        "workers": r["workers"], "rps": r["rate"],
        "lower_bound": r["rate"] is not None and r["all_sustained"],
        "source": "sustained",
    } for r in max_sustainable_rates(attacks)]


def throughput(capacity: list[CapacityRow], attacks: list[AttackRow]) -> list[dict]:
    """Capacity results where a (run, endpoint, server) has them, sustained rates elsewhere."""
    searched = from_capacity(capacity)
    covered = {(r["run_id"], r["endpoint"], r["server"]) for r in searched}
    return searched + [r for r in from_sustained(attacks)
                       if (r["run_id"], r["endpoint"], r["server"]) not in covered]


def _memory(attacks: list[AttackRow]) -> dict[tuple, float]:
    """(run, endpoint, server, workers) -> the median of its attacks' average RSS, MB."""
    cells: dict[tuple, list[float]] = defaultdict(list)
    for a in attacks:
        rss = a.metric("rss_avg_mb")
        if rss is not None:
            cells[(a.run_id, a.endpoint, a.server, a.workers)].append(rss)
    return {key: statistics.median(values) for key, values in cells.items()}


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of y over x; None under two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return (sum((x - mx) * (y - my) for x, y in points)
            / sum((x - mx) ** 2 for x, _ in points))


def scaling(throughput_rows: list[dict], attacks: list[AttackRow],
            cpu_counts: dict[str, int | None]) -> list[dict]:
    """One row per (run, endpoint, server) measured at two or more worker counts.

    Each row: run_id, endpoint, server, source, cpu_count, base_workers, memory_per_worker_mb,
    best_workers, recommendation, and `workers`: per count (ascending) workers, rps,
    lower_bound, efficiency (None when the base is unknown or only a lower bound),
    efficiency_at_least (rps is a lower bound, so the efficiency is too), memory_mb.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in throughput_rows:
        if row["workers"] is not None:
            groups[(row["run_id"], row["endpoint"], row["server"])].append(row)
    memory = _memory(attacks)
    out = []
    for (run_id, endpoint, server), rows in groups.items():
        rows = sorted(rows, key=lambda r: r["workers"])
        if len({r["workers"] for r in rows}) < 2:
            continue
        measured = [r for r in rows if r["rps"] is not None]
        base = measured[0] if measured else None
        per_count = []
        for r in rows:
            n = r["workers"]
            efficiency = None
            if base is not None and not base["lower_bound"] and r["rps"] is not None:
                efficiency = (r["rps"] / n) / (base["rps"] / base["workers"])
            per_count.append({
                "workers": n, "rps": r["rps"], "lower_bound": r["lower_bound"],
                "efficiency": efficiency,
                "efficiency_at_least": efficiency is not None and r["lower_bound"],
                "memory_mb": memory.get((run_id, endpoint, server, n)),
            })
        slope = _slope([(c["workers"], c["memory_mb"]) for c in per_count
                        if c["memory_mb"] is not None])
        cpu_count = cpu_counts.get(run_id)
        best, words = _recommend(per_count, slope, cpu_count, rows[0]["source"])
        out.append({
            "run_id": run_id, "endpoint": endpoint, "server": server,
            "source": rows[0]["source"], "cpu_count": cpu_count,
            "base_workers": base["workers"] if base else None,
            "memory_per_worker_mb": slope, "best_workers": best, "recommendation": words,
            "workers": per_count,
        })
    return out


def _efficiency(count: dict) -> str:
    if count["efficiency"] is None:
        return ""
    return f" (efficiency {'at least ' if count['efficiency_at_least'] else ''}{count['efficiency']:.0%})"


def _recommend(per_count: list[dict], memory_slope: float | None,
               cpu_count: int | None, source: str = "sustained") -> tuple[int | None, str]:
    """(the worker count to run, the sentence saying why)."""
    host = f"this {cpu_count}-core host" if cpu_count else "this host"
    cost = f"; each worker costs {memory_slope:.0f} MB" if memory_slope is not None else ""
    measured = [c for c in per_count if c["rps"] is not None]
    if not measured:
        return None, "no worker count sustained the lowest rate tested"
    if all(c["lower_bound"] for c in measured):
        if source == "capacity":
            return None, ("every worker count met the SLO at the highest rate the search tried: "
                          f"raise --max-rate to see how workers scale{cost}")
        return None, ("every worker count met every rate tested: test higher rates (or search "
                      f"the capacity) to see how workers scale{cost}")
    top = max(c["rps"] for c in measured)
    best = next(c for c in measured if c["rps"] >= (1 - GAIN) * top)
    most = measured[-1]
    if best is most and (best["lower_bound"] or (best["efficiency"] or 0) >= STILL_SCALING):
        growing = f"throughput still grows at {plural(best['workers'], 'worker')}{_efficiency(best)}"
        if cpu_count and best["workers"] < cpu_count:
            return best["workers"], f"{growing}: try up to {cpu_count} on {host}{cost}"
        return best["workers"], f"{growing}, as many as {host} has cores{cost}"
    if best is most:
        return best["workers"], (f"{plural(best['workers'], 'worker')}: each added worker gains little"
                                 f"{_efficiency(best)} on {host}{cost}")
    return best["workers"], (f"{plural(best['workers'], 'worker')}: beyond {plural(best['workers'], 'worker')} "
                             f"no gain on {host}{cost}")
