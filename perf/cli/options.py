"""Options shared by several commands, written once."""

from __future__ import annotations

import click

store_option = click.option(
    "--store",
    type=click.Path(),  # a folder is refused by the store layer, with what to do instead
    default=None,
    envvar="PERF_STORE",
    show_envvar=True,
    help="DuckDB store file [default: results/perf.duckdb].",
)
# Reading commands also take a history folder of exported runs (perf export), or its URL.
reading_store_option = click.option(
    "--store",
    default=None,
    envvar="PERF_STORE",
    show_envvar=True,
    help="DuckDB store file, or a folder of exported runs [default: results/perf.duckdb].",
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


_ATTACK_OPTIONS = [
    click.option("--endpoint", multiple=True, metavar="ENDPOINT",
                 help="Only this endpoint, e.g. 'GET /api/simple/async/{item_id}' or its path (repeatable)."),
    click.option("--filter", "filter", multiple=True, metavar="PREFIX",
                 help="Only endpoints under the path PREFIX, by whole segments (repeatable)."),
    click.option("--workers", multiple=True, metavar="N[,N]",
                 help="Only these server worker counts (repeatable or comma list)."),
]


def attack_options(func):
    """Which attacks of the chosen runs a reader looks at (perf report, compare, history)."""
    for option in reversed(_ATTACK_OPTIONS):
        func = option(func)
    return func


def selection_options(func):
    """Which runs and attacks a reader looks at (perf report)."""
    options = [
        click.option("--run", "run", multiple=True, metavar="ID",
                     help="A run id, unique id prefix, label, latest or latest~N (repeatable) [default: the latest run]."),
        click.option("--last", type=int, default=None, metavar="N", help="The N most recent runs."),
        click.option("--label", default=None, metavar="TEXT", help="Runs with this label."),
        *_ATTACK_OPTIONS,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def selection_from_options(run=(), last=None, label=None, endpoint=(), filter=(), workers=(),
                           baseline=None):
    """A reporter Selection from the repeatable / comma-list options of selection_options."""
    from perf.base.errors import PerfError
    from perf.reporter.query.selection import Selection

    worker_counts = []
    for value in split_list(workers):
        try:
            worker_counts.append(int(value))
        except ValueError:
            raise PerfError(f"--workers takes whole numbers, not {value!r}") from None
    # Endpoints contain commas only in theory; run ids and prefixes never do.
    return Selection(
        runs=split_list(run),
        last=last,
        label=label,
        endpoints=[e for e in endpoint if e.strip()],
        prefixes=split_list(filter),
        workers=worker_counts,
        baseline=baseline.strip() if baseline and baseline.strip() else None,
    )
