"""Ids that exist: where a path parameter's value can be learned from the app itself, and how
to read it from an answer. Pure: the sweep makes the calls (perf.collector.sweep.learn_ids).

`/projects/{project_id}` takes an id the list route `GET /projects` shows (its first item's
`project_id`, else its `id`), or, when the list is empty, the one a create `POST /projects`
answers with. Nested paths resolve outer parameters first:
`/notebooks/{notebook_id}/notes/{note_id}` lists `/notebooks`, then `/notebooks/7/notes`.
A parameter that names a user (`{username}`, `{user_id}`) with no list to learn it from takes
the logged-in user's own, from the app's "who am I" route (`GET /user`, `/users/me`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"{([^}]+)}")
# Where list routes put their items: a bare list, or under one of these keys.
_LIST_KEYS = ("items", "data", "results", "records", "rows", "content", "list", "values",
              "entries", "objects", "hits", "docs")


@dataclass(frozen=True)
class Learned:
    name: str  # the path parameter ("project_id")
    value: str
    source: str  # "GET /projects", "POST /projects", "--param"
    own_account: bool = False  # the logged-in user's own (a write with it would change that user)


def placeholders(path: str) -> list[str]:
    return _PLACEHOLDER.findall(path)


def collection_of(path: str, name: str) -> str | None:
    """The path of the collection whose items `{name}` names: the path up to its segment
    ("/notebooks/{notebook_id}/notes/{note_id}", "note_id" -> "/notebooks/{notebook_id}/notes");
    None when the parameter is not a whole segment or is the first one."""
    segments = path.split("/")
    marker = "{" + name + "}"
    if marker not in segments:
        return None
    prefix = "/".join(segments[: segments.index(marker)])
    return prefix or None


def fill(template: str, values: dict[str, str]) -> str | None:
    """`template` with its placeholders filled, or None when one has no value."""
    missing = [n for n in placeholders(template) if n not in values]
    if missing:
        return None
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def _snake(name: str) -> str:
    """userId -> user_id (a name's words, as the patterns here read them)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def field_names(name: str) -> list[str]:
    """The fields of an item that may hold the value of path parameter `name`, best first."""
    names = [name]
    snake = _snake(name)
    if snake != name:
        names.append(snake)
    if snake.endswith("_id") or snake == "id" or name.endswith("Id"):
        names += ["id", "uuid", "_id", "pk", "key"]
    elif snake.endswith(("_slug", "_key", "_uuid", "_name", "_code")):
        names.append(snake.rsplit("_", 1)[1])
    return list(dict.fromkeys(names))


def items_of(answer: object) -> list[dict]:
    """The items of a list route's JSON answer: a list, or the first list under a usual key
    (or the only list) of an object."""
    if isinstance(answer, list):
        return [item for item in answer if isinstance(item, dict)]
    if isinstance(answer, dict):
        for key in _LIST_KEYS:
            if isinstance(answer.get(key), list):
                return items_of(answer[key])
        lists = [v for v in answer.values() if isinstance(v, list)]
        if len(lists) == 1:
            return items_of(lists[0])
    return []


def value_in(item: object, name: str) -> str | None:
    """The value of parameter `name` in one item (a list entry, or a create's answer, which
    may wrap it one level down: {"article": {"slug": ...}})."""
    if not isinstance(item, dict):
        return None
    for field in field_names(name):
        value = item.get(field)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != "":
            return str(value)
    for sub in item.values():
        if isinstance(sub, dict):
            for field in field_names(name):
                value = sub.get(field)
                if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                    return str(value)
    return None


def parse(body: bytes) -> object:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


# The last segment of a "who am I" route: GET, no path parameter.
_ME_SEGMENTS = {"me", "user", "whoami", "current", "current_user", "current-user", "self",
                "profile", "account"}
# A parameter naming a user (by its words): username, user_id, userId, author, owner, email ...
_USER_NAME = re.compile(r"(^|_)(user|username|author|owner|handle|login|email)(_?(id|name|uuid))?$")


# Methods that would change the item a path names: never sent to the logged-in user's own
# account (perf's --login would stop working, as with PUT /users/me: side_effects.py).
WRITES = ("PUT", "PATCH", "DELETE")


def usable(got: Learned, method: str) -> bool:
    """May operation `method` use the learned value?"""
    return not (got.own_account and method.upper() in WRITES)


def me_routes(paths: dict) -> list[str]:
    """The document's "who am I" routes (`/user`, `/users/me`, `/auth/me`), shortest first."""
    out = []
    for path, item in paths.items():
        if not isinstance(item, dict) or not isinstance(item.get("get"), dict) or "{" in path:
            continue
        if path.rstrip("/").rsplit("/", 1)[-1].lower() in _ME_SEGMENTS:
            out.append(path)
    return sorted(out, key=len)


def names_a_user(name: str, collection: str, me_path: str) -> bool:
    """May the logged-in user's answer at `me_path` fill `{name}` of `collection`? When the
    name says user (`username`, `user_id`, `authorId`), or when the who-am-I route is an item
    of that very collection (`/users/me` for `/users/{id}`)."""
    return bool(_USER_NAME.search(_snake(name))) or me_path.rstrip("/").rsplit("/", 1)[0] == collection
