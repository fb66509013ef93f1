"""Issue 19, defect 13: --quick keeps to about a minute of load on any app."""

from __future__ import annotations

from types import SimpleNamespace

from perf.collector.settings.settings import build_settings
from perf.collector.sweep.quick_budget import fit_quick
from perf.collector.sweep.shape import planned_attacks


def _load_s(settings, endpoints, workers):
    return planned_attacks(settings, endpoints, workers)[2]


def _found(n):
    return SimpleNamespace(endpoints=[SimpleNamespace(path=f"/r{i:03d}/{{id}}", method="GET")
                                      for i in range(n)])


def test_a_big_app_gets_one_rate_and_a_spread_sample_within_the_budget():
    settings = build_settings({"app": "big:app"}, quick=True)
    found = _found(243)
    note = fit_quick(settings, found, 1, _load_s)
    assert _load_s(settings, len(found.endpoints), 1) <= settings.quick_budget_s
    assert settings.rates == [20.0] and len(found.endpoints) == 30
    paths = [e.path for e in found.endpoints]
    assert paths[0] == "/r000/{id}" and paths[-1] == "/r242/{id}"  # spread from end to end
    assert note.startswith("--quick: one rate (20/s), 30 of 243 operations")
    again = _found(243)
    fit_quick(build_settings({"app": "big:app"}, quick=True), again, 1, _load_s)
    assert [e.path for e in again.endpoints] == paths  # the same sample every time


def test_a_small_app_and_rates_the_user_gave_are_left_alone():
    settings = build_settings({}, quick=True)
    found = _found(9)
    assert fit_quick(settings, found, 1, _load_s) is None and len(found.endpoints) == 9
    given = build_settings({"app": "big:app", "rates": "5,10"}, quick=True)
    fit_quick(given, _found(243), 1, _load_s)
    assert given.rates == [5.0, 10.0]
    assert fit_quick(build_settings({"app": "big:app"}), _found(243), 1, _load_s) is None
