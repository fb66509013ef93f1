"""Tasks behind HTTP Basic: every route but the health check wants `Authorization: Basic
base64(user:password)`, checked on each request. The app also has a login route that answers a
token (the Basic credentials again, as some apps do), which a Bearer scheme never opens: the
document's security scheme (http, basic) is what says how to send the user."""

from __future__ import annotations

import secrets

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

USERS = {"alice": "alice-pw-123"}
app = FastAPI(title="Basic tasks")
basic = HTTPBasic()
TASKS: dict[int, dict] = {1: {"id": 1, "title": "first", "done": False}}


def current_user(credentials: HTTPBasicCredentials = Depends(basic)) -> str:
    expected = USERS.get(credentials.username)
    if expected is None or not secrets.compare_digest(credentials.password, expected):
        raise HTTPException(401, "wrong user or password", headers={"WWW-Authenticate": "Basic"})
    return credentials.username


class Login(BaseModel):
    username: str
    password: str


class NewTask(BaseModel):
    title: str


@app.get("/status")
def status():
    return {"ok": True}


@app.post("/user/login")
def login(body: Login):
    if USERS.get(body.username) != body.password:
        raise HTTPException(401, "wrong user or password")
    import base64
    return {"data": {"token": base64.b64encode(f"{body.username}:{body.password}".encode()).decode()}}


@app.get("/user")
def me(user: str = Depends(current_user)):
    return {"username": user}


@app.get("/tasks")
def tasks(user: str = Depends(current_user)):
    return list(TASKS.values())


@app.post("/tasks", status_code=201)
def create(task: NewTask, user: str = Depends(current_user)):
    new = {"id": max(TASKS) + 1, "title": task.title, "done": False}
    TASKS[new["id"]] = new
    return new


@app.get("/tasks/{task_id}")
def one(task_id: int, user: str = Depends(current_user)):
    if task_id not in TASKS:
        raise HTTPException(404, "no such task")
    return TASKS[task_id]
