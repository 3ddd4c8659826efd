"""Managers sign in less painfully but as safely (issue item 14): "Remember this device for 30 days" after the
second factor skips only that step on that device, until it expires or is revoked; managers land on compliance."""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from elearn.extensions import db

DEVICE_COOKIE = "elearn-device"
TWO_FACTOR = "/login/two-factor"
COMPLIANCE = "/manage/"


def password_step(browser, user, make, password=None, **query):  # type: ignore[no-untyped-def]
    return browser.post("/login", query_string=query,
                        data={"email": user.email, "password": password or make.PASSWORD})


def sign_in_remembering(browser, user, make):  # type: ignore[no-untyped-def]
    """Both steps, ticking "Remember this device for 30 days"; then log out, keeping the device cookie."""
    totp = make.two_factor(user)
    assert password_step(browser, user, make).location.startswith(TWO_FACTOR)
    response = browser.post(TWO_FACTOR, data={"code": make.next_totp_code(user, totp), "remember_device": "y"})
    assert response.status_code == 302
    assert browser.get_cookie(DEVICE_COOKIE) is not None
    assert browser.post("/logout").status_code == 302
    return totp


def asks_for_a_code(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response.location.startswith(TWO_FACTOR)


def test_a_remembered_device_skips_only_the_second_step(client, cast, make):
    manager = cast.manager_a
    sign_in_remembering(client, manager, make)
    wrong = password_step(client, manager, make, password="not the password at all")
    assert wrong.status_code == 422  # the password is still required
    response = password_step(client, manager, make)
    assert response.status_code == 302 and response.location == COMPLIANCE
    assert client.get(COMPLIANCE).status_code == 200


def test_without_the_tick_the_device_is_not_remembered(client, cast, make, login_as):
    login_as(cast.manager_a)
    assert client.get_cookie(DEVICE_COOKIE) is None
    client.post("/logout")
    assert asks_for_a_code(password_step(client, cast.manager_a, make))


def test_the_device_cookie_is_httponly_lax_and_lives_30_days(client, cast, make):
    manager = cast.manager_a
    totp = make.two_factor(manager)
    password_step(client, manager, make)
    response = client.post(TWO_FACTOR, data={"code": make.next_totp_code(manager, totp), "remember_device": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE + "="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age=2592000" in header


def test_production_names_the_device_cookie_with_the_host_prefix():
    from config import ProductionConfig

    assert ProductionConfig.DEVICE_COOKIE_NAME.startswith("__Host-") and ProductionConfig.SESSION_COOKIE_SECURE


def test_a_remembered_device_expires_after_30_days(client, cast, make):
    from datetime import timedelta

    from sqlalchemy import update

    from elearn.db import now_utc
    from elearn.models import SessionKind, UserSession

    sign_in_remembering(client, cast.manager_a, make)
    row_expires = db.session.scalar(UserSession.__table__.select().with_only_columns(UserSession.expires_at)
                                    .where(UserSession.kind == SessionKind.DEVICE))
    assert timedelta(days=29, hours=23) < row_expires - now_utc() <= timedelta(days=30)
    db.session.execute(update(UserSession).values(expires_at=now_utc() - timedelta(seconds=1)))
    db.session.commit()
    assert asks_for_a_code(password_step(client, cast.manager_a, make))


def test_forget_on_my_account_revokes_the_device(app, client, cast, make, login_as):
    import re

    manager = cast.manager_a
    totp = sign_in_remembering(client, manager, make)
    other = app.test_client()
    password_step(other, manager, make)
    other.post(TWO_FACTOR, data={"code": make.next_totp_code(manager, totp)})
    page = other.get("/account").get_data(as_text=True)
    assert "remembered until" in page
    forget = re.search(r'action="(/account/sessions/\d+/end)"[^<]*>\s*<input[^>]*>\s*<button[^>]*>Forget', page)
    assert forget is not None
    assert other.post(forget.group(1)).status_code == 302
    assert asks_for_a_code(password_step(client, manager, make))


def test_a_password_change_revokes_remembered_devices(app, client, cast, make):
    manager = cast.manager_a
    totp = sign_in_remembering(client, manager, make)
    other = app.test_client()
    password_step(other, manager, make)
    other.post(TWO_FACTOR, data={"code": make.next_totp_code(manager, totp)})
    new = "another long passphrase"
    assert other.post("/account/password", data={"current_password": make.PASSWORD, "password": new,
                                                  "confirm": new}).status_code == 302
    assert asks_for_a_code(password_step(client, manager, make, password=new))


def test_turning_two_factor_off_revokes_remembered_devices(client, cast, make):
    learner = cast.learner_a
    sign_in_remembering(client, learner, make)
    assert password_step(client, learner, make).location == "/my-learning"  # remembered: no code asked
    assert client.post("/account/two-factor/disable", data={"password": make.PASSWORD}).status_code == 302
    client.post("/logout")
    make.two_factor(learner)  # on again, with a new secret: the old device is not remembered
    assert asks_for_a_code(password_step(client, learner, make))


def _forged(app: Flask, data: dict, key: str) -> str:
    return URLSafeTimedSerializer(key, salt="elearn.remembered-device").dumps(data)


@pytest.mark.parametrize("key", ["guessed-key", None])
def test_a_forged_device_cookie_is_refused(app, client, cast, make, key):
    manager = cast.manager_a
    make.two_factor(manager)
    client.set_cookie(DEVICE_COOKIE, _forged(app, {"user": manager.id, "token": "x" * 43},
                                             key or app.config["SECRET_KEY"]))
    assert asks_for_a_code(password_step(client, manager, make))


def test_a_device_cookie_copied_to_another_user_is_refused(app, client, cast, make):
    sign_in_remembering(client, cast.manager_a, make)
    make.two_factor(cast.manager_b)
    assert asks_for_a_code(password_step(client, cast.manager_b, make))


@pytest.mark.parametrize(("persona", "query", "landing"), [
    ("manager_a", {}, COMPLIANCE),
    ("admin", {}, COMPLIANCE),
    ("manager_a", {"next": "/my-learning"}, "/my-learning"),
    ("manager_a", {"next": "//evil.example"}, COMPLIANCE),
    ("learner_a", {}, "/my-learning"),
])
def test_managers_and_admins_land_on_the_compliance_dashboard(client, cast, make, persona, query, landing):
    user = getattr(cast, persona)
    totp = make.two_factor(user) if user.needs_two_factor else None
    response = password_step(client, user, make, **query)
    if totp is not None:
        response = client.post(response.location, data={"code": make.next_totp_code(user, totp)})
    assert response.status_code == 302 and response.location == landing
