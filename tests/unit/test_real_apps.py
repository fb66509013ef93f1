"""Who-am-I routes and the path names the logged-in user's own id may fill (real apps are
attacked in tests/system/test_real_apps.py)."""

from __future__ import annotations


def test_who_am_i_routes_and_the_names_they_may_fill():
    from perf.collector.requests.known_ids import me_routes, names_a_user

    paths = {"/user": {"get": {}}, "/users/me": {"get": {}}, "/users/{id}": {"get": {}},
             "/me": {"put": {}}, "/items": {"get": {}}}
    assert me_routes(paths) == ["/user", "/users/me"]
    assert names_a_user("username", "/profiles", "/user")
    assert names_a_user("authorId", "/articles", "/user")
    assert names_a_user("id", "/users", "/users/me")  # an item of that very collection
    assert not names_a_user("id", "/items", "/users/me")
    assert not names_a_user("item_id", "/items", "/user")
