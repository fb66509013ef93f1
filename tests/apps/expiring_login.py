"""Projects behind an OAuth2 password login whose tokens expire after a few seconds.

POST /auth/token takes the OAuth2 password form (declared in the document as the flow's
tokenUrl) and answers {"access_token", "token_type", "expires_in"}; every other route wants
`Authorization: Bearer <token>` and answers 401 once the token is older than
EXPIRING_LOGIN_TTL_S (default 3 s): an attack longer than that needs its token fetched again.
Each user sees only their own projects: another user's project is 403. Project names are unique
per user (a second create with the same name is 409), and project ids are random, so a guessed
id is a 404: an id that exists comes from the list or from a create.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from tests.apps.shared_state import Table

TTL_S = float(os.environ.get("EXPIRING_LOGIN_TTL_S", "3"))
USERS = {"alice": "wonderland", "bob": "builder"}
_KEY = b"corpus-expiring-login-key"  # every worker must accept every worker's tokens
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token")
app = FastAPI(title="Projects")
PROJECTS = Table("expiring_login", "projects")


def _sign(payload: bytes) -> str:
    return hmac.new(_KEY, payload, hashlib.sha256).hexdigest()


def issue_token(username: str, now: float | None = None) -> str:
    payload = json.dumps({"sub": username, "exp": (now or time.time()) + TTL_S}).encode()
    return base64.urlsafe_b64encode(payload).decode() + "." + _sign(payload)


def current_user(token: Annotated[str, Depends(oauth2)]) -> str:
    body, _, signature = token.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(body.encode())
        claims = json.loads(payload)
    except ValueError:
        claims, payload = None, b""
    if (not claims or not hmac.compare_digest(signature, _sign(payload))
            or claims.get("sub") not in USERS):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Could not validate credentials",
                            headers={"WWW-Authenticate": "Bearer"})
    if claims["exp"] < time.time():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Token expired",
                            headers={"WWW-Authenticate": "Bearer"})
    return claims["sub"]


class Token(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class ProjectIn(BaseModel):
    name: str = Field(min_length=3, max_length=60)
    budget: int = Field(ge=0, le=1_000_000)


class Project(ProjectIn):
    id: int
    owner: str


@app.post("/auth/token", response_model=Token)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    if USERS.get(form.username) != form.password:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Incorrect username or password")
    return Token(access_token=issue_token(form.username), token_type="bearer",
                 expires_in=int(TTL_S))


@app.get("/users/me")
def me(user: Annotated[str, Depends(current_user)]):
    return {"username": user}


@app.get("/projects", response_model=list[Project])
def list_projects(user: Annotated[str, Depends(current_user)]):
    return [p for p in PROJECTS.rows() if p["owner"] == user]


@app.post("/projects", response_model=Project, status_code=201)
def create_project(project: ProjectIn, user: Annotated[str, Depends(current_user)]):
    row = {**project.model_dump(), "id": secrets.randbelow(9_000_000) + 1_000_000, "owner": user}
    if not PROJECTS.insert(row["id"], row, unique=("owner", "name")):
        raise HTTPException(status.HTTP_409_CONFLICT, "A project with this name exists")
    return row


@app.get("/projects/{project_id}", response_model=Project,
         responses={404: {"description": "No such project"}})
def read_project(project_id: int, user: Annotated[str, Depends(current_user)]):
    project = PROJECTS.get(project_id)
    if project is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Project not found")
    if project["owner"] != user:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Not your project")
    return project
