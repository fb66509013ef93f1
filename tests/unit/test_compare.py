"""perf compare on generated stores (tests/fake_sweep.py, stored with the real ingest): cell
matching, verdicts and their evidence, run references, thresholds, exit codes through the
real CLI, and markdown a GitHub table parser reads."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from scipy import stats

from tests.fake_sweep import ALL_ENDPOINTS, add_run
from perf.cli.root import cli
from perf.base.errors import PerfError
from perf.store.database import open_store
from perf.reporter.compute.verdicts import Cell, basis, judge, match_cells
from perf.reporter.rows import AttackRow
from perf.reporter.compute.thresholds import (DEFAULT_THRESHOLDS, Threshold, compare_settings, metric_name,
                                 parse_fail_on)

SLOW = "GET /api/simple/async/{item_id}"
ENDPOINTS = [e for e in ALL_ENDPOINTS if e.endpoint in (
    SLOW, "GET /api/simple/sync_threadpool/{item_id}", "GET /api/db/async/read/{item_id}")]
T0 = datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)


def _run(con, tmp: Path, run_id: str, hour: int, **kw) -> None:
    kw.setdefault("rates", (25, 100))
    kw.setdefault("workers", (1,))
    kw.setdefault("endpoints", ENDPOINTS)
    kw.setdefault("duration_s", 3.0)
    add_run(con, tmp, run_id, started=T0 + timedelta(hours=hour), **kw)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """Runs, oldest first: two of identical code (A/A), one 50% slower on one endpoint (enough
    that p99 passes its 20 ms floor too), one faster there, two of a single attack per cell,
    one at other rates."""
    tmp = tmp_path_factory.mktemp("compare")
    path = tmp / "perf.duckdb"
    con = open_store(path)
    _run(con, tmp, "aa000001base", 0, label="base", seed=1, repeats=3)
    _run(con, tmp, "aa000002same", 1, label="same", seed=2, repeats=3, commit="b2b2b2b")
    _run(con, tmp, "ab000003slow", 2, label="slow", seed=3, repeats=3, commit="c3c3c3c",
         slowdown=1.5, slow_endpoints=(SLOW,))
    _run(con, tmp, "ab000004fast", 3, label="fast", seed=4, repeats=3, commit="d4d4d4d",
         slowdown=0.7, slow_endpoints=(SLOW,))
    _run(con, tmp, "cc000005one", 4, label="one-a", seed=5)
    _run(con, tmp, "cc000006one", 5, label="one-b", seed=6, slowdown=1.3, slow_endpoints=(SLOW,))
    _run(con, tmp, "dd000007rates", 6, label="other-rates", seed=7, rates=(100, 200), repeats=2)
    con.close()
    return path


def compare(store: Path, *args: str):
    return CliRunner().invoke(cli, ["compare", "--store", str(store), *args])


def as_json(store: Path, *args: str) -> tuple[dict, int]:
    result = compare(store, *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


def one_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("perf: error: "), result.output
    return lines[0]


# ---- verdicts on generated stores ----------------------------------------------------------

def test_a_a_is_quiet(store):
    doc, code = as_json(store, "base", "same")
    assert code == 0 and doc["exit_code"] == 0 and doc["regressions"] == []
    assert doc["bases"] == ["3 repeats each"]
    assert len(doc["cells"]) == 6  # 3 endpoints x 2 rates
    verdicts = [m["verdict"] for c in doc["cells"] for m in c["metrics"].values()]
    assert "worse" not in verdicts and "better" not in verdicts


def test_a_known_slowdown_is_caught_where_it_is(store):
    result = compare(store, "base", "slow")
    assert result.exit_code == 1
    tail = result.stdout.rstrip().splitlines()
    lines = tail[tail.index("6 regressions (exit 1):") + 1:]
    assert len(lines) == 6, result.stdout  # p50, p95, p99 at both rates, nothing else
    for line in lines:
        assert line.startswith(f"{SLOW} @ ")
        assert " 1 worker: p" in line and line.endswith(", 3 repeats each)")
    p50 = next(line for line in lines if "@ 25/s" in line and ": p50 " in line)
    # 'GET /api/simple/async/{item_id} @ 25/s, 1 worker: p50 54.0 → 81.0 ms (+50%, 3 repeats each)'
    before, after = p50.split(": p50 ")[1].split(" ms ")[0].split(" → ")
    change = float(p50.split("(")[1].split("%")[0])
    assert float(after) / float(before) == pytest.approx(1.5, abs=0.04)
    assert change == pytest.approx(100 * (float(after) / float(before) - 1), abs=0.6)


def test_the_value_is_the_median_of_each_repeats_exact_percentile(store):
    """Checked against numpy over the raw request rows, outside perf's SQL."""
    doc, _ = as_json(store, "base", "slow")
    cell = next(c for c in doc["cells"] if c["cell"]["endpoint"] == SLOW and c["cell"]["load"] == 25)
    p50 = cell["metrics"]["p50"]
    con = open_store(store, read_only=True)
    try:
        for ids, values, median in ((cell["base_attacks"], p50["base_values"], p50["base"]),
                                    (cell["candidate_attacks"], p50["candidate_values"], p50["candidate"])):
            own = [np.percentile([r[0] for r in con.execute(
                "SELECT latency_ns FROM requests WHERE attack_id = ?", [i]).fetchall()], 50) / 1e6
                for i in ids]
            assert values == pytest.approx(own)
            assert median == pytest.approx(float(np.median(own)))
    finally:
        con.close()


