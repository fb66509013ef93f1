"""Operations perf leaves out unless asked: those that would destroy or move the app's data,
make the app fetch a URL, or never end (a stream). Load-testing them by default would wipe a
user's database, fill their disk with backups, or send traffic off the machine through the app.

Judged from words, not guessed from methods: the path's segments and their word parts
(bulk-delete, cleanUp), the operationId and the summary.
"""

from __future__ import annotations

import re

# Words that say an operation destroys, resets or moves data; matched as whole words.
DESTRUCTIVE = (
    "delete", "remove", "purge", "wipe", "clean", "cleanup", "clear", "reset", "drop",
    "truncate", "destroy", "erase", "flush", "backup", "backups", "restore", "shutdown",
    "reboot", "restart", "bulk", "batch", "migrate", "rollback", "revoke", "deactivate",
    "unsubscribe", "uninstall",
)
_DESTRUCTIVE = set(DESTRUCTIVE)
_STREAMS = ("text/event-stream", "application/x-ndjson", "application/stream+json")


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text or "")
    return [w for w in re.split(r"[^A-Za-z0-9]+", text.lower()) if w]


def destructive_reason(method: str, path: str, operation: dict) -> str | None:
    """Why the operation looks destructive ("looks destructive (`clean`)"), or None. A read
    (GET, HEAD) never is: reading a /backups list destroys nothing."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return None
    static = " ".join(s for s in path.split("/") if not s.startswith("{"))
    words = _words(static)
    if "password" in words or "passwords" in words:
        return "changes a password (perf's --login would stop working)"
    if method.upper() in ("PUT", "PATCH") and ("me" in words or "self" in words):
        return "changes the logged-in user's own account (perf's --login would stop working)"
    for where in (static, str(operation.get("operationId", "")).split("_")[0],
                  str(operation.get("summary", ""))):
        hit = next((w for w in _words(where) if w in _DESTRUCTIVE), None)
        if hit:
            return f"looks destructive (`{hit}`)"
    return None


def fetches_url_reason(method: str, path: str) -> str | None:
    """Why a write operation looks like it makes the app fetch a URL (import-from-url,
    fetch-url, download-url), or None. URLs perf sends in bodies are loopback ones
    (collector/requests/schema/examples.LOOPBACK_URL); this keeps such routes out of the load."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return None
    words = _words(path)
    if any(w in ("url", "urls", "uri", "link") for w in words) and any(
            w.startswith(("import", "fetch", "download", "crawl", "scrape", "mirror", "sync"))
            or w == "from" for w in words):
        return "makes the app fetch a URL"
    return None


def stream_reason(operation: dict) -> str | None:
    """Why an operation's answer never ends, or None: its success answers are streams only."""
    types = []
    for code, answer in (operation.get("responses") or {}).items():
        if str(code).startswith("2") and isinstance(answer, dict):
            types += [t.split(";")[0].strip().lower() for t in (answer.get("content") or {})]
    if types and all(t in _STREAMS for t in types):
        return (f"an endless stream ({types[0]}): perf measures request/response routes "
                f"(name it with --endpoint to attack it anyway)")
    return None
