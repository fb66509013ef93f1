"""Plotly figure specs (plain dicts, as plotly.js takes them) for the HTML dashboard.

Pure functions: attack summaries and series in, figures out. A figure is
`{"title": plain text, "data": traces, "layout": layout}`: the page writes the title above
the chart as text (full length, wrapping, clear of plotly's mode bar), so the layout has none.
Labels, units and number formats come from perf.store.metrics.METRICS; the Python format specs
there (".1f", ",d", ".2%") are also valid d3-format specs, which Plotly's hover templates use.

Plotly reads a few HTML-like tags in text (<b>, <br>, <a>), so every string from the store that
Plotly draws (trace names, hovers, axis labels) goes through `txt()`: Plotly decodes the entities
back and shows the characters as typed. Titles are set as text by the page, never as markup.

Axes: rates, percentages, CPU and memory start at zero; latency is drawn on log axes whose range
spans at least one decade, so that noise of a few microseconds never fills a chart.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict

from perf.store.stats import is_success
from perf.reporter.compute.tables import (endpoints_in_order, history_series_key, load_label, load_of,
                              load_text, untrusted, workers_text)
from perf.store.metrics import METRICS
from perf.reporter.compute import changepoints
from perf.reporter.rows import AttackRow, HistoryRow, OverTime, RunRow, Spectrum

# Series colours: Tableau's ten (told apart by most colour-blind readers, unlike plotly's
# default, whose blue and violet, red and pink look alike), then darker hues for more series.
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948",
           "#9c755f", "#ff9da7", "#79706e", "#1b3a5c", "#8c4a00", "#23572a", "#7b1f3a",
           "#4b2d63", "#22636b"]
OK_COLOUR = "#636efa"
ERROR_COLOUR = "#d62728"
BASE_DASH = "dash"  # how a --baseline run's lines are drawn under the candidate's
BASE_PATTERN = "/"  # and its bars
CHANGE_COLOUR = "#b45309"


def sig(values: list, digits: int = 5) -> list:
    """Values to `digits` significant digits: hovers show at most four, and shorter numbers
    keep the packed page small."""
    return [v if v is None else float(f"{v:.{digits}g}") for v in values]


def txt(value) -> str:
    return html.escape(str(value), quote=False)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def load_title(mode: str) -> str:
    return "offered rate (req/s)" if mode == "rate" else "concurrency (in-flight requests)"


def metric_hover(name: str, axis: str = "y") -> str:
    m = METRICS[name]
    unit = "" if m.unit in ("ratio", "%") else f" {m.unit}"
    pct = "%" if m.unit == "%" else ""
    return f"{txt(m.label)}: %{{{axis}:{m.fmt}}}{pct}{txt(unit)}"


def axis_title(name: str) -> str:
    m = METRICS[name]
    # Long units (CPU-s per 1000 successful requests) stay in the hover, not on the axis.
    if m.unit in ("ratio", "requests") or len(m.unit) > 12 or m.label.endswith(m.unit):
        return m.label
    return f"{m.label} ({m.unit})"


def log_range(values, decades: float = 1.0) -> list[float] | None:
    """A log axis range (log10 units) holding every positive value with a little margin and
    spanning at least `decades`, centred on the data when the data span less."""
    positive = [v for v in values if v is not None and v > 0]
    if not positive:
        return None
    lo, hi = math.log10(min(positive)), math.log10(max(positive))
    pad = 0.05 * max(hi - lo, 0.1)
    lo, hi = lo - pad, hi + pad
    if hi - lo < decades:
        mid = (hi + lo) / 2
        lo, hi = mid - decades / 2, mid + decades / 2
    return [round(lo, 4), round(hi, 4)]


def zero_axis(name: str | None = None, title: str = "") -> dict:
    """A linear axis from zero: rates, percentages, CPU, memory, counts."""
    axis = {"title": {"text": axis_title(name) if name else title}, "rangemode": "tozero"}
    if name and METRICS[name].unit == "ratio":
        axis.update(tickformat=".0%", range=[0, 1.05])
    return axis


def log_ticks(rng: list[float]) -> tuple[list[float], list[str]]:
    """Ticks for a log axis spanning `rng` (log10 units) that read as numbers: 1-2-5 steps
    (1-2-3-5 on a short axis, powers of ten on a long one), written in full. Plotly's own
    minor ticks on a log axis are bare digits: "2" for 200 ms."""
    lo, hi = rng
    span = hi - lo
    steps = (1, 2, 3, 5) if span <= 1.5 else (1, 2, 5) if span <= 3 else (1,)
    values = [m * 10.0 ** e for e in range(math.floor(lo), math.ceil(hi) + 1) for m in steps
              if lo <= math.log10(m * 10.0 ** e) <= hi]
    return values, [f"{v:,.0f}" if v >= 1 else f"{v:g}" for v in values]


def latency_axis(values, title: str = "latency (ms, log scale)") -> dict:
    axis = {"title": {"text": title}, "type": "log"}
    rng = log_range(values)
    if rng:
        axis["range"] = rng
        axis["tickvals"], axis["ticktext"] = log_ticks(rng)
    return axis


def figure(title: str, data: list[dict], layout: dict) -> dict:
    """A figure; one whose legend sits below the chart says how many entries it has and how
    wide the widest is, so the page can make room for as many legend rows as the chart's
    width needs (rather than let a long legend cover the axis)."""
    fig = {"title": title, "data": data, "layout": layout}
    names = [html.unescape(t["name"]) for t in data if t.get("name") and t.get("showlegend", True)]
    if len(names) > 1 and layout.get("showlegend", True) and layout.get("legend", {}).get("orientation") == "h":
        fig["legendBelow"] = {"items": len(names), "itemPx": round(7 * max(map(len, names)) + 50)}
    return fig


def has_data(fig: dict) -> bool:
    """Whether a figure draws anything: a point with a value, or a heatmap cell that is not 0
    (an all-zero failure map says only "nothing failed", which the summary says in words)."""
    for trace in fig["data"]:
        if trace.get("type") == "heatmap":
            if any(v for row in trace.get("z") or [] for v in row):
                return True
            continue
        values = trace.get("x" if trace.get("orientation") == "h" else "y")
        if isinstance(values, dict):  # cumsum-packed (cumsum_ms)
            values = values.get("cumsum")
        if values and any(v is not None for v in values):
            return True
    return False


def _flag(attack: AttackRow) -> str:
    if untrusted(attack):
        return f"<br>⚠ generator: {txt(attack.generator_note or 'not trustworthy')}"
    return ""


def _layout(x_title: str, y_title: str, **extra) -> dict:
    layout = {
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        # Room at the top for plotly's mode bar only: the title is above the chart, in HTML.
        "margin": {"l": 64, "r": 20, "t": 34, "b": 56},
        "legend": {"orientation": "h", "y": -0.25},
        "height": 360,
    }
    layout.update(extra)
    return layout


# The by-load charts: slot name -> the metrics drawn (several: side-by-side panels).
LOAD_CHARTS = {
    "achieved": ["achieved_rps"],
    "latency": ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"],
    "success": ["success_ratio"],
    "cpu": ["cpu_avg"],
    "memory": ["rss_max_mb"],
}
LOAD_CHART_TITLES = {"achieved": "Achieved RPS vs offered load", "success": "Success % vs load",
                     "cpu": "Server CPU (avg) vs load", "memory": "Server memory (max RSS) vs load",
                     "latency": "Latency percentiles vs load"}


def _points(points: list[AttackRow]) -> list[AttackRow]:
    return sorted((p for p in points if load_of(p) is not None), key=load_of)


def _line(name: str, points: list[AttackRow], metric: str, colour_: str, mode: str, *,
          xaxis: str = "x", yaxis: str = "y", legend: bool = True, group: str | None = None,
          base: str | None = None) -> dict:
    """One name's metric against load; `base`: the baseline run's name, drawn dashed and
    lighter under the candidate's solid line."""
    points = _points(points)
    shown = f"{name} · {base}" if base else name
    single = len(points) == 1
    return {
        "type": "scatter", "mode": "markers" if single else "lines+markers", "name": txt(shown),
        "legendgroup": txt(group or name), "showlegend": legend,
        "xaxis": xaxis, "yaxis": yaxis,
        "x": [load_of(p) for p in points],
        "y": sig([p.metric(metric) for p in points]),
        "customdata": [_flag(p) for p in points],
        "line": {"color": colour_, "width": 1.5 if base else 2, "dash": BASE_DASH if base else "solid"},
        "opacity": 0.6 if base else 1,
        # Untrustworthy attacks (the generator fell short) are drawn hollow, as a warning.
        "marker": {"color": colour_, "size": 11 if single else 8, "symbol": [
            "circle-open" if untrusted(p) else "circle" for p in points],
            "line": {"width": 2, "color": colour_}},
        "hovertemplate": (f"<b>{txt(shown)}</b><br>{load_title(mode)}: %{{x:g}}<br>"
                          f"{metric_hover(metric)}%{{customdata}}<extra></extra>"),
    }


