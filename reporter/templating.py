"""The Jinja environment of the renderers drawn from templates/ (the dashboard, the markdown summary)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=2)
def environment(*, html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # HTML: every label from the store is text, never markup. Markdown cells are escaped
        # by their renderer instead (a pipe would end a table cell).
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
