"""Automatic reminders on each organisation's schedule (`flask reminders send`, run daily by the scheduler): each
event once, at most one email a person a day, SMTP failures retried, leavers get nothing; managers get a weekly
digest with the dashboard's counts."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from elearn import mail
from elearn.compliance import reminders, reports
from elearn.compliance.chasing import DAY, SUBJECT, day_key, send_chase
from elearn.compliance.reminders import DIGEST_SUBJECT, get_schedule, save_schedule, send_reminders
from elearn.extensions import db
from elearn.jobs.tasks import send_reminders as send_reminders_task
from elearn.jobs.tasks import sweep_outbox
from elearn.models import Assignment, OutboxEmail, ReminderLog
from tests.makers import days, days_ago


@pytest.fixture
def due(cast, make, course):  # type: ignore[no-untyped-def]
    """Assigned a month ago: Ann due in 3 days; Abe overdue; Fay due in 20 days (nothing yet); Leo overdue but
    deactivated (nothing). Ella: certificate expiring in 10 days."""
    org = cast.org_a
    make.assignment(user=cast.learner_a, course=course, due_in_days=3)
    make.assignment(user=cast.second_learner_a, course=course, due_in_days=-4)
    ella = make.user(name="Ella Expiring", org=org, email="ella@alder.example")
    make.certificate(user=ella, course=course, expires_on=days(10))
    make.assignment(user=make.user(name="Fay Future", org=org), course=course, due_in_days=20)
    leo = make.user(name="Leo Leaver", org=org, email="leo@alder.example")
    make.assignment(user=leo, course=course, due_in_days=-4)
    leo.is_active_account = False
    db.session.execute(update(Assignment).values(assigned_at=days_ago(30)))
    db.session.commit()
    return {"ella": ella, "leo": leo}


def _to(outbox):  # type: ignore[no-untyped-def]
    return sorted((m["To"], m["Subject"]) for m in outbox)


def test_running_twice_sends_each_reminder_once(runner, cast, due, outbox):
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "3 learners emailed" in first.output and "2 manager digests" in first.output
    assert _to(outbox) == sorted([
        (cast.learner_a.email, SUBJECT), (cast.second_learner_a.email, SUBJECT), ("ella@alder.example", SUBJECT),
        (cast.manager_a.email, DIGEST_SUBJECT), (cast.manager_b.email, DIGEST_SUBJECT),
    ])
    second = runner.invoke(args=["reminders", "send"])
    assert second.exit_code == 0 and "0 learners emailed" in second.output and "0 manager digests" in second.output
    assert len(outbox) == 5


def test_each_event_is_sent_once_and_weekly_overdue_comes_back_a_week_later(cast, due, outbox):
    send_reminders()
    send_reminders(today=days(1))  # nothing new the next day: Ann's week-before reminder was sent
    assert len([m for m in outbox if m["To"] == cast.learner_a.email]) == 1
    send_reminders(today=days(3))  # Ann's due day
    assert len([m for m in outbox if m["To"] == cast.learner_a.email]) == 2
    send_reminders(today=days(7))
    assert len([m for m in outbox if m["To"] == cast.second_learner_a.email]) == 2


def test_a_new_assignment_is_reminded_on_the_day(cast, course, make, outbox):
    make.assignment(user=cast.learner_a, course=course, due_in_days=60)
    send_reminders()
    [message] = [m for m in outbox if m["To"] == cast.learner_a.email]
    assert "due on" in message.get_content()


def test_the_organisations_schedule_decides_which_reminders_go(cast, due, outbox):
    save_schedule(cast.org_a, {"before_expiry": True}, actor=cast.manager_a)  # only the certificate reminder
    send_reminders()
    learners = {m["To"] for m in outbox if m["Subject"] == SUBJECT}
    assert learners == {"ella@alder.example"}
    schedule = get_schedule(cast.org_b)  # another organisation keeps the default: everything on
    assert schedule.weekly_overdue and schedule.on_assignment


def test_a_person_reminded_by_a_manager_today_gets_the_scheduled_one_tomorrow(cast, due, outbox):
    send_chase(cast.org_a, [cast.second_learner_a.id], actor=cast.manager_a)
    summary = send_reminders()
    assert len([m for m in outbox if m["To"] == cast.second_learner_a.email]) == 1 and summary.already_sent == 1
    send_reminders(today=days(1))
    assert len([m for m in outbox if m["To"] == cast.second_learner_a.email]) == 2


def test_leavers_get_nothing(due, outbox):
    send_reminders()
    assert "leo@alder.example" not in {m["To"] for m in outbox}


def test_smtp_down_queues_every_reminder_once_and_sends_them_when_it_returns(runner, cast, due, outbox, monkeypatch):
    def refuse(message):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail, "_transmit", refuse)
    run = runner.invoke(args=["reminders", "send"])
    assert run.exit_code == 0 and "2 manager digests; 0 already sent" in run.output  # queued with their logs
    monkeypatch.undo()
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0  # a rerun queues nothing twice
    db.session.execute(update(OutboxEmail).values(next_attempt_at=OutboxEmail.created_at))  # the back-off is over
    db.session.commit()
    sweep_outbox()
    assert len(outbox) == 5


def test_a_person_claimed_by_another_run_today_is_not_sent_again(cast, due, outbox):
    db.session.add(ReminderLog(user_id=cast.second_learner_a.id, kind=DAY, week=day_key(days(0))))
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


def test_the_digest_and_the_dashboard_count_the_same_people(cast, course, make, due, outbox, client, sign_in):
    """Abe is overdue on two courses: both count him once."""
    second = make.course(slug="second-course")
    make.assignment(user=cast.second_learner_a, course=second, due_in_days=-2)
    send_reminders()
    counts = reports.attention_counts(cast.org_a)
    assert (counts.overdue, counts.due_soon, counts.expiring) == (1, 1, 0)  # Ella's course is not assigned to her
    assert reports.compliance_dashboard(cast.org_a).attention == counts
    digest = next(m for m in outbox if m["To"] == cast.manager_a.email).get_content()
    assert (f"overdue: {counts.overdue} people" in digest and f"due within 7 days: {counts.due_soon} people" in digest
            and f"expiring within 30 days: {counts.expiring} people" in digest)
    sign_in(cast.manager_a)
    assert "<strong>1</strong> person overdue" in client.get("/manage/").get_data(as_text=True)


def test_the_scheduled_task_runs_the_same_service(cast, due, outbox):
    assert "3 learners emailed" in send_reminders_task()


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
    send_reminders()  # once per expiry, as the default schedule's "before expiry" event for members
    assert _to(outbox) == [("sol@home.example", SUBJECT)]
    assert "Sol Solo" in outbox[0].get_content()


def test_the_events_table():
    from datetime import date

    from elearn.models import ReminderSchedule

    every = ReminderSchedule(**dict.fromkeys(reminders.EVENTS, True))
    today = date(2026, 12, 7)

    def events(status, assigned_on=None, due_on=None, valid_until=None):  # type: ignore[no-untyped-def]
        return [kind for kind, _ in reminders.events_due(every, status=status, assigned_on=assigned_on, due_on=due_on,
                                                         valid_until=valid_until, today=today)]

    assert events("not_started", assigned_on=today, due_on=date(2027, 1, 7)) == ["on_assignment"]
    assert events("not_started", assigned_on=date(2026, 11, 1), due_on=date(2026, 12, 14)) == ["week_before_due"]
    assert events("in_progress", due_on=date(2026, 12, 15)) == []
    assert events("in_progress", due_on=today) == ["on_due_day"]
    assert events("overdue", due_on=date(2026, 12, 1)) == ["weekly_overdue"]
    assert events("expiring", valid_until=date(2027, 1, 1)) == ["before_expiry"]
    assert events("compliant", valid_until=date(2027, 6, 1)) == []
