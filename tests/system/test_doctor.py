"""perf doctor and the vegeta the set-up installed: the real binary, really attacking."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

from perf.collector.server.server import start_server
from tests.helpers import REPO, run_perf


def test_doctor_reports_pinned_vegeta_and_exits_zero(tmp_path):
    proc = run_perf(["doctor", "--store", str(tmp_path / "s.duckdb")], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = dict(line.split(None, 1) for line in proc.stdout.splitlines() if line.strip())
    assert lines["vegeta"].startswith("v12.13.0 (")
    assert lines["perf"] == "0.1.0"
    assert "x" in lines["cpu"] and lines["store"].startswith(str(tmp_path / "s.duckdb"))


def test_doctor_names_what_is_missing(tmp_path):
    proc = run_perf(["doctor"], tmp_path, PERF_VEGETA=str(tmp_path / "nowhere"))
    assert proc.returncode == 1
    (line,) = [l for l in proc.stdout.splitlines() if l.startswith("vegeta")]
    assert "MISSING" in line and "install vegeta v12.13.0" in line


def test_doctor_refuses_an_executable_that_is_not_vegeta(tmp_path):
    claims = tmp_path / "claims" / "vegeta"  # says vegeta's version, does nothing else
    claims.parent.mkdir()
    claims.write_text('#!/bin/sh\necho "Version: v12.13.0"\n')
    claims.chmod(0o755)
    other = tmp_path / "other" / "vegeta"  # some other program under vegeta's name
    other.parent.mkdir()
    other.write_bytes(Path("/bin/true").read_bytes())
    other.chmod(0o755)
    for fake, why in ((claims, "it does not encode a vegeta result as vegeta does (exit 0)"),
                      (other, "it does not answer -version as vegeta does, nor carry vegeta's "
                              "module path")):
        proc = run_perf(["doctor", "--vegeta", str(fake), "--store", str(tmp_path / "s.duckdb")],
                        tmp_path)
        assert proc.returncode == 1, proc.stdout
        (line,) = [l for l in proc.stdout.splitlines() if l.startswith("vegeta")]
        assert line == f"vegeta    UNUSABLE: {fake}: {why}: not vegeta"


def test_help_lists_every_command_with_a_summary(tmp_path):
    proc = run_perf(["--help"], tmp_path)
    assert proc.returncode == 0
    for command in ("doctor", "collect", "ingest", "runs", "report"):
        assert any(l.strip().startswith(command + " ") for l in proc.stdout.splitlines()), command
    for command in ("doctor", "collect", "ingest", "runs", "report"):
        sub = run_perf([command, "--help"], tmp_path)
        assert sub.returncode == 0 and "Example" in sub.stdout, command


def test_vegeta_attacks_health_at_20_per_second(tmp_path, vegeta):
    srv = start_server("uvicorn", "target_app.main:app", 1, tmp_path / "logs",
                       env={"TARGET_APP_DB": str(tmp_path / "app.sqlite3"), "PYTHONPATH": str(REPO)})
    try:
        attack = subprocess.run(
            [str(vegeta), "attack", "-rate=20/1s", "-duration=1s"],
            input=f"GET {srv.base_url}/health\n".encode(), capture_output=True, check=True, timeout=30,
        )
        encoded = subprocess.run([str(vegeta), "encode", "--to", "csv"], input=attack.stdout,
                                 capture_output=True, check=True, timeout=30)
    finally:
        srv.stop()
    rows = list(csv.reader(encoded.stdout.decode().splitlines()))
    assert len(rows) == 20
    assert {row[1] for row in rows} == {"200"}
