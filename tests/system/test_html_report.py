"""The HTML dashboard: built from real stores, then opened in a real headless Chromium
(Playwright driving the system's Chromium).

The browser tests skip only when no Chromium is found and CI is unset; under CI they fail.
PERF_SCREENSHOTS=DIR keeps the 1400 px and 800 px screenshots of the default sweep there.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from perf.cli.root import cli
from perf.reporter.render import plotly_bundle
from tests.browser import (
    CHROMIUM,
    NO_ALERT,
    OVERLAPS,
    PLOTS,
    TrapProxy,
    chromium,
    needs_chromium,
    open_report,
)

# The stores and dashboards the in-process tests check, opened here in a browser (fixtures).
from tests.unit.test_html_report import (  # noqa: F401
    EVIL_LABEL,
    PARTIAL,
    build,
    dashboard,
    overlay_file,
    report_file,
    store,
    sweep_file,
    sweep_store,
)
from tests.unit.test_dashboard_summary import failing  # noqa: F401


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("CI is set but no Chromium was found: run `make chromium`")
    proxy = TrapProxy()
    with chromium(CHROMIUM, proxy) as b:
        yield b, proxy
    proxy.close()


@pytest.fixture(scope="module")
def opened(browser, report_file):
    b, proxy = browser
    page, seen, state = open_report(b, report_file.as_uri(), before_load=NO_ALERT)
    assert state == "ready", page.evaluate("document.getElementById('perf-status').dataset.errors")
    yield page, seen, proxy
    page.context.close()


def assert_all_drawn(page, where: str = "") -> int:
    drawn = 0
    for plot_id, traces, groups, hidden, nodata in page.evaluate(PLOTS):
        if hidden:
            assert nodata, f"{plot_id} hidden without a note {where}"
            continue
        assert traces > 0 and groups > 0, f"{plot_id} drawn empty {where}"
        drawn += 1
    return drawn


def test_perf_doctor_says_which_plotlyjs_reports_embed(tmp_path):
    result = CliRunner().invoke(cli, ["doctor", "--store", str(tmp_path / "s.duckdb")])
    line = next(l for l in result.output.splitlines() if l.startswith("charts "))
    assert line.split(None, 1)[1] == plotly_bundle.current_bundle().describe()
    assert ("cartesian partial bundle" if PARTIAL else "full bundle from the plotly package") in line


@needs_chromium
def test_opens_offline_with_every_chart_drawn_and_counts_that_agree(opened, report_file):
    page, seen, proxy = opened
    status = page.evaluate("Object.assign({}, document.getElementById('perf-status').dataset)")
    total = int(status["chartsTotal"])
    footer = page.evaluate("document.querySelector('footer').textContent")
    # 19 charts, and the worker scaling (the sweep has 1 and 2 workers)
    assert total == 20 and footer.startswith(f"{total} charts on this page")
    assert int(status["chartsRendered"]) + int(status["chartsEmpty"]) == total
    assert status["errors"] == "" and assert_all_drawn(page) == int(status["chartsRendered"])
    assert page.evaluate("document.getElementById('perf-status').textContent").startswith(
        f"{status['chartsRendered']} of {total} charts drawn")
    assert page.evaluate("document.querySelectorAll('#attacks tbody tr').length") == 4 * 3 * 2
    assert seen.problems == [] and seen.dialogs == []
    pages = [u for u in seen.requests if not u.startswith("data:")]  # heatmaps draw via data: URLs
    assert pages == [report_file.as_uri()]
    assert proxy.page_hosts() == []


@needs_chromium
def test_store_labels_show_as_text(opened):
    page, seen, _ = opened
    assert EVIL_LABEL in page.evaluate("[...document.querySelectorAll('#runs td.label')].map((t) => t.textContent)")
    assert EVIL_LABEL in page.title()
    assert page.evaluate("window.__alerts.length") == 0 and seen.dialogs == []
    assert page.evaluate("[...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length") == 0


@needs_chromium
def test_every_selector_option_redraws(opened):
    page, seen, _ = opened
    selects = page.evaluate("""[...document.querySelectorAll('section select[data-dim]')].map((s, i) =>
        [i, s.closest('section').id, s.dataset.dim, [...s.options].map((o) => o.value)])""")
    assert {dim for _, _, dim, _ in selects} == {"run", "workers", "endpoint", "load"}
    for index, section, dim, values in selects:
        for value in values:
            page.evaluate(f"""(() => {{ const s = document.querySelectorAll('section select[data-dim]')[{index}];
                s.value = {orjson.dumps(value).decode()}; s.dispatchEvent(new Event('change')); }})()""")
            page.wait_for_function("document.getElementById('perf-status').dataset.state === 'ready'")
            assert_all_drawn(page, f"after {section} {dim}={value}")
            title = page.evaluate(f"document.querySelector('#{section} .chart-title').textContent")
            assert title, (section, dim, value)
    assert "requests" in page.evaluate("document.querySelector('#attack .chart-title').textContent")
    assert seen.problems == []


@needs_chromium
def test_attack_table_sorts_by_value_and_shows_every_metric_on_request(opened):
    page, _, _ = opened
    col = page.evaluate("[...document.querySelectorAll('#attacks thead th')].findIndex((th) => th.firstChild.textContent === 'P99')")
    assert col > 0
    values = f"[...document.querySelectorAll('#attacks tbody tr')].map((r) => Number(r.cells[{col}].dataset.v))"
    page.evaluate(f"document.querySelectorAll('#attacks thead th')[{col}].click()")
    asc = page.evaluate(values)
    assert asc == sorted(asc) and asc[0] < asc[-1]
    page.evaluate(f"document.querySelectorAll('#attacks thead th')[{col}].click()")
    assert page.evaluate(values) == sorted(asc, reverse=True)
    visible = "[...document.querySelectorAll('#attacks thead th')].filter((th) => th.offsetParent !== null).length"
    fewer = page.evaluate(visible)
    page.check("#every-metric")
    assert page.evaluate(visible) == page.evaluate("document.querySelectorAll('#attacks thead th').length") > fewer
    page.evaluate("const f = document.querySelector('input.filter'); f.value = 'async_blocking'; f.dispatchEvent(new Event('input'))")
    assert page.evaluate("[...document.querySelectorAll('#attacks tbody tr')].filter((r) => !r.hidden).length") == 6


@needs_chromium
@pytest.mark.parametrize("width", [1400, 800])
def test_default_sweep_reads_cleanly_at_1400_and_800_px(browser, sweep_file, tmp_path, width):
    """Nothing covers anything (legend, mode bar, axis and panel labels, titles), every title
    is whole, and at 1400 px the all-attacks table needs no sideways scrolling."""
    b, proxy = browser
    page, seen, state = open_report(b, sweep_file.as_uri(), width=width)
    try:
        assert state == "ready" and seen.problems == []
        assert page.evaluate(OVERLAPS) == []
        for section, dim in [("load-endpoints", "workers"), ("history", "workers")]:
            page.select_option(f"#{section} select[data-dim={dim}]", index=0)
            page.wait_for_function("document.getElementById('perf-status').dataset.state === 'ready'")
            assert page.evaluate(OVERLAPS) == [], (section, dim)
        scroll, client = page.evaluate("(() => { const s = document.querySelector('#table .scroll');"
                                       " return [s.scrollWidth, s.clientWidth]; })()")
        if width >= 1400:
            assert scroll <= client, (scroll, client)
        keep = os.environ.get("PERF_SCREENSHOTS")
        shot = (Path(keep) if keep else tmp_path) / f"report-{width}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000
    finally:
        page.context.close()
    assert proxy.page_hosts() == []


@needs_chromium
def test_overlay_draws_in_the_browser(browser, overlay_file):
    b, _ = browser
    page, seen, state = open_report(b, overlay_file.as_uri())
    try:
        assert state == "ready" and seen.problems == []
        assert_all_drawn(page)
        dashes = page.evaluate("document.getElementById('plot-le-latency').data.map((t) => t.line.dash)")
        assert dashes.count("dash") == dashes.count("solid") > 0
        assert page.evaluate("[...document.querySelectorAll('#load-endpoints select[data-dim=run] option')]"
                             ".map((o) => o.textContent)") == [EVIL_LABEL]  # the baseline is no choice
        assert "(baseline)" in page.evaluate("document.querySelector('#runs tr.base td.name').textContent")
        assert page.evaluate(OVERLAPS) == []
    finally:
        page.context.close()


@needs_chromium
def test_cdn_report_offline_says_why_and_the_trap_sees_it(browser, store, tmp_path):
    """The negative control: a page that does reach out is caught by both checks."""
    b, _ = browser
    path = tmp_path / "cdn.html"
    path.write_text(dashboard(store, plotlyjs="cdn"), encoding="utf-8")
    proxy = TrapProxy()
    try:
        page, seen, state = open_report(b, path.as_uri(), proxy=proxy)
        assert state == "error"
        assert "CDN" in page.evaluate("document.getElementById('perf-status').textContent")
        assert any(u.startswith("https://cdn.plot.ly/") for u in seen.requests)
        assert page.evaluate("document.querySelectorAll('#attacks tbody tr').length") == 4 * 3 * 2
        page.context.close()
    finally:
        proxy.close()
    assert "cdn.plot.ly" in proxy.page_hosts()


@pytest.fixture(scope="module")
def failing_file(failing, tmp_path_factory):  # noqa: F811
    path = tmp_path_factory.mktemp("out") / "failing.html"
    result = CliRunner().invoke(cli, ["report", "--store", str(failing), "--output", str(path)])
    assert result.exit_code == 0, result.output
    return path


# Elements wider than the page: what makes a reader scroll sideways.
SPILLS = """[...document.querySelectorAll('main > section, main > div, header')]
  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
               || el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.id || el.tagName)"""


@needs_chromium
@pytest.mark.parametrize("width", [1400, 800])
def test_a_failing_run_shows_the_failure_on_the_first_screen(browser, failing_file, tmp_path, width):
    """The summary naming the failing cell is inside the first 900 px, the stats table starts
    on it too at 1400 px, nothing is wider than the page, and a summary line points the
    selectors at its cell."""
    b, proxy = browser
    page, seen, state = open_report(b, failing_file.as_uri(), width=width, height=900)
    try:
        assert state == "ready" and seen.problems == []
        summary = page.locator("#summary")
        assert "GET /broken: every request failed" in summary.inner_text()
        box = summary.bounding_box()
        assert box["y"] + box["height"] <= 900, box
        if width >= 1400:
            assert page.locator("#table").bounding_box()["y"] < 900
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(SPILLS) == []
        assert page.evaluate(OVERLAPS) == []
        keep = os.environ.get("PERF_SCREENSHOTS")
        shot = (Path(keep) if keep else tmp_path) / f"failing-{width}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        # The errors section opened on the endpoint that failed; a partial failure's line moves it.
        chosen = "document.querySelector('#errors select[data-dim=endpoint]').value"
        assert page.evaluate(chosen) == "GET /broken"
        page.locator("#summary li.partly-failed a").first.click()
        page.wait_for_function("document.getElementById('perf-status').dataset.state === 'ready'")
        assert page.evaluate(chosen) == "GET /flaky"
        assert page.evaluate("document.querySelector('#attack select[data-dim=endpoint]').value") == "GET /flaky"
        assert_all_drawn(page, "after a summary line was followed")
    finally:
        page.context.close()
    assert proxy.page_hosts() == []
