"""One artificial delay, served three ways: the basic sync-vs-async comparison."""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Path

from target_app.settings import settings

router = APIRouter(prefix="/api/simple", tags=["simple"])

DELAY_S = settings.simple_delay_s

ItemId = Annotated[int, Path(description="Echoed back; any integer.", examples=[42])]


@router.get("/sync_threadpool/{item_id}")
def sync_threadpool(item_id: ItemId):
    """`def` + `time.sleep`: FastAPI runs it in its threadpool, so it scales with threads."""
    time.sleep(DELAY_S)
    return {"item_id": item_id, "mode": "sync_threadpool", "delay_s": DELAY_S}


@router.get("/async_blocking/{item_id}")
async def async_blocking(item_id: ItemId):
    """Anti-pattern: `async def` + `time.sleep` blocks the event loop, serialising every request."""
    time.sleep(DELAY_S)
    return {"item_id": item_id, "mode": "async_blocking", "delay_s": DELAY_S}


@router.get("/async/{item_id}")
async def async_sleep(item_id: ItemId):
    """`async def` + `asyncio.sleep`: the loop serves other requests while this one waits."""
    await asyncio.sleep(DELAY_S)
    return {"item_id": item_id, "mode": "async", "delay_s": DELAY_S}
