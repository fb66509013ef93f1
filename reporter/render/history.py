"""perf history's output: text and markdown (a table of runs per cell, change points marked
and listed), json (every value and change point, for scripts and the dashboard's history
charts). Plain functions of a perf.reporter.compute.changepoints.History."""

from __future__ import annotations

from perf.base.jsontext import json_document
from perf.reporter.render.blocks import Block, Lines, Table
from perf.reporter.render.shared import column_header, markdown_table
from perf.reporter.compute.changepoints import CellHistory, ChangePoint, History
from perf.reporter.render.escape import markdown_text
from perf.store.metrics import METRICS, format_value
from perf.reporter.compute.thresholds import KEY_METRICS
from perf.base.text import load_label, plural

FORMAT_VERSION = 1
# A cell's table shows its newest runs and the two runs around each change point; the others
# fold into one line each stretch (a thousand-run history is not read row by row; json has it).
NEWEST_ROWS = 20
METHOD = ("PELT (L2 cost) on each metric's per-run medians, each change point kept only if "
          "Welch's t-test between its neighbouring segments gives p < 0.01 and the shift "
          "passes the metric's compare threshold")


def shift_size(name: str, cp: ChangePoint, space: str = " ") -> str:
    """'+12%', '-1.50 pp', or 'from 0' (a level of 0 has no relative change)."""
    if METRICS[KEY_METRICS[name]].unit == "ratio":
        return f"{cp.change:+.2f}{space}pp"
    return "from 0" if cp.change is None else f"{cp.change * 100:+.0f}%"


def shift_text(name: str, cp: ChangePoint) -> str:
    metric = KEY_METRICS[name]
    size = shift_size(name, cp)
    unit = METRICS[metric].unit
    unit = f" {unit}" if unit in ("ms", "MB", "req/s") else ""
    return (f"{name} {size} ({format_value(metric, cp.before)} → "
            f"{format_value(metric, cp.after)}{unit})")


def change_lines(history: CellHistory) -> list[str]:
    lines = []
    for name, cps in history.change_points.items():
        for cp in cps:
            after, first = history.points[cp.index - 1], history.points[cp.index]
            commit = f" [{first.git_commit[:7]}]" if first.git_commit else ""
            lines.append(f"{shift_text(name, cp)} after run {after.name}, from run "
                         f"{first.name}{commit} on (p={cp.p_value:.2g})")
    for name, why in history.skipped.items():
        lines.append(f"{name}: not analysed ({why})")
    return lines


def cell_table(history: CellHistory, metrics: list[str]) -> Table:
    marks: dict[int, list[str]] = {}
    for name, cps in history.change_points.items():
        for cp in cps:
            marks.setdefault(cp.index, []).append(f"{name} {shift_size(name, cp, space='')}")
    n = len(history.points)
    shown = set(range(max(0, n - NEWEST_ROWS), n)) | {j for i in marks for j in (i - 1, i)}
    rows = []
    for i, p in enumerate(history.points):
        if i not in shown:
            if i == 0 or i - 1 in shown:  # the first run of a folded stretch
                stretch = next((j for j in range(i, n) if j in shown), n) - i
                rows.append([f"... {plural(stretch, 'run')}", "", "", ""] + [""] * len(metrics) + [""])
            continue
        started = p.started_at.strftime("%Y-%m-%d %H:%M") if p.started_at else "-"
        rows.append([p.name, started, (p.git_commit or "-")[:7], str(p.attacks)]
                    + [format_value(KEY_METRICS[n], p.values[n]) for n in metrics]
                    + [("<- " + ", ".join(marks[i])) if i in marks else ""])
    header = (["Run", "Started (UTC)", "Commit", "N"] + [column_header(KEY_METRICS[n]) for n in metrics]
              + ["Shift"])
    return Table(history.cell.title(), header, rows,
                        ["l", "l", "l", "r"] + ["r"] * len(metrics) + ["l"])


