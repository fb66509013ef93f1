"""Plotly figure specs (plain dicts, as plotly.js takes them) for the HTML dashboard.

Pure functions: attack summaries and series in, figure dicts out. Labels, units and number
formats come from reporter.metrics.METRICS; the Python format specs there (".1f", ",d", ".2%")
are also valid d3-format specs, which is what Plotly's hover templates use.

Plotly reads a few HTML-like tags in text (<b>, <br>, <a>), so every string that comes from the
store goes through `txt()`: Plotly decodes the entities back and shows the characters as typed.
"""

from __future__ import annotations

import html
from collections import defaultdict

from reporter.metrics import METRICS
from reporter.series import OverTime, Spectrum

PALETTE = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692",
           "#B6E880", "#FF97FF", "#FECB52", "#1F77B4", "#8C564B", "#7F7F7F", "#BCBD22",
           "#17BECF", "#E377C2", "#2CA02C", "#D62728"]
OK_COLOUR = "#636efa"
ERROR_COLOUR = "#d62728"


def sig(values: list, digits: int = 5) -> list:
    """Values to `digits` significant digits: hovers show at most four, and shorter numbers
    keep the packed page small."""
    return [v if v is None else float(f"{v:.{digits}g}") for v in values]


def txt(value) -> str:
    return html.escape(str(value), quote=False)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def load_of(attack: dict) -> float | None:
    """The x of every by-load chart: the offered rate, or the concurrency of a closed loop."""
    return attack["target_rate"] if attack["mode"] == "rate" else attack["concurrency"]


def load_title(mode: str) -> str:
    return "offered rate (req/s)" if mode == "rate" else "concurrency (in-flight requests)"


def load_text(attack: dict) -> str:
    load = load_of(attack)
    if load is None:
        return "-"
    return f"{load:g}/s" if attack["mode"] == "rate" else f"c={load:g}"


def metric_hover(name: str, axis: str = "y") -> str:
    m = METRICS[name]
    unit = "" if m.unit in ("ratio", "%") else f" {m.unit}"
    pct = "%" if m.unit == "%" else ""
    return f"{txt(m.label)}: %{{{axis}:{m.fmt}}}{pct}{txt(unit)}"


def axis_title(name: str) -> str:
    m = METRICS[name]
    # Long units (CPU-s per 1000 successful requests) stay in the hover, not on the axis.
    return m.label if m.unit in ("ratio", "requests") or len(m.unit) > 12 else f"{m.label} ({m.unit})"


def _flag(attack: dict) -> str:
    if attack.get("generator_ok") is False:
        return f"<br>⚠ generator: {txt(attack.get('generator_note') or 'not trustworthy')}"
    return ""


def _line(name: str, points: list[dict], metric: str, colour_: str, mode: str, *,
          xaxis: str = "x", yaxis: str = "y", legend: bool = True, group: str | None = None) -> dict:
    points = sorted((p for p in points if load_of(p) is not None), key=load_of)
    flagged = [p.get("generator_ok") is False for p in points]
    return {
        "type": "scatter", "mode": "lines+markers", "name": txt(name),
        "legendgroup": txt(group or name), "showlegend": legend,
        "xaxis": xaxis, "yaxis": yaxis,
        "x": [load_of(p) for p in points],
        "y": sig([p.get(metric) for p in points]),
        "customdata": [_flag(p) for p in points],
        "line": {"color": colour_, "width": 2},
        # Untrustworthy attacks (the generator fell short) are drawn hollow, as a warning.
        "marker": {"color": colour_, "size": 8, "symbol": [
            "circle-open" if f else "circle" for f in flagged],
            "line": {"width": 2, "color": colour_}},
        "hovertemplate": (f"<b>{txt(name)}</b><br>{load_title(mode)}: %{{x:g}}<br>"
                          f"{metric_hover(metric)}%{{customdata}}<extra></extra>"),
    }


