"""PELT (Killick, Fearnhead and Eckley 2012) with the L2 cost, in numpy: the segmentation of a
series into constant levels that minimises the sum of squared deviations plus a penalty per
segment.

The segment cost comes from prefix sums (sum of x² − (sum of x)² / length), so each step of the
recursion is one vectorised expression over the candidate starts, and PELT's pruning drops every
start that can no longer begin the last segment of an optimal split. The time is roughly linear
in the series' length where ruptures' pure-Python Pelt (which this replaces, and which tests keep
as the independent oracle) is quadratic: its cost function was called 662,350 times for 140
series of 100 runs, 15 of 17.7 s of `perf history --last 100` on a 1,000-run store.

The admissible splits are ruptures' with jump=1: every segment at least `min_size` long; among
splits of equal cost the earliest start wins.
"""

from __future__ import annotations

import numpy as np


def pelt_l2(x: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """The breakpoints of the optimal split of `x` (1-D): the index where each segment after
    the first begins, ascending (the series' end is not one)."""
    return pelt_l2_many([x], [penalty], min_size)[0]


def pelt_l2_many(xs: list[np.ndarray], penalties: list[float], min_size: int) -> list[list[int]]:
    """pelt_l2 of many series at once: the series of one length are split together, each step
    of the recursion one expression over all of them (a history's cells mostly share their
    length, and a step's cost is then paid once, not once per series)."""
    out: list[list[int]] = [[] for _ in xs]
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        if len(x) >= 2 * min_size:
            by_length.setdefault(len(x), []).append(i)
    for which in by_length.values():
        found = _split(np.vstack([np.asarray(xs[i], dtype=float) for i in which]),
                       np.array([penalties[i] for i in which], dtype=float), min_size)
        for i, points in zip(which, found):
            out[i] = points
    return out


def _split(x: np.ndarray, penalty: np.ndarray, min_size: int) -> list[list[int]]:
    """The optimal splits of the rows of `x` (k series of n points), penalty[i] for row i."""
    k, n = x.shape
    # Centred first: the cost is shift-invariant, and prefix sums of a centred series lose no
    # precision to a large common level.
    x = x - x.mean(axis=1, keepdims=True)
    s1 = np.zeros((k, n + 1))
    s2 = np.zeros((k, n + 1))
    np.cumsum(x, axis=1, out=s1[:, 1:])
    np.cumsum(x * x, axis=1, out=s2[:, 1:])
    best = np.zeros((k, n + 1))  # best[:, t]: the cost of the optimal split of x[:, :t], penalties included
    start_of_last = np.zeros((k, n + 1), dtype=np.int64)
    rows = np.arange(k)
    # The candidate starts s of the last segment and, beside each, its prefix sum s1[s] and
    # best[s] - s2[s]: the cost of a last segment [s, end) is then that minus
    # (s1[end] - s1[s])² / (end - s), plus s2[end] and the penalty, which are the same for every
    # start and so are added once, to the winner. One buffer per quantity, the live starts at
    # the front, so a step touches no other memory; a start stays while it can still win for
    # one of the series.
    at = np.empty(n + 1, dtype=np.int64)
    at_s1, at_rest = np.empty((k, n + 1)), np.empty((k, n + 1))
    live = 0
    for end in range(min_size, n + 1):
        new = end - min_size  # the latest start that leaves the last segment min_size long
        if new == 0 or new >= min_size:  # a start must end a segment of min_size itself
            at[live] = new
            at_s1[:, live], at_rest[:, live] = s1[:, new], best[:, new] - s2[:, new]
            live += 1
        starts = at[:live]
        sums = s1[:, end, None] - at_s1[:, :live]
        sums *= sums
        sums *= 1.0 / (end - starts)
        total = np.subtract(at_rest[:, :live], sums, out=sums)
        pick = np.argmin(total, axis=1)  # the first of equal minima: the earliest start
        least = total[rows, pick]
        best[:, end] = least + s2[:, end] + penalty
        start_of_last[:, end] = starts[pick]
        # A start whose cost already exceeds the best by more than a penalty can never win a
        # later end (adding a breakpoint never costs more than the penalty).
        keep = np.any(total <= (least + penalty)[:, None], axis=0)
        kept = int(np.count_nonzero(keep))
        if kept < live:
            at[:kept] = at[:live][keep]
            for buffer in (at_s1, at_rest):
                buffer[:, :kept] = buffer[:, :live][:, keep]
            live = kept
    found = []
    for row in range(k):
        points, end = [], n
        while end > 0:
            end = int(start_of_last[row, end])
            if end > 0:
                points.append(end)
        found.append(sorted(points))
    return found
