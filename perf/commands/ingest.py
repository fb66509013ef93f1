from __future__ import annotations

from pathlib import Path

import click

from collector.ingest import ingest_run
from collector.vegeta import find_vegeta
from perf.options import store_option, vegeta_option


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--label", default=None, help="A name for the run these results become.")
@click.option("--endpoint", default=None, metavar="'METHOD /path'",
              help="What was attacked [default: taken from the results' method and URL path].")
@click.option("--rate", type=float, default=None, help="The rate the attack offered (req/s).")
@click.option("--workers", type=int, default=None, help="Server worker count, if known.")
@store_option
@vegeta_option
def ingest(files, label, endpoint, rate, workers, store, vegeta) -> None:
    """Store vegeta result files made elsewhere (gob, json or csv encodings).

    Several files are one attack run from several load machines (vegeta's distributed
    set-up). A truncated or foreign file is an error and nothing is stored.

    \b
    Examples:
      echo "GET http://127.0.0.1:8000/health" | vegeta attack -rate 50 -duration 5s > r.bin
      perf ingest r.bin --label from-laptop
      perf ingest host1.bin host2.bin --endpoint "GET /items" --rate 400
    """
    run_id, rows = ingest_run(store, find_vegeta(vegeta), [Path(f) for f in files], label=label,
                              endpoint=endpoint, rate=rate, workers=workers)
    click.echo(f"run {run_id}: stored {rows} results from {len(files)} file(s)", err=True)
