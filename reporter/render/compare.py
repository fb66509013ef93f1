"""perf compare's output: text (the report's tables and notes), json (everything, for scripts
and the dashboard), markdown (a PR comment: a verdict line, the changed cells, the rest in
<details>). Plain functions of a perf.reporter.compute.verdicts.Comparison; nothing here reads the store."""

from __future__ import annotations

from urllib.parse import urlencode

from perf.base.jsontext import json_document
from perf.reporter.compute import tables as compute
from perf.reporter.render.blocks import Block, Lines, Table, WARN_ASCII, WARN_UNICODE, endpoint_labels
from perf.reporter.render.shared import column_header, markdown_table, when
from perf.reporter.compute.verdicts import CellComparison, Comparison, MetricChange, regression_line
from perf.reporter.render.escape import markdown_text, terminal_text
from perf.store.metrics import METRICS
from perf.reporter.render.json_doc import run_dict
from perf.reporter.rows import RunRow
from perf.reporter.compute.thresholds import KEY_METRICS
from perf.base.text import plural

FORMAT_VERSION = 1
EVIDENCE = "Welch's t-test over the repeats' per-attack values, on their logs except success"
PAIRED_EVIDENCE = ("a paired t-test over each alternated round's change (--pool), on logs "
                   "except success")
MARK = {"worse": "worse", "better": "better", "same": "", "inconclusive": "?"}


def run_text(run: RunRow, name: str, markdown: bool = False,
             pool: list[RunRow] | None = None) -> str:
    """'pr (run 5e6f7a8b, commit def5678, 2025-06-02 09:30:00 UTC)'; a pool of several runs:
    'pr (3 runs pooled, the newest 5e6f7a8b, ...)'; `markdown`: escaped, the name in bold."""
    facts = [f"run {run.run_id[:8]}"] if name != run.run_id[:len(name)] else []
    if pool and len(pool) > 1:
        facts = [f"{len(pool)} runs pooled, the newest {run.run_id[:8]}"]
    if run.git_commit:
        facts.append(f"commit {run.git_commit[:7]}" + ("+" if run.git_dirty else ""))
    facts.append(when(run.started_at))
    if markdown:
        return f"**{markdown_text(name)}** ({markdown_text(', '.join(facts))})"
    return f"{name} ({', '.join(facts)})"


def plain_blocks(blocks: list[Block]) -> list[Block]:
    """Stored text (labels, endpoints, mixes) without control characters, cleaned before any
    column is measured (perf.reporter.render.escape)."""
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, Table):
            out.append(Table(terminal_text(b.title), [terminal_text(h) for h in b.header],
                                    [[terminal_text(c) for c in row] for row in b.rows],
                                    b.align, b.section_rows))
        elif isinstance(b, Lines):
            out.append(Lines(b.title and terminal_text(b.title),
                                    [terminal_text(line) for line in b.lines]))
        else:
            out.append(b)
    return out


def headline(result: Comparison) -> str:
    n = len(result.regressions)
    if n:
        return f"{plural(n, 'regression')}"
    return "no regression"


def evidence_text(result: Comparison) -> str:
    bases = result.bases
    rests = "; ".join(bases) if bases else "no matched cell"
    if any(c.method in ("welch", "paired") for c in result.cells):
        return (f"verdicts rest on {rests}: worse/better need a change beyond the threshold and "
                f"p < {result.settings.alpha:g} ({evidence_of(result)})")
    if result.settings.gate_without_repeats:
        return (f"verdicts rest on {rests} (a change beyond the threshold, gated as "
                "--gate-without-repeats asks; without repeats there is no measure of noise: "
                "`perf collect --repeat 5` gives one)")
    return (f"verdicts rest on {rests}: a change beyond the threshold is inconclusive and never "
            "fails the gate; `perf collect --repeat 5` on both sides gives a verdict "
            "(--gate-without-repeats gates on the threshold alone)")


def evidence_of(result: Comparison) -> str:
    methods = {c.method for c in result.cells}
    return "; ".join(text for method, text in (("welch", EVIDENCE), ("paired", PAIRED_EVIDENCE))
                     if method in methods) or EVIDENCE


