"""What the hints of a failing operation need to know of it, kept in the run's config
("failure_facts") because the store keeps no request bodies nor the document: whether the
operation declares a 404 answer (then a 404 is the app saying "no such item"), and the id-like
fields of its query and body (a 404 on a route without {param} names one of them). Read back by
perf.store.failures.FailureContext.of_operation."""

from __future__ import annotations

import re

from perf.collector.requests.endpoint import Discovery
from perf.collector.requests.known_ids import placeholders

_ID = re.compile(r"(^|_)id$|[a-z]Id$|^ID$")


def failure_facts(found: Discovery) -> dict[str, dict]:
    """{"POST /tags": {"declares_404": true, "id_fields": ["notebook_id"]}, ...} for the
    attacked operations that have either (most have neither: the config stays small)."""
    paths = (found.spec or {}).get("paths") or {}
    facts = {}
    for endpoint in found.endpoints:
        item = paths.get(endpoint.path) if isinstance(paths, dict) else None
        operation = item.get(endpoint.method.lower()) if isinstance(item, dict) else None
        responses = operation.get("responses") if isinstance(operation, dict) else None
        declares_404 = isinstance(responses, dict) and "404" in {str(k) for k in responses}
        in_path = set(placeholders(endpoint.path))
        ids = sorted(name for name in found.value_names.get(endpoint.name, ())
                     if isinstance(name, str) and name not in in_path and _ID.search(name))
        fact = {**({"declares_404": True} if declares_404 else {}),
                **({"id_fields": ids} if ids else {})}
        if fact:
            facts[endpoint.name] = fact
    return facts
