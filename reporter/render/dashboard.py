"""`perf report --output report.html`: the interactive dashboard, one self-contained file.

A pure function of the Report (its series and spectra were fetched by the query step,
perf.reporter.report.build_report(..., with_series=True)): build every figure as a Plotly dict
(perf.reporter.render.figures), pack them with plotly.js (perf.reporter.render.plotly_bundle) and fill the Jinja
template (templates/dashboard.html.j2, autoescaped). Selectors in the page switch between
figures that are all pre-built here, so nothing is computed or fetched when the page is opened.

With a --baseline run (Report.baseline, the first run), the by-load charts and the latency
spectra of each selected run draw the baseline's lines dashed beneath their own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson
import plotly.io

from perf import __version__
from perf.base.errors import PerfError
from perf.reporter.compute import checks as server_checks, tables as compute, scaling
from perf.reporter.render import figures as hf
from perf.store.metrics import METRICS, format_value
from perf.reporter.render.plotly_bundle import cdn_url, current_bundle, pack, packed_plotlyjs, plotlyjs_version
from perf.reporter.render.templating import environment
from perf.reporter.compute.why_failed import failure_rows
from perf.reporter.compute.redirects import redirect_warnings
from perf.base.text import plural
from perf.reporter.compute import problems as found
from perf.reporter.rows import AttackRow, HistoryRow, RunRow

KEY_SEP = "\x1f"  # joins select values into a figure key; cannot occur in a label

# The settings shown in the header's one-line sweep summary (all of them are one click away).
SWEEP_KEYS = ("server", "workers", "rates", "concurrency", "duration_s", "timeout_s", "warmup_s",
              "filters", "endpoints", "url", "timeout", "duration")

# The all-attacks table shows these metrics; the others appear with "every metric" (the
# table then fits 1400 px without scrolling sideways).
DASHBOARD_COLUMNS = ["requests", "success_ratio", "achieved_rps", "latency_p50_ms", "latency_p90_ms",
                     "latency_p99_ms", "latency_p999_ms", "latency_max_ms", "cpu_avg", "rss_max_mb",
                     "cpu_s_per_1k"]


@dataclass
class Select:
    dim: str  # run | workers | endpoint | load
    label: str
    options: list[tuple[str, str]]  # (value, text)
    selected: str = ""


@dataclass
class Slot:
    id: str
    dims: list[str]  # which of the section's selects form this slot's figure key
    wide: bool = False
    empty: str = "no attack for this combination"  # said where the selection has no figure


@dataclass
class Section:
    id: str
    title: str
    intro: str
    selects: list[Select] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # plain lines under the charts


def key(*parts) -> str:
    return KEY_SEP.join(str(p) for p in parts)


def _load_value(attack: AttackRow) -> str:
    load = compute.load_of(attack)
    return "" if load is None else f"{load:g}"


class Builder:
    """Collects figures by slot and key while the sections are laid out."""

    def __init__(self, report, focus: dict[str, str] | None = None):
        self.report = report
        # The cell the selectors open on (problems.cell_of): where something went wrong.
        self.focus = focus or {}
        self.figures: dict[str, dict[str, dict]] = defaultdict(dict)
        self.shared: dict[str, list[str]] = {}  # tables the figures refer to (figures.run_refs)
        self.runs = report.runs
        self.names = compute.run_names(report.runs)
        self.base = report.baseline
        self.base_name = self.names.get(self.base) if self.base else None
        self.attacks = report.attacks
        # The runs the selectors choose between: every run but the baseline, drawn under them.
        self.candidates = [r.run_id for r in self.runs if r.run_id != self.base
                           and any(a.run_id == r.run_id for a in self.attacks)]
        shown = set(self.candidates)
        self.shown = [a for a in self.attacks if a.run_id in shown]
        self.endpoints = compute.endpoints_in_order(self.attacks)
        self.workers = sorted({a.workers for a in self.attacks if a.workers is not None})
        self.ep_colours = {ep: hf.colour(i) for i, ep in enumerate(self.endpoints)}
        self.w_colours = {compute.workers_text(w): hf.colour(i) for i, w in enumerate(self.workers)}
        self.run_mode = {r: next((a.mode for a in self.attacks if a.run_id == r), "rate")
                         for r in self.candidates}

    def base_attacks(self, endpoint: str, workers: int | None) -> list[AttackRow]:
        """The baseline run's attacks of one endpoint and worker count."""
        if not self.base:
            return []
        return [a for a in self.attacks if a.run_id == self.base
                and a.endpoint == endpoint and a.workers == workers]

    # selects -----------------------------------------------------------------------------
    def _select(self, dim: str, label: str, opts: list[tuple[str, str]], default: str) -> Select:
        want = self.focus.get(dim)
        return Select(dim, label, opts, want if any(v == want for v, _ in opts) else default)

    def run_select(self) -> Select:
        label = "Run" if not self.base else f"Run (against the baseline {self.base_name})"
        return self._select("run", label, [(r, self.names[r]) for r in self.candidates],
                            self.candidates[-1] if self.candidates else "")

    def workers_select(self) -> Select:
        opts = [(str(w), str(w)) for w in self.workers] or [("None", "-")]
        return self._select("workers", "Workers", opts, opts[-1][0])

    def endpoint_select(self) -> Select:
        return self._select("endpoint", "Endpoint", [(e, e) for e in self.endpoints],
                            self.endpoints[0] if self.endpoints else "")

    def load_select(self) -> Select:
        loads = sorted({compute.load_of(a) for a in self.shown if compute.load_of(a) is not None})
        opts = [(f"{v:g}", f"{v:g}") for v in loads]
        return self._select("load", "Load", opts, opts[-1][0] if opts else "")

    def overlay_note(self) -> str:
        if not self.base:
            return ""
        return (f" Dashed lines (and hatched bars): the baseline run {self.base_name}; solid: "
                "the selected run.")

    # sections ----------------------------------------------------------------------------
    def sustainable(self) -> Section | None:
        rows = compute.max_sustainable_rates(self.attacks, self.report.statuses)
        if not rows:
            return None
        sec = Section("sustainable", "Maximum sustainable rate",
                      "Per endpoint and worker count, the highest tested rate with success ≥ 99% "
                      "and achieved ≥ 99% of what keeping up gives (one p50 of wait allowed). "
                      "“≥” means every tested rate was sustained; “<” that none was; “no success” "
                      "that every request was refused (see Errors); ⚠ that the "
                      "load generator fell short at the deciding rate." + self.overlay_note(),
                      [self.run_select()])
        sec.slots = [Slot("sustainable", ["run"], wide=True)]
        order = {e: i for i, e in enumerate(self.endpoints)}
        base_rows = [r for r in rows if r["run_id"] == self.base] or None
        for run in self.candidates:
            mine = sorted((r for r in rows if r["run_id"] == run),
                          key=lambda r: (order[r["endpoint"]], r["workers"] or 0))
            if not mine:
                continue
            endpoints = [e for e in self.endpoints if any(r["endpoint"] == e for r in mine)]
            self.figures["sustainable"][key(run)] = hf.sustainable_figure(
                mine, endpoints, self.w_colours, f"Maximum sustainable rate · run {self.names[run]}",
                [r for r in base_rows or [] if r["endpoint"] in endpoints] or None, self.base_name)
        return sec

    def capacity(self) -> Section | None:
        rows = scaling.capacity_results(self.report.capacity, self.attacks)
        if not rows:
            return None
        sec = Section("capacity", "Sustainable RPS by worker count (capacity search)",
                      "Per endpoint and worker count, the highest constant rate meeting the SLO, "
                      "found by an exponential probe then bisection, every attack stored. “≥”: "
                      "the SLO was met at every rate tried (the capacity is higher); “<”: not even "
                      "at the lowest.", [self.run_select()])
        sec.slots = [Slot("capacity", ["run"], wide=True)]
        order = {e: i for i, e in enumerate(self.endpoints)}
        for run in self.candidates:
            mine = sorted((r for r in rows if r["run_id"] == run),
                          key=lambda r: (order.get(r["endpoint"], len(order)), r["workers"] or 0))
            if not mine:
                continue
            endpoints = list(dict.fromkeys(r["endpoint"] for r in mine))
            shaped = [{**r, "all_sustained": r["lower_bound"], "untrusted": False} for r in mine]
            slos = ", ".join(dict.fromkeys(r["slo"] for r in mine))
            self.figures["capacity"][key(run)] = hf.sustainable_figure(
                shaped, endpoints, self.w_colours,
                f"Sustainable RPS under {slos} · run {self.names[run]}",
                what="capacity under the SLO")
            sec.notes += [f"{r['endpoint']}, {compute.workers_text(r['workers'])}"
                          + (f" (run {self.names[run]})" if len(self.candidates) > 1 else "")
                          + f": {r['note']}" for r in mine if r.get("note")]
        return sec

    def scaling(self) -> Section | None:
        rows = scaling.report_scaling(self.report)
        if not rows:
            return None
        sources = {r["source"] for r in rows}
        basis = ("the capacity found under the SLO" if sources == {"capacity"} else
                 "the highest rate sustained" if sources == {"sustained"} else
                 "the capacity found under the SLO where searched, else the highest rate sustained")
        sec = Section("scaling", "Worker scaling",
                      f"Throughput by worker count ({basis}) and scaling efficiency RPS(n) / "
                      "(n × RPS(1)): 100% is linear. Hollow markers: a lower bound (every rate "
                      "tested was met).", [self.run_select()])
        sec.slots = [Slot("scaling", ["run"], wide=True)]
        for run in self.candidates:
            mine = [r for r in rows if r["run_id"] == run]
            if not mine:
                continue
            self.figures["scaling"][key(run)] = hf.scaling_figure(
                mine, self.ep_colours, f"Worker scaling · run {self.names[run]}")
            sec.notes += [f"{r['endpoint']}"
                          + (f" (run {self.names[run]})" if len(self.candidates) > 1 else "")
                          + f": {r['recommendation']}" for r in mine]
        return sec

    def by_endpoint(self) -> Section:
        sec = Section("load-endpoints", "By offered load: endpoints compared",
                      "One line per endpoint, for one worker count. Hollow markers: the load "
                      "generator fell short (sent < 99% of the target, or vegeta was CPU-bound)."
                      + self.overlay_note(),
                      [self.run_select(), self.workers_select()])
        for slot in hf.LOAD_CHARTS:
            sec.slots.append(Slot(f"le-{slot}", ["run", "workers"], wide=slot == "latency"))
        sec.slots.sort(key=lambda s: not s.wide)  # the wide latency panels first, then a grid
        for run in self.candidates:
            for w in self.workers or [None]:
                cell = [a for a in self.shown if a.run_id == run and a.workers == w]
                if not cell:
                    continue
                lines = [(ep, [a for a in cell if a.endpoint == ep]) for ep in self.endpoints]
                lines = [(ep, pts) for ep, pts in lines if pts]
                base = [(ep, self.base_attacks(endpoint=ep, workers=w)) for ep, _ in lines]
                base = [(ep, pts) for ep, pts in base if pts]
                suffix = f" · {compute.workers_text(w)} · run {self.names[run]}"
                for slot in hf.LOAD_CHARTS:
                    self.figures[f"le-{slot}"][key(run, w)] = hf.load_figure(
                        slot, lines, self.run_mode[run], suffix, self.ep_colours, base,
                        self.base_name)
        return sec

    def by_workers(self) -> Section | None:
        if len(self.workers) < 2:  # one line per worker count: nothing to compare
            return None
        sec = Section("load-workers", "By offered load: worker counts compared",
                      "One line per worker count, for one endpoint." + self.overlay_note(),
                      [self.run_select(), self.endpoint_select()])
        for slot in hf.LOAD_CHARTS:
            sec.slots.append(Slot(f"lw-{slot}", ["run", "endpoint"], wide=slot == "latency"))
        sec.slots.sort(key=lambda s: not s.wide)
        for run in self.candidates:
            for ep in self.endpoints:
                cell = [a for a in self.shown if a.run_id == run and a.endpoint == ep]
                if not cell:
                    continue
                lines = [(compute.workers_text(w), [a for a in cell if a.workers == w]) for w in self.workers]
                lines = [(name, pts) for name, pts in lines if pts]
                base = [(compute.workers_text(w), self.base_attacks(endpoint=ep, workers=w))
                        for w in self.workers]
                base = [(name, pts) for name, pts in base if pts]
                for slot in hf.LOAD_CHARTS:
                    self.figures[f"lw-{slot}"][key(run, ep)] = hf.load_figure(
                        slot, lines, self.run_mode[run], f" · {ep} · run {self.names[run]}",
                        self.w_colours, base, self.base_name)
        return sec

    def within_attack(self) -> Section:
        rep = self.report
        if rep.over_time is None:
            raise PerfError("internal: the dashboard needs build_report(..., with_series=True)")
        sec = Section("attack", "Within an attack",
                      "Latency of every request over the attack (downsampled with LTTB; errors "
                      "in red), and the exact latency percentile spectrum of each load of the "
                      "selected endpoint and worker count." + self.overlay_note(),
                      [self.run_select(), self.endpoint_select(), self.workers_select(),
                       self.load_select()])
        sec.slots = [Slot("overtime", ["run", "endpoint", "workers", "load"], wide=True),
                     Slot("spectrum", ["run", "endpoint", "workers"], wide=True)]
        groups: dict[tuple, list[AttackRow]] = defaultdict(list)
        for a in self.shown:
            series = rep.over_time.get(a.attack_id)
            if series is not None and series.requests:  # none: kept without its raw rows
                self.figures["overtime"][key(a.run_id, a.endpoint, a.workers,
                                             _load_value(a))] = hf.over_time_figure(
                    a, series, self.names[a.run_id])
            groups[(a.run_id, a.endpoint, a.workers)].append(a)

        def by_load(attacks: list[AttackRow]) -> list[tuple[str, object]]:
            attacks = sorted((a for a in attacks if a.attack_id in rep.spectra),
                             key=lambda a: (compute.load_of(a) is None, compute.load_of(a) or 0))
            return [(compute.load_text(a), rep.spectra[a.attack_id]) for a in attacks]

        for (run, ep, w), attacks in groups.items():
            lines = by_load(attacks)
            if not lines:
                continue
            self.figures["spectrum"][key(run, ep, w)] = hf.spectrum_figure(
                f"Latency spectrum · {ep} · {compute.workers_text(w)} · run {self.names[run]}", lines,
                by_load(self.base_attacks(endpoint=ep, workers=w)), self.base_name)
        return sec

    def errors(self) -> Section:
        sec = Section("errors", "Errors",
                      "Share of failed requests (status outside 200-399, or no response) by "
                      "endpoint and load, then every status code of one endpoint.",
                      [self.run_select(), self.workers_select(), self.endpoint_select()])
        sec.slots = [Slot("err-heat", ["run", "workers"], wide=True,
                          empty="no request failed at this worker count"),
                     Slot("err-codes", ["run", "endpoint", "workers"], wide=True)]
        rep = self.report
        for run in self.candidates:
            for w in self.workers or [None]:
                cell = [a for a in self.shown if a.run_id == run and a.workers == w]
                if cell:
                    self.figures["err-heat"][key(run, w)] = hf.error_heatmap(
                        cell, rep.statuses, rep.errors,
                        f"Failed requests · {compute.workers_text(w)} · run {self.names[run]}")
                for ep in self.endpoints:
                    one = [a for a in cell if a.endpoint == ep]
                    if one:
                        self.figures["err-codes"][key(run, ep, w)] = hf.status_bars(
                            one, rep.statuses,
                            f"Status codes · {ep} · {compute.workers_text(w)} · run {self.names[run]}")
        return sec

    def history(self) -> Section | None:
        rows = self.report.history
        runs_seen = {r.run_id for r in rows}
        if len(runs_seen) < 2:
            return None
        sec = Section("history", "History",
                      "The same cells (endpoint, server, workers, load) in every run of the "
                      "store, oldest first, named by label (else short id); run id and commit "
                      "are in the hover; a ring and a dotted line mark a detected change point.",
                      [self.endpoint_select(), self.workers_select()])
        sec.slots = [Slot(f"hist-{m}", ["endpoint", "workers"]) for m in hf.HISTORY_METRICS]
        order: dict[str, RunRow] = {}
        for row in sorted(rows, key=lambda r: (r.started_at, r.run_id)):
            order.setdefault(row.run_id, RunRow(row.run_id, label=row.label,
                                                name=row.run_name or None))
        runs = list(order.values())
        names = compute.run_names(runs)
        self.shared.update(hf.history_shared(rows, runs, names))
        cells: dict[tuple, list[HistoryRow]] = defaultdict(list)
        for row in rows:
            cells[(row.endpoint, row.workers)].append(row)
        for (ep, w), cell in cells.items():
            for metric in hf.HISTORY_METRICS:
                self.figures[f"hist-{metric}"][key(ep, w)] = hf.history_figure(
                    metric, cell, runs, names, f" · {ep} · {compute.workers_text(w)}",
                    self.report.change_points)
        return sec

    def prune(self, sections: list[Section]) -> list[Section]:
        """Drop the figures that draw nothing (an efficiency chart without a point, a failure
        map of zeros), then the charts and sections left with no figure at all."""
        for slot, figures in list(self.figures.items()):
            for k in [k for k, fig in figures.items() if not hf.has_data(fig)]:
                del figures[k]
            if not figures:
                del self.figures[slot]
        kept = []
        for sec in sections:
            sec.slots = [slot for slot in sec.slots if self.figures.get(slot.id)]
            if sec.slots:
                kept.append(sec)
        return kept


