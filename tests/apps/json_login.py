"""Articles behind a RealWorld-style JSON login (the "conduit" API shape).

POST /users/login takes {"user": {"email", "password"}} and answers {"user": {"email",
"token"}}; the document declares the token as an apiKey in the Authorization header and says
nothing of its scheme: the app wants `Authorization: Token <jwt>` (a Bearer one is 401), as
RealWorld's spec says. No OAuth2 flow is declared: perf must find the login route by its path
and body. POST /users (registration) also takes a password and must not be taken for it.
GET /profiles/{username} is a 404 unless the user exists, and no route lists users: the only
username perf can know is the logged-in user's own (GET /user). PUT /profiles/{username}
changes that user's password: perf must never send it with the logged-in user's own name.
"""

from __future__ import annotations

import secrets

from fastapi import Depends, FastAPI, HTTPException, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, EmailStr

USERS = {"jake@jake.jake": "jakejake"}
USERNAMES = {"jake@jake.jake": "jake"}
_TOKENS: dict[str, str] = {}  # one worker: tokens live in memory
app = FastAPI(title="Conduit-like")
authorization = APIKeyHeader(name="Authorization")


class Credentials(BaseModel):
    email: EmailStr
    password: str


class LoginBody(BaseModel):
    user: Credentials


class NewUser(BaseModel):
    username: str
    email: EmailStr
    password: str


class RegisterBody(BaseModel):
    user: NewUser


def current_user(header: str = Security(authorization)) -> str:
    scheme, _, token = header.partition(" ")
    if scheme != "Token" or token not in _TOKENS:
        raise HTTPException(401, "missing or bad token (Authorization: Token <jwt>)")
    return _TOKENS[token]


@app.post("/users", status_code=201)
def register(body: RegisterBody):
    if body.user.email in USERS:
        raise HTTPException(422, "email already taken")
    USERS[body.user.email] = body.user.password
    USERNAMES[body.user.email] = body.user.username
    return {"user": {"email": body.user.email, "username": body.user.username}}


@app.post("/users/login")
def login(body: LoginBody):
    if USERS.get(body.user.email) != body.user.password:
        raise HTTPException(401, "email or password is invalid")
    token = secrets.token_urlsafe(24)
    _TOKENS[token] = body.user.email
    return {"user": {"email": body.user.email, "token": token}}


@app.get("/user")
def me(email: str = Depends(current_user)):
    return {"user": {"email": email, "username": username_of(email)}}


def username_of(email: str) -> str:
    return USERNAMES.get(email, "")


@app.get("/profiles/{username}")
def profile(username: str, email: str = Depends(current_user)):
    if username not in USERNAMES.values():
        raise HTTPException(404, "user does not exist")
    return {"profile": {"username": username, "following": False}}


class ProfileUpdate(BaseModel):
    password: str


@app.put("/profiles/{username}")
def update_profile(username: str, body: ProfileUpdate, email: str = Depends(current_user)):
    owner = next((e for e, name in USERNAMES.items() if name == username), None)
    if owner is None:
        raise HTTPException(404, "user does not exist")
    USERS[owner] = body.password
    return {"profile": {"username": username}}


@app.get("/articles/feed")
def feed(email: str = Depends(current_user)):
    return {"articles": [], "articlesCount": 0, "for": email}
