"""Background loads: the --background syntax, resolving it against a real app's endpoints, and
the --scenario presets."""

from __future__ import annotations

import json

import pytest

from perf.collector.load.background import mix_label, plan_mix, resolve
from perf.collector.settings.background import (SCENARIOS, Background, format_background,
                                                from_large_body, parse_background, scenario_settings)
from perf.collector.requests.discovery import Overrides, discover
from perf.collector.requests.payload import grow_body
from perf.collector.settings.settings import build_settings
from perf.base.errors import PerfError


@pytest.fixture(scope="module")
def spec():
    from target_app.main import app

    return app.openapi()


@pytest.fixture(scope="module")
def endpoints(spec):
    """target_app's endpoints, discovered from its own OpenAPI document."""
    return discover(spec).endpoints


def by_name(endpoints, name):
    return next(e for e in endpoints if e.name == name)


@pytest.mark.parametrize("text, parsed", [
    ("POST /api/payload/pong size=25MB rate=1", Background("POST /api/payload/pong", 1.0, 25 * 10**6)),
    ("size=25MB rate=1", Background(None, 1.0, 25 * 10**6)),
    ("  post   /api/payload/ping  rate=0.5 ", Background("POST /api/payload/ping", 0.5, None)),
    ("GET /api/simple/async_blocking/{item_id} rate=5",
     Background("GET /api/simple/async_blocking/{item_id}", 5.0, None)),
    ("/items rate=20", Background("/items", 20.0, None)),
    ("POST /api/payload/pong", Background("POST /api/payload/pong", 1.0, None)),  # 1/s
    ("size=1MiB", Background(None, 1.0, 2**20)),
    ("rate=3/s size=512kb", Background(None, 3.0, 512_000)),
])
def test_the_syntax(text, parsed):
    assert parse_background(text) == parsed


@pytest.mark.parametrize("text, message", [
    ("", "bad --background '': expected [METHOD /path] [rate=R] [size=SIZE], e.g. "
         "\"POST /api/payload/pong size=25MB rate=1\""),
    ("POST", "bad --background 'POST': 'POST' is not an endpoint; write METHOD /path, e.g. "
             "POST /api/payload/pong"),
    ("POST api/payload rate=1", "bad --background 'POST api/payload rate=1': 'POST api/payload' "
                                "is not an endpoint; write METHOD /path, e.g. POST /api/payload/pong"),
    ("rate=1 POST /x", "bad --background 'rate=1 POST /x': 'POST' is not one of rate=R, size=SIZE "
                       "(and the endpoint comes first)"),
    ("POST /x speed=1", "bad --background 'POST /x speed=1': 'speed=1' is not one of rate=R, "
                        "size=SIZE (and the endpoint comes first)"),
    ("POST /x rate=1 rate=2", "bad --background 'POST /x rate=1 rate=2': rate= is given twice"),
    ("POST /x rate=fast", "bad --background rate value 'fast': expected a positive number"),
    ("POST /x rate=0", "bad --background rate value '0': must be greater than zero"),
    ("POST /x size=25XB", "bad --background size '25XB': use a size like 25MB, 512KB or 1MiB"),
])
def test_a_bad_spec_is_one_line_naming_the_bad_part(text, message):
    with pytest.raises(PerfError) as err:
        parse_background(text)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_large_body_is_a_background_load_on_the_same_endpoint():
    assert from_large_body(25 * 10**6, 1.0) == parse_background("size=25MB rate=1")


@pytest.mark.parametrize("text", ["POST /api/payload/pong rate=1 size=25MB", "rate=2.5",
                                  "/items rate=20", "rate=1 size=1.5MB"])
def test_formatting_gives_back_the_same_load(text):
    load = parse_background(text)
    assert parse_background(format_background(load)) == load


def test_a_mix_resolves_against_the_app_and_is_labelled(endpoints):
    pong = by_name(endpoints, "POST /api/payload/pong")
    loads = [parse_background("size=25MB rate=1"),
             parse_background("GET /api/simple/async_blocking/{item_id} rate=5"),
             parse_background("/api/payload/ping rate=2 size=1MB")]
    mix = plan_mix(loads, pong, endpoints)
    assert [(m.endpoint.name, m.rate, m.size) for m in mix] == [
        ("POST /api/payload/pong", 1.0, 25 * 10**6),
        ("GET /api/simple/async_blocking/{item_id}", 5.0, None),
        ("POST /api/payload/ping", 2.0, 10**6)]
    assert mix_label(mix) == ("POST /api/payload/pong 25MB @ 1/s; "
                              "GET /api/simple/async_blocking/{item_id} @ 5/s; "
                              "POST /api/payload/ping 1MB @ 2/s")
    # the body the sweep will send: the endpoint's own example, grown, still valid JSON
    body = grow_body(mix[2].endpoint.body_example, mix[2].size)
    assert 10**6 <= len(body) < 10**6 + 100 and json.loads(body)["name"]


def test_the_foreground_endpoint_is_used_when_the_load_names_none(endpoints):
    ping = by_name(endpoints, "POST /api/payload/ping")
    assert resolve(parse_background("size=2MB"), ping, endpoints).endpoint is ping


def test_resolving_fails_before_anything_runs(endpoints):
    ping = by_name(endpoints, "POST /api/payload/ping")
    with pytest.raises(PerfError, match=r"^--background POST /nope: the app has no such endpoint; "
                                        r"it has: GET /api/simple/sync_threadpool/\{item_id\}, "):
        resolve(parse_background("POST /nope"), ping, endpoints)
    with pytest.raises(PerfError, match=r"^--background /items: 2 methods serve it \(GET, POST\); "
                                        r"write METHOD /items$"):
        resolve(parse_background("/items"), ping, endpoints)
    simple = by_name(endpoints, "GET /api/simple/async/{item_id}")
    with pytest.raises(PerfError, match=r"^--background size= grows an endpoint's example body, "
                                        r"which needs an object or array field; "
                                        r"GET /api/simple/async/\{item_id\} has none$"):
        plan_mix([parse_background("size=1MB")], simple, endpoints)


def test_every_scenario_is_options_the_sweep_already_parses(spec, endpoints):
    for name in SCENARIOS:
        for quick in (False, True):
            raw = scenario_settings(name, quick)
            # `background` is the one new option (phase 2 adds it to plan.OPTIONS)
            options = {k: v for k, v in raw.items() if k != "background"}
            settings = build_settings(options)  # the real option table parses every value
            chosen = discover(spec, Overrides(filters=tuple(settings.filters),
                                              endpoints=tuple(settings.endpoints))).endpoints
            assert sorted(e.name for e in chosen) == sorted(settings.endpoints), name
            loads = [parse_background(text) for text in raw.get("background", [])]
            for foreground in chosen:
                plan_mix(loads, foreground, endpoints)  # every load resolves beside each


def test_payload_interference_is_the_reference_study():
    full = scenario_settings("payload-interference")
    quick = scenario_settings("payload-interference", quick=True)
    assert full["endpoint"] == ["POST /api/payload/ping", "POST /api/payload/pong"]
    assert full["background"] == ["size=25MB rate=1"]
    assert full["workers"] == quick["workers"] == [1, 4]  # one worker against several
    assert quick["duration"] < full["duration"] and len(quick["rates"]) == 1
    assert full["server"] == quick["server"] == "gunicorn"


def test_an_unknown_scenario_names_the_known_ones():
    with pytest.raises(PerfError, match=r"^unknown --scenario 'payload'; known: "
                                        r"payload-interference$"):
        scenario_settings("payload")
