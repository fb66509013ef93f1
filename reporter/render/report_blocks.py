"""The report as a list of blocks (headings, tables, bar charts, notes) shared by the text and
markdown renderers, so both show the same rows, columns and markers (perf.reporter.render.blocks
fits them to a width)."""

from __future__ import annotations

from perf.reporter.compute import checks as server_checks, tables as compute, scaling
from perf.reporter.render.blocks import Block, Chart, Lines, Table, endpoint_labels
from perf.reporter.render.escape import plain_report
from perf.reporter.compute.redirects import redirect_warnings, success_words
from perf.reporter.render.shared import column_header, when
from perf.store.metrics import METRICS, format_value, metric
from perf.base.text import plural
from perf.reporter.rows import AttackRow, RunRow

CHANGE_HEADER = "Change"

def row_header(name: str) -> str:
    """A metric as a row label (multi-run tables): with its unit when the label lacks one."""
    m = METRICS[name]
    if m.unit in ("ms", "req/s"):
        return f"{m.label} {m.unit}"
    return m.label


def _environment(run: RunRow) -> dict[str, str]:
    git = run.git_commit
    git_text = "-"
    if git:
        extra = [x for x in (run.git_branch, "dirty" if run.git_dirty else None) if x]
        git_text = git[:10] + (f" ({', '.join(extra)})" if extra else "")
    cpu = run.cpu_model or "-"
    if run.cpu_count:
        cpu += f" x {run.cpu_count}"
    return {
        "host": run.host or "-",
        "cpu": cpu,
        "os": run.os or "-",
        "python": run.python_version or "-",
        "vegeta": run.vegeta_version or "-",
        "perf": run.perf_version or "-",
        "git": git_text,
        "target": run.target or "-",
    }


def environment_lines(runs: list[RunRow], names: dict[str, str], max_values: int = 4) -> list[str]:
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
            values.setdefault(env[key], []).append(names[run.run_id])
        shown = [f"{v} [{', '.join(names)}]" for v, names in list(values.items())[-max_values:]]
        more = len(values) - len(shown)
        lines.append(f"{key}: " + "; ".join(shown) + (f"; and {more} more" if more else ""))
    return lines


def runs_table(runs: list[RunRow], names: dict[str, str]) -> Table:
    """The runs side by side: the name every table heads its column with, then the run."""
    rows = [
        [names[r.run_id], r.run_id,
         r.started_at.strftime("%Y-%m-%d %H:%M") if r.started_at else "-",
         (r.git_commit or "-")[:10], r.status, str(r.attacks), f"{r.requests:,}"]
        for r in runs
    ]
    return Table("Runs", ["Name", "Run", "Started (UTC)", "Commit", "Status", "Attacks", "Requests"],
                 rows, ["l", "l", "l", "l", "l", "r", "r"])


def _warn(attack: AttackRow | None, mark: str) -> str:
    return mark if attack is not None and compute.untrusted(attack) else ""


def single_run_table(key: tuple, attacks: list[AttackRow], labels: dict[str, str], servers: int,
                     mark: str) -> Table:
    header = ["Endpoint", "Target"] + [column_header(n) for n in compute.TABLE_METRICS]
    rows, kinds = [], {}
    for endpoint in compute.endpoints_in_order(attacks):
        for attack in [a for a in attacks if a.endpoint == endpoint]:
            warn = _warn(attack, mark)
            kind = compute.failure_kind(attack.metric("success_ratio"))
            if kind:
                kinds[len(rows)] = kind
            rows.append(
                [labels[endpoint] + (f" {warn}" if warn else ""), compute.load_text(attack)]
                + [format_value(n, attack.metric(n)) for n in compute.TABLE_METRICS]
            )
    # The latencies and Success% (TABLE_METRICS has them side by side) stay in one part.
    together = [(2 + compute.TABLE_METRICS.index("latency_p50_ms"),
                 3 + compute.TABLE_METRICS.index("success_ratio"))]
    return Table(compute.group_title(key, servers), header, rows,
                 ["l"] + ["r"] * (len(header) - 1), keep=2, together=together, row_kinds=kinds)


def change_text(base: float | None, value: float | None) -> str:
    c = compute.change(base, value)
    if c is None:
        return "-"
    text = f"{c:+.1%}"
    return "0.0%" if text in ("+0.0%", "-0.0%") else text


def multi_run_table(key: tuple, attacks: list[AttackRow], runs: list[RunRow],
                    labels: dict[str, str], servers: int, mark: str, names: dict[str, str]) -> Table:
    """Each metric per run side by side: a row per metric under each endpoint, a column per
    run that has this group's attacks, and the change from the first of them to the last."""
    present = {a.run_id for a in attacks}
    runs = [r for r in runs if r.run_id in present]
    changes = len(runs) > 1
    header = ["Endpoint"] + [names[r.run_id] for r in runs] + ([CHANGE_HEADER] if changes else [])
    cells = compute.by_endpoint_and_run(attacks)
    rows, sections = [], set()
    for endpoint in compute.endpoints_in_order(attacks):
        per_run = [cells[endpoint].get(r.run_id) for r in runs]
        sections.add(len(rows))
        rows.append([labels[endpoint]] + [_warn(a, mark) for a in per_run] + ([""] if changes else []))
        for name in compute.TABLE_METRICS:
            values = [a.metric(name) if a else None for a in per_run]
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