def gate_text(result: Comparison) -> str:
    s = result.settings
    gated = ", ".join(s.thresholds[n].text() for n in s.gate)
    others = [s.thresholds[n].text() for n in s.thresholds if n not in s.gate]
    text = f"gate ({s.source}): {gated}"
    if others:
        text += f"; shown, not gating: {', '.join(others)}"
    return text


def cell_text(m: MetricChange) -> str:
    mark = MARK[m.verdict]
    return f"{m.change_text()} {mark}".strip() if m.change is not None else (mark or "-")


def _group_key(c: CellComparison) -> tuple:
    return (c.cell.mode, c.cell.load, c.cell.workers, c.cell.server)


def _groups(result: Comparison) -> list[tuple[tuple, list[CellComparison]]]:
    groups: dict[tuple, list[CellComparison]] = {}
    for c in result.cells:
        groups.setdefault(_group_key(c), []).append(c)
    return list(groups.items())  # cells are already sorted by (mode, load, workers, server)


def _endpoint(c: CellComparison) -> str:
    """The row label in a group's table: the endpoint, and the mix side when it has one."""
    label = c.cell.endpoint
    if c.cell.background and c.cell.background not in label:
        label += f" (beside {c.cell.background})"
    if c.cell.role == "background":
        label += " [background]"
    return label


def cell_tables(result: Comparison, width: int | None, mark: str) -> tuple[list[Table], str | None]:
    """One table per (rate or concurrency, workers, server): a row per endpoint, the change of
    each key metric and its verdict (blank = same)."""
    header = ["Endpoint"] + [column_header(metric) for metric in KEY_METRICS.values()]
    groups = _groups(result)
    mixed = {key: len({c.basis for c in cells}) > 1 for key, cells in groups}
    values = {id(c): [cell_text(m) for m in c.metrics] + ([c.basis] if mixed[_group_key(c)] else [])
              for c in result.cells}
    max_label = None
    if width is not None:
        # What the metric columns take (widest cell of each, one space between), the rest
        # is the endpoint's.
        columns = list(zip(*values.values()))
        taken = sum(max(len(h), *(len(v) for v in col)) + 1
                    for h, col in zip(header[1:] + ["Basis"], columns))
        max_label = max(16, width - taken - 2 - len(mark) - 1)
    labels, note = endpoint_labels(
        list(dict.fromkeys(_endpoint(c) for c in result.cells)), max_label)
    servers = len({c.cell.server for c in result.cells})
    tables = []
    for key, cells in groups:
        title = compute.group_title(key, servers)
        if not mixed[key]:
            title += f": {cells[0].basis}"
        rows = [[labels[_endpoint(c)] + (f" {mark}" if c.untrusted else "")] + values[id(c)]
                for c in cells]
        extra = ["Basis"] if mixed[key] else []
        tables.append(Table(title, header + extra, rows,
                                   ["l"] + ["r"] * len(KEY_METRICS) + ["l"] * len(extra)))
    return tables, note


def change_line(c: CellComparison, m: MetricChange, with_server: bool) -> str:
    evidence = f"p={m.p_value:.3f}, " if m.p_value is not None else ""
    line = regression_line(c.cell.title(with_server), m, evidence + c.basis)
    notes = [m.note] if m.note else []
    if m.verdict == "inconclusive" and m.p_value is not None:
        notes.append("beyond the threshold but within the repeats' noise")
    note = "".join(f"; {n}" for n in notes)
    gate = "" if m.gate or m.verdict != "worse" else " (not gating)"
    return f"{m.verdict}{gate}: {line}{note}"


def changes(result: Comparison) -> list[str]:
    return [change_line(c, m, result.with_server) for c in result.cells for m in c.changed]


def unmatched_lines(result: Comparison) -> list[str]:
    lines = [f"only in base ({result.names[result.base.run_id]}): {c.title(result.with_server)}"
             for c in result.only_base]
    lines += [f"only in candidate ({result.names[result.candidate.run_id]}): "
              f"{c.title(result.with_server)}" for c in result.only_candidate]
    return lines


