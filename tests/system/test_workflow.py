"""The workflows users copy (docs/workflows/), checked the way GitHub would take them: linted by
actionlint (contexts where GitHub allows them, expressions, the pinned actions' inputs, and
every script through shellcheck), and every step that calls perf run as the runner runs it
(bash -e, the step's env with its expressions expanded, the GITHUB_* files) against a local
store, so the example cannot rot. What only GitHub has stands in: the two checkouts (copies of
target_app), the app's virtualenvs (this one's packages), the PR's number."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from perf.store.database import open_store
from tests.helpers import REPO
from tests.workflows import (COMMENT_WORKFLOW, MAIN_WORKFLOW, PR_WORKFLOW, WORKFLOWS, load, named, steps,
                             substitute)

ACTIONLINT = Path(sys.executable).parent / "actionlint"
# Narrows the workflow's own collect options to one endpoint at one rate with short attacks,
# with a value holding spaces that must reach perf as one argument.
NARROW = "--filter /api/simple/async --rates 20 --duration 1s --header 'X-Note: two words'"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess:
    if not ACTIONLINT.exists():
        pytest.fail(f"no actionlint at {ACTIONLINT}: run `make actionlint`")
    if shutil.which("shellcheck") is None and os.environ.get("CI"):
        pytest.fail("CI is set but shellcheck is not installed: run `make actionlint` as root")
    return subprocess.run([str(ACTIONLINT), "-no-color", *map(str, paths)], capture_output=True,
                          text=True, timeout=120)


def test_actionlint_accepts_every_workflow_and_rejects_what_github_rejects(tmp_path):
    done = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr
    # The flaw this lint was added for: a context GitHub does not allow in a workflow's env.
    broken = tmp_path / "perf.yml"
    broken.write_text(PR_WORKFLOW.read_text().replace(
        "  VEGETA_VERSION: v12.13.0\n", "  VEGETA_VERSION: v12.13.0\n  PERF_STORE: ${{ runner.temp }}/x\n"))
    done = _actionlint(broken)
    assert done.returncode == 1 and 'context "runner" is not allowed here' in done.stdout


def _checkout(where: Path) -> Path:
    """What a checkout of this repository gives perf collect: the app under test."""
    where.mkdir(parents=True)
    shutil.copytree(REPO / "target_app", where / "target_app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where


def _app_venv(where: Path) -> None:
    """A virtualenv as the install step makes one, holding this environment's packages (fastapi,
    uvicorn) through a .pth file rather than installing them again."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    (site,) = where.glob("lib/python*/site-packages")
    ours = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (site / "ours.pth").write_text(f"{ours}\n")


class Runner:
    """Runs a workflow's steps as the GitHub runner does, in a folder of its own."""

    def __init__(self, tmp_path: Path, workflow: dict, **values: str):
        self.temp = tmp_path / "runner"
        self.temp.mkdir()
        self.workspace = _checkout(tmp_path / "workspace")  # the head commit
        self.files = {name: tmp_path / name for name in ("summary.md", "output.txt", "path.txt")}
        for f in self.files.values():
            f.touch()
        self.values = {"runner.temp": str(self.temp), "github.event.pull_request.number": "7",
                       "github.repository_owner": "o", "github.event.repository.name": "r",
                       **values}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PERF_", "TARGET_APP_"))}
        env.update({k: substitute(str(v), self.values) for k, v in workflow["env"].items()})
        env.update(RUNNER_TEMP=str(self.temp), GITHUB_WORKSPACE=str(self.workspace),
                   GITHUB_STEP_SUMMARY=str(self.files["summary.md"]),
                   GITHUB_OUTPUT=str(self.files["output.txt"]), GITHUB_PATH=str(self.files["path.txt"]),
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
        self.env = env

    def run(self, step: dict) -> subprocess.CompletedProcess:
        step_env = {k: substitute(str(v), self.values) for k, v in step.get("env", {}).items()}
        return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=self.workspace,
                              env={**self.env, **step_env}, capture_output=True, text=True,
                              timeout=600)

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.files["output.txt"].read_text().splitlines())


