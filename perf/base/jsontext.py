"""JSON documents as perf writes them (reports, comparisons, the plan): strict JSON.

JSON has no NaN or Infinity: Python's json writes them anyway, and JSON.parse, jq and most
parsers then reject the whole document. A value that is not a number is None (null) with its
reason beside it, and `json_document` refuses the rest, so a regression fails loudly.
"""

from __future__ import annotations

import json


def json_document(data, default=None) -> str:
    """`data` as indented JSON text; ValueError on NaN or Infinity (a bug: see above)."""
    return json.dumps(data, indent=2, allow_nan=False, default=default) + "\n"
