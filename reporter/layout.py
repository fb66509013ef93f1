"""The report as a list of blocks (headings, tables, bar charts, notes) shared by the text and
markdown renderers, so both show the same rows, columns and markers.

Cells are already formatted strings (metric formats come from the registry); a renderer
only decides how to draw them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from reporter import compute
from reporter.escape import plain_report
from reporter.metrics import METRICS, format_value, metric

WARN_ASCII = "!"
WARN_UNICODE = "⚠"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    align: list[str]  # "l" | "r" per column
    section_rows: set[int] = field(default_factory=set)  # rows that head a group (multi-run)


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


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def column_header(name: str) -> str:
    return METRICS[name].label


def row_header(name: str) -> str:
    """A metric as a row label (multi-run tables): with its unit when the label lacks one."""
    m = METRICS[name]
    if m.unit in ("ms", "req/s"):
        return f"{m.label} {m.unit}"
    return m.label


def endpoint_labels(endpoints: list[str], max_width: int | None) -> tuple[dict[str, str], str | None]:
    """Endpoint names short enough for `max_width`, and a note saying what was dropped.

    Steps, each only if still too long: drop a method shared by all; drop the leading path
    segments shared by all; shorten path parameters to {}; cut the middle of what remains.
    """
    labels = {e: e for e in endpoints}
    if max_width is None or not endpoints or max(map(len, labels.values())) <= max_width:
        return labels, None
    notes = []
    methods = {e.split(" ", 1)[0] for e in endpoints if " " in e}
    if len(methods) == 1 and all(" " in e for e in endpoints):
        method = methods.pop()
        labels = {e: e.split(" ", 1)[1] for e in endpoints}
        notes.append(f"every endpoint is {method}")
    if max(map(len, labels.values())) > max_width and len(endpoints) > 1:
        parts = [labels[e].split("/") for e in endpoints]
        common = 0
        while all(len(p) > common + 1 for p in parts) and len({p[common] for p in parts}) == 1:
            common += 1
        prefix = "/".join(parts[0][:common])
        if prefix:
            labels = {e: "/".join(p[common:]) for e, p in zip(endpoints, parts)}
            notes.append(f"paths under {prefix}/")
    if max(map(len, labels.values())) > max_width:
        collapsed = {e: re.sub(r"\{[^}/]*\}", "{}", label) for e, label in labels.items()}
        if collapsed != labels:
            labels = collapsed
            notes.append("path parameters shown as {}")
    cut = {}
    for e, label in labels.items():
        if len(label) > max_width:
            keep = max_width - 2
            head = keep // 2
            label = label[:head] + ".." + label[len(label) - (keep - head):]
        cut[e] = label
    return cut, ("; ".join(notes) or None)


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
    rows = [
        [names[r["run_id"]], when(r["started_at"]), r.get("label") or "-",
         (r.get("git_commit") or "-")[:10], r["status"], str(r["attacks"]), f"{r['requests']:,}"]
        for r in runs
    ]
    return Table("Runs", ["Run", "Started", "Label", "Commit", "Status", "Attacks", "Requests"],
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
                [labels[endpoint] + (f" {warn}" if warn else ""),
                 compute.load_label(attack["mode"], compute.load_of(attack))]
                + [format_value(n, attack[n]) for n in compute.TABLE_METRICS]
            )
    return Table(compute.group_title(key, servers), header, rows,
                 ["l"] + ["r"] * (len(header) - 1))


def multi_run_table(key: tuple, attacks: list[dict], runs: list[dict], labels: dict[str, str],
                    servers: int, mark: str, names: dict[str, str]) -> Table:
    """Each metric per run side by side: a row per metric under each endpoint, a column per run."""
    header = ["Endpoint"] + [names[r["run_id"]] for r in runs]
    cells = compute.by_endpoint_and_run(attacks)
    rows, sections = [], set()
    for endpoint in compute.endpoints_in_order(attacks):
        per_run = [cells[endpoint].get(r["run_id"]) for r in runs]
        sections.add(len(rows))
        rows.append([labels[endpoint]] + [_warn(a, mark) for a in per_run])
        for name in compute.TABLE_METRICS:
            rows.append(["  " + row_header(name)]
                        + [format_value(name, a[name]) if a else "-" for a in per_run])
    return Table(compute.group_title(key, servers), header, rows,
                 ["l"] + ["r"] * len(runs), sections)


def sustainable_table(attacks: list[dict], runs: list[dict], labels: dict[str, str],
                      mark: str, names: dict[str, str]) -> Table | None:
    rows_in = compute.max_sustainable_rates(attacks)
    if not rows_in:
        return None
    title = "Maximum sustainable rate (success >= 99%, achieved >= 99% of target allowing one p50 wait)"

    def value(row: dict | None) -> str:
        if row is None:
            return "-"
        if row["rate"] is None:
            text = f"< {row['tested'][0]:g}/s"
        else:
            text = (">= " if row["all_sustained"] else "") + f"{row['rate']:g}/s"
        return text + (f" {mark}" if row["untrusted"] else "")

    cells: dict[tuple, dict[str, dict]] = {}
    for row in rows_in:
        cells.setdefault((row["endpoint"], row["workers"], row["server"]), {})[row["run_id"]] = row
    order = {e: i for i, e in enumerate(compute.endpoints_in_order(attacks))}
    keys = sorted(cells, key=lambda k: (order[k[0]], k[1] if k[1] is not None else -1, k[2] or ""))
    servers = len({a["server"] for a in attacks})

    def workers_text(workers, server) -> str:
        text = "-" if workers is None else str(workers)
        return text + (f" {server}" if servers > 1 and server else "")

    if len(runs) == 1:
        rows = []
        for endpoint, workers, server in keys:
            row = cells[(endpoint, workers, server)][runs[0]["run_id"]]
            rows.append([labels[endpoint], workers_text(workers, server), value(row),
                         ", ".join(f"{r:g}" for r in row["tested"])])
        return Table(title, ["Endpoint", "Workers", "Max rate", "Tested rates (req/s)"], rows,
                     ["l", "r", "r", "l"])
    rows = [[labels[e], workers_text(w, s)] + [value(cells[(e, w, s)].get(r["run_id"])) for r in runs]
            for e, w, s in keys]
    return Table(title, ["Endpoint", "Workers"] + [names[r["run_id"]] for r in runs], rows,
                 ["l", "r"] + ["r"] * len(runs))


CHART_TITLES = {"achieved_rps": "Achieved RPS", "latency_p99_ms": "P99 latency"}


def charts(groups: list[tuple[tuple, list[dict]]], runs: list[dict], labels: dict[str, str],
           servers: int, metrics: list[str], names: dict[str, str]) -> list[Chart]:
    out = []
    multi = len(runs) > 1
    label_w = max((len(labels[a["endpoint"]]) for _, g in groups for a in g), default=0)
    for name in metrics:
        m = METRICS[name]
        chart_groups = []
        for key, attacks in groups:
            cells = compute.by_endpoint_and_run(attacks)
            bars = []
            for endpoint in compute.endpoints_in_order(attacks):
                first = True
                for run in runs:
                    attack = cells[endpoint].get(run["run_id"])
                    if attack is None:
                        continue
                    label = labels[endpoint]
                    if multi:
                        # The endpoint once, then one bar per run under it.
                        shown = label if first else ""
                        label = f"{shown.ljust(label_w)}  {names[run['run_id']]}"
                    first = False
                    bars.append((label, attack[name], compute.untrusted(attack)))
            chart_groups.append((compute.group_title(key, servers), bars))
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
    if not flags and not errors_lines:
        return None
    lines = []
    if flags:
        lines.append(f"{mark} = not trustworthy: the load generator could not offer the "
                     "planned load")
    for found in (flags, errors_lines):
        lines += found[:limit]
        if len(found) > limit:
            lines.append(f"  ... and {len(found) - limit} more (--format json lists them all)")
    return Lines("Warnings", lines)


def blocks(report, *, width: int | None, mark: str, max_run_columns: int | None = None,
           chart_metrics: list[str] | None = None) -> list[Block]:
    """The whole report, top to bottom; bar charts of `chart_metrics` (default: achieved, p99).

    `width` None means no limit (markdown): full endpoint names and every run side by side.
    Stored strings come out free of control characters (reporter/escape.py).
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

    # Side by side, each run takes a column as wide as its name or a value ("100.00%"); runs
    # that do not fit next to a 26-character endpoint column are left out, oldest first.
    run_column = max(8, max(map(len, names.values()))) + 1
    if max_run_columns is None and width is not None:
        max_run_columns = max(1, (width - 28) // run_column)
    shown_runs = runs
    run_note = None
    if max_run_columns is not None and len(runs) > max_run_columns:
        shown_runs = runs[-max_run_columns:]
        run_note = (f"tables show the newest {len(shown_runs)} of {len(runs)} runs; "
                    "--format csv or json has them all")

    # Width left for the endpoint column: the single-run table's numbers take ~74 columns.
    label_width = None if width is None else max(16, width - 74)
    if width is not None and len(runs) > 1:
        label_width = max(16, width - 2 - run_column * len(shown_runs))
    labels, label_note = endpoint_labels(compute.endpoints_in_order(attacks), label_width)
    notes = ["Latency in ms; Target and Achieved in req/s; Success% = status 200-399.",
             "CPU: 100% = one core, summed over the server's processes; Mem: server RSS in MB "
             "(10^6 bytes)."]
    if label_note:
        notes.append(f"endpoints shortened: {label_note}")
    if run_note:
        notes.append(run_note)
    out.append(Lines(None, notes))

    for key, group in groups:
        if len(runs) == 1:
            out.append(single_run_table(key, group, labels, servers, mark))
        else:
            shown = {r["run_id"] for r in shown_runs}
            out.append(multi_run_table(key, [a for a in group if a["run_id"] in shown],
                                       shown_runs, labels, servers, mark, names))
    sustainable = sustainable_table(attacks, shown_runs, labels, mark, names)
    if sustainable:
        out.append(sustainable)
    issues = problems(report, labels, servers, mark, names, shown_runs)
    if issues:
        out.append(issues)
    chart_metrics = compute.CHART_METRICS if chart_metrics is None else chart_metrics
    out.extend(charts(groups, shown_runs, labels, servers, [metric(n).name for n in chart_metrics], names))
    return out
