"""The pages of a published site (reporter/publish.py) that are not dashboards: the list of
runs, newest first, each with its page and its comparison with the run before."""

from __future__ import annotations

from datetime import datetime, timezone

from perf import __version__
from perf.reporter.compute.tables import run_names
from perf.reporter.rows import RunRow
from perf.reporter.render.shared import when
from perf.reporter.render.templating import environment


def runs_page(runs: list[RunRow], pages: dict[str, str], comparisons: dict[str, str],
              commit_url: str | None) -> str:
    """`runs` newest first; `pages`/`comparisons`: run id -> relative URL, where one exists;
    `commit_url`: e.g. https://github.com/org/repo/commit/{commit}."""
    names = run_names(runs)
    rows = [{
        "name": names[r.run_id], "run_id": r.run_id, "label": r.label or "",
        "started": when(r.started_at), "attacks": r.attacks,
        "commit": (r.git_commit or "")[:10],
        "commit_href": (commit_url.replace("{commit}", r.git_commit)
                        if commit_url and r.git_commit else None),
        "page": pages.get(r.run_id), "comparison": comparisons.get(r.run_id),
    } for r in runs]
    return environment(html=True).get_template("site_runs.html.j2").render(
        rows=rows, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        perf_version=__version__)
