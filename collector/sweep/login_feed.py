"""A login renewed while an attack runs (--login with a token that dies sooner than the attack):
the attack's targets go to vegeta through a TargetFeed (collector/load/target_feed.py) that logs
in as the sweep's user every half of the token's life. An attack the token outlives keeps its
targets file, as every other attack."""

from __future__ import annotations

from pathlib import Path

from perf.collector.load.target_feed import Credentials, TargetFeed
from perf.collector.requests.login import auth_headers
from perf.collector.settings.secrets import Masker
from perf.collector.sweep.login_session import MARGIN_S, LoginSession


def needs_feed(login: LoginSession | None, seconds: float) -> bool:
    """Would a token fetched now die within `seconds` of attack (and the margin)?"""
    return (login is not None and login.ttl_s is not None and not login.token.cookie
            and login.ttl_s < seconds + MARGIN_S)


def feed_for(login: LoginSession | None, base_url: str, targets: Path, seconds: float,
             masker: Masker | None) -> TargetFeed | None:
    """The feed for an attack of `seconds` on `targets`, or None when the targets file does."""
    if not needs_feed(login, seconds):
        return None

    def log_in() -> Credentials:
        login.log_in(base_url)
        return Credentials(auth_headers(login.token, login.scheme or "Bearer"),
                           login.token.expires_at, login.secrets)

    return TargetFeed(targets, log_in, masker)


def renewal_note(login: LoginSession, seconds: float) -> str | None:
    """The progress line saying the token is renewed during each attack, when it will be."""
    if not needs_feed(login, seconds):
        return None
    return (f"the login's token lives {login.ttl_s:.0f}s, too little for one attack of {seconds:g}s: "
            f"perf logs in again every {login.ttl_s / 2:.1f}s while it attacks "
            f"(vegeta reads its targets as they are written, each with the newest token)")
