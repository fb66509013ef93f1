"""The one failure of value generation, and how its reasons are written."""

from __future__ import annotations

class Unbuildable(Exception):
    """No valid value could be made; the message is the one-line reason."""


def first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 160 else line[:157] + "..."