def _sort_value(value) -> str:
    # Six significant digits sort exactly as well as seventeen and keep the table small.
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return format(value, ".6g") if isinstance(value, (int, float)) else str(value)


def _table_header(name: str) -> dict:
    m = METRICS[name]
    unit = "" if m.unit in ("ratio", "requests", "%") or len(m.unit) > 12 else m.unit
    return {"label": m.label, "unit": unit, "extra": name not in DASHBOARD_COLUMNS,
            "title": m.unit if len(m.unit) > 12 else ""}


def attack_table(report) -> dict:
    """Every attack with every metric: text for the cell, value for sorting (None: the text).
    Columns outside DASHBOARD_COLUMNS are marked `extra` (hidden until asked for)."""
    names = compute.run_names(report.runs)
    multi = len(report.runs) > 1
    servers = len({a.server for a in report.attacks}) > 1
    head = ([{"label": "Run", "unit": "", "extra": False, "title": ""}] if multi else [])
    head += [{"label": "Endpoint", "unit": "", "extra": False, "title": ""}]
    head += [{"label": "Server", "unit": "", "extra": not servers, "title": ""}]
    head += [{"label": "Workers", "unit": "", "extra": False, "title": ""},
             {"label": "Load", "unit": "", "extra": False, "title": ""}]
    head += [_table_header(name) for name in METRICS]
    rows = []
    for a in report.attacks:
        flagged = compute.untrusted(a)
        endpoint = a.endpoint + (" ⚠" if flagged else "")
        cells = ([(names[a.run_id], None)] if multi else []) + [
            (endpoint, None), (a.server or "-", None),
            (a.workers if a.workers is not None else "-", _sort_value(a.workers)),
            (compute.load_text(a), _sort_value(compute.load_of(a))),
        ]
        cells += [(format_value(name, a.metric(name)), _sort_value(a.metric(name)))
                  for name in METRICS]
        failing = compute.failure_kind(a.metric("success_ratio")) == "failed"
        rows.append({"cells": [{"text": t, "v": v} for t, v in cells], "flagged": flagged,
                     "failing": failing,
                     "note": ("generator check failed: " + (a.generator_note or "no reason recorded"))
                     if flagged else ""})
    return {"head": head, "rows": rows}


