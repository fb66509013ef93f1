from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(file_okay=False), metavar="DIR")
@click.option("--min-runs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Pack only when at least N run folders are not in a pack yet.")
def pack(folder, min_runs) -> None:
    """Gather a history folder's run folders into one pack: the same rows in a few files.

    Reading a folder costs ~0.4 ms a Parquet file, seven files a run: a thousand loose runs
    take over a second to open, ten packs of a hundred under a tenth of that. A pack is never rewritten:
    packing again gathers only the runs no pack holds, so a folder kept in git or object
    storage only ever gains files. Every reading command and `perf import` read packs.

    \b
    Examples:
      perf pack history/                  # every run folder not in a pack yet
      perf pack history/ --min-runs 100   # in CI: a new pack every hundred runs
      perf history --store history/
    """
    from perf.store.history_folder import run_sources
    from perf.store.history_pack import held_twice, pack_folder

    packed, where = pack_folder(Path(folder), min_runs)
    removed, differ = held_twice(Path(folder))
    if removed:
        click.echo(f"removed {len(removed)} run folder{'' if len(removed) == 1 else 's'} a pack "
                   "already held, with the same rows (left by an interrupted pack)", err=True)
    for run in differ:
        click.echo(f"{run}: a pack already holds this run with other rows; kept as it is "
                   "(readers read the pack's)", err=True)
    if where is None:
        outside = sum(not s.packed for s in run_sources(folder))
        click.echo(f"{folder}: {outside} run folder{'' if outside == 1 else 's'} outside a pack"
                   + (f", fewer than --min-runs {min_runs}" if outside else "") + "; nothing packed",
                   err=True)
        return
    click.echo(f"packed {len(packed)} run{'' if len(packed) == 1 else 's'} into {where}", err=True)
