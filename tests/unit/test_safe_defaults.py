"""Writes to the logged-in user's own account are left out of the plan (real collects of the
safe defaults are in tests/system/test_safe_defaults.py)."""

from __future__ import annotations


def test_writes_to_the_logged_in_users_own_account_are_left_out():
    from perf.collector.requests.side_effects import destructive_reason
    assert "password" in destructive_reason("PATCH", "/api/v1/users/me/password", {})
    assert "own account" in destructive_reason("PATCH", "/users/me", {})
    assert destructive_reason("GET", "/users/me", {}) is None
    assert destructive_reason("POST", "/items/{item_id}/comments", {"summary": "Add Comment"}) is None