def error_table(report) -> list[dict]:
    names = compute.run_names(report.runs)
    by_id = {a.attack_id: a for a in report.attacks}
    out = []
    for attack_id, kinds in report.errors.items():
        a = by_id.get(attack_id)
        if a is None:
            continue
        requests = a.metric("requests")
        for kind, n in kinds.items():
            share = n / requests if requests else None
            out.append({"run": names[a.run_id], "endpoint": a.endpoint, "workers": a.workers,
                        "load": compute.load_text(a), "load_v": _sort_value(compute.load_of(a)),
                        "kind": kind, "n": n, "share": "" if share is None else share})
    return out


def why_table(report) -> list[dict]:
    names = compute.run_names(report.runs)
    return [{**row, "run": names[row["run_id"]]} for row in failure_rows(report)]


def warnings(report) -> list[str]:
    names = compute.run_names(report.runs)
    out = []
    for a in report.attacks:
        if compute.untrusted(a):
            out.append(f"{a.endpoint} at {compute.load_text(a)}, {compute.workers_text(a.workers)}, run "
                       f"{names[a.run_id]}: {a.generator_note or 'not trustworthy'}")
    return out + redirect_warnings(report, names)


def verdict_table(rows: list[dict], headline: str | None = None) -> dict | None:
    """perf compare's verdict rows as a plain table: the columns of every row, in the order
    they first appear; nested values written as JSON."""
    if not rows:
        return None
    columns: dict[str, None] = {}
    for row in rows:
        for k in row:
            columns.setdefault(str(k), None)

    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, (list, dict)):
            return json.dumps(value, default=str)
        return str(value)

    head = list(columns)
    return {"head": head, "rows": [[cell(row.get(c)) for c in columns] for row in rows],
            "verdict_col": head.index("verdict") if "verdict" in head else None,
            "headline": headline}


