"""The report as a list of blocks (headings, tables, bar charts, notes) shared by the text and
markdown renderers, so both show the same rows, columns and markers; and the one width logic
that fits a block into a given number of columns (text, plain or rich).

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
from datetime import datetime

from perf.reporter.compute import checks as server_checks, tables as compute, scaling
from perf.reporter.render.escape import plain_report
from perf.reporter.compute.redirects import redirect_warnings, success_words
from perf.store.metrics import METRICS, format_value, metric
from perf.base.text import plural

WARN_ASCII = "!"
WARN_UNICODE = "⚠"
MIN_WIDTH = 40  # narrower, and even a value column and its name would not fit beside each other

CHANGE_HEADER = "Change"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    align: list[str]  # "l" | "r" per column
    section_rows: set[int] = field(default_factory=set)  # rows that head a group (multi-run)
    keep: int = 1  # leading columns repeated in every part when the table wraps


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
    return Bars(chart.title, groups,
                scale=max((v for _, v, _ in flat if v is not None), default=0),
                value_w=max(len(row.text) for _, rows in groups for row in rows),
                label_w=label_w)


_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float | None, scale: float, width: int, ascii: bool) -> str:
    """A bar of `value` against `scale` (= `width` columns): '#' cells, or unicode eighths."""
    if value is None or scale <= 0:
        return ""
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
# one styles each kind. Kinds: title, head, rule, cell, section, warn, note, dim.
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
    chunks = _share(rest, natural, width - _line_width(key))
    parts = []
    for i, chunk in enumerate(chunks or [[]]):
        title = table.title if i == 0 else f"{table.title} (continued)"
        parts.append(TablePart(title, list(range(keep)) + chunk, key + [natural[c] for c in chunk]))
    return parts


def _share(columns: list[int], widths: list[int], room: int) -> list[list[int]]:
    """`columns` in order, cut into the fewest runs of at most `room` line columns each,
    then evened out over that many runs."""
    greedy: list[list[int]] = []
    used = room + 1
    for c in columns:
        if used + widths[c] + 1 > room and (not greedy or greedy[-1]):
            greedy.append([])
            used = 0
        greedy[-1].append(c)
        used += widths[c] + 1
    parts = len(greedy)
    if parts <= 1:
        return greedy
    size, extra = divmod(len(columns), parts)
    even, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        even.append(columns[start:stop])
        start = stop
    if all(sum(widths[c] + 1 for c in chunk) <= room for chunk in even):
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
            base = "section" if r in table.section_rows else "cell"
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


# ---- the report's blocks -------------------------------------------------------------------

def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def column_header(name: str) -> str:
    return METRICS[name].label


def row_header(name: str) -> str:
    """A metric as a row label (multi-run tables): with its unit when the label lacks one."""
    m = METRICS[name]
    if m.unit in ("ms", "req/s"):
        return f"{m.label} {m.unit}"
    return m.label


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


def _environment(run: dict) -> dict[str, str]:
    git = run.get("git_commit")
    git_text = "-"
    if git:
        extra = [x for x in (run.get("git_branch"), "dirty" if run.get("git_dirty") else None) if x]
        git_text = git[:10] + (f" ({', '.join(extra)})" if extra else "")
    cpu = run.get("cpu_model") or "-"
    if run.get("cpu_count"):
        cpu += f" x {run['cpu_count']}"
    return {
        "host": run.get("host") or "-",
        "cpu": cpu,
        "os": run.get("os") or "-",
        "python": run.get("python_version") or "-",
        "vegeta": run.get("vegeta_version") or "-",
        "perf": run.get("perf_version") or "-",
        "git": git_text,
        "target": run.get("target") or "-",
    }


def environment_lines(runs: list[dict], names: dict[str, str], max_values: int = 4) -> list[str]:
    """What the runs ran on: shared facts three to a line, then each fact that differs
    with its values and the runs that had them."""
    envs = [_environment(r) for r in runs]
    shared = [(k, v) for k, v in envs[0].items() if all(e[k] == v for e in envs)]
    lines = ["   ".join(f"{k}: {v}" for k, v in shared[i:i + 3]) for i in range(0, len(shared), 3)]
    for key in envs[0]:
        if any(key == k for k, _ in shared):
            continue
        values: dict[str, list[str]] = {}
        for run, env in zip(runs, envs):
            values.setdefault(env[key], []).append(names[run["run_id"]])
        shown = [f"{v} [{', '.join(names)}]" for v, names in list(values.items())[-max_values:]]
        more = len(values) - len(shown)
        lines.append(f"{key}: " + "; ".join(shown) + (f"; and {more} more" if more else ""))
    return lines


def runs_table(runs: list[dict], names: dict[str, str]) -> Table:
    """The runs side by side: the name every table heads its column with, then the run."""
    rows = [
        [names[r["run_id"]], r["run_id"],
         r["started_at"].strftime("%Y-%m-%d %H:%M") if r.get("started_at") else "-",
         (r.get("git_commit") or "-")[:10], r["status"], str(r["attacks"]), f"{r['requests']:,}"]
        for r in runs
    ]
    return Table("Runs", ["Name", "Run", "Started (UTC)", "Commit", "Status", "Attacks", "Requests"],
                 rows, ["l", "l", "l", "l", "l", "r", "r"])


def _warn(attack: dict | None, mark: str) -> str:
    return mark if attack is not None and compute.untrusted(attack) else ""


def single_run_table(key: tuple, attacks: list[dict], labels: dict[str, str], servers: int,
                     mark: str) -> Table:
    header = ["Endpoint", "Target"] + [column_header(n) for n in compute.TABLE_METRICS]
    rows = []
    for endpoint in compute.endpoints_in_order(attacks):
        for attack in [a for a in attacks if a["endpoint"] == endpoint]:
            warn = _warn(attack, mark)
            rows.append(
                [labels[endpoint] + (f" {warn}" if warn else ""), compute.load_text(attack)]
                + [format_value(n, attack[n]) for n in compute.TABLE_METRICS]
            )
    return Table(compute.group_title(key, servers), header, rows,
                 ["l"] + ["r"] * (len(header) - 1), keep=2)


def change_text(base: float | None, value: float | None) -> str:
    c = compute.change(base, value)
    if c is None:
        return "-"
    text = f"{c:+.1%}"
    return "0.0%" if text in ("+0.0%", "-0.0%") else text


def multi_run_table(key: tuple, attacks: list[dict], runs: list[dict], labels: dict[str, str],
                    servers: int, mark: str, names: dict[str, str]) -> Table:
    """Each metric per run side by side: a row per metric under each endpoint, a column per
    run that has this group's attacks, and the change from the first of them to the last."""
    present = {a["run_id"] for a in attacks}
    runs = [r for r in runs if r["run_id"] in present]
    changes = len(runs) > 1
    header = ["Endpoint"] + [names[r["run_id"]] for r in runs] + ([CHANGE_HEADER] if changes else [])
    cells = compute.by_endpoint_and_run(attacks)
    rows, sections = [], set()
    for endpoint in compute.endpoints_in_order(attacks):
        per_run = [cells[endpoint].get(r["run_id"]) for r in runs]
        sections.add(len(rows))
        rows.append([labels[endpoint]] + [_warn(a, mark) for a in per_run] + ([""] if changes else []))
        for name in compute.TABLE_METRICS:
            values = [a[name] if a else None for a in per_run]
            rows.append(["  " + row_header(name)] + [format_value(name, v) for v in values]
                        + ([change_text(values[0], values[-1])] if changes else []))
    return Table(compute.group_title(key, servers), header, rows,
                 ["l"] + ["r"] * (len(header) - 1), sections)


