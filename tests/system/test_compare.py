"""perf compare through the installed command: exit codes and pyproject settings (the verdicts
themselves are checked in-process in tests/unit/test_compare.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.unit.test_compare import ENDPOINTS, SLOW, T0, _run, store  # noqa: F401 (fixtures too)


def test_pyproject_settings_and_their_errors(store, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.perf]\nrates = [50]\n\n[tool.perf.compare]\nfail_on = "p99:+80%"\nalpha = 0.01\n')
    env = {**os.environ, "PERF_STORE": str(store)}

    def perf(*args):
        return subprocess.run([sys.executable, "-m", "perf.cli", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120)

    done = perf("compare", "base", "slow", "--format", "json")
    assert done.returncode == 0, done.stderr
    settings = json.loads(done.stdout)["settings"]
    assert settings["gate"] == ["p99"] and settings["alpha"] == 0.01
    assert settings["source"].endswith("pyproject.toml [tool.perf.compare]")
    assert perf("compare", "base", "slow", "--fail-on", "p50:+5%").returncode == 1  # the CLI wins
    (project / "pyproject.toml").write_text('[tool.perf.compare]\nfail_in = "p99:+5%"\n')
    done = perf("compare", "base", "slow")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"perf: error: {project / 'pyproject.toml'} [tool.perf.compare] "
                                   "has unknown keys: fail_in; known: fail_on, alpha, gate_without_repeats")


def test_exit_codes_through_the_installed_command(store, tmp_path):
    perf = Path(sys.executable).parent / "perf"
    runs = {args: subprocess.run([str(perf), "compare", "--store", str(store), *args],
                                 capture_output=True, text=True, timeout=120)
            for args in (("base", "same"), ("base", "slow"), ("base", "--fail-on", "p99:+1"))}
    assert [r.returncode for r in runs.values()] == [0, 1, 2]
    assert runs[("base", "same")].stdout.rstrip().splitlines()[-1] == (
        "no regression (6 cells compared; 3 repeats each)")
    bad = runs[("base", "--fail-on", "p99:+1")]
    assert bad.stdout == ""
    assert bad.stderr == ("perf: error: --fail-on: cannot read 'p99:+1'; expected METRIC:CHANGE, "
                          "e.g. p99:+10%, p50:+2ms, success:-1pp\n")
