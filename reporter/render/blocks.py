"""The one width logic that fits a block (heading, table, bar chart, notes) into a given
number of columns, shared by the text (plain or rich) and markdown renderers of report, compare
and history.

Cells are already formatted strings (metric formats come from the registry); a renderer
only decides how to draw them. Fitting never cuts a cell: an endpoint column is shortened
by what its names share (said once, above the tables), a table too wide for the width wraps
into parts that repeat its leading columns, and only an endpoint name that still does not fit
breaks over lines, at its slashes.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from perf.store.metrics import METRICS, format_value

WARN_ASCII = "!"
WARN_UNICODE = "⚠"
MIN_WIDTH = 40  # narrower, and even a value column and its name would not fit beside each other


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    align: list[str]  # "l" | "r" per column
    section_rows: set[int] = field(default_factory=set)  # rows that head a group (multi-run)
    keep: int = 1  # leading columns repeated in every part when the table wraps
    # Runs of columns [start, stop) read together: kept in one part, the first, when the
    # table wraps (the latencies and Success%: what a reader compares first).
    together: list[tuple[int, int]] = field(default_factory=list)
    row_kinds: dict[int, str] = field(default_factory=dict)  # a row's kind when not "cell"


@dataclass
class Chart:
    title: str
    metric: str
    groups: list[tuple[str, list[tuple[str, float | None, bool]]]]  # (subtitle, [(label, value, warn)])


@dataclass
class BarRow:
    label: str  # padded to the chart's widest label, the warn mark appended when flagged
    value: float | None
    text: str  # the value, formatted by the metric registry
    warn: bool


@dataclass
class Bars:
    """A Chart measured for drawing: every renderer pads and scales its bars the same way."""
    title: str
    groups: list[tuple[str, list[BarRow]]]
    scale: float  # the largest value: a full-width bar
    value_w: int
    label_w: int

    def bar_width(self, width: int) -> int:
        """What a `width`-column line leaves for the bar after indent, label, value and gaps."""
        return max(10, width - 4 - self.label_w - 2 - 2 - self.value_w)

    def labels_beside(self, width: int) -> bool:
        """Whether a label, a ten-column bar and the value fit on one line; else each label
        takes a line of its own above its bar."""
        return 4 + self.label_w + 2 + 10 + 2 + self.value_w <= width


def bars(chart: Chart, mark: str) -> Bars | None:
    """None when the chart has no bar at all (nothing is drawn, not even its title)."""
    flat = [b for _, group in chart.groups for b in group]
    if not flat:
        return None
    label_w = max(len(label) + (len(mark) + 1 if warn else 0) for label, _, warn in flat)
    groups = [
        (subtitle, [BarRow((label + (f" {mark}" if warn else "")).ljust(label_w), value,
                           format_value(chart.metric, value), warn)
                    for label, value, warn in group])
        for subtitle, group in chart.groups
    ]
    return Bars(chart.title, groups, scale=bar_scale([v for _, v, _ in flat]),
                value_w=max(len(row.text) for _, rows in groups for row in rows),
                label_w=label_w)


# One outlier (a p99 of 4.6 s among 3-60 ms) must not flatten every other bar to nothing: the
# scale stops at this many times the upper quartile, and a longer bar is drawn clipped.
CLIP_QUARTILES = 4


def bar_scale(values: list[float | None]) -> float:
    """The value a full-width bar stands for: the largest, unless it lies past
    CLIP_QUARTILES x the upper quartile (with four values or more to judge by)."""
    shown = sorted(v for v in values if v is not None and v > 0)
    if not shown:
        return 0
    if len(shown) < 4:
        return shown[-1]
    return min(shown[-1], CLIP_QUARTILES * shown[(3 * (len(shown) - 1)) // 4])


def clipped(bars: Bars) -> bool:
    return any(row.value is not None and row.value > bars.scale
               for _, rows in bars.groups for row in rows)


_EIGHTHS = " ▏▎▍▌▋▊▉"


CLIP_MARK = {True: ">", False: "›"}  # ascii, unicode: the end of a clipped bar


def bar(value: float | None, scale: float, width: int, ascii: bool) -> str:
    """A bar of `value` against `scale` (= `width` columns): '#' cells, or unicode eighths;
    a value past the scale fills the width and ends in the clip mark."""
    if value is None or scale <= 0:
        return ""
    if value > scale:
        return ("#" if ascii else "█") * (width - 1) + CLIP_MARK[ascii]
    if ascii:
        return "#" * round(width * value / scale)
    full, rest = divmod(round(width * 8 * value / scale), 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


@dataclass
class Lines:
    title: str | None
    lines: list[str]


Block = Table | Chart | Lines


# ---- fitting a width -----------------------------------------------------------------------
# A drawn line is a list of (text, kind) pieces: the plain renderer joins the texts, the rich
# one styles each kind. Kinds: title, head, rule, cell, section, warn, note, dim, and the rows
# of attacks where part of the requests failed: failed (below the sustained rule), some_failed.
Piece = tuple[str, str]


def wrap(text: str, width: int | None) -> list[str]:
    """A line of prose at most `width` columns; continuations under its indent plus four
    (a word longer than a line is split, not dropped)."""
    if width is None or len(text) <= width:
        return [text]
    lead = " " * (len(text) - len(text.lstrip(" ")))
    return textwrap.wrap(text, width, subsequent_indent=lead + "    ",
                         break_on_hyphens=False) or [""]


def break_name(text: str, width: int) -> list[str]:
    """An endpoint name over lines of at most `width`, broken after its slashes; every
    character kept (a segment longer than a line is split, never shortened)."""
    if len(text) <= width:
        return [text]
    pieces = re.findall(r"[^/]*/|[^/]+$", text)
    lines, current = [], ""
    for piece in pieces:
        while len(piece) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if len(current) + len(piece) > width:
            lines.append(current)
            current = piece
        else:
            current += piece
    if current:
        lines.append(current)
    return lines


@dataclass
class TablePart:
    """The columns of a table that one drawn table shows, and their widths."""
    title: str
    columns: list[int]
    widths: list[int]


def _line_width(widths: list[int]) -> int:
    # The first column, two spaces, then the others one space apart.
    return widths[0] + 1 + sum(w + 1 for w in widths[1:]) if widths else 0


def fit_table(table: Table, width: int | None) -> list[TablePart]:
    """The parts a table is drawn as within `width` (None: one part, however wide).

    The leading `keep` columns head every part; the others are shared out in order, as
    evenly as fits. Only when the leading columns and the widest other column cannot sit
    side by side does the first column narrow (its names then break over lines).
    """
    n = len(table.header)
    natural = [max(len(c) for c in [table.header[i]] + [r[i] for r in table.rows]) for i in range(n)]
    if width is None or _line_width(natural) <= width:
        return [TablePart(table.title, list(range(n)), natural)]
    keep = max(1, min(table.keep, n))
    rest = list(range(keep, n))
    key = natural[:keep]
    widest = max((natural[i] for i in rest), default=0)
    room = width - (_line_width(key) + (widest + 1 if rest else 0))
    if room < 0:
        key[0] = max(len(table.header[0]), 12, key[0] + room)
    units: list[list[int]] = []
    for c in rest:
        if units and any(start < c < stop for start, stop in table.together):
            units[-1].append(c)
        else:
            units.append([c])
    # Wrapped, the columns read together lead: the first part is what a reader looks for.
    units.sort(key=lambda unit: len(unit) == 1)
    chunks = _share(units, natural, width - _line_width(key))
    parts = []
    for i, chunk in enumerate(chunks or [[]]):
        title = table.title if i == 0 else f"{table.title} (continued)"
        parts.append(TablePart(title, list(range(keep)) + chunk, key + [natural[c] for c in chunk]))
    return parts


def _share(units: list[list[int]], widths: list[int], room: int) -> list[list[int]]:
    """The columns of `units` in order, cut into the fewest runs of at most `room` line
    columns each, then evened out over that many runs; a unit's columns are never cut apart
    (a unit wider than `room` takes a run of its own)."""
    def cells(unit: list[int]) -> int:
        return sum(widths[c] + 1 for c in unit)

    greedy: list[list[int]] = []
    used = room + 1
    for unit in units:
        if used + cells(unit) > room and (not greedy or greedy[-1]):
            greedy.append([])
            used = 0
        greedy[-1].extend(unit)
        used += cells(unit)
    parts = len(greedy)
    if parts <= 1:
        return greedy
    size, extra = divmod(len(units), parts)
    even, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        even.append([c for unit in units[start:stop] for c in unit])
        start = stop
    if all(cells(chunk) <= room for chunk in even):
        return even
    return greedy


def table_lines(table: Table, width: int | None, mark: str = WARN_ASCII) -> list[list[Piece]]:
    """Every drawn line of a table: title, header, rule and rows of each of its parts."""
    out: list[list[Piece]] = []
    for n, part in enumerate(fit_table(table, width)):
        if n:
            out.append([])
        out += [[(t, "title")] for t in wrap(part.title, width)]

        def line(cells: list[str], kinds: list[str]) -> list[Piece]:
            pieces = []
            for i, (c, w, kind) in enumerate(zip(cells, part.widths, kinds)):
                text = c.ljust(w) if table.align[part.columns[i]] == "l" else c.rjust(w)
                pieces.append(((" " if i > 1 else "  " if i == 1 else "") + text, kind))
            # No trailing blanks: strip the last piece's right padding.
            while pieces and not pieces[-1][0].strip():
                pieces.pop()
            if pieces:
                pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
            return pieces

        out.append(line([table.header[c] for c in part.columns], ["head"] * len(part.columns)))
        out.append(line(["-" * w for w in part.widths], ["rule"] * len(part.columns)))
        for r, row in enumerate(table.rows):
            cells = [row[c] for c in part.columns]
            name_lines = break_name(cells[0], part.widths[0])
            base = "section" if r in table.section_rows else table.row_kinds.get(r, "cell")
            kinds = ["warn" if c == mark or c.endswith(f" {mark}") else base for c in cells]
            first = [name_lines[0]] + cells[1:]
            out.append(line(first, kinds))
            for more in name_lines[1:]:
                out.append(line([more], [kinds[0]]))
    return out


def chart_lines(chart: Chart, width: int, mark: str, ascii: bool) -> list[list[Piece]]:
    """A bar chart's lines; labels too long to share a line with a bar get a line of their own."""
    drawn = bars(chart, mark)
    if drawn is None:
        return []
    out: list[list[Piece]] = [[(t, "title")] for t in wrap(drawn.title, width)]
    if clipped(drawn):
        out += [[(t, "dim")] for t in wrap(clip_note(drawn, ascii, chart.metric), width)]
    beside = drawn.labels_beside(width)
    bar_w = drawn.bar_width(width) if beside else max(10, width - 4 - 2 - drawn.value_w)
    kind = "bar_up" if METRICS[chart.metric].higher_is_better else "bar_down"
    for subtitle, rows in drawn.groups:
        out += [[(t, "dim")] for t in wrap(f"  {subtitle}", width)]
        for row in rows:
            label_kind = "warn" if row.warn else "cell"
            drawn_bar = bar(row.value, drawn.scale, bar_w, ascii=ascii).ljust(bar_w)
            value = "  " + row.text.rjust(drawn.value_w)
            if beside:
                out.append([("    " + row.label, label_kind), ("  " + drawn_bar, kind), (value, "cell")])
            else:
                out += [[("    " + t, label_kind)] for t in break_name(row.label.rstrip(), width - 4)]
                out.append([("    ", "cell"), (drawn_bar, kind), (value, "cell")])
    return out


