"""A shop API mounted as a sub-application under /shop: its OpenAPI document is at
/shop/openapi.json and names /shop as its server, while its paths read /products/..."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

shop = FastAPI(title="Shop")
PRODUCTS = {n: {"id": n, "name": f"product {n}", "stock": n * 3} for n in range(1, 21)}


class Order(BaseModel):
    product_id: int = Field(ge=1, le=20)
    quantity: int = Field(ge=1, le=5)
    note: str | None = Field(default=None, max_length=140)


@shop.get("/products")
def products(limit: int = 10):
    return list(PRODUCTS.values())[:limit]


@shop.get("/products/{product_id}")
def product(product_id: int):
    if product_id not in PRODUCTS:
        raise HTTPException(404, "no such product")
    return PRODUCTS[product_id]


@shop.post("/orders", status_code=201)
def order(order: Order):
    return {"product": PRODUCTS[order.product_id]["name"], "quantity": order.quantity}


app = FastAPI(title="Front")


@app.get("/")
def home():
    return {"shop": "/shop/docs"}


app.mount("/shop", shop)
