"""A small async CRUD resource: paginated list, create, get by id."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query
from pydantic import BaseModel, Field

from target_app.database import SQLITE_MAX_INT, async_pool
from target_app.params import SeededId

router = APIRouter(prefix="/items", tags=["items"])

MAX_PAGE_SIZE = 100


class ItemIn(BaseModel):
    name: str = Field(max_length=255)
    description: str = Field(max_length=2000)


class Item(BaseModel):
    id: int
    name: str
    description: str


NewItem = Annotated[
    ItemIn,
    Body(openapi_examples={"typical": {"summary": "one item", "value": {"name": "hammer", "description": "claw, 16 oz"}}}),
]


@router.get("", response_model=list[Item])
async def list_items(
    skip: Annotated[int, Query(ge=0, le=SQLITE_MAX_INT, examples=[0])] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, examples=[20])] = 20,
):
    rows = await async_pool.get().execute_fetchall(
        "SELECT id, name, description FROM items ORDER BY id LIMIT ? OFFSET ?", (limit, skip)
    )
    return [{"id": row[0], "name": row[1], "description": row[2]} for row in rows]


@router.post("", status_code=201, response_model=Item)
async def create_item(item: NewItem):
    inserted = await async_pool.get().execute_insert(
        "INSERT INTO items (name, description) VALUES (?, ?)", (item.name, item.description)
    )
    return {"id": inserted[0], "name": item.name, "description": item.description}


@router.get("/{item_id}", response_model=Item)
async def get_item(item_id: SeededId):
    rows = await async_pool.get().execute_fetchall(
        "SELECT id, name, description FROM items WHERE id = ?", (item_id,)
    )
    if not rows:
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    row = rows[0]
    return {"id": row[0], "name": row[1], "description": row[2]}
