"""Account rules, called directly on the service functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from elearn.auth import service
from elearn.auth.passwords import password_problem
from elearn.auth.sessions import load_user, start_session
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import AuditEvent, PasswordResetToken, User


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("ninechars", "at least 10"),
        ("password123", "too common"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("x" * 257, "at most 256"),
        ("jane.smith-secret", "name or email"),
        ("correct horse battery", None),
        ("pässwörd mit ümlauten", None),
        ("🐘🐘 elephant memory 🐘", None),
        ("y" * 40 + "Zq1", None),
    ],
)
def test_password_policy(password, problem):
    result = password_problem(password, email="jane.smith@school.sch.uk", name="Jane Smith")
    assert (result is None) if problem is None else (problem in result)


def test_register_stores_a_lower_case_email_and_an_argon2_hash():
    user = service.register_user("Jane Smith", "  Jane.Smith@School.SCH.uk ", "correct horse battery")
    assert user.email == "jane.smith@school.sch.uk"
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash


@pytest.mark.parametrize("duplicate", ["jane@example.org", "JANE@EXAMPLE.ORG", " Jane@Example.org "])
def test_a_duplicate_email_in_any_case_is_refused_and_changes_nothing(duplicate):
    service.register_user("Jane", "jane@example.org", "correct horse battery")
    with pytest.raises(InvalidInput) as error:
        service.register_user("Another Jane", duplicate, "another long passphrase")
    assert error.value.field == "email"
    assert user_count() == 1


def test_a_weak_password_is_refused_and_no_account_is_made():
    with pytest.raises(InvalidInput) as error:
        service.register_user("Jane", "jane@example.org", "password1")
    assert error.value.field == "password"
    assert user_count() == 0


def test_authenticate_accepts_the_right_password_only(make):
    user = make.user(email="sam@example.org")
    assert service.authenticate("SAM@example.org", make.PASSWORD) == user
    assert service.authenticate("sam@example.org", "wrong password here") is None
    assert service.authenticate("nobody@example.org", make.PASSWORD) is None


def test_a_deactivated_account_cannot_log_in(make):
    user = make.user()
    user.is_active_account = False
    db.session.commit()
    assert service.authenticate(user.email, make.PASSWORD) is None


def test_logins_are_audited_without_the_password(make):
    user = make.user()
    service.authenticate(user.email, "wrong password here")
    service.authenticate(user.email, make.PASSWORD)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login.failed", "login.succeeded"]
    details = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))
    assert "wrong password" not in details


def reset_link_token(outbox) -> str:
    body = outbox[-1].get_content()
    return body.split("/reset-password/")[1].split()[0]


def test_password_reset_sends_one_email_with_a_link_on_the_configured_host(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset("KIM@example.org")
    assert len(outbox) == 1
    assert outbox[0]["To"] == user.email
    assert "https://elearn.test/reset-password/" in outbox[0].get_content()


def test_password_reset_for_an_unknown_email_sends_a_note_without_a_link(outbox):
    service.request_password_reset("nobody@example.org")
    [note] = outbox
    assert note["To"] == "nobody@example.org" and "no active elearn account" in note.get_content()
    assert "/reset-password/" not in note.get_content()
    assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


def test_only_a_hash_of_the_reset_token_is_stored(make, outbox):
    make.user(email="kim@example.org")
    service.request_password_reset("kim@example.org")
    token = reset_link_token(outbox)
    stored = db.session.scalar(select(PasswordResetToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_a_reset_token_works_once(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset(user.email)
    token = reset_link_token(outbox)
    service.reset_password(token, "a brand new passphrase")
    with pytest.raises(InvalidInput, match="invalid, has been used or has expired"):
        service.reset_password(token, "yet another passphrase")
    assert service.authenticate(user.email, "a brand new passphrase") == user


def test_an_expired_reset_token_is_refused_and_the_password_is_unchanged(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset(user.email)
    token = reset_link_token(outbox)
    row = db.session.scalar(select(PasswordResetToken))
    row.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(InvalidInput):
        service.reset_password(token, "a brand new passphrase")
    assert service.authenticate(user.email, make.PASSWORD) == user


def test_a_reset_spends_every_older_token_of_the_account(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset(user.email)
    older = reset_link_token(outbox)
    service.request_password_reset(user.email)
    newer = reset_link_token(outbox)
    service.reset_password(newer, "a brand new passphrase")
    with pytest.raises(InvalidInput):
        service.reset_password(older, "another passphrase again")


def test_a_newer_reset_link_replaces_the_older_ones(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset(user.email)
    older = reset_link_token(outbox)
    service.request_password_reset(user.email)
    newer = reset_link_token(outbox)
    with pytest.raises(InvalidInput, match="invalid, has been used or has expired"):
        service.reset_password(older, "a brand new passphrase")
    assert service.authenticate(user.email, make.PASSWORD) == user  # the older link changed nothing
    service.reset_password(newer, "a brand new passphrase")


def test_changing_the_password_in_my_account_spends_every_open_reset_link(make, outbox):
    user = make.user(email="kim@example.org")
    service.request_password_reset(user.email)
    mailed = reset_link_token(outbox)
    service.change_password(user, make.PASSWORD, "my own new passphrase")
    with pytest.raises(InvalidInput, match="invalid, has been used or has expired"):
        service.reset_password(mailed, "the attacker's passphrase")
    assert service.authenticate(user.email, "my own new passphrase") == user


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "a" * 500, "../../etc/passwd"])
def test_made_up_reset_tokens_are_refused(make, token):
    make.user()
    with pytest.raises(InvalidInput):
        service.reset_password(token, "a brand new passphrase")


def test_a_password_reset_signs_out_every_session(make, outbox):
    user = make.user(email="kim@example.org")
    old_key = start_session(user, user_agent=None, ip=None).key
    service.request_password_reset(user.email)
    service.reset_password(reset_link_token(outbox), "a brand new passphrase")
    assert load_user(old_key) is None


@pytest.mark.parametrize("key", ["", "abc", "1", "1:1", "1:x", "999:1", "a" * 43, "' OR 1=1 --"])
def test_malformed_or_unknown_session_keys_load_nobody(make, key):
    make.user()
    assert load_user(key) is None
