"""Small drawing helpers more than one renderer uses: how a time and a metric's column are
written, and a table as plain lines or as a markdown table's cells."""

from __future__ import annotations

from datetime import datetime

from perf.reporter.render.blocks import Table, table_lines
from perf.reporter.render.escape import markdown_text
from perf.store.metrics import METRICS


def iso(value):
    """A timestamp as JSON writes it (UTC as Z); anything else unchanged."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def column_header(name: str) -> str:
    return METRICS[name].label


def ascii_table(table: Table) -> list[str]:
    """A table as plain lines, however wide (`perf runs`)."""
    return ["".join(t for t, _ in line) for line in table_lines(table, None)]


def _markdown_cell(text: str) -> str:
    # Cells carry labels and paths from the store: escaped, a pipe cannot end the cell early
    # nor a tag reach the page.
    return markdown_text(text).strip() or " "


def markdown_table(table: Table) -> dict:
    """A table as the markdown template draws it (the section rows in bold)."""
    rows = []
    for i, row in enumerate(table.rows):
        cells = [_markdown_cell(c) for c in row]
        if i in table.section_rows:
            cells[0] = f"**{cells[0]}**"
        rows.append(cells)
    return {"kind": "table", "title": markdown_text(table.title, line_start=True),
            "header": [_markdown_cell(h) for h in table.header],
            "align": [":---" if a == "l" else "---:" for a in table.align], "rows": rows}
