"""An API that lives under /api/v1, its OpenAPI document too (no /openapi.json at the root)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, Field

PREFIX = "/api/v1"
app = FastAPI(title="Versioned", openapi_url=f"{PREFIX}/openapi.json", docs_url=f"{PREFIX}/docs",
              redoc_url=None)
router = APIRouter(prefix=PREFIX)


class Reading(BaseModel):
    sensor: str = Field(min_length=3, max_length=32, pattern=r"^[a-z][a-z0-9-]+$")
    celsius: float = Field(ge=-90, le=60)
    taken_on: date


@router.get("/readings")
def readings(sensor: str = Query(min_length=3), since: date = Query()):
    return [{"sensor": sensor, "celsius": 21.5, "taken_on": since.isoformat()}]


@router.post("/readings", status_code=201)
def add_reading(reading: Reading):
    return reading


@router.get("/stats/{sensor}")
def stats(sensor: str, window: int = Query(ge=1, le=90)):
    return {"sensor": sensor, "window": window, "mean": 20.1}


app.include_router(router)
