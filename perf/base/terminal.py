"""Text perf did not write, made safe to print on a terminal: endpoint paths, an app's error
messages and response bodies, server log lines, labels and host facts come from users, their
apps and the servers perf attacked, and must reach the screen as the text they are, never as
escape sequences (a colour, a window title, a cursor move) or a bell.

Shared by the collector (progress lines, the plan, the end of a sweep, error messages) and the
reporter (reporter/render/escape.py builds its markdown escaping on it).
"""

from __future__ import annotations

import re

# An escape sequence whole (CSI, OSC up to BEL or ST, DCS/SOS/PM/APC up to ST, two-byte ESC x),
# so no leftover like "]0;title" reaches the screen; then any single control character.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -~]?"
)
_SPACE = re.compile(r"[\t\n\r\v\f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """Control characters out (ESC sequences such as an OSC window-title change, BEL, CR,
    other C0/C1 controls, bidi overrides); line breaks and tabs become spaces."""
    text = _SEQUENCE.sub("", text)
    text = _SPACE.sub(" ", text)
    return _CONTROL.sub("", text)
