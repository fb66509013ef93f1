"""Within-attack series: LTTB against a hand-checked case, spectra against numpy on real stores."""

from __future__ import annotations

import numpy as np
import pytest

from perf.store.database import open_store
from perf.reporter.query.series import SPECTRUM_P, lttb, over_time, spectra, spectrum_points
from tests.fake_sweep import DEFAULT_ENDPOINTS, add_run


def test_lttb_hand_checked():
    # every = (8 - 2) / (4 - 2) = 3. Bucket [1, 4) against the mean of [4, 7) = (5, 2): triangle
    # areas 4, 2, 3 -> index 1. Bucket [4, 7) against point 7 = (7, 0) from (1, 2): areas
    # 12, 2, 2 -> index 4. First and last always stay.
    x = np.arange(8.0)
    y = np.array([0, 2, 0, 0, 5, 0, 1, 0], dtype=float)
    assert lttb(x, y, 4).tolist() == [0, 1, 4, 7]


def test_lttb_keeps_everything_when_small_and_caps_when_large():
    x = np.arange(10.0)
    assert lttb(x, x, 10).tolist() == list(range(10))
    assert lttb(x, x, 50).tolist() == list(range(10))
    assert lttb(np.arange(0.0), np.arange(0.0), 5).tolist() == []
    big = np.arange(100_000.0)
    y = np.sin(big / 500.0)
    y[12_345] = 40.0  # one spike: LTTB must keep it, striding would not
    kept = lttb(big, y, 4000)
    assert len(kept) == 4000
    assert np.all(np.diff(kept) > 0)
    assert 12_345 in kept


def test_spectrum_points_drops_unresolvable_percentiles():
    spec = spectrum_points([0.0, 0.5, 0.9, 0.99, 0.999], [1, 2, 3, 4, 5], requests=200, max_ms=9.0)
    assert spec.p == [0.0, 0.5, 0.9, 0.99, 1.0]
    assert spec.x == pytest.approx([1, 2, 10, 100, 200])
    assert spec.ms == [1, 2, 3, 4, 9.0]


@pytest.fixture
def small_store(tmp_path):
    con = open_store(tmp_path / "perf.duckdb")
    ids = add_run(con, tmp_path, "run-1", endpoints=DEFAULT_ENDPOINTS[2:4], rates=(50, 100),
                  workers=(1,), duration_s=3.0)
    yield con, ids
    con.close()


def test_spectrum_is_exact(small_store):
    con, ids = small_store
    spec = spectra(con, ids)
    assert set(spec) == set(ids)
    for attack_id in ids:
        ns = con.execute("SELECT latency_ns FROM requests WHERE attack_id = ?",
                         [attack_id]).fetchnumpy()["latency_ns"].astype(float)
        s = spec[attack_id]
        for p, ms in zip(s.p[:-1], s.ms[:-1]):
            assert ms == pytest.approx(np.quantile(ns, p) / 1e6, rel=1e-9)
        assert s.ms[-1] == pytest.approx(ns.max() / 1e6)
        assert s.x[-1] == len(ns)
        assert all(x < len(ns) for x in s.x[:-1])
        assert set(s.p[:-1]) <= set(SPECTRUM_P)


def test_over_time_splits_errors_and_downsamples(small_store):
    con, ids = small_store
    overloaded = ids[1]  # async_blocking at 100/s: far past its ~20/s, so it times out
    n, n_err = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE code < 200 OR code >= 400) FROM requests "
        "WHERE attack_id = ?", [overloaded]).fetchone()
    full = over_time(con, overloaded, max_points=10_000)
    assert (full.requests, full.errors) == (n, n_err)
    assert n_err > 0 and len(full.err_t) == n_err and len(full.ok_t) == n - n_err
    assert full.err_label[0] == "0 context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    small = over_time(con, overloaded, max_points=50)
    assert len(small.ok_t) == 50 and len(small.err_t) == min(50, n_err)
    assert small.ok_t == sorted(small.ok_t)
    # the slowest success survives downsampling (LTTB keeps extremes)
    assert max(small.ok_ms) == pytest.approx(max(full.ok_ms), rel=1e-3)
