"""The file perf uploads for a binary form field: a tiny, valid file of the kind the route
takes, so an app that opens it (PIL on an image, a CSV reader) does not fail on perf's bytes.

The kind comes from the declared part type (OpenAPI `encoding.contentType`), else the schema's
`contentMediaType`, else the field's name (photo, avatar, pdf ...), else plain text.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SampleFile:
    filename: str
    content_type: str
    data: bytes


def _png() -> bytes:
    """A 1x1 opaque white PNG, built by the format's own rules (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")  # filter byte 0, one white pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")

TEXT = SampleFile("perf-upload.txt", "text/plain", b"perf upload\n")
_BY_TYPE = {
    "image/png": SampleFile("perf-upload.png", "image/png", _png()),
    "image/gif": SampleFile("perf-upload.gif", "image/gif", _GIF),
    "application/pdf": SampleFile("perf-upload.pdf", "application/pdf", _PDF),
    "text/csv": SampleFile("perf-upload.csv", "text/csv", b"id,name\n1,perf\n"),
    "application/json": SampleFile("perf-upload.json", "application/json", b'{"perf": 1}\n'),
    "text/plain": TEXT,
}
# A field name's words that say which kind of file the route expects.
_NAME_WORDS = {
    "image": "image/png", "img": "image/png", "photo": "image/png", "picture": "image/png",
    "avatar": "image/png", "logo": "image/png", "thumbnail": "image/png", "icon": "image/png",
    "banner": "image/png", "cover": "image/png",
    "pdf": "application/pdf", "csv": "text/csv", "json": "application/json",
}


def sample_file(declared: str | None, field: str | None) -> SampleFile:
    """The file to send for a binary field with the `declared` media type(s), named `field`."""
    for media in (declared or "").lower().split(","):
        media = media.split(";")[0].strip()
        if media in _BY_TYPE:
            return _BY_TYPE[media]
        if media.startswith("image/"):  # image/* or a type perf has no sample of: PNG is read by every decoder
            return _BY_TYPE["image/png"]
    words = re.split(r"[^a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field or "").lower())
    for word in words:
        if word in _NAME_WORDS:
            return _BY_TYPE[_NAME_WORDS[word]]
    first = (declared or "").split(",")[0].strip()
    return replace(TEXT, content_type=first) if first else TEXT  # the type the route names
