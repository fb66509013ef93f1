"""The Jinja environment of the renderers drawn from templates/ (the dashboard, the markdown
summary): package data of perf.templates, found with importlib.resources wherever perf is
installed."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import jinja2

TEMPLATES = files("perf.templates")


@lru_cache(maxsize=2)
def environment(*, html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: TEMPLATES.joinpath(name).read_text("utf-8")),
        # HTML: every label from the store is text, never markup. Markdown cells are escaped
        # by their renderer instead (a pipe would end a table cell).
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
