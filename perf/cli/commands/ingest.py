from __future__ import annotations

from pathlib import Path

import click

from perf.collector.storage.ingest import ingest_run
from perf.collector.settings.settings import parse_numbers
from perf.collector.storage.spool import store_spooled
from perf.collector.load.vegeta import find_vegeta
from perf.base.errors import PerfError
from perf.cli.options import store_option, vegeta_option


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--label", default=None, help="A name for the run these results become.")
@click.option("--endpoint", default=None, metavar="'METHOD /path'",
              help="What was attacked [default: taken from the results' method and URL path].")
@click.option("--rate", default=None, metavar="R", help="The rate the attack offered (req/s).")
@click.option("--workers", default=None, metavar="N", help="Server worker count, if known.")
@click.option("--spooled", is_flag=True,
              help="Store what a perf collect left spooled beside the store (the store was busy "
                   "or perf was stopped), then exit.")
@store_option
@vegeta_option
def ingest(files, label, endpoint, rate, workers, spooled, store, vegeta) -> None:
    """Store vegeta result files made elsewhere (gob, json or csv encodings).

    Several files are one attack run from several load machines (vegeta's distributed
    set-up). A truncated or foreign file is an error and nothing is stored.

    Every ingest (and every collect) first stores what an earlier perf collect left spooled
    beside the store; --spooled does only that.

    \b
    Examples:
      echo "GET http://127.0.0.1:8000/health" | vegeta attack -rate 50 -duration 5s > r.bin
      perf ingest r.bin --label from-laptop
      perf ingest host1.bin host2.bin --endpoint "GET /items" --rate 400
      perf ingest --spooled --store results/perf.duckdb
    """
    if spooled:
        if files:
            raise PerfError("--spooled stores what perf collect left beside the store; "
                            "give result files or --spooled, not both")
        for note in store_spooled(store):
            click.echo(note, err=True)
        return
    if not files:
        raise click.UsageError("give vegeta result FILES to store (or --spooled)")
    # Checked before anything is written: a run stored with a rate of -5/s would be nonsense.
    rate_value = parse_numbers([rate], "--rate")[0] if rate is not None else None
    workers_value = parse_numbers([workers], "--workers", int)[0] if workers is not None else None
    run_id, rows, notes = ingest_run(store, find_vegeta(vegeta), [Path(f) for f in files],
                                     label=label, endpoint=endpoint, rate=rate_value,
                                     workers=workers_value)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"run {run_id}: stored {rows} results from {len(files)} file(s)", err=True)