def _bar(name: str, point: AttackRow, metric: str, colour_: str, *, xaxis: str = "x", yaxis: str = "y",
         legend: bool = True, base: str | None = None, repeat: int = 0) -> dict:
    """One name's value at the only tested load, as a bar (a lone point is no chart); the
    repeats of a cell stand side by side under one legend entry."""
    shown = f"{name} · {base}" if base else name
    hover = txt(shown) + (f" · repeat {repeat + 1}" if repeat else "")
    # One category (the load), a bar per name beside the others, coloured as in the legend.
    return {
        "type": "bar", "name": txt(shown), "legendgroup": txt(name),
        "showlegend": legend and repeat == 0,
        "xaxis": xaxis, "yaxis": yaxis, "x": [load_text(point)], "y": sig([point.metric(metric)]),
        "offsetgroup": txt(shown) + (f" {repeat}" if repeat else ""), "customdata": [_flag(point)],
        "marker": {"color": colour_, "opacity": 0.55 if base else 1,
                   "pattern": {"shape": BASE_PATTERN if base else ("x" if untrusted(point) else "")},
                   "line": {"color": colour_, "width": 1}},
        "hovertemplate": f"<b>{hover}</b><br>{metric_hover(metric)}%{{customdata}}<extra></extra>",
    }