SUSTAINABLE_TITLE = ("Maximum sustainable rate (success >= 99%, achieved >= 99% of target "
                     "allowing one p50 wait)")


def _rate_text(rate: float | None, lower_bound: bool, tested: list[float]) -> str:
    """'40/s', '>= 40/s' (met at every rate tested: a lower bound), '< 20/s' (not even the
    lowest): a sustainable rate or a capacity, in the tables."""
    if rate is None:
        return f"< {tested[0]:g}/s" if tested else "none"
    return (">= " if lower_bound else "") + f"{rate:g}/s"


def sustainable_table(attacks: list[dict], runs: list[dict], labels: dict[str, str],
                      mark: str, names: dict[str, str],
                      statuses: dict[int, dict[int, int]] | None = None) -> Table | None:
    rows_in = compute.max_sustainable_rates(attacks, statuses)
    if not rows_in:
        return None

    def value(row: dict | None) -> str:
        if row is None:
            return "-"
        if row["failed"]:  # a refused request, not a rate limit (see the warnings)
            code = row.get("failing_code")
            return "no success" + (f" (all {code})" if code else "")
        return (_rate_text(row["rate"], row["all_sustained"], row["tested"])
                + (f" {mark}" if row["untrusted"] else ""))

    cells: dict[tuple, dict[str, dict]] = {}
    for row in rows_in:
        cells.setdefault((row["endpoint"], row["workers"], row["server"]), {})[row["run_id"]] = row
    order = {e: i for i, e in enumerate(compute.endpoints_in_order(attacks))}
    keys = sorted(cells, key=lambda k: (order[k[0]], k[1] if k[1] is not None else -1, k[2] or ""))
    servers = len({a["server"] for a in attacks})
    present = {row["run_id"] for row in rows_in}
    runs = [r for r in runs if r["run_id"] in present]

    def workers_text(workers, server) -> str:
        text = "-" if workers is None else str(workers)
        return text + (f" {server}" if servers > 1 and server else "")

    if len(runs) == 1:
        rows = []
        for endpoint, workers, server in keys:
            row = cells[(endpoint, workers, server)][runs[0]["run_id"]]
            rows.append([labels[endpoint], workers_text(workers, server), value(row),
                         ", ".join(f"{r:g}" for r in row["tested"])])
        return Table(SUSTAINABLE_TITLE, ["Endpoint", "Workers", "Max rate", "Tested rates (req/s)"],
                     rows, ["l", "r", "r", "l"], keep=2)
    rows = [[labels[e], workers_text(w, s)] + [value(cells[(e, w, s)].get(r["run_id"])) for r in runs]
            for e, w, s in keys]
    return Table(SUSTAINABLE_TITLE, ["Endpoint", "Workers"] + [names[r["run_id"]] for r in runs],
                 rows, ["l", "r"] + ["r"] * len(runs), keep=2)


