"""Student's and Welch's t-tests, two-sided, from the t distribution's CDF.

What scipy.stats.ttest_ind(equal_var=False) and ttest_1samp compute, without importing scipy:
scipy.stats alone took 1.3 s of every `perf compare` and `perf history` (it loads every
distribution scipy has), and even scipy.special, which holds the CDF, 0.2 s. The two-sided
p-value of t with df degrees of freedom is the regularized incomplete beta function
I_x(df/2, 1/2) at x = df / (df + t²), computed here by its continued fraction (Lentz's method,
as in Numerical Recipes' betacf). The tests check it against scipy.special and these tests
against scipy.stats on the same values.
"""

from __future__ import annotations

import math
import statistics

_EPS = 1e-16
_TINY = 1e-300


def _two_sided(t: float, df: float) -> float:
    if math.isnan(t) or math.isnan(df):
        return math.nan
    if math.isinf(t):
        return 0.0
    # x and 1 - x each from its own formula: 1 - x written as a difference would lose every
    # digit of a small t.
    return _betainc(df / 2, 0.5, df / (df + t * t), t * t / (df + t * t))


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1, y = 1 - x."""
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log(y))
    # The continued fraction converges fast below the mean of the beta distribution; above
    # it, by the symmetry I_x(a, b) = 1 - I_y(b, a).
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                          -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return h


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