def load_figure(slot: str, lines: list[tuple[str, list[AttackRow]]], mode: str, title_suffix: str,
                colours: dict[str, str], base_lines: list[tuple[str, list[AttackRow]]] | None = None,
                base_name: str | None = None) -> dict:
    """One by-load chart: a line per (name, attacks) pair, x = offered load; with `base_lines`
    (a --baseline run's attacks of the same names) each also drawn dashed underneath.
    When every line has the single same load, bars per name replace the lonely points."""
    metrics = LOAD_CHARTS[slot]
    x_title = load_title(mode)
    base = dict(base_lines or [])
    loads = {load_of(p) for _, pts in lines + list(base.items()) for p in pts if load_of(p) is not None}
    single = len(loads) == 1
    title = LOAD_CHART_TITLES[slot] + title_suffix
    if single:
        title += f" (one load: {load_label(mode, next(iter(loads)))})"
    panels = len(metrics) > 1

    def traces_for(metric: str, axes: dict, legend: bool) -> list[dict]:
        out = []
        for name, pts in lines:
            col = colours[name]
            if name in base:
                if single:
                    out += [_bar(name, p, metric, col, legend=legend, base=base_name, repeat=k,
                                 **axes) for k, p in enumerate(_points(base[name]))]
                else:
                    out.append(_line(name, base[name], metric, col, mode, legend=legend,
                                     group=name, base=base_name, **axes))
            if single:
                out += [_bar(name, p, metric, col, legend=legend, repeat=k, **axes)
                        for k, p in enumerate(_points(pts))]
            else:
                out.append(_line(name, pts, metric, col, mode, legend=legend, group=name, **axes))
        return out

    def y_axis(metric: str) -> dict:
        if METRICS[metric].unit == "ms":
            values = [p.metric(metric) for _, pts in lines + list(base.items()) for p in pts]
            return latency_axis(values, "latency (ms, log scale)")
        return zero_axis(metric)

    x_axis = ({"type": "category", "title": {"text": x_title}}
              if single else {"title": {"text": x_title}, "rangemode": "tozero"})
    if not panels:
        metric = metrics[0]
        traces = traces_for(metric, {}, legend=True)
        if slot == "achieved" and mode == "rate" and not single and loads:
            top = max(loads)
            traces.append({
                "type": "scatter", "mode": "lines", "name": "offered", "x": [0, top],
                "y": [0, top], "line": {"color": "#999", "dash": "dot", "width": 1},
                "hoverinfo": "skip", "showlegend": False,
            })
        # The small charts share the latency chart's colours and legend; hover names each line.
        layout = _layout("", "", xaxis=x_axis, yaxis=y_axis(metric), showlegend=False,
                         height=300, barmode="group")
        return figure(title, traces, layout)
    # Side-by-side panels (p50 | p95 | p99), one colour per line across them, log latency
    # on one shared range so the panels compare at a glance.
    # The panel labels sit above each panel, below the mode bar's strip (the top 30 px).
    traces, layout = [], _layout("", "", barmode="group", height=420,
                                 margin={"l": 64, "r": 20, "t": 58, "b": 56})
    all_values = [p.metric(m) for m in metrics for _, pts in lines + list(base.items()) for p in pts]
    shared = latency_axis(all_values)
    gap = 0.06
    width = (1 - gap * (len(metrics) - 1)) / len(metrics)
    for i, metric in enumerate(metrics):
        suffix = "" if i == 0 else str(i + 1)
        left = i * (width + gap)
        layout[f"xaxis{suffix}"] = {**x_axis, "domain": [left, left + width], "anchor": f"y{suffix}",
                                    "title": {"text": x_axis["title"]["text"] if i == 1 else ""}}
        layout[f"yaxis{suffix}"] = {**shared, "anchor": f"x{suffix}",
                                    "title": {"text": shared["title"]["text"] if i == 0 else ""}}
        layout.setdefault("annotations", []).append({
            "text": f"<b>{METRICS[metric].label}</b>", "showarrow": False,
            "xref": f"x{suffix} domain", "yref": f"y{suffix} domain", "x": 0.5, "y": 1.0,
            "yanchor": "bottom",
        })
        traces += traces_for(metric, {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}, legend=i == 0)
    return figure(title, traces, layout)


