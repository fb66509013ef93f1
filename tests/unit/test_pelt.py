"""perf's PELT (reporter/compute/pelt.py) against ruptures' Pelt, the implementation it replaces,
as the independent oracle: the same breakpoints on seeded series of every shape perf meets
(levels with noise, near-noiseless, rounded values, log latencies, constants, zeros) at the
minimum segment lengths perf uses and penalties from tiny to large. Where several splits are
exactly optimal (rounded values and zeros under a tiny penalty tie), which one wins is decided
by floating-point rounding in either implementation: there the split must cost the same as
ruptures' (computed independently, by numpy's var), and such ties must stay rare."""

from __future__ import annotations

import math

import numpy as np
import pytest
import ruptures

from perf.reporter.compute.changepoints import MIN_SEGMENT
from perf.reporter.compute.pelt import pelt_l2


def _ruptures(x: np.ndarray, penalty: float, min_size: int) -> list[int]:
    algo = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(x.reshape(-1, 1))
    return [b for b in algo.predict(pen=penalty) if b < len(x)]


def _cost(x: np.ndarray, points: list[int], penalty: float) -> float:
    bounds = [0, *points, len(x)]
    return sum(float(np.var(x[a:b])) * (b - a) + penalty for a, b in zip(bounds, bounds[1:]))


def _series(rng: np.random.Generator, kind: int, n: int) -> np.ndarray:
    levels = rng.choice([0.0, 0.5, 1.0, 3.0], size=int(rng.integers(1, 6)))
    x = np.zeros(n)
    for cut, level in zip(np.sort(rng.integers(0, n, size=len(levels) - 1)), levels[1:]):
        x[cut:] += level
    return [
        lambda: x + rng.normal(0, 1, n),
        lambda: x + rng.normal(0, 0.05, n),
        lambda: np.round(x + rng.normal(0, 1, n)),  # ties between splits
        lambda: np.log(np.exp(x) * 50 + rng.exponential(5, n)),  # latencies on perf's log scale
        lambda: np.full(n, 7.0),
        lambda: np.where(rng.random(n) < 0.5, 0.0, x),  # zeros, as an error rate has
    ][kind]()


@pytest.mark.parametrize("kind", range(6))
def test_the_same_breakpoints_as_ruptures(kind):
    rng = np.random.default_rng(100 + kind)
    compared = ties = 0
    for _ in range(40):
        n = int(rng.integers(2, 100))
        min_size = int(rng.choice([1, MIN_SEGMENT, 3]))
        penalty = float(rng.choice([0.1, 1.0, 3.0, 12.0])) * math.log(max(n, 2))
        x = _series(rng, kind, n)
        if n < 2 * min_size:
            assert pelt_l2(x, penalty, min_size) == []
            continue
        ours, theirs = pelt_l2(x, penalty, min_size), _ruptures(x, penalty, min_size)
        if ours != theirs:
            assert all(b - a >= min_size for a, b in zip([0, *ours], [*ours, n])), ours
            assert math.isclose(_cost(x, ours, penalty), _cost(x, theirs, penalty),
                                rel_tol=1e-9, abs_tol=1e-9), (n, min_size, penalty, ours, theirs)
            ties += 1
        compared += 1
    assert compared > 25 and ties <= compared // 10


def test_a_clear_shift_is_found_where_it_is_and_noise_alone_has_none():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 0.1, 500), rng.normal(1, 0.1, 500)])
    assert pelt_l2(x, 3 * 0.01 * math.log(1000), MIN_SEGMENT) == [500]
    assert pelt_l2(rng.normal(0, 0.1, 1000), 3 * 0.01 * math.log(1000), MIN_SEGMENT) == []


def test_series_split_together_get_the_answers_each_gets_alone():
    """pelt_l2_many groups series by length and splits a group at once: each series' answer
    is the one it gets alone, whatever it is grouped with."""
    from perf.reporter.compute.pelt import pelt_l2_many

    rng = np.random.default_rng(11)
    xs = [_series(rng, kind % 6, n) for kind, n in enumerate([60, 60, 60, 1, 3, 60, 90, 90, 60])]
    penalties = [float(rng.choice([0.5, 3.0, 12.0])) * math.log(len(x) + 1) for x in xs]
    assert pelt_l2_many(xs, penalties, MIN_SEGMENT) == [pelt_l2(x, p, MIN_SEGMENT)
                                                        for x, p in zip(xs, penalties)]


def test_against_ruptures_on_a_long_series():
    rng = np.random.default_rng(3)
    x = _series(rng, 3, 600)
    penalty = 3 * 0.04 * math.log(600)
    assert pelt_l2(x, penalty, MIN_SEGMENT) == _ruptures(x, penalty, MIN_SEGMENT)


@pytest.mark.parametrize("n, shifts", [
    (1000, {300: 1.3, 700: 0.8}),
    (5000, {1200: 1.25, 3100: 1.3, 4400: 0.7}),
])
def test_change_points_on_long_histories_land_on_the_known_shifts(n, shifts):
    """A latency history of n runs (log-normal noise, 10% spread) whose level moves by a
    known factor at known runs: the change points are at those runs, with those shifts, and
    nothing else; the same history without the shifts has none."""
    from perf.reporter.compute.changepoints import change_points

    rng = np.random.default_rng(n)
    level = np.full(n, 50.0)
    for at, factor in shifts.items():
        level[at:] *= factor
    noisy = level * rng.lognormal(0, 0.1, n)
    found = change_points(list(noisy))
    # Within two runs: with 10% noise, a run beside the shift can look like the other level.
    assert len(found) == len(shifts) and all(
        abs(cp.index - at) <= 2 for cp, at in zip(found, shifts)), [cp.index for cp in found]
    for cp, factor in zip(found, shifts.values()):
        assert cp.change == pytest.approx(factor - 1, abs=0.03)
    assert change_points(list(50.0 * rng.lognormal(0, 0.1, n))) == []
