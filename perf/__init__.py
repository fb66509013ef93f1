"""perf: load-test FastAPI endpoints with vegeta and keep every run in DuckDB."""

__version__ = "0.1.0"