def cumsum_ms(seconds: list[float]) -> dict:
    """A sorted time axis as whole-millisecond steps; the page's JS sums them back (x 0.001).

    Steps are small repeating integers that gzip packs three times tighter than the times
    themselves, and the over-time charts are most of a report's data.
    """
    ms = [round(s * 1000) for s in seconds]
    return {"cumsum": [b - a for a, b in zip([0] + ms, ms)], "scale": 0.001}


def over_time_figure(attack: AttackRow, series: OverTime, run_name: str) -> dict:
    """Latency of (downsampled) requests over the attack; failures in their own colour."""
    workers = "-" if attack.workers is None else attack.workers
    title = (f"{attack.endpoint} · {load_text(attack)} · {workers} worker"
             f"{'' if workers == 1 else 's'} · run {run_name} · {series.requests:,} requests, "
             f"{series.errors:,} errors")
    traces = [{
        "type": "scatter", "mode": "markers", "name": "success (200-399)",
        "x": cumsum_ms(series.ok_t), "y": series.ok_ms,
        "marker": {"color": OK_COLOUR, "size": 4, "opacity": 0.7},
        "hovertemplate": "t = %{x:.3f} s<br>latency: %{y:.2f} ms<extra>success</extra>",
    }]
    if series.errors:
        traces.append({
            "type": "scatter", "mode": "markers", "name": "error",
            "x": cumsum_ms(series.err_t), "y": series.err_ms, "customdata": [txt(s) for s in series.err_label],
            "marker": {"color": ERROR_COLOUR, "size": 6, "symbol": "x"},
            "hovertemplate": "t = %{x:.3f} s<br>latency: %{y:.2f} ms<br>%{customdata}<extra>error</extra>",
        })
    layout = _layout("time since the attack's first request (s)", "",
                     yaxis=latency_axis(series.ok_ms + series.err_ms),
                     xaxis={"title": {"text": "time since the attack's first request (s)"},
                            "rangemode": "tozero"})
    return figure(title, traces, layout)


def _p_label(p: float) -> str:
    return "max" if p >= 1 else f"p{p * 100:.10g}"


