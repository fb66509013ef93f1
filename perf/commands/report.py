from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from perf.errors import file_error, make_folder
from perf.options import selection_options, split_list, store_option
from perf.store import store_session


@click.command()
@selection_options
@store_option
@click.option("--format", "fmt", default=None, metavar="FORMAT",
              help="text, json, csv, markdown or html [default: from --output's extension, else text].")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout (.txt .json .csv .md .html pick the format).")
@click.option("--ascii", "ascii_", is_flag=True, help="Plain ASCII text (the default when not on a terminal).")
@click.option("--width", type=int, default=None, help="Text width [default: the terminal's, else 100].")
@click.option("--chart", "charts", multiple=True, metavar="METRIC",
              help="Metric to draw as bars (repeatable) [default: achieved_rps, latency_p99_ms].")
@click.option("--plotlyjs", type=click.Choice(["embed", "cdn"]), default="embed", show_default=True,
              help="HTML only: embed plotly.js (works offline) or load it from a CDN.")
def report(run, last, label, endpoint, filter, workers, store, fmt, output, ascii_, width, charts,
           plotlyjs) -> None:
    """Exact metrics of stored runs: tables and bar charts, or json, csv, markdown, html.

    \b
    Examples:
      perf report                                  # the latest run, in the terminal
      perf report --last 3 --filter /api/simple    # three runs side by side
      perf report --format json -o results/report.json
      perf report --format markdown >> "$GITHUB_STEP_SUMMARY"
    Latencies are exact percentiles over every request (numpy's linear interpolation).
    """
    from reporter.report import build_report, pick_format, render
    from reporter.selection import selection_from_options

    sel = selection_from_options(run, last, label, endpoint, filter, workers)
    chosen = pick_format(fmt, output)
    chart_metrics = split_list(charts) or None
    tty = output is None and sys.stdout.isatty()
    if width is None:
        width = max(60, shutil.get_terminal_size((100, 24)).columns) if tty else 100
    with store_session(store, read_only=True) as con:
        result = build_report(con, sel, with_history=chosen == "html")
        text = render(result, chosen, con=con, ascii=ascii_ or not tty, width=width,
                      plotlyjs=plotlyjs, charts=chart_metrics)
    if output:
        path = Path(output)
        make_folder(path.parent, "--output")
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise file_error(f"cannot write --output {path}", exc) from None
        click.echo(f"wrote {path}", err=True)
    else:
        click.echo(text, nl=False)
