"""Every POST route refuses a request without a valid CSRF token."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def csrf_app(make_app):  # type: ignore[no-untyped-def]
    return make_app(WTF_CSRF_ENABLED=True)


def post_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every rule that accepts POST, with its converters filled by harmless values."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "sample-course", path)
        paths.append(path)
    return sorted(paths)


def test_there_are_post_routes_to_check(csrf_app):
    assert "/login" in post_routes(csrf_app) and "/register" in post_routes(csrf_app)


def test_every_post_route_refuses_a_missing_token(csrf_app, make):
    client = csrf_app.test_client()
    for path in post_routes(csrf_app):
        response = client.post(path, data={"email": "x@example.org", "password": "whatever it is"})
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True), path


def test_a_logged_in_users_post_routes_refuse_a_wrong_token(csrf_app, make):
    user = make.user()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": token, "email": user.email,
                                       "password": make.PASSWORD}).status_code == 302
    for path in post_routes(csrf_app):
        response = client.post(path, data={"csrf_token": "forged-token"})
        assert response.status_code == 400, path


def test_the_pre_login_token_does_not_survive_login(csrf_app, make):
    user = make.user()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": before, "email": user.email, "password": make.PASSWORD})
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400


def _sign_in_with_csrf(client, make):  # type: ignore[no-untyped-def]
    user = make.user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": token, "email": user.email,
                                       "password": make.PASSWORD}).status_code == 302
    return user


def _header_tokens(client) -> list[str]:  # type: ignore[no-untyped-def]
    page = client.get("/accessibility").get_data(as_text=True)
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)


def test_the_header_token_is_signed_once_and_still_opens_the_log_out_form(csrf_app, make):
    """elearn.security.csrf_token reuses a session's signed token: it must stay the one Flask-WTF accepts."""
    client = csrf_app.test_client()
    _sign_in_with_csrf(client, make)
    from elearn.security import _SIGNED_CSRF

    first, again = _header_tokens(client), _header_tokens(client)
    assert first and first == again and first[0] in _SIGNED_CSRF.values()
    assert client.post("/logout", data={"csrf_token": first[0]}).status_code == 302
    assert client.get("/my-learning").status_code == 302  # signed out


def test_another_session_gets_its_own_token(csrf_app, make):
    one, other = csrf_app.test_client(), csrf_app.test_client()
    _sign_in_with_csrf(one, make)
    _sign_in_with_csrf(other, make)
    assert _header_tokens(one)[0] != _header_tokens(other)[0]
    assert other.post("/logout", data={"csrf_token": _header_tokens(one)[0]}).status_code == 400


def test_with_a_time_limit_each_page_signs_afresh(make_app, make):
    app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=3600)
    with app.test_request_context("/"):
        from flask import session

        from elearn.security import _SIGNED_CSRF, csrf_token

        session["csrf_token"] = "a" * 40
        before = dict(_SIGNED_CSRF)
        assert csrf_token()
        assert _SIGNED_CSRF == before
