"""`perf publish SITE`: a static site of a store's history (a store file or a history folder),
in the spirit of `asv publish`: query -> compute -> render, one page at a time.

    SITE/index.html            the latest run's dashboard, its history charts over every run
                               (change points marked)
    SITE/runs.html             every run, newest first: label, commit (a link with --commit-url),
                               its page and its comparison with the run before
    SITE/runs/<run id>.html    each recent run's dashboard
    SITE/compare/<a>..<b>.html each recent run against the one before it (verdicts on top)
    SITE/plotly.min.js         plotly.js, once for the whole site

Pages link with relative URLs and load nothing from the network, so the site works from file://
and on GitHub Pages alike.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from perf.base.errors import PerfError, file_error
from perf.reporter.compare import add_change_points, build_comparison, compare_dashboard
from perf.reporter.compute.thresholds import CompareSettings
from perf.reporter.query import attacks as query
from perf.reporter.query.selection import Selection
from perf.reporter.render.dashboard import render_html
from perf.reporter.render.plotly_bundle import current_bundle
from perf.reporter.render.site import runs_page
from perf.reporter.report import build_report

PLOTLY = "plotly.min.js"


@dataclass
class Site:
    root: Path
    pages: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # comparisons that could not be made, why


def publish(con: duckdb.DuckDBPyConnection, root: Path, settings: CompareSettings, *,
            run_pages: int = 30, comparisons: int = 10, commit_url: str | None = None,
            progress=lambda text: None) -> Site:
    """Write the site under `root` (its pages replaced, other files left alone)."""
    runs = [r for r in query.all_runs(con) if r.attacks]
    if not runs:
        raise PerfError("the store has no run with results yet; run `perf collect` first")
    site = Site(root)
    _write(site, root / PLOTLY, current_bundle().js)
    paged = runs[-run_pages:] if run_pages else []
    compared = {r.run_id for r in runs[-comparisons:]} if comparisons else set()
    compare_pages: dict[str, str] = {}
    for i, run in enumerate(runs):
        if run.run_id not in compared or i == 0:
            continue
        base = runs[i - 1]
        progress(f"comparing {base.run_id} and {run.run_id}")
        name = f"compare/{base.run_id}..{run.run_id}.html"
        try:
            result = build_comparison(con, base.run_id, run.run_id, Selection(), settings)
            report = compare_dashboard(con, result, Selection(), settings)
        except PerfError as exc:  # nothing in common between the two runs, e.g.
            site.skipped.append(f"{base.run_id} → {run.run_id}: {str(exc).split(' (')[0]}")
            continue
        _write(site, root / name, render_html(report, f"../{PLOTLY}", site_links=(
            ("All runs", "../runs.html"), ("Latest", "../index.html"))))
        compare_pages[run.run_id] = name
    for i, run in enumerate(paged):
        progress(f"run {i + 1} of {len(paged)}: {run.run_id}")
        links = [("All runs", "../runs.html"), ("Latest", "../index.html")]
        if run.run_id in compare_pages:
            links.append(("Against the run before", "../" + compare_pages[run.run_id]))
        _write(site, root / "runs" / f"{run.run_id}.html", _dashboard(
            con, run.run_id, settings, f"../{PLOTLY}", tuple(links), history_window=100))
    latest = runs[-1].run_id
    links = [("All runs", "runs.html")]
    if latest in compare_pages:
        links.append(("Against the run before", compare_pages[latest]))
    _write(site, root / "index.html", _dashboard(con, latest, settings, PLOTLY, tuple(links),
                                                 history_window=None))
    paged_ids = {r.run_id for r in paged}
    _write(site, root / "runs.html", runs_page(
        list(reversed(runs)), {r: f"runs/{r}.html" for r in paged_ids}, compare_pages,
        commit_url))
    return site


def _dashboard(con, run_id: str, settings: CompareSettings, plotly_src: str, links: tuple,
               history_window: int | None) -> str:
    report = build_report(con, Selection(runs=(run_id,)), with_history=True, with_series=True,
                          history_window=history_window)
    add_change_points(report, settings)
    return render_html(report, plotly_src, site_links=links)


def _write(site: Site, path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.partial")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)  # a page is whole or absent, never half written
    except OSError as exc:
        raise file_error(f"cannot write {path}", exc) from None
    site.pages.append(path)
