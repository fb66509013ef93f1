"""perf's t-tests against scipy.stats's (the independent oracle) on the same values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from perf.reporter.compute import ttests


@pytest.mark.parametrize("seed", range(12))
def test_welch_and_one_sample_agree_with_scipy(seed):
    rng = np.random.default_rng(seed)
    nx, ny = rng.integers(2, 40, size=2)
    xs = list(rng.lognormal(3, rng.uniform(0.01, 1), nx))
    ys = list(rng.lognormal(3 + rng.normal(0, 0.3), rng.uniform(0.01, 1), ny))
    assert ttests.welch(xs, ys) == pytest.approx(stats.ttest_ind(xs, ys, equal_var=False).pvalue,
                                                 rel=1e-9, abs=1e-300)
    mu = float(np.median(ys))
    assert ttests.one_sample(xs, mu) == pytest.approx(stats.ttest_1samp(xs, mu).pvalue,
                                                      rel=1e-9, abs=1e-300)


def test_undefined_cases_are_nan():
    assert math.isnan(ttests.welch([1.0], [2.0, 3.0]))
    assert math.isnan(ttests.one_sample([1.0], 0.0))
    assert math.isnan(ttests.one_sample([2.0, 2.0], 0.0))


@pytest.mark.parametrize("df", [1.3, 2, 3.7, 10, 29.4, 100, 555.5, 1998, 1e4, 1e5])
def test_the_t_distribution_agrees_with_scipy_special(df):
    """The two-sided p-value from perf's incomplete beta function against scipy.special's
    Student t CDF, from the centre to far in the tail."""
    from scipy.special import stdtr

    for t in [*np.linspace(-40, 40, 321), 1e-3, 1e3]:
        want = float(2 * stdtr(df, -abs(t)))
        assert ttests._two_sided(float(t), df) == pytest.approx(want, rel=1e-9, abs=1e-300), t