SPECTRUM_TICKS = [1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000]
SPECTRUM_TICK_TEXT = ["0%", "50%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]


def _spectrum_trace(name: str, spec: Spectrum, col: str, base: bool, repeat: int = 0) -> dict:
    # Repeats of one load share its colour and one legend entry (clicking it hides them all);
    # the hover says which repeat a line is.
    hover = txt(name) + (f" · repeat {repeat + 1}" if repeat else "")
    return {
        "type": "scatter", "mode": "lines+markers", "name": txt(name), "legendgroup": txt(name),
        "showlegend": repeat == 0,
        "x": sig(spec.x), "y": sig(spec.ms), "customdata": [_p_label(p) for p in spec.p],
        "line": {"color": col, "width": 1.5 if base else 2, "shape": "linear",
                 "dash": BASE_DASH if base else "solid"},
        "marker": {"size": 4 if base else 5}, "opacity": 0.6 if base else 1,
        "hovertemplate": f"<b>{hover}</b><br>%{{customdata}}: %{{y:.2f}} ms<extra></extra>",
    }


def spectrum_figure(title: str, lines: list[tuple[str, Spectrum]],
                    base_lines: list[tuple[str, Spectrum]] | None = None,
                    base_name: str | None = None) -> dict:
    """The HdrHistogram-style plot: latency at percentile p, x = 1/(1-p) on a log axis, a
    colour per load (its repeats alike); with `base_lines` (the --baseline run's spectra at
    the same loads) dashed, in the same colours."""
    traces = []
    by_load: dict[str, list[Spectrum]] = defaultdict(list)
    for name, spec in lines:
        by_load[name].append(spec)
    base: dict[str, list[Spectrum]] = defaultdict(list)
    for name, spec in base_lines or []:
        base[name].append(spec)
    for i, (name, specs_) in enumerate(by_load.items()):
        col = colour(i)
        for k, spec in enumerate(base.get(name, [])):
            traces.append(_spectrum_trace(f"{name} · {base_name}", spec, col, True, k))
        for k, spec in enumerate(specs_):
            traces.append(_spectrum_trace(name, spec, col, False, k))
    specs = [s for _, s in lines] + [s for _, s in base_lines or []]
    top = max((s.x[-1] for s in specs), default=10)
    ticks = [t for t in SPECTRUM_TICKS if t <= top * 1.5]
    layout = _layout("percentile", "",
                     xaxis={"type": "log", "tickvals": ticks,
                            "ticktext": SPECTRUM_TICK_TEXT[: len(ticks)],
                            "title": {"text": "percentile (log scale of 1 / (1 − p))"}},
                     yaxis=latency_axis([v for s in specs for v in s.ms]), height=400)
    return figure(title, traces, layout)


def error_heatmap(attacks: list[AttackRow], statuses: dict, errors: dict, title: str) -> dict:
    """Share of failed requests by endpoint (rows) x load (columns), details on hover."""
    endpoints = endpoints_in_order(attacks)
    loads = sorted({load_of(a) for a in attacks if load_of(a) is not None})
    by_cell = {(a.endpoint, load_of(a)): a for a in attacks}
    z, hover = [], []
    for ep in endpoints:
        row_z, row_h = [], []
        for load in loads:
            a = by_cell.get((ep, load))
            if a is None or not a.metric("requests"):
                row_z.append(None)
                row_h.append("no attack")
                continue
            row_z.append(1 - (a.metric("success_ratio") or 0))
            codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(statuses.get(a.attack_id, {}).items()))
            kinds = "".join(f"<br>{n:,} × {txt(k[:90])}"
                            for k, n in list(errors.get(a.attack_id, {}).items())[:4])
            row_h.append(f"status {codes}{kinds}")
        z.append(row_z)
        hover.append(row_h)
    mode = attacks[0].mode if attacks else "rate"
    return figure(title, [{
        "type": "heatmap", "x": [f"{v:g}" for v in loads], "y": [txt(e) for e in endpoints],
        "z": z, "customdata": hover, "zmin": 0, "zmax": 1,
        "colorscale": [[0, "#f7fbff"], [0.02, "#fde0dd"], [0.2, "#fa9fb5"], [1, "#a50f15"]],
        "texttemplate": "%{z:.1%}", "xgap": 2, "ygap": 2,
        "colorbar": {"title": {"text": "failed"}, "tickformat": ".0%"},
        "hovertemplate": ("<b>%{y}</b> at %{x}<br>failed: %{z:.2%}<br>%{customdata}"
                          "<extra></extra>"),
    }], _layout(load_title(mode), "",
                xaxis={"type": "category", "title": {"text": load_title(mode)}},
                yaxis={"automargin": True, "autorange": "reversed", "title": {"text": "endpoint"}},
                height=max(260, 80 + 30 * len(endpoints)),
                margin={"l": 20, "r": 20, "t": 34, "b": 56}))


