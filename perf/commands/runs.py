from __future__ import annotations

import click

from perf.errors import PerfError
from perf.options import store_option
from perf.store import store_session


@click.command()
@store_option
@click.option("--last", type=int, default=None, metavar="N", help="Only the N most recent runs.")
@click.option("--format", "fmt", default="text", show_default=True, metavar="FORMAT",
              help="text or json.")
def runs(store, last, fmt) -> None:
    """List the runs in the store: id, start, label, commit, status, attacks, requests.

    \b
    Examples:
      perf runs
      perf runs --last 5 --format json
    A '+' after the commit means the checkout had uncommitted changes.
    """
    from reporter.query import add_request_counts, all_runs
    from reporter.runs import RUNS_FORMATS, render_runs_json, render_runs_text

    if fmt not in RUNS_FORMATS:
        raise PerfError(f"unknown format {fmt!r} for perf runs; known: {', '.join(RUNS_FORMATS)}")
    if last is not None and last < 1:
        raise PerfError("--last must be at least 1")
    with store_session(store, read_only=True) as con:
        rows = all_runs(con)
        if last is not None:
            rows = rows[-last:]
        add_request_counts(con, rows)
    if not rows and fmt == "text":
        click.echo("no runs yet; run `perf collect` first", err=True)
        return
    click.echo(render_runs_text(rows) if fmt == "text" else render_runs_json(rows), nl=False)
