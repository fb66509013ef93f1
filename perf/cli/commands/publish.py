from __future__ import annotations

from pathlib import Path

import click

from perf.cli.options import reading_store_option


@click.command()
@click.argument("site", type=click.Path(file_okay=False))
@reading_store_option
@click.option("--runs", "run_pages", type=click.IntRange(min=0), default=30, show_default=True,
              metavar="N", help="Give the N most recent runs a dashboard page of their own.")
@click.option("--compare", "comparisons", type=click.IntRange(min=0), default=10, show_default=True,
              metavar="N", help="Compare each of the N most recent runs with the run before it.")
@click.option("--commit-url", default=None, metavar="URL",
              help="Link each commit: URL with {commit}, e.g. "
                   "https://github.com/org/repo/commit/{commit}.")
def publish(site, store, run_pages, comparisons, commit_url) -> None:
    """Write a static site of the store's history (a store file or a history folder).

    SITE/index.html is the latest run's dashboard with every cell's history over every run
    (change points marked); runs.html lists every run; recent runs get their own dashboard and
    a comparison with the run before. plotly.js ships once for the whole site; the pages load
    nothing from the network, so they work from file:// and on GitHub Pages.

    \b
    Examples:
      perf publish site/
      perf publish site/ --store history/ --commit-url "https://github.com/org/repo/commit/{commit}"
    """
    from perf.reporter.compute.thresholds import compare_settings, pyproject_compare
    from perf.reporter.publish import publish as write_site
    from perf.store.database import store_session

    config, where = pyproject_compare()
    settings = compare_settings(None, None, config, where)
    with store_session(store, read_only=True) as con:
        done = write_site(con, Path(site), settings, run_pages=run_pages, comparisons=comparisons,
                          commit_url=commit_url,
                          progress=lambda text: click.echo(f"publish: {text}", err=True))
    for note in done.skipped:
        click.echo(f"not compared: {note}", err=True)
    click.echo(f"wrote {len(done.pages)} files to {done.root}; open {done.root / 'index.html'}", err=True)
