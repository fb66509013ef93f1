"""The corpus manifest: for each app, how perf runs it and what perf should make of it.

`options()` are the `perf collect` options the app needs; `overrides()` are the same for
`perf.collector.requests.discovery.discover`. `attacked` are the operations attacked with those options
(each must succeed on >= 99% of requests); `skipped` maps each operation the selection leaves
out to a piece of its reason; `failing` maps operations that fail on purpose to their status
(left out of `attacked` by the options; attack them with `--endpoint` to see the failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perf.collector.requests.discovery import Overrides
from tests.apps.oauth_login import issue_token
from tests.apps.token_header import TOKEN


@dataclass(frozen=True)
class CorpusApp:
    name: str
    app: str  # import string, module:attr
    attacked: tuple[str, ...]
    factory: bool = False  # `app` is a zero-argument factory (perf collect --factory)
    openapi_url: str = "/openapi.json"  # where the served document is
    health_path: str | None = None  # --health-path
    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    methods: tuple[str, ...] | None = None  # --methods, when not the default
    endpoints: tuple[str, ...] = ()  # --endpoint
    filters: tuple[str, ...] = ()  # --filter
    skipped: dict[str, str] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)
    prefix: str = ""  # the document's servers[0].url path

    def options(self) -> list[str]:
        out = ["--app", self.app]
        if self.factory:
            out.append("--factory")
        if self.openapi_url != "/openapi.json":
            out += ["--openapi-url", self.openapi_url]
        if self.health_path:
            out += ["--health-path", self.health_path]
        for name, value in self.headers:
            out += ["--header", f"{name}: {value}"]
        for name, value in self.params:
            out += ["--param", f"{name}={value}"]
        if self.methods:
            out += ["--methods", ",".join(self.methods)]
        for endpoint in self.endpoints:
            out += ["--endpoint", endpoint]
        for prefix in self.filters:
            out += ["--filter", prefix]
        return out

    def overrides(self) -> Overrides:
        extra = {"methods": self.methods} if self.methods else {}
        return Overrides(filters=self.filters, endpoints=self.endpoints, params=self.params,
                         headers=self.headers, **extra)


CORPUS = [
    CorpusApp(
        "bookstore", "tests.apps.bookstore:app",
        attacked=("GET /books", "POST /books", "GET /books/{book_id}", "PUT /books/{book_id}"),
        skipped={"DELETE /books/{book_id}": "DELETE is left out unless --methods includes it"},
    ),
    CorpusApp(
        "typed_paths", "tests.apps.typed_paths:app", health_path="/healthz",
        attacked=("GET /pages/{page}", "GET /users/{username}", "GET /objects/{object_id}",
                  "GET /models/{model}", "GET /files/{file_path}", "GET /ratio/{value}"),
    ),
    CorpusApp(
        "versioned", "tests.apps.versioned:app", openapi_url="/api/v1/openapi.json",
        attacked=("GET /api/v1/readings", "POST /api/v1/readings", "GET /api/v1/stats/{sensor}"),
    ),
    CorpusApp(
        "mounted", "tests.apps.mounted:app", openapi_url="/shop/openapi.json", prefix="/shop",
        attacked=("GET /products", "GET /products/{product_id}", "POST /orders"),
    ),
    CorpusApp(
        "oauth_login", "tests.apps.oauth_login:app",
        headers=(("Authorization", f"Bearer {issue_token('alice')}"),),
        params=(("username", "alice"), ("password", "wonderland")),
        attacked=("POST /token", "GET /users/me", "GET /notes", "POST /notes"),
    ),
    CorpusApp(
        "uploads", "tests.apps.uploads:app",
        attacked=("POST /files", "POST /albums/{album}/photos", "POST /checksum"),
    ),
    CorpusApp(
        "settings_store", "tests.apps.settings_store:app",
        attacked=("PUT /settings/theme", "PUT /settings/quotas/{tier}",
                  "PUT /settings/flags/{flag}"),
    ),
    CorpusApp(
        "token_header", "tests.apps.token_header:app", headers=(("X-Token", TOKEN),),
        attacked=("GET /stock", "GET /search", "GET /preferences"),
    ),
    CorpusApp(
        "task_factory", "tests.apps.task_factory:create_app", factory=True,
        attacked=("GET /tasks", "POST /tasks", "PATCH /tasks/{task_id}", "GET /tasks/{task_id}"),
    ),
    CorpusApp(
        "signup", "tests.apps.signup:app",
        attacked=("POST /customers", "POST /orders", "POST /newsletter"),
    ),
    CorpusApp(
        "flaky", "tests.apps.flaky:app", filters=("/reports",),
        attacked=("GET /reports/{year}/{month}", "GET /reports/latest"),
        failing={"GET /crash": 500},
    ),
]

BY_NAME = {app.name: app for app in CORPUS}
