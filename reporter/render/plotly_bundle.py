"""How the dashboard carries plotly.js (and its figure data) inside one offline HTML file.

The dashboard draws only scatter, bar and heatmap traces, so it embeds plotly.js's cartesian
partial bundle (1.5 MB minified, ~0.5 MB gzipped): perf's package data, fetched from the npm
registry, pinned by version and checksum (tools/plotlyjs.py), when the wheel is built or by
`make install` (never committed). Where it is missing (an editable install set up offline), the
plotly package's full bundle (4.8 MB, ~1.5 MB gzipped) is used instead, and the report's footer
and `perf doctor` say so.

The page inflates the bundle with the browser's native `DecompressionStream('gzip')`. The gzip
bytes travel as base85 text (25% overhead against base64's 33%), using Python's RFC 1924
alphabet with '<' swapped for '.', so the text can never close or alter the <script> element
that holds it. The figure data uses the same packing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pkgutil

import plotly.offline

# Where the partial bundle is looked for, in order: perf's package data (templates/ in the
# repository), then the venv's share/perf/, where `make install` put it before it was package data.
PACKAGED_BUNDLE = Path(str(files("perf.templates") / "plotly-cartesian.min.js"))
PARTIAL_BUNDLES = (PACKAGED_BUNDLE, Path(sys.prefix) / "share" / "perf" / "plotly-cartesian.min.js")

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


@dataclass(frozen=True)
class Bundle:
    js: str
    version: str
    partial: bool  # the cartesian partial bundle, rather than the full fallback
    source: str  # where it was read from
    # Subresource Integrity of these exact bytes, for --plotlyjs cdn: the CDN serves the same
    # release file (the full bundle's hash matches cdn.plot.ly's plotly-4.1.1.min.js), so a
    # browser runs the CDN's copy only when it is byte for byte what perf was installed with.
    integrity: str

    def describe(self) -> str:
        """One line for the report's footer and `perf doctor`."""
        if self.partial:
            return f"plotly.js {self.version} (cartesian partial bundle, {self.source})"
        return (f"plotly.js {self.version} (full bundle from the plotly package: the cartesian "
                f"partial bundle is not installed at {PACKAGED_BUNDLE}, so reports are ~2 MB "
                "instead of < 1 MB; `make install` with network access fetches it)")


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def _version(js: str) -> str | None:
    found = re.search(r"plotly\.js[^\n]*?\bv(\d+\.\d+\.\d+)", js[:400])
    return found.group(1) if found else None


def bundle(partial: Path | None = None) -> Bundle:
    """The plotly.js the dashboard embeds: the partial bundle when installed, else the full one."""
    for path in PARTIAL_BUNDLES if partial is None else (partial,):
        if path.is_file():
            data = path.read_bytes()
            js = data.decode("utf-8")
            return Bundle(js, _version(js) or "?", True, str(path), sri(data))
    # The bytes plotly.offline.get_plotlyjs() decodes.
    data = pkgutil.get_data("plotly", "package_data/plotly.min.js")
    return Bundle(data.decode("utf-8"), plotly.offline.get_plotlyjs_version(), False,
                  "the plotly package", sri(data))


@lru_cache(maxsize=1)
def current_bundle() -> Bundle:
    return bundle()


def plotlyjs_version() -> str:
    return current_bundle().version


def cdn_url() -> str:
    name = "plotly-cartesian" if current_bundle().partial else "plotly"
    return f"https://cdn.plot.ly/{name}-{plotlyjs_version()}.min.js"


@lru_cache(maxsize=1)
def packed_plotlyjs() -> Packed:
    """The embedded plotly.js, packed once per process."""
    return pack(current_bundle().js.encode("utf-8"))
