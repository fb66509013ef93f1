"""The FastAPI app under test: every scenario perf measures (see README.md)."""
