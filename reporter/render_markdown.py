"""`--format markdown`: GitHub-flavoured, for a PR comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from reporter import layout
from reporter.render_text import _bar_unicode
from reporter.metrics import format_value

WARN = "⚠️"


def _cell(text: str) -> str:
    # A pipe would end the cell; everything else in our cells is plain text.
    return text.replace("|", "\\|").strip() or " "


def _table(table: layout.Table, heading: str) -> list[str]:
    out = [f"{heading} {table.title}", ""]
    out.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    out.append("|" + "|".join(":---" if a == "l" else "---:" for a in table.align) + "|")
    for i, row in enumerate(table.rows):
        cells = [_cell(c) for c in row]
        if i in table.section_rows:
            cells[0] = f"**{cells[0]}**"
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    return out


def _chart(chart: layout.Chart, name: str, width: int = 40) -> list[str]:
    bars = [b for _, group in chart.groups for b in group]
    if not bars:
        return []
    label_w = max(len(label) + (2 if warn else 0) for label, _, warn in bars)
    scale = max((v for _, v, _ in bars if v is not None), default=0)
    out = [chart.title]
    for subtitle, group in chart.groups:
        out.append(f"  {subtitle}")
        for label, value, warn in group:
            text = (label + (" !" if warn else "")).ljust(label_w)
            out.append(f"    {text}  {_bar_unicode(value, scale, width).ljust(width)}  "
                       f"{format_value(name, value)}")
    return out


def render_markdown(report, charts: list[str] | None = None) -> str:
    blocks = layout.blocks(report, width=None, mark=WARN, chart_metrics=charts)
    out: list[str] = []
    chart_lines: list[str] = []
    first = True
    for block in blocks:
        if isinstance(block, layout.Table):
            out += _table(block, "###")
        elif isinstance(block, layout.Chart):
            chart_lines += _chart(block, block.metric) + [""]
        elif first:
            # The headline, then the environment as a compact list.
            out += [f"## {block.title}", ""]
            out += [f"- {line.strip()}" for line in block.lines] + [""]
            first = False
        else:
            if block.title:
                out += [f"**{block.title}**", ""]
            out += [f"- {line.strip()}" for line in block.lines] + [""]
    if chart_lines:
        out += ["<details><summary>Charts</summary>", "", "```text", *chart_lines[:-1], "```", "",
                "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
