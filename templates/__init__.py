"""Jinja templates of the HTML dashboard and the markdown summary (package data, read by
perf.reporter.render.templating)."""
