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
