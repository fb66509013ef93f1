"""The PR workflow's own rules, read from the file (tests/system/test_workflow.py runs its
steps)."""

from __future__ import annotations

import shlex

from tests.system.test_workflow import WORKFLOW, steps, workflow  # noqa: F401 (fixtures too)


def test_the_workflow_gates_pull_requests(workflow):
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert "pull_request" in workflow[True]
    assert workflow["permissions"]["pull-requests"] == "write"
    collect = shlex.split(workflow["env"]["PERF_COLLECT"])
    rounds = int(workflow["env"]["PERF_ROUNDS"])
    assert "--quick" in collect and rounds * int(collect[collect.index("--repeat") + 1]) >= 4
    by_name = {s.get("name"): s for s in steps(workflow)}
    assert by_name["Compare"]["id"] == "compare"
    assert "$GITHUB_STEP_SUMMARY" in by_name["Compare"]["run"]
    assert "gh pr comment" in by_name["Comment on the pull request"]["run"]
    fail = by_name["Fail on a regression"]
    assert fail["if"] == "steps.compare.outputs.status != '0'" and "exit 1" in fail["run"]
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "perf-report.html" in upload["with"]["path"]
    rounds_step = by_name["Collect base and head in alternated rounds"]["run"]
    assert 'cd "$RUNNER_TEMP/base" && perf collect $PERF_COLLECT --label base' in rounds_step
    assert "perf compare base head --pool" in by_name["Compare"]["run"]
    assert "github.event.pull_request.base.sha" in by_name["Check out the base commit beside the head"]["run"]