def status_bars(attacks: list[AttackRow], statuses: dict, title: str) -> dict:
    """Requests by status code (stacked) at each load of one endpoint; 0 = no response."""
    attacks = sorted((a for a in attacks if load_of(a) is not None), key=load_of)
    loads = [f"{load_of(a):g}" for a in attacks]
    per_code: dict[int, list[int]] = defaultdict(lambda: [0] * len(attacks))
    for i, a in enumerate(attacks):
        for code, n in statuses.get(a.attack_id, {}).items():
            per_code[int(code)][i] = n
    traces = []
    for code in sorted(per_code):
        col = {2: "#2ca02c", 3: "#17becf", 4: "#ff7f0e", 5: "#d62728"}.get(code // 100, "#7f7f7f")
        traces.append({
            "type": "bar", "name": f"{code}" + ("" if code else " (no response)"),
            "x": loads, "y": per_code[code],
            "marker": {"color": col, "opacity": 0.55 if is_success(code) else 1},
            "hovertemplate": f"status {code}: %{{y:,d}} requests at %{{x}}<extra></extra>",
        })
    mode = attacks[0].mode if attacks else "rate"
    return figure(title, traces, _layout(
        load_title(mode), "", barmode="stack", yaxis=zero_axis(title="requests"),
        xaxis={"type": "category", "title": {"text": load_title(mode)}}))


HISTORY_METRICS = changepoints.HISTORY_METRICS  # what the history charts draw
HISTORY_TITLES = {"achieved_rps": "Achieved RPS across runs", "latency_p99_ms": "P99 latency across runs",
                  "latency_p50_ms": "P50 latency across runs",
                  "cpu_s_per_1k": "CPU-seconds per 1,000 successful requests across runs"}


# The history charts' shared tables (DATA.shared in the page): each run's name and hover,
# written once; a chart's points name runs by their index in them (run_refs), which the page
# looks up. A thousand runs drawn in eighty charts would otherwise repeat each name and hover
# eighty times (3.3 MB of a published index, most of it these strings).
RUN_NAME, RUN_HOVER = "runName", "runHover"
MARKED_RUNS = 200  # a history line with more runs is drawn without a marker per run


def history_shared(rows: list[HistoryRow], runs: list[RunRow], names: dict[str, str]) -> dict[str, list[str]]:
    """The shared tables of the history charts, one entry per run of `runs`, in its order."""
    first = {}
    for row in rows:
        first.setdefault(row.run_id, row)
    hover = []
    for r in runs:
        row = first.get(r.run_id)
        when = f"{row.started_at:%Y-%m-%d %H:%M} UTC<br>" if row and row.started_at else ""
        commit = (row.git_commit if row else None) or "?"
        hover.append(f"run {txt(r.run_id)}<br>{when}commit {txt(commit)}")
    return {RUN_NAME: [txt(names[r.run_id]) for r in runs], RUN_HOVER: hover}


def run_refs(table: str, indices: list[int]) -> dict:
    """Values the page takes from DATA.shared[table] by index (templates/dashboard.html.j2)."""
    return {"ref": table, "i": indices}


def history_figure(metric: str, rows: list[HistoryRow], runs: list[RunRow], names: dict[str, str],
                   title_suffix: str, change_points: dict[str, list[int]] | None = None) -> dict:
    """One metric of the same cells across runs (oldest first), a line per load; the x axis
    names runs as every output does (label, else short id), the id is in the hover. A change
    point (an index into the line's runs) is marked with a ring and a dotted line. Run names
    and hovers are references into history_shared(rows, runs, names)."""
    index = {r.run_id: i for i, r in enumerate(runs)}
    by_load: dict[float, list[HistoryRow]] = defaultdict(list)
    for row in rows:
        by_load[load_of(row)].append(row)
    traces, shapes, marked = [], [], set()
    for i, load in enumerate(sorted(by_load, key=lambda v: (v is None, v))):
        pts = sorted(by_load[load], key=lambda r: index[r.run_id])
        mode = pts[0].mode
        name = load_label(mode, load)
        at_runs = [index[r.run_id] for r in pts]
        flags = [_flag(r) for r in pts]
        traces.append({
            "type": "scatter", "name": name,
            # A marker per run is an SVG node each: past a few hundred they cost the browser
            # half a second a chart, so a long history is drawn as a line (hover still per run).
            "mode": ("markers" if len(pts) == 1 else "lines+markers" if len(pts) <= MARKED_RUNS
                     else "lines"),
            "x": run_refs(RUN_NAME, at_runs), "y": sig([r.metric(metric) for r in pts]),
            "customdata": run_refs(RUN_HOVER, at_runs),
            **({"text": flags} if any(flags) else {}),
            "line": {"color": colour(i)}, "marker": {"size": 8},
            "hovertemplate": (f"<b>{name}</b> · %{{x}}<br>{metric_hover(metric)}<br>"
                              "%{customdata}" + ("%{text}" if any(flags) else "") + "<extra></extra>"),
        })
        # A change point indexes the line's runs (oldest first), not its attacks: with
        # repeats a run has several points on the line; its first one carries the mark.
        first_of_run = {}
        for r in pts:
            first_of_run.setdefault(r.run_id, r)
        line_runs = list(first_of_run.values())
        points = (change_points or {}).get(history_series_key(pts[0], metric), [])
        at = [line_runs[k] for k in points if 0 <= k < len(line_runs)]
        if at:
            traces.append({
                "type": "scatter", "mode": "markers", "name": f"change ({name})",
                "x": [txt(names[r.run_id]) for r in at], "y": sig([r.metric(metric) for r in at]),
                "marker": {"symbol": "circle-open", "size": 18, "color": CHANGE_COLOUR,
                           "line": {"width": 3, "color": CHANGE_COLOUR}},
                "hovertemplate": f"change point ({name}) · %{{x}}<extra></extra>",
            })
            for r in at:
                if r.run_id not in marked:
                    marked.add(r.run_id)
                    shapes.append({"type": "line", "xref": "x", "yref": "paper",
                                   "x0": txt(names[r.run_id]), "x1": txt(names[r.run_id]),
                                   "y0": 0, "y1": 1,
                                   "line": {"color": CHANGE_COLOUR, "dash": "dot", "width": 1.5}})
    return figure(HISTORY_TITLES.get(metric, f"{METRICS[metric].label} across runs") + title_suffix,
                  traces, _layout(
        "run (oldest → newest)", "", legend={"orientation": "h", "y": -0.3}, height=380,
        margin={"l": 64, "r": 20, "t": 34, "b": 80}, shapes=shapes,
        xaxis={"type": "category", "categoryorder": "array",
               "categoryarray": run_refs(RUN_NAME, list(range(len(runs)))),
               "title": {"text": "run (oldest → newest)"}, "automargin": True},
        yaxis=zero_axis(metric)))


def sustainable_figure(rows: list[dict], endpoints: list[str], colours: dict[str, str],
                       title: str, base_rows: list[dict] | None = None,
                       base_name: str | None = None,
                       what: str = "maximum sustainable rate") -> dict:
    """compute.max_sustainable_rates rows of one run as horizontal bars, a bar per worker count
    at each endpoint; the text says what the bar cannot (`>= 100/s`: every tested rate was
    sustained; `< 25/s`: none was). With `base_rows`, the baseline's bars hatched beside.
    Capacity searches draw the same way (`what` names the number), from rows shaped alike."""

    def text(row: dict) -> str:
        if row.get("failed"):  # a refused request, not a rate limit
            code = row.get("failing_code")
            return "no success" + (f" (all {code})" if code else "")
        if row["rate"] is None:
            return f"< {row['tested'][0]:g}/s"
        return (">= " if row["all_sustained"] else "") + f"{row['rate']:g}/s" + (
            " ⚠" if row["untrusted"] else "")

    traces = []
    # Horizontal groups stack their first bar at the bottom: reversed, 1 worker reads first.
    groups = sorted({r["workers"] for r in rows + (base_rows or [])},
                    key=lambda w: (w is None, w or 0), reverse=True)
    for w in groups:
        for base in [False] + ([True] if base_rows else []):
            mine = [r for r in (base_rows if base else rows) if r["workers"] == w]
            if not mine:
                continue
            col = colours.get(workers_text(w), OK_COLOUR)
            label = workers_text(w) + (f" · {base_name}" if base else "")
            traces.append({
                "type": "bar", "orientation": "h", "name": txt(label),
                "y": [txt(r["endpoint"]) for r in mine], "x": [r["rate"] or 0 for r in mine],
                "text": [text(r) for r in mine], "textposition": "outside", "cliponaxis": False,
                "customdata": [", ".join(f"{t:g}" for t in r["tested"]) for r in mine],
                "offsetgroup": label,
                "marker": {"color": col, "opacity": 0.55 if base else 1,
                           "pattern": {"shape": BASE_PATTERN if base else ""}},
                "hovertemplate": (f"<b>%{{y}}</b> · {txt(label)}<br>{txt(what)}: %{{text}}"
                                  "<br>tested: %{customdata} req/s<extra></extra>"),
            })
    top = max([r["rate"] or 0 for r in rows + (base_rows or [])] + [1])
    bars_per_endpoint = max(1, len(traces))
    return figure(title, traces, _layout(
        f"{what} (req/s)", "", barmode="group",
        height=max(260, 90 + len(endpoints) * (10 + 9 * bars_per_endpoint)),
        margin={"l": 20, "r": 40, "t": 34, "b": 56},
        legend={"orientation": "h", "y": -0.08, "yanchor": "top", "traceorder": "reversed"},
        xaxis={"title": {"text": f"{what} (req/s)"}, "rangemode": "tozero",
               "range": [0, top * 1.25]},
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [txt(e) for e in reversed(endpoints)], "automargin": True,
               "title": {"text": ""}}))


