"""The dashboard's first screen: a summary that leads with what went wrong, the selectors
opened on the failing cell, the stats table next, and no chart that has nothing to show."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

import pytest

from perf.reporter.compute.problems import attack_problems
from perf.reporter.compute.tables import run_names
from perf.reporter.render import figures
from perf.reporter.render.dashboard import render_html
from perf.store.database import open_store
from perf.store.stats import FAILED, PARTLY_FAILED, UNSUSTAINED, attack_problem
from tests.fake_sweep import DEFAULT_ENDPOINTS, Endpoint, add_run
from tests.unit.test_html_report import build, packed_data

BROKEN = Endpoint("GET /broken", 2.0, 1000, 0.5, error_rate=1.0)
FLAKY = Endpoint("GET /flaky", 2.0, 1000, 0.5, error_rate=0.5)
OK = Endpoint("GET /ok", 2.0, 1000, 0.5)
SLOW = next(e for e in DEFAULT_ENDPOINTS if "async_blocking" in e.endpoint)  # 19.8 req/s a worker


def _store(tmp_path, name: str, endpoints, rates, workers):
    path = tmp_path / f"{name}.duckdb"
    con = open_store(path)
    add_run(con, tmp_path, name, endpoints=endpoints, rates=rates, workers=workers,
            duration_s=3.0, started=datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc))
    con.close()
    return path


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("failing"), "failing", [OK, FLAKY, BROKEN, SLOW],
                  (10, 30), (1, 2))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("clean"), "clean", [OK], (10, 20), (1,))


def _section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}"')
    return html[start:html.index("</section>", start)]


def _selected(html: str, section_id: str) -> dict[str, str]:
    sec = _section(html, section_id)
    out = {}
    for dim, body in re.findall(r'<select data-dim="(\w+)"[^>]*>(.*?)</select>', sec, re.S):
        out[dim] = re.search(r'<option value="([^"]*)" selected>', body).group(1)
    return out


@pytest.mark.parametrize("values, expected", [
    ({"success_ratio": 0.0}, FAILED),
    ({"success_ratio": 0.5}, PARTLY_FAILED),
    ({"success_ratio": 0.989}, PARTLY_FAILED),
    ({"success_ratio": 0.99, "achieved_rps": 50.0, "target_rate": 50.0, "duration_s": 3.0,
      "latency_p50_ms": 2.0}, None),
    ({"success_ratio": 1.0, "achieved_rps": 30.0, "target_rate": 50.0, "duration_s": 3.0,
      "latency_p50_ms": 2.0}, UNSUSTAINED),
    # A closed loop's rate is what the server gives: never "not sustained".
    ({"success_ratio": 1.0, "achieved_rps": 30.0, "mode": "concurrency", "target_rate": None}, None),
    ({"success_ratio": None}, None),
])
def test_one_rule_says_what_went_wrong_in_an_attack(values, expected):
    assert attack_problem(values) == expected


def test_problems_name_each_failing_and_unsustained_cell_worst_first(failing):
    report = build(failing)
    problems = attack_problems(report, run_names(report.runs), ["failing"])
    kinds = [p.kind for p in problems]
    assert kinds == sorted(kinds, key=[FAILED, PARTLY_FAILED, UNSUSTAINED].index)
    broken = [p for p in problems if p.kind == FAILED]
    # One line for the endpoint that failed everywhere, not one per attack.
    assert len(broken) == 1 and broken[0].text.startswith("GET /broken: every request failed (HTTP 500)")
    assert broken[0].text.endswith("in all 4 attacks")
    partly = [p for p in problems if p.kind == PARTLY_FAILED]
    assert {p.cell["endpoint"] for p in partly} == {"GET /flaky"} and len(partly) == 4
    shares = [float(re.search(r"(\d+)% of the requests failed", p.text).group(1)) for p in partly]
    assert shares == sorted(shares, reverse=True)
    unsustained = [p for p in problems if p.kind == UNSUSTAINED]
    assert unsustained and all("async_blocking" in p.cell["endpoint"] for p in unsustained)
    assert [(p.cell["load"], p.cell["workers"]) for p in unsustained] == [("30", "1")]


def test_a_failing_run_leads_with_the_failure_then_the_stats_table(failing):
    html = render_html(build(failing))
    body = html[html.index("<main>"):]
    order = [body.index(f'<section id="{s}"') for s in ("summary", "table", "error-kinds", "load-endpoints")]
    assert order == sorted(order), "summary, then the stats table, then why requests failed, then charts"
    summary = _section(html, "summary")
    assert 'class="summary bad"' in summary
    assert "1 endpoint failed every request" in summary and "4 cells partly failed" in summary
    assert "GET /broken: every request failed" in summary
    assert "cells not sustained" in summary or "cell not sustained" in summary
    assert "data-cell=" in summary
    # Every selector opens on the failing endpoint's cell.
    assert _selected(html, "errors") == {"run": "failing", "workers": "2", "endpoint": "GET /broken"}
    assert _selected(html, "attack")["endpoint"] == "GET /broken"
    rows = packed_data(html)["tables"]["attacks"]
    # The four attacks of /broken and the four of /flaky.
    assert len(re.findall(r'<tr class="(?:flagged )?failing"', rows)) == 8


def test_a_clean_run_says_so_and_hides_what_has_nothing_to_show(clean):
    html = render_html(build(clean))
    summary = _section(html, "summary")
    assert 'class="summary good"' in summary and "All 2 attacks" in summary
    assert "<li" not in summary
    data = packed_data(html)
    assert "err-heat" not in data["figures"], "an all-zero failure map is not drawn"
    assert 'id="plot-err-heat"' not in html
    assert '<section id="load-workers"' not in html, "one worker count: nothing to compare"
    assert 'id="plot-scaling"' not in html
    assert all(figures.has_data(fig) for slot in data["figures"].values() for fig in slot.values())


def test_has_data_is_false_only_for_figures_without_a_value():
    assert not figures.has_data({"data": [{"y": [None, None]}, {"y": []}]})
    assert figures.has_data({"data": [{"y": [None, 0.0]}]})
    assert not figures.has_data({"data": [{"type": "heatmap", "z": [[0, None], [0.0, 0]]}]})
    assert figures.has_data({"data": [{"type": "heatmap", "z": [[0, 0.01]]}]})
    assert figures.has_data({"data": [{"orientation": "h", "x": [3], "y": ["GET /a"]}]})
    assert figures.has_data({"data": [{"y": {"cumsum": [1, 2], "scale": 0.1}}]})


@pytest.mark.parametrize("lo_ms, hi_ms", [(150, 900), (1.2, 8), (3, 4000), (0.3, 50_000)])
def test_log_axis_ticks_read_as_numbers(lo_ms, hi_ms):
    rng = figures.log_range([lo_ms, hi_ms])
    values, text = figures.log_ticks(rng)
    assert len(values) >= 2
    assert all(rng[0] <= math.log10(v) <= rng[1] for v in values)
    # Each tick says its value: 200, not plotly's bare "2" of a log axis.
    assert [float(t.replace(",", "")) for t in text] == pytest.approx(values)
    if lo_ms == 150:
        assert "200" in text and "500" in text


def _lab(colour: str) -> tuple[float, float, float]:
    """sRGB hex -> CIE L*a*b* (D65), to measure how far apart two colours look."""
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    fx, fy, fz = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def test_nine_series_get_colours_that_look_apart():
    """Plotly's default palette puts its first blue and violet 22 apart (CIE76 delta E), too
    close to tell nine lines apart; every pair of the first nine is at least 28 apart here."""
    colours = [figures.colour(i) for i in range(9)]
    closest = min(math.dist(_lab(a), _lab(b)) for i, a in enumerate(colours) for b in colours[i + 1:])
    assert closest >= 28, closest


def test_compare_page_names_itself_leads_with_verdicts_and_lists_each_series_once(tmp_path):
    """`perf compare --output x.html` over repeated attacks: the title says compare, base
    values carry their units, and no chart lists a legend entry twice (repeats share one)."""
    from click.testing import CliRunner

    from perf.cli.root import cli
    from tests.unit.test_html_report import all_figures

    path = tmp_path / "perf.duckdb"
    con = open_store(path)
    for i, run in enumerate(["base", "pr"]):
        add_run(con, tmp_path, run, label=run, endpoints=[OK, SLOW], rates=(10,), workers=(1,),
                duration_s=2.0, repeats=2, seed=i + 1, slowdown=1.0 + i,
                started=datetime(2025, 6, 1, 9 + i, 0, tzinfo=timezone.utc))
    con.close()
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(cli, ["compare", "base", "pr", "--store", str(path), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    html = out.read_text()
    assert "<title>perf compare · base → pr" in html and "<h1>perf compare</h1>" in html
    body = html[html.index("<main>"):]
    assert body.index('<section id="summary"') < body.index('<section id="verdicts"') < body.index('<section id="table"')
    verdicts = _section(html, "verdicts")
    bases = re.findall(r"<tr><td>[^<]*</td><td>(p50|p95|p99)</td><td>([^<]*)</td>", verdicts)
    assert bases and all(value.endswith(" ms") for _, value in bases)
    for slot, key, fig in all_figures(html):
        names = [t["name"] for t in fig["data"] if t.get("showlegend", True) and t.get("name")]
        assert len(names) == len(set(names)), (slot, key, names)