CAPACITY_TITLE = "Sustainable RPS by worker count (capacity search: the highest rate meeting the SLO)"


def capacity_blocks(report, labels: dict[str, str], names: dict[str, str]) -> list[Block]:
    """One row per capacity search (its SLO, the rate found, the rates tried), then how each
    search ended, in words."""
    rows_in = scaling.capacity_results(report.capacity, report.attacks)
    if not rows_in:
        return []
    multi = len({r["run_id"] for r in rows_in}) > 1
    servers = len({r["server"] for r in rows_in}) > 1
    order = {e: i for i, e in enumerate(compute.endpoints_in_order(report.attacks))}
    rows_in.sort(key=lambda r: (order.get(r["endpoint"], len(order)), r["workers"] or 0,
                                r["server"] or "", r["run_id"]))
    rows, ends = [], []
    for r in rows_in:
        workers = ("-" if r["workers"] is None else str(r["workers"])) + (
            f" {r['server']}" if servers and r["server"] else "")
        run = [names.get(r["run_id"], r["run_id"])] if multi else []
        rows.append([labels.get(r["endpoint"], r["endpoint"]), workers] + run
                    + [r["slo"], _rate_text(r["rate"], r["lower_bound"], r["tested"]),
                       ", ".join(f"{t:g}" for t in r["tested"]) or "-"])
        where = labels.get(r["endpoint"], r["endpoint"])
        if r["workers"] is not None:
            where += f", {plural(r['workers'], 'worker')}"
        ends.append(f"{where}{' (run ' + run[0] + ')' if run else ''}: {r['note'] or '-'}")
    header = (["Endpoint", "Workers"] + (["Run"] if multi else [])
              + ["SLO", "Capacity", "Rates tried (req/s)"])
    return [Table(CAPACITY_TITLE, header, rows, ["l", "r"] + (["l"] if multi else [])
                  + ["l", "r", "l"], keep=2),
            Lines("How each search ended", ends)]


