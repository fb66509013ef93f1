"""Within-attack data for the dashboard: latency over time and the latency percentile spectrum.

Part of the query step (perf.reporter.report.build_report fetches them onto the Report; no
renderer calls this module). Query (SQL on the raw `requests` rows) then compute (pure functions on numpy arrays). What leaves
this module is already small: over-time series are LTTB-downsampled, spectra are a few exact
percentiles, so the HTML carries summaries, never raw rows.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np

from perf.store.stats import ATTACK_RULES_SQL, RULED_SUCCESS_SQL
from perf.store.request_counts import ERROR_KIND_SQL
from perf.reporter.rows import OverTime, Spectrum

MAX_POINTS = 4000
NS_PER_MS = 1e6

# Percentiles of the spectrum, plotted at 1 / (1 - p): the HdrHistogram-style view where each
# decade of the x axis is one more "nine". The max is added separately, at x = request count.
SPECTRUM_P = (
    0.0, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99,
    0.995, 0.997, 0.999, 0.9995, 0.9999, 0.99995, 0.99999,
)


def lttb(x: np.ndarray, y: np.ndarray, threshold: int) -> np.ndarray:
    """Indices of the points Largest-Triangle-Three-Buckets keeps (Steinarsson 2013).

    x must be sorted. The first and last points are always kept; each of the threshold - 2
    buckets in between keeps the point forming the largest triangle with the point kept before
    it and the mean of the next bucket, so spikes survive where plain striding would drop them.
    """
    n = len(x)
    if threshold >= n or threshold < 3:
        return np.arange(n)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    every = (n - 2) / (threshold - 2)
    kept = np.empty(threshold, dtype=np.int64)
    kept[0] = 0
    a = 0
    for i in range(threshold - 2):
        start = int(math.floor(i * every)) + 1
        stop = int(math.floor((i + 1) * every)) + 1
        next_start = stop
        next_stop = min(int(math.floor((i + 2) * every)) + 1, n)
        if next_start >= next_stop:  # the last bucket looks ahead at the last point only
            next_start, next_stop = n - 1, n
        avg_x = x[next_start:next_stop].mean()
        avg_y = y[next_start:next_stop].mean()
        bx = x[start:stop]
        by = y[start:stop]
        area = np.abs((x[a] - avg_x) * (by - y[a]) - (x[a] - bx) * (avg_y - y[a]))
        a = start + int(np.argmax(area))
        kept[i + 1] = a
    kept[-1] = n - 1
    return kept


def _round_sig(values: np.ndarray, digits: int) -> list[float]:
    # Fewer digits make the embedded JSON smaller and compress better; 4 significant digits
    # is far below what a chart can show.
    if len(values) == 0:
        return []
    mags = np.floor(np.log10(np.abs(np.where(values == 0, 1, values))))
    scale = 10.0 ** (digits - 1 - mags)
    return (np.round(values * scale) / scale).tolist()


# Latency-over-time points across all attacks of a report. Each attack gets an equal share,
# capped at MAX_POINTS per series, so a sweep of a hundred attacks still fits the 1 MB goal.
OVER_TIME_BUDGET = 20_000
MIN_POINTS_PER_SERIES = 200


def per_series_points(n_attacks: int) -> int:
    if n_attacks <= 0:
        return MAX_POINTS
    return max(MIN_POINTS_PER_SERIES, min(MAX_POINTS, OVER_TIME_BUDGET // n_attacks))


def over_time(con: duckdb.DuckDBPyConnection, attack_id: int, max_points: int = MAX_POINTS) -> OverTime:
    """Latency of every request against its start time; errors (failures by the run's success
    rule) as their own series."""
    return over_time_many(con, [attack_id], max_points)[attack_id]


def over_time_many(con: duckdb.DuckDBPyConnection, attack_ids: list[int],
                   max_points: int = MAX_POINTS) -> dict[int, OverTime]:
    """over_time of each attack, read in one query."""
    if not attack_ids:
        return {}
    rows = con.execute(
        f"""
        SELECT attack_id, ts - min(ts) OVER (PARTITION BY attack_id) AS dt, latency_ns, code,
            CASE WHEN error = '' THEN '' ELSE {ERROR_KIND_SQL} END AS error,
            {RULED_SUCCESS_SQL} AS ok
        FROM requests LEFT JOIN ({ATTACK_RULES_SQL}) rule USING (attack_id)
        WHERE attack_id IN (SELECT unnest($ids::BIGINT[]))
        ORDER BY attack_id, ts, seq
        """,
        {"ids": list(attack_ids)},
    ).fetchnumpy()
    ids = np.asarray(rows["attack_id"], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], int)
    bounds = list(zip(starts.tolist(), starts[1:].tolist() + [len(ids)]))
    out = {int(a): _over_time(int(a), {k: v[0:0] for k, v in rows.items()}, max_points)
           for a in attack_ids}
    for start, stop in bounds:
        attack_id = int(ids[start])
        out[attack_id] = _over_time(attack_id, {k: v[start:stop] for k, v in rows.items()},
                                    max_points)
    return out


def _over_time(attack_id: int, rows: dict, max_points: int) -> OverTime:
    t = np.asarray(rows["dt"], dtype=np.float64) / 1e9
    ms = np.asarray(rows["latency_ns"], dtype=np.float64) / NS_PER_MS
    code = np.asarray(rows["code"], dtype=np.int64)
    ok = np.asarray(rows["ok"], dtype=bool)  # by the run's success rule (perf.store.stats)
    ok_idx = np.flatnonzero(ok)
    err_idx = np.flatnonzero(~ok)
    ok_keep = ok_idx[lttb(t[ok_idx], ms[ok_idx], max_points)]
    err_keep = err_idx[lttb(t[err_idx], ms[err_idx], max_points)]
    errors = rows["error"]
    err_label = [
        f"{code[i]} {errors[i][:80]}".strip() if errors[i] else str(code[i]) for i in err_keep
    ]
    return OverTime(
        attack_id=attack_id,
        ok_t=np.round(t[ok_keep], 3).tolist(),  # 1 ms: finer than any chart shows
        ok_ms=_round_sig(ms[ok_keep], 4),
        err_t=np.round(t[err_keep], 3).tolist(),
        err_ms=_round_sig(ms[err_keep], 4),
        err_label=err_label,
        requests=len(t),
        errors=len(err_idx),
    )


def spectrum_points(p: list[float], values_ms: list[float], requests: int, max_ms: float) -> Spectrum:
    """Keep the percentiles the sample count can resolve (1/(1-p) < n), then the max at x = n."""
    xs, ps, ms = [], [], []
    for pi, v in zip(p, values_ms):
        x = 1.0 / (1.0 - pi)
        if x < requests:
            xs.append(x)
            ps.append(pi)
            ms.append(v)
    xs.append(float(max(requests, 1)))
    ps.append(1.0)
    ms.append(max_ms)
    return Spectrum(attack_id=-1, p=ps, x=xs, ms=ms)


def spectra(con: duckdb.DuckDBPyConnection, attack_ids: list[int]) -> dict[int, Spectrum]:
    """Exact percentiles (quantile_cont: linear interpolation) over every request of each attack."""
    if not attack_ids:
        return {}
    p_list = "[" + ", ".join(repr(p) for p in SPECTRUM_P) + "]"
    rows = con.execute(
        f"""
        SELECT attack_id, count(*), quantile_cont(latency_ns, {p_list}), max(latency_ns)
        FROM requests WHERE attack_id IN (SELECT unnest(?::BIGINT[]))
        GROUP BY attack_id
        """,
        [list(attack_ids)],
    ).fetchall()
    out = {}
    for attack_id, n, quantiles, max_ns in rows:
        spec = spectrum_points(list(SPECTRUM_P), [q / NS_PER_MS for q in quantiles], n,
                               max_ns / NS_PER_MS)
        spec.attack_id = attack_id
        out[attack_id] = spec
    return out