def _config_items(config) -> list[tuple[str, str]]:
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return [("config", config)]
    if not isinstance(config, dict):
        return []
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in config.items()]


def _run_line(report, names: dict[str, str]) -> str:
    """One line under the title: the run (or the runs) the page shows; the full table is at
    the end of the page."""
    runs = [r for r in report.runs if any(a.run_id == r.run_id for a in report.attacks)]
    if report.verdict_headline:
        return report.verdict_headline
    if len(runs) != 1:
        return f"{len(runs)} runs: " + ", ".join(names[r.run_id] for r in runs[-6:]) + (
            f" and {len(runs) - 6} earlier" if len(runs) > 6 else "")
    r = runs[0]
    facts = [f"run {r.run_id}" + (f" ({r.label})" if r.label else "")]
    if r.started_at:
        facts.append(r.started_at.strftime("%Y-%m-%d %H:%M UTC"))
    facts.append(r.status)
    if r.git_commit:
        facts.append(f"commit {r.git_commit[:10]}" + (" (dirty)" if r.git_dirty else ""))
    if r.target:
        facts.append(r.target)
    facts.append(f"{sum(1 for a in report.attacks if a.run_id == r.run_id)} attacks")
    return " · ".join(facts)


def summary(report, names: dict[str, str], problems: list[found.Problem],
            generator: list[str], servers: list[str]) -> dict:
    """The page's first lines: what went wrong, worst first (regressions, endpoints that failed
    every request, cells that partly failed or were not sustained), then links to the warnings;
    or, when nothing did, that every attack held."""
    counts: dict[str, int] = defaultdict(int)
    for p in problems:
        counts[p.kind] += 1
    words = {"regression": ("regression", "regressions"),
             found.FAILED: ("endpoint failed every request", "endpoints failed every request"),
             found.PARTLY_FAILED: ("cell partly failed", "cells partly failed"),
             found.UNSUSTAINED: ("cell not sustained", "cells not sustained")}
    parts = [f"{n} {words[k][n != 1]}" for k, n in counts.items()]
    others = ([(plural(len(servers), "server warning"), "#server-warnings")] if servers else []) + (
        [(plural(len(generator), "warning") + " about the load or redirects", "#generator-warnings")]
        if generator else [])
    shown = [a for a in report.attacks if a.run_id != report.baseline and a.role != "background"]
    if parts:
        headline = "⚠ " + " · ".join(parts)
    else:
        headline = (f"✓ All {len(shown)} attacks: every request succeeded (≥ 99%) and the server "
                    "kept up with every offered load" + ("; no regression" if report.verdicts else ""))
    return {"ok": not parts, "headline": headline,
            "lines": [{"kind": p.kind.replace(" ", "-"), "text": p.text, "section": p.section,
                       "cell": p.cell} for p in problems[:found.SHOWN]],
            "more": max(0, len(problems) - found.SHOWN), "others": others}


