"""The values perf sends that are secrets, and how they never show.

One home for both: `secret_values` says which values of the settings are secrets (every
--header value, and every --param value whose name looks secret); `mask` is how one such value
is shown (plan, stored config, error messages); `Masker` hides them inside any text or bytes
that may echo them (a plan's URL, an app's 422 body, vegeta's error strings, the stored URL).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Iterable

MASK = "***"
# The words of a parameter or header name (split at _ - . space and camelCase) that make its value
# a secret: a whole word ("auth", "key", "pwd"), or a word beginning with one of the stems
# ("password", "tokens", "authorization", "sessionid") or ending with one of SECRET_ENDINGS. Words, not substrings: "author",
# "keyboard" or "passenger" hold no secret, "apiKey", "X-API-Key" and "access_token" do.
SECRET_WORDS = frozenset(("pass", "pwd", "pin", "key", "apikey", "auth", "jwt", "sid", "otp",
                          "csrf", "xsrf"))
SECRET_STEMS = ("password", "passwd", "passphrase", "passcode", "secret", "token", "authoriz",
                "authentic", "authtoken", "cookie", "session", "credential", "apikey",
                "accesskey", "privatekey", "secretkey", "bearer")
SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey")  # "userpassword", "mytoken"
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Shorter values are not searched for in text: hiding every "1" or "ab" of an answer would
# garble it and hide nothing worth hiding.
MIN_HIDDEN_CHARS = 3


def looks_secret(name: str) -> bool:
    """Does a parameter or header of this name carry a secret? (by its words: SECRET_WORDS)"""
    words = [w.lower() for w in _WORD.findall(name)]
    return any(w in SECRET_WORDS or w.startswith(SECRET_STEMS) or w.endswith(SECRET_ENDINGS)
               for w in words)


def _credential(value: str) -> str | None:
    """The credential of "Scheme credential" ("Bearer X" -> "X"), else None."""
    scheme, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    return rest if rest and scheme.isalpha() and len(scheme) <= 16 else None


def secret_values(headers: Iterable[tuple[str, str]] = (),
                  params: Iterable[tuple[str, str]] = ()) -> tuple[str, ...]:
    """The secrets among what perf sends: every --header value (and, for "Bearer X", X alone:
    an app may echo the token without its scheme), every --param value whose name looks
    secret. Whatever else perf learns to send as a secret (login credentials) joins here."""
    values: list[str] = []
    for _, value in headers:
        values += [value.strip(), _credential(value) or ""]
    values += [value for name, value in params if looks_secret(name)]
    return tuple(dict.fromkeys(v for v in values if v))


def mask(value: str) -> str:
    """A secret as shown everywhere (plan, stored config, reports): its scheme word kept
    ("Bearer ***"), the secret itself never, not even its length."""
    value = value.strip()
    scheme = value.partition(" ")[0]
    if _credential(value) is not None:
        return f"{scheme} {MASK}"
    return MASK if value else ""


def mask_header_text(text: str) -> str:
    """A "Name: value" line with its value masked."""
    name, sep, value = text.partition(":")
    return f"{name}: {mask(value)}" if sep else mask(text)


class Masker:
    """Replaces every secret inside a text with MASK: each as written, URL-encoded (a query
    string) and JSON-escaped (an app's JSON answer echoing it)."""

    def __init__(self, secrets: Iterable[str] = ()):
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) >= MIN_HIDDEN_CHARS:
                forms |= {secret, urllib.parse.quote(secret, safe=""),
                          urllib.parse.quote_plus(secret), json.dumps(secret)[1:-1],
                          json.dumps(secret, ensure_ascii=False)[1:-1]}
        # "Bearer X" goes with X, leaving "Bearer ***" as mask() shows it; the rest longest
        # first, so a secret holding another is hidden whole, not half.
        kept = [f for f in forms if _credential(f) not in forms]
        self.forms = tuple(sorted(kept, key=lambda f: (-len(f), f)))
        self._bytes = tuple(f.encode("utf-8", "surrogateescape") for f in self.forms)

    def __bool__(self) -> bool:
        return bool(self.forms)

    def text(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def bytes(self, data: bytes) -> bytes:
        for form in self._bytes:
            if form in data:
                data = data.replace(form, MASK.encode())
        return data
