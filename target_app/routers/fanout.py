"""Three slow calls per request, combined four ways: where async helps latency and where it doesn't."""

import asyncio
import time

from fastapi import APIRouter

from target_app.settings import settings

router = APIRouter(prefix="/api/fanout", tags=["fanout"])

DELAY_S = settings.fanout_delay_s
# Inputs of the three independent calls; the dependent chain starts from the first.
INPUTS = (1, 10, 100)


def blocking_call(value: int) -> int:
    """Stands in for a slow blocking dependency (a sync client, a legacy SDK)."""
    time.sleep(DELAY_S)
    return value + 1


async def async_call(value: int) -> int:
    """Stands in for a slow awaitable dependency (a database, an HTTP or model API)."""
    await asyncio.sleep(DELAY_S)
    return value + 1


def _result(mode: str, results: list[int]) -> dict:
    return {"mode": mode, "calls": len(results), "delay_s": DELAY_S, "results": results}


@router.get("/sync_baseline")
def sync_baseline():
    """Three blocking calls in a row, in the threadpool: about 3 delays."""
    return _result("sync_baseline", [blocking_call(value) for value in INPUTS])


@router.get("/async_independent")
async def async_independent():
    """Three independent calls awaited one by one: still about 3 delays, since await does not overlap them."""
    first = await async_call(INPUTS[0])
    second = await async_call(INPUTS[1])
    third = await async_call(INPUTS[2])
    return _result("async_independent", [first, second, third])


@router.get("/async_dependent")
async def async_dependent():
    """Each call needs the previous result, so about 3 delays is the floor."""
    first = await async_call(INPUTS[0])
    second = await async_call(first)
    third = await async_call(second)
    return _result("async_dependent", [first, second, third])


@router.get("/async_concurrent")
async def async_concurrent():
    """The independent calls run together with `asyncio.gather`: about 1 delay."""
    results = await asyncio.gather(*(async_call(value) for value in INPUTS))
    return _result("async_concurrent", list(results))
