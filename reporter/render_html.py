"""`perf report --output report.html`: the interactive dashboard, one self-contained file.

Query the within-attack series (reporter.series), build every figure as a Plotly dict
(reporter.html_figures), pack them with plotly.js (reporter.plotly_bundle) and fill the Jinja
template (templates/dashboard.html.j2, autoescaped). Selectors in the page switch between
figures that are all pre-built here, so nothing is computed or fetched when the page is opened.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import orjson
import plotly.io

from perf import __version__
from perf.errors import PerfError
from reporter import html_figures as hf
from reporter.metrics import METRICS, format_value
from reporter.plotly_bundle import cdn_url, pack, packed_plotlyjs, plotlyjs_version
from reporter.series import MAX_POINTS, over_time, spectra
from reporter.templating import environment

KEY_SEP = "\x1f"  # joins select values into a figure key; cannot occur in a label

# Latency-over-time points across all attacks of a report. Each attack gets an equal share,
# capped at MAX_POINTS per series, so a sweep of a hundred attacks still fits the ~2 MB goal.
OVER_TIME_BUDGET = 20_000
MIN_POINTS_PER_SERIES = 200


# The settings shown in the header's one-line sweep summary (all of them are one click away).
SWEEP_KEYS = ("server", "workers", "rates", "concurrency", "duration_s", "timeout_s", "warmup_s",
              "filters", "endpoints", "url", "timeout", "duration")


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


@dataclass
class Section:
    id: str
    title: str
    intro: str
    selects: list[Select] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


def key(*parts) -> str:
    return KEY_SEP.join(str(p) for p in parts)


def _load_value(attack: dict) -> str:
    load = hf.load_of(attack)
    return "" if load is None else f"{load:g}"


def _run_name(run: dict) -> str:
    return run["run_id"] + (f" ({run['label']})" if run.get("label") else "")


def per_series_points(n_attacks: int) -> int:
    if n_attacks <= 0:
        return MAX_POINTS
    return max(MIN_POINTS_PER_SERIES, min(MAX_POINTS, OVER_TIME_BUDGET // n_attacks))


class Builder:
    """Collects figures by slot and key while the sections are laid out."""

    def __init__(self, report, con: duckdb.DuckDBPyConnection):
        self.report = report
        self.con = con
        self.figures: dict[str, dict[str, dict]] = defaultdict(dict)
        self.runs = report.runs
        self.attacks = report.attacks
        self.endpoints = sorted({a["endpoint"] for a in self.attacks})
        self.workers = sorted({a["workers"] for a in self.attacks if a["workers"] is not None})
        self.ep_colours = {ep: hf.colour(i) for i, ep in enumerate(self.endpoints)}
        self.w_colours = {f"{w} worker" + ("s" if w != 1 else ""): hf.colour(i)
                          for i, w in enumerate(self.workers)}
        self.run_ids = [r["run_id"] for r in self.runs]
        self.run_mode = {r: next((a["mode"] for a in self.attacks if a["run_id"] == r), "rate")
                         for r in self.run_ids}

    # selects -----------------------------------------------------------------------------
    def run_select(self) -> Select:
        runs = [r for r in self.runs if any(a["run_id"] == r["run_id"] for a in self.attacks)]
        return Select("run", "Run", [(r["run_id"], _run_name(r)) for r in runs],
                      runs[-1]["run_id"] if runs else "")

    def workers_select(self) -> Select:
        opts = [(str(w), str(w)) for w in self.workers] or [("None", "-")]
        return Select("workers", "Workers", opts, opts[-1][0])

    def endpoint_select(self) -> Select:
        return Select("endpoint", "Endpoint", [(e, e) for e in self.endpoints],
                      self.endpoints[0] if self.endpoints else "")

    def load_select(self) -> Select:
        loads = sorted({hf.load_of(a) for a in self.attacks if hf.load_of(a) is not None})
        opts = [(f"{v:g}", f"{v:g}") for v in loads]
        return Select("load", "Load", opts, opts[-1][0] if opts else "")

    # sections ----------------------------------------------------------------------------
    def by_endpoint(self) -> Section:
        sec = Section("load-endpoints", "By offered load: endpoints compared",
                      "One line per endpoint, for one worker count. Hollow markers: the load "
                      "generator fell short (sent < 99% of the target, or vegeta was CPU-bound).",
                      [self.run_select(), self.workers_select()])
        for slot in hf.LOAD_CHARTS:
            sec.slots.append(Slot(f"le-{slot}", ["run", "workers"], wide=slot == "latency"))
        sec.slots.sort(key=lambda s: not s.wide)  # the wide latency panels first, then a grid
        for run in self.run_ids:
            for w in self.workers or [None]:
                cell = [a for a in self.attacks if a["run_id"] == run and a["workers"] == w]
                if not cell:
                    continue
                lines = [(ep, [a for a in cell if a["endpoint"] == ep]) for ep in self.endpoints]
                lines = [(ep, pts) for ep, pts in lines if pts]
                suffix = f" · {w} worker(s)"
                for slot in hf.LOAD_CHARTS:
                    self.figures[f"le-{slot}"][key(run, w)] = hf.load_figure(
                        slot, lines, self.run_mode[run], suffix, self.ep_colours)
        return sec

    def by_workers(self) -> Section:
        sec = Section("load-workers", "By offered load: worker counts compared",
                      "One line per worker count, for one endpoint.",
                      [self.run_select(), self.endpoint_select()])
        for slot in hf.LOAD_CHARTS:
            sec.slots.append(Slot(f"lw-{slot}", ["run", "endpoint"], wide=slot == "latency"))
        sec.slots.sort(key=lambda s: not s.wide)
        for run in self.run_ids:
            for ep in self.endpoints:
                cell = [a for a in self.attacks if a["run_id"] == run and a["endpoint"] == ep]
                if not cell:
                    continue
                lines = [(f"{w} worker" + ("s" if w != 1 else ""),
                          [a for a in cell if a["workers"] == w]) for w in self.workers]
                lines = [(name, pts) for name, pts in lines if pts]
                for slot in hf.LOAD_CHARTS:
                    self.figures[f"lw-{slot}"][key(run, ep)] = hf.load_figure(
                        slot, lines, self.run_mode[run], f" · {hf.txt(ep)}", self.w_colours)
        return sec

    def within_attack(self) -> Section:
        sec = Section("attack", "Within an attack",
                      "Latency of every request over the attack (downsampled with LTTB; errors "
                      "in red), and the exact latency percentile spectrum of each load of the "
                      "selected endpoint and worker count.",
                      [self.run_select(), self.endpoint_select(), self.workers_select(),
                       self.load_select()])
        sec.slots = [Slot("overtime", ["run", "endpoint", "workers", "load"], wide=True),
                     Slot("spectrum", ["run", "endpoint", "workers"], wide=True)]
        ids = [a["attack_id"] for a in self.attacks]
        points = per_series_points(len(ids))
        spec = spectra(self.con, ids)
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for a in self.attacks:
            series = over_time(self.con, a["attack_id"], points)
            self.figures["overtime"][key(a["run_id"], a["endpoint"], a["workers"],
                                         _load_value(a))] = hf.over_time_figure(a, series)
            groups[(a["run_id"], a["endpoint"], a["workers"])].append(a)
        for (run, ep, w), attacks in groups.items():
            attacks = sorted((a for a in attacks if a["attack_id"] in spec),
                             key=lambda a: (hf.load_of(a) is None, hf.load_of(a) or 0))
            lines = [(hf.load_text(a), spec[a["attack_id"]]) for a in attacks]
            self.figures["spectrum"][key(run, ep, w)] = hf.spectrum_figure(
                f"Latency spectrum · {hf.txt(ep)} · {w} worker(s)", lines,
                [hf.colour(i) for i in range(len(lines))])
        return sec

    def errors(self) -> Section:
        sec = Section("errors", "Errors",
                      "Share of failed requests (status outside 200-399, or no response) by "
                      "endpoint and load, then every status code of one endpoint.",
                      [self.run_select(), self.workers_select(), self.endpoint_select()])
        sec.slots = [Slot("err-heat", ["run", "workers"], wide=True),
                     Slot("err-codes", ["run", "endpoint", "workers"], wide=True)]
        rep = self.report
        for run in self.run_ids:
            for w in self.workers or [None]:
                cell = [a for a in self.attacks if a["run_id"] == run and a["workers"] == w]
                if cell:
                    self.figures["err-heat"][key(run, w)] = hf.error_heatmap(
                        cell, rep.statuses, rep.errors, f"Failed requests · {w} worker(s)")
                for ep in self.endpoints:
                    one = [a for a in cell if a["endpoint"] == ep]
                    if one:
                        self.figures["err-codes"][key(run, ep, w)] = hf.status_bars(
                            one, rep.statuses, f"Status codes · {hf.txt(ep)} · {w} worker(s)")
        return sec

    def history(self) -> Section | None:
        rows = self.report.history
        runs_seen = {r["run_id"] for r in rows}
        if len(runs_seen) < 2:
            return None
        sec = Section("history", "History",
                      "The same cells (endpoint, server, workers, load) in every run of the "
                      "store, oldest first; the commit is in the hover.",
                      [self.endpoint_select(), self.workers_select()])
        sec.slots = [Slot(f"hist-{m}", ["endpoint", "workers"]) for m in hf.HISTORY_METRICS]
        order = {}
        for row in sorted(rows, key=lambda r: (r["started_at"], r["run_id"])):
            order.setdefault(row["run_id"], {"run_id": row["run_id"]})
        runs = list(order.values())
        cells: dict[tuple, list[dict]] = defaultdict(list)
        for row in rows:
            cells[(row["endpoint"], row["workers"])].append(row)
        for (ep, w), cell in cells.items():
            for metric in hf.HISTORY_METRICS:
                self.figures[f"hist-{metric}"][key(ep, w)] = hf.history_figure(
                    metric, cell, runs, f" · {hf.txt(ep)} · {w} worker(s)")
        return sec


def _sort_value(value) -> str:
    # Six significant digits sort exactly as well as seventeen and keep the table small.
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return format(value, ".6g") if isinstance(value, (int, float)) else str(value)


def attack_table(report) -> dict:
    """Every attack with every metric: text for the cell, value for sorting (None: the text)."""
    multi = len(report.runs) > 1
    head = (["Run"] if multi else []) + ["Endpoint", "Server", "Workers", "Load", "Generator"]
    head += [f"{m.label} ({m.unit})" if m.unit not in ("ratio", "requests") else m.label
             for m in METRICS.values()]
    rows = []
    for a in report.attacks:
        flagged = a.get("generator_ok") is False
        cells = ([(a["run_id"], None)] if multi else []) + [
            (a["endpoint"], None), (a.get("server") or "-", None),
            (a["workers"] if a["workers"] is not None else "-", _sort_value(a["workers"])),
            (hf.load_text(a), _sort_value(hf.load_of(a))),
            ("⚠ " + (a.get("generator_note") or "not trustworthy") if flagged else "ok", None),
        ]
        cells += [(format_value(name, a.get(name)), _sort_value(a.get(name))) for name in METRICS]
        rows.append({"cells": [{"text": t, "v": v} for t, v in cells], "flagged": flagged})
    return {"head": head, "rows": rows}


def error_table(report) -> list[dict]:
    by_id = {a["attack_id"]: a for a in report.attacks}
    out = []
    for attack_id, kinds in report.errors.items():
        a = by_id.get(attack_id)
        if a is None:
            continue
        for kind, n in kinds.items():
            share = n / a["requests"] if a.get("requests") else None
            out.append({"run": a["run_id"], "endpoint": a["endpoint"], "workers": a["workers"],
                        "load": hf.load_text(a), "load_v": _sort_value(hf.load_of(a)),
                        "kind": kind, "n": n, "share": "" if share is None else share})
    return out


def warnings(report) -> list[str]:
    out = []
    for a in report.attacks:
        if a.get("generator_ok") is False:
            out.append(f"{a['endpoint']} at {hf.load_text(a)}, {a['workers']} worker(s), run "
                       f"{a['run_id']}: {a.get('generator_note') or 'not trustworthy'}")
    return out


def _config_items(config) -> list[tuple[str, str]]:
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return [("config", config)]
    if not isinstance(config, dict):
        return []
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in config.items()]


def render_html(report, con: duckdb.DuckDBPyConnection, plotlyjs: str = "embed") -> str:
    """The dashboard of one report as a complete HTML document."""
    if plotlyjs not in ("embed", "cdn"):
        raise PerfError(f"--plotlyjs must be embed or cdn, not {plotlyjs!r}")
    if not report.attacks:
        raise PerfError("nothing to draw: the selection holds no attacks")
    b = Builder(report, con)
    sections = [b.by_endpoint(), b.by_workers(), b.within_attack(), b.errors()]
    hist = b.history()
    env = environment(html=True)
    # The two big tables are rendered (autoescaped) like the rest of the page, then packed with
    # the figures: as plain HTML they would weigh more than all the charts' data.
    tables = {
        "attacks": env.get_template("attacks_table.html.j2").render(table=attack_table(report)),
        "errors": env.get_template("error_kinds.html.j2").render(error_rows=error_table(report)),
    }
    data = {
        "template": {"layout": plotly.io.templates["plotly_white"].layout.to_plotly_json()},
        "figures": b.figures,
        "keySep": KEY_SEP,
        "tables": tables,
    }
    packed = pack(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))
    return env.get_template("dashboard.html.j2").render(
        title="perf report · " + ", ".join(_run_name(r) for r in report.runs[-3:]),
        runs=[{**r, "config_items": _config_items(r.get("config"))} for r in report.runs],
        warnings=warnings(report),
        sections=sections,
        history=hist,
        history_runs=len({r["run_id"] for r in report.history}),
        data=packed,
        plotly=packed_plotlyjs() if plotlyjs == "embed" else None,
        plotly_cdn=cdn_url() if plotlyjs == "cdn" else None,
        plotly_version=plotlyjs_version(),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        perf_version=__version__,
        n_figures=sum(len(v) for v in b.figures.values()),
        sweep_keys=SWEEP_KEYS,
    )
