"""Notebooks and their notes, where every id comes from a create: the store starts empty, ids
are random (a guessed id is a 404), a note lives under its notebook's path, and a tag names a
notebook in its body. Titles are unique (a second create with the same title is 409).

    GET  /notebooks                              {"items": [...], "total": n}, paginated
    POST /notebooks                              {"title"} -> 201 {"id", "title"}
    GET  /notebooks/{notebook_id}                404 when it does not exist
    PUT  /notebooks/{notebook_id}                {"title"}
    GET  /notebooks/{notebook_id}/notes          the notebook's notes
    POST /notebooks/{notebook_id}/notes          {"text"} -> 201 {"id", "notebook_id", "text"}
    GET  /notebooks/{notebook_id}/notes/{note_id}
    POST /tags                                   {"name", "notebook_id"}: 404 unless it exists
    GET  /health                                 a plain route needing nothing
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI, HTTPException, Query, status
from pydantic import BaseModel, Field

from tests.apps.shared_state import Table

app = FastAPI(title="Notebooks")
NOTEBOOKS = Table("notebooks", "notebooks")
NOTES = Table("notebooks", "notes")
TAGS = Table("notebooks", "tags")


class NotebookIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)


class Notebook(NotebookIn):
    id: int


class NotebookPage(BaseModel):
    items: list[Notebook]
    total: int


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)


class Note(NoteIn):
    id: int
    notebook_id: int


class TagIn(BaseModel):
    name: str = Field(min_length=1, max_length=30)
    notebook_id: int


def _new_id() -> int:
    return secrets.randbelow(90_000_000) + 10_000_000


def _notebook(notebook_id: int) -> dict:
    notebook = NOTEBOOKS.get(notebook_id)
    if notebook is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Notebook not found")
    return notebook


@app.get("/health")
def health():
    return {"ok": True}


@app.get("/notebooks", response_model=NotebookPage)
def list_notebooks(offset: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=100)):
    rows = NOTEBOOKS.rows()
    return {"items": rows[offset:offset + limit], "total": len(rows)}


@app.post("/notebooks", response_model=Notebook, status_code=201)
def create_notebook(notebook: NotebookIn):
    row = {"id": _new_id(), "title": notebook.title}
    if not NOTEBOOKS.insert(row["id"], row, unique=("title",)):
        raise HTTPException(status.HTTP_409_CONFLICT, "A notebook with this title exists")
    return row


@app.get("/notebooks/{notebook_id}", response_model=Notebook)
def read_notebook(notebook_id: int):
    return _notebook(notebook_id)


@app.put("/notebooks/{notebook_id}", response_model=Notebook)
def rename_notebook(notebook_id: int, notebook: NotebookIn):
    row = {**_notebook(notebook_id), "title": notebook.title}
    NOTEBOOKS.put(notebook_id, row)
    return row


@app.get("/notebooks/{notebook_id}/notes", response_model=list[Note])
def list_notes(notebook_id: int):
    _notebook(notebook_id)
    return [n for n in NOTES.rows() if n["notebook_id"] == notebook_id]


@app.post("/notebooks/{notebook_id}/notes", response_model=Note, status_code=201)
def create_note(notebook_id: int, note: NoteIn):
    _notebook(notebook_id)
    row = {"id": _new_id(), "notebook_id": notebook_id, "text": note.text}
    NOTES.insert(row["id"], row)
    return row


@app.get("/notebooks/{notebook_id}/notes/{note_id}", response_model=Note)
def read_note(notebook_id: int, note_id: int):
    _notebook(notebook_id)
    note = NOTES.get(note_id)
    if note is None or note["notebook_id"] != notebook_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Note not found")
    return note


@app.post("/tags", status_code=201)
def create_tag(tag: TagIn):
    _notebook(tag.notebook_id)
    TAGS.insert(_new_id(), tag.model_dump())
    return tag
