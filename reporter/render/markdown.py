"""`--format markdown`: GitHub-flavoured, for a PR comment or $GITHUB_STEP_SUMMARY.

The report's blocks become plain parts here; templates/summary.md.j2 lays them out.
"""

from __future__ import annotations

from perf.reporter.render.blocks import WARN_ASCII, Chart, Table, bar, bars, clip_note, clipped
from perf.reporter.render.escape import code_fence, markdown_text
from perf.reporter.render.report_blocks import report_blocks
from perf.reporter.render.shared import markdown_table
from perf.reporter.render.templating import environment

WARN = "⚠️"
CHART_WIDTH = 40  # bar columns; a PR comment has no terminal width to fill


def _chart(chart: Chart) -> list[str]:
    drawn = bars(chart, WARN_ASCII)
    if drawn is None:
        return []
    out = [drawn.title] + ([clip_note(drawn, False, chart.metric)] if clipped(drawn) else [])
    for subtitle, rows in drawn.groups:
        out.append(f"  {subtitle}")
        out += [f"    {row.label}  "
                f"{bar(row.value, drawn.scale, CHART_WIDTH, ascii=False).ljust(CHART_WIDTH)}  "
                f"{row.text}" for row in rows]
    return out


def render_markdown(report, charts: list[str] | None = None) -> str:
    parts: list[dict] = []
    chart_lines: list[str] = []
    for block in report_blocks(report, width=None, mark=WARN, chart_metrics=charts):
        if isinstance(block, Table):
            parts.append(markdown_table(block))
        elif isinstance(block, Chart):
            chart_lines += _chart(block) + [""]
        else:
            # The first Lines block is the headline; later ones are titled notes.
            kind = "notes" if any(p["kind"] != "table" for p in parts) else "head"
            parts.append({"kind": kind,
                          "title": block.title and markdown_text(block.title, line_start=True),
                          "lines": [markdown_text(line.strip(), line_start=True)
                                    for line in block.lines]})
    # Chart lines go in a code block, where nothing is markup; only its fence must hold.
    text = environment(html=False).get_template("summary.md.j2").render(
        parts=parts, charts=chart_lines[:-1], fence=code_fence(chart_lines))
    return text.rstrip() + "\n"
