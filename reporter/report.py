"""`perf report` as one call: query the store -> compute -> render in the chosen format."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from perf.base.errors import PerfError
from perf.reporter.query import attacks as query
from perf.reporter.query.selection import Selection
from perf.reporter.rows import AttackRow, CapacityRow, CheckRow, HistoryRow, OverTime, RunRow, Spectrum


@dataclass
class Report:
    runs: list[RunRow]  # query.select_runs, oldest first (a --baseline run first)
    attacks: list[AttackRow]  # query.attack_summaries
    statuses: dict[int, dict[int, int]] = field(default_factory=dict)  # attack_id -> code -> n
    errors: dict[int, dict[str, int]] = field(default_factory=dict)  # attack_id -> kind -> n
    # attack_id -> failing status code -> the first 2 KB of one response body with it
    error_samples: dict[int, dict[int, bytes]] = field(default_factory=dict)
    history: list[HistoryRow] = field(default_factory=list)  # same cells, their last runs (query.history)
    # The dashboard's within-attack data (with_series): attack_id -> series.OverTime / Spectrum.
    over_time: dict[int, OverTime] | None = None
    spectra: dict[int, Spectrum] = field(default_factory=dict)
    baseline: str | None = None  # run_id of --baseline: runs[0], drawn under the others
    # perf compare's verdict rows (compute.verdicts.verdict_rows, JSON-able dicts: cell, metric,
    # base, candidate, change, verdict, rests on, ...), drawn as a table at the top of the
    # dashboard when present.
    verdicts: list[dict] = field(default_factory=list)
    verdict_headline: str | None = None  # "base → pr: 1 regression", above the verdict table
    # Change points of the history charts: compute.history_series_key(row, metric) -> the
    # indexes, oldest first, of the runs of that series where a change was detected.
    change_points: dict[str, list[int]] = field(default_factory=dict)
    # The server self-checks of these runs (query.server_checks): one per server start.
    checks: list[CheckRow] = field(default_factory=list)
    # Capacity searches of the selected cells (query.capacity_rows).
    capacity: list[CapacityRow] = field(default_factory=list)


# The runs of each cell a dashboard's history charts draw by default: enough for a trend and
# its change points, while the report's cost stays flat as the store grows (perf history and
# --history 0 show every run).
HISTORY_WINDOW = 100


def build_report(
    con: duckdb.DuckDBPyConnection, sel: Selection, with_history: bool = True,
    with_series: bool = False, history_window: int | None = HISTORY_WINDOW,
) -> Report:
    """Everything a renderer needs, read from the store in a handful of SQL queries.

    `with_history` adds the same cells from the last `history_window` runs holding each (None:
    every run in the store), the dashboard's trends;
    `with_series` each attack's latency over time and percentile spectrum (the dashboard's
    within-attack charts). Text, json, csv and markdown use neither, so the CLI skips them.
    """
    runs = query.select_runs(con, sel)
    run_ids = [r.run_id for r in runs]
    attacks = query.attack_summaries(con, run_ids, sel)
    ids = [a.attack_id for a in attacks]
    cells = {(a.run_id, a.endpoint, a.workers) for a in attacks}
    statuses, errors = query.request_counts(con, ids)
    report = Report(
        runs=runs,
        attacks=attacks,
        statuses=statuses,
        errors=errors,
        error_samples=query.error_samples(con, ids),
        history=query.history(con, attacks, history_window) if with_history else [],
        baseline=runs[0].run_id if sel.baseline is not None else None,
        checks=query.server_checks(con, run_ids),
        # A search belongs to the report when its cell was selected (--filter, --workers).
        capacity=[c for c in query.capacity_rows(con, run_ids)
                  if (c.run_id, c.endpoint, c.workers) in cells],
    )
    if with_series:
        from perf.reporter.query import series  # numpy: only the dashboard needs it

        points = series.per_series_points(len(ids))
        report.over_time = series.over_time_many(con, ids, points)
        report.spectra = series.spectra(con, ids)
    return report


@dataclass(frozen=True)
class RenderOptions:
    ascii: bool = True  # text: plain ASCII rather than rich
    width: int = 100  # text: columns
    plotlyjs: str = "embed"  # html: embed plotly.js or load it from its CDN
    charts: list[str] | None = None  # text, markdown: metrics drawn as bars


def _text(report: Report, o: RenderOptions) -> str:
    from perf.reporter.render.text import render_text
    return render_text(report, ascii=o.ascii, width=o.width, charts=o.charts)


def _json(report: Report, o: RenderOptions) -> str:
    from perf.reporter.render.json_doc import render_json
    return render_json(report)


def _csv(report: Report, o: RenderOptions) -> str:
    from perf.reporter.render.csv_rows import render_csv
    return render_csv(report)


def _markdown(report: Report, o: RenderOptions) -> str:
    from perf.reporter.render.markdown import render_markdown
    return render_markdown(report, charts=o.charts)


def _html(report: Report, o: RenderOptions) -> str:
    from perf.reporter.render.dashboard import render_html
    return render_html(report, plotlyjs=o.plotlyjs)


# Every renderer is a function of the report alone (and its options); each module is imported
# only when its format is asked for (the dashboard's pulls in plotly).
RENDERERS = {"text": _text, "json": _json, "csv": _csv, "markdown": _markdown, "html": _html}
FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str, *, ascii: bool = True, width: int = 100,
           plotlyjs: str = "embed", charts: list[str] | None = None) -> str:
    """The report in one format, as the text to print or write."""
    if fmt not in RENDERERS:
        raise PerfError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return RENDERERS[fmt](report, RenderOptions(ascii, width, plotlyjs, charts))
