from __future__ import annotations

import sys

import click

from perf.cli.options import reading_store_option, selection_from_options, selection_options, split_list
from perf.cli.output import write_output
from perf.store.database import store_session


@click.command()
@selection_options
@reading_store_option
@click.option("--format", "fmt", default=None, metavar="FORMAT",
              help="text, json, csv, markdown or html [default: from --output's extension, else text].")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout (.txt .json .csv .md .html pick the format).")
@click.option("--ascii", "ascii_", is_flag=True, help="Plain ASCII text (the default when not on a terminal).")
@click.option("--width", type=int, default=None, help="Text width [default: the terminal's, else COLUMNS, else 100].")
@click.option("--chart", "charts", multiple=True, metavar="METRIC",
              help="Metric to draw as bars (repeatable) [default: achieved_rps, latency_p99_ms].")
@click.option("--plotlyjs", type=click.Choice(["embed", "cdn"]), default="embed", show_default=True,
              help="HTML only: embed plotly.js (works offline) or load it from a CDN.")
@click.option("--history", "history_runs", type=click.IntRange(min=0), default=100, show_default=True,
              metavar="N", help="HTML only: each cell's history charts draw its last N runs; 0 for "
                                "every run in the store.")
@click.option("--baseline", default=None, metavar="RUN",
              help="A run (id, prefix or label) to set the others against: first in tables with a "
                   "Change column; in the dashboard, drawn dashed under the selected run.")
def report(run, last, label, endpoint, filter, workers, store, fmt, output, ascii_, width, charts,
           plotlyjs, history_runs, baseline) -> None:
    """Exact metrics of stored runs: tables and bar charts, or json, csv, markdown, html.

    \b
    Examples:
      perf report                                  # the latest run, in the terminal
      perf report --last 3 --filter /api/simple    # three runs side by side
      perf report --format json -o results/report.json
      perf report --format markdown >> "$GITHUB_STEP_SUMMARY"
      perf report --run pr --baseline base --output results/pr.html
      perf report --output results/all.html --history 0   # every run in the history charts
    Latencies are exact percentiles over every request (numpy's linear interpolation).
    """
    from perf.reporter.render.text import text_width
    from perf.cli.output import pick_format
    from perf.reporter.report import FORMATS, build_report, render

    sel = selection_from_options(run, last, label, endpoint, filter, workers, baseline)
    chosen = pick_format(fmt, output, FORMATS)
    chart_metrics = split_list(charts) or None
    tty = output is None and sys.stdout.isatty()
    width = text_width(width, sys.stdout if output is None else None)
    with store_session(store, read_only=True) as con:
        dashboard = chosen == "html"
        result = build_report(con, sel, with_history=dashboard, with_series=dashboard,
                              history_window=history_runs or None)
        if dashboard:
            _verdicts_and_change_points(con, result)
    text = render(result, chosen, ascii=ascii_ or not tty, width=width, plotlyjs=plotlyjs,
                  charts=chart_metrics)
    if output:
        path = write_output(output, text)
        click.echo(f"wrote {path}", err=True)
    else:
        click.echo(text, nl=False)


def _verdicts_and_change_points(con, result) -> None:
    """The dashboard marks where each history line shifted and, with --baseline, puts perf
    compare's verdicts (baseline against the newest other run) at the top."""
    from perf.reporter.compare import add_change_points, baseline_verdicts
    from perf.reporter.compute.thresholds import compare_settings, pyproject_compare

    config, where = pyproject_compare()
    settings = compare_settings(None, None, config, where)
    add_change_points(result, settings)
    baseline_verdicts(con, result, settings)
