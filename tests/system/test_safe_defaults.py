"""Issue 19: safe by default. Operations whose words say they destroy data or make the app
fetch a URL, and endless streams, are left out with the reason in the plan (--endpoint or
--include-destructive bring them back); --exclude leaves out more; a --param that fills nothing
is an error; "METHOD /path:name=value" fills one operation only."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_perf


def _plan(tmp_path, app: str, *options: str) -> dict:
    proc = run_perf(["collect", "--app", app, *options, "--dry-run", "--format", "json"], tmp_path,
                    APP_STATE_DB=str(tmp_path / "state.sqlite"))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _names(plan: dict) -> set[str]:
    return {op["endpoint"] for op in plan["operations"]}


def test_destructive_and_url_fetching_routes_are_left_out_with_their_reason(tmp_path):
    plan = _plan(tmp_path, "tests.apps.admin_danger:app")
    assert _names(plan) == {"GET /items", "POST /items", "GET /items/{item_id}", "GET /calls"}
    skipped = {s["endpoint"]: s["reason"] for s in plan["skipped"]}
    assert skipped["POST /admin/maintenance/clean-up"].startswith("looks destructive (`clean`)")
    assert skipped["POST /admin/backups"].startswith("looks destructive (`backups`)")
    assert skipped["POST /imports/from-url"].startswith("makes the app fetch a URL")
    assert "--include-destructive" in skipped["POST /items/bulk-delete"]
    assert len(skipped) == 6
    # named, one comes back; --include-destructive brings them all
    back = _plan(tmp_path, "tests.apps.admin_danger:app", "--endpoint", "POST /admin/restore")
    assert _names(back) == {"POST /admin/restore"}
    assert len(_names(_plan(tmp_path, "tests.apps.admin_danger:app", "--include-destructive"))) == 10


def test_exclude_takes_globs_over_the_operation_and_its_path(tmp_path):
    plan = _plan(tmp_path, "tests.apps.admin_danger:app", "--exclude", "GET /items*",
                 "--exclude", "/calls")
    assert _names(plan) == {"POST /items"}
    reasons = {s["endpoint"]: s["reason"] for s in plan["skipped"]}
    assert reasons["GET /items/{item_id}"] == "--exclude GET /items*"
    assert reasons["GET /calls"] == "--exclude /calls"


def test_an_endless_stream_is_left_out_unless_named(tmp_path):
    plan = _plan(tmp_path, "tests.apps.streams_and_redirects:app")
    assert "GET /events" not in _names(plan)
    (reason,) = [s["reason"] for s in plan["skipped"] if s["endpoint"] == "GET /events"]
    assert reason.startswith("an endless stream (text/event-stream)")


def test_a_param_that_fills_nothing_is_an_error_naming_what_exists(tmp_path):
    proc = run_perf(["collect", "--app", "tests.apps.devices:app", "--param", "nmu=3",
                     "--dry-run"], tmp_path, APP_STATE_DB=str(tmp_path / "state.sqlite"))
    assert proc.returncode != 0
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("perf: error: --param nmu=... matches no parameter or body field")
    assert "device_id" in line and "owner_email" in line


@pytest.mark.parametrize("given,expected", [
    ("GET /devices/{device_id}:device_id=0b7f1d52-0000-4000-8000-000000000001",
     {"GET /devices/{device_id}": "/devices/0b7f1d52-0000-4000-8000-000000000001"}),
])
def test_a_param_scoped_to_one_operation_fills_that_operation_only(tmp_path, given, expected):
    plan = _plan(tmp_path, "tests.apps.devices:app", "--param", given)
    urls = {op["endpoint"]: op["url"] for op in plan["operations"]}
    for endpoint, path in expected.items():
        assert urls[endpoint].endswith(path)
    assert not urls["PATCH /devices/{device_id}"].endswith("0000-000000000001")
