"""The progress text: its words, clocks and plain lines (tests/system/test_progress_live.py reads
a real collect's live bars from a pseudo-terminal)."""

from __future__ import annotations

from perf.base.text import plural
from perf.collector.sweep.progress import PlainProgress, live_text, times_text


def test_words_and_clocks():
    assert plural(1, "worker") == "1 worker" and plural(2, "worker") == "2 workers"
    assert plural(2, "concurrency level") == "2 concurrency levels"
    assert times_text(1, 6) == "elapsed 0:01, ~0:06 left"
    assert live_text(0.1, 1, 1) == "1 result"  # no rate from a tenth of a second
    assert live_text(2.0, 100, 99) == "100 results, 49.5 ok/s"


def test_plain_progress_lines(tmp_path):
    with open(tmp_path / "log", "w") as fh:
        p = PlainProgress(stream=fh)
        p.start(1, 3.0)
        p.attack_started(1, "GET /x @ 10/s", 3.0)
        p.attack_done("GET /x: 30 requests", 3.0)
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[0] == "sweep: 1 attack, 0:03 of load planned"
    assert lines[2].startswith("[1/1] GET /x: 30 requests (elapsed 0:") and lines[2].endswith(
        ", ~0:00 of load left)")


