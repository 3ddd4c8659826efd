"""The admins' job-queue page (failed emails, failed jobs), readiness, and the outbox's personal data."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from elearn import mail
from elearn.extensions import db
from elearn.jobs.queue import enqueue, why_not_run_again
from elearn.jobs.tasks import deliver_emails
from elearn.mail import send_email
from elearn.models import AuditEvent, ExportFile, FailedJob, OutboxEmail
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


# --- failed jobs: every job that raises is recorded, shown to admins, and run again where that makes sense -------


def fail_with(monkeypatch, target: str, error: Exception, *, writes: bool = False) -> None:
    """Make the service function a task calls raise `error`, after writing an audit event when `writes`."""

    def broken(*args: object, **kwargs: object) -> None:
        if writes:
            db.session.add(AuditEvent(action="half.written", details={}))
            db.session.flush()
        raise error

    monkeypatch.setattr(target, broken)


def test_a_scheduled_job_that_raises_is_recorded_with_its_error_and_its_work_undone(monkeypatch):
    fail_with(monkeypatch, "elearn.jobs.tasks.anonymise_leavers_now", RuntimeError("the disk is full"), writes=True)
    with pytest.raises(RuntimeError):  # inline, and tests propagate a job's error
        enqueue("elearn.jobs.tasks.anonymise_leavers")
    [failure] = db.session.scalars(select(FailedJob)).all()
    assert (failure.task_name, failure.args, failure.error) == (
        "elearn.jobs.tasks.anonymise_leavers", [], "RuntimeError: the disk is full")
    assert failure.retried_at is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "half.written")) is None


def test_an_admin_sees_a_failed_job_and_runs_it_again_once_audited(client, cast, login_as, monkeypatch):
    fail_with(monkeypatch, "elearn.jobs.tasks.send_reminders_now", ConnectionError("database went away"))
    with pytest.raises(ConnectionError):
        enqueue("elearn.jobs.tasks.send_reminders")
    failure = db.session.scalars(select(FailedJob)).one()
    login_as(cast.admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Reminders and digests" in page and "ConnectionError: database went away" in page and "Run again" in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Job queue – ") and "<" not in title  # the page's title, not the failed jobs' table
    assert page.count("<h2>Failed jobs</h2>") == 1
    ran: list[str] = []
    monkeypatch.setattr("elearn.jobs.tasks.send_reminders_now", lambda: ran.append("sent") or SimpleNamespace(
        text=lambda: "0 reminders"))  # the cause is fixed
    assert client.post(f"/admin/jobs/failed/{failure.id}/retry").status_code == 302
    assert ran == ["sent"]
    db.session.expire_all()
    assert db.session.get(FailedJob, failure.id).retried_at is not None
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "job.retried")) == {
        "task": "elearn.jobs.tasks.send_reminders"}
    assert "No job has failed." in client.get("/admin/jobs").get_data(as_text=True)
    assert client.post(f"/admin/jobs/failed/{failure.id}/retry").status_code == 404  # a double click runs it once
    assert ran == ["sent"]


def test_a_job_failing_again_when_run_again_is_recorded_again(client, cast, login_as, monkeypatch):
    fail_with(monkeypatch, "elearn.jobs.tasks.prune_audit_events", RuntimeError("still broken"))
    with pytest.raises(RuntimeError):
        enqueue("elearn.jobs.tasks.prune_audit_log")
    first = db.session.scalars(select(FailedJob)).one()
    login_as(cast.admin)
    with pytest.raises(RuntimeError):  # tests propagate it; without a broker in development the page answers
        client.post(f"/admin/jobs/failed/{first.id}/retry")
    db.session.rollback()
    assert [(f.retried_at is not None, f.error) for f in db.session.scalars(select(FailedJob).order_by(FailedJob.id))] == [
        (True, "RuntimeError: still broken"), (False, "RuntimeError: still broken")]


def test_a_job_the_scheduler_reruns_within_minutes_is_shown_without_a_retry(client, cast, login_as, monkeypatch):
    fail_with(monkeypatch, "elearn.jobs.tasks.mail.list_due", RuntimeError("locked"))
    with pytest.raises(RuntimeError):
        enqueue("elearn.jobs.tasks.sweep_outbox")
    failure = db.session.scalars(select(FailedJob)).one()
    login_as(cast.admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "RuntimeError: locked" in page and "runs it again every 30 seconds" in page and "Run again" not in page
    assert client.post(f"/admin/jobs/failed/{failure.id}/retry").status_code == 404


def test_an_export_that_raises_fails_for_its_manager_and_is_recorded_for_the_admins(cast, monkeypatch):
    from elearn.jobs import exports as export_jobs

    monkeypatch.setattr(export_jobs, "_produce", lambda *args: 1 / 0)
    export = export_jobs.start_export(cast.org_a, "csv", actor=cast.manager_a)
    db.session.expire_all()
    assert db.session.get(ExportFile, export.id).status == "failed"
    [failure] = db.session.scalars(select(FailedJob)).all()
    assert (failure.task_name, failure.args) == ("elearn.jobs.tasks.run_export", [export.id])
    assert "ZeroDivisionError" in failure.error
    assert why_not_run_again(failure.task_name) == "The manager is told and starts a new export."


def test_a_batch_of_emails_delivered_twice_sends_each_once(outbox):
    ids = mail.queue_emails([(f"p{n}@example.org", "Hello", "Body") for n in range(3)])
    db.session.info.pop(mail.NEW_IN_SESSION)  # delivered by hand below
    db.session.commit()
    assert deliver_emails(ids) == {"sent": 3}
    assert deliver_emails(ids) == {"skipped": 3}  # the broker handed the batch out again: the claims hold
    assert sorted(message["To"] for message in outbox) == ["p0@example.org", "p1@example.org", "p2@example.org"]
