"""A learner downloads everything held about them: no hashes, secrets or tokens, nobody else's data."""

from __future__ import annotations

import json

from sqlalchemy import select

from elearn.auth.service import request_password_reset
from elearn.extensions import db
from elearn.models import AuditEvent, PasswordResetToken, RecoveryCode


def test_the_export_is_an_uncached_json_attachment(client, make, login_as):
    login_as(make.user())
    response = client.get("/account/data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]


def test_the_export_holds_account_organisation_progress_attempts_certificates_and_events(client, make, login_as):
    org = make.org(name="Hill Primary")
    certificate = make.passed_assessment(user=make.user(org=org, name="Grace Hopper", email="grace@hill.sch.uk"))
    login_as(certificate.user)
    data = json.loads(client.get("/account/data").get_data(as_text=True))
    assert data["account"]["email"] == "grace@hill.sch.uk"
    assert data["account"]["display_name"] == "Grace Hopper"
    assert data["organisation"]["name"] == "Hill Primary"
    [enrolment] = data["enrolments"]
    assert enrolment["lessons"] and all(lesson["lesson"] and lesson["completed_at"] for lesson in enrolment["lessons"])
    assert all(lesson["seconds_spent"] and lesson["first_opened_at"] for lesson in enrolment["lessons"])  # time too
    [attempt] = data["attempts"]
    assert attempt["passed"] is True and attempt["score_percent"] == 100.0
    assert attempt["questions"] and all(q["selected"] and q["mark"] == 1.0 for q in attempt["questions"])
    [exported] = data["certificates"]
    assert exported["code"] == certificate.code and exported["learner_name"] == "Grace Hopper"
    assert {"account.registered", "login.succeeded"} <= {event["action"] for event in data["audit_events"]}
    assert all(event["by"] in ("you", "another user", "system") for event in data["audit_events"])


def test_the_export_never_contains_hashes_secrets_or_tokens(client, make, login_as):
    user = make.user(email="secretive@example.org")
    make.two_factor(user)  # a TOTP secret and recovery-code hashes
    request_password_reset(user.email)  # a reset-token hash
    login_as(user)
    db.session.refresh(user)
    body = client.get("/account/data").get_data(as_text=True)
    secrets = [user.password_hash, user.totp_secret,
               *db.session.scalars(select(RecoveryCode.code_hash)),
               *db.session.scalars(select(PasswordResetToken.token_hash))]
    assert len(secrets) > 3 and all(secrets)
    for secret in secrets:
        assert secret not in body
    for word in ("password_hash", "totp_secret", "token_hash", "code_hash", "$argon2"):
        assert word not in body


def test_an_attempt_in_progress_does_not_reveal_correct_answers(client, make, login_as):
    from elearn.assessment import service as assessment

    user = make.user()
    enrolment = make.enrolment(user=user, lessons_done="all")
    assessment.start_attempt(enrolment, actor=user)
    login_as(user)
    body = client.get("/account/data").get_data(as_text=True)
    assert "is_correct" not in body and "explanation" not in body and "feedback" not in body
    [attempt] = json.loads(body)["attempts"]
    assert attempt["submitted_at"] is None and all(q["mark"] is None for q in attempt["questions"])


def test_the_export_holds_nobody_elses_data(client, make, cast, login_as):
    other = make.passed_assessment(user=cast.second_learner_a)  # of the same organisation
    login_as(cast.learner_a)
    body = client.get("/account/data").get_data(as_text=True)
    assert cast.second_learner_a.email not in body and cast.second_learner_a.display_name not in body
    assert other.code not in body


def test_the_export_is_audited_and_needs_login(client, make, login_as):
    response = client.get("/account/data")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    user = login_as(make.user())
    client.get("/account/data")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data.exported")).one()
    assert event.subject_user_id == user.id
