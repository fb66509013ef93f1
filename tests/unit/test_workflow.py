"""The workflows users copy, read from their files: what they run on, what they may write, how
they pin, cache and pass values (tests/system/test_workflow.py lints them with actionlint and
runs their perf steps)."""

from __future__ import annotations

import re
import shlex

from tests.workflows import COMMENT_WORKFLOW, MAIN_WORKFLOW, PR_WORKFLOW, WORKFLOWS, load, named, steps

PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@([0-9a-f]{40})\s+#\s+v\d+(\.\d+)*\s*$")


def test_the_workflow_gates_pull_requests():
    workflow = load(PR_WORKFLOW)
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert "docs/**" in workflow[True]["pull_request"]["paths-ignore"]
    assert workflow["permissions"] == {"contents": "read"}  # a fork's token: the comment is elsewhere
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in workflow["concurrency"]["group"]
    collect = shlex.split(workflow["env"]["PERF_COLLECT"])
    rounds = int(workflow["env"]["PERF_ROUNDS"])
    assert "--quick" in collect and rounds * int(collect[collect.index("--repeat") + 1]) >= 4
    by_name = named(workflow)
    # The base is the merge commit's first parent: what the pull request merges into.
    assert steps(workflow)[0]["with"]["fetch-depth"] == 2
    assert by_name["Check out the base commit beside the head"]["run"].endswith(" HEAD^1")
    compare = by_name["Compare"]
    assert compare["id"] == "compare" and compare["if"] == "always()"
    assert "$GITHUB_STEP_SUMMARY" in compare["run"] and "perf compare base head --pool" in compare["run"]
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"] == {"name": "perf-compare", "path": "perf-out/"} and upload["if"] == "always()"
    fail = by_name["Fail on a regression"]
    assert fail["if"] == "steps.compare.outputs.status != '0'" and "exit 1" in fail["run"]


def test_every_action_is_pinned_by_commit_with_its_version_beside_it():
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line):
                assert PINNED.match(line), f"{path.name}: {line.strip()}"


def test_no_script_holds_an_expression():
    """Values reach scripts through env only: a PR's text can never become shell code, and a
    script runs the same under the test as on GitHub."""
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(load(path)):
            assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name')}"


def test_vegeta_and_pip_downloads_are_cached():
    by_name = named(load(PR_WORKFLOW))
    vegeta = by_name["Cache vegeta"]
    assert "VEGETA_VERSION" in vegeta["with"]["key"]
    build = by_name["Build vegeta"]
    assert build["if"] == "steps.vegeta.outputs.cache-hit != 'true'" and "$VEGETA_VERSION" in build["run"]
    assert by_name["Cache pip downloads"]["with"]["path"] == "~/.cache/pip"


def test_the_comment_workflow_updates_its_own_marked_comment():
    pr, comment = load(PR_WORKFLOW), load(COMMENT_WORKFLOW)
    trigger = comment[True]["workflow_run"]
    assert trigger == {"workflows": [pr["name"]], "types": ["completed"]}
    assert comment["permissions"] == {"actions": "read", "pull-requests": "write"}
    download = next(s for s in steps(comment) if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["name"] == "perf-compare"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    script = named(comment)["Comment on the pull request"]["run"]
    assert "*[!0-9]*" in script  # the number from a fork's artifact is checked, not trusted
    assert "-X PATCH" in script and "-X POST" in script


def test_main_keeps_every_run_in_a_history_of_folders_and_publishes_it():
    workflow = load(MAIN_WORKFLOW)
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # every merge's run is kept
    assert workflow["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}
    by_name = named(workflow)
    assert 'perf export latest --to "$RUNNER_TEMP/history/runs"' in by_name["Export the run into the history"]["run"]
    assert by_name["Build the site"]["env"]["PERF_STORE"].endswith("/history/runs")  # the folder is the store
    push = by_name["Push the history"]["run"]
    assert "git add runs" in push and "pull --rebase" in push and "--force" not in push
    assert workflow["jobs"]["deploy"]["needs"] == "collect"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps(workflow))
