"""The pull-request workflow users copy (docs/workflows/perf.yml): its shape, and every step
that calls perf run as GitHub would run it (bash -e, the workflow's env, GITHUB_* files),
against a local store, so the example cannot rot. What only GitHub has is substituted: the
runner's temp folder, the two checkouts (copies of target_app), the PR's numbers."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from perf.store.database import open_store
from tests.helpers import REPO

WORKFLOW = REPO / "docs" / "workflows" / "perf.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# Narrows the workflow's own collect options to one endpoint at one rate with short attacks
# (and its rounds to two).
NARROW = "--filter /api/simple/async --rates 20 --duration 1s"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["perf"]["steps"]


def _substitute(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        expr = match.group(1)
        assert expr in values, f"the test does not know the expression ${{{{ {expr} }}}}"
        return values[expr]
    return EXPRESSION.sub(one, text)


def _checkout(where: Path) -> Path:
    """What a checkout of this repository gives perf collect: the app under test."""
    where.mkdir(parents=True)
    shutil.copytree(REPO / "target_app", where / "target_app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where


def test_the_perf_steps_run_against_a_local_store(workflow, tmp_path):
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    workspace = _checkout(tmp_path / "workspace")  # the head commit
    _checkout(runner_temp / "base")  # what `git worktree add` puts there
    files = {name: tmp_path / name for name in ("summary.md", "output.txt", "path.txt")}
    for f in files.values():
        f.touch()
    values = {"runner.temp": str(runner_temp), "github.token": "not-a-token",
              "github.event.pull_request.base.sha": "0" * 40,
              "github.event.pull_request.number": "1"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERF_", "TARGET_APP_"))}
    env.update({k: _substitute(str(v), values) for k, v in workflow["env"].items()})
    env["PERF_COLLECT"] += " " + NARROW
    env["PERF_ROUNDS"] = "2"  # two rounds show the alternation; the workflow's count is checked above
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_WORKSPACE=str(workspace),
               GITHUB_STEP_SUMMARY=str(files["summary.md"]), GITHUB_OUTPUT=str(files["output.txt"]),
               GITHUB_PATH=str(files["path.txt"]),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    ran = []
    for step in steps(workflow):
        script = step.get("run", "")
        if not re.search(r"(^|\s)perf ", script):
            continue  # set-up, git, gh: GitHub's part
        cwd = _substitute(step.get("working-directory", str(workspace)), values)
        done = subprocess.run(["bash", "-e", "-c", _substitute(script, values)], cwd=cwd,
                              env={**env, **{k: _substitute(str(v), values)
                                             for k, v in step.get("env", {}).items()}},
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"step {step.get('name')!r}:\n{done.stdout}\n{done.stderr}"
        ran.append(step["name"])
    assert ran == ["Collect base and head in alternated rounds", "Compare"]

    # Both sides stored, the one cell once per repeat.
    con = open_store(env["PERF_STORE"], read_only=True)
    try:
        rows = con.execute("SELECT r.label, count(*), list(DISTINCT a.repeat_index ORDER BY a.repeat_index) "
                           "FROM runs r JOIN attacks a USING (run_id) GROUP BY r.label ORDER BY r.label"
                           ).fetchall()
    finally:
        con.close()
    collect = shlex.split(workflow["env"]["PERF_COLLECT"])
    repeats = int(collect[collect.index("--repeat") + 1])
    rounds = int(env["PERF_ROUNDS"])
    assert rows == [(label, rounds * repeats, list(range(repeats))) for label in ("base", "head")]
    # The gate's decision (0 or 1; never 2, which would mean it could not compare).
    status = dict(line.split("=", 1) for line in files["output.txt"].read_text().splitlines())
    assert status["status"] in ("0", "1")
    summary = files["summary.md"].read_text()
    assert summary == (workspace / "perf-compare.md").read_text()
    assert summary.startswith("## " + ("✅" if status["status"] == "0" else "❌") + " perf compare")
    tokens = MarkdownIt("commonmark").enable("table").parse(summary)
    assert any(t.type == "table_open" for t in tokens)
    assert "base **base** (" in summary and "candidate **head** (" in summary
    assert f"{rounds} runs pooled" in summary and f"{rounds} alternated rounds" in summary
    assert (workspace / "perf-report.html").stat().st_size > 100_000
