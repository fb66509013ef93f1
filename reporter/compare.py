"""`perf compare` and `perf history` as one call each: query the store -> compute
(perf.reporter.compute.verdicts, perf.reporter.compute.changepoints) -> render (perf.reporter.render.compare,
perf.reporter.render.history)."""

from __future__ import annotations

import duckdb

from perf.base.errors import PerfError
from perf.reporter.compute import tables as compute
from perf.reporter.query import attacks as query
from perf.reporter.compute.changepoints import History, attack_points, cell_histories, cell_run_points
from perf.reporter.compute.verdicts import Comparison, compare_runs, verdict_rows
from perf.reporter.query.selection import Selection
from perf.reporter.compute.thresholds import KEY_METRICS as KEY_METRICS_OF, CompareSettings
from perf.reporter.rows import RunRow

COMPARE_FORMATS = ("text", "json", "markdown", "html")
HISTORY_FORMATS = ("text", "json", "markdown")


def pick_runs(runs: list[RunRow], base_ref: str | None, candidate_ref: str | None
              ) -> tuple[RunRow, RunRow]:
    """BASE and CANDIDATE from their references; by default the two newest runs with results
    (with only BASE given, the candidate is the newest)."""
    if not runs:
        raise PerfError("the store has no runs yet; run `perf collect` first")
    candidate = query.resolve_ref(candidate_ref or "latest", runs, "CANDIDATE")
    base = query.resolve_ref(base_ref or "latest~1", runs, "BASE")
    if base.run_id == candidate.run_id:
        raise PerfError(f"BASE and CANDIDATE are the same run ({base.run_id}); "
                        "name two runs, e.g. `perf compare latest~1 latest`")
    for role, run in (("BASE", base), ("CANDIDATE", candidate)):
        if not run.attacks:
            raise PerfError(f"{role} run {run.run_id} has no stored attacks "
                            f"(status {run.status})")
    return base, candidate


def named_runs(runs: list[RunRow]) -> dict[str, str]:
    """{run_id: name}: a run's label when no other of these runs carries it, else its short id
    (compute.run_names)."""
    short = compute.run_names(runs)
    labels = [r.label for r in runs]
    return {r.run_id: r.label if r.label and labels.count(r.label) == 1
            else short[r.run_id] for r in runs}


def pooled_runs(runs: list[RunRow], ref: str | None, role: str) -> list[RunRow]:
    """--pool: every run with results that carries the label `ref`, oldest first. Runs of the
    two sides collected in alternation (base, head, base, head, ...) are pooled, so a drift of
    the machine between runs counts as noise that both sides share, not as a change."""
    if not ref:
        raise PerfError(f"--pool compares labels: name {role}, e.g. `perf compare base head --pool`")
    pool = [r for r in runs if r.label == ref and r.attacks]
    if not pool:
        labels = sorted({r.label for r in runs if r.label and r.attacks})
        raise PerfError(f"--pool: no run with results carries the label {ref!r} ({role}); labels "
                        f"in the store: {', '.join(labels) or 'none'}")
    return pool


def build_comparison(con: duckdb.DuckDBPyConnection, base_ref: str | None,
                     candidate_ref: str | None, sel: Selection,
                     settings: CompareSettings, pool: bool = False) -> Comparison:
    runs = query.all_runs(con)
    if pool:
        base_pool = pooled_runs(runs, base_ref, "BASE")
        candidate_pool = pooled_runs(runs, candidate_ref, "CANDIDATE")
        if base_ref == candidate_ref:
            raise PerfError(f"BASE and CANDIDATE are the same label ({base_ref})")
    else:
        base, candidate = pick_runs(runs, base_ref, candidate_ref)
        base_pool, candidate_pool = [base], [candidate]
    counted = query.add_request_counts(con, base_pool + candidate_pool)
    base_pool, candidate_pool = counted[:len(base_pool)], counted[len(base_pool):]
    base, candidate = base_pool[-1], candidate_pool[-1]
    sides = {"base": [r.run_id for r in base_pool],
             "candidate": [r.run_id for r in candidate_pool]}
    attacks = query.attack_summaries(con, sides["base"] + sides["candidate"], sel)
    of = {side: [a for a in attacks if a.run_id in ids] for side, ids in sides.items()}
    capacity = query.capacity_rows(con, sides["base"] + sides["candidate"])
    names = named_runs([base, candidate])
    if pool:  # a pool is named by its label
        names = {base.run_id: base_ref, candidate.run_id: candidate_ref}
    result = compare_runs(
        base, candidate, of["base"], of["candidate"], settings, names,
        [r for r in capacity if r.run_id in sides["base"]],
        [r for r in capacity if r.run_id in sides["candidate"]],
        query.server_checks(con, sides["base"] + sides["candidate"]))
    result.base_pool, result.candidate_pool = base_pool, candidate_pool
    if not result.cells and not result.capacity:
        raise PerfError(
            f"no cell of run {names[base.run_id]} matches one of run "
            f"{names[candidate.run_id]} (same endpoint, rate or concurrency, workers, "
            f"server, background): base has {_some(result.only_base)}; candidate has "
            f"{_some(result.only_candidate)}")
    return result