def capacity_table(result: Comparison) -> Table | None:
    if not result.capacity:
        return None
    rows = [[cap.endpoint, "-" if cap.workers is None else str(cap.workers), cap.slo,
             cap.change.value_text(cap.change.base), cap.change.value_text(cap.change.candidate),
             cap.change.change_text(), cap.change.verdict] for cap in result.capacity]
    return Table("Capacity (highest rate meeting the SLO; a drop is a regression)",
                        ["Endpoint", "Workers", "SLO", "Base", "Candidate", "Change", "Verdict"],
                        rows, ["l", "r", "l", "r", "r", "r", "l"])


def warnings(result: Comparison, mark: str) -> list[str]:
    flagged = [c.cell.title(result.with_server) for c in result.cells if c.untrusted]
    out = [f"{mark} {title}: an attack failed the generator check (the load generator, not the "
           "server, may have set its numbers)" for title in flagged]
    # A stall belongs to a server start, so it is said once per side and worker count, with
    # how many of the compared cells ran on it.
    stalled: dict[tuple, int] = {}
    for c in result.cells:
        for stall in c.stalls:
            key = (stall["side"], stall["note"], c.cell.workers,
                   c.cell.server if result.with_server else None)
            stalled[key] = stalled.get(key, 0) + 1
    for (side, note, workers, server), n in stalled.items():
        where = ", ".join(w for w in (server, None if workers is None
                                      else plural(workers, "worker")) if w)
        out.append(f"{mark} {side}, {where} ({plural(n, 'cell')}): {note}; its latencies "
                   "carry the stall")
    return out


# ---- text -------------------------------------------------------------------------------

def render_text(result: Comparison, ascii: bool = True, width: int = 100) -> str:
    from perf.reporter.render.text import render_blocks

    mark = WARN_ASCII if ascii else WARN_UNICODE
    base, cand = result.base, result.candidate
    head = [f"base:      {run_text(base, result.names[base.run_id], pool=result.base_pool)}",
            f"candidate: {run_text(cand, result.names[cand.run_id], pool=result.candidate_pool)}",
            evidence_text(result), gate_text(result)]
    blocks: list[Block] = [Lines(f"perf compare: {headline(result)}", head)]
    tables, note = cell_tables(result, width, mark)
    if note:
        blocks.append(Lines(None, [f"(endpoints shortened: {note})"]))
    blocks += tables
    legend = ("cells: the candidate's change against the base (% or percentage points), then "
              "the verdict: worse, better, ? (inconclusive), blank (same)")
    blocks.append(Lines(None, [legend]))
    capacity = capacity_table(result)
    if capacity:
        blocks.append(capacity)
    changed = changes(result)
    if changed:
        blocks.append(Lines("Changes", changed))
    unmatched = unmatched_lines(result)
    if unmatched:
        blocks.append(Lines("Unmatched cells (not compared)", unmatched))
    flagged = warnings(result, mark)
    if flagged:
        blocks.append(Lines("Warnings", flagged))
    regressions = [regression_line(*r) for r in result.regressions]
    cells = plural(len(result.cells), "cell")
    if regressions:
        tail = Lines(f"{plural(len(regressions), 'regression')} (exit 1):", regressions)
    else:
        tail = Lines(None, [f"no regression ({cells} compared; {'; '.join(result.bases) or '-'})"])
    text = render_blocks(plain_blocks(blocks), ascii=ascii, width=width)
    # The regression lines close the output unwrapped: one line each, whatever the width,
    # so a CI log can be grepped for them.
    tail_lines = ([tail.title] if tail.title else []) + [terminal_text(line) for line in tail.lines]
    return text + "\n" + "\n".join(tail_lines) + "\n"


# ---- json -------------------------------------------------------------------------------

def compare_dict(result: Comparison) -> dict:
    def run(r: RunRow) -> dict:
        return {**run_dict(r), "name": result.names[r.run_id]}

    with_server = result.with_server
    return {
        "format": "perf-compare",
        "version": FORMAT_VERSION,
        "metrics": {name: {"metric": metric, "label": METRICS[metric].label,
                           "unit": METRICS[metric].unit,
                           "higher_is_better": METRICS[metric].higher_is_better}
                    for name, metric in KEY_METRICS.items()},
        "base": run(result.base),
        "candidate": run(result.candidate),
        "base_runs": [r.run_id for r in result.base_pool or [result.base]],
        "candidate_runs": [r.run_id for r in result.candidate_pool or [result.candidate]],
        "settings": {**result.settings.as_dict(), "evidence": evidence_of(result)},
        "verdict": headline(result),
        "exit_code": result.exit_code,
        "bases": result.bases,
        "counts": result.counts(),
        "cells": [c.as_dict(with_server) for c in result.cells],
        "only_base": [{**c.as_dict(), "title": c.title(with_server)} for c in result.only_base],
        "only_candidate": [{**c.as_dict(), "title": c.title(with_server)}
                           for c in result.only_candidate],
        "capacity": [cap.as_dict() for cap in result.capacity],
        "regressions": [{"title": where, "metric": m.name, "line": regression_line(where, m, b)}
                        for where, m, b in result.regressions],
    }


