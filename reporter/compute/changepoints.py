"""perf history: each cell's runs in time order, and the change points in each metric's series
(the runs after which it shifted, and by how much). Pure functions on plain data.

The method follows what performance teams run on CI histories (MongoDB's and Apache Otava's
E-divisive with a significance test): propose change points, then keep only those that
separate two significantly different segments. Here the proposals come from PELT (Killick et
al. 2012, compute/pelt.py: ruptures' algorithm in numpy) on the log of the series, with a BIC-like penalty of
3·σ²·ln n where σ is a robust estimate of the series' noise; each proposal must then pass Welch's t-test (compute/ttests.py) between its two
neighbouring segments and the metric's compare threshold (a shift too small to gate a pull
request is not reported either). The weakest failing proposal is dropped and the rest tested
again, until all pass. Otava itself could not be used: it pins numpy==2.2.0 and pulls in
BigQuery, Postgres and Slack clients; MongoDB's signal-processing-algorithms pins numpy<2 and
Python < 3.12.
"""

from __future__ import annotations

import math
import statistics
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from perf.reporter.compute.pelt import pelt_l2_many
from perf.reporter.compute.verdicts import Cell, cells_of, welch_p
from perf.store.metrics import METRICS
from perf.reporter.compute.thresholds import KEY_METRICS, CompareSettings, Threshold
from perf.reporter.rows import AttackRow, CellRunRow, RunRow

# The metrics whose history the dashboard charts, marked with their change points.
HISTORY_METRICS = ["latency_p50_ms", "latency_p99_ms", "achieved_rps", "cpu_s_per_1k"]
ALPHA = 0.01  # per proposed change point; a history is read often, a false mark costs trust
MIN_SEGMENT = 2  # runs on each side of a change point: one run is an outlier, not a level


@dataclass(frozen=True)
class ChangePoint:
    index: int  # the first value of the new level: the series shifted after values[index - 1]
    before: float  # median of the segment before
    after: float  # median of the segment after (up to the next change point)
    change: float | None  # relative (fraction), percentage points for ratios; None from 0
    p_value: float

    def as_dict(self) -> dict:
        return {"index": self.index, "before": self.before, "after": self.after,
                "change": self.change, "p_value": self.p_value}


def _noise(x: np.ndarray) -> float:
    """The series' noise (standard deviation), from successive differences: a level shift
    moves one difference, the median absolute deviation ignores it."""
    diffs = np.diff(x)
    mad = _middle(np.abs(diffs - _middle(diffs)))
    return 1.4826 * mad / math.sqrt(2)