def _some(cells, limit: int = 3) -> str:
    shown = [c.title() for c in cells[:limit]]
    more = f" and {len(cells) - limit} more" if len(cells) > limit else ""
    return (", ".join(shown) + more) or "nothing selected"


def build_history(con: duckdb.DuckDBPyConnection, sel: Selection, last: int | None,
                  metrics: list[str], settings: CompareSettings) -> History:
    runs = [r for r in query.all_runs(con) if r.attacks]
    if not runs:
        raise PerfError("the store has no run with results yet; run `perf collect` first")
    if last is not None:
        if last < 1:
            raise PerfError("--last must be at least 1")
        runs = runs[-last:]
    rows = query.cell_runs(con, [r.run_id for r in runs], sel, [KEY_METRICS_OF[m] for m in metrics])
    names = named_runs(runs)
    return History(runs, names, metrics, settings,
                   cell_histories(cell_run_points(rows, runs, names, metrics), metrics, settings))


def compare_dashboard(con: duckdb.DuckDBPyConnection, result: Comparison, sel: Selection,
                      settings: CompareSettings):
    """perf compare --format html: the dashboard of both runs, the base drawn under the
    candidate, the verdict table at the top, change points on the history charts."""
    from dataclasses import replace

    from perf.reporter.report import build_report

    # The dashboard draws one run a side: the newest of each pool.
    runs = [result.base.run_id, result.candidate.run_id]
    both = replace(sel, runs=runs, last=None, label=None, baseline=runs[0])
    report = build_report(con, both, with_history=True, with_series=True)
    add_verdicts(report, result)
    add_change_points(report, settings)
    return report


def add_verdicts(report, result: Comparison) -> None:
    from perf.reporter.render.compare import headline

    report.verdicts = verdict_rows(result)
    report.verdict_headline = (f"{result.names[result.base.run_id]} → "
                               f"{result.names[result.candidate.run_id]}: {headline(result)}")


def baseline_verdicts(con: duckdb.DuckDBPyConnection, report, settings: CompareSettings) -> None:
    """perf report --baseline RUN, as a dashboard: the baseline against the newest other run."""
    if report.baseline is None or len(report.runs) < 2:
        return
    base, candidate = report.runs[0], report.runs[-1]
    of = {r.run_id: [a for a in report.attacks if a.run_id == r.run_id]
          for r in (base, candidate)}
    capacity = query.capacity_rows(con, [base.run_id, candidate.run_id])
    result = compare_runs(
        base, candidate, of[base.run_id], of[candidate.run_id], settings,
        named_runs([base, candidate]),
        [r for r in capacity if r.run_id == base.run_id],
        [r for r in capacity if r.run_id == candidate.run_id], report.checks)
    if result.cells or result.capacity:
        add_verdicts(report, result)


def add_change_points(report, settings: CompareSettings) -> None:
    """Mark on the dashboard's history charts the runs after which a metric shifted (the
    change points perf history finds), keyed as the charts look them up."""
    from perf.reporter.compute.changepoints import HISTORY_METRICS
    from perf.reporter.compute.thresholds import ALIASES

    if not report.history:
        return
    # The history rows carry their run's id, label, commit and start: its run, as far as
    # history needs one.
    runs = list({row.run_id: RunRow(row.run_id, started_at=row.started_at, label=row.label,
                                    git_commit=row.git_commit)
                 for row in sorted(report.history, key=lambda r: (r.started_at, r.run_id))
                 }.values())
    names = {r.run_id: r.run_id for r in runs}
    shorts = [ALIASES[m] for m in HISTORY_METRICS if m in ALIASES]
    for h in cell_histories(attack_points(report.history, runs, names, shorts), shorts, settings):
        for short, points in h.change_points.items():
            if points:
                key = compute.series_key(h.cell.endpoint, h.cell.server, h.cell.workers,
                                         h.cell.mode, h.cell.load, KEY_METRICS_OF[short])
                report.change_points[key] = [cp.index for cp in points]


def render_comparison(result: Comparison, fmt: str, *, ascii: bool = True, width: int = 100,
                      history_url: str | None = None) -> str:
    from perf.reporter.render import compare as render_compare

    if fmt == "markdown":
        return render_compare.render_markdown(result, history_url=history_url)
    return _rendered(render_compare, result, fmt, COMPARE_FORMATS, ascii, width)


def render_history(result: History, fmt: str, *, ascii: bool = True, width: int = 100) -> str:
    from perf.reporter.render import history as render_history

    return _rendered(render_history, result, fmt, HISTORY_FORMATS, ascii, width)


def _rendered(module, result, fmt: str, formats: tuple[str, ...], ascii: bool, width: int) -> str:
    """The module's render_text / render_json / render_markdown of the result."""
    if fmt == "text":
        return module.render_text(result, ascii=ascii, width=width)
    if fmt in ("json", "markdown") and fmt in formats:
        return getattr(module, f"render_{fmt}")(result)
    raise PerfError(f"unknown format {fmt!r}; known: {', '.join(formats)}")
