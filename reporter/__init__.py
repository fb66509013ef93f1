"""perf's reporter: query the store -> compute (pure functions) -> render (text, json, csv, markdown, html)."""
