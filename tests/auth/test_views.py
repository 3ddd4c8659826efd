"""Registering, logging in and out, and resetting a password through the web pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.extensions import db
from elearn.models import User
from elearn.security import safe_next_url

GOOD = {"display_name": "Jane Smith", "email": "jane@example.org"}
PASSWORD = {"password": "correct horse battery", "confirm": "correct horse battery"}


def register(client, outbox, **change):  # type: ignore[no-untyped-def]
    """Ask for an account and return the link emailed to finish it (tests/security/test_enumeration.py has the rules)."""
    assert client.post("/register", data={**GOOD, **change}).status_code == 200
    return "/register/" + outbox[-1].get_content().split("/register/")[1].split()[0]


def test_register_then_the_emailed_link_creates_the_account_and_logs_in(client, outbox):
    link = register(client, outbox)
    response = client.post(link, data={"display_name": "Jane Smith", **PASSWORD})
    assert response.status_code == 302
    assert client.get("/my-learning").status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"display_name": ""}, "Enter your full name."),
        ({"display_name": "x" * 121}, "at most 120 characters"),
        ({"email": "not-an-email"}, "Enter an email address like"),
    ],
)
def test_register_with_bad_input_shows_a_clear_message_and_sends_nothing(client, outbox, change, message):
    response = client.post("/register", data={**GOOD, **change})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert "There is a problem" in body
    assert outbox == []


def test_register_reports_every_problem_in_one_pass_and_keeps_what_it_can(client, outbox):
    # The name breaks a rule only the service knows (a bidirectional override); the email breaks the form's.
    response = client.post("/register", data={"display_name": "Jane \u202eSmith", "email": "not-an-email"})
    assert response.status_code == 422
    body = response.text
    assert "Enter an email address like" in body
    assert "Remove the text-direction character U+202E" in body
    assert 'value="not-an-email"' in body  # kept, to correct rather than retype
    assert outbox == []


def test_finishing_reports_the_name_and_the_password_problems_together(client, outbox):
    link = register(client, outbox)
    response = client.post(link, data={"display_name": "Jane \u202eSmith", "password": "password123",
                                       "confirm": "password123"})
    assert response.status_code == 422
    assert "too common" in response.text
    assert "Remove the text-direction character U+202E" in response.text
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_weak_password_is_reported_even_when_the_confirmation_differs(client, outbox):
    link = register(client, outbox)
    response = client.post(link, data={"display_name": "Jane Smith", "password": "short", "confirm": "other"})
    assert "The passwords do not match." in response.text and "at least 10 characters" in response.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"display_name": ""}, "Enter your full name."),
        ({"password": "short", "confirm": "short"}, "at least 10 characters"),
        ({"password": "password123", "confirm": "password123"}, "too common"),
        ({"confirm": "something else"}, "The passwords do not match."),
    ],
)
def test_finishing_with_bad_input_shows_a_clear_message_and_creates_nothing(client, outbox, change, message):
    link = register(client, outbox)
    response = client.post(link, data={"display_name": "Jane Smith", **PASSWORD, **change})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert "There is a problem" in body
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_with_a_taken_email_in_another_case_emails_its_holder_instead_of_saying_so(client, make, outbox):
    make.user(email="jane@example.org")
    response = client.post("/register", data={**GOOD, "email": "JANE@Example.org"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert outbox[-1]["To"] == "jane@example.org" and "already have an elearn account" in outbox[-1].get_content()


def test_register_ignores_extra_fields_such_as_role(client, outbox):
    extra = {"role": "admin", "organisation_id": "1", "is_admin": "1"}
    link = register(client, outbox, **extra)
    client.post(link, data={"display_name": "Jane Smith", **PASSWORD, **extra})
    user = db.session.scalar(select(User))
    assert user.role == "learner" and user.organisation_id is None


def test_register_escapes_a_hostile_name(client, outbox):
    link = register(client, outbox, display_name='"><script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in client.get(link).get_data(as_text=True)
    client.post(link, data={"display_name": '"><script>alert(1)</script>', **PASSWORD})
    body = client.get("/my-learning").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_login_failure_looks_the_same_for_an_unknown_email_and_a_wrong_password(client, make):
    make.user(email="known@example.org")
    unknown = client.post("/login", data={"email": "unknown@example.org", "password": "whatever password"})
    wrong = client.post("/login", data={"email": "known@example.org", "password": "whatever password"})
    assert unknown.status_code == wrong.status_code == 422
    assert unknown.get_data(as_text=True).replace("unknown@", "known@") == wrong.get_data(as_text=True)
    assert "The email address or password is not right" in wrong.get_data(as_text=True)


def test_login_then_logout(client, make, login_as):
    login_as(make.user())
    assert client.get("/my-learning").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/my-learning")
    assert response.status_code == 302 and "/login" in response.location


def test_logout_needs_post(client, make, login_as):
    login_as(make.user())
    assert client.get("/logout").status_code == 405
    assert client.get("/my-learning").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/courses/sample-course", "/courses/sample-course"),
        ("https://evil.example", "/my-learning"),
        ("//evil.example", "/my-learning"),
        ("/\\evil.example", "/my-learning"),
        ("https:evil.example", "/my-learning"),
        ("///evil.example", "/my-learning"),
        ("javascript:alert(1)", "/my-learning"),
        ("\t//evil.example", "/my-learning"),
    ],
)
def test_login_redirects_only_to_local_paths(client, make, next_url, expected):
    user = make.user()
    response = client.post("/login", query_string={"next": next_url},
                           data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    assert response.location == expected


@pytest.mark.parametrize("target", ["%2F%2Fevil.example", "/ok\r\nSet-Cookie: x=1", None, ""])
def test_safe_next_url_refuses_everything_but_a_plain_path(target):
    assert safe_next_url(target) is None


def test_a_session_from_before_a_password_reset_is_logged_out(client, make, login_as, outbox):
    user = login_as(make.user())
    other = client.application.test_client()
    other.post("/reset-password", data={"email": user.email})
    token = outbox[-1].get_content().split("/reset-password/")[1].split()[0]
    other.post(f"/reset-password/{token}", data={"password": "a brand new passphrase",
                                                 "confirm": "a brand new passphrase"})
    assert client.get("/my-learning").status_code == 302


def test_reset_request_answers_the_same_for_known_and_unknown_emails(client, make, outbox):
    make.user(email="known@example.org")
    known = client.post("/reset-password", data={"email": "known@example.org"}).get_data(as_text=True)
    unknown = client.post("/reset-password", data={"email": "unknown@example.org"}).get_data(as_text=True)
    assert known.replace("known@", "X@") == unknown.replace("unknown@", "X@")
    assert [message["To"] for message in outbox] == ["known@example.org", "unknown@example.org"]


def test_the_reset_page_for_a_bad_token_explains_and_offers_a_new_link(client):
    response = client.get("/reset-password/not-a-real-token")
    assert response.status_code == 400
    assert "Ask for a new reset link" in response.get_data(as_text=True)


def test_the_full_reset_journey(client, make, outbox):
    user = make.user(email="kim@example.org")
    client.post("/reset-password", data={"email": "kim@example.org"})
    path = "/reset-password/" + outbox[-1].get_content().split("/reset-password/")[1].split()[0]
    assert client.get(path).status_code == 200
    weak = client.post(path, data={"password": "password123", "confirm": "password123"})
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    done = client.post(path, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert done.status_code == 302
    assert client.get(path).status_code == 400  # used once
    login = client.post("/login", data={"email": user.email, "password": "a brand new passphrase"})
    assert login.status_code == 302


def test_guesses_at_one_account_from_many_addresses_are_throttled_per_account(make_app, make):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    user = make.user(email="victim@example.org")
    statuses = [
        client.post("/login", data={"email": "victim@example.org", "password": f"guess number {i}"},
                    environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(5)
    ]
    right = client.post("/login", data={"email": user.email, "password": make.PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert statuses == [422] * 5
    assert right.status_code == 422  # the wait holds for every address; it reads like a wrong password


def test_login_is_rate_limited_per_address_across_many_emails(make_app):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_PER_IP="10 per minute").test_client()
    statuses = [client.post("/login", data={"email": f"person{i}@example.org", "password": "one guess each"}).status_code
                for i in range(12)]
    assert statuses[:10] == [422] * 10
    assert statuses[10:] == [429, 429]


def test_the_too_many_attempts_page_speaks_plainly(make_app):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_PER_IP="2 per minute").test_client()
    for i in range(2):
        client.post("/login", data={"email": f"person{i}@example.org", "password": "one guess each"})
    response = client.post("/login", data={"email": "person@example.org", "password": "one guess each"})
    assert response.status_code == 429
    assert "Too many attempts. Try again in a minute, or" in response.text
    assert 'href="/reset-password">reset your password</a>' in response.text
    assert "per 1 minute" not in response.text and "2 per" not in response.text


@pytest.mark.parametrize("path", ["/account/password", "/account/email", "/account/two-factor",
                                  "/account/two-factor/disable"])
def test_a_signed_in_session_cannot_guess_the_password_on_my_account_pages_without_limit(make_app, make, path):
    """Each of these pages checks the password: someone at an unlocked computer must not get free guesses."""
    from tests.conftest import IsolatedClient

    app = make_app(RATELIMIT_ENABLED=True)
    app.test_client_class = IsolatedClient
    client = app.test_client()
    user = make.user()
    client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    statuses = [client.post(path, data={"current_password": f"guess {i}", "password": f"guess {i}"}).status_code
                for i in range(11)]
    assert 429 not in statuses[:10] and statuses[10] == 429