def clip_note(drawn: Bars, ascii: bool, metric: str) -> str:
    return (f"  {CLIP_MARK[ascii]} = past the scale ({format_value(metric, drawn.scale)}), "
            "drawn clipped; its value is beside it")


def note_lines(block: Lines, width: int | None) -> list[list[Piece]]:
    out: list[list[Piece]] = []
    if block.title:
        out += [[(t, "title")] for t in wrap(block.title, width)]
    for text in block.lines:
        kind = "warn" if text.lstrip().startswith((WARN_ASCII + " ", WARN_UNICODE + " ")) else "note"
        out += [[(t, kind)] for t in wrap(text, width)]
    return out


def block_lines(block: Block, width: int, mark: str, ascii: bool) -> list[list[Piece]]:
    """Any block's drawn lines at `width` columns (the plain and the rich text share them)."""
    if isinstance(block, Table):
        return table_lines(block, width, mark)
    if isinstance(block, Chart):
        return chart_lines(block, width, mark, ascii)
    return note_lines(block, width)


# ---- names that fit a column ---------------------------------------------------------------

def _method_and_path(endpoint: str) -> tuple[str, str]:
    method, _, path = endpoint.partition(" ")
    return (method, path) if path else ("", endpoint)


def endpoint_labels(endpoints: list[str], max_width: int | None) -> tuple[dict[str, str], str | None]:
    """Endpoint names for a column of `max_width`, and a note saying what they share.

    Steps, each only while a name is still too long and only if the names stay distinct:
    drop a method they all have; drop the leading path segments they all share; write path
    parameters as {}. Nothing else is removed: a name still too long is broken over lines
    by the table, never cut into a look-alike of another.
    """
    labels = {e: e for e in endpoints}
    if max_width is None or not endpoints or max(map(len, labels.values())) <= max_width:
        return labels, None
    notes = []

    def too_long() -> bool:
        return max(map(len, labels.values())) > max_width

    def distinct(candidate: dict[str, str]) -> bool:
        return len(set(candidate.values())) == len(candidate) and all(candidate.values())

    split = {e: _method_and_path(e) for e in endpoints}
    methods = {m for m, _ in split.values()}
    if len(methods) == 1 and "" not in methods:
        candidate = {e: path for e, (_, path) in split.items()}
        if distinct(candidate):
            labels = candidate
            notes.append(f"every endpoint is {methods.pop()}")
    if too_long() and len(endpoints) > 1:
        parts = {e: label.split("/") for e, label in labels.items()}
        first = next(iter(parts.values()))
        common = 0
        while (all(len(p) > common + 1 for p in parts.values())
               and len({p[common] for p in parts.values()}) == 1):
            common += 1
        prefix = "/".join(first[:common])
        # "GET /api/x" and "POST /api/y" share no leading segment: the method is one.
        if prefix and prefix.strip():
            candidate = {e: "/".join(p[common:]) for e, p in parts.items()}
            if distinct(candidate):
                labels = candidate
                notes.append(f"paths under {prefix}/")
    if too_long():
        candidate = {e: re.sub(r"\{[^}/]*\}", "{}", label) for e, label in labels.items()}
        if candidate != labels and distinct(candidate):
            labels = candidate
            notes.append("path parameters shown as {}")
    return labels, ("; ".join(notes) or None)
