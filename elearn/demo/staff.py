"""Demo staff for "Demo Primary School": three groups and a realistic spread of compliance statuses.

Progress goes through the learning service; passed attempts and certificates are written directly,
dated in the past, and issued with the certificates service.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from elearn.auth.service import find_user_by_email, register_user
from elearn.certificates.service import issue_certificate
from elearn.clock import LONDON, add_months, london_today
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Assignment, AssignmentSource, Attempt, Course, Organisation, User
from elearn.people import service as people

GROUPS = ("Teaching staff", "Support staff", "Governors")
FIRST = ("Aisha", "Ben", "Chloe", "Daniel", "Eleanor", "Farhan", "Grace", "Harry", "Isla", "Jamal", "Katie", "Liam",
         "Megan", "Nathan", "Olivia", "Priya", "Quentin", "Rosie", "Samir", "Tom")
LAST = ("Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal", "Jones", "Khan",
        "Lewis", "Morgan", "Nowak", "Owen", "Patel", "Roberts", "Singh", "Taylor", "Williams")
STAFF_COUNT = 40


def _at(days_ago: int) -> datetime:
    return datetime.combine(london_today() - timedelta(days=days_ago), time(10, 30), LONDON)


def seed_staff(org: Organisation, manager: User, password: str) -> int:
    """Create the demo staff once (safe to run twice); return how many were created."""
    courses = list(db.session.scalars(select(Course).where(Course.is_published.is_(True)).order_by(Course.slug)))
    groups = [people.find_group_by_name(org, name) or people.create_group(org, name, actor=manager) for name in GROUPS]
    created = 0
    for i in range(STAFF_COUNT):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
        email = f"staff{i + 1:02d}@demo.elearn.test"
        if find_user_by_email(email) is not None:
            continue
        user = register_user(name, email, password, organisation_id=org.id)
        user.joined_organisation_at = _at(400 - i * 7)
        people.add_to_group(user, groups[0 if i < 22 else 1 if i < 34 else 2])
        db.session.commit()
        for c, course in enumerate(courses):
            _give_status(user, course, (i * 3 + c * 7 + (i * c) // 3) % 10, manager, org)
        created += 1
    return created


def _give_status(user: User, course: Course, kind: int, manager: User, org: Organisation) -> None:
    """0–3 compliant, 4 expiring, 5 expired and overdue, 6 overdue, 7 in progress, 8–9 not started."""
    due_days = {5: -20, 6: -12}.get(kind, 45 + kind * 5)
    db.session.add(Assignment(organisation_id=org.id, user_id=user.id, course_id=course.id, assigned_by_id=manager.id,
                              assigned_at=_at(120), due_on=london_today() + timedelta(days=due_days),
                              source=AssignmentSource.EVERYONE))
    db.session.commit()
    if kind <= 5:
        validity = learning.latest_version(course).validity_months
        last_valid_day = {4: 12 + user.id % 15, 5: -(5 + user.id % 30)}.get(kind, 60 + (user.id * 11) % 250)
        passed_on = add_months(london_today() + timedelta(days=last_valid_day), -validity)
        _pass(user, course, datetime.combine(passed_on, time(14, 0), LONDON))
    elif kind == 7:
        enrolment = learning.enrol(course, actor=user)
        for lesson in learning.list_lessons(enrolment)[: 1 + user.id % 3]:
            learning.record_lesson_read(enrolment, lesson, actor=user)


def _pass(user: User, course: Course, when: datetime) -> None:
    enrolment = learning.enrol(course, actor=user)
    for lesson in learning.list_lessons(enrolment):
        learning.record_lesson_read(enrolment, lesson, actor=user)
    attempt = Attempt(enrolment_id=enrolment.id, user_id=user.id, version_id=enrolment.version_id, number=1,
                      started_at=when - timedelta(minutes=18), submitted_at=when,
                      score_percent=Decimal(80 + user.id % 21), passed=True)
    db.session.add(attempt)
    db.session.flush()
    enrolment.passed_at = when
    enrolment.enrolled_at = min(enrolment.enrolled_at, when - timedelta(days=1))
    issue_certificate(attempt)
    db.session.commit()
