"""Renderers: text, markdown, JSON, CSV and the HTML dashboard, each a function of what compute
made; none touches the store."""
