"""Pure functions on the query's rows (perf.reporter.rows): grouping into tables, sustainable
rates, flags.

No IO here: rows and lists in, plain dicts and lists out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone

# What "sustained" means lives beside the stats, shared with the collector's capacity search.
from perf.store.stats import SUSTAINED_ACHIEVED, SUSTAINED_SUCCESS, keeping_up_rps  # noqa: F401
from perf.base.text import load_label, plural  # noqa: F401  (one home: perf/base/text.py)
from perf.reporter.rows import AttackRow, RunRow

# The metrics of the terminal / markdown table, after Endpoint and Target.
TABLE_METRICS = [
    "achieved_rps", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
    "success_ratio", "cpu_avg", "cpu_max", "rss_avg_mb",
]
CHART_METRICS = ["achieved_rps", "latency_p99_ms"]


def load_of(attack: AttackRow) -> float | int | None:
    """An attack's load: the offered rate (open loop) or the concurrency (closed loop)."""
    return attack.target_rate if attack.mode == "rate" else attack.concurrency


def load_text(attack: AttackRow) -> str:
    """An attack's load as every output writes it: `50/s` or `c=5`."""
    return load_label(attack.mode, load_of(attack))


def workers_text(workers: int | None) -> str:
    """An attack's worker count as every output writes it: `1 worker`, `2 workers`, `-`."""
    return "-" if workers is None else plural(workers, "worker")


def failure_kind(success: float | None) -> str | None:
    """How an attack's row is marked: `failed` below the success a sustained attack needs
    (perf.store.stats, the rule `perf collect`'s end summary names cells by), `some_failed`
    for any other failed request; None when every request succeeded (or none was made)."""
    if success is None or success >= 1:
        return None
    return "failed" if success < SUSTAINED_SUCCESS else "some_failed"


def untrusted(attack: AttackRow) -> bool:
    """The generator check failed: the load generator, not the server, may have set the numbers."""
    return attack.generator_ok is False


def short_ids(runs: list[RunRow], min_length: int = 8) -> dict[str, str]:
    """The shortest id prefix (at least `min_length` characters) that tells these runs apart."""
    ids = [r.run_id for r in runs]
    if not ids:
        return {}
    length = min_length
    while len({i[:length] for i in ids}) < len(set(ids)) and length < max(map(len, ids)):
        length += 1
    return {i: i[:length] for i in ids}


def run_names(runs: list[RunRow], min_length: int = 8) -> dict[str, str]:
    """What outputs call each run: its label, else its short id. A label carried by several of
    these runs is numbered from the second on, oldest first (`base`, `base#2`); a name that
    would still clash (a label that looks like another run's id) gets the short id added.

    Runs read by perf.reporter.query.attacks carry a `name` made over every run in the store, so a run is
    called the same in every report (`base#3` is always the third run labelled base); those
    are kept as long as they tell these runs apart.
    """
    given = [r.name for r in runs]
    if runs and all(given) and len(set(given)) == len(given):
        return {r.run_id: r.name for r in runs}
    ids = short_ids(runs, min_length)
    names: dict[str, str] = {}
    seen: dict[str, int] = defaultdict(int)
    for run in runs:
        label = (run.label or "").strip()
        if not label:
            names[run.run_id] = ids[run.run_id]
            continue
        seen[label] += 1
        names[run.run_id] = label if seen[label] == 1 else f"{label}#{seen[label]}"
    taken: dict[str, int] = defaultdict(int)
    for name in names.values():
        taken[name] += 1
    return {run_id: (f"{name} {ids[run_id]}" if taken[name] > 1 and name != ids[run_id] else name)
            for run_id, name in names.items()}


def change(base: float | None, value: float | None) -> float | None:
    """The relative change from `base` to `value` (0.12 = 12% more); None when undefined."""
    if base is None or value is None or base == 0:
        return None
    return (value - base) / abs(base)


def series_key(endpoint: str, server: str | None, workers: int | None, mode: str,
               load: float | int | None, metric: str) -> str:
    """The key of one history line (a cell at one load, one metric) in Report.change_points:
    JSON of [endpoint, server, workers, mode, load, metric]."""
    return json.dumps([endpoint, server, workers, mode, load, metric])


def history_series_key(attack: AttackRow, metric: str) -> str:
    """series_key of the history line `attack` is a point of."""
    return series_key(attack.endpoint, attack.server, attack.workers, attack.mode,
                      load_of(attack), metric)


def group_key(attack: AttackRow) -> tuple:
    """One table per (mode, rate or concurrency, workers, server)."""
    return (attack.mode, load_of(attack), attack.workers, attack.server)


def _sort_key(key: tuple) -> tuple:
    mode, load, workers, server = key
    return (mode != "rate", load if load is not None else -1,
            workers if workers is not None else -1, server or "")


