"""The HTML dashboard: built from a real store, then opened in a real headless Chromium.

The browser tests skip only when no Chromium is found and CI is unset; under CI they fail.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import orjson
import plotly.graph_objects as go
import pytest
from click.testing import CliRunner

from cdp import Browser, TrapProxy, find_chromium
from fake_sweep import DEFAULT_ENDPOINTS, add_run
from perf.cli import cli
from perf.store import open_store
from reporter.plotly_bundle import ALPHABET, Packed, pack, packed_plotlyjs, unpack
from reporter.render_html import MAX_POINTS, per_series_points, render_html
from reporter.report import build_report
from reporter.selection import Selection

EVIL_LABEL = "<script>alert(1)</script>"
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="no Chromium (chromium, chromium-browser, google-chrome or PERF_CHROMIUM); "
           "`make chromium` installs Debian's",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two runs of the same cells (history), the latest labelled with markup and with a
    CPU-bound load generator at its top rate (generator warnings)."""
    tmp = tmp_path_factory.mktemp("html")
    path = tmp / "perf.duckdb"
    con = open_store(path)
    t0 = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
    kw = dict(endpoints=DEFAULT_ENDPOINTS[:4], rates=(25, 50, 100), workers=(1, 2), duration_s=3.0)
    add_run(con, tmp, "run-old", label="baseline", commit="1111111", started=t0, seed=1, **kw)
    add_run(con, tmp, "run-new", label=EVIL_LABEL, commit="2222222",
            started=t0 + timedelta(days=1), seed=2, slowdown=1.2, saturated_above=60, **kw)
    con.close()
    return path


def dashboard(store, plotlyjs: str = "embed") -> str:
    """The latest run's dashboard, rendered as `perf report --output X.html` does."""
    con = open_store(store, read_only=True)
    try:
        return render_html(build_report(con, Selection()), con, plotlyjs=plotlyjs)
    finally:
        con.close()


@pytest.fixture(scope="module")
def report_file(store, tmp_path_factory):
    html = dashboard(store)
    path = tmp_path_factory.mktemp("out") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def packed_data(html: str) -> dict:
    m = re.search(r'id="perf-data" data-size="(\d+)">([^<]*)</script>', html)
    return orjson.loads(unpack(Packed(m.group(2), int(m.group(1)), 0)))


def expanded(trace: dict) -> dict:
    """A trace as the page's JS hands it to Plotly (cumsum axes summed back)."""
    out = dict(trace)
    for k in ("x", "y"):
        v = out.get(k)
        if isinstance(v, dict) and "cumsum" in v:
            total, values = 0, []
            for step in v["cumsum"]:
                total += step
                values.append(total * v["scale"])
            out[k] = values
    return out


# -- packing ---------------------------------------------------------------------------------

def test_pack_round_trip_and_script_safe_alphabet():
    data = bytes(range(256)) * 50 + b"</script><!--"
    packed = pack(data)
    assert unpack(packed) == data
    assert "<" not in packed.text and len(packed.text) % 5 == 0
    assert len(ALPHABET) == 85 and len(set(ALPHABET)) == 85 and "<" not in ALPHABET
    js = packed_plotlyjs()
    assert js.raw_size > 3_000_000 and len(js.text) < 0.45 * js.raw_size


def test_series_budget():
    assert per_series_points(1) == MAX_POINTS
    assert per_series_points(108) < MAX_POINTS
    assert per_series_points(10_000) == 200


# -- the file itself --------------------------------------------------------------------------

class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.scripts, self.text = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def test_embedded_report_is_self_contained_and_escaped(report_file):
    html = report_file.read_text(encoding="utf-8")
    parsed = _Collect()
    parsed.feed(html)
    assert all(u.startswith("#") for u in parsed.urls), parsed.urls  # no external resource
    assert not [s for s in parsed.scripts if "src" in s]
    assert EVIL_LABEL not in html  # never as markup, anywhere in the file
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL_LABEL in "".join(parsed.text)  # but the reader sees it as text
    data = packed_data(html)
    assert EVIL_LABEL not in data["tables"]["attacks"] + data["tables"]["errors"]
    assert "generator-warnings" in html and "vegeta CPU-bound" in html


