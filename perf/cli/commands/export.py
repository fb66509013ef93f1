from __future__ import annotations

from pathlib import Path

import click

from perf.cli.options import store_option


@click.command()
@click.argument("refs", nargs=-1, metavar="RUN...")
@click.option("--to", "dest", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The history folder: each run becomes DIR/<run id>/.")
@click.option("--with-requests", is_flag=True,
              help="Also the raw requests and CPU samples (status codes, error kinds and the "
                   "dashboard's over-time charts need them; the metrics do not).")
@store_option
def export(refs, dest, with_requests, store) -> None:
    """Write runs as a history folder: one immutable folder of Parquet files per run.

    A folder of exported runs is a store for report, runs, compare and history (--store DIR),
    so CI jobs can each add their run to a shared folder (object storage, CI artifacts) without
    a lock; `perf import` adds them to a store file. RUN is an id, id prefix, label or latest[~N];
    none means the latest run.

    \b
    Examples:
      perf export --to history/                       # the latest run
      perf export base pr --to history/ --with-requests
      perf report --store history/ --last 10
    """
    from perf import __version__
    from perf.reporter.query.attacks import all_runs, resolve_ref
    from perf.store.database import SCHEMA_VERSION, store_session
    from perf.store.history_folder import export_run, packed_runs

    with store_session(store, read_only=True) as con:
        runs = all_runs(con)
        chosen = {resolve_ref(ref, runs).run_id: None for ref in (refs or ("latest",))}
        packed = packed_runs(dest)  # listed once, not once a run
        for run_id in chosen:
            done = export_run(con, run_id, Path(dest), with_requests=with_requests,
                              perf_version=__version__, schema_version=SCHEMA_VERSION,
                              packed=packed)
            said = "exported to" if done == "exported" else "already exported, the same, in"
            click.echo(f"run {run_id}: {said} {Path(dest) / run_id}", err=True)
