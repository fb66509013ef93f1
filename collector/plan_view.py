"""`perf collect --dry-run`: the plan as text for a person, or JSON for a script."""

from __future__ import annotations

from perf.output import json_document

from perf.terminal import terminal_text


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _loads(plan) -> str:
    if plan.mode == "rate":
        return ", ".join(f"{r:g}/s" for r in plan.loads)
    return ", ".join(f"concurrency {c}" for c in plan.loads)


def render_plan(plan, fmt: str) -> str:
    """JSON escapes every control character itself (and stays exact); text lines carry the
    app's own names and reasons, so each goes through terminal_text."""
    if fmt == "json":
        return json_document(plan.to_json(), default=str)
    lines = [f"plan for {plan.target}"]
    lines.append(f"  OpenAPI document: {plan.openapi_path or '(none)'}; ready when "
                 f"{plan.ready_path} answers")
    workers = ", ".join("?" if w is None else str(w) for w in plan.workers)
    repeat = f", {plan.repeat} repeats each" if plan.repeat > 1 else ""
    lines.append(f"  loads: {_loads(plan)}; workers: {workers}; {plan.duration_s:g}s attacks"
                 f"{repeat}: {plan.attacks} attacks, ~{_clock(plan.to_json()['planned_load_s'])} "
                 f"of load")
    if plan.setup:
        lines.append(f"  setup first: {', '.join(plan.setup)}")
    lines.append("")
    lines.append(f"attacked ({len(plan.operations)}):")
    for op in plan.operations:
        lines.append(f"  {op['endpoint']}")
        lines.append(f"      {op['method']} {op['url']}")
        for name, value in (op.get("headers") or {}).items():
            lines.append(f"      {name}: {value}")
        if op.get("body") is not None:
            lines.append(f"      body: {op['body']}")
    if plan.skipped:
        lines.append("")
        lines.append(f"skipped ({len(plan.skipped)}):")
        for skipped in plan.skipped:
            lines.append(f"  {skipped['endpoint']}: {skipped['reason']}")
    return "\n".join(terminal_text(line) for line in lines) + "\n"