def test_every_figure_is_a_valid_plotly_figure_with_data(report_file):
    data = packed_data(report_file.read_text(encoding="utf-8"))
    slots = data["figures"]
    expected = {"le-achieved", "le-latency", "le-success", "le-cpu", "le-memory", "lw-achieved",
                "overtime", "spectrum", "err-heat", "err-codes", "hist-achieved_rps",
                "hist-latency_p99_ms", "hist-cpu_s_per_1k"}
    assert expected <= set(slots)
    assert len(slots["overtime"]) == 4 * 3 * 2  # every attack of the latest run
    for slot, figures in slots.items():
        for key, fig in figures.items():
            traces = [expanded(t) for t in fig["data"]]
            go.Figure({"data": traces, "layout": fig["layout"]})  # raises on any invalid property
            assert traces and any(len(t.get("x") or t.get("z") or []) for t in traces), (slot, key)


def test_figures_use_the_metric_registry_and_show_units(report_file):
    data = packed_data(report_file.read_text(encoding="utf-8"))
    fig = next(iter(data["figures"]["le-latency"].values()))
    hover = fig["data"][0]["hovertemplate"]
    assert "P50: %{y:.1f} ms" in hover and "offered rate (req/s)" in hover
    success = next(iter(data["figures"]["le-success"].values()))
    assert "Success%: %{y:.2%}" in success["data"][0]["hovertemplate"]
    hist = next(iter(data["figures"]["hist-achieved_rps"].values()))
    assert [t["x"] for t in hist["data"]][0] == ["run-old", "run-new"]  # newest last
    assert "commit 2222222" in hist["data"][0]["customdata"][-1]


def test_cdn_variant_is_small_and_points_at_plotly_cdn(store, tmp_path):
    html = dashboard(store, plotlyjs="cdn")
    assert len(html.encode()) < 300_000
    assert re.search(r'<script src="https://cdn\.plot\.ly/plotly-[\d.]+\.min\.js"', html)
    assert 'id="plotly-js"' not in html


