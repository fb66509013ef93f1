"""Rates and durations are finite and expressible: the option parsers refuse the rest
(the injected faults of real processes are in tests/system/test_faults.py)."""

from __future__ import annotations

import pytest

from perf.base.errors import PerfError
from perf.collector.load.attack import rate_flag
from perf.collector.settings.settings import parse_duration, parse_numbers


def test_rates_and_durations_are_finite_and_expressible():
    for bad in ("nan", "inf", "-inf"):
        with pytest.raises(PerfError, match="expected a finite number"):
            parse_numbers([bad], "--rates")
    assert rate_flag(0.0001) == "1/10000000000000ns"  # not 0/1000s: vegeta's "no limit"
    assert rate_flag(0.0126) == "1/79365079365ns"
    assert rate_flag(12.5) == "12500/1000s" and rate_flag(40) == "40/1s"
    with pytest.raises(PerfError, match="too long for vegeta"):
        parse_duration("9999999999s")  # past a Go duration: vegeta could not read it
    assert parse_duration("2562047h") == 2562047 * 3600
