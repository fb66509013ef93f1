"""`perf publish`: a static site of a store's history, opened from file:// in a real headless
Chromium (Playwright driving the system's Chromium): every page draws its charts with no console
error and no network request beyond the site's own files, plotly.js is shipped once, and every
link resolves to a file of the site."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.store.database import open_store
from tests.browser import CHROMIUM, TrapProxy, chromium, needs_chromium, open_report
from tests.fake_sweep import DEFAULT_ENDPOINTS, add_run
from tests.system.test_html_report import assert_all_drawn

RUNS = ["r-0", "r-1", "r-2", "r-3"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Four runs of the same cells (the last one slower), exported to a history folder, and
    the site published from the folder."""
    tmp = tmp_path_factory.mktemp("publish")
    store = tmp / "perf.duckdb"
    con = open_store(store)
    t0 = datetime(2025, 8, 1, tzinfo=timezone.utc)
    for i, run_id in enumerate(RUNS):
        add_run(con, tmp, run_id, started=t0 + timedelta(days=i), commit=f"{i}" * 7,
                endpoints=DEFAULT_ENDPOINTS[:2], rates=(25, 50), workers=(1,), seed=i + 1,
                repeats=3, slowdown=1.5 if i == 3 else 1.0)
    con.close()
    folder = tmp / "history"
    for run_id in RUNS:
        result = CliRunner().invoke(cli, ["export", run_id, "--store", str(store), "--to", str(folder)])
        assert result.exit_code == 0, result.output
    root = tmp / "site"
    result = CliRunner().invoke(cli, ["publish", str(root), "--store", str(folder), "--runs", "2",
                                      "--compare", "2", "--commit-url",
                                      "https://example.invalid/commit/{commit}"])
    assert result.exit_code == 0, result.output
    return root


def test_the_site_has_its_pages_and_one_plotly(site):
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == ["compare/r-1..r-2.html", "compare/r-2..r-3.html", "index.html",
                     "plotly.min.js", "runs.html", "runs/r-2.html", "runs/r-3.html"]
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert 'id="plotly-js"' not in text  # never embedded: the site ships it once
        assert "cdn.plot.ly" not in text.split("<script", 1)[-1].split("</script>", 1)[0]
    runs = (site / "runs.html").read_text()
    assert runs.count("<tr>") == 1 + len(RUNS)  # the header and every run, pages or not
    assert 'href="https://example.invalid/commit/3333333"' in runs


def _links(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('a[href]')].map((a) => a.href)")


@needs_chromium
@pytest.mark.slow
def test_every_page_draws_offline_and_every_link_resolves(site):
    if CHROMIUM is None:
        pytest.fail("CI is set but no Chromium was found: run `make chromium`")
    proxy = TrapProxy()
    with chromium(CHROMIUM, proxy) as browser:
        for name in ("index.html", "runs/r-3.html", "compare/r-2..r-3.html"):
            page, seen, state = open_report(browser, (site / name).as_uri())
            try:
                assert state == "ready", page.evaluate("document.getElementById('perf-status').dataset.errors")
                assert assert_all_drawn(page, name) > 0
                assert not seen.problems and not seen.dialogs, (name, seen.problems)
                assert all(url.startswith("file://") for url in seen.requests), seen.requests
                for url in _links(page):
                    parsed = urlparse(url)
                    if parsed.scheme == "file":
                        assert Path(unquote(parsed.path)).is_file(), (name, url)
                if name == "compare/r-2..r-3.html":  # the slower run's verdicts lead the page
                    assert re.search(r"verdict-worse", page.content())
            finally:
                page.context.close()
        page = browser.new_context().new_page()
        page.goto((site / "runs.html").as_uri())
        local = [u for u in _links(page) if u.startswith("file://")]
        assert len(local) == 1 + 2 + 2  # the latest, two run pages, two comparisons
        assert all(Path(unquote(urlparse(u).path)).is_file() for u in local)
        page.context.close()
    proxy.close()


@needs_chromium
@pytest.mark.slow
def test_a_pr_comment_links_each_changed_cell_to_its_history_on_the_site(site):
    PAGES = "https://team.example/perf/"  # where a team's Pages serve the site
    """`perf compare --format markdown --history-url` links each changed cell to the site's
    index opened on that cell's history: the link, followed in Chromium, sets the history
    selectors to the cell (not the page's default, the first endpoint)."""
    from markdown_it import MarkdownIt

    result = CliRunner().invoke(cli, ["compare", "r-2", "r-3", "--store", str(site.parent / "history"),
                                      "--format", "markdown", "--history-url", PAGES])
    assert result.exit_code in (0, 1), result.output
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', MarkdownIt("commonmark").enable("table")
                       .render(result.stdout))
    cells = [(unquote(href), text) for href, text in links if "#history" in href]
    assert cells, result.stdout
    second = DEFAULT_ENDPOINTS[1].endpoint
    href, text = next((h, t) for h, t in cells if second in t)
    assert href.endswith("#history") and f"endpoint={second}" in href.replace("+", " ")
    proxy = TrapProxy()
    with chromium(CHROMIUM, proxy) as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(href.replace(PAGES, (site / "index.html").as_uri()))  # the site, served here from disk
        page.wait_for_function("document.getElementById('perf-status').dataset.state === 'ready'")
        chosen = page.evaluate("[...document.querySelectorAll('#history select[data-dim]')]"
                               ".map((s) => [s.dataset.dim, s.value])")
        assert dict(chosen) == {"endpoint": second, "workers": "1"}
        assert page.evaluate("window.scrollY") > 0  # brought to the history section
        page.context.close()
    proxy.close()
