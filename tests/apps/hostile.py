"""A hostile app: every way an app under test can break perf's promises (issue 21).

- GET /redirect-ext answers 307 to HOSTILE_REDIRECT_TO (a URL on another host): perf must never
  follow it, and must show the 3xx for what it is.
- GET /big and GET /huge answer HOSTILE_BIG_BYTES (2.5 MB) and HOSTILE_HUGE_BYTES (25 MB):
  an attack with bodies that large must be stored like any other.
- GET /echo-422 wants an X-Token header no value can satisfy: FastAPI's standard 422 body
  echoes the value sent ("input": ...). GET /echo-401 refuses every request with a body that
  echoes the Authorization and X-Token headers and the api_key query parameter it got. perf
  must store none of these values.
- GET /esc... is a route whose path carries terminal escape sequences (a colour and a window
  title): perf must never print them raw.
- HOSTILE_BLOCK_START=1 makes the lifespan block (a synchronous start-up that never ends):
  perf killed meanwhile must not leave the server behind.
"""

from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

REDIRECT_TO = os.environ.get("HOSTILE_REDIRECT_TO", "http://192.0.2.1:9/caught")
BIG_BYTES = int(os.environ.get("HOSTILE_BIG_BYTES", str(2_500_000)))
HUGE_BYTES = int(os.environ.get("HOSTILE_HUGE_BYTES", str(25_000_000)))
ESCAPED_PATH = "/esc\x1b[31mred\x1b]0;owned\x07"


@asynccontextmanager
async def lifespan(app: FastAPI):
    if os.environ.get("HOSTILE_BLOCK_START") == "1":
        time.sleep(3600)  # blocks the event loop: the server never gets ready
    yield


app = FastAPI(title="Hostile", lifespan=lifespan)
_bodies: dict[int, bytes] = {}


def _body(size: int) -> bytes:
    if size not in _bodies:
        _bodies[size] = (b"x" * 1023 + b"\n") * (size // 1024) + b"x" * (size % 1024)
    return _bodies[size]


@app.get("/redirect-ext")
def redirect_ext():
    return RedirectResponse(REDIRECT_TO, status_code=307)


@app.get("/big")
def big():
    return Response(_body(BIG_BYTES), media_type="text/plain")


@app.get("/huge")
def huge():
    return Response(_body(HUGE_BYTES), media_type="text/plain")


@app.get("/echo-422")
def echo_422(x_token: Annotated[str, Header(pattern="^no value matches this$")]):
    return {"ok": True}


@app.get("/echo-401")
def echo_401(request: Request, api_key: str | None = None):
    return JSONResponse(
        {"detail": "not authorised",
         "authorization": request.headers.get("authorization"),
         "x-token": request.headers.get("x-token"),
         "api_key": api_key},
        status_code=401)


@app.get(ESCAPED_PATH)
def escaped():
    return {"ok": True}
