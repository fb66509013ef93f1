"""Monthly reports, two ranged path ids, and one route that fails on purpose (HTTP 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path

app = FastAPI(title="Reports")


@app.get("/reports/{year}/{month}")
def report(year: Annotated[int, Path(ge=2015, le=2025)],
           month: Annotated[int, Path(ge=1, le=12)]):
    return {"year": year, "month": month, "revenue": year * 12 + month}


@app.get("/reports/latest")
def latest():
    return {"year": 2025, "month": 6}


@app.get("/crash")
def crash():
    raise RuntimeError("this route fails on purpose")
