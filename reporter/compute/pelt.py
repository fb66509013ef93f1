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
    n = len(x)
    if n < 2 * min_size:
        return []
    # Centred first: the cost is shift-invariant, and prefix sums of a centred series lose no
    # precision to a large common level.
    x = np.asarray(x, dtype=float) - float(np.mean(x))
    s1 = np.concatenate(([0.0], np.cumsum(x)))
    s2 = np.concatenate(([0.0], np.cumsum(x * x)))
    best = np.zeros(n + 1)  # best[t]: the cost of the optimal split of x[:t], penalties included
    start_of_last = np.zeros(n + 1, dtype=np.int64)
    # The candidate starts of the last segment and, beside each, its prefix sums and best cost:
    # one buffer per quantity, the live ones at the front, so a step touches no other memory.
    at = np.empty(n + 1, dtype=np.int64)
    at_s1, at_s2, at_best = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    live = 0
    for end in range(min_size, n + 1):
        new = end - min_size  # the latest start that leaves the last segment min_size long
        if new == 0 or new >= min_size:  # a start must end a segment of min_size itself
            at[live], at_s1[live], at_s2[live], at_best[live] = new, s1[new], s2[new], best[new]
            live += 1
        starts = at[:live]
        sums = s1[end] - at_s1[:live]
        total = at_best[:live] + (s2[end] - at_s2[:live]) - sums * sums / (end - starts) + penalty
        pick = int(np.argmin(total))  # the first of equal minima: the earliest start
        best[end] = total[pick]
        start_of_last[end] = starts[pick]
        # A start whose cost already exceeds the best by more than a penalty can never win a
        # later end (adding a breakpoint never costs more than the penalty).
        keep = total <= best[end] + penalty
        kept = int(np.count_nonzero(keep))
        if kept < live:
            for buffer in (at, at_s1, at_s2, at_best):
                buffer[:kept] = buffer[:live][keep]
            live = kept
    points, end = [], n
    while end > 0:
        end = int(start_of_last[end])
        if end > 0:
            points.append(end)
    return sorted(points)
