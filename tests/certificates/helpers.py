"""Build passed attempts and their certificates straight from the models (the assessment feature is separate)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from elearn.certificates.service import issue_certificate
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Attempt, Certificate, Course, Enrolment, User
from tests.makers import Makers


def make_certificate(make: Makers, *, user: User | None = None, course: Course | None = None,
                     enrolment: Enrolment | None = None, score: int = 92,
                     submitted_at: datetime | None = None) -> Certificate:
    """A submitted, passing attempt on the learner's current enrolment (or `enrolment`), and its certificate, committed."""
    enrolment = enrolment or make.enrolment(user=user, course=course, lessons_done="all")
    submitted_at = submitted_at or now_utc()
    number = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.enrolment_id == enrolment.id))
    attempt = Attempt(enrolment_id=enrolment.id, user_id=enrolment.user_id, version_id=enrolment.version_id,
                      number=(number or 0) + 1, started_at=submitted_at - timedelta(minutes=12),
                      submitted_at=submitted_at, score_percent=Decimal(score), passed=True)
    db.session.add(attempt)
    db.session.flush()
    enrolment.passed_at = submitted_at
    certificate = issue_certificate(attempt)
    db.session.commit()
    return certificate


def days_ago(days: int) -> datetime:
    return now_utc() - timedelta(days=days)
