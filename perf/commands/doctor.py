from __future__ import annotations

import sys

import click

from perf.doctor import run_checks
from perf.options import store_option, vegeta_option


@click.command()
@store_option
@vegeta_option
def doctor(store: str | None, vegeta: str | None) -> None:
    """Show what perf will use (versions, vegeta, CPU, store) and what is missing.

    \b
    Example:
      perf doctor
    Exits 1 when something perf needs is missing, with one line saying how to fix it.
    """
    checks = run_checks(store, vegeta)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok " if check.ok else "MISSING"
        click.echo(f"{check.name:<{width}}  {check.value}" if check.ok
                   else f"{check.name:<{width}}  {mark}: {check.value}")
    if not all(c.ok for c in checks):
        sys.exit(1)
