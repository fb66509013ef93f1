"""Options shared by several commands, written once."""

from __future__ import annotations

import click

store_option = click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="PERF_STORE",
    show_envvar=True,
    help="DuckDB store file [default: results/perf.duckdb].",
)

vegeta_option = click.option(
    "--vegeta",
    type=click.Path(dir_okay=False),
    default=None,
    help="vegeta binary [default: PERF_VEGETA, the venv's bin, then PATH].",
)


def split_list(values: tuple[str, ...] | str | None) -> list[str]:
    """Accept repeated options and comma lists alike: --workers 1,2 --workers 4."""
    if values is None:
        return []
    if isinstance(values, str):
        values = (values,)
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]
