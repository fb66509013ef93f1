"""The terminal report: plain ASCII (CI logs, pipes, snapshot tests) or rich (a terminal)."""

from __future__ import annotations

import io
import textwrap

from reporter import layout
from reporter.metrics import METRICS, format_value

def render_text(report, ascii: bool = False, width: int = 100,
                charts: list[str] | None = None) -> str:
    """The report for a terminal; `ascii` gives the deterministic plain form.
    `charts`: metric names to draw as bars (default: achieved RPS and p99)."""
    mark = layout.WARN_ASCII if ascii else layout.WARN_UNICODE
    blocks = layout.blocks(report, width=width, mark=mark, chart_metrics=charts)
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


def _bar_ascii(value: float | None, scale: float, width: int) -> str:
    if value is None or scale <= 0:
        return " " * width
    n = round(width * value / scale)
    return ("#" * n).ljust(width)


def _ascii_chart(chart: layout.Chart, name: str, width: int) -> list[str]:
    bars = [b for _, group in chart.groups for b in group]
    if not bars:
        return []
    label_w = max(len(label) + (2 if warn else 0) for label, _, warn in bars)
    values = [format_value(name, v) for _, v, _ in bars]
    value_w = max(map(len, values))
    bar_w = max(10, width - 4 - label_w - 2 - 2 - value_w)
    scale = max((v for _, v, _ in bars if v is not None), default=0)
    out = [chart.title]
    for subtitle, group in chart.groups:
        out.append(f"  {subtitle}")
        for label, value, warn in group:
            text = label + (f" {layout.WARN_ASCII}" if warn else "")
            out.append(f"    {text.ljust(label_w)}  {_bar_ascii(value, scale, bar_w)}  "
                       f"{format_value(name, value).rjust(value_w)}".rstrip())
    return out


def _ascii_block(block: layout.Block, width: int) -> str:
    if isinstance(block, layout.Table):
        lines = _ascii_table(block)
    elif isinstance(block, layout.Chart):
        lines = _ascii_chart(block, block.metric, width)
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

_EIGHTHS = " ▏▎▍▌▋▊▉"


def _bar_unicode(value: float | None, scale: float, width: int) -> str:
    if value is None or scale <= 0:
        return ""
    eighths = round(width * 8 * value / scale)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


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
            name = block.metric
            bars = [b for _, group in block.groups for b in group]
            if not bars:
                continue
            label_w = max(len(label) + (2 if warn else 0) for label, _, warn in bars)
            values = [format_value(name, v) for _, v, _ in bars]
            value_w = max(map(len, values))
            bar_w = max(10, width - 4 - label_w - 2 - 2 - value_w)
            scale = max((v for _, v, _ in bars if v is not None), default=0)
            console.print(Text(block.title, style="bold"))
            for subtitle, group in block.groups:
                console.print(Text(f"  {subtitle}", style="dim"))
                for label, value, warn in group:
                    line = Text("    ")
                    line.append((label + (f" {layout.WARN_UNICODE}" if warn else "")).ljust(label_w),
                                style="yellow" if warn else None)
                    line.append("  ")
                    line.append(_bar_unicode(value, scale, bar_w).ljust(bar_w),
                                style="cyan" if METRICS[name].higher_is_better else "magenta")
                    line.append("  " + format_value(name, value).rjust(value_w))
                    console.print(line)
            console.print()
        else:
            if block.title:
                console.print(Text(block.title, style="bold"))
            for line in _wrap(block.lines, width):
                console.print(Text(line, style="yellow" if layout.WARN_UNICODE in line else None))
            console.print()
    return buffer.getvalue()