def test_the_perf_steps_run_against_a_local_store(tmp_path):
    workflow = load(PR_WORKFLOW)
    gh = Runner(tmp_path, workflow)
    _checkout(gh.temp / "base")  # what `git worktree add` puts there
    for side in ("base", "head"):
        _app_venv(gh.temp / f"app-{side}")  # what the install step makes
    gh.env.update(PERF_APP="target_app.main:app", PERF_ROUNDS="2")  # two rounds show the alternation
    gh.env["PERF_COLLECT"] += " " + NARROW
    ran = []
    for step in steps(workflow):
        if not _calls_perf(step):
            continue  # set-up, git, pip: GitHub's part
        done = gh.run(step)
        assert done.returncode == 0, f"step {step['name']!r}:\n{done.stdout}\n{done.stderr}"
        ran.append(step["name"])
    assert ran == ["Check perf's set-up", "Collect base and head in alternated rounds", "Compare"]

    # Both sides stored, the one cell once per round, each run with its side's interpreter and
    # the quoted header whole.
    con = open_store(gh.temp / "perf.duckdb", read_only=True)
    try:
        rows = con.execute("SELECT r.label, count(*), list(DISTINCT a.repeat_index) FROM runs r "
                           "JOIN attacks a USING (run_id) GROUP BY r.label ORDER BY r.label").fetchall()
        configs = [json.loads(c) for (c,) in con.execute("SELECT config FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()
    collect = shlex.split(workflow["env"]["PERF_COLLECT"])
    repeats = int(collect[collect.index("--repeat") + 1])
    assert rows == [(label, 2 * repeats, list(range(repeats))) for label in ("base", "head")]
    assert [Path(c["python"]).parent.parent.name for c in configs] == ["app-base", "app-head"] * 2
    # One header, its value whole (perf stores a header's value masked after its first word).
    assert all(c["headers"] == ["X-Note: two ***"] for c in configs)

    # The gate's decision (0 or 1; never 2, which would mean it could not compare), and what
    # the comment workflow will read.
    out = gh.workspace / "perf-out"
    status = gh.outputs()["status"]
    assert status in ("0", "1") and (out / "status").read_text().strip() == status
    assert (out / "pr-number").read_text().strip() == "7"
    summary = gh.files["summary.md"].read_text()
    assert summary == (out / "perf-compare.md").read_text()
    assert summary.startswith("## " + ("✅" if status == "0" else "❌") + " perf compare")
    tokens = MarkdownIt("commonmark").enable("table").parse(summary)
    assert any(t.type == "table_open" for t in tokens)
    assert "base **base** (" in summary and "candidate **head** (" in summary
    assert "2 runs pooled" in summary and "2 alternated rounds" in summary
    # A changed cell links to its history on the team's published site.
    assert gh.env["PERF_HISTORY_URL"] == "https://o.github.io/r/"
    links = re.findall(r"^\| \[[^]]+\]\(([^)]+)\)", summary, re.M)
    assert all(link.startswith("https://o.github.io/r/?endpoint=") for link in links)
    assert bool(links) == ("| Cell | Metric |" in summary)
    assert (out / "perf-report.html").stat().st_size > 100_000
    assert list((out / "server-logs").glob("*.log"))  # the servers' logs go with the artifact


def _calls_perf(step: dict) -> bool:
    commands = [line for line in step.get("run", "").splitlines() if not line.strip().startswith("#")]
    return any(re.search(r"(^|[\s(])perf ", line) for line in commands)


def test_main_adds_each_run_to_the_history_folder_and_builds_the_site(tmp_path):
    """Two pushes to main: each collect is exported as a folder of its own into the history
    (what the data branch holds), and the site is built from the folder, not from a store."""
    workflow = load(MAIN_WORKFLOW)
    gh = Runner(tmp_path, workflow, **{"github.sha": "0" * 40, "github.server_url": "https://github.com",
                                       "github.repository": "o/r"})
    _app_venv(gh.temp / "app")  # what the install step makes
    (gh.temp / "history" / "runs").mkdir(parents=True)  # what the history checkout makes
    gh.env.update(PERF_APP="target_app.main:app")
    gh.env["PERF_COLLECT"] = gh.env["PERF_COLLECT"].replace("--repeat 3", "--repeat 1") + " " + NARROW
    gh.env["PACK_EVERY"] = "2"  # the second push packs both runs
    for push in range(2):
        if push:
            (gh.temp / "perf.duckdb").unlink()  # each push runs on a fresh runner
        ran = []
        for step in steps(workflow):
            if _calls_perf(step):
                done = gh.run(step)
                assert done.returncode == 0, f"step {step['name']!r}:\n{done.stdout}\n{done.stderr}"
                ran.append(step["name"])
        assert ran == ["Collect", "Export the run into the history", "Pack the history", "Build the site"]
        kept = sorted(p.name for p in (gh.temp / "history" / "runs").iterdir())
        assert len(kept) == 1 and kept[0].startswith("pack-") == bool(push)  # a run folder, then a pack
    [pack] = (gh.temp / "history" / "runs").iterdir()
    assert len(json.loads((pack / "manifest.json").read_text())["runs"]) == 2
    history = json.loads((gh.workspace / "site" / "history.json").read_text())
    assert {len(cell["runs"]) for cell in history["cells"]} == {2}
    assert (gh.workspace / "site" / "index.html").stat().st_size > 10_000
    assert (gh.workspace / "site" / "plotly.min.js").exists() and len(list((gh.workspace / "site" / "runs").iterdir())) == 2
    assert "compare/" in (gh.workspace / "site" / "runs.html").read_text()  # the second run against the first
    assert "perf history" in gh.files["summary.md"].read_text()


def test_the_summary_says_so_when_compare_cannot_run(tmp_path):
    """An empty store: perf compare exits 2 and writes nothing, yet the summary and the comment
    get a line, and the job fails."""
    workflow = load(PR_WORKFLOW)
    gh = Runner(tmp_path, workflow)
    done = gh.run(named(workflow)["Compare"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert gh.outputs()["status"] == "2"
    summary = gh.files["summary.md"].read_text()
    assert summary.startswith("## ⚠️ perf compare could not run (exit 2)")
    assert summary == (gh.workspace / "perf-out" / "perf-compare.md").read_text()


FAKE_GH = """#!/usr/bin/env bash
# gh as the comment step calls it: every call recorded (one JSON list of its arguments a line);
# a read answers the canned comments through the real jq.
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$GH_LOG"
if [ "$1 $2" = "api -X" ]; then exit 0; fi
jq -r "${@: -1}" "$GH_COMMENTS"
"""


@pytest.mark.parametrize("existing, call", [
    ([], ["-X", "POST", "repos/o/r/issues/7/comments"]),
    ([{"id": 11, "user": {"login": "someone"}, "body": "<!-- perf compare -->\nquoted"},
      {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "another workflow's"},
      {"id": 13, "user": {"login": "github-actions[bot]"}, "body": "<!-- perf compare -->\nold"}],
     ["-X", "PATCH", "repos/o/r/issues/comments/13"]),
])
def test_the_comment_step_edits_its_own_comment_or_posts_one(tmp_path, existing, call):
    if shutil.which("jq") is None:
        pytest.fail("jq is not installed: run `make actionlint` as root")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "comments.json").write_text(json.dumps(existing))
    out = tmp_path / "perf-out"
    out.mkdir()
    (out / "pr-number").write_text("7\n")
    (out / "perf-compare.md").write_text("## ✅ perf compare\n")
    workflow = load(COMMENT_WORKFLOW)
    step = named(workflow)["Comment on the pull request"]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "GH_LOG": str(tmp_path / "gh.log"), "GH_COMMENTS": str(tmp_path / "comments.json"),
           **{k: substitute(str(v), {"github.token": "t", "github.repository": "o/r"})
              for k, v in step["env"].items()}}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [json.loads(line) for line in (tmp_path / "gh.log").read_text().splitlines()]
    assert len(calls) == 2 and calls[0][:2] == ["api", "repos/o/r/issues/7/comments"]
    assert calls[1] == ["api", *call, "-f", "body=<!-- perf compare -->\n## ✅ perf compare"]
    # A number from the artifact that is not one is refused before any call.
    (out / "pr-number").write_text("7; rm -rf /\n")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no pull request number" in done.stdout
    assert len((tmp_path / "gh.log").read_text().splitlines()) == 2