def _summary(result: History) -> list[str]:
    found = sum(len(cps) for h in result.cells for cps in h.change_points.values())
    return [f"{plural(len(result.cells), 'cell')} over {plural(len(result.runs), 'run')}"
            f"; {plural(found, 'change point')} found",
            f"method: {METHOD}",
            "a run's value is the median over its repeats of the cell (N)"] + (
                [f"each table shows its cell's newest {NEWEST_ROWS} runs and the runs around each "
                 "change point (--format json has every run)"]
                if any(len(h.points) > NEWEST_ROWS for h in result.cells) else [])


def one_run_line(cells: list[CellHistory]) -> str | None:
    """Cells measured in one run only, in one line: a table of one row with "no change point"
    under it tells nothing (the demo store's history was 736 lines of them). Each operation is
    named once, then the loads and worker counts they were measured at."""
    if not cells:
        return None
    runs = sorted({h.points[0].name for h in cells})
    cs = sorted((h.cell for h in cells), key=lambda c: c.sort_key())
    endpoints = list(dict.fromkeys(c.endpoint for c in sorted(cs, key=lambda c: c.endpoint)))
    loads = ", ".join(dict.fromkeys(load_label(c.mode, c.load) for c in cs))
    workers = sorted({c.workers for c in cs if c.workers is not None})
    at = f"at {loads}" + (f" with {', '.join(map(str, workers))} "
                          f"{'worker' if workers == [1] else 'workers'}" if workers else "")
    return (f"{plural(len(cells), 'cell')} with one run ({'run' if len(runs) == 1 else 'runs'} "
            f"{', '.join(runs)}), no history to analyse yet: "
            f"{plural(len(endpoints), 'operation')} {at}: {'; '.join(endpoints)}")


def _folded(result: History) -> tuple[list[CellHistory], str | None]:
    """The cells shown as tables, and the line that names the others."""
    shown = [h for h in result.cells if len(h.points) > 1]
    return shown, one_run_line([h for h in result.cells if len(h.points) <= 1])


def render_text(result: History, ascii: bool = True, width: int = 100) -> str:
    from perf.reporter.render.compare import plain_blocks
    from perf.reporter.render.text import render_blocks

    shown, folded = _folded(result)
    blocks: list[Block] = [Lines("perf history", _summary(result) + ([folded] if folded else []))]
    for history in shown:
        blocks.append(cell_table(history, result.metrics))
        lines = change_lines(history)
        blocks.append(Lines(None, lines or ["no change point"]))
    return render_blocks(plain_blocks(blocks), ascii=ascii, width=width)


def render_markdown(result: History) -> str:
    shown, folded = _folded(result)
    out = (["## perf history", ""]
           + [f"- {markdown_text(line)}" for line in _summary(result) + ([folded] if folded else [])]
           + [""])
    for history in shown:
        part = markdown_table(cell_table(history, result.metrics))
        out += [f"### {part['title']}", "", "| " + " | ".join(part["header"]) + " |",
                "|" + "|".join(part["align"]) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in part["rows"]]
        out += [""] + [f"- {markdown_text(line, line_start=True)}"
                       for line in change_lines(history) or ["no change point"]] + [""]
    return "\n".join(out).rstrip() + "\n"


def history_dict(result: History) -> dict:
    return {
        "format": "perf-history",
        "version": FORMAT_VERSION,
        "method": METHOD,
        "metrics": {n: {"metric": KEY_METRICS[n], "label": METRICS[KEY_METRICS[n]].label,
                        "unit": METRICS[KEY_METRICS[n]].unit,
                        "threshold": result.settings.thresholds[n].text()}
                    for n in result.metrics},
        "runs": [{"run_id": r.run_id, "name": result.names[r.run_id], "label": r.label,
                  "git_commit": r.git_commit} for r in result.runs],
        "cells": [h.as_dict() for h in result.cells],
    }


def render_json(result: History) -> str:
    return json_document(history_dict(result))

