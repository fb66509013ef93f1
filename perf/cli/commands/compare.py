from __future__ import annotations

import sys

import click

from perf.base.errors import PerfError
from perf.cli.options import attack_options, reading_store_option
from perf.cli.output import write_output
from perf.store.database import store_session


@click.command()
@click.argument("base", required=False)
@click.argument("candidate", required=False)
@attack_options
@reading_store_option
@click.option("--fail-on", default=None, metavar="SPEC",
              help="The gate: METRIC:CHANGE entries, e.g. 'p99:+10%,achieved_rps:-5%,success:-1pp' "
                   "(also +2ms, +5MB). Only these metrics fail the job [default: "
                   "[tool.perf.compare] fail_on, else every key metric at its default].")
@click.option("--pool", is_flag=True,
              help="BASE and CANDIDATE are labels: pool every run carrying each (collects "
                   "alternated base, head, base, head, ...), so drift between runs counts as "
                   "noise both sides share.")
@click.option("--alpha", default=None, metavar="P",
              help="Significance level of the test over the repeats [default: 0.05].")
@click.option("--gate-without-repeats", is_flag=True, default=None,
              help="With one attack a side, let a change past the threshold fail the gate "
                   "(it is noise-blind: by default such a change is inconclusive, never gating) "
                   "[default: [tool.perf.compare] gate_without_repeats, else off].")
@click.option("--format", "fmt", default=None, metavar="FORMAT",
              help="text, json, markdown or html (the dashboard of both runs with the verdicts "
                   "on top) [default: from --output's extension, else text].")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout (.txt .json .md .html pick the format).")
@click.option("--ascii", "ascii_", is_flag=True, help="Plain ASCII text (the default when not on a terminal).")
@click.option("--width", type=int, default=None,
              help="Text width [default: the terminal's, else COLUMNS, else 100].")
@click.option("--history-url", default=None, metavar="URL",
              help="Markdown: link each changed cell to its history on a site `perf publish` "
                   "made (its index URL, e.g. the team's GitHub Pages).")
def compare(base, candidate, endpoint, filter, workers, store, fail_on, pool, alpha,
            gate_without_repeats, fmt, output, ascii_, width, history_url) -> None:
    """Compare two runs cell by cell: the change of each key metric, and whether it is worse,
    better, the same, or inconclusive given the noise measured by repeated attacks.

    BASE and CANDIDATE are run ids (a unique prefix is enough), labels, `latest` or
    `latest~N` [default: latest~1 and latest]. Cells match on endpoint, rate or concurrency,
    workers, server and background load; cells in one run only are listed.

    \b
    Examples:
      perf compare                                  # the latest run against the one before
      perf compare base pr --fail-on "p99:+10%,success:-1pp"
      perf compare main latest --format markdown >> "$GITHUB_STEP_SUMMARY"
      perf compare base pr --format markdown --history-url https://org.github.io/repo/
      perf compare base pr -o results/compare.html  # both runs in one dashboard
      perf compare base head --pool                 # every run of each label (alternated rounds)
      perf collect --repeat 5 --label pr            # repeats give the verdicts evidence
    Worse/better need a change beyond the metric's threshold and p < alpha in Welch's t-test
    over the repeated attacks; with one attack a side there is no measure of noise, and such a
    change is inconclusive (never gating) unless --gate-without-repeats. Exit status: 0 no regression, 1 a gated metric is worse, 2
    usage error (bad run, bad --fail-on, no store).
    """
    from perf.reporter.compare import (COMPARE_FORMATS, build_comparison, compare_dashboard,
                                     render_comparison)
    from perf.reporter.render.text import text_width
    from perf.cli.output import pick_format
    from perf.cli.options import selection_from_options
    from perf.reporter.compute.thresholds import compare_settings, pyproject_compare

    try:
        chosen = pick_format(fmt, output, COMPARE_FORMATS)
        config, where = pyproject_compare()
        settings = compare_settings(fail_on, alpha, config, where, gate_without_repeats)
        sel = selection_from_options(endpoint=endpoint, filter=filter, workers=workers)
        with store_session(store, read_only=True) as con:
            result = build_comparison(con, base, candidate, sel, settings, pool=pool)
            dashboard = (compare_dashboard(con, result, sel, settings) if chosen == "html"
                         else None)
    except PerfError as exc:
        raise PerfError(str(exc), exit_code=2) from None
    tty = output is None and sys.stdout.isatty()
    if dashboard is not None:
        from perf.reporter.report import render

        text = render(dashboard, "html")
    else:
        text = render_comparison(result, chosen, ascii=ascii_ or not tty,
                                 width=text_width(width, sys.stdout if output is None else None),
                                 history_url=history_url)
    if output:
        try:
            path = write_output(output, text)
        except PerfError as exc:
            raise PerfError(str(exc), exit_code=2) from None
        click.echo(f"wrote {path}", err=True)
        for line in _regression_lines(result):
            click.echo(line, err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(result.exit_code)


def _regression_lines(result) -> list[str]:
    from perf.reporter.compute.verdicts import regression_line

    return [regression_line(*r) for r in result.regressions]
