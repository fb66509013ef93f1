"""SQLite reads and writes, each three ways: aiosqlite, sqlite3 in the threadpool, and sqlite3
called straight from `async def` (the anti-pattern that blocks the event loop)."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, Field

from target_app.database import SQLITE_MAX_INT, SQLITE_MIN_INT, async_pool, seed_tables, sync_connections
from target_app.params import SeededId

router = APIRouter(prefix="/api/db", tags=["db"])

SELECT_ONE = "SELECT id, name, value FROM bench_items WHERE id = ?"
INSERT_ONE = "INSERT INTO bench_items (name, value) VALUES (?, ?)"


class BenchItemIn(BaseModel):
    name: str = Field(max_length=255)
    value: int = Field(ge=SQLITE_MIN_INT, le=SQLITE_MAX_INT)


NewBenchItem = Annotated[
    BenchItemIn,
    Body(openapi_examples={"typical": {"summary": "one small row", "value": {"name": "widget", "value": 7}}}),
]


def _read_result(row: tuple | None, item_id: int, mode: str) -> dict:
    if row is None:
        raise HTTPException(status_code=404, detail=f"bench item {item_id} not found")
    found_id, name, value = row
    return {"id": found_id, "name": name, "value": value, "mode": mode}


def _write_result(new_id: int, item: BenchItemIn, mode: str) -> dict:
    return {"id": new_id, "name": item.name, "value": item.value, "mode": mode}


@router.get("/async/read/{item_id}")
async def read_async(item_id: SeededId):
    rows = await async_pool.get().execute_fetchall(SELECT_ONE, (item_id,))
    return _read_result(rows[0] if rows else None, item_id, "async")


@router.get("/sync_threadpool/read/{item_id}")
def read_sync_threadpool(item_id: SeededId):
    row = sync_connections.get().execute(SELECT_ONE, (item_id,)).fetchone()
    return _read_result(row, item_id, "sync_threadpool")


@router.get("/async_blocking/read/{item_id}")
async def read_async_blocking(item_id: SeededId):
    row = sync_connections.get().execute(SELECT_ONE, (item_id,)).fetchone()
    return _read_result(row, item_id, "async_blocking")


@router.post("/async/write", status_code=201)
async def write_async(item: NewBenchItem):
    # execute_insert runs the INSERT and reads its rowid in one hop to the connection's thread,
    # so a coroutine sharing the connection cannot slip in between.
    inserted = await async_pool.get().execute_insert(INSERT_ONE, (item.name, item.value))
    return _write_result(inserted[0], item, "async")


@router.post("/sync_threadpool/write", status_code=201)
def write_sync_threadpool(item: NewBenchItem):
    cursor = sync_connections.get().execute(INSERT_ONE, (item.name, item.value))
    return _write_result(cursor.lastrowid, item, "sync_threadpool")


@router.post("/async_blocking/write", status_code=201)
async def write_async_blocking(item: NewBenchItem):
    cursor = sync_connections.get().execute(INSERT_ONE, (item.name, item.value))
    return _write_result(cursor.lastrowid, item, "async_blocking")


@router.post("/seed", openapi_extra={"x-perf-setup": True})
def seed():
    """(Re)create `bench_items` and `items` with exactly ids 1..2000. A set-up step, not a scenario."""
    counts = seed_tables(sync_connections.get())
    return {"count": counts["bench_items"], "items": counts["items"]}
