"""Tampered and forged session cookies are treated as anonymous; `next` never leads off the site (A10, B11)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from elearn.auth.sessions import start_session
from tests.security.helpers import changed_tables, fingerprint

PRIVATE = "/my-learning"


def cookie_of(client, app) -> str:  # type: ignore[no-untyped-def]
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def with_cookie(app, value: str):  # type: ignore[no-untyped-def]
    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return browser


def signed(app: Flask, data: dict, *, key: str) -> str:
    other = Flask("forger")
    other.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(other).dumps(data)  # type: ignore[union-attr]


def assert_anonymous(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get(PRIVATE)
    assert response.status_code == 302 and "/login" in response.location


@pytest.fixture
def signed_in(app, client, cast, login_as):  # type: ignore[no-untyped-def]
    user = login_as(cast.learner_a)
    assert client.get(PRIVATE).status_code == 200
    return user, cookie_of(client, app)


BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _flip(character: str) -> str:
    """Another character whose top bit differs: the last character of a base64 signature carries unused low
    bits, so changing only those (say "B" to "A") would leave the same signature and a flaky test."""
    if character not in BASE64URL:
        return "A"
    return BASE64URL[BASE64URL.index(character) ^ 0b100000]


def test_a_bit_flipped_cookie_is_anonymous(app, signed_in):
    _, cookie = signed_in
    for position in (0, len(cookie) // 2, len(cookie) - 1):
        flipped = cookie[:position] + _flip(cookie[position]) + cookie[position + 1:]
        assert_anonymous(with_cookie(app, flipped))


def test_a_cookie_signed_with_another_key_is_anonymous(app, signed_in):
    _, cookie = signed_in
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)  # type: ignore[union-attr]
    assert_anonymous(with_cookie(app, signed(app, data, key="guessed-key")))


def test_another_users_id_in_a_re_signed_or_edited_cookie_is_anonymous(app, cast, signed_in):
    _, cookie = signed_in
    admins = start_session(cast.admin, user_agent=None, ip=None).key
    forged = signed(app, {"_user_id": admins, "_fresh": True}, key="not-the-secret")
    assert_anonymous(with_cookie(app, forged))
    _, _, signature = cookie.partition(".")
    assert_anonymous(with_cookie(app, forged.partition(".")[0] + "." + signature))


def test_a_bare_user_id_or_a_made_up_session_key_is_anonymous_even_when_signed_right(app, signed_in):
    """Defence in depth: even with the real key, a session must name a session the server holds and has not ended."""
    user, _ = signed_in
    key = app.config["SECRET_KEY"]
    for value in (str(user.id), f"{user.id}:1", "a" * 43, "0:0", "-1:0", "99999999999999999999:0", "' OR 1=1 --:0"):
        assert_anonymous(with_cookie(app, signed(app, {"_user_id": value, "_fresh": True}, key=key)))


def test_an_old_cookie_after_a_password_change_elsewhere_is_anonymous(app, client, cast, make, signed_in):
    _, cookie = signed_in
    elsewhere = app.test_client()
    login_as_user = cast.learner_a
    elsewhere.post("/login", data={"email": login_as_user.email, "password": make.PASSWORD})
    assert elsewhere.post("/account/password", data={"current_password": make.PASSWORD,
                                                     "password": "another long passphrase",
                                                     "confirm": "another long passphrase"}).status_code == 302
    assert_anonymous(with_cookie(app, cookie))


def test_garbage_cookies_never_cause_a_500(app):
    before = fingerprint()
    for value in ("", ".", "..", "x" * 4000, "eyJ4Ijoi", "\u00ff\u00fe", ".eJyrVkpJLElUslIqS8wpTgUAG_wEjQ.x.y"):
        browser = with_cookie(app, value)
        assert browser.get(PRIVATE).status_code == 302
        assert browser.get("/").status_code == 200
    assert changed_tables(before, fingerprint()) == []


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example", "%2F%2Fevil.example",
    "javascript:alert(1)", "\t//evil.example", "/%09/evil.example", "///evil.example", "http://localhost@evil.example",
    "/\r\nLocation: https://evil.example", " //evil.example",
])
def test_next_never_leads_off_the_site(client, make, target):
    user = make.user()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    location = response.location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location.split("?")[0] or location.startswith("/%")
