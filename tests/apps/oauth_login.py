"""Notes behind an OAuth2 password login: POST /token takes a form, every other route wants
`Authorization: Bearer <token>`. Tokens are HMACs of the username, so a test can make one."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

SECRET = b"corpus-signing-key"
USERS = {"alice": "wonderland", "bob": "builder"}
oauth2 = OAuth2PasswordBearer(tokenUrl="token")
app = FastAPI(title="Notes")
NOTES: list[dict] = []


def issue_token(username: str) -> str:
    signature = hmac.new(SECRET, username.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{username}.{signature}"


def current_user(token: Annotated[str, Depends(oauth2)]) -> str:
    username, _, _ = token.partition(".")
    if username not in USERS or not hmac.compare_digest(token, issue_token(username)):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad token",
                            headers={"WWW-Authenticate": "Bearer"})
    return username


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(max_length=2000)
    pinned: bool = False


@app.post("/token")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    if USERS.get(form.username) != form.password:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "incorrect username or password")
    return {"access_token": issue_token(form.username), "token_type": "bearer"}


@app.get("/users/me")
def me(user: Annotated[str, Depends(current_user)]):
    return {"username": user}


@app.get("/notes")
def notes(user: Annotated[str, Depends(current_user)]):
    return [n for n in NOTES if n["owner"] == user][-20:]


@app.post("/notes", status_code=201)
def add_note(note: NoteIn, user: Annotated[str, Depends(current_user)]):
    row = {**note.model_dump(), "owner": user, "id": len(NOTES) + 1}
    NOTES.append(row)
    del NOTES[:-1000]
    return row
