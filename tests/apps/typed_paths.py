"""A catalogue served by path parameters of every kind FastAPI types (int, str, UUID, an
enum, a `:path`); its only extra route is /healthz."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from fastapi import FastAPI

app = FastAPI(title="Typed paths")


class Model(str, Enum):
    alexnet = "alexnet"
    resnet = "resnet"
    lenet = "lenet"


@app.get("/healthz", include_in_schema=False)
def healthz():
    return {"ok": True}


@app.get("/pages/{page}")
def page(page: int):
    return {"page": page, "next": page + 1}


@app.get("/users/{username}")
def user(username: str):
    return {"username": username, "greeting": f"hello {username}"}


@app.get("/objects/{object_id}")
def storage_object(object_id: UUID):
    return {"id": str(object_id), "version": object_id.version}


@app.get("/models/{model}")
def model(model: Model):
    return {"model": model, "family": "cnn"}


@app.get("/files/{file_path:path}")
def file(file_path: str):
    return {"path": file_path, "parts": file_path.split("/")}


@app.get("/ratio/{value}")
def ratio(value: float):
    return {"value": value, "half": value / 2}
