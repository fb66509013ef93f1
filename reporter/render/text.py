"""The terminal report: plain ASCII (CI logs, pipes, snapshot tests) or rich (a terminal).

Both draw the same lines at the same width (perf.reporter.render.blocks.block_lines); rich only adds
colour and unicode bars, so what fits in one fits in the other.
"""

from __future__ import annotations

import io
import os

from perf.reporter.render.blocks import MIN_WIDTH, WARN_ASCII, WARN_UNICODE, Block, Piece, block_lines
from perf.reporter.render.report_blocks import report_blocks
from perf.base.errors import PerfError

DEFAULT_WIDTH = 100


def text_width(explicit: int | None, stream=None) -> int:
    """The width text is laid out for: --width, else the terminal's, else COLUMNS, else 100."""
    if explicit is not None:
        if explicit < MIN_WIDTH:
            raise PerfError(f"--width must be at least {MIN_WIDTH}, not {explicit}")
        return explicit
    if stream is not None and stream.isatty():
        try:
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError):
            pass
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    return DEFAULT_WIDTH


def render_text(report, ascii: bool = False, width: int = DEFAULT_WIDTH,
                charts: list[str] | None = None) -> str:
    """The report for a terminal; `ascii` gives the deterministic plain form.
    `charts`: metric names to draw as bars (default: achieved RPS and p99)."""
    width = max(MIN_WIDTH, width)
    mark = WARN_ASCII if ascii else WARN_UNICODE
    return render_blocks(report_blocks(report, width=width, mark=mark, chart_metrics=charts),
                         ascii=ascii, width=width)


def render_blocks(blocks: list[Block], ascii: bool = False, width: int = DEFAULT_WIDTH) -> str:
    """Any list of blocks drawn as the report draws its own (perf compare, perf history):
    every line within `width`, plain or rich."""
    width = max(MIN_WIDTH, width)
    mark = WARN_ASCII if ascii else WARN_UNICODE
    drawn = [block_lines(b, width, mark, ascii) for b in blocks]
    drawn = [lines for lines in drawn if lines]
    if ascii:
        return "\n\n".join("\n".join("".join(t for t, _ in line) for line in lines)
                           for lines in drawn).rstrip() + "\n"
    return _rich(drawn, width)


# Rich styles of the pieces block_lines hands out.
STYLES = {"title": "bold", "head": "bold", "section": "bold", "warn": "yellow", "dim": "dim",
          "bar_up": "cyan", "bar_down": "magenta", "failed": "red", "some_failed": "yellow"}


def _rich(drawn: list[list[list[Piece]]], width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system="standard",
                      highlight=False, emoji=False)
    for lines in drawn:
        for line in lines:
            text = Text(no_wrap=True, overflow="ignore")
            for piece, kind in line:
                text.append(piece, style=STYLES.get(kind))
            console.print(text)
        console.print()
    return buffer.getvalue()
