from __future__ import annotations

import sys

import click

from perf.cli.doctor import run_checks
from perf.cli.options import reading_store_option, vegeta_option


@click.command()
@reading_store_option
@vegeta_option
def doctor(store: str | None, vegeta: str | None) -> None:
    """Show what perf will use (versions, vegeta, CPU, store) and what is missing.

    The store is opened read-only and described as it is (perf store vN, older and upgraded on
    the next write, newer than this perf, another DuckDB file, not DuckDB, not writable,
    damaged: every table, column and sequence its schema needs and it lacks).

    \b
    Examples:
      perf doctor
      perf doctor --store /data/perf.duckdb
    Exits 1 when something perf needs is missing or the store cannot be used by perf collect,
    with one line saying what.
    """
    checks = run_checks(store, vegeta)
    width = max(len(c.name) for c in checks)
    for check in checks:
        click.echo(f"{check.name:<{width}}  {check.value}" if check.ok
                   else f"{check.name:<{width}}  {check.problem}: {check.value}")
        for line in check.how:
            click.echo(f"{'':<{width}}    {line}")
    if not all(c.ok for c in checks):
        sys.exit(1)
