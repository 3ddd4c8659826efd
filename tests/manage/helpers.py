"""Build certificates, enrolments and assignments with chosen dates, straight from the models."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from elearn.certificates.service import issue_certificate
from elearn.clock import london_today
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Assignment, AssignmentSource, Attempt, Certificate, Course, Enrolment, Organisation, User


def certify(make, user: User, course: Course, *, expires_on: date, revoked: bool = False) -> Certificate:  # type: ignore[no-untyped-def]
    """A passed attempt and its certificate, expiring on the given day."""
    enrolment: Enrolment = make.enrolment(user=user, course=course, lessons_done="all")
    attempt = Attempt(enrolment_id=enrolment.id, user_id=user.id, version_id=enrolment.version_id, number=1,
                      started_at=now_utc() - timedelta(minutes=20), submitted_at=now_utc(),
                      score_percent=Decimal(90), passed=True)
    db.session.add(attempt)
    db.session.flush()
    enrolment.passed_at = now_utc()
    certificate = issue_certificate(attempt)
    certificate.expires_on = expires_on
    if revoked:
        certificate.revoked_at = now_utc()
    db.session.commit()
    return certificate


def assign(org: Organisation, user: User, course: Course, *, due_in_days: int) -> Assignment:
    assignment = Assignment(organisation_id=org.id, user_id=user.id, course_id=course.id,
                            due_on=london_today() + timedelta(days=due_in_days), source=AssignmentSource.MANUAL)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def days(n: int) -> date:
    return london_today() + timedelta(days=n)
