"""Sessions end on the server (A10, issue item 5): a copy of a session cookie opens nothing once its session has
ended by logging out, "sign out everywhere", a password change elsewhere or My account's "end" button."""

from __future__ import annotations

import re

from elearn.extensions import db
from tests.security.test_sessions import assert_anonymous, cookie_of, with_cookie

PRIVATE = ("/my-learning", "/account/data")
NEW_PASSWORD = "another long passphrase"


def opens_private_pages(browser) -> bool:  # type: ignore[no-untyped-def]
    return all(browser.get(path).status_code == 200 for path in PRIVATE)


def assert_signed_out(browser) -> None:  # type: ignore[no-untyped-def]
    for path in PRIVATE:
        response = browser.get(path)
        assert response.status_code == 302 and "/login" in response.location, path


def test_a_copied_cookie_opens_nothing_after_logout(app, client, cast, login_as):
    login_as(cast.learner_a)
    copy = with_cookie(app, cookie_of(client, app))
    assert opens_private_pages(copy)
    assert client.post("/logout").status_code == 302
    assert_signed_out(client)
    assert_signed_out(copy)


def test_sign_out_everywhere_ends_every_session_of_the_user_and_no_one_elses(app, client, cast, login_as):
    login_as(cast.learner_a)
    laptop, copy = app.test_client(), with_cookie(app, cookie_of(client, app))
    login_as(cast.learner_a, via=laptop)
    someone_else = app.test_client()
    login_as(cast.second_learner_a, via=someone_else)
    assert client.post("/account/sessions/end-all").status_code == 302
    for browser in (client, laptop, copy):
        assert_signed_out(browser)
    assert opens_private_pages(someone_else)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, cast, make, login_as):
    login_as(cast.learner_a)
    phone = app.test_client()
    login_as(cast.learner_a, via=phone)
    response = client.post("/account/password", data={"current_password": make.PASSWORD, "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert_signed_out(phone)
    assert opens_private_pages(client)


def _end_buttons(page: str) -> list[str]:
    return re.findall(r'action="(/account/sessions/\d+/end)"', page)


def test_my_account_lists_both_sessions_and_ends_the_other_one(app, client, cast, login_as):
    login_as(cast.learner_a)
    phone = app.test_client()
    login_as(cast.learner_a, via=phone)
    page = client.get("/account", headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0"})
    text = page.get_data(as_text=True)
    assert "(this device)" in text
    buttons = _end_buttons(text)
    assert len(buttons) == 1  # the other session; this one is marked, without a button
    assert client.post(buttons[0]).status_code == 302
    assert_signed_out(phone)
    assert opens_private_pages(client)
    assert _end_buttons(client.get("/account").get_data(as_text=True)) == []


def test_ending_another_persons_session_is_a_404_and_ends_nothing(app, client, cast, login_as):
    login_as(cast.second_learner_a)
    other = app.test_client()
    login_as(cast.second_learner_a, via=other)
    theirs = _end_buttons(client.get("/account").get_data(as_text=True))
    intruder = app.test_client()
    login_as(cast.learner_a, via=intruder)
    assert intruder.post(theirs[0]).status_code == 404
    assert opens_private_pages(other)


def test_the_user_agent_is_shown_as_a_short_escaped_label(app, client, cast, login_as):
    hostile = "<script>alert(1)</script> Firefox/1 (Windows)"
    client.environ_base["HTTP_USER_AGENT"] = hostile
    login_as(cast.learner_a)
    text = client.get("/account").get_data(as_text=True)
    assert "Firefox on Windows" in text and "<script>alert(1)" not in text


def test_a_read_refreshes_last_seen_at_most_once_in_five_minutes(app, client, cast, login_as):
    from datetime import timedelta

    from sqlalchemy import select

    from elearn.db import now_utc
    from elearn.models import UserSession

    login_as(cast.learner_a)
    row = db.session.scalar(select(UserSession))
    first_seen = row.last_seen_at
    client.get("/my-learning")
    db.session.refresh(row)
    assert row.last_seen_at == first_seen  # a read soon after writes nothing
    row.last_seen_at = now_utc() - timedelta(minutes=6)
    db.session.commit()
    client.get("/my-learning")
    db.session.refresh(row)
    assert row.last_seen_at > now_utc() - timedelta(minutes=1)


def test_deactivation_still_ends_the_session_at_once(app, client, cast, login_as):
    from elearn.auth.service import set_account_active

    login_as(cast.learner_a)
    set_account_active(cast.learner_a, False, actor=cast.admin, event="user")
    assert_anonymous(client)
