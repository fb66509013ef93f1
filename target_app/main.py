"""The FastAPI app under test: `uvicorn target_app.main:app`.

Each scenario group is one router in `target_app/routers/`; settings come from the environment
(`target_app/settings.py`); the SQLite file and its connections live in `target_app/database.py`.

OpenAPI extensions read by perf's load generator, which builds its targets from /openapi.json:
- `x-perf-setup: true` marks an operation to call before measuring, never to load-test
  (`POST /api/db/seed`).
- `x-perf-skip: true` marks an operation that is not a scenario at all (`GET /health`).
Every path parameter and JSON body carries a concrete example (`schema.examples` for
parameters, `examples` of the `application/json` media type for bodies) so targets can be
built from the document alone.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from target_app.database import async_pool, prepare_database, sync_connections
from target_app.routers import cpu, db, fanout, items, payload, simple
from target_app.settings import settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Runs in every worker process, after any fork, so no connection is shared across processes.
    prepare_database(settings.db_path)
    sync_connections.configure(settings.db_path)
    await async_pool.open(settings.db_path, settings.aiosqlite_connections)
    try:
        cpu.pool.open(settings.cpu_processes)
        yield
    finally:
        cpu.pool.close()
        await async_pool.close()
        sync_connections.close_all()


app = FastAPI(
    title="perf target app",
    summary="Sync vs async, database access, fan-out, payload and CPU-bound scenarios to load-test.",
    version="1.0.0",
    lifespan=lifespan,
)
for scenario in (simple, db, fanout, items, payload, cpu):
    app.include_router(scenario.router)


@app.get("/health", tags=["meta"], openapi_extra={"x-perf-skip": True})
async def health():
    """Readiness probe: answers without touching the database or sleeping."""
    return {"status": "ok"}
