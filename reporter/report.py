"""`perf report` as one call: query the store -> compute -> render in the chosen format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from perf.errors import PerfError
from reporter import query
from reporter.selection import Selection

FORMATS = ("text", "json", "csv", "markdown", "html")
EXTENSIONS = {".txt": "text", ".json": "json", ".csv": "csv", ".md": "markdown",
              ".markdown": "markdown", ".html": "html", ".htm": "html"}


@dataclass
class Report:
    runs: list[dict]  # query.select_runs rows, oldest first
    attacks: list[dict]  # query.attack_summaries rows (keys: query.SUMMARY_KEYS)
    statuses: dict[int, dict[int, int]] = field(default_factory=dict)  # attack_id -> code -> n
    errors: dict[int, dict[str, int]] = field(default_factory=dict)  # attack_id -> kind -> n
    history: list[dict] = field(default_factory=list)  # same cells, every run (query.history)


def build_report(
    con: duckdb.DuckDBPyConnection, sel: Selection, with_history: bool = True
) -> Report:
    """Everything a renderer needs, read from the store in a handful of SQL queries.

    `with_history` adds the same cells from every run in the store (the dashboard's trends);
    text, json, csv and markdown do not use it, so the CLI skips it for them.
    """
    runs = query.select_runs(con, sel)
    attacks = query.attack_summaries(con, [r["run_id"] for r in runs], sel)
    ids = [a["attack_id"] for a in attacks]
    return Report(
        runs=runs,
        attacks=attacks,
        statuses=query.status_counts(con, ids),
        errors=query.error_kinds(con, ids),
        history=query.history(con, attacks) if with_history else [],
    )


def pick_format(fmt: str | None, output: str | None) -> str:
    """--format wins; otherwise the --output extension; otherwise text."""
    if fmt:
        if fmt not in FORMATS:
            raise PerfError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
        return fmt
    if output:
        suffix = Path(output).suffix.lower()
        if suffix not in EXTENSIONS:
            raise PerfError(
                f"cannot tell the format of {output} from its extension; "
                f"use --format ({', '.join(FORMATS)}) or one of {', '.join(EXTENSIONS)}"
            )
        return EXTENSIONS[suffix]
    return "text"


def render(report: Report, fmt: str, *, con=None, ascii: bool = True, width: int = 100,
           plotlyjs: str = "embed", charts: list[str] | None = None) -> str:
    """The report in one format, as the text to print or write."""
    if fmt == "text":
        from reporter.render_text import render_text
        return render_text(report, ascii=ascii, width=width, charts=charts)
    if fmt == "json":
        from reporter.render_json import render_json
        return render_json(report)
    if fmt == "csv":
        from reporter.render_csv import render_csv
        return render_csv(report)
    if fmt == "markdown":
        from reporter.render_markdown import render_markdown
        return render_markdown(report, charts=charts)
    if fmt == "html":
        # Written by the dashboard's own module; imported only when asked for.
        from reporter.render_html import render_html
        return render_html(report, con, plotlyjs=plotlyjs)
    raise PerfError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
