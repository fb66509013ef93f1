"""`perf collect --dry-run`: the plan as text for a person, or JSON for a script."""

from __future__ import annotations

from perf.collector.settings.settings import size_text
from perf.base.text import clock, plural
from perf.base.jsontext import json_document
from perf.base.terminal import terminal_text


def _loads(plan) -> str:
    if plan.settings.get("find_capacity"):
        return (f"the highest rate meeting {plan.settings['slo']}, searched from "
                f"{plan.settings['start_rate']:g}/s")
    if plan.mode == "rate":
        return ", ".join(f"{r:g}/s" for r in plan.loads)
    return ", ".join(f"concurrency {c}" for c in plan.loads)


def _attacks(plan) -> str:
    """'6 attacks', 'up to 16 attacks', '4 attacks (and 2 background attacks beside them)'."""
    up_to = "up to " if plan.settings.get("find_capacity") else ""
    beside = (f" (and {plural(plan.background_attacks, 'background attack')} beside them)"
              if plan.background_attacks else "")
    return f"{up_to}{plural(plan.attacks, 'attack')}{beside}"


def _background(load: dict) -> str:
    """'the attacked operation itself, its example body grown to 25MB, at 1/s'."""
    where = load["endpoint"] or "the attacked operation itself"
    body = (f", its example body grown to {size_text(load['size_bytes'])}"
            if load["size_bytes"] is not None else "")
    return f"{where}{body}, at {load['rate']:g}/s"


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
                 f"{repeat}: {_attacks(plan)}, ~{clock(plan.planned_load_s)} of load")
    if plan.background:
        lines.append("  background: each attack runs again beside "
                     + ("this load:" if len(plan.background) == 1 else "these loads, all at once:"))
        lines += [f"    {_background(load)}" for load in plan.background]
    if plan.setup:
        lines.append(f"  setup first: {', '.join(plan.setup)}")
    if plan.quick:
        lines.append(f"  {plan.quick}")
    if plan.login:
        lines.append(f"  login: {plan.login}")
    for got in plan.values:
        lines.append(f"  {got['param']} = {got['value']} (from {got['from']})")
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