def sustainable_table(attacks: list[AttackRow], runs: list[RunRow], labels: dict[str, str],
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
    servers = len({a.server for a in attacks})
    present = {row["run_id"] for row in rows_in}
    runs = [r for r in runs if r.run_id in present]

    def workers_text(workers, server) -> str:
        text = "-" if workers is None else str(workers)
        return text + (f" {server}" if servers > 1 and server else "")

    if len(runs) == 1:
        rows = []
        for endpoint, workers, server in keys:
            row = cells[(endpoint, workers, server)][runs[0].run_id]
            rows.append([labels[endpoint], workers_text(workers, server), value(row),
                         ", ".join(f"{r:g}" for r in row["tested"])])
        return Table(SUSTAINABLE_TITLE, ["Endpoint", "Workers", "Max rate", "Tested rates (req/s)"],
                     rows, ["l", "r", "r", "l"], keep=2)
    rows = [[labels[e], workers_text(w, s)] + [value(cells[(e, w, s)].get(r.run_id)) for r in runs]
            for e, w, s in keys]
    return Table(SUSTAINABLE_TITLE, ["Endpoint", "Workers"] + [names[r.run_id] for r in runs],
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
    if all(c["rps"] is None for r in rows_in for c in r["workers"]):
        # A table of "-": no worker count sustained any rate, so there is nothing to scale.
        return [Lines("Worker scaling", [
            "no table: no endpoint has a sustained rate at any worker count, so there is no "
            "throughput to compare across workers; lower --rates to find what each sustains"])]
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


def charts(groups: list[tuple[tuple, list[AttackRow]]], runs: list[RunRow], labels: dict[str, str],
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
                    (labels[a.endpoint], a.metric(name), compute.untrusted(a))
                    for endpoint in compute.endpoints_in_order(attacks)
                    for a in [cells[endpoint].get(runs[0].run_id)] if a is not None]))
                continue
            for endpoint in compute.endpoints_in_order(attacks):
                shown = [(names[r.run_id], cells[endpoint][r.run_id]) for r in runs
                         if r.run_id in cells[endpoint]]
                chart_groups.append((f"{title}: {labels[endpoint]}", [
                    (run_name, a.metric(name), compute.untrusted(a)) for run_name, a in shown]))
        out.append(Chart(f"{CHART_TITLES.get(name, m.label)} ({m.unit})", name, chart_groups))
    return out


def problems(report, labels: dict[str, str], servers: int, mark: str,
             names: dict[str, str], runs: list[RunRow], limit: int = 20) -> Lines | None:
    """Attacks of `runs` that failed the generator check, and their error kinds, one line
    each, at most `limit` lines of each kind (json and csv have them all)."""
    flags, errors_lines = [], []
    multi = len(report.runs) > 1
    shown = {r.run_id for r in runs}
    for attack in report.attacks:
        if attack.run_id not in shown:
            continue
        where = (f"{labels[attack.endpoint]} at "
                 f"{compute.group_title(compute.group_key(attack), servers)}"
                 + (f" (run {names[attack.run_id]})" if multi else ""))
        if compute.untrusted(attack):
            flags.append(f"{mark} {where}: generator check failed: "
                         f"{attack.generator_note or 'no reason recorded'}")
        errors = report.errors.get(attack.attack_id) or {}
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


def why_failed(report, labels: dict[str, str], names: dict[str, str], runs: list[RunRow],
               limit: int = 20) -> Lines | None:
    """Per endpoint, each failing status code: how many requests, and the likely fix (from the
    body the app sent: perf.reporter.compute.why_failed)."""
    from perf.reporter.compute.why_failed import failure_rows

    shown = {r.run_id for r in runs}
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


def report_blocks(report, *, width: int | None, mark: str, chart_metrics: list[str] | None = None) -> list[Block]:
    """The whole report, top to bottom; bar charts of `chart_metrics` (default: achieved, p99).

    `width` None means no limit (markdown): full endpoint names, every table in one piece.
    Otherwise the blocks are still whole tables: block_lines fits each to the width.
    Stored strings come out free of control characters (reporter/render/escape.py).
    """
    report = plain_report(report)
    runs, attacks = report.runs, report.attacks
    servers = len({a.server for a in attacks})
    groups = compute.grouped(attacks)
    names = compute.run_names(runs)
    out: list[Block] = []
    if len(runs) == 1:
        run = runs[0]
        head = f"perf report - run {run.run_id}"
        if run.label:
            head += f" ({run.label})"
        head += f" - {run.status} - {when(run.started_at)}"
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
