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

import secrets

from fastapi import FastAPI, HTTPException
from pydantic import AnyHttpUrl, BaseModel, Field

from tests.apps.shared_state import Table

app = FastAPI(title="Inventory admin")
ITEMS = Table("admin_danger", "items")
CALLS = Table("admin_danger", "calls")  # one row per call: {"route", "url"}
for _seed in ({"id": 1, "name": "spanner"}, {"id": 2, "name": "hammer"}):
    ITEMS.insert(_seed["id"], _seed)


def _called(route: str, url: str | None = None) -> None:
    CALLS.insert(secrets.token_hex(8), {"route": route, "url": url})


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
    return ITEMS.rows()


@app.post("/items", status_code=201)
def create_item(item: ItemIn):
    row = {"id": secrets.randbelow(10**9) + 3, "name": item.name}
    ITEMS.insert(row["id"], row)
    return row


@app.get("/items/{item_id}")
def read_item(item_id: int):
    row = ITEMS.get(item_id)
    if row is None:
        raise HTTPException(404, "No such item")
    return row


@app.post("/items/bulk-delete")
def bulk_delete(request: BulkDelete):
    _called("bulk-delete")
    for item_id in request.ids:
        ITEMS.delete(item_id)
    return {"deleted": len(request.ids)}


@app.post("/admin/maintenance/clean-up")
def clean_up():
    _called("clean-up")
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
    _called("from-url", str(request.url))
    return {"queued": str(request.url)}


@app.post("/admin/reset-password")
def reset_password(request: Email):
    _called("reset-password")
    return {"ok": True}


@app.get("/calls")
def calls():
    rows = CALLS.rows()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["route"]] = counts.get(row["route"], 0) + 1
    return {"calls": counts, "fetch_urls": [r["url"] for r in rows if r["url"]]}
