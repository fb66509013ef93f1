"""perf history through the installed command: its width rule is every command's."""

from __future__ import annotations


def test_history_takes_its_width_as_every_command_does(tmp_path):
    """Issue 17 item 7: one width rule (--width, terminal, COLUMNS, 100), one error."""
    from tests.helpers import run_perf
    from tests.report_fixtures import build_store

    store = tmp_path / "s.duckdb"
    build_store(store)
    narrow = run_perf(["history", "--store", str(store), "--width", "10"], tmp_path)
    report = run_perf(["report", "--store", str(store), "--width", "10"], tmp_path)
    assert narrow.returncode == report.returncode != 0
    assert narrow.stderr.strip().splitlines()[-1] == report.stderr.strip().splitlines()[-1]
    sixty = run_perf(["history", "--store", str(store)], tmp_path, COLUMNS="60")
    assert sixty.returncode == 0, sixty.stderr
    assert max(len(line) for line in sixty.stdout.splitlines()) <= 60
