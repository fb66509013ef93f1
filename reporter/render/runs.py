"""`perf runs`: the runs in the store, newest last, as a text table or JSON."""

from __future__ import annotations

from perf.base.jsontext import json_document
from perf.reporter.render import layout
from perf.reporter.render.escape import terminal_text
from perf.reporter.render.json_doc import RUN_KEYS, _iso
from perf.reporter.render.text import _ascii_table

RUNS_FORMATS = ("text", "json")


def render_runs_text(runs: list[dict]) -> str:
    table = layout.Table(
        "",
        ["Run", "Started", "Label", "Commit", "Status", "Attacks", "Requests"],
        [[terminal_text(cell) for cell in (
            r["run_id"], layout.when(r["started_at"]), r.get("label") or "-",
            (r.get("git_commit") or "-")[:10] + ("+" if r.get("git_dirty") else ""),
            r["status"], str(r["attacks"]), f"{r['requests']:,}")] for r in runs],
        ["l", "l", "l", "l", "l", "r", "r"],
    )
    return "\n".join(_ascii_table(table)[1:]) + "\n"


def render_runs_json(runs: list[dict]) -> str:
    return json_document({"runs": [{k: _iso(r.get(k)) for k in RUN_KEYS} for r in runs]})
