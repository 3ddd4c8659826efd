"""`flask reminders send`: at most one reminder per person, kind and week; SMTP failures are retried; leavers
get nothing; managers get a weekly digest."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from elearn import mail
from elearn.compliance import reminders
from elearn.compliance.reminders import iso_week, send_reminders
from elearn.extensions import db
from elearn.jobs.tasks import sweep_outbox
from elearn.models import OutboxEmail, ReminderLog
from tests.makers import days


@pytest.fixture
def due(cast, make, course):  # type: ignore[no-untyped-def]
    """Ann: due in 3 days; Abe: overdue; Ella: certificate expiring in 10 days; Fay: due in 20 days (nothing
    yet); Leo: overdue but deactivated (nothing)."""
    org = cast.org_a
    make.assignment(user=cast.learner_a, course=course, due_in_days=3)
    make.assignment(user=cast.second_learner_a, course=course, due_in_days=-4)
    ella = make.user(name="Ella Expiring", org=org, email="ella@alder.example")
    make.certificate(user=ella, course=course, expires_on=days(10))
    make.assignment(user=make.user(name="Fay Future", org=org), course=course, due_in_days=20)
    leo = make.user(name="Leo Leaver", org=org, email="leo@alder.example")
    make.assignment(user=leo, course=course, due_in_days=-4)
    leo.is_active_account = False
    db.session.commit()
    return {"ella": ella, "leo": leo}


def _to(outbox):  # type: ignore[no-untyped-def]
    return sorted((m["To"], m["Subject"]) for m in outbox)


def test_running_twice_sends_each_reminder_once(runner, cast, due, outbox):
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "due soon 1, overdue 1, expiring 1, manager digests 2" in first.output
    assert _to(outbox) == sorted([
        (cast.learner_a.email, reminders.SUBJECTS["due_soon"]),
        (cast.second_learner_a.email, reminders.SUBJECTS["overdue"]),
        ("ella@alder.example", reminders.SUBJECTS["expiring"]),
        (cast.manager_a.email, reminders.SUBJECTS["manager_digest"]),
        (cast.manager_b.email, reminders.SUBJECTS["manager_digest"]),
    ])
    second = runner.invoke(args=["reminders", "send"])
    assert second.exit_code == 0 and "5 already sent this week" in second.output
    assert len(outbox) == 5
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 5


def test_a_new_week_sends_again(cast, due, outbox):
    send_reminders()
    send_reminders(today=days(7))
    assert len([m for m in outbox if m["To"] == cast.second_learner_a.email]) == 2


def test_leavers_get_nothing(due, outbox):
    send_reminders()
    assert "leo@alder.example" not in {m["To"] for m in outbox}


def test_smtp_down_queues_every_reminder_once_and_sends_them_when_it_returns(runner, cast, due, outbox, monkeypatch):
    def refuse(message):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail, "_transmit", refuse)
    run = runner.invoke(args=["reminders", "send"])
    assert run.exit_code == 0 and "manager digests 2; 0 already sent" in run.output  # queued with their logs
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 5
    monkeypatch.undo()
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0  # a rerun queues nothing twice
    db.session.execute(update(OutboxEmail).values(next_attempt_at=OutboxEmail.created_at))  # the back-off is over
    db.session.commit()
    sweep_outbox()
    assert len(outbox) == 5


def test_a_reminder_claimed_by_another_run_is_not_sent_again(cast, due, outbox):
    db.session.add(ReminderLog(user_id=cast.second_learner_a.id, kind="overdue", week=iso_week(days(0))))
    db.session.commit()
    summary = send_reminders()
    assert summary.already_sent == 1 and cast.second_learner_a.email not in {m["To"] for m in outbox}


def test_emails_carry_no_scores_or_answers_and_the_digest_only_counts(cast, due, outbox):
    send_reminders()
    for message in outbox:
        body = message.get_content()
        assert "score" not in body.lower() and "%" not in body and "answer" not in body.lower()
    digest = next(m for m in outbox if m["To"] == cast.manager_a.email).get_content()
    assert "overdue: 1 people" in digest and "Abe Learner" not in digest


def test_a_hostile_name_cannot_add_a_recipient(cast, course, make, outbox):
    eve = make.user(name="Eve\r\nBcc: x@evil.example", org=cast.org_a, email="eve@alder.example")
    eve.display_name = "Eve\r\nBcc: x@evil.example"  # whatever the sign-up form allowed
    db.session.commit()
    make.assignment(user=eve, course=course, due_in_days=-1)
    send_reminders()
    [message] = [m for m in outbox if m["To"] == "eve@alder.example"]
    assert message["Bcc"] is None and "evil" not in message["To"] and "evil" not in message["Subject"]


def test_a_learner_with_no_organisation_is_told_their_certificate_expires_soon(make, course, outbox):
    solo = make.user(name="Sol Solo", email="sol@home.example")
    make.certificate(user=solo, course=course, expires_on=days(10))
    renewed = make.user(name="Ren Renewed", email="ren@home.example")
    make.certificate(user=renewed, course=course, expires_on=days(10))
    make.certificate(user=renewed, course=course, expires_on=days(300))
    make.certificate(user=make.user(email="far@home.example"), course=course, expires_on=days(60))
    gone = make.user(email="gone@home.example")
    make.certificate(user=gone, course=course, expires_on=days(10))
    gone.is_active_account = False
    db.session.commit()

    send_reminders()
    send_reminders()  # once a week, as for members
    assert _to(outbox) == [("sol@home.example", reminders.SUBJECTS["expiring"])]
    assert "certificate valid until" in outbox[0].get_content()
