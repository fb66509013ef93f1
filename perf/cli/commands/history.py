from __future__ import annotations

import sys

import click

from perf.base.errors import PerfError
from perf.cli.options import attack_options, reading_store_option, split_list
from perf.store.database import store_session


@click.command()
@attack_options
@reading_store_option
@click.option("--last", type=int, default=None, metavar="N", help="Only the N most recent runs.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Metrics to show (repeatable or comma list): achieved_rps, success, p50, p95, "
                   "p99, cpu_s_per_1k, memory [default: all of them].")
@click.option("--format", "fmt", default="text", show_default=True, metavar="FORMAT",
              help="text, json or markdown.")
@click.option("--ascii", "ascii_", is_flag=True, help="Plain ASCII text (the default when not on a terminal).")
@click.option("--width", type=int, default=None,
              help="Text width [default: the terminal's, else COLUMNS, else 100].")
def history(endpoint, filter, workers, store, last, metrics, fmt, ascii_, width) -> None:
    """Each cell's runs in time order (label, commit, value), and the change points: the runs
    after which a metric shifted, and by how much.

    \b
    Examples:
      perf history --filter /api/simple/async
      perf history --metric p50,p99 --last 20
      perf history --format json > history.json
    A run's value is the median over its repeats; shifts smaller than perf compare's
    threshold for the metric are not reported.
    """
    from perf.reporter.compare import HISTORY_FORMATS, build_history, render_history
    from perf.cli.options import selection_from_options
    from perf.cli.output import check_format
    from perf.reporter.compute.thresholds import KEY_METRICS, compare_settings, metric_name, pyproject_compare

    check_format(fmt, HISTORY_FORMATS)
    names = [metric_name(m, "--metric") for m in split_list(metrics)] or list(KEY_METRICS)
    if "capacity" in names:
        raise PerfError("--metric capacity: perf history follows attack metrics; "
                        f"known: {', '.join(KEY_METRICS)}")
    config, where = pyproject_compare()
    settings = compare_settings(None, None, config, where)
    sel = selection_from_options(endpoint=endpoint, filter=filter, workers=workers)
    from perf.reporter.render.text import text_width

    tty = sys.stdout.isatty()
    width = text_width(width, sys.stdout)  # one width rule for every command (report, compare)
    with store_session(store, read_only=True) as con:
        result = build_history(con, sel, last, list(dict.fromkeys(names)), settings)
    click.echo(render_history(result, fmt, ascii=ascii_ or not tty, width=width), nl=False)
