"""Request bodies on the wire: JSON, urlencoded forms and multipart forms (a small generated
file for each binary field), from a value that validated against the body's schema."""

from __future__ import annotations

import json
import urllib.parse

from perf.collector.requests.sample_files import sample_file
from perf.collector.requests.schema.document import Schemas

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
BOUNDARY = "perf-boundary-5c1e7a93d4"  # fixed: the same body bytes on every run


def media_kind(media_type: str) -> str | None:
    """JSON, FORM or MULTIPART for a media type perf can send, else None."""
    base = media_type.split(";")[0].strip().lower()
    if base == JSON or (base.startswith("application/") and base.endswith("+json")):
        return JSON
    if base in (FORM, MULTIPART):
        return base
    return None


def pick_media_type(content: dict) -> str | None:
    """The media type perf sends when an operation offers several: JSON first, then forms."""
    kinds = {media: media_kind(media) for media in content}
    for wanted in (JSON, FORM, MULTIPART):
        for media, kind in kinds.items():
            if kind == wanted:
                return media
    return None


def encode(media_type: str, value: object, schema: dict, schemas: Schemas,
           encoding: dict | None = None) -> tuple[str, bytes]:
    """(Content-Type header, body bytes) for `value` sent as `media_type`."""
    kind = media_kind(media_type)
    if kind == JSON:
        return media_type, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    fields = value if isinstance(value, dict) else {}
    if kind == FORM:
        pairs = [(k, text) for k, v in fields.items() for text in _texts(v)]
        return FORM, urllib.parse.urlencode(pairs).encode()
    return f"{MULTIPART}; boundary={BOUNDARY}", _multipart(fields, schema, schemas, encoding or {})


def _texts(value: object) -> list[str]:
    """A form field's value(s) as text; a list is the field repeated, as FastAPI reads it."""
    if value is None:
        return []
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (dict,)):
        return [json.dumps(value, separators=(",", ":"))]
    return [str(value)]


def _multipart(fields: dict, schema: dict, schemas: Schemas, encoding: dict) -> bytes:
    props = (schemas.deref(schema)[0].get("properties") or {}) if schema else {}
    out = bytearray()
    for name, value in fields.items():
        is_file = is_binary(props.get(name), schemas)
        declared = (encoding.get(name) or {}).get("contentType") or _media_of(props.get(name), schemas)
        upload = sample_file(declared, name)
        for text in _texts(value):
            out += f"--{BOUNDARY}\r\n".encode()
            if is_file:
                out += (f'Content-Disposition: form-data; name="{_quoted(name)}"; '
                        f'filename="{upload.filename}"\r\n'
                        f'Content-Type: {upload.content_type}\r\n\r\n').encode() + upload.data
            else:
                out += f'Content-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
                out += text.encode()
            out += b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


def _media_of(schema: dict | None, schemas: Schemas) -> str | None:
    """A file field's contentMediaType (3.1), on the field or on its items."""
    if not isinstance(schema, dict):
        return None
    resolved = schemas.deref(schema)[0]
    if isinstance(resolved.get("items"), dict):
        resolved = schemas.deref(resolved["items"])[0]
    return resolved.get("contentMediaType")


def is_binary(schema: dict | None, schemas: Schemas) -> bool:
    """Whether a form field is a file: a binary string, or a list of them (3.0 says
    `format: binary`, 3.1 `contentMediaType`)."""
    if not isinstance(schema, dict):
        return False
    resolved = schemas.deref(schema)[0]
    for branch in resolved.get("anyOf", []) + resolved.get("oneOf", []):
        if isinstance(branch, dict) and is_binary(branch, schemas):
            return True
    if isinstance(resolved.get("items"), dict):
        return is_binary(resolved["items"], schemas)
    media = str(resolved.get("contentMediaType", "")).lower()
    return resolved.get("format") == "binary" or (
        bool(media) and "json" not in media and resolved.get("contentEncoding") != "base64")


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
