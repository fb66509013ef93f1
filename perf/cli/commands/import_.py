from __future__ import annotations

from pathlib import Path

import click

from perf.base.errors import PerfError
from perf.cli.options import store_option


@click.command(name="import")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False),
                metavar="DIR...")
@store_option
def import_(folders, store) -> None:
    """Add exported runs to a store: a history folder, or single run folders or packs in it.

    Idempotent: a run the store already holds is skipped and said so; the same run id with
    different rows is an error and nothing of that run is imported.

    \b
    Examples:
      perf import history/
      perf import history/20261204-0930-ab12cd --store results/perf.duckdb
    """
    from perf import __version__
    from perf.store.database import SCHEMA_VERSION, store_session, writer_lock
    from perf.store.history_folder import MANIFEST, sources_in, import_runs

    sources = []
    for folder in map(Path, folders):
        found = sources_in(folder)
        if not found:
            raise PerfError(f"{folder} holds no exported run (no */{MANIFEST}); make one with perf export")
        sources += found
    with writer_lock(store, "import"), store_session(store) as con:
        done = import_runs(con, sources, schema_version=SCHEMA_VERSION, perf_version=__version__)
    for source, outcome in done:
        said = "imported" if outcome == "imported" else "already in the store, the same: skipped"
        click.echo(f"run {source.run_id}: {said}", err=True)
