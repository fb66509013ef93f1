from __future__ import annotations

import click

from perf.base.errors import PerfError
from perf.cli.options import reading_store_option
from perf.store.database import resolve_store, spool_path, spooled_attacks, store_session


@click.command()
@reading_store_option
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
    from perf.reporter.query.attacks import add_request_counts, all_runs
    from perf.reporter.render.runs import RUNS_FORMATS, render_runs_json, render_runs_text
    from perf.cli.output import check_format

    check_format(fmt, RUNS_FORMATS, "perf runs")
    if last is not None and last < 1:
        raise PerfError("--last must be at least 1")
    spooled = _spooled_line(store)
    if spooled and not resolve_store(store).exists():
        raise PerfError(f"no store at {resolve_store(store)} yet: {spooled}")
    with store_session(store, read_only=True) as con:
        rows = all_runs(con)
        if last is not None:
            rows = rows[-last:]
        rows = add_request_counts(con, rows)
    if rows or fmt != "text":
        click.echo(render_runs_text(rows) if fmt == "text" else render_runs_json(rows), nl=False)
    elif not spooled:
        click.echo("no runs yet; run `perf collect` first", err=True)
    if spooled:
        click.echo(spooled, err=True)


def _spooled_line(store) -> str:
    """Attacks a collect left in the spool (the store was busy, or perf was killed) are in no
    run listed until stored: say so, with the command that stores them."""
    from perf.base.text import plural

    waiting = spooled_attacks(store)
    if not waiting:
        return ""
    return (f"{plural(waiting, 'attack')} in {spool_path(store)} "
            f"{'is' if waiting == 1 else 'are'} not stored yet, so not listed: "
            f"`perf ingest --spooled` stores {'it' if waiting == 1 else 'them'}")