def _middle(x: np.ndarray) -> float:
    """np.median of a 1-D array of finite numbers, to the bit; np.median itself imports
    numpy.ma on first use (15 ms of every perf history)."""
    n = len(x)
    part = np.partition(x, [(n - 1) // 2, n // 2])
    return float((part[(n - 1) // 2] + part[n // 2]) / 2)


def _penalty(x: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(x))), 1.0)
    sigma = max(_noise(x), 1e-4 * scale)  # a perfectly flat stretch must not make pen zero
    # BIC would charge 2σ²·ln n. Measured on sixteen runs of pure noise, with the t-test but no
    # threshold: 2 leaves a false change point in 10% of histories, 3 in 5%.
    return 3 * sigma**2 * math.log(len(x))


def change_points(values: list[float], threshold: Threshold | None = None, *,
                  ratio: bool = False, alpha: float = ALPHA,
                  min_size: int = MIN_SEGMENT) -> list[ChangePoint]:
    """The change points of a series (oldest first); None values are not allowed.

    `threshold` (default: a 5% shift) is the smallest shift reported; `ratio` series (success)
    are compared in percentage points rather than on a log scale.
    """
    return change_points_many([(values, threshold, ratio)], alpha=alpha, min_size=min_size)[0]


def change_points_many(series: list[tuple[list[float], Threshold | None, bool]], *,
                       alpha: float = ALPHA, min_size: int = MIN_SEGMENT) -> list[list[ChangePoint]]:
    """change_points of many (values, threshold, ratio) series: PELT proposes for all of them
    at once (pelt.pelt_l2_many), then each proposal is confirmed series by series."""
    prepared = []
    for values, threshold, ratio in series:
        v = np.asarray(values, dtype=float)
        if len(v) < 2 * min_size or not np.all(np.isfinite(v)):
            prepared.append(None)
            continue
        log = not ratio and bool(np.all(v > 0))
        prepared.append((v, np.log(v) if log else v, log))
    proposed = pelt_l2_many([p[1] for p in prepared if p], [_penalty(p[1]) for p in prepared if p],
                            min_size)
    out, at = [], 0
    for (_, threshold, ratio), p in zip(series, prepared):
        if p is None:
            out.append([])
            continue
        out.append(_confirmed(p[0], proposed[at], threshold or Threshold("p50", relative=0.05),
                              ratio, p[2], alpha))
        at += 1
    return out


def _confirmed(v: np.ndarray, points: list[int], threshold: Threshold, ratio: bool, log: bool,
               alpha: float) -> list[ChangePoint]:
    """The proposals that pass Welch's test and the threshold, dropping the weakest failing
    one and testing again until every one left passes."""
    while points:
        bounds = [0, *points, len(v)]
        tested = []
        for i, cp in enumerate(points):
            left, right = list(v[bounds[i]:cp]), list(v[cp:bounds[i + 2]])
            p = welch_p(left, right, log=log)
            before, after = statistics.median(left), statistics.median(right)
            ok = p < alpha and threshold.exceeded(before, after)
            tested.append((ok, p, cp, before, after))
        failing = [t for t in tested if not t[0]]
        if not failing:
            return [ChangePoint(cp, before, after, _shift(before, after, ratio), p)
                    for _, p, cp, before, after in tested]
        weakest = max(failing, key=lambda t: t[1])
        points = [cp for cp in points if cp != weakest[2]]
    return []


def _shift(before: float, after: float, ratio: bool) -> float | None:
    """Percentage points for ratios, else relative; None from a level of 0 (no relative
    change: JSON has no Infinity)."""
    if ratio:
        return (after - before) * 100
    return (after - before) / before if before else None


@dataclass
class RunPoint:
    """One run's value of a cell: the median over its repeats."""

    run_id: str
    name: str
    label: str | None
    git_commit: str | None
    started_at: datetime | None
    attacks: int  # repeats of the cell in this run
    values: dict[str, float | None]  # short metric name -> median over the repeats

    def as_dict(self) -> dict:
        started = self.started_at.isoformat().replace("+00:00", "Z") if self.started_at else None
        return {"run_id": self.run_id, "name": self.name, "label": self.label,
                "git_commit": self.git_commit, "started_at": started, "attacks": self.attacks,
                "values": self.values}


@dataclass
class CellHistory:
    cell: Cell
    points: list[RunPoint]
    change_points: dict[str, list[ChangePoint]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why it has no analysis

    def as_dict(self) -> dict:
        return {
            "cell": self.cell.as_dict(), "title": self.cell.title(),
            "runs": [p.as_dict() for p in self.points],
            "change_points": {
                name: [{**cp.as_dict(),
                        "after_run": self.points[cp.index - 1].run_id,
                        "first_run": self.points[cp.index].run_id} for cp in cps]
                for name, cps in self.change_points.items()},
            "skipped": self.skipped,
        }


@dataclass
class History:
    runs: list[RunRow]
    names: dict[str, str]
    metrics: list[str]  # short names
    settings: CompareSettings
    cells: list[CellHistory]


def _median(values: list) -> float | None:
    """A run's value of a metric: the median over its repeats (of one attack, its value), the
    values that are not finite numbers left out."""
    kept = [float(v) for v in values if v is not None and math.isfinite(v)]
    return statistics.median(kept) if kept else None


def attack_points(attacks: list[AttackRow], runs: list[RunRow], names: dict[str, str],
                  metrics: list[str]) -> dict[Cell, list[RunPoint]]:
    """Per cell: its runs in time order, each with every metric's median over its repeats."""
    order = {r.run_id: i for i, r in enumerate(runs)}
    by_run = {r.run_id: r for r in runs}
    of_run: dict[str, list[AttackRow]] = {}
    for a in attacks:  # grouped once: a scan per run grows with runs x attacks
        of_run.setdefault(a.run_id, []).append(a)
    per_cell: dict[Cell, list[RunPoint]] = {}
    columns = [(name, KEY_METRICS[name]) for name in metrics]
    for run_id in order:
        run = by_run[run_id]
        for cell, cell_attacks in cells_of(of_run.get(run_id, [])).items():
            values = {name: _median([a.metrics.get(column) for a in cell_attacks])
                      for name, column in columns}
            per_cell.setdefault(cell, []).append(
                RunPoint(run_id, names[run_id], run.label, run.git_commit, run.started_at,
                         len(cell_attacks), values))
    return per_cell


def cell_run_points(rows: list[CellRunRow], runs: list[RunRow], names: dict[str, str],
                    metrics: list[str]) -> dict[Cell, list[RunPoint]]:
    """attack_points of cells whose repeats were grouped in SQL (query.cell_runs, asked for
    the registry names of `metrics`, in that order)."""
    order = {r.run_id: i for i, r in enumerate(runs)}
    by_run = {r.run_id: r for r in runs}
    per_key: dict[tuple, list[tuple[int, RunPoint]]] = {}
    for row in rows:
        run = by_run[row.run_id]
        # One attack: its values as they are (the query made them floats or None).
        values = (dict(zip(metrics, row.values)) if row.attacks == 1 else
                  {name: _median(v) for name, v in zip(metrics, row.values)})
        point = RunPoint(row.run_id, names[row.run_id], run.label, run.git_commit,
                         run.started_at, row.attacks, values)
        # A plain tuple per row; the Cell (a dataclass, slower to hash) once per cell.
        per_key.setdefault(row[1:9], []).append((order[row.run_id], point))
    return {Cell(*key): [point for _, point in sorted(points, key=lambda p: p[0])]
            for key, points in per_key.items()}


def cell_histories(per_cell: dict[Cell, list[RunPoint]], metrics: list[str],
                   settings: CompareSettings) -> list[CellHistory]:
    """Each cell's history (attack_points, cell_run_points) in cell order, with the change
    points of each metric's series."""
    out, jobs = [], []
    # Each metric's series in one transposition (a dict lookup per run and metric cost 35 ms
    # of a thousand-run history).
    row = itemgetter(*metrics) if len(metrics) > 1 else (lambda v: (v[metrics[0]],))
    for cell in sorted(per_cell, key=Cell.sort_key):
        history = CellHistory(cell, per_cell[cell])
        table = [row(p.values) for p in history.points]
        for name, series in zip(metrics, map(list, zip(*table)) if table else [[]] * len(metrics)):
            if None in series:
                history.skipped[name] = "a run has no value"
                continue
            jobs.append((history, name, series))
        out.append(history)
    # Every series at once: PELT splits the series of one length together.
    found = change_points_many([(series, settings.thresholds[name],
                                 METRICS[KEY_METRICS[name]].unit == "ratio")
                                for _, name, series in jobs])
    for (history, name, _), cps in zip(jobs, found):
        history.change_points[name] = cps
    return out
