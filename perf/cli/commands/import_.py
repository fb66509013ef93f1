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
    """Add exported runs to a store: a history folder, or single run folders in it.

    Idempotent: a run the store already holds is skipped and said so; the same run id with
    different rows is an error and nothing of that run is imported.

    \b
    Examples:
      perf import history/
      perf import history/20261204-0930-ab12cd --store results/perf.duckdb
    """
    from perf import __version__
    from perf.store.database import SCHEMA_VERSION, store_session, writer_lock
    from perf.store.history_folder import MANIFEST, exported_runs, import_runs

    run_folders: list[Path] = []
    for folder in map(Path, folders):
        found = [folder] if (folder / MANIFEST).exists() else exported_runs(folder)
        if not found:
            raise PerfError(f"{folder} holds no exported run (no */{MANIFEST}); make one with perf export")
        run_folders += found
    with writer_lock(store, "import"), store_session(store) as con:
        done = import_runs(con, run_folders, schema_version=SCHEMA_VERSION, perf_version=__version__)
    for run_folder, outcome in done:
        said = "imported" if outcome == "imported" else "already in the store, the same: skipped"
        click.echo(f"run {run_folder.name}: {said}", err=True)
