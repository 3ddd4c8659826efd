"""Chasing: "Send reminder" for one person, the people ticked, or everyone overdue or expiring in the matrix's
filter; the message is shown before anything is sent; at most one reminder a person a day (in the service)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from elearn.compliance.chasing import DAY, day_key, plan_chase, send_chase
from elearn.db import now_utc
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Assignment, ReminderLog, ReminderSchedule, Role, User
from tests.makers import days


@pytest.fixture
def late(cast, make, course):  # type: ignore[no-untyped-def]
    """A: Ann due in 20 days, Abe overdue. B: Bea overdue."""
    make.assignment(user=cast.learner_a, course=course, due_in_days=20)
    make.assignment(user=cast.second_learner_a, course=course, due_in_days=-3)
    make.assignment(user=cast.learner_b, course=course, due_in_days=-3)
    return course


def _sent_to(outbox) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(m["To"] for m in outbox)


def test_one_person_sees_the_message_first_then_sends_it(client, cast, late, sign_in, outbox):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/reminders/new?user_id={cast.second_learner_a.id}").get_data(as_text=True)
    assert "Hello Abe Learner" in page and "overdue" in page and "Send the reminder" in page
    assert outbox == []  # nothing until confirmed
    response = client.post("/manage/reminders", data={"user_ids": [cast.second_learner_a.id]})
    assert response.status_code == 302
    assert _sent_to(outbox) == [cast.second_learner_a.email]
    assert "was due on" in outbox[0].get_content()


def test_the_learner_page_offers_a_reminder(client, cast, late, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.second_learner_a.id}").get_data(as_text=True)
    assert f"/manage/reminders/new?user_id={cast.second_learner_a.id}" in page


def test_nobody_gets_more_than_one_reminder_a_day(client, cast, late, sign_in, outbox):
    first = send_chase(cast.org_a, [cast.second_learner_a.id], actor=cast.manager_a)
    second = send_chase(cast.org_a, [cast.second_learner_a.id, cast.learner_a.id], actor=cast.manager_a)
    assert (first.sent, second.sent, second.already_today) == (1, 1, 1)
    assert _sent_to(outbox) == sorted([cast.second_learner_a.email, cast.learner_a.email])
    sign_in(cast.manager_a)  # the page says so, and sending again changes nothing
    page = client.get(f"/manage/reminders/new?user_id={cast.second_learner_a.id}").get_data(as_text=True)
    assert "Already reminded today" in page
    client.post("/manage/reminders", data={"user_ids": [cast.second_learner_a.id]})
    assert len(outbox) == 2
    assert send_chase(cast.org_a, [cast.second_learner_a.id], actor=cast.manager_a, today=days(1)).sent == 1


def test_the_daily_limit_is_held_by_the_database_too(cast):
    db.session.add(ReminderLog(user_id=cast.learner_a.id, kind=DAY, week=day_key(days(0))))
    db.session.commit()
    db.session.add(ReminderLog(user_id=cast.learner_a.id, kind=DAY, week=day_key(days(0))))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_people_ticked_in_the_matrix_are_previewed_then_sent(client, cast, late, sign_in, outbox):
    sign_in(cast.manager_a)
    matrix = client.get("/manage/matrix").get_data(as_text=True)
    assert 'formaction="/manage/reminders/new"' in matrix
    page = client.post("/manage/reminders/new", data={"user_ids": [cast.learner_a.id, cast.second_learner_a.id]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ann Learner" in text and "Abe Learner" in text and outbox == []
    client.post("/manage/reminders", data={"user_ids": [cast.learner_a.id, cast.second_learner_a.id]})
    assert _sent_to(outbox) == sorted([cast.learner_a.email, cast.second_learner_a.email])


def test_the_filter_reminds_only_those_overdue_or_expiring_in_it(client, cast, late, make, sign_in, outbox):
    ella = make.user(name="Ella Expiring", org=cast.org_a, email="ella@alder.example")
    make.certificate(user=ella, course=late, expires_on=days(10))
    make.assignment(user=ella, course=late, due_in_days=-100)
    sign_in(cast.manager_a)
    page = client.get("/manage/reminders/new?scope=filter").get_data(as_text=True)
    assert "Abe Learner" in page and "Ella Expiring" in page and "Ann Learner" not in page  # Ann is not late
    assert "Bea Learner" not in page  # another organisation
    client.post("/manage/reminders", data={"user_ids": [cast.second_learner_a.id, ella.id], "urgent_only": "y"})
    assert _sent_to(outbox) == sorted([cast.second_learner_a.email, "ella@alder.example"])
    narrowed = client.get("/manage/reminders/new?scope=filter&q=ella").get_data(as_text=True)
    assert "Abe Learner" not in narrowed and "Already reminded today" in narrowed


def test_an_empty_filter_says_so_and_sends_nothing(client, cast, course, sign_in, outbox):
    sign_in(cast.manager_a)
    response = client.get("/manage/reminders/new?scope=filter", follow_redirects=True)
    assert "Nobody to remind" in response.get_data(as_text=True) and outbox == []


def test_another_organisations_person_is_not_found(client, cast, late, sign_in, outbox):
    sign_in(cast.manager_b)
    assert client.get(f"/manage/reminders/new?user_id={cast.second_learner_a.id}").status_code == 404
    assert client.post("/manage/reminders", data={"user_ids": [cast.second_learner_a.id]}).status_code == 404
    with pytest.raises(NotFound):
        send_chase(cast.org_b, [cast.learner_b.id, cast.learner_a.id], actor=cast.manager_b)
    assert outbox == [] and db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


def test_a_person_with_nothing_outstanding_is_listed_and_not_sent(cast, late, outbox):
    chase = plan_chase(cast.org_a, [cast.manager_a.id, cast.second_learner_a.id], actor=cast.manager_a)
    assert chase.nothing_due == ["Mo Manager"] and chase.user_ids == [cast.second_learner_a.id]


def test_each_organisation_keeps_its_own_schedule(client, cast, sign_in):
    sign_in(cast.manager_a)
    assert 'name="weekly_overdue"' in client.get("/manage/reminders/schedule").get_data(as_text=True)
    response = client.post("/manage/reminders/schedule", data={"on_due_day": "y", "before_expiry": "y"})
    assert response.status_code == 302
    saved = db.session.get(ReminderSchedule, cast.org_a.id)
    assert (saved.on_assignment, saved.on_due_day, saved.weekly_overdue, saved.before_expiry) == (False, True, False, True)
    assert db.session.get(ReminderSchedule, cast.org_b.id) is None
    sign_in(cast.manager_b)
    page = client.get("/manage/reminders/schedule").get_data(as_text=True)
    assert 'name="weekly_overdue" type="checkbox" value="y" checked' in page or "checked" in page


def _bulk_overdue(org, n: int, course) -> None:  # type: ignore[no-untyped-def]
    batch = f"late{db.session.scalar(select(func.count()).select_from(User))}-"
    db.session.execute(insert(User), [
        {"email": f"{batch}{i}@alder.sch.uk", "display_name": f"Late Person {i:04d}", "role": Role.LEARNER,
         "organisation_id": org.id, "is_active_account": True, "created_at": now_utc(),
         "joined_organisation_at": now_utc()} for i in range(n)])
    ids = db.session.scalars(select(User.id).where(User.email.like(f"{batch}%"))).all()
    db.session.execute(insert(Assignment), [
        {"organisation_id": org.id, "user_id": uid, "course_id": course.id, "assigned_at": now_utc(),
         "due_on": days(-5), "source": "everyone"} for uid in ids])
    db.session.commit()


def test_the_filter_preview_and_sending_run_the_same_queries_for_10_and_many(client, cast, course, sign_in,
                                                                             count_queries, outbox):
    sign_in(cast.manager_a)
    previews, sends = [], []
    for size in (10, 190):
        _bulk_overdue(cast.org_a, size, course)
        with count_queries() as counter:
            assert client.get("/manage/reminders/new?scope=filter").status_code == 200
        previews.append(counter.count)
        ids = db.session.scalars(select(User.id).where(User.organisation_id == cast.org_a.id,
                                                       User.role == Role.LEARNER)).all()
        with count_queries() as counter:
            client.post("/manage/reminders", data={"user_ids": list(ids), "urgent_only": "y"})
        sends.append(len([s for s in counter.statements if "reminder_logs" not in s and "outbox" not in s]))
    assert previews[0] == previews[1], previews
    assert sends[0] == sends[1], sends


def test_an_admin_reminds_in_the_organisation_they_chose(client, cast, late, sign_in, outbox):
    sign_in(cast.admin)
    page = client.get(f"/manage/reminders/new?org={cast.org_b.id}").get_data(as_text=True)
    assert "Bea Learner" in page and "Abe Learner" not in page
    assert f'action="/manage/reminders?org={cast.org_b.id}"' in page
    client.post(f"/manage/reminders?org={cast.org_b.id}", data={"user_ids": [cast.learner_b.id], "urgent_only": "y"})
    assert _sent_to(outbox) == [cast.learner_b.email]
