"""One live progress line fitted to the terminal's width: a line one cell too wide wraps, and
each redraw of the live display then leaves a stale copy behind (four lines at 80 columns).

The fields go from the richest layout to the barest, dropping the least useful first: the
bar (the percentage says the same), then the elapsed clock (the time left is what a user
waits on), then the live counts; the title, which says what is being attacked, is shortened
in its middle only when nothing else is left to drop."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

from perf.base.text import clock, plural

Piece = tuple[str, str | None]  # text and its rich style


def times_text(elapsed_s: float, left_s: float) -> str:
    """Both clocks, each named, so neither can be read as the other."""
    return f"elapsed {clock(elapsed_s)}, ~{clock(left_s)} left"


def live_text(elapsed_s: float, results: int, successes: int) -> str:
    """The current attack's own counts; no rate before a fifth of a second (it would be noise)."""
    rate = f", {successes / elapsed_s:.1f} ok/s" if elapsed_s > 0.2 else ""
    return f"{plural(results, 'result')}{rate}"

BAR_MIN, BAR_MAX = 10, 40
# Shortened no further than this while a field is left to drop: "[12/126] GET /a…/{id} @ 50/s"
# still says which attack; at 16 cells the index and method, and the time left.
TITLE_MIN, TITLE_NARROW = 32, 16
ELLIPSIS = "…"


def shorten(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, its middle replaced by an ellipsis: the head says
    which attack ([3/12] GET /api/...), the tail its load (@ 50/s)."""
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return ELLIPSIS[:cells]
    room = cells - 1
    head_cells = room * 2 // 5
    head, used = "", 0
    for ch in text:
        w = get_character_cell_size(ch)
        if used + w > head_cells:
            break
        head, used = head + ch, used + w
    tail, used_tail = "", 0
    for ch in reversed(text):
        w = get_character_cell_size(ch)
        if used + used_tail + w > room:
            break
        tail, used_tail = ch + tail, used_tail + w
    return head + ELLIPSIS + tail


def bar_pieces(fraction: float, cells: int) -> list[Piece]:
    done = round(max(0.0, min(1.0, fraction)) * cells)
    style = "bar.finished" if done == cells else "bar.complete"
    return [("━" * done, style), ("━" * (cells - done), "bar.back")]


def progress_line(width: int, title: str, fraction: float, elapsed_s: float, left_s: float,
                  live: str = "", title_cells: int = 0) -> list[Piece]:
    """The line's pieces, in at most `width` cells. `title_cells` pads the title so that the
    bars of several lines start in one column, when the line has room for it."""
    percent = f"{100 * max(0.0, min(1.0, fraction)):3.0f}%"
    full = cell_len(title)
    layouts = [  # (bar, clocks, live counts, fewest cells the title may be shortened to)
        (True, times_text(elapsed_s, left_s), live, full),
        (True, f"~{clock(left_s)} left", live, full),
        (False, f"~{clock(left_s)} left", live, full),
        (False, f"~{clock(left_s)} left", live, min(full, TITLE_MIN)),
        (False, f"~{clock(left_s)} left", "", min(full, TITLE_NARROW)),
        (False, "", "", 1),
    ]
    for with_bar, clocks, counts, fewest in layouts:
        tail = [(" " + percent, None)] + [(" " + t, style) for t, style in
                                          ((clocks, "dim"), (counts, None)) if t]
        room = width - sum(cell_len(t) for t, _ in tail) - (BAR_MIN + 1 if with_bar else 0)
        if room < fewest:
            continue
        if not with_bar:
            return [(shorten(title, room), None)] + tail
        padded = max(full, title_cells) if max(full, title_cells) <= room else full
        bar = min(BAR_MAX, BAR_MIN + room - padded)
        return [(title + " " * (padded - full) + " ", None)] + bar_pieces(fraction, bar) + tail
    return [(shorten(title, width), None)]


def plain(pieces: list[Piece]) -> str:
    return "".join(text for text, _ in pieces)
