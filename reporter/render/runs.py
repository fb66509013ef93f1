"""`perf runs`: the runs in the store, newest last, as a text table or JSON."""

from __future__ import annotations

from perf.base.jsontext import json_document
from perf.reporter.render.blocks import Table
from perf.reporter.render.escape import terminal_text
from perf.reporter.render.json_doc import run_dict
from perf.reporter.render.shared import ascii_table, when
from perf.reporter.rows import RunRow

RUNS_FORMATS = ("text", "json")


def render_runs_text(runs: list[RunRow]) -> str:
    table = Table(
        "",
        ["Run", "Started", "Label", "Commit", "Status", "Attacks", "Requests"],
        [[terminal_text(cell) for cell in (
            r.run_id, when(r.started_at), r.label or "-",
            (r.git_commit or "-")[:10] + ("+" if r.git_dirty else ""),
            r.status, str(r.attacks), f"{r.requests:,}")] for r in runs],
        ["l", "l", "l", "l", "l", "r", "r"],
    )
    return "\n".join(ascii_table(table)[1:]) + "\n"


def render_runs_json(runs: list[RunRow]) -> str:
    return json_document({"runs": [run_dict(r) for r in runs]})
