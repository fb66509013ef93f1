"""The logged-in user of a sweep (--login): a token fetched at every server start and again
before any attack it would not outlive, sent with every request perf makes."""

from __future__ import annotations

import time

from perf.base.errors import PerfError
from perf.collector.requests.login import (BASIC, SCHEMES, LoginRoute, Token, auth_headers,
                                           basic_token, login_request, read_token)
from perf.collector.server.server import http_exchange

MARGIN_S = 2.0  # a token must outlive the attack by this much, or perf logs in again first


class LoginSession:
    def __init__(self, route: LoginRoute, user: str, password: str, probe_path: str | None):
        self.route, self.user, self.password = route, user, password
        self.probe_path = probe_path
        self.scheme: str | None = route.scheme
        self.token: Token | None = None
        self.logins = 0
        self.ttl_s: float | None = None  # how long a fresh token lives (known once logged in)

    def describe(self) -> str:
        scheme = "a session cookie" if self.token and self.token.cookie else (
            f"Authorization: {self.scheme or 'Bearer'} <token>" if self.scheme != "" else
            "Authorization: <token>")
        return f"logged in as {self.user} via {self.route.name} ({self.route.found_by}); sending {scheme}"

    def log_in(self, base_url: str) -> None:
        if self.route.kind == BASIC:  # nothing to call: the credentials are the token
            self.token = basic_token(self.user, self.password)
            self.logins += 1
            return
        method, url, headers, body = login_request(self.route, base_url, self.user, self.password)
        try:
            status, answer_headers, answer = http_exchange(method, url, headers, body, timeout=30)
        except OSError as exc:
            raise PerfError(f"--login: {self.route.name} did not answer ({exc})") from None
        self.token = read_token(status, answer_headers, answer, self.route)
        self.logins += 1
        if self.token.expires_at is not None:
            self.ttl_s = self.token.expires_at - time.time()
        if self.scheme is None and not self.token.cookie:
            self.scheme = self._probe_scheme(base_url)

    def _probe_scheme(self, base_url: str) -> str:
        """The scheme word the app takes the token with (Bearer, Token, none), tried on a
        protected GET; Bearer when there is none to try or none is let in."""
        if self.probe_path is None:
            return "Bearer"
        for scheme in SCHEMES:
            try:
                status = http_exchange("GET", base_url + self.probe_path,
                                       auth_headers(self.token, scheme), timeout=30)[0]
            except OSError:
                return "Bearer"
            if status not in (401, 403):
                return scheme
        return "Bearer"

    def headers(self, base_url: str, seconds_ahead: float) -> dict[str, str]:
        """The auth headers for requests sent over the next `seconds_ahead`, logging in again
        first when the token would expire within them."""
        expires = self.token.expires_at if self.token else 0.0
        if self.token is None or (expires is not None and expires < time.time() + seconds_ahead + MARGIN_S):
            self.log_in(base_url)
        return auth_headers(self.token, self.scheme or "Bearer")

    def lifetime_s(self) -> float | None:
        if self.token is None or self.token.expires_at is None:
            return None
        return self.token.expires_at - time.time()

    @property
    def secrets(self) -> tuple[str, ...]:
        values = [self.password]
        if self.token is not None:
            values += [self.token.value, self.token.cookie or ""]
        return tuple(v for v in values if v)