def render_json(result: Comparison) -> str:
    return json_document(compare_dict(result))


# ---- markdown -----------------------------------------------------------------------------

def history_link(url: str, cell) -> str:
    """The published site's index opened on one cell's history: its selectors read the query
    (templates/dashboard.html.j2)."""
    query = urlencode({"endpoint": cell.endpoint, "workers": str(cell.workers)})
    return f"{url}{'&' if '?' in url else '?'}{query}#history"


def changed_table(result: Comparison) -> tuple[Table, set[int], list]:
    """The changed metrics, the rows that are regressions (shown in bold), and each row's
    cell (None for a capacity search)."""
    rows, regressions, cells = [], set(), []
    for c in result.cells:
        for m in c.changed:
            cells.append(c.cell)
            verdict = m.verdict
            if m.regression:
                regressions.add(len(rows))
            if m.verdict == "worse" and not m.gate:
                verdict += " (not gating)"
            rows.append([c.cell.title(result.with_server), m.name, m.value_text(m.base, unit=True),
                         m.value_text(m.candidate, unit=True), m.change_text(),
                         "-" if m.p_value is None else f"{m.p_value:.3f}", c.basis, verdict])
    for cap in result.capacity:
        if cap.change.verdict != "same":
            if cap.change.regression:
                regressions.add(len(rows))
            cells.append(None)
            rows.append([cap.title(), "capacity", cap.change.value_text(cap.change.base),
                         cap.change.value_text(cap.change.candidate), cap.change.change_text(),
                         "-", "capacity search: threshold only", cap.change.verdict])
    return Table("Changed", ["Cell", "Metric", "Base", "Candidate", "Change", "p",
                                    "Basis", "Verdict"],
                        rows, ["l", "l", "r", "r", "r", "r", "l", "l"]), regressions, cells


def render_markdown(result: Comparison, history_url: str | None = None) -> str:
    """The PR comment; `history_url`: a published site's index, each changed cell linked to
    its history there."""
    from perf.reporter.render.markdown import WARN
    from perf.reporter.render.templating import environment

    base, cand = result.base, result.candidate
    changed, regressions, cells = changed_table(result)
    changed_part = markdown_table(changed) if changed.rows else None
    for i in regressions:  # the cell is escaped text; the bold is ours
        changed_part["rows"][i][-1] = f"**{changed_part['rows'][i][-1]}**"
    if history_url and changed_part:
        for row, cell in zip(changed_part["rows"], cells):
            if cell is not None:  # the link text is the escaped cell; the URL is ours, encoded
                row[0] = f"[{row[0]}]({history_link(history_url, cell)})"
    tables, _ = cell_tables(result, None, WARN)
    capacity = capacity_table(result)
    icon = "❌" if result.regressions else "✅"
    text = environment(html=False).get_template("compare.md.j2").render(
        verdict=f"{icon} perf compare: {headline(result)}",
        base=run_text(base, result.names[base.run_id], markdown=True, pool=result.base_pool),
        candidate=run_text(cand, result.names[cand.run_id], markdown=True,
                           pool=result.candidate_pool),
        cells=plural(len(result.cells), "cell"),
        evidence=markdown_text(evidence_text(result)),
        gate=markdown_text(gate_text(result)),
        changed=changed_part,
        tables=[markdown_table(t) for t in tables],
        capacity=markdown_table(capacity) if capacity else None,
        unmatched=[markdown_text(line) for line in unmatched_lines(result)],
        warnings=[markdown_text(line) for line in warnings(result, WARN)],
    )
    return text.rstrip() + "\n"
