"""Query budgets of a safeguarding lead's pages at 10 and at 1,000 staff: the dashboard, the training matrix (plain,
filtered, searched), People (plain and searched), the inspection record (its start page, the PDF made by the job,
and the one-person record), a read-and-understood report, a face-to-face session and the reminder page each run
the same number of SQL statements whatever the number of staff, and stay within a small budget.

The organisation has what a real school has: groups, a course assigned to everyone with due dates spread around
today, certificates, pending invitations, leavers, a policy to read and understood (half have), and an INSET
session attended by a group. People are inserted in bulk: the rule under test is the query count, not the makers.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text

from elearn.clock import london_today
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import (
    Assignment,
    Group,
    GroupMembership,
    Invitation,
    Role,
    SignoffConfirmation,
    SignoffKind,
    User,
)
from elearn.security import token_hash
from elearn.signoffs import service as signoffs
from elearn.signoffs.service import DocumentInput
from elearn.training import sessions
from elearn.training.sessions import SessionInput
from tests.makers import days

BUDGET = 20  # statements per page (the matrix, the largest, runs 16 today); a page that grows with the staff fails the equality first
PDF_BUDGET = 50  # the inspection record made by a job: three requests (start, status, download) and the job (47 today)


@dataclass
class School:
    org: Any
    manager: Any
    course: Any
    groups: list[Group]
    document_id: int
    version_id: int
    session_id: int
    person_id: int

    def urls(self) -> dict[str, str]:
        return {
            "dashboard": "/manage/",
            "matrix": "/manage/matrix",
            "matrix filtered and sorted": f"/manage/matrix?group={self.groups[0].id}&status=overdue&sort=status"
                                          f"&course={self.course.id}",
            "matrix searched": "/manage/matrix?q=staff",
            "people": "/manage/people",
            "people searched": "/manage/people?q=staff",
            "inspection record start": "/manage/training-record.pdf",
            "one-person record": f"/manage/people/{self.person_id}/training-record.pdf",
            "read-and-understood report": f"/manage/signoffs/{self.document_id}",
            "face-to-face session": f"/manage/sessions/{self.session_id}",
            "reminders for the overdue": "/manage/reminders/new?scope=filter&status=overdue",
        }


def _school(cast, make, course) -> School:  # type: ignore[no-untyped-def]
    org, manager = cast.org_a, cast.manager_a
    groups = [make.group(org=org, name=name) for name in ("Teaching staff", "Support staff", "Governors")]
    document = signoffs.publish_document(org, SignoffKind.POLICY, "Child protection policy",
                                         DocumentInput("v1", url="https://example.org/policy.pdf"), actor=manager)
    version = signoffs.current_versions([document.id])[document.id]
    session = sessions.record_session(org, SessionInput("INSET", "Priya Shah", days(-1), Decimal("1.5"), [course.id], True,
                                                        days(300)),
                                      user_ids=[cast.learner_a.id], group_ids=[], register=None, actor=manager)
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    return School(org, manager, course, groups, document.id, version.id, session.id, cast.learner_a.id)


def _grow(school: School, make, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` more staff, like the ones already there."""
    org, now = school.org, now_utc()
    batch = f"s{db.session.scalar(select(func.count()).select_from(User))}-"
    db.session.execute(insert(User), [
        {"email": f"{batch}{i}@alder.sch.uk", "display_name": f"Staff {batch}{i:04d}", "role": Role.LEARNER,
         "organisation_id": org.id, "is_active_account": i % 20 != 19, "created_at": now,
         "joined_organisation_at": now} for i in range(count)])
    ids = db.session.scalars(select(User.id).where(User.email.like(f"{batch}%")).order_by(User.id)).all()
    db.session.execute(insert(GroupMembership), [
        {"group_id": school.groups[i % 3].id, "user_id": uid} for i, uid in enumerate(ids)])
    db.session.execute(insert(Assignment), [  # due dates spread around today: some overdue, some not yet
        {"organisation_id": org.id, "user_id": uid, "course_id": school.course.id, "assigned_at": now,
         "due_on": london_today() + timedelta(days=(i % 7) * 10 - 30), "source": "everyone"}
        for i, uid in enumerate(ids)])
    db.session.execute(insert(Invitation), [
        {"organisation_id": org.id, "email": f"invited-{batch}{i}@alder.sch.uk", "display_name": f"Invited {i}",
         "group_id": school.groups[i % 3].id, "token_hash": token_hash(secrets.token_urlsafe(16)), "created_at": now,
         "expires_at": now + timedelta(days=14)} for i in range(max(1, count // 10))])
    db.session.commit()
    for uid in ids[::max(1, count // 5)]:
        make.certificate(user=db.session.get(User, uid), course=school.course, expires_on=days(100))
    signoffs.assign_document(org, school.document_id, days(10), actor=school.manager)
    db.session.execute(insert(SignoffConfirmation), [
        {"version_id": school.version_id, "user_id": uid, "confirmed_at": now} for uid in ids[::2]])
    db.session.commit()
    sessions.add_attendees(org, school.session_id, user_ids=[], group_ids=[school.groups[0].id], actor=school.manager)
    _analyse()


def _analyse() -> None:
    """Give PostgreSQL the table statistics a live database has. Its autovacuum analyses a table within a minute
    of it growing; tables filled in the last second have none, and the planner's guess of one row a table turns the
    matrix's joins into nested loops over every pair of 1,000 people (minutes instead of milliseconds)."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))


def _record_pdf(client) -> None:  # type: ignore[no-untyped-def]
    """The inspection record as the matrix's button makes it: the job (inline here), its status page, the file."""
    started = client.post("/manage/training-record.pdf")
    assert started.status_code == 302, started.get_data(as_text=True)
    status = client.get(started.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="([^"]+/download[^"]*)"', status)
    assert link is not None, status
    assert client.get(link.group(1).replace("&amp;", "&")).get_data().startswith(b"%PDF-")


PDF = "inspection record PDF (job, status, download)"


def _statements(client, school: School, count_queries) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for name, url in school.urls().items():
        db.session.expire_all()  # as in a fresh request: nothing already loaded
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = int(counter.count)
    db.session.expire_all()
    with count_queries() as counter:
        _record_pdf(client)
    counts[PDF] = int(counter.count)
    return counts


def test_the_leads_pages_run_the_same_queries_for_10_and_1000_staff(client, cast, make, course, sign_in,
                                                                      count_queries) -> None:
    school = _school(cast, make, course)
    sign_in(cast.manager_a)
    _grow(school, make, 10)
    few = _statements(client, school, count_queries)
    _grow(school, make, 990)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.organisation_id == cast.org_a.id)) > 1000
    many = _statements(client, school, count_queries)
    grew = {name: (few[name], many[name]) for name in few if few[name] != many[name]}
    assert not grew, f"pages whose statement count grows with the staff (10 → 1,000): {grew}"
    over = {name: n for name, n in many.items() if n > (PDF_BUDGET if name == PDF else BUDGET)}
    assert not over, f"pages over their budget ({BUDGET} statements a page, {PDF_BUDGET} for the PDF): {over}"
