"""The app's own text (a route path with escape sequences, an import error, skip reasons) never
reaches a terminal raw: not in the plan, the progress lines, collect's end lines, error lines
or the reports made from the store."""

from __future__ import annotations

import json

import pytest

from tests.apps.hostile import ESCAPED_PATH
from tests.helpers import run_perf

ESCAPED = "GET " + ESCAPED_PATH
SHOWN = "GET /escred"  # what is left of it: the text, without its colour or window title
CONTROLS = ("\x1b", "\x07")


def _clean(text: str) -> bool:
    return not any(c in text for c in CONTROLS)


@pytest.mark.slow
def test_an_escaped_route_is_planned_collected_and_reported_as_text(tmp_path):
    store = str(tmp_path / "s.duckdb")
    plan = run_perf(["collect", "--app", "tests.apps.hostile:app", "--dry-run", "--store", store],
                    tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert _clean(plan.stdout + plan.stderr), repr(plan.stdout + plan.stderr)
    assert f"  {SHOWN}\n" in plan.stdout

    as_json = run_perf(["collect", "--app", "tests.apps.hostile:app", "--dry-run", "--format",
                        "json", "--store", store], tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    assert _clean(as_json.stdout), repr(as_json.stdout)  # JSON escapes them itself...
    names = [op["endpoint"] for op in json.loads(as_json.stdout)["operations"]]
    assert ESCAPED in names  # ...and keeps the name exact

    sweep = run_perf(["collect", "--app", "tests.apps.hostile:app", "--endpoint", ESCAPED,
                      "--rates", "5", "--duration", "1s", "--workers", "1", "--warmup", "0",
                      "--label", "esc\x1b]0;label\x07", "--store", store], tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    assert _clean(sweep.stdout + sweep.stderr), repr(sweep.stderr)
    assert f"[1/1] {SHOWN} @ 5/s" in sweep.stderr

    for command in (["report"], ["report", "--format", "markdown"], ["runs"]):
        out = run_perf([*command, "--store", store], tmp_path)
        assert out.returncode == 0, out.stderr
        assert _clean(out.stdout + out.stderr), (command, repr(out.stdout))
    assert "/escred" in run_perf(["report", "--store", store], tmp_path).stdout


def test_an_import_error_is_one_clean_line(tmp_path):
    (tmp_path / "evil.py").write_text(
        'raise RuntimeError("\\x1b]0;owned\\x07\\x1b[31mboom")\n')
    proc = run_perf(["collect", "--app", "evil:app", "--app-dir", str(tmp_path), "--dry-run",
                     "--store", str(tmp_path / "s.duckdb")], tmp_path)
    assert proc.returncode == 1
    assert _clean(proc.stderr), repr(proc.stderr)
    (line,) = proc.stderr.splitlines()
    assert line == "perf: error: cannot import app 'evil:app': RuntimeError: boom"