def test_the_p_value_is_welchs_t_on_logs(store):
    doc, _ = as_json(store, "base", "slow")
    cell = next(c for c in doc["cells"] if c["cell"]["endpoint"] == SLOW and c["cell"]["load"] == 100)
    m = cell["metrics"]["p95"]
    x, y = np.log(m["base_values"]), np.log(m["candidate_values"])
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    t = (x.mean() - y.mean()) / math.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    assert m["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)
    assert m["verdict"] == "worse" and m["p_value"] < 0.05


def test_faster_is_better_and_passes(store):
    doc, code = as_json(store, "base", "fast")
    assert code == 0
    cell = next(c for c in doc["cells"] if c["cell"]["endpoint"] == SLOW and c["cell"]["load"] == 25)
    assert cell["metrics"]["p50"]["verdict"] == "better"
    assert cell["metrics"]["p50"]["change"] == pytest.approx(-0.3, abs=0.03)


def test_verdict_direction_follows_higher_is_better():
    up = judge("achieved_rps", "achieved_rps", [100, 101, 99], [80, 81, 79],
               DEFAULT_THRESHOLDS["achieved_rps"], True, 0.05)
    assert up.verdict == "worse" and up.change == pytest.approx(-0.2, abs=0.01)
    down = judge("p99", "latency_p99_ms", [100, 101, 99], [70, 71, 69],
                 DEFAULT_THRESHOLDS["p99"], True, 0.05)
    assert down.verdict == "better" and not down.regression
    rss = judge("memory", "rss_avg_mb", [80, 81, 79], [100, 101, 99],
                DEFAULT_THRESHOLDS["memory"], True, 0.05)
    assert rss.verdict == "worse" and rss.regression


def test_ratios_change_in_percentage_points():
    m = judge("success", "success_ratio", [0.99, 0.995, 0.99], [0.97, 0.965, 0.97],
              DEFAULT_THRESHOLDS["success"], True, 0.05, ratio=True)
    assert m.change_unit == "pp" and m.change == pytest.approx(-2.0)
    assert m.change_text() == "-2.00 pp" and m.verdict == "worse"
    small = judge("success", "success_ratio", [1.0, 1.0, 1.0], [0.995, 0.995, 0.995],
                  DEFAULT_THRESHOLDS["success"], True, 0.05, ratio=True)
    assert small.verdict == "same"  # -0.5 pp is within -1 pp
    # No spread on either side: the test is undefined; different constants are conclusive.
    flat = judge("success", "success_ratio", [1.0, 1.0], [0.9, 0.9],
                 DEFAULT_THRESHOLDS["success"], True, 0.05, ratio=True)
    assert flat.p_value == 0.0 and flat.verdict == "worse"


def test_beyond_threshold_without_evidence_is_inconclusive():
    noisy = judge("p50", "latency_p50_ms", [50, 80, 40], [60, 90, 45],
                  DEFAULT_THRESHOLDS["p50"], True, 0.05)
    assert noisy.beyond_threshold and noisy.p_value > 0.05
    assert noisy.verdict == "inconclusive" and not noisy.regression
    missing = judge("cpu_s_per_1k", "cpu_s_per_1k", [None, None], [0.3, 0.31],
                    DEFAULT_THRESHOLDS["cpu_s_per_1k"], True, 0.05)
    assert missing.verdict == "inconclusive" and missing.note == "no value in the base"


def test_one_attack_each_is_inconclusive_and_never_gates_unless_asked(store):
    """Issue 20: one attack a side measures no noise; an A/A comparison of identical code moved
    p95 by 19% and failed the build. Past the threshold it is `inconclusive` by default."""
    advice = "no noise measure, not gated"
    assert basis(1, 1) == ("threshold", f"1 attack each: {advice}")
    assert basis(1, 1, without_repeats=True) == ("threshold", "1 attack each: threshold only")
    assert basis(3, 3) == ("welch", "3 repeats each")
    assert basis(3, 2) == ("welch", "3 vs 2 repeats")
    assert basis(1, 3) == ("threshold", f"1 vs 3 attacks: {advice}")
    # Pooled alternated rounds say how many attacks each run had, not the pool's count.
    assert basis(3, 3, 3, 3) == ("paired", "3 alternated rounds, 1 attack a side each")
    assert basis(6, 6, 3, 3) == ("paired", "3 alternated rounds, 2 attacks a side each")
    result = compare(store, "one-a", "one-b")
    assert result.exit_code == 0, result.output
    assert "inconclusive" in result.stdout and "worse" not in result.stdout.split("verdicts rest on")[0]
    words = " ".join(result.stdout.split())
    assert "never fails the gate" in words and "perf collect --repeat 5" in words
    gated = compare(store, "one-a", "one-b", "--gate-without-repeats")
    assert gated.exit_code == 1
    assert gated.stdout.rstrip().splitlines()[-1].endswith(", 1 attack each: threshold only)")
    assert "gated as --gate-without-repeats asks" in " ".join(gated.stdout.split())


def test_markdown_quotes_perf_commands_as_code(store):
    """Issue 20: the advice read "\\`perf collect --repeat 5\\`" on GitHub; perf's own command
    is a code span, while a label's backticks still render as themselves."""
    md = compare(store, "one-a", "one-b", "--format", "markdown").stdout
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<code>perf collect --repeat 5</code>" in html and "\\`" not in md
    from perf.reporter.render.escape import markdown_text
    rendered = MarkdownIt("commonmark").render(markdown_text("`pr` <b> `perf report` 1 |x|"))
    assert rendered == "<p>`pr` &lt;b&gt; <code>perf report</code> 1 |x|</p>\n"


def test_unmatched_cells_are_listed_not_dropped(store):
    result = compare(store, "base", "other-rates")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Unmatched cells (not compared)" in out
    assert "only in base (base): GET /api/db/async/read/{item_id} @ 25/s, 1 worker" in out
    assert "only in candidate (other-rates): GET /api/simple/async/{item_id} @ 200/s, 1 worker" in out
    assert "3 vs 2 repeats" in out
    doc, _ = as_json(store, "base", "other-rates")
    assert len(doc["cells"]) == 3 and len(doc["only_base"]) == 3 and len(doc["only_candidate"]) == 3


def _attack(**kw) -> AttackRow:
    base = {"attack_id": 1, "run_id": "r1", "endpoint": "POST /x", "method": "POST",
            "mode": "rate", "target_rate": 10.0, "concurrency": None, "workers": 1,
            "server": "uvicorn", "role": None, "background": None, "repeat_index": 0}
    return AttackRow(**{**base, **kw})


def test_cells_match_on_background_and_server_too():
    base = [_attack(), _attack(attack_id=2, background="POST /x 25MB @ 1/s", role="foreground"),
            _attack(attack_id=3, server="gunicorn")]
    candidate = [_attack(attack_id=4), _attack(attack_id=5, background="POST /x 1MB @ 1/s",
                                              role="foreground")]
    matched, only_base, only_candidate = match_cells(base, candidate)
    assert [m[0] for m in matched] == [Cell.of(base[0])]
    assert {c.background for c in only_base} == {"POST /x 25MB @ 1/s", None}
    assert {c.server for c in only_base} == {"uvicorn", "gunicorn"}
    assert [c.background for c in only_candidate] == ["POST /x 1MB @ 1/s"]
    assert only_candidate[0].title() == "POST /x @ 10/s, 1 worker, beside POST /x 1MB @ 1/s"


# ---- run references ---------------------------------------------------------------------

def test_default_is_the_two_newest_runs(store):
    doc, _ = as_json(store)
    assert (doc["base"]["run_id"], doc["candidate"]["run_id"]) == ("cc000006one", "dd000007rates")
    doc, _ = as_json(store, "base")
    assert doc["candidate"]["run_id"] == "dd000007rates"


@pytest.mark.parametrize(("refs", "ids"), [
    (("latest~6", "latest~5"), ("aa000001base", "aa000002same")),
    (("aa000001", "ab000003"), ("aa000001base", "ab000003slow")),  # unique prefixes
    (("base", "slow"), ("aa000001base", "ab000003slow")),  # labels
    (("latest~2", "latest"), ("cc000005one", "dd000007rates")),
])
def test_run_references(store, refs, ids):
    doc, _ = as_json(store, *refs)
    assert (doc["base"]["run_id"], doc["candidate"]["run_id"]) == ids
    assert doc["base"]["name"] == doc["base"]["label"]  # labels name runs


def test_perf_report_takes_the_same_references(store):
    result = CliRunner().invoke(cli, ["report", "--store", str(store), "--run", "latest~1",
                                      "--run", "latest~6", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["run_id"] for r in json.loads(result.stdout)["runs"]] == ["aa000001base", "cc000006one"]


@pytest.mark.parametrize(("refs", "message"), [
    (("aa", "slow"), "BASE aa is ambiguous: it starts 2 run ids"),
    (("base", "nope"), "no run with id, id prefix or label 'nope'"),
    (("latest~7", "latest"), "BASE latest~7: the store has only 7 run(s) with results"),
    (("slow", "ab000003slow"), "BASE and CANDIDATE are the same run (ab000003slow)"),
])
def test_bad_run_references_exit_2_in_one_line(store, refs, message):
    assert message in one_error(compare(store, *refs))


def test_errors_that_prevent_a_comparison_exit_2(store, tmp_path):
    assert "no store at" in one_error(compare(tmp_path / "none.duckdb"))
    assert "unknown format 'svg'" in one_error(compare(store, "--format", "svg"))
    assert "no attack matches --filter /nothing" in one_error(compare(store, "--filter", "/nothing"))
    assert "alpha must be between 0 and 1" in one_error(compare(store, "--alpha", "2"))
    empty = tmp_path / "one.duckdb"
    con = open_store(empty)
    _run(con, tmp_path, "only0001", 0, repeats=1, rates=(25,), endpoints=ENDPOINTS[:1])
    con.close()
    assert "the store has only 1 run(s) with results" in one_error(compare(empty))
    (tmp_path / "a-file").write_text("")
    assert "cannot create --output folder" in one_error(compare(store, "-o", str(tmp_path / "a-file" / "x.md")))


def test_no_matching_cell_at_all_is_an_error_not_a_pass(tmp_path):
    path = tmp_path / "disjoint.duckdb"
    con = open_store(path)
    _run(con, tmp_path, "ee000001", 0, label="low", rates=(25,), endpoints=ENDPOINTS[:1])
    _run(con, tmp_path, "ee000002", 1, label="high", rates=(50,), endpoints=ENDPOINTS[:1])
    con.close()
    line = one_error(compare(path))
    assert line == ("perf: error: no cell of run low matches one of run high (same endpoint, "
                    "rate or concurrency, workers, server, background): base has "
                    f"{ENDPOINTS[0].endpoint} @ 25/s, 1 worker; candidate has "
                    f"{ENDPOINTS[0].endpoint} @ 50/s, 1 worker")


# ---- thresholds ----------------------------------------------------------------------------

def test_fail_on_parses_every_form():
    gate = parse_fail_on("p99:+10%,achieved_rps:-5%,success:-1pp,p50:+2ms,p50:+5%,memory:+20MB")
    assert gate["p99"] == Threshold("p99", relative=0.10)
    assert gate["achieved_rps"] == Threshold("achieved_rps", relative=0.05)
    assert gate["success"] == Threshold("success", points=1.0)
    assert gate["p50"] == Threshold("p50", relative=0.05, absolute=2.0)
    assert gate["memory"] == Threshold("memory", absolute=20.0)
    assert parse_fail_on({"latency_p95_ms": "+7%", "rps": "5%"}) == {
        "p95": Threshold("p95", relative=0.07), "achieved_rps": Threshold("achieved_rps", relative=0.05)}
    assert gate["p50"].text() == "p50:+5%+2ms" and gate["success"].text() == "success:-1pp"
    assert metric_name("CPU") == "cpu_s_per_1k" and metric_name("success_ratio") == "success"


@pytest.mark.parametrize(("spec", "message"), [
    ("p999:+10%", "--fail-on: unknown metric 'p999'; known: achieved_rps, success, p50"),
    ("p99:-10%", "p99 is worse when it rises, so its threshold is +10%"),
    ("achieved_rps:+5%", "achieved_rps is worse when it drops"),
    ("success:-1%", "success is a ratio; give its threshold in percentage points"),
    ("p99:+1pp", "pp (percentage points) is for success only"),
    ("p99:+3MB", "unknown unit 'MB' for p99; use % or ms"),
    ("p99 10%", "cannot read 'p99 10%'; expected METRIC:CHANGE"),
    (",", "--fail-on: empty"),
])
def test_bad_fail_on_names_the_bad_key(spec, message):
    with pytest.raises(PerfError) as err:
        parse_fail_on(spec)
    assert message in str(err.value)


def test_a_fail_on_list_is_the_whole_gate(store):
    settings = compare_settings("p99:+10%")
    assert settings.gate == ("p99",) and settings.source == "--fail-on"
    assert settings.thresholds["p50"] == DEFAULT_THRESHOLDS["p50"]
    # The slowdown still shows on p50, but only p99 gates: regressions name p99 alone.
    doc, code = as_json(store, "base", "slow", "--fail-on", "p99:+10%")
    assert code == 1 and {r["metric"] for r in doc["regressions"]} == {"p99"}
    cell = next(c for c in doc["cells"] if c["cell"]["endpoint"] == SLOW)
    assert cell["metrics"]["p50"]["verdict"] == "worse" and not cell["metrics"]["p50"]["gate"]
    # A gate the slowdown stays inside passes.
    _, code = as_json(store, "base", "slow", "--fail-on", "p99:+80%,success:-1pp")
    assert code == 0
    assert "unknown metric 'p12'" in one_error(compare(store, "--fail-on", "p12:+1%"))


def test_perf_collect_leaves_tool_perf_compare_to_compare():
    from perf.collector.settings.settings import config_values

    assert config_values({"rates": [50], "compare": {"fail_on": "p99:+10%"}}) == {"rates": [50]}
    with pytest.raises(PerfError, match="unknown keys: comparison"):
        config_values({"comparison": {}})


# ---- outputs ------------------------------------------------------------------------------


def test_output_file_and_regressions_on_stderr(store, tmp_path):
    out = tmp_path / "compare.md"
    result = compare(store, "base", "slow", "-o", str(out))
    assert result.exit_code == 1
    assert out.read_text().startswith("## ❌ perf compare: 6 regressions")
    assert f"wrote {out}" in result.stderr and ": p50 " in result.stderr


def _tables(tokens) -> list[tuple[list[str], list[list[str]]]]:
    """(header, rows) of every table markdown-it found."""
    tables, row, rows, header, cell = [], None, None, None, None
    for tok in tokens:
        if tok.type == "table_open":
            header, rows = None, []
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            cell = []
        elif tok.type == "inline" and cell is not None:
            cell.append(tok.content)
        elif tok.type in ("th_close", "td_close"):
            row.append("".join(cell))
            cell = None
        elif tok.type == "tr_close":
            if header is None:
                header = row
            else:
                rows.append(row)
        elif tok.type == "table_close":
            tables.append((header, rows))
    return tables


def test_markdown_is_a_pr_comment_github_can_render(store):
    result = compare(store, "base", "slow", "--format", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    first = text.splitlines()[0]
    assert first == "## ❌ perf compare: 6 regressions"
    assert "base **base** (run aa000001" in text and "candidate **slow** (run ab000003" in text
    md = MarkdownIt("commonmark").enable("table")
    tables = _tables(md.parse(text))
    header, rows = tables[0]
    assert header == ["Cell", "Metric", "Base", "Candidate", "Change", "p", "Basis", "Verdict"]
    assert len(rows) == 6 and {r[1] for r in rows} == {"p50", "p95", "p99"}
    assert all(r[0].startswith(SLOW) and r[-1] == "**worse**" for r in rows)
    assert all(len(r) == len(header) for _, rs in tables for r in rs)
    # The rest is collapsed: every cell's table sits inside <details>.
    details = text.index("<details>")
    assert text.index("**rate 25/s, 1 worker: 3 repeats each**") > details
    assert text.rstrip().endswith("</details>")
    assert len(tables) == 3  # changed + one per rate


def test_markdown_without_changes_says_so(store):
    result = compare(store, "base", "same", "--format", "markdown", "--filter",
                     "/api/simple/sync_threadpool")
    assert result.exit_code == 0
    assert result.stdout.startswith("## ✅ perf compare: no regression")
    assert "No key metric changed beyond its threshold." in result.stdout


def test_stored_text_reaches_outputs_as_text(store, tmp_path):
    """Labels come from users: no escape sequence reaches a terminal, no markup a PR comment."""
    copy = tmp_path / "hostile.duckdb"
    copy.write_bytes(store.read_bytes())
    con = open_store(copy)
    con.execute("UPDATE runs SET label = ? WHERE run_id = 'ab000003slow'",
                ["\x1b]0;owned\x07<img src=x onerror=alert(1)>|`pr`"])
    con.close()
    text = compare(copy, "base", "ab000003").stdout
    assert "\x1b" not in text and "\x07" not in text
    assert "candidate: <img src=x onerror=alert(1)>|`pr` (run ab000003" in text
    md = compare(copy, "base", "ab000003", "--format", "markdown").stdout
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;|<code>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;|`pr`" in html
    assert len(_tables(MarkdownIt("commonmark").enable("table").parse(md))[0][0]) == 8


def test_capacity_drop_is_a_regression(store, tmp_path):
    copy = tmp_path / "capacity.duckdb"
    copy.write_bytes(store.read_bytes())
    con = open_store(copy)
    for cid, run_id, rate in ((1, "aa000001base", 400.0), (2, "aa000002same", 350.0),
                              (3, "aa000001base", 100.0), (4, "aa000002same", 100.0)):
        endpoint = SLOW if cid < 3 else "GET /api/db/async/read/{item_id}"
        con.execute("INSERT INTO capacity (capacity_id, run_id, endpoint, server, workers, slo, rate) "
                    "VALUES (?, ?, ?, 'uvicorn', 1, 'p99<100ms', ?)", [cid, run_id, endpoint, rate])
    con.close()
    doc, code = as_json(copy, "base", "same")
    assert code == 1
    assert [r["line"] for r in doc["regressions"]] == [
        f"{SLOW}, 1 worker, SLO p99<100ms: capacity 400/s → 350/s (-12%, "
        "capacity search: threshold only)"]
    assert [(c["endpoint"], c["verdict"]) for c in doc["capacity"]] == [
        ("GET /api/db/async/read/{item_id}", "same"), (SLOW, "worse")]
    _, code = as_json(copy, "base", "same", "--fail-on", "p99:+20%")
    assert code == 0  # a gate without capacity


# ---- exact output ---------------------------------------------------------------------------

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"


@pytest.mark.parametrize(("name", "args"), [
    ("compare_slow.txt", ("base", "slow")),
    ("compare_slow.md", ("base", "slow", "--format", "markdown")),
    ("compare_one_attack.txt", ("one-a", "one-b", "--filter", "/api/simple")),
])
def test_snapshots(store, name, args):
    """Exact output on the deterministic store (CliRunner is no terminal: plain ASCII at 100
    columns). To accept a deliberate change: PERF_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_compare.py
    and review the diff of tests/snapshots/."""
    actual = compare(store, *args).stdout
    path = SNAPSHOTS / name
    if os.environ.get("PERF_UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert path.exists(), f"no snapshot {path}; run with PERF_UPDATE_SNAPSHOTS=1 to create it"
    assert actual == path.read_text()


def _alternated(tmp: Path, drift: list[float], effect: float) -> Path:
    """Rounds of base then head, each round on a machine `drift[i]` times slower than usual
    (what a shared CI runner does between runs); head is `effect` times the base's latency."""
    path = tmp / f"rounds-{effect}.duckdb"
    con = open_store(path)
    for i, d in enumerate(drift):
        _run(con, tmp, f"rb{i}{effect}", 2 * i, label="base", seed=10 + i, repeats=2,
             slowdown=d, endpoints=[ENDPOINTS[0]], rates=(25,))
        _run(con, tmp, f"rh{i}{effect}", 2 * i + 1, label="head", seed=20 + i, repeats=2,
             slowdown=d * effect, endpoints=[ENDPOINTS[0]], rates=(25,))
    con.close()
    return path


def test_pooled_alternated_rounds_cancel_drift_between_runs(tmp_path):
    drift = [1.0, 1.25, 0.85, 1.1]  # the machine moves by more than the effect sought
    same = _alternated(tmp_path, drift, 1.0)
    result = CliRunner().invoke(cli, ["compare", "base", "head", "--pool", "--store", str(same),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (cell,) = doc["cells"]
    assert cell["method"] == "paired" and cell["basis"] == "4 alternated rounds, 2 attacks a side each"
    assert len(doc["base_runs"]) == len(doc["candidate_runs"]) == 4
    slower = _alternated(tmp_path, drift, 1.1)
    result = CliRunner().invoke(cli, ["compare", "base", "head", "--pool", "--store", str(slower)])
    assert result.exit_code == 1, result.output
    assert "p50" in result.output.splitlines()[-1] and "4 alternated rounds" in result.output
    # Without pooling, the latest base against the latest head sees one round only.
    plain = CliRunner().invoke(cli, ["compare", "base", "head", "--store", str(slower),
                                     "--format", "json"])
    assert json.loads(plain.output)["cells"][0]["method"] == "welch"


def test_pool_needs_labels(store):
    result = CliRunner().invoke(cli, ["compare", "base", "nosuchlabel", "--pool", "--store",
                                      str(store)])
    assert result.exit_code == 2
    assert "no run with results carries the label 'nosuchlabel'" in result.output