def group_title(key: tuple, servers: int = 1) -> str:
    mode, load, workers, server = key
    if load is None:  # an ingest without --rate
        title = "rate unknown" if mode == "rate" else "concurrency unknown"
    else:
        title = f"rate {load:g}/s" if mode == "rate" else f"concurrency {load:g}"
    if workers is not None:
        title += f", {workers} worker" + ("s" if workers != 1 else "")
    if server and servers > 1:
        title += f", {server}"
    return title


def grouped(attacks: list[AttackRow]) -> list[tuple[tuple, list[AttackRow]]]:
    """[(group key, attacks)], groups by rate/concurrency then workers, attacks in input order."""
    groups: dict[tuple, list[AttackRow]] = defaultdict(list)
    for attack in attacks:
        groups[group_key(attack)].append(attack)
    return sorted(groups.items(), key=lambda item: _sort_key(item[0]))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a run without a start sorts first


def endpoints_in_order(attacks: list[AttackRow]) -> list[str]:
    """Endpoints in the order they were first attacked (the sweep's order): runs by their
    start, attacks within a run by id (ids of runs from a history folder do not say which run
    came first)."""
    seen: dict[str, None] = {}
    for attack in sorted(attacks, key=lambda a: (a.started_at or _EPOCH, a.run_id, a.attack_id)):
        seen.setdefault(attack.endpoint, None)
    return list(seen)


def by_endpoint_and_run(attacks: list[AttackRow]) -> dict[str, dict[str, AttackRow]]:
    """{endpoint: {run_id: attack}} for one group; a repeated cell keeps the run's last attack."""
    out: dict[str, dict[str, AttackRow]] = defaultdict(dict)
    for attack in sorted(attacks, key=lambda a: a.attack_id):
        out[attack.endpoint][attack.run_id] = attack
    return out


def is_sustained(attack: AttackRow) -> bool:
    if attack.mode != "rate" or not attack.target_rate:
        return False
    ratio, achieved = attack.metric("success_ratio"), attack.metric("achieved_rps")
    if ratio is None or achieved is None:
        return False
    # keeping_up_rps is shared with the collector, which holds an attack as a dict; it reads
    # these three (a whole as_dict() per attack cost 40 ms of a 50-run text report).
    keeping_up = keeping_up_rps({"target_rate": attack.target_rate,
                                 "duration_s": attack.metric("duration_s"),
                                 "latency_p50_ms": attack.metric("latency_p50_ms")})
    return ratio >= SUSTAINED_SUCCESS and achieved >= SUSTAINED_ACHIEVED * keeping_up


def max_sustainable_rates(attacks: list[AttackRow],
                          statuses: dict[int, dict[int, int]] | None = None) -> list[dict]:
    """Per (run, endpoint, server, workers) of rate attacks: the highest rate sustained.

    Each row: run_id, endpoint, server, workers, rate (None when no tested rate was
    sustained), all_sustained (every tested rate was: the limit is higher than tested),
    tested (the rates, ascending), untrusted (the deciding attack failed the generator check),
    failed (no request of the cell ever succeeded: not a rate limit but a request the app
    refuses, e.g. 401 without a token) and failing_code (its most common status, from
    `statuses` = {attack_id: {code: requests}} when given).
    """
    cells: dict[tuple, list[AttackRow]] = defaultdict(list)
    for attack in attacks:
        if attack.mode == "rate" and attack.target_rate:
            cells[(attack.run_id, attack.endpoint, attack.server, attack.workers)].append(attack)
    rows = []
    for (run_id, endpoint, server, workers), cell in cells.items():
        cell = sorted(cell, key=lambda a: (a.target_rate, a.attack_id))
        sustained = [a for a in cell if is_sustained(a)]
        best = sustained[-1] if sustained else None
        rows.append({
            "run_id": run_id,
            "endpoint": endpoint,
            "server": server,
            "workers": workers,
            "rate": best.target_rate if best else None,
            "all_sustained": len(sustained) == len(cell),
            "tested": sorted({a.target_rate for a in cell}),
            "untrusted": bool(best and untrusted(best)),
            "failed": all(not a.metric("successes") for a in cell),
            "failing_code": _most_common_code(cell, statuses),
        })
    return rows


def _most_common_code(cell: list[AttackRow], statuses: dict[int, dict[int, int]] | None) -> int | None:
    if not statuses or any(a.metric("successes") for a in cell):
        return None
    counts: dict[int, int] = defaultdict(int)
    for attack in cell:
        for code, n in (statuses.get(attack.attack_id) or {}).items():
            counts[code] += n
    return max(counts, key=counts.get) if counts else None
