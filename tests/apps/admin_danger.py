"""An inventory with routes a load test must leave alone by default: they destroy data, act on
everything at once, or make the app fetch a URL. Every call to them is recorded, so a test can
tell which ran; the fetch route records the URL it was asked to fetch and never fetches it.

    GET  /items                        the items (read: always safe)
    POST /items                        {"name"} -> 201
    GET  /items/{item_id}
    POST /items/bulk-delete            {"ids": [...]}
    POST /admin/maintenance/clean-up   wipes every item
    POST /admin/backups                writes a backup
    POST /admin/restore                restores the last backup
    POST /imports/from-url             {"url"}: the app would fetch this URL
    POST /admin/reset-password         {"email"}
    GET  /calls                        which of the routes above ran (for tests)
"""

from __future__ import annotations

import threading

from fastapi import FastAPI, HTTPException
from pydantic import AnyHttpUrl, BaseModel, Field

app = FastAPI(title="Inventory admin")
_lock = threading.Lock()
ITEMS: dict[int, dict] = {1: {"id": 1, "name": "spanner"}, 2: {"id": 2, "name": "hammer"}}
CALLS: dict[str, int] = {}
FETCH_URLS: list[str] = []


def _called(name: str) -> None:
    with _lock:
        CALLS[name] = CALLS.get(name, 0) + 1


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)


class BulkDelete(BaseModel):
    ids: list[int]


class Import(BaseModel):
    url: AnyHttpUrl = Field(examples=["https://example.com/feed.csv"])


class Email(BaseModel):
    email: str


@app.get("/items")
def list_items():
    with _lock:
        return list(ITEMS.values())


@app.post("/items", status_code=201)
def create_item(item: ItemIn):
    with _lock:
        item_id = max(ITEMS, default=0) + 1
        ITEMS[item_id] = {"id": item_id, "name": item.name}
        return ITEMS[item_id]


@app.get("/items/{item_id}")
def read_item(item_id: int):
    with _lock:
        if item_id not in ITEMS:
            raise HTTPException(404, "No such item")
        return ITEMS[item_id]


@app.post("/items/bulk-delete")
def bulk_delete(request: BulkDelete):
    _called("bulk-delete")
    with _lock:
        for item_id in request.ids:
            ITEMS.pop(item_id, None)
    return {"deleted": len(request.ids)}


@app.post("/admin/maintenance/clean-up")
def clean_up():
    _called("clean-up")
    with _lock:
        ITEMS.clear()
    return {"ok": True}


@app.post("/admin/backups", status_code=201)
def backup():
    _called("backups")
    return {"ok": True}


@app.post("/admin/restore")
def restore():
    _called("restore")
    return {"ok": True}


@app.post("/imports/from-url", status_code=202)
def import_from_url(request: Import):
    _called("from-url")
    with _lock:
        FETCH_URLS.append(str(request.url))
    return {"queued": str(request.url)}


@app.post("/admin/reset-password")
def reset_password(request: Email):
    _called("reset-password")
    return {"ok": True}


@app.get("/calls")
def calls():
    with _lock:
        return {"calls": dict(CALLS), "fetch_urls": list(FETCH_URLS)}