def test_perf_report_output_html(store, tmp_path):
    out = tmp_path / "sub" / "report.html"
    result = CliRunner().invoke(cli, ["report", "--store", str(store), "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'id="plotly-js"' in html
    size = len(html.encode())
    assert 1_800_000 < size < 2_000_000, size


# -- in the browser ---------------------------------------------------------------------------

SETTLED = ("(() => { const s = document.getElementById('perf-status');"
           " return s && (s.dataset.state === 'ready' || s.dataset.state === 'error') && s.dataset.state; })()")
# Per plot div: [id, traces in Plotly's own data, drawn trace groups, hidden, no-data note shown]
PLOTS = """[...document.querySelectorAll('.plot')].map((d) => [d.id, (d.data || []).length,
  d.querySelectorAll('.main-svg .trace, .main-svg .hm, .main-svg image').length, d.hidden,
  !d.nextElementSibling.hidden])"""
NO_ALERT = "window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("CI is set but no Chromium was found: run `make chromium`")
    proxy = TrapProxy()
    b = Browser(CHROMIUM, proxy.port)
    yield b, proxy
    b.close()
    proxy.close()


@pytest.fixture(scope="module")
def opened(browser, report_file):
    b, proxy = browser
    b.open(report_file.as_uri(), before_load=NO_ALERT)
    assert b.wait_for(SETTLED, timeout=90) == "ready", b.evaluate(
        "document.getElementById('perf-status').dataset.errors")
    return b, proxy


def assert_all_drawn(b, where: str = "") -> int:
    drawn = 0
    for plot_id, traces, groups, hidden, nodata in b.evaluate(PLOTS):
        if hidden:
            assert nodata, f"{plot_id} hidden without a note {where}"
            continue
        assert traces > 0 and groups > 0, f"{plot_id} drawn empty {where}"
        drawn += 1
    return drawn


@needs_chromium
def test_opens_offline_with_every_chart_drawn(opened, tmp_path):
    b, proxy = opened
    status = b.evaluate("Object.assign({}, document.getElementById('perf-status').dataset)")
    total = int(status["chartsTotal"])
    assert total == 17 and int(status["chartsRendered"]) == total and status["errors"] == ""
    assert assert_all_drawn(b) == total
    assert b.evaluate("document.querySelectorAll('#attacks tbody tr').length") == 4 * 3 * 2
    shot = tmp_path / "report.png"
    b.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    assert b.problems() == []
    pages = [u for u in b.requests() if not u.startswith("data:")]  # heatmaps draw via data: URLs
    assert pages == [b.evaluate("location.href")]
    assert proxy.page_hosts() == []


@needs_chromium
def test_store_labels_show_as_text(opened):
    b, _ = opened
    assert b.evaluate("document.querySelector('#runs td.label').textContent") == EVIL_LABEL
    assert EVIL_LABEL in b.evaluate("document.title")
    assert b.evaluate("window.__alerts.length") == 0 and b.dialogs() == []
    assert b.evaluate("[...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length") == 0


@needs_chromium
def test_every_selector_option_redraws(opened):
    b, _ = opened
    selects = b.evaluate("""[...document.querySelectorAll('section select[data-dim]')].map((s, i) =>
        [i, s.closest('section').id, s.dataset.dim, [...s.options].map((o) => o.value)])""")
    assert {dim for _, _, dim, _ in selects} == {"run", "workers", "endpoint", "load"}
    for index, section, dim, values in selects:
        for value in values:
            b.evaluate(f"""(() => {{ const s = document.querySelectorAll('section select[data-dim]')[{index}];
                s.value = {orjson.dumps(value).decode()}; s.dispatchEvent(new Event('change')); }})()""")
            assert b.wait_for(SETTLED) == "ready"
            assert_all_drawn(b, f"after {section} {dim}={value}")
    shown = b.evaluate("document.querySelector('#plot-overtime .gtitle').textContent")
    assert "requests" in shown
    assert b.problems() == []


@needs_chromium
def test_attack_table_sorts_by_value(opened):
    b, _ = opened
    col = b.evaluate("[...document.querySelectorAll('#attacks thead th')].findIndex((th) => th.textContent.startsWith('P99 ('))")
    assert col > 0
    values = f"[...document.querySelectorAll('#attacks tbody tr')].map((r) => Number(r.cells[{col}].dataset.v))"
    b.evaluate(f"document.querySelectorAll('#attacks thead th')[{col}].click()")
    asc = b.evaluate(values)
    assert asc == sorted(asc) and asc[0] < asc[-1]
    b.evaluate(f"document.querySelectorAll('#attacks thead th')[{col}].click()")
    assert b.evaluate(values) == sorted(asc, reverse=True)
    b.evaluate("const f = document.querySelector('input.filter'); f.value = 'async_blocking'; f.dispatchEvent(new Event('input'))")
    assert b.evaluate("[...document.querySelectorAll('#attacks tbody tr')].filter((r) => !r.hidden).length") == 6


@needs_chromium
def test_cdn_report_offline_says_why_and_the_trap_sees_it(store, tmp_path):
    """The negative control: a page that does reach out is caught by both checks."""
    html = dashboard(store, plotlyjs="cdn")
    path = tmp_path / "cdn.html"
    path.write_text(html, encoding="utf-8")
    proxy = TrapProxy()
    b = Browser(CHROMIUM, proxy.port)
    try:
        b.open(path.as_uri())
        assert b.wait_for(SETTLED, timeout=60) == "error"
        assert "CDN" in b.evaluate("document.getElementById('perf-status').textContent")
        assert any(u.startswith("https://cdn.plot.ly/") for u in b.requests())
        assert b.evaluate("document.querySelectorAll('#attacks tbody tr').length") == 4 * 3 * 2
    finally:
        b.close()
        proxy.close()
    assert "cdn.plot.ly" in proxy.page_hosts()
