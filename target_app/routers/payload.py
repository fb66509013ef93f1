"""The same JSON body parsed two ways: a pydantic model (`ping`) and a raw `Request` streamed in
chunks and parsed with orjson (`pong`). Run big bodies beside small ones to see how parsing on
the event loop delays everything else."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel

router = APIRouter(prefix="/api/payload", tags=["payload"])

SMALL_PAYLOAD_EXAMPLE = {"name": "small", "data": {"a": 1, "b": 2, "c": 3}}
PAYLOAD_EXAMPLES = {"small": {"summary": "a few keys", "value": SMALL_PAYLOAD_EXAMPLE}}


class Payload(BaseModel):
    name: str
    data: dict[str, int]


def _summary(name: str, data: dict[str, int], size: int) -> dict:
    return {"name": name, "keys": len(data), "total": sum(data.values()), "bytes": size}


@router.post("/ping")
async def ping(payload: Annotated[Payload, Body(openapi_examples=PAYLOAD_EXAMPLES)], request: Request):
    """FastAPI reads and validates the body into a pydantic model."""
    # FastAPI has already read the body to validate it; this returns the cached bytes.
    size = len(await request.body())
    return _summary(payload.name, payload.data, size)


@router.post(
    "/pong",
    # The body is read by hand, so FastAPI cannot see it: declare it for OpenAPI clients.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": Payload.model_json_schema(), "examples": PAYLOAD_EXAMPLES}
            },
        }
    },
)
async def pong(request: Request):
    """The body is streamed in chunks, parsed with orjson and checked by hand."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
    name, data = _parse_payload(body)
    return _summary(name, data, len(body))


def _parse_payload(body: bytearray) -> tuple[str, dict[str, int]]:
    """Validate what `Payload` would, answering 422 in FastAPI's error shape instead of a 500."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _invalid(["body"], f"invalid JSON: {error}", "json_invalid") from None
    if not isinstance(parsed, dict):
        raise _invalid(["body"], "expected a JSON object", "dict_type")
    name = parsed.get("name")
    if not isinstance(name, str):
        raise _invalid(["body", "name"], "expected a string", "string_type")
    data = parsed.get("data")
    if not isinstance(data, dict):
        raise _invalid(["body", "data"], "expected an object of integers", "dict_type")
    for key, value in data.items():
        # bool is an int subclass in Python but not an integer in JSON; orjson turns integers too
        # big for 64 bits into floats, which this rejects too.
        if type(value) is not int:
            raise _invalid(["body", "data", key], "expected an integer", "int_type")
    return name, data


def _invalid(loc: list[str], msg: str, error_type: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": loc, "msg": msg, "type": error_type}])
