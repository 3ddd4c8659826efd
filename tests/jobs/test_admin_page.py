"""The admins' job-queue page, readiness, and the outbox's personal data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from elearn import mail
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import AuditEvent, OutboxEmail
from elearn.privacy.service import delete_account, export_personal_data


def failed_email(to: str = "jo@example.org") -> OutboxEmail:
    send_email(to, "Hello", "Body")
    db.session.info.pop(mail.NEW_IN_SESSION)  # never delivered: it stays as the worker left it
    db.session.commit()
    row = db.session.scalars(select(OutboxEmail)).one()
    row.failed_at, row.attempts, row.last_error = row.created_at, mail.MAX_ATTEMPTS, "ConnectionRefusedError: no"
    db.session.commit()
    return row


@pytest.mark.parametrize("persona", ["learner_a", "manager_a"])
def test_only_admins_see_the_queue(client, cast, login_as, persona):
    assert client.get("/admin/jobs").status_code == 302  # anonymous: to the sign-in page
    login_as(cast.persona(persona))
    assert client.get("/admin/jobs").status_code == 403


def test_an_admin_sees_a_failed_email_and_sends_it_again_audited(client, cast, login_as, outbox):
    row = failed_email()
    login_as(cast.admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "jo@example.org" in page and "ConnectionRefusedError: no" in page and "none: jobs run inside" in page
    assert outbox == []
    assert client.post(f"/admin/jobs/emails/{row.id}/retry").status_code == 302
    assert [m["To"] for m in outbox] == ["jo@example.org"]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "email.retried"))
    assert client.post(f"/admin/jobs/emails/{row.id}/retry").status_code == 404  # sent: nothing to retry


def test_readiness_reports_the_broker(client):
    assert client.get("/readyz").get_json()["broker"] == "inline"


def test_readiness_stays_up_with_the_broker_down_and_says_so(make_app):
    app = make_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["broker"] == "unreachable"


def test_the_export_lists_emails_to_the_person_and_erasure_removes_them(make):
    user = make.user(email="jo@example.org")
    failed_email("JO@example.org")
    [entry] = export_personal_data(user, actor=user)["emails"]
    assert entry["subject"] == "Hello" and "body" not in entry
    delete_account(user, make.PASSWORD, actor=user)
    assert db.session.scalars(select(OutboxEmail)).all() == []
