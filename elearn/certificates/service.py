"""Certificates: issue on a pass, exactly once per passing attempt."""

from __future__ import annotations

import calendar
import logging
from datetime import date

from sqlalchemy import select

from elearn import LONDON
from elearn.audit import record_event
from elearn.certificates.codes import new_code
from elearn.extensions import db
from elearn.models import Attempt, Certificate

log = logging.getLogger(__name__)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def find_certificate_for_attempt(attempt: Attempt) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))


def issue_certificate(attempt: Attempt) -> Certificate:
    """Issue the certificate for a submitted, passing attempt; return the existing one if already issued.

    Flushes only: the caller's transaction commits it together with the pass, so a pass
    never exists without its certificate (and the unique attempt_id forbids a second one).
    """
    if attempt.submitted_at is None or not attempt.passed or attempt.score_percent is None:
        raise ValueError("only a submitted, passing attempt earns a certificate")
    existing = find_certificate_for_attempt(attempt)
    if existing is not None:
        return existing
    version = attempt.version
    completed_on = attempt.submitted_at.astimezone(LONDON).date()
    certificate = Certificate(
        code=_unused_code(),
        user_id=attempt.user_id,
        course_id=version.course_id,
        enrolment_id=attempt.enrolment_id,
        attempt_id=attempt.id,
        learner_name=attempt.user.display_name,
        course_title=version.title,
        course_version_number=version.number,
        cpd_hours=version.cpd_hours,
        outcomes=[outcome["text"] for outcome in version.outcomes],
        # Floor, never round up: 79.9% must not be printed as a pass mark of 80%.
        score_percent=int(attempt.score_percent),
        completed_at=attempt.submitted_at,
        expires_on=add_months(completed_on, version.validity_months),
    )
    db.session.add(certificate)
    db.session.flush()
    record_event("certificate.issued", actor=attempt.user, subject=attempt.user, target=f"certificate:{certificate.id}")
    log.info("certificate %s issued for attempt %s", certificate.id, attempt.id)
    return certificate


def _unused_code() -> str:
    # 78 random bits make a collision vanishingly unlikely; the unique index is the final guard.
    while True:
        code = new_code()
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code
