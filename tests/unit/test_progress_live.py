"""The progress text: its words, clocks and plain lines (tests/system/test_progress_live.py reads
a real collect's live bars from a pseudo-terminal)."""

from __future__ import annotations

from perf.base.text import plural
from perf.collector.sweep.progress import PlainProgress
from rich.cells import cell_len

from perf.collector.sweep.progress_line import live_text, plain, progress_line, shorten, times_text


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




TITLE = "[12/126] GET /api/simple/async/{item_id} @ 100/s [uvicorn w4]"
LIVE = "1234 results, 98.7 ok/s"


def _line(width: int, title: str = TITLE, live: str = LIVE, title_cells: int = 0) -> str:
    return plain(progress_line(width, title, 0.4, 65, 100, live, title_cells=title_cells))


def test_a_progress_line_never_exceeds_the_width():
    for width in range(10, 201):
        for title in (TITLE, "sweep", "[1/2] GET /商品/{商品id} @ 10/s [uvicorn w1]"):
            assert cell_len(_line(width, title)) <= width, (width, title)


def test_at_120_columns_the_elapsed_clock_goes_first():
    assert _line(140).startswith(TITLE + " ━") and _line(140).endswith(
        " 40% elapsed 1:05, ~1:40 left " + LIVE)
    line = _line(120)
    assert line.startswith(TITLE + " ━") and line.endswith(" 40% ~1:40 left " + LIVE)


def test_at_80_columns_the_bar_and_elapsed_clock_go_before_the_title_shortens():
    line = _line(80)
    assert "━" not in line and "elapsed" not in line
    assert line.endswith(" 40% ~1:40 left " + LIVE)
    # shortened in its middle: which attack, and at what load, still show
    assert line.startswith("[12/126] GET /a") and "…" in line and "@ 100/s [uvicorn w4]" in line
    assert _line(80, "sweep", "").startswith("sweep ━")  # a short title keeps its bar


def test_at_40_columns_the_title_percentage_and_time_left():
    line = _line(40)
    assert line.startswith("[12/126]") and line.endswith(" 40% ~1:40 left") and LIVE not in line


def test_bars_start_in_one_column_when_there_is_room():
    sweep, attack = _line(160, "sweep", "", title_cells=len(TITLE)), _line(160)
    assert sweep.index("━") == attack.index("━") == len(TITLE) + 1
    assert _line(80, "sweep", "", title_cells=len(TITLE)).startswith("sweep ━")  # no room: no pad


def test_shorten_counts_cells():
    assert shorten("abcdefghij", 10) == "abcdefghij"
    assert shorten("abcdefghij", 6) == "ab…hij"
    assert cell_len(shorten("商品商品商品商品", 7)) <= 7