def render_html(report, plotlyjs: str = "embed", *, site_links: tuple = ()) -> str:
    """The dashboard of one report as a complete HTML document. `plotlyjs`: "embed", "cdn",
    or a relative URL ending in .js (a page of a published site, which ships plotly.js once);
    `site_links`: (text, href) pairs above the page's own navigation."""
    plotly_src = plotlyjs if plotlyjs.endswith(".js") else None
    if plotlyjs not in ("embed", "cdn") and plotly_src is None:
        raise PerfError(f"--plotlyjs must be embed or cdn, not {plotlyjs!r}")
    if not report.attacks:
        raise PerfError("nothing to draw: the selection holds no attacks")
    names = compute.run_names(report.runs)
    shown_runs = [r.run_id for r in report.runs if r.run_id != report.baseline]
    problems = (found.regressions(report.verdicts)
                + found.attack_problems(report, names, shown_runs))
    b = Builder(report, next((p.cell for p in problems if p.cell), None))
    # Charts that explain a failure or a limit first, the rest after; the history apart.
    hist = b.history()
    kept = b.prune([s for s in [b.by_endpoint(), b.errors(), b.sustainable(), b.capacity(),
                                b.scaling(), b.by_workers(), b.within_attack(), hist]
                    if s is not None])
    sections = [s for s in kept if s is not hist]
    hist = hist if hist in kept else None
    env = environment(html=True)
    # The two big tables are rendered (autoescaped) like the rest of the page, then packed with
    # the figures: as plain HTML they would weigh more than all the charts' data.
    table = attack_table(report)
    tables = {
        "attacks": env.get_template("attacks_table.html.j2").render(table=table),
        "errors": env.get_template("error_kinds.html.j2").render(
            error_rows=error_table(report), why_rows=why_table(report)),
    }
    data = {
        "template": {"layout": plotly.io.templates["plotly_white"].layout.to_plotly_json()},
        "figures": b.figures,
        "shared": b.shared,
        "keySep": KEY_SEP,
        "tables": tables,
    }
    packed = pack(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))
    slots = sum(len(s.slots) for s in sections + ([hist] if hist else []))
    generator = warnings(report)
    servers = server_checks.warnings(report.checks, names, len(report.runs) > 1, report.attacks)
    kind = "perf compare" if report.verdicts else "perf report"
    return env.get_template("dashboard.html.j2").render(
        title=f"{kind} · " + (report.verdict_headline or ", ".join(names[r.run_id] for r in report.runs[-3:])),
        heading=kind,
        run_line=_run_line(report, names),
        summary=summary(report, names, problems, generator, servers),
        runs=[{**r.as_dict(), "name": names[r.run_id], "is_base": r.run_id == report.baseline,
               "config_items": _config_items(r.config)} for r in report.runs],
        warnings=generator,
        server_warnings=servers,
        any_failure=any(row["failing"] for row in table["rows"]),
        verdicts=verdict_table(report.verdicts, report.verdict_headline),
        sections=sections,
        history=hist,
        history_runs=len({r.run_id for r in report.history}),
        data=packed,
        plotly=packed_plotlyjs() if plotlyjs == "embed" else None,
        plotly_cdn=cdn_url() if plotlyjs == "cdn" else None,
        plotly_src=plotly_src,
        site_links=site_links,
        plotly_integrity=current_bundle().integrity,
        plotly_version=plotlyjs_version(),
        plotly_bundle=current_bundle().describe() if plotlyjs == "embed" else
        f"plotly.js {plotlyjs_version()} from its CDN" if plotlyjs == "cdn" else
        f"plotly.js {plotlyjs_version()} shipped once for the site ({plotly_src})",
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        perf_version=__version__,
        n_slots=slots,
        n_figures=sum(len(v) for v in b.figures.values()),
        sweep_keys=SWEEP_KEYS,
    )
