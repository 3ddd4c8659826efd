"""Deleting one's account: personal data goes; certificates stay verifiable, with or without the name."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.auth.sessions import start_session
from elearn.certificates.codes import format_code
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import (
    Attempt,
    AuditEvent,
    Enrolment,
    GroupMembership,
    Invitation,
    PasswordResetToken,
    RecoveryCode,
    User,
)
from elearn.privacy import service
from elearn.privacy.service import NAME_REMOVED


def delete_via_page(client, password):  # type: ignore[no-untyped-def]
    return client.post("/account/delete", data={"password": password})


def test_the_confirmation_page_explains_what_happens(client, make, login_as):
    login_as(make.user())
    page = client.get("/account/delete").get_data(as_text=True)
    assert "cannot be undone" in page and 'name="password"' in page


def test_the_account_page_links_to_export_and_deletion(client, make, login_as):
    login_as(make.user())
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/data"' in page and 'href="/account/delete"' in page


def test_deletion_removes_personal_data_and_keeps_anonymous_records(client, make, login_as):
    org = make.org()
    certificate = make.passed_assessment(user=make.user(org=org, name="Grace Hopper", email="grace@example.org"))
    user = certificate.user
    make.two_factor(user)
    make.group(org=org, name="Staff", members=[user])
    db.session.add(PasswordResetToken(user_id=user.id, token_hash="x" * 64, expires_at=user.created_at))
    db.session.commit()
    login_as(user)
    response = delete_via_page(client, make.PASSWORD)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == f"deleted-{user.id}@deleted.invalid"
    assert user.display_name == "Deleted user"
    assert user.password_hash is None and user.totp_secret is None and user.totp_enabled_at is None
    assert not user.is_active_account and user.anonymised_at is not None
    for table in (RecoveryCode, PasswordResetToken, GroupMembership):
        assert db.session.scalar(select(func.count()).select_from(table)) == 0, table
    assert db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == user.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == user.id)) == 1


def test_the_deletion_event_holds_no_personal_data(client, make, login_as):
    user = login_as(make.user(name="Grace Hopper", email="grace@example.org"))
    delete_via_page(client, make.PASSWORD)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.deleted")).one()
    assert event.subject_user_id == user.id
    assert "grace" not in str(event.details).lower() and "hopper" not in str(event.details).lower()


def test_certificates_keep_the_name_when_the_organisation_requires_it(client, make, login_as):
    org = make.org()  # keep_certificate_names is on by default
    certificate = make.passed_assessment(user=make.user(org=org, name="Grace Hopper"))
    login_as(certificate.user)
    delete_via_page(client, make.PASSWORD)
    db.session.refresh(certificate)
    assert certificate.learner_name == "Grace Hopper"
    response = client.get(f"/verify/{format_code(certificate.code)}")
    assert response.status_code == 200 and "Grace Hopper" in response.get_data(as_text=True)


def test_certificates_lose_the_name_when_the_organisation_does_not_keep_it(client, make, login_as):
    org = make.org()
    org.keep_certificate_names = False
    db.session.commit()
    certificate = make.passed_assessment(user=make.user(org=org, name="Grace Hopper"))
    login_as(certificate.user)
    delete_via_page(client, make.PASSWORD)
    db.session.refresh(certificate)
    assert certificate.learner_name == NAME_REMOVED
    response = client.get(f"/verify/{format_code(certificate.code)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Grace Hopper" not in page
    assert "Name removed at the learner" in page


def test_learners_without_an_organisation_follow_the_platform_default(client, make, login_as):
    certificate = make.passed_assessment(user=make.user(name="Solo Learner"))
    login_as(certificate.user)
    delete_via_page(client, make.PASSWORD)
    db.session.refresh(certificate)
    expected = "Solo Learner" if service.PLATFORM_KEEPS_CERTIFICATE_NAMES else NAME_REMOVED
    assert certificate.learner_name == expected


def test_a_wrong_password_deletes_nothing(client, make, login_as):
    user = login_as(make.user(email="stays@example.org"))
    response = delete_via_page(client, "not my password at all")
    assert response.status_code == 422 and "not right" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "stays@example.org" and user.anonymised_at is None and user.is_active_account


def test_after_deletion_login_is_impossible_and_other_sessions_end(client, app, make, login_as):
    user = make.user(email="gone@example.org")
    elsewhere = app.test_client()
    login_as(user, via=elsewhere)
    login_as(user)
    delete_via_page(client, make.PASSWORD)
    response = elsewhere.get("/my-learning")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for email in ("gone@example.org", f"deleted-{user.id}@deleted.invalid"):
        response = client.post("/login", data={"email": email, "password": make.PASSWORD})
        assert response.status_code != 302


def test_a_second_deletion_attempt_goes_to_login_and_the_service_says_not_found(client, make, login_as):
    user = login_as(make.user())
    delete_via_page(client, make.PASSWORD)
    response = delete_via_page(client, make.PASSWORD)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.refresh(user)
    with pytest.raises(NotFound):
        service.delete_account(user, make.PASSWORD, actor=user)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "account.deleted")) == 1


def test_nobody_can_delete_someone_elses_account(make):
    victim, attacker = make.user(), make.user()
    with pytest.raises(NotFound):
        service.delete_account(victim, make.PASSWORD, actor=attacker)
    db.session.refresh(victim)
    assert victim.anonymised_at is None


def test_pending_invitations_for_the_address_go(make):
    org = make.org()
    user = make.user(email="invited@example.org", org=org)
    db.session.add(Invitation(organisation_id=org.id, email="invited@example.org", display_name="Invited Person",
                              token_hash="t" * 64, expires_at=user.created_at))
    db.session.commit()
    service.delete_account(user, make.PASSWORD, actor=user)
    assert db.session.scalars(select(Invitation)).all() == []


def test_deletion_needs_a_csrf_token(make_app, make):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    user = make.user(email="keepme@example.org")
    browser = csrf_app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = start_session(user, user_agent=None, ip=None).key
        session["_fresh"] = True
    response = browser.post("/account/delete", data={"password": make.PASSWORD})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.anonymised_at is None and db.session.get(User, user.id).email == "keepme@example.org"
