"""The GitHub Actions workflows users copy (docs/workflows/), read as GitHub reads them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.helpers import REPO

WORKFLOWS = REPO / "docs" / "workflows"
PR_WORKFLOW = WORKFLOWS / "perf.yml"
COMMENT_WORKFLOW = WORKFLOWS / "perf-comment.yml"
MAIN_WORKFLOW = WORKFLOWS / "perf-main.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def steps(workflow: dict) -> list[dict]:
    """The steps of the workflow's jobs, in order."""
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def named(workflow: dict) -> dict[str, dict]:
    return {s["name"]: s for s in steps(workflow) if "name" in s}


def substitute(text: str, values: dict[str, str]) -> str:
    """`${{ expr }}` replaced by values[expr], as the runner expands an env value; an expression
    the test was not told about is an error rather than an empty string."""
    def one(match: re.Match) -> str:
        expr = match.group(1)
        assert expr in values, f"the test does not know the expression ${{{{ {expr} }}}}"
        return values[expr]
    return EXPRESSION.sub(one, text)
