"""What a field's name says: that it probably carries a unique key (an email, a username, a slug),
or what kind of string it holds (owner_email, homepage_url, mobile_phone); and the per-request
token that makes unique values differ."""

from __future__ import annotations

import hashlib
import re

# Field names whose values are usually unique keys (creates collide on them). A name or a
# title is often unique too (RealWorld derives an article's unique slug from its title), and
# varying a free-text field costs nothing where it is not.
_UNIQUE_NAMES = {
    "name", "title",
    "email", "username", "user_name", "login", "handle", "slug", "sku", "code", "nickname",
    "nick", "alias", "account", "account_name", "screen_name", "display_name", "external_id",
    "uuid", "uid", "guid", "id", "key", "token", "isbn", "barcode", "serial", "serial_number",
    "phone", "phone_number", "domain", "hostname", "url_slug", "name_slug", "title_slug",
}

# A plain string whose name says what it holds gets a value of that kind: the app may store it
# and break on it later (a list route that validates stored rows as EmailStr fails with 500 on
# one "email-x1y2"). Matched on the name's last word (owner_email, homepage_url, mobile_phone).
_NAMED_FORMATS = {
    "email": "email", "mail": "email",
    "url": "uri", "uri": "uri", "link": "uri", "website": "uri", "homepage": "uri",
    "webhook": "uri", "callback": "uri",
    "ip": "ipv4", "ipv4": "ipv4", "ipv6": "ipv6",
    "date": "date", "birthday": "date", "birthdate": "date", "dob": "date",
    "datetime": "date-time", "timestamp": "date-time",
}
_PHONE_NAMES = {"phone", "mobile", "telephone", "tel", "cellphone"}


def token(salt: str, index: int) -> str:
    """A short, stable token for request `index` of an attack with `salt`: what makes unique
    fields differ per request and per attack."""
    digest = hashlib.sha256(f"{salt}\x00{index}".encode()).digest()
    return base36(int.from_bytes(digest[:8], "big"))[:10]


def named_format(name: str) -> str | None:
    """The format a plain string field's name implies ("phone" for phone numbers), or None."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").split("_")
    last = words[-1] if words else ""
    if last in _PHONE_NAMES or name.lower().replace("_", "") in ("phonenumber", "mobilenumber"):
        return "phone"
    if last in ("address", "addr") and len(words) > 1 and words[-2] in ("ip", "email", "mail"):
        last = "ip" if words[-2] == "ip" else "email"
    return _NAMED_FORMATS.get(last)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def looks_unique(name: str | None, schema: dict) -> bool:
    """Whether a field probably carries a unique key: an email, a username, a slug, a string
    id. Integer ids are not: in a body they usually refer to a row that must exist."""
    if schema.get("format") in ("email", "idn-email"):
        return True
    if not name:
        return False
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return key in _UNIQUE_NAMES and kinds(schema) & {"string"} != set()


def kinds(schema: dict) -> set[str]:
    """The JSON types a schema allows, its anyOf/oneOf branches included; a pattern or a format
    alone means a string."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    if kind:
        return {kind}
    found: set[str] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        if isinstance(branch, dict):
            found |= kinds(branch)
    if not found and ("pattern" in schema or "format" in schema):
        found = {"string"}
    return found


