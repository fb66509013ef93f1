"""An inventory that checks an `X-Token` header on every route, with required query
parameters that have no examples and a cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Query

TOKEN = "corpus-inventory-token"


def check_token(x_token: Annotated[str, Header()]):
    if x_token != TOKEN:
        raise HTTPException(401, "X-Token header invalid")


app = FastAPI(title="Inventory", dependencies=[Depends(check_token)])
WAREHOUSES = {"north", "south", "east"}


@app.get("/stock")
def stock(sku: Annotated[str, Query(min_length=4, max_length=12)],
          warehouse: Annotated[str, Query()] = "north"):
    return {"sku": sku, "warehouse": warehouse, "units": len(sku) * 7}


@app.get("/search")
def search(q: Annotated[str, Query(min_length=2)], page: Annotated[int, Query(ge=1)],
           size: Annotated[int, Query(ge=5, le=50)], in_stock: Annotated[bool, Query()],
           tags: Annotated[list[str], Query()]):
    return {"q": q, "page": page, "size": size, "in_stock": in_stock, "tags": tags}


@app.get("/preferences")
def preferences(session: Annotated[str, Cookie(min_length=8)],
                accept_language: Annotated[str | None, Header()] = None):
    return {"session": session[:4] + "...", "language": accept_language}
