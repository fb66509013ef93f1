"""Routes that are not plain request/response: an endless Server-Sent Events stream, routes that
answer with a redirect, and a plain route beside them.

    GET /events        text/event-stream that never ends (one event every 0.5 s)
    GET /old-catalog   308 to /catalog (same app)
    GET /login-page    302 to /catalog
    GET /catalog       a plain JSON answer
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, StreamingResponse

app = FastAPI(title="Streams and redirects")


@app.get("/catalog")
def catalog():
    return {"items": ["tea", "coffee"]}


@app.get("/old-catalog", status_code=308, response_class=RedirectResponse)
def old_catalog():
    return RedirectResponse("/catalog", status_code=308)


@app.get("/login-page", response_class=RedirectResponse)
def login_page():
    return RedirectResponse("/catalog", status_code=302)


async def _ticks():
    n = 0
    while True:
        yield f"event: tick\ndata: {n}\n\n"
        n += 1
        await asyncio.sleep(0.5)


@app.get("/events", response_class=StreamingResponse,
         responses={200: {"content": {"text/event-stream": {}}}})
def events():
    return StreamingResponse(_ticks(), media_type="text/event-stream")
