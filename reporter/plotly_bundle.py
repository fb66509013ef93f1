"""How the dashboard carries plotly.js (and its figure data) inside one offline HTML file.

plotly.min.js is ~4.8 MB; gzip brings it to ~1.47 MB, and the page inflates it with the browser's
native `DecompressionStream('gzip')`. The gzip bytes travel as base85 text (25% overhead against
base64's 33%), using Python's RFC 1924 alphabet with '<' swapped for '.', so the text can never
close or alter the <script> element that holds it. The figure data uses the same packing.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from functools import lru_cache

import plotly.offline

# RFC 1924 (Python's b85encode) with "<" -> "."; the page's decoder uses exactly this string.
ALPHABET = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~"
)
_SAFE = bytes.maketrans(b"<", b".")


@dataclass(frozen=True)
class Packed:
    text: str  # base85 of the gzip bytes, padded to whole 4-byte groups
    size: int  # gzip bytes before padding (the decoder trims to it)
    raw_size: int  # bytes before compression


def pack(data: bytes) -> Packed:
    """gzip (deterministic: mtime 0) then base85 in the page's alphabet."""
    compressed = gzip.compress(data, compresslevel=9, mtime=0)
    padded = compressed + b"\0" * (-len(compressed) % 4)
    text = base64.b85encode(padded).translate(_SAFE).decode("ascii")
    return Packed(text=text, size=len(compressed), raw_size=len(data))


def unpack(packed: Packed) -> bytes:
    """The inverse of pack (what the page's JS does), for tests and tools."""
    padded = base64.b85decode(packed.text.replace(".", "<"))
    return gzip.decompress(padded[: packed.size])


def plotlyjs_version() -> str:
    return plotly.offline.get_plotlyjs_version()


def cdn_url() -> str:
    return f"https://cdn.plot.ly/plotly-{plotlyjs_version()}.min.js"


@lru_cache(maxsize=1)
def packed_plotlyjs() -> Packed:
    """plotly.min.js from the installed plotly package, packed once per process."""
    return pack(plotly.offline.get_plotlyjs().encode("utf-8"))