def _layout(title: str, x_title: str, y_title: str, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": 15}},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.22},
        "height": 380,
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


def load_figure(slot: str, lines: list[tuple[str, list[dict]]], mode: str, title_suffix: str,
                colours: dict[str, str]) -> dict:
    """One by-load chart: a line per (name, attacks) pair, x = offered load."""
    metrics = LOAD_CHARTS[slot]
    x_title = load_title(mode)
    if len(metrics) == 1:
        metric = metrics[0]
        traces = [_line(name, pts, metric, colours[name], mode) for name, pts in lines]
        if slot == "achieved" and mode == "rate":
            loads = sorted({load_of(p) for _, pts in lines for p in pts if load_of(p) is not None})
            if loads:
                traces.append({
                    "type": "scatter", "mode": "lines", "name": "offered", "x": [0, loads[-1]],
                    "y": [0, loads[-1]], "line": {"color": "#999", "dash": "dot", "width": 1},
                    "hoverinfo": "skip",
                })
        yaxis = {"title": {"text": axis_title(metric)}, "rangemode": "tozero"}
        if METRICS[metric].unit == "ratio":
            yaxis.update(tickformat=".0%", range=[0, 1.05])
        # The small charts share the latency chart's colours and legend; hover names each line.
        layout = _layout(f"{METRICS[metric].label} vs load", x_title, "", yaxis=yaxis,
                         showlegend=False, height=320)
        return {"data": traces, "layout": layout}
    # Side-by-side panels (p50 | p95 | p99), one colour per line across them, log latency.
    traces, layout = [], _layout(f"Latency vs load{title_suffix}", "", "")
    gap = 0.06
    width = (1 - gap * (len(metrics) - 1)) / len(metrics)
    for i, metric in enumerate(metrics):
        suffix = "" if i == 0 else str(i + 1)
        left = i * (width + gap)
        layout[f"xaxis{suffix}"] = {"domain": [left, left + width], "anchor": f"y{suffix}",
                                    "title": {"text": x_title if i == 1 else ""}}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "type": "log",
                                    "title": {"text": "latency (ms)" if i == 0 else ""}}
        layout.setdefault("annotations", []).append({
            "text": f"<b>{METRICS[metric].label}</b>", "showarrow": False,
            "xref": f"x{suffix} domain", "yref": f"y{suffix} domain", "x": 0.5, "y": 1.08,
        })
        for name, pts in lines:
            traces.append(_line(name, pts, metric, colours[name], mode, xaxis=f"x{suffix}",
                                yaxis=f"y{suffix}", legend=i == 0, group=name))
    return {"data": traces, "layout": layout}


def cumsum_ms(seconds: list[float]) -> dict:
    """A sorted time axis as whole-millisecond steps; the page's JS sums them back (x 0.001).

    Steps are small repeating integers that gzip packs three times tighter than the times
    themselves, and the over-time charts are most of a report's data.
    """
    ms = [round(s * 1000) for s in seconds]
    return {"cumsum": [b - a for a, b in zip([0] + ms, ms)], "scale": 0.001}


def over_time_figure(attack: dict, series: OverTime) -> dict:
    """Latency of (downsampled) requests over the attack; failures in their own colour."""
    title = (f"{txt(attack['endpoint'])} · {load_text(attack)} · {attack['workers']} worker(s)"
             f" · {series.requests:,} requests, {series.errors:,} errors")
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
    layout = _layout(title, "time since the attack's first request (s)", "latency (ms)",
                     yaxis={"title": {"text": "latency (ms)"}, "type": "log"})
    return {"data": traces, "layout": layout}


def _p_label(p: float) -> str:
    return "max" if p >= 1 else f"p{p * 100:.10g}"


SPECTRUM_TICKS = [1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000]
SPECTRUM_TICK_TEXT = ["0%", "50%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]


def spectrum_figure(title: str, lines: list[tuple[str, Spectrum]], colours: list[str]) -> dict:
    """The HdrHistogram-style plot: latency at percentile p, x = 1/(1-p) on a log axis."""
    traces = []
    for (name, spec), col in zip(lines, colours):
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": txt(name),
            "x": sig(spec.x), "y": sig(spec.ms), "customdata": [_p_label(p) for p in spec.p],
            "line": {"color": col, "width": 2, "shape": "linear"}, "marker": {"size": 5},
            "hovertemplate": (f"<b>{txt(name)}</b><br>%{{customdata}}: %{{y:.2f}} ms"
                              "<extra></extra>"),
        })
    top = max((s.x[-1] for _, s in lines), default=10)
    ticks = [t for t in SPECTRUM_TICKS if t <= top * 1.5]
    layout = _layout(title, "percentile", "latency (ms)",
                     xaxis={"type": "log", "tickvals": ticks,
                            "ticktext": SPECTRUM_TICK_TEXT[: len(ticks)],
                            "title": {"text": "percentile (log scale of 1 / (1 − p))"}},
                     yaxis={"type": "log", "title": {"text": "latency (ms)"}})
    return {"data": traces, "layout": layout}


