"""Large request bodies for the payload scenario: an endpoint's own example, grown to a size.

DESIGN's payload question is what large requests do to the small ones beside them, so the large
body must be one the endpoint accepts: its example, with the first object or array field filled
with more entries shaped like the example's own first entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from perf.collector.storage.scratch import private
from perf.base.errors import PerfError

_HOLE = "\x00perf-grow\x00"  # stands in for the grown field while the rest is encoded


def growable_field(example: object) -> str | None:
    """The field grow_body fills: the example's first object or array field."""
    if not isinstance(example, dict):
        return None
    return next((k for k, v in example.items() if isinstance(v, (dict, list))), None)


def grow_body(example: object, size: int) -> bytes:
    """`example` encoded as JSON, its growable field filled to make the body `size` bytes or
    just over (by less than one entry). Entries copy the field's first value (0 when empty).
    In memory: for small bodies; the sweep streams large ones to a file (write_body)."""
    return b"".join(_grown(example, size))


def write_body(example: object, size: int, path: Path) -> None:
    """grow_body's body, written to `path` a chunk at a time: a body of gigabytes is never
    held in memory (vegeta sends it from the file, `-body FILE`)."""
    with open(path, "wb", opener=private) as fh:  # 0600, as every scratch file
        for chunk in _grown(example, size):
            fh.write(chunk)


_ENTRIES_PER_CHUNK = 8_192  # about 100 KB of body per chunk written


def _grown(example: object, size: int) -> Iterator[bytes]:
    """The grown body in chunks, in order; joined, they are the whole body."""
    key = growable_field(example)
    if key is None:
        raise PerfError("the example body has no object or array field to grow")
    field = example[key]
    shell = json.dumps({**example, key: _HOLE}, separators=(",", ":"))
    head, tail = shell.split(json.dumps(_HOLE))
    if isinstance(field, dict):
        value = json.dumps(next(iter(field.values()), 0), separators=(",", ":"))
        entry = ('"k{}":' + value.replace("{", "{{").replace("}", "}}")).format
        opening, closing = "{", "}"
    else:
        value = json.dumps(field[0] if field else 0, separators=(",", ":"))
        entry = lambda i: value  # noqa: E731 - same shape as the dict case
        opening, closing = "[", "]"
    yield (head + opening).encode()
    # json.dumps escapes every non-ASCII character, so lengths in characters are in bytes.
    budget = size - len(head) - len(tail) - 2
    used, i = 0, 0
    while used < budget:
        parts = []
        while used < budget and len(parts) < _ENTRIES_PER_CHUNK:
            text = entry(i)
            parts.append(text)
            used += len(text) + (1 if i else 0)
            i += 1
        yield (("," if i > len(parts) else "") + ",".join(parts)).encode()
    yield (closing + tail).encode()
