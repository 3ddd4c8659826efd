"""The compliance rule: one pure function, and the same rule as a SQL expression for aggregate reports.

Compliance is derived, never stored: it follows from the assignment (due date), the learner's
certificates for the course (any version, not revoked) and whether a cycle is under way.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal

# The same window as the certificates feature: "expiring" is valid but ends within 30 days.
EXPIRING_WITHIN_DAYS = 30


class ComplianceStatus(StrEnum):
    COMPLIANT = "compliant"
    EXPIRING = "expiring"
    OVERDUE = "overdue"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    NOT_ASSIGNED = "not_assigned"  # a matrix cell for a course nobody asked this person to take


LABELS = {
    ComplianceStatus.COMPLIANT: "Compliant",
    ComplianceStatus.EXPIRING: "Expiring within 30 days",
    ComplianceStatus.OVERDUE: "Overdue",
    ComplianceStatus.IN_PROGRESS: "In progress",
    ComplianceStatus.NOT_STARTED: "Not started",
    ComplianceStatus.NOT_ASSIGNED: "Not assigned",
}

# Most urgent first: the order of dashboard columns and of "sort by status".
SEVERITY = (
    ComplianceStatus.OVERDUE,
    ComplianceStatus.EXPIRING,
    ComplianceStatus.IN_PROGRESS,
    ComplianceStatus.NOT_STARTED,
    ComplianceStatus.COMPLIANT,
    ComplianceStatus.NOT_ASSIGNED,
)


class TrainingSource(StrEnum):
    """Where a valid-until date comes from: our certificate, training recorded as done elsewhere, or an
    elearn certificate a new starter brought from a previous employer."""

    CERTIFICATE = "certificate"
    EXTERNAL = "external"
    IMPORTED = "imported"


def latest_training(*, certificate_until: date | None, external: list[tuple[date | None, bool]]
                    ) -> tuple[date | None, TrainingSource | None]:
    """The latest expiry over a person's certificates and recorded training for a course, and where it comes from.

    Args:
        external: (expires_on, is_imported) of each external or imported record counting for the course;
            a record without an expiry date does not count (it cannot make anyone compliant for ever).
    """
    best, source = certificate_until, TrainingSource.CERTIFICATE if certificate_until is not None else None
    for expires_on, imported in external:
        if expires_on is not None and (best is None or expires_on > best):
            best, source = expires_on, TrainingSource.IMPORTED if imported else TrainingSource.EXTERNAL
    return best, source


def compliance_status(*, assigned: bool, due_on: date | None, valid_until: date | None, in_progress: bool,
                      today: date) -> ComplianceStatus:
    """Valid certificate → compliant (or expiring within 30 days); else overdue once the due date has passed;
    else in progress when a cycle is under way; else not started (or not assigned).

    Args:
        valid_until: the latest expiry date of the person's unrevoked certificates for the course, external
            training and imported certificates included (see latest_training()).
        in_progress: an enrolment on the course that has not been passed yet.
    """
    if valid_until is not None and valid_until >= today:
        if valid_until <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
            return ComplianceStatus.EXPIRING
        return ComplianceStatus.COMPLIANT
    if assigned and due_on is not None and due_on < today:
        return ComplianceStatus.OVERDUE
    if in_progress:
        return ComplianceStatus.IN_PROGRESS
    return ComplianceStatus.NOT_STARTED if assigned else ComplianceStatus.NOT_ASSIGNED


def status_sql(*, assigned: ColumnElement[Any], due_on: ColumnElement[Any], valid_until: ColumnElement[Any],
               in_progress: ColumnElement[Any], today: date) -> ColumnElement[str]:
    """compliance_status() as a SQL CASE over columns, so reports can count and filter in the database."""
    warn_until = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    return case(
        (and_(valid_until.is_not(None), valid_until >= today, valid_until <= warn_until),
         literal(ComplianceStatus.EXPIRING.value)),
        (and_(valid_until.is_not(None), valid_until > warn_until), literal(ComplianceStatus.COMPLIANT.value)),
        (and_(assigned, due_on.is_not(None), due_on < today), literal(ComplianceStatus.OVERDUE.value)),
        (in_progress, literal(ComplianceStatus.IN_PROGRESS.value)),
        (assigned, literal(ComplianceStatus.NOT_STARTED.value)),
        else_=literal(ComplianceStatus.NOT_ASSIGNED.value),
    )


def severity_sql(status: ColumnElement[str]) -> ColumnElement[int]:
    """A sort key for a status column: most urgent first."""
    return case({s.value: rank for rank, s in enumerate(SEVERITY)}, value=status, else_=len(SEVERITY))