def scaling_blocks(report, labels: dict[str, str], names: dict[str, str]) -> list[Block]:
    """Worker scaling per endpoint measured at several worker counts: RPS(n), efficiency
    RPS(n) / (n x RPS(1)), memory, and the recommendation in words (reporter/compute/scaling.py)."""
    rows_in = scaling.report_scaling(report)
    if not rows_in:
        return []
    multi = len({r["run_id"] for r in rows_in}) > 1
    servers = len({r["server"] for r in rows_in}) > 1
    sources = {r["source"] for r in rows_in}
    basis = {"capacity": "RPS = the capacity found under the SLO",
             "sustained": "RPS = the highest rate sustained"}
    rows, advice = [], []
    for r in rows_in:
        name = labels.get(r["endpoint"], r["endpoint"]) + (
            f" [{r['server']}]" if servers and r["server"] else "")
        run = [names.get(r["run_id"], r["run_id"])] if multi else []
        for c in r["workers"]:
            efficiency = "-" if c["efficiency"] is None else (
                (">= " if c["efficiency_at_least"] else "") + f"{c['efficiency']:.0%}")
            rps = "-" if c["rps"] is None else (">= " if c["lower_bound"] else "") + f"{c['rps']:g}"
            rows.append([name, str(c["workers"])] + run
                        + [rps, efficiency, format_value("rss_avg_mb", c["memory_mb"])])
        advice.append(f"{name}{' (run ' + run[0] + ')' if run else ''}: {r['recommendation']}")
    title = ("Worker scaling (" + "; ".join(basis[s] for s in sorted(sources))
             + "; efficiency = RPS(n) / (n x RPS(1)))")
    header = ["Endpoint", "Workers"] + (["Run"] if multi else []) + ["RPS", "Efficiency", "Mem MB"]
    return [Table(title, header, rows, ["l", "r"] + (["l"] if multi else []) + ["r", "r", "r"],
                  keep=2),
            Lines("Workers to run", advice)]


def check_block(report, names: dict[str, str], mark: str) -> Lines | None:
    """The server self-check: every server start whose kept-alive responses stalled, and
    checks that could not decide."""
    multi = len(report.runs) > 1
    stalls = server_checks.warnings(report.checks, names, multi, report.attacks)
    unsure = server_checks.unchecked(report.checks, names, multi)
    if not stalls and not unsure:
        return None
    return Lines("Server self-check", [f"{mark} {line}" for line in stalls]
                 + [f"  {line}" for line in unsure])


CHART_TITLES = {"achieved_rps": "Achieved RPS", "latency_p99_ms": "P99 latency"}


def charts(groups: list[tuple[tuple, list[dict]]], runs: list[dict], labels: dict[str, str],
           servers: int, metrics: list[str], names: dict[str, str]) -> list[Chart]:
    """A bar per attack, grouped as the tables are; side by side, a group per endpoint with a
    bar per run (labelled by the run's name)."""
    out = []
    multi = len(runs) > 1
    for name in metrics:
        m = METRICS[name]
        chart_groups = []
        for key, attacks in groups:
            cells = compute.by_endpoint_and_run(attacks)
            title = compute.group_title(key, servers)
            if not multi:
                chart_groups.append((title, [
                    (labels[a["endpoint"]], a[name], compute.untrusted(a))
                    for endpoint in compute.endpoints_in_order(attacks)
                    for a in [cells[endpoint].get(runs[0]["run_id"])] if a is not None]))
                continue
            for endpoint in compute.endpoints_in_order(attacks):
                shown = [(names[r["run_id"]], cells[endpoint][r["run_id"]]) for r in runs
                         if r["run_id"] in cells[endpoint]]
                chart_groups.append((f"{title}: {labels[endpoint]}", [
                    (run_name, a[name], compute.untrusted(a)) for run_name, a in shown]))
        out.append(Chart(f"{CHART_TITLES.get(name, m.label)} ({m.unit})", name, chart_groups))
    return out


def problems(report, labels: dict[str, str], servers: int, mark: str,
             names: dict[str, str], runs: list[dict], limit: int = 20) -> Lines | None:
    """Attacks of `runs` that failed the generator check, and their error kinds, one line
    each, at most `limit` lines of each kind (json and csv have them all)."""
    flags, errors_lines = [], []
    multi = len(report.runs) > 1
    shown = {r["run_id"] for r in runs}
    for attack in report.attacks:
        if attack["run_id"] not in shown:
            continue
        where = (f"{labels[attack['endpoint']]} at "
                 f"{compute.group_title(compute.group_key(attack), servers)}"
                 + (f" (run {names[attack['run_id']]})" if multi else ""))
        if compute.untrusted(attack):
            flags.append(f"{mark} {where}: generator check failed: "
                         f"{attack.get('generator_note') or 'no reason recorded'}")
        errors = report.errors.get(attack["attack_id"]) or {}
        if errors:
            total = sum(errors.values())
            kinds = "; ".join(f"{n:,} x {kind}" for kind, n in list(errors.items())[:3])
            more = f"; {len(errors) - 3} more kinds" if len(errors) > 3 else ""
            text = kinds + more if len(errors) == 1 else f"{total:,} errors ({kinds}{more})"
            errors_lines.append(f"  {where}: {text}")
    redirects = redirect_warnings(report, names, runs)
    if not flags and not errors_lines and not redirects:
        return None
    lines = [f"  {line}" for line in redirects]
    if flags:
        lines.append(f"{mark} = not trustworthy: the load generator could not offer the "
                     "planned load")
    for found in (flags, errors_lines):
        lines += found[:limit]
        if len(found) > limit:
            lines.append(f"  ... and {len(found) - limit} more (--format json lists them all)")
    return Lines("Warnings", lines)


