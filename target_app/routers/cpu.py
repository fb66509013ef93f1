"""The same CPU-bound work served three ways: what blocks the loop, what the GIL serialises,
and what actually runs in parallel. TARGET_APP_CPU_SCALE sets the amount, as the delay scale
sets the sleeps."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from fastapi import APIRouter, HTTPException

from target_app.cpu_work import sum_of_squares
from target_app.settings import settings

router = APIRouter(prefix="/api/cpu", tags=["cpu"])

WORK = settings.cpu_work


class ProcessPool:
    """One process pool per server worker, opened and closed by the app's lifespan.

    Its children start with the first request that needs them, not with the app: every other
    scenario's process tree (and so its memory and CPU figures) stays as it was. perf's warm-up
    before each attack absorbs the start.
    """

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None

    def open(self, processes: int) -> None:
        # spawn, not fork: forking a process that runs an event loop and a threadpool can copy
        # a held lock into the child.
        self._executor = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def run(self, n: int) -> int:
        if self._executor is None:
            raise HTTPException(503, "the process pool is not open (the app's lifespan did not run)")
        return await asyncio.get_running_loop().run_in_executor(self._executor, sum_of_squares, n)


pool = ProcessPool()


def _answer(mode: str, result: int) -> dict:
    return {"mode": mode, "iterations": WORK, "result": result}


@router.get("/async_blocking")
async def async_blocking():
    """Anti-pattern: CPU work inside `async def` holds the event loop; requests queue behind it."""
    return _answer("async_blocking", sum_of_squares(WORK))


@router.get("/sync_threadpool")
def sync_threadpool():
    """`def`: runs in the threadpool, so the loop stays free, but the GIL lets one thread compute
    at a time: no faster than one core per server worker."""
    return _answer("sync_threadpool", sum_of_squares(WORK))


@router.get("/process_pool")
async def process_pool():
    """`async def` awaiting a process pool: the work runs on every core, outside the GIL."""
    return _answer("process_pool", await pool.run(WORK))
