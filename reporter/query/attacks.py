"""The reporter's SQL: which runs and attacks a selection means, and their exact metrics.

Every aggregate over requests and samples runs inside DuckDB; Python only receives one row
per run or per attack. Metric definitions are those of perf/store/metrics.py (DESIGN.md).
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import NamedTuple
from datetime import datetime, timezone

import duckdb

from perf.base.errors import PerfError
from perf.store.request_counts import COUNTS_SQL
from perf.store.runref import LATEST, reads_as_id
from perf.store.stats import STATS_VERSION, stats_of
from perf.reporter.compute.tables import run_names
from perf.store.metrics import METRICS, metric, metric_columns, metric_sql
from perf.reporter.query.selection import Selection
from perf.reporter.rows import AttackRow, CapacityRow, CellRunRow, CheckRow, HistoryRow, RunRow

# SUMMARY_SQL's columns besides the METRICS names. The attacks columns `duration_s` (the planned
# length) and `started_at`/`finished_at` are renamed, because `duration_s` is also the
# measured metric and `started_at` is the run's start (what history is ordered by).
ATTACK_KEYS = [
    "attack_id", "run_id", "endpoint", "method", "path", "server", "workers", "mode",
    "target_rate", "concurrency", "planned_duration_s", "attack_started_at",
    "attack_finished_at", "loadgen_cpu_max", "generator_ok", "generator_note",
    "started_at", "label", "git_commit", "repeat_index", "role", "background", "check_id",
]

# One row per attack whose attack_id is in the list $ids: the per-attack aggregates come from
# the attack_stats cache or, for attacks it lacks, straight from the raw rows
# (perf.store.stats.stats_of); every metric by its formula in the registry (perf.store.metrics).
SUMMARY_SQL = f"""
WITH a AS (
    SELECT * FROM attacks WHERE attack_id IN (SELECT unnest($ids::BIGINT[]))
),
st AS (
{stats_of("SELECT unnest($ids::BIGINT[])")}
)
SELECT
    a.attack_id, a.run_id, a.endpoint, a.method, a.path, a.server, a.workers, a.mode,
    a.target_rate, a.concurrency, a.duration_s AS planned_duration_s,
    timezone('UTC', a.started_at) AS attack_started_at,
    timezone('UTC', a.finished_at) AS attack_finished_at,
    a.loadgen_cpu_max, a.generator_ok, a.generator_note,
    timezone('UTC', runs.started_at) AS started_at, runs.label, runs.git_commit,
    coalesce(a.repeat_index, 0) AS repeat_index, a.role, a.background, a.check_id,
{metric_columns('st')}
FROM a
JOIN runs USING (run_id)
LEFT JOIN st USING (attack_id)
ORDER BY runs.started_at, a.run_id, a.attack_id
"""


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    # Timestamps leave SQL as naive UTC (reading TIMESTAMPTZ would need pytz); mark them UTC.
    # Only the timestamp columns are visited: a history reads tens of thousands of rows.
    stamps = [d[0] for d in cursor.description if str(d[1]).startswith("TIMESTAMP")]
    for row in rows:
        for key in stamps:
            value = row[key]
            if isinstance(value, datetime) and value.tzinfo is None:
                row[key] = value.replace(tzinfo=timezone.utc)
    return rows


def _row(cls, row: dict):
    """A typed row from the columns its class names (a store may hold more, or fewer)."""
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})


def _attack(row: dict, cls: type[AttackRow] = AttackRow, **extra) -> AttackRow:
    """A SUMMARY_SQL row: its ATTACK_KEYS, then every metric keyed by its registry name."""
    return cls(**{k: row[k] for k in ATTACK_KEYS},
               metrics={name: row[name] for name in METRICS}, **extra)


_RUN_FIELDS = tuple(f.name for f in fields(RunRow))


class _Named(NamedTuple):
    """What run_names reads of a run."""

    run_id: str
    label: str | None
    name: None = None


# Timestamps leave SQL as naive UTC (reading TIMESTAMPTZ would need pytz).
_WHOLE_RUN = ("runs.* REPLACE (timezone('UTC', started_at) AS started_at, "
              "timezone('UTC', finished_at) AS finished_at)")


def all_runs(con: duckdb.DuckDBPyConnection, named: bool = False) -> list[RunRow]:
    """Every run, oldest first, with its number of stored attacks (cheap: no request scan);
    `named`: each with the name run_names makes over every run in the store."""
    return _runs(con, _WHOLE_RUN, named=named)


def _run_index(con: duckdb.DuckDBPyConnection) -> list[RunRow]:
    """Every run with only what naming and picking runs read (id, start, label, status, stored
    attacks), named: `perf report` picks one run of a thousand, and reading every run's whole
    row (its config JSON parsed) cost more than the report of it."""
    return _runs(con, "run_id, timezone('UTC', started_at) AS started_at, label, status",
                 named=True)


def _runs(con: duckdb.DuckDBPyConnection, columns: str, *, named: bool = False,
          only: list[str] | None = None, names: dict[str, str] | None = None) -> list[RunRow]:
    """RunRows of the select list `columns` of table runs, with their stored attacks, oldest first; `only`:
    these runs; names made over every run (`named`) or given (`names`).

    Built straight from the fetched tuples: a dict, a field lookup and a dataclasses.replace
    per run cost 30 ms at 1,000 runs."""
    where = "WHERE list_contains($only, run_id)" if only is not None else ""
    cursor = con.execute(
        f"""
        SELECT {columns}, coalesce(n.attacks, 0) AS attacks
        FROM runs
        LEFT JOIN (SELECT run_id, count(*) AS attacks FROM attacks GROUP BY run_id) n
            USING (run_id)
        {where}
        ORDER BY started_at, run_id
        """,
        {"only": only} if only is not None else None,
    )
    at = {d[0]: i for i, d in enumerate(cursor.description)}
    rows = cursor.fetchall()
    keep = [f for f in _RUN_FIELDS if f in at]  # a store may hold more columns, or fewer
    if named:
        names = run_names([_Named(row[at["run_id"]], row[at["label"]]) for row in rows])
    runs = []
    for row in rows:
        values = {f: row[at[f]] for f in keep}
        # Timestamps leave SQL as naive UTC (reading TIMESTAMPTZ would need pytz); mark them UTC.
        for stamp in ("started_at", "finished_at"):
            if isinstance(values.get(stamp), datetime):
                values[stamp] = values[stamp].replace(tzinfo=timezone.utc)
        if isinstance(values.get("config"), str):
            values["config"] = json.loads(values["config"])
        runs.append(RunRow(**values, name=(names or {}).get(values["run_id"])))
    return runs


def add_request_counts(con: duckdb.DuckDBPyConnection, runs: list[RunRow]) -> list[RunRow]:
    """The runs with their `requests` (stored request rows), read from the attack_stats cache;
    only attacks the cache lacks (old stores, another STATS_VERSION) are counted row by row."""
    counts: dict[str, int] = {}
    uncached: list[int] = []
    if runs:
        for run_id, cached, missing in con.execute(
            f"""
            SELECT a.run_id, coalesce(sum(st.requests), 0)::BIGINT,
                list(a.attack_id) FILTER (WHERE st.attack_id IS NULL)
            FROM attacks a
            LEFT JOIN attack_stats st ON st.attack_id = a.attack_id AND st.version = {STATS_VERSION}
            WHERE list_contains($runs, a.run_id)
            GROUP BY a.run_id
            """,
            {"runs": [r.run_id for r in runs]},
        ).fetchall():
            counts[run_id] = cached
            uncached += missing or []
    if uncached:
        for run_id, n in con.execute(
            """
            SELECT a.run_id, count(*) FROM requests r JOIN attacks a USING (attack_id)
            WHERE r.attack_id IN (SELECT unnest($ids::BIGINT[]))
            GROUP BY a.run_id
            """,
            {"ids": uncached},
        ).fetchall():
            counts[run_id] += n
    return [replace(run, requests=counts.get(run.run_id, 0)) for run in runs]


def _run_names(runs: list[RunRow], limit: int = 5) -> str:
    shown = [r.run_id + (f" ({r.label})" if r.label else "") for r in runs[-limit:]]
    more = f" and {len(runs) - limit} older" if len(runs) > limit else ""
    return ", ".join(reversed(shown)) + more


def _resolve(ref: str, runs: list[RunRow], option: str = "--run") -> RunRow:
    """A run by exact id, unique id prefix, or label (the latest run carrying it)."""
    for run in runs:
        if run.run_id == ref:
            return run
    prefixed = [r for r in runs if reads_as_id(ref, r.run_id)]
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        ids = ", ".join(r.run_id for r in prefixed[:5])
        raise PerfError(f"{option} {ref} is ambiguous: it starts {len(prefixed)} run ids ({ids})")
    labelled = [r for r in runs if r.label == ref]
    if labelled:
        return labelled[-1]
    raise PerfError(f"no run with id, id prefix or label {ref!r}; runs in the store: {_run_names(runs)}")


def resolve_ref(ref: str, runs: list[RunRow], option: str = "--run") -> RunRow:
    """`latest`, `latest~N` (the Nth run before the latest, counting only runs that stored
    attacks), or a run id, unique id prefix or label."""
    match = LATEST.match(ref.strip())
    if not match:
        return _resolve(ref.strip(), runs, option)
    back = int(match.group(1) or 0)
    stored = [r for r in runs if r.attacks]
    if back >= len(stored):
        have = f"only {len(stored)} run(s) with results" if stored else "no run with results"
        raise PerfError(f"{option} {ref}: the store has {have}")
    return stored[-1 - back]


def capacity_rows(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> list[CapacityRow]:
    """Capacity-search results of these runs (table `capacity`), oldest capacity_id first."""
    rows = _dicts(con.execute(
        "SELECT * FROM capacity WHERE list_contains($runs, run_id) ORDER BY capacity_id",
        {"runs": list(run_ids)},
    ))
    return [_row(CapacityRow, {**r, "attack_ids": list(r["attack_ids"] or [])}) for r in rows]


def server_checks(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> list[CheckRow]:
    """The server self-checks of these runs (table `server_checks`), one per server start, in
    the order they ran."""
    return [_row(CheckRow, r) for r in _dicts(con.execute(
        """SELECT * REPLACE (timezone('UTC', checked_at) AS checked_at) FROM server_checks
           WHERE list_contains($runs, run_id) ORDER BY check_id""",
        {"runs": list(run_ids)},
    ))]


def select_runs(con: duckdb.DuckDBPyConnection, sel: Selection) -> list[RunRow]:
    """The runs a selection names, oldest first (each row: runs columns + attacks, requests);
    a --baseline run comes first, whatever its age.

    Without --run, only runs that stored at least one attack count as candidates: the
    default is the latest of them, --last N the N latest, --label all runs with that label.
    """
    runs = _run_index(con)
    picked = _pick_runs(runs, sel)
    if sel.baseline is not None:
        base = _resolve(sel.baseline, runs)
        if not base.attacks:
            raise PerfError(f"--baseline {sel.baseline}: run {base.run_id} has no stored attacks")
        picked = [r for r in picked if r.run_id != base.run_id]
        if not picked:
            raise PerfError(f"--baseline {sel.baseline} is the run being reported; "
                            "pick the candidate with --run, --last or --label")
        picked = [base] + picked  # first: every side-by-side column and change is against it
    whole = {r.run_id: r for r in _runs(con, _WHOLE_RUN, only=[r.run_id for r in picked],
                                        names={r.run_id: r.name for r in picked})}
    return add_request_counts(con, [whole[r.run_id] for r in picked])


def _pick_runs(runs: list[RunRow], sel: Selection) -> list[RunRow]:
    """Selection rules on the list of runs (see select_runs)."""
    if not runs:
        raise PerfError("the store has no runs yet; run `perf collect` first")
    if sel.runs:
        if sel.last is not None or sel.label is not None:
            raise PerfError("--run cannot be combined with --last or --label")
        chosen: dict[str, RunRow] = {}
        for ref in sel.runs:
            run = resolve_ref(ref, runs)
            chosen[run.run_id] = run
        picked = [r for r in runs if r.run_id in chosen]
        empty = [r for r in picked if not r.attacks]
        if empty and len(empty) == len(picked):
            run = empty[0]
            raise PerfError(
                f"run {run.run_id} has no stored attacks (status {run.status}); "
                f"runs with results: {_run_names([r for r in runs if r.attacks])}"
            )
        return picked
    candidates = [r for r in runs if r.attacks]
    if sel.label is not None:
        candidates = [r for r in candidates if r.label == sel.label]
        if not candidates:
            labels = sorted({r.label for r in runs if r.label})
            raise PerfError(
                f"no run with results is labelled {sel.label!r}; labels in the store: "
                + (", ".join(labels) if labels else "none")
            )
    if not candidates:
        raise PerfError(
            f"no run in the store has stored attacks yet; runs: {_run_names(runs)}"
        )
    if sel.last is not None:
        if sel.last < 1:
            raise PerfError("--last must be at least 1")
        return candidates[-sel.last:]
    if sel.label is not None:
        return candidates
    return candidates[-1:]


def _attack_filter(sel: Selection) -> tuple[str, dict]:
    clauses, params = [], {}
    if sel.endpoints:
        clauses.append("(list_contains($endpoints, endpoint) OR list_contains($endpoints, path))")
        params["endpoints"] = list(sel.endpoints)
    if sel.prefixes:
        # Whole path segments, as in `perf collect --filter`: /api/simple/async does not
        # match /api/simple/async_blocking.
        clauses.append(
            "EXISTS (SELECT 1 FROM unnest($prefixes::VARCHAR[]) AS p(prefix), "
            "LATERAL (SELECT rtrim(p.prefix, '/') AS stem) "
            "WHERE stem = '' OR path = stem OR starts_with(path, stem || '/') "
            "OR endpoint = stem OR starts_with(endpoint, stem || '/'))"
        )
        params["prefixes"] = list(sel.prefixes)
    if sel.workers:
        clauses.append("list_contains($workers, workers)")
        params["workers"] = [int(w) for w in sel.workers]
    return " AND ".join(clauses) or "true", params


def selected_attack_ids(con: duckdb.DuckDBPyConnection, run_ids: list[str], sel: Selection) -> list[int]:
    where, params = _attack_filter(sel)
    rows = con.execute(
        f"""
        SELECT attack_id FROM attacks
        WHERE list_contains($runs, run_id) AND {where}
        ORDER BY attack_id
        """,
        {"runs": list(run_ids), **params},
    ).fetchall()
    return [r[0] for r in rows]


def _summary_dicts(con: duckdb.DuckDBPyConnection, attack_ids: list[int]) -> list[dict]:
    if not attack_ids:
        return []
    return _dicts(con.execute(SUMMARY_SQL, {"ids": list(attack_ids)}))


def summaries(con: duckdb.DuckDBPyConnection, attack_ids: list[int]) -> list[AttackRow]:
    """Exact metrics of the given attacks, computed from their raw rows."""
    return [_attack(row) for row in _summary_dicts(con, attack_ids)]


def attack_summaries(con: duckdb.DuckDBPyConnection, run_ids: list[str], sel: Selection) -> list[AttackRow]:
    """One row per selected attack of these runs, runs oldest first.

    Raises PerfError naming what the runs hold when the filters leave nothing.
    """
    return summaries(con, _selected_or_error(con, run_ids, sel))


def cell_runs(con: duckdb.DuckDBPyConnection, run_ids: list[str], sel: Selection,
              metrics: list[str]) -> list[CellRunRow]:
    """One row per cell of each of these runs (compute.verdicts.Cell's keys), with the
    `metrics` (registry names) of its selected attacks, as floats (None where not a finite
    number); in no particular order.

    What perf history reads: the repeats are grouped in SQL and only the asked metrics leave
    it, so a thousand runs cost one row per cell and run, not an AttackRow per attack.
    """
    for name in metrics:
        metric(name)  # a name outside the registry is an error, not SQL
    where, params = _attack_filter(sel)
    one = "".join(f", CASE WHEN count(*) = 1 THEN any_value({m}) END" for m in metrics)
    many = "".join(f", CASE WHEN count(*) > 1 THEN list({m}) END" for m in metrics)
    # SUMMARY_SQL's metric formulas, only the asked ones, over the selected attacks; as
    # compute.changepoints reads a value: a float, None where it is not a finite number.
    asked = "".join(f",\n    CASE WHEN isfinite(({metric_sql(m, 'st')})::DOUBLE) "
                    f"THEN ({metric_sql(m, 'st')})::DOUBLE END AS {m}" for m in metrics)
    selected = f"SELECT attack_id FROM attacks WHERE list_contains($runs, run_id) AND {where}"
    rows = con.execute(
        f"""
        WITH st AS (
        {stats_of(selected)}
        ),
        summary AS (
            SELECT a.run_id, a.endpoint, a.method, a.mode, a.target_rate, a.concurrency,
                a.workers, a.server, a.role, a.background{asked}
            FROM attacks a LEFT JOIN st USING (attack_id)  -- an attack with no request too
            WHERE a.attack_id IN ({selected})
        )
        SELECT run_id, endpoint, method, mode,
            CASE WHEN mode = 'rate' THEN target_rate END AS rate,
            CASE WHEN mode <> 'rate' THEN concurrency END AS clients,
            workers, server, role, background, count(*)::INTEGER{one}{many}
        FROM summary
        GROUP BY ALL
        """,
        {"runs": list(run_ids), **params},
    ).fetchall()
    if not rows:
        _selected_or_error(con, run_ids, sel)  # says what the runs hold
    k = len(metrics)
    return [CellRunRow(run_id, endpoint, method, mode, rate if mode == "rate" else clients,
                       workers, server, role, background, n,
                       tuple(rest[:k] if n == 1 else rest[k:]))
            for run_id, endpoint, method, mode, rate, clients, workers, server, role, background,
            n, *rest in rows]


def _selected_or_error(con: duckdb.DuckDBPyConnection, run_ids: list[str], sel: Selection) -> list[int]:
    """The selected attacks' ids; PerfError naming what the runs hold when there are none."""
    ids = selected_attack_ids(con, run_ids, sel)
    if not ids:
        endpoints = [r[0] for r in con.execute(
            "SELECT DISTINCT endpoint FROM attacks WHERE list_contains($runs, run_id) ORDER BY 1",
            {"runs": list(run_ids)},
        ).fetchall()]
        workers = [r[0] for r in con.execute(
            "SELECT DISTINCT workers FROM attacks WHERE list_contains($runs, run_id) "
            "AND workers IS NOT NULL ORDER BY 1",
            {"runs": list(run_ids)},
        ).fetchall()]
        raise PerfError(
            f"no attack matches {sel.describe()} in run(s) {', '.join(run_ids)}; "
            f"endpoints there: {', '.join(endpoints) or 'none'}; "
            f"workers: {', '.join(map(str, workers)) or 'none'}"
        )
    return ids


def request_counts(con: duckdb.DuckDBPyConnection, attack_ids: list[int]
                   ) -> tuple[dict[int, dict[int, int]], dict[int, dict[str, int]]]:
    """({attack_id: {status code: requests}}, {attack_id: {error kind: requests}}), read in one
    query; code 0 means no response (timeout, refused); error kinds most frequent first, none
    when there were no errors."""
    codes: dict[int, dict[int, int]] = {int(a): {} for a in attack_ids}
    kinds: dict[int, dict[str, int]] = {int(a): {} for a in attack_ids}
    if not attack_ids:
        return codes, kinds
    rows = con.execute(f"SELECT attack_id, code, kind, n FROM ({COUNTS_SQL})",
                       {"ids": list(attack_ids)}).fetchall()
    by_code: dict[tuple[int, int], int] = {}
    by_kind: dict[tuple[int, str], int] = {}
    for attack_id, code, kind, n in rows:
        by_code[attack_id, int(code)] = by_code.get((attack_id, int(code)), 0) + n
        if kind is not None:
            by_kind[attack_id, kind] = by_kind.get((attack_id, kind), 0) + n
    for (attack_id, code), n in sorted(by_code.items()):
        codes[attack_id][code] = n
    for (attack_id, kind), n in sorted(by_kind.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
        kinds[attack_id][kind] = n
    return codes, kinds


def error_samples(con: duckdb.DuckDBPyConnection, attack_ids: list[int]) -> dict[int, dict[int, bytes]]:
    """{attack_id: {failing status code: the first 2 KB of one response with it}}."""
    out: dict[int, dict[int, bytes]] = {}
    if not attack_ids:
        return out
    for attack_id, code, body in con.execute(
        "SELECT attack_id, code, body FROM error_samples "
        "WHERE attack_id IN (SELECT unnest($ids::BIGINT[])) ORDER BY attack_id, code",
        {"ids": list(attack_ids)},
    ).fetchall():
        out.setdefault(attack_id, {})[int(code)] = bytes(body)
    return out


CELL_KEYS = ("endpoint", "server", "workers", "mode", "target_rate", "concurrency")


def history(con: duckdb.DuckDBPyConnection, attacks: list[AttackRow],
            window: int | None = None) -> list[HistoryRow]:
    """Summaries of the attacks in the store on the same cells as `attacks`
    (same endpoint, server, workers, mode, target_rate/concurrency), ordered by run start;
    each row also carries its run's `run_name` (compute.run_names over the whole store).

    `window`: only each cell's last `window` runs (and the runs of `attacks`, however old), so
    a report's cost stays flat as the store grows; None: every run."""
    cells = {(a.endpoint, a.server, a.workers, a.mode, a.target_rate, a.concurrency)
             for a in attacks}
    if not cells:
        return []
    rows = con.execute(
        """
        SELECT attack_id FROM (
            SELECT a.attack_id, a.run_id,
                dense_rank() OVER (
                    PARTITION BY a.endpoint, a.mode, a.server, a.workers, a.target_rate, a.concurrency
                    ORDER BY runs.started_at DESC, a.run_id DESC) AS runs_back
            FROM attacks a
            JOIN runs USING (run_id)
            JOIN (SELECT unnest($cells::STRUCT(
                    endpoint VARCHAR, server VARCHAR, workers INTEGER, mode VARCHAR,
                    target_rate DOUBLE, concurrency INTEGER)[], recursive := true)) c
              ON a.endpoint = c.endpoint
             AND a.mode = c.mode
             AND a.server IS NOT DISTINCT FROM c.server
             AND a.workers IS NOT DISTINCT FROM c.workers
             AND a.target_rate IS NOT DISTINCT FROM c.target_rate
             AND a.concurrency IS NOT DISTINCT FROM c.concurrency
        )
        WHERE $window IS NULL OR runs_back <= $window OR list_contains($selected, run_id)
        ORDER BY attack_id
        """,
        {"cells": [dict(zip(CELL_KEYS, cell)) for cell in sorted(cells, key=repr)],
         "window": window, "selected": sorted({a.run_id for a in attacks})},
    ).fetchall()
    names = {run.run_id: run.name for run in _run_index(con)}
    return [_attack(row, HistoryRow, run_name=names[row["run_id"]])
            for row in _summary_dicts(con, [r[0] for r in rows])]