def error_heatmap(attacks: list[dict], statuses: dict, errors: dict, title: str) -> dict:
    """Share of failed requests by endpoint (rows) x load (columns), details on hover."""
    endpoints = sorted({a["endpoint"] for a in attacks})
    loads = sorted({load_of(a) for a in attacks if load_of(a) is not None})
    by_cell = {(a["endpoint"], load_of(a)): a for a in attacks}
    z, hover = [], []
    for ep in endpoints:
        row_z, row_h = [], []
        for load in loads:
            a = by_cell.get((ep, load))
            if a is None or not a.get("requests"):
                row_z.append(None)
                row_h.append("no attack")
                continue
            row_z.append(1 - (a.get("success_ratio") or 0))
            codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(statuses.get(a["attack_id"], {}).items()))
            kinds = "".join(f"<br>{n:,} × {txt(k[:90])}"
                            for k, n in list(errors.get(a["attack_id"], {}).items())[:4])
            row_h.append(f"status {codes}{kinds}")
        z.append(row_z)
        hover.append(row_h)
    mode = attacks[0]["mode"] if attacks else "rate"
    return {
        "data": [{
            "type": "heatmap", "x": [f"{v:g}" for v in loads], "y": [txt(e) for e in endpoints],
            "z": z, "customdata": hover, "zmin": 0, "zmax": 1,
            "colorscale": [[0, "#f7fbff"], [0.02, "#fde0dd"], [0.2, "#fa9fb5"], [1, "#a50f15"]],
            "texttemplate": "%{z:.1%}", "xgap": 2, "ygap": 2,
            "colorbar": {"title": {"text": "failed"}, "tickformat": ".0%"},
            "hovertemplate": ("<b>%{y}</b> at %{x}<br>failed: %{z:.2%}<br>%{customdata}"
                              "<extra></extra>"),
        }],
        "layout": _layout(title, load_title(mode), "",
                          xaxis={"type": "category", "title": {"text": load_title(mode)}},
                          yaxis={"automargin": True, "autorange": "reversed"},
                          height=max(260, 60 + 34 * len(endpoints)),
                          margin={"l": 20, "r": 20, "t": 50, "b": 50}),
    }


def status_bars(attacks: list[dict], statuses: dict, title: str) -> dict:
    """Requests by status code (stacked) at each load of one endpoint; 0 = no response."""
    attacks = sorted((a for a in attacks if load_of(a) is not None), key=load_of)
    loads = [f"{load_of(a):g}" for a in attacks]
    per_code: dict[int, list[int]] = defaultdict(lambda: [0] * len(attacks))
    for i, a in enumerate(attacks):
        for code, n in statuses.get(a["attack_id"], {}).items():
            per_code[int(code)][i] = n
    traces = []
    for code in sorted(per_code):
        good = 200 <= code < 400
        col = {2: "#2ca02c", 3: "#17becf", 4: "#ff7f0e", 5: "#d62728"}.get(code // 100, "#7f7f7f")
        traces.append({
            "type": "bar", "name": f"{code}" + ("" if code else " (no response)"),
            "x": loads, "y": per_code[code], "marker": {"color": col,
                                                         "opacity": 1 if not good else 0.55},
            "hovertemplate": f"status {code}: %{{y:,d}} requests at %{{x}}<extra></extra>",
        })
    mode = attacks[0]["mode"] if attacks else "rate"
    return {"data": traces, "layout": _layout(
        title, load_title(mode), "requests", barmode="stack",
        xaxis={"type": "category", "title": {"text": load_title(mode)}})}


HISTORY_METRICS = ["achieved_rps", "latency_p99_ms", "cpu_s_per_1k"]


def history_figure(metric: str, rows: list[dict], runs: list[dict], title_suffix: str) -> dict:
    """One metric of the same cells across runs (oldest first), a line per load."""
    order = [r["run_id"] for r in runs]
    by_load: dict[float, list[dict]] = defaultdict(list)
    for row in rows:
        by_load[load_of(row)].append(row)
    traces = []
    for i, load in enumerate(sorted(by_load, key=lambda v: (v is None, v))):
        pts = sorted(by_load[load], key=lambda r: order.index(r["run_id"]))
        mode = pts[0]["mode"]
        name = f"{load:g}/s" if mode == "rate" else f"c={load:g}"
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": name,
            "x": [txt(r["run_id"]) for r in pts], "y": sig([r.get(metric) for r in pts]),
            "customdata": [
                f"{r['started_at']:%Y-%m-%d %H:%M} UTC<br>commit {txt(r.get('git_commit') or '?')}"
                + (f"<br>label {txt(r['label'])}" if r.get("label") else "") + _flag(r)
                for r in pts
            ],
            "line": {"color": colour(i)}, "marker": {"size": 8},
            "hovertemplate": (f"<b>{name}</b> · run %{{x}}<br>{metric_hover(metric)}<br>"
                              "%{customdata}<extra></extra>"),
        })
    return {"data": traces, "layout": _layout(
        f"{METRICS[metric].label} across runs{title_suffix}", "run (oldest → newest)", "",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0}, height=400,
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        xaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [txt(r) for r in order], "title": {"text": "run (oldest → newest)"}},
        yaxis={"title": {"text": axis_title(metric)}, "rangemode": "tozero"})}
