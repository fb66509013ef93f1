"""Pure pieces of the collector: option parsing, vegeta flags, sampling (discovery has its own
test files: test_discovery*.py, test_schema_values.py, test_targets_file.py)."""

from __future__ import annotations

import json

import pytest

from perf.collector.load.attack import attack_args, rate_flag
from perf.collector.storage.attacks import generator_verdict
from perf.collector.settings.settings import parse_duration, parse_numbers
from perf.base.errors import PerfError

def test_duration_and_number_parsing():
    assert parse_duration("10s") == 10 and parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120 and parse_duration("3") == 3
    for bad in ("", "ten", "-1s", "0s", "5 parsecs"):
        with pytest.raises(PerfError):
            parse_duration(bad)
    assert parse_numbers(["50", "100/s", "12.5"], "--rates") == [50, 100, 12.5]
    with pytest.raises(PerfError, match="bad --workers value 'x'"):
        parse_numbers(["x"], "--workers", int)


def test_vegeta_flags_for_open_and_closed_loop():
    assert rate_flag(50) == "50/1s" and rate_flag(12.5) == "12500/1000s"
    open_loop = attack_args("vegeta", "t.jsonl", "rate", 50, 2, 5)
    assert "-rate=50/1s" in open_loop and "-duration=2s" in open_loop and "-timeout=5s" in open_loop
    closed = attack_args("vegeta", "t.jsonl", "concurrency", 5, 2, 5)
    assert {"-rate=0", "-max-workers=5", "-workers=5"} <= set(closed)
    assert "-redirects=-1" in open_loop and "-redirects=-1" in closed  # a 3xx is the answer


def test_generator_verdict():
    assert generator_verdict("rate", 100, 99.5, 10) == (True, "")
    ok, note = generator_verdict("rate", 100, 90, 10)
    assert not ok and "sent 90.0/s < 99% of target 100/s" in note
    ok, note = generator_verdict("concurrency", None, 500, 97)
    assert not ok and "vegeta CPU-bound" in note


def _vegeta_record(seq, code, body=b"", error="", url="http://h/x", latency=1000):
    import base64

    return [str(1795305502670528600 + seq), str(code), str(latency), "0", str(len(body)), error,
            base64.b64encode(body).decode(), "", str(seq), "GET", url,
            base64.b64encode(b"Content-Type: text/plain\r\n").decode()]


def _filtered(rows, masker=None):
    import csv
    import io

    from perf.collector.load.results_filter import ResultsFilter

    source = io.StringIO(newline="")
    for row in rows:  # as vegeta writes it: "\n" ends a record, a field with "\r" is quoted
        line = io.StringIO(newline="")
        csv.writer(line, lineterminator="\r\n").writerow(row)
        source.write(line.getvalue()[:-2] + "\n")
    source.seek(0)
    out = io.StringIO(newline="")
    kept = ResultsFilter(masker, "r.csv")
    kept.copy(source, out)
    out.seek(0)
    return kept, list(csv.reader(out))


def test_results_filter_keeps_one_masked_sample_per_failing_code_and_counts():
    """Bodies and headers never reach the file perf keeps, but for the first non-empty body of
    each failing code, masked then cut to BODY_SAMPLE_BYTES; every other field is copied."""
    import base64

    from perf.collector.settings.secrets import Masker
    from perf.store.failures import BODY_SAMPLE_BYTES

    secret = "SECRET-777"
    big = b"x" * (BODY_SAMPLE_BYTES - 5) + secret.encode() + b"y" * 5000
    rows = [_vegeta_record(0, 200, b"ok" * 1000),
            _vegeta_record(1, 500, b""),  # empty: the next 500's body is the sample
            _vegeta_record(2, 500, big, error="500 Internal Server Error"),
            _vegeta_record(3, 500, b"second 500"),
            _vegeta_record(4, 307, b"moved"),
            _vegeta_record(5, 0, error=f'Get "http://h/x?token={secret}": dial tcp: refused',
                           url=f"http://h/x?token={secret}"),
            _vegeta_record(6, 422, b'{"input":"' + secret.encode() + b'"}', error="a\rb")]
    kept, out = _filtered(rows, Masker([secret]))
    assert (kept.results, kept.successes) == (7, 2)
    assert [len(r) for r in out] == [12] * 7
    assert [r[11] for r in out] == [""] * 7  # response headers: never kept
    bodies = [base64.b64decode(r[6]) for r in out]
    assert bodies[0] == bodies[1] == bodies[3] == bodies[4] == b""
    # masked before the cut: the secret straddling BODY_SAMPLE_BYTES is not half kept
    assert bodies[2] == (b"x" * (BODY_SAMPLE_BYTES - 5) + b"***yy")[:BODY_SAMPLE_BYTES]
    assert bodies[6] == b'{"input":"***"}'
    assert out[5][5] == 'Get "http://h/x?token=***": dial tcp: refused'
    assert out[5][10] == "http://h/x?token=***"
    assert out[6][5] == "a\rb"
    for before, after in zip(rows, out):  # the rest exactly as vegeta wrote it
        assert before[:5] + before[7:10] == after[:5] + after[7:10]


@pytest.mark.parametrize("row, message", [
    (_vegeta_record(0, 200, latency=-5), "r.csv: result 2: negative latency (-5 ns)"),
    (_vegeta_record(0, 200)[:9], "r.csv: result 2: 9 fields where a vegeta result has 12"),
    (["1795305502670528600", "OK"] + [""] * 10, "r.csv: result 2: status code 'OK' is not a number"),
])
def test_results_filter_refuses_what_is_not_a_result(row, message):
    from perf.collector.load.results_filter import BadResults

    with pytest.raises(BadResults) as refused:
        _filtered([_vegeta_record(0, 200), row])
    assert str(refused.value) == message


def test_old_server_logs_are_pruned_to_the_newest(tmp_path):
    import os

    from perf.collector.server.server import prune_logs

    for i in range(6):
        log = tmp_path / f"uvicorn-w1-{9000 + i}.log"
        log.write_text(f"start {i}\n")
        os.utime(log, (1_700_000_000 + i, 1_700_000_000 + i))  # log i is the i-th newest start
    (tmp_path / "notes.txt").write_text("not a server log")
    prune_logs(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt", "uvicorn-w1-9004.log", "uvicorn-w1-9005.log"]


def test_large_bodies_grow_the_example_to_the_size():
    from perf.collector.requests.payload import grow_body
    from perf.collector.settings.settings import size_text
    from perf.collector.settings.settings import parse_size

    example = {"name": "small", "data": {"a": 1, "b": 2}}
    for size in (1_000, 250_000, 1_000_003):
        body = grow_body(example, size)
        entry = len('"k100000":1,')
        assert size <= len(body) < size + entry
        doc = json.loads(body)
        assert doc["name"] == "small" and set(doc["data"].values()) == {1}
    listed = json.loads(grow_body({"items": [{"x": 1}], "n": 2}, 500))
    assert listed["n"] == 2 and len(listed["items"]) > 10 and listed["items"][-1] == {"x": 1}
    with pytest.raises(PerfError, match="no object or array field"):
        grow_body({"name": "x", "description": "y"}, 1000)
    assert [parse_size(t) for t in ("25MB", "512KiB", "300", "1.5 mb")] == [
        25_000_000, 524_288, 300, 1_500_000]
    for bad in ("25 parsecs", "0MB", "-1MB"):
        with pytest.raises(PerfError, match="bad --large-body"):
            parse_size(bad)
    assert [size_text(n) for n in (25_000_000, 1_500_000, 512_000, 300)] == [
        "25MB", "1.5MB", "512KB", "300B"]


