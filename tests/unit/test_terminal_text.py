"""The live display shows names without their terminal escapes (tests/system/test_terminal_text.py
reads a real collect's output)."""

from __future__ import annotations

import io

from tests.system.test_terminal_text import ESCAPED, SHOWN  # noqa: F401 (fixtures too)


def test_the_live_display_shows_names_without_their_escapes():
    from rich.console import Console

    from perf.collector.sweep.progress import RichProgress

    out = io.StringIO()
    progress = RichProgress(Console(file=out, force_terminal=True, width=200))
    progress.start(1, 1.0)
    progress.message(f"skipped {ESCAPED}: its reason")
    progress.attack_started(1, f"{ESCAPED} @ 5/s [uvicorn w1]", 1.0)
    progress.tick(0.5, 2, 2)
    progress.attack_done(f"{ESCAPED} @ 5/s [uvicorn w1]: 5 requests", 1.0)
    progress.close()
    shown = out.getvalue()
    assert "\x07" not in shown and "\x1b]" not in shown and "\x1b[31m" not in shown, repr(shown)
    assert f"skipped {SHOWN}: its reason" in shown
