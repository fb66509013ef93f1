"""The real-process tier: real uvicorn/gunicorn servers, real vegeta attacks, the installed `perf`
command, Chromium. Slower; `make test` runs it after the in-process tier (tests/unit/)."""
