"""The terminal report: plain ASCII (CI logs, pipes, snapshot tests) or rich (a terminal)."""

from __future__ import annotations

import io
import textwrap

from reporter import layout
from reporter.metrics import METRICS

def render_text(report, ascii: bool = False, width: int = 100,
                charts: list[str] | None = None) -> str:
    """The report for a terminal; `ascii` gives the deterministic plain form.
    `charts`: metric names to draw as bars (default: achieved RPS and p99)."""
    mark = layout.WARN_ASCII if ascii else layout.WARN_UNICODE
    blocks = layout.blocks(report, width=width, mark=mark, chart_metrics=charts)
    return render_blocks(blocks, ascii=ascii, width=width)


def render_blocks(blocks: list[layout.Block], ascii: bool = False, width: int = 100) -> str:
    """Any list of layout blocks drawn as the report draws its own (perf compare, perf history)."""
    if ascii:
        return "\n".join(_ascii_block(b, width) for b in blocks).rstrip() + "\n"
    return _rich(blocks, width)


# ---- plain ASCII -------------------------------------------------------------------------

def _ascii_table(table: layout.Table) -> list[str]:
    columns = list(zip(table.header, *table.rows))
    widths = [max(len(cell) for cell in column) for column in columns]

    def line(cells: list[str]) -> str:
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            parts.append(cell.ljust(w) if table.align[i] == "l" else cell.rjust(w))
        return (parts[0] + "  " + " ".join(parts[1:])).rstrip()

    out = [table.title, line(table.header), line(["-" * w for w in widths])]
    out += [line(row) for row in table.rows]
    return out


def _ascii_chart(chart: layout.Chart, width: int) -> list[str]:
    drawn = layout.bars(chart, layout.WARN_ASCII)
    if drawn is None:
        return []
    bar_w = drawn.bar_width(width)
    out = [drawn.title]
    for subtitle, rows in drawn.groups:
        out.append(f"  {subtitle}")
        out += [f"    {row.label}  {layout.bar(row.value, drawn.scale, bar_w, ascii=True).ljust(bar_w)}  "
                f"{row.text.rjust(drawn.value_w)}".rstrip() for row in rows]
    return out


def _ascii_block(block: layout.Block, width: int) -> str:
    if isinstance(block, layout.Table):
        lines = _ascii_table(block)
    elif isinstance(block, layout.Chart):
        lines = _ascii_chart(block, width)
    else:
        lines = ([block.title] if block.title else []) + _wrap(block.lines, width)
    return "\n".join(lines) + "\n"


def _wrap(lines: list[str], width: int) -> list[str]:
    """Long note lines wrap under their own indent (plus two), so nothing passes `width`."""
    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line, width, subsequent_indent=indent + "    ",
                             break_long_words=False, break_on_hyphens=False) or [""]
    return out


# ---- rich (a terminal) -------------------------------------------------------------------

def _rich(blocks: list[layout.Block], width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system="standard",
                      highlight=False, emoji=False)

    def styled(cell: str) -> Text:
        if layout.WARN_UNICODE in cell:
            return Text(cell, style="yellow")
        return Text(cell)

    for block in blocks:
        if isinstance(block, layout.Table):
            console.print(Text(block.title, style="bold"))
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                          padding=0, header_style="bold")
            for i, (name, align) in enumerate(zip(block.header, block.align)):
                table.add_column(name, justify="left" if align == "l" else "right",
                                 no_wrap=True, overflow="ellipsis")
            for i, row in enumerate(block.rows):
                table.add_row(*[styled(c) for c in row],
                              style="bold" if i in block.section_rows else None)
            console.print(table)
            console.print()
        elif isinstance(block, layout.Chart):
            drawn = layout.bars(block, layout.WARN_UNICODE)
            if drawn is None:
                continue
            bar_w = drawn.bar_width(width)
            colour = "cyan" if METRICS[block.metric].higher_is_better else "magenta"
            console.print(Text(drawn.title, style="bold"))
            for subtitle, rows in drawn.groups:
                console.print(Text(f"  {subtitle}", style="dim"))
                for row in rows:
                    line = Text("    ")
                    line.append(row.label, style="yellow" if row.warn else None)
                    line.append("  ")
                    line.append(layout.bar(row.value, drawn.scale, bar_w, ascii=False).ljust(bar_w),
                                style=colour)
                    line.append("  " + row.text.rjust(drawn.value_w))
                    console.print(line)
            console.print()
        else:
            if block.title:
                console.print(Text(block.title, style="bold"))
            for line in _wrap(block.lines, width):
                console.print(Text(line, style="yellow" if layout.WARN_UNICODE in line else None))
            console.print()
    return buffer.getvalue()
