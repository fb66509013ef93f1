"""A task tracker built by an app factory (`create_app()`), with PATCH partial updates."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

from fastapi import APIRouter, FastAPI, HTTPException, Path
from pydantic import BaseModel, Field


class Status(str, Enum):
    todo = "todo"
    doing = "doing"
    done = "done"


class TaskIn(BaseModel):
    title: str = Field(min_length=3, max_length=120)
    status: Status = Status.todo
    due: datetime | None = None


class TaskPatch(BaseModel):
    title: str | None = Field(default=None, min_length=3, max_length=120)
    status: Status | None = None


def create_app(seed: int = 25) -> FastAPI:
    tasks = {n: {"id": n, "title": f"task {n}", "status": "todo", "due": None}
             for n in range(1, seed + 1)}
    router = APIRouter(prefix="/tasks", tags=["tasks"])

    @router.get("")
    def list_tasks(status: Status | None = None):
        return [t for t in tasks.values() if status is None or t["status"] == status]

    @router.post("", status_code=201)
    def add_task(task: TaskIn):
        new_id = max(tasks, default=0) + 1
        tasks[new_id] = {"id": new_id, **task.model_dump()}
        return tasks[new_id]

    @router.patch("/{task_id}")
    def update_task(task_id: int, patch: TaskPatch):
        if task_id not in tasks:
            raise HTTPException(404, "no such task")
        tasks[task_id].update(patch.model_dump(exclude_unset=True))
        tasks[task_id]["updated"] = datetime.now(timezone.utc).isoformat()
        return tasks[task_id]

    @router.get("/{task_id}")
    def read_task(task_id: int = Path(ge=1, le=seed)):
        return tasks.get(task_id) or {}

    app = FastAPI(title="Tasks")
    app.include_router(router)
    return app