def scaling_figure(rows: list[dict], colours: dict[str, str], title: str) -> dict:
    """perf.reporter.compute.scaling rows of one run: throughput by worker count, a line per endpoint (left),
    and scaling efficiency RPS(n) / (n x RPS(1)) beside it (right, 100% = linear). A lower
    bound (every rate met) is drawn hollow and said in the hover. With no efficiency to show
    (no worker count has a one-worker rate to divide by), the throughput panel alone."""
    efficiency = any(c["efficiency"] is not None for r in rows for c in r["workers"])
    traces = []
    for r in rows:
        col = colours.get(r["endpoint"], OK_COLOUR)
        counts = r["workers"]
        notes = [(" (at least: every rate met)" if c["lower_bound"] else "")
                 + (f"<br>memory: {c['memory_mb']:.1f} MB" if c["memory_mb"] is not None else "")
                 for c in counts]
        symbols = ["circle-open" if c["lower_bound"] else "circle" for c in counts]
        common = {"type": "scatter", "mode": "lines+markers", "legendgroup": txt(r["endpoint"]),
                  "x": [c["workers"] for c in counts], "customdata": notes,
                  "line": {"color": col, "width": 2},
                  "marker": {"color": col, "size": 9, "symbol": symbols,
                             "line": {"width": 2, "color": col}}}
        traces.append({**common, "name": txt(r["endpoint"]), "xaxis": "x", "yaxis": "y",
                       "y": sig([c["rps"] for c in counts]),
                       "hovertemplate": (f"<b>{txt(r['endpoint'])}</b><br>%{{x}} workers: "
                                         "%{y:.1f} req/s%{customdata}<extra></extra>")})
        if not efficiency:
            continue
        traces.append({**common, "name": txt(r["endpoint"]), "xaxis": "x2", "yaxis": "y2",
                       "showlegend": False,
                       "y": sig([c["efficiency"] for c in counts]),
                       "hovertemplate": (f"<b>{txt(r['endpoint'])}</b><br>%{{x}} workers: "
                                         "efficiency %{y:.0%}%{customdata}<extra></extra>")})
    workers = sorted({c["workers"] for r in rows for c in r["workers"]})
    x = {"tickmode": "array", "tickvals": workers, "title": {"text": "workers"}}
    if not efficiency:
        return figure(title, traces, _layout(
            "workers", "", height=380, legend={"orientation": "h", "y": -0.25}, xaxis=x,
            yaxis={"title": {"text": "throughput (req/s)"}, "rangemode": "tozero"}))
    return figure(title, traces, _layout(
        "workers", "", height=380, legend={"orientation": "h", "y": -0.25},
        grid={"rows": 1, "columns": 2, "pattern": "independent"},
        xaxis={**x, "domain": [0, 0.46]}, xaxis2={**x, "domain": [0.56, 1]},
        yaxis={"title": {"text": "throughput (req/s)"}, "rangemode": "tozero"},
        yaxis2={"title": {"text": "scaling efficiency"}, "tickformat": ".0%",
                "rangemode": "tozero", "anchor": "x2"}))
