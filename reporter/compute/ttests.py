"""Student's and Welch's t-tests, two-sided, from the t distribution's CDF (scipy.special).

What scipy.stats.ttest_ind(equal_var=False) and ttest_1samp compute, without importing
scipy.stats: that import alone took 1.3 s of every `perf compare` and `perf history` (it loads
every distribution scipy has); scipy.special, which holds the CDF, takes a tenth of it. The
tests check these against scipy.stats on the same values.
"""

from __future__ import annotations

import math
import statistics


def _two_sided(t: float, df: float) -> float:
    from scipy.special import stdtr

    if math.isnan(t) or math.isnan(df):
        return math.nan
    return float(2 * stdtr(df, -abs(t)))


def welch(xs: list[float], ys: list[float]) -> float:
    """The p-value that two samples share a mean, their variances not assumed equal."""
    nx, ny = len(xs), len(ys)
    if nx < 2 or ny < 2:
        return math.nan
    vx, vy = statistics.variance(xs) / nx, statistics.variance(ys) / ny
    se2 = vx + vy
    if se2 == 0:
        return math.nan
    t = (statistics.fmean(xs) - statistics.fmean(ys)) / math.sqrt(se2)
    df = se2 * se2 / (vx * vx / (nx - 1) + vy * vy / (ny - 1))
    return _two_sided(t, df)


def one_sample(xs: list[float], mean: float) -> float:
    """The p-value that a sample's mean is `mean`."""
    n = len(xs)
    if n < 2:
        return math.nan
    sd = statistics.stdev(xs)
    if sd == 0:
        return math.nan
    return _two_sided((statistics.fmean(xs) - mean) / (sd / math.sqrt(n)), n - 1)