def why_failed(report, labels: dict[str, str], names: dict[str, str], runs: list[dict],
               limit: int = 20) -> Lines | None:
    """Per endpoint, each failing status code: how many requests, and the likely fix (from the
    body the app sent: perf.reporter.compute.why_failed)."""
    from perf.reporter.compute.why_failed import failure_rows

    shown = {r["run_id"] for r in runs}
    multi = len(report.runs) > 1
    lines = []
    for row in failure_rows(report):
        if row["run_id"] not in shown:
            continue
        where = labels[row["endpoint"]] + (f" (run {names[row['run_id']]})" if multi else "")
        share = "" if row["share"] is None else (
            f" ({row['share']:.0%})" if row["share"] >= 0.01 else f" ({row['share']:.1%})")
        lines.append(f"  {where}: {row['requests']:,} requests{share}: {row['fix']}")
    if not lines:
        return None
    more = [f"  ... and {len(lines) - limit} more (--format json lists them all)"] \
        if len(lines) > limit else []
    return Lines("Why requests failed", lines[:limit] + more)


# The single-run table's columns after Endpoint, measured on wide values ("100.00%", "2000.0").
_SINGLE_RUN_NUMBERS = 2 + 6 + 1 + sum(max(len(column_header(n)), 7) + 1 for n in compute.TABLE_METRICS)


def blocks(report, *, width: int | None, mark: str, chart_metrics: list[str] | None = None) -> list[Block]:
    """The whole report, top to bottom; bar charts of `chart_metrics` (default: achieved, p99).

    `width` None means no limit (markdown): full endpoint names, every table in one piece.
    Otherwise the blocks are still whole tables: block_lines fits each to the width.
    Stored strings come out free of control characters (reporter/render/escape.py).
    """
    report = plain_report(report)
    runs, attacks = report.runs, report.attacks
    servers = len({a["server"] for a in attacks})
    groups = compute.grouped(attacks)
    names = compute.run_names(runs)
    out: list[Block] = []
    if len(runs) == 1:
        run = runs[0]
        head = f"perf report - run {run['run_id']}"
        if run.get("label"):
            head += f" ({run['label']})"
        head += f" - {run['status']} - {when(run['started_at'])}"
        out.append(Lines(head, environment_lines(runs, names)))
    else:
        out.append(Lines(f"perf report - {len(runs)} runs", []))
        out.append(runs_table(runs, names))
        out.append(Lines("Environment", environment_lines(runs, names)))

    # Endpoint names are shortened only as far as the widest table needs: the single-run
    # table's numbers, or one run's column beside the name.
    label_width = None
    if width is not None:
        label_width = width - _SINGLE_RUN_NUMBERS if len(runs) == 1 else width - 12
    labels, label_note = endpoint_labels(compute.endpoints_in_order(attacks), label_width)
    notes = [f"Latency in ms; Target and Achieved in req/s; Success% = status {success_words(runs)}.",
             "CPU: 100% = one core, summed over the server's processes; Mem: server RSS in MB "
             "(10^6 bytes)."]
    if len(runs) > 1:
        notes.append(f"{CHANGE_HEADER}: the last run's value against the first's in each table "
                     "(+ = higher).")
    if label_note:
        notes.append(f"endpoints shortened: {label_note}")
    out.append(Lines(None, notes))
    checked = check_block(report, names, mark)
    if checked:
        out.append(checked)

    for key, group in groups:
        if len(runs) == 1:
            out.append(single_run_table(key, group, labels, servers, mark))
        else:
            out.append(multi_run_table(key, group, runs, labels, servers, mark, names))
    sustainable = sustainable_table(attacks, runs, labels, mark, names, report.statuses)
    if sustainable:
        out.append(sustainable)
    out.extend(capacity_blocks(report, labels, names))
    out.extend(scaling_blocks(report, labels, names))
    issues = problems(report, labels, servers, mark, names, runs)
    if issues:
        out.append(issues)
    why = why_failed(report, labels, names, runs)
    if why:
        out.append(why)
    chart_metrics = compute.CHART_METRICS if chart_metrics is None else chart_metrics
    out.extend(charts(groups, runs, labels, servers, [metric(n).name for n in chart_metrics], names))
    return out
