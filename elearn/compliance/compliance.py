"""The compliance rule: one pure function, and the same rule as a SQL expression for aggregate reports.

Compliance is derived, never stored: it follows from the assignment (due date), the learner's
certificates for the course (any version, not revoked) and whether a cycle is under way.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, FunctionElement, and_, case, func, literal
from sqlalchemy.ext.compiler import compiles

from elearn.clock import add_months

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


# --- a requirement's renewal period --------------------------------------------------------------------------
# A training requirement (elearn/network) renews a course every N months after the last completion ("rolling"),
# or by the 1 September that starts an academic year once N months of academic years have run from the one the
# completion fell in ("academic_year": done any time in 2025/26, every 12 months → due by 1 September 2026).
# Where one applies, its renewal date takes the place of the expiry the course gave its certificate.

ACADEMIC_YEAR_START_MONTH = 9


def academic_year_start(day: date) -> date:
    """The 1 September on or before the day: the start of its academic year."""
    return date(day.year if day.month >= ACADEMIC_YEAR_START_MONTH else day.year - 1, ACADEMIC_YEAR_START_MONTH, 1)


def renewal_due(completed_on: date, every_months: int, mode: str) -> date:
    """When training completed on this day must be renewed under a requirement: the last day it still counts."""
    if mode == "academic_year":
        return add_months(academic_year_start(completed_on), every_months)
    return add_months(completed_on, every_months)


class _AddMonths(FunctionElement[date]):
    """A date plus a number of months (a column), in the database's own terms (SQLite and PostgreSQL)."""

    type = Date()
    inherit_cache = True


class _AcademicYearStart(FunctionElement[date]):
    type = Date()
    inherit_cache = True


@compiles(_AddMonths, "sqlite")
def _add_months_sqlite(element: _AddMonths, compiler: Any, **kw: Any) -> str:
    # SQLite rolls 31 January + 1 month over to 3 March; clamp to the month's last day as clock.add_months does
    day, months = (compiler.process(c, **kw) for c in element.clauses)
    moved = f"date({day}, '+' || {months} || ' months')"
    last_day = f"date({day}, 'start of month', '+' || ({months} + 1) || ' months', '-1 day')"
    return f"(CASE WHEN strftime('%d', {moved}) = strftime('%d', {day}) THEN {moved} ELSE {last_day} END)"


@compiles(_AddMonths)
def _add_months_postgresql(element: _AddMonths, compiler: Any, **kw: Any) -> str:
    day, months = list(element.clauses)
    return f"CAST({compiler.process(day, **kw)} + make_interval(months => {compiler.process(months, **kw)}) AS DATE)"


@compiles(_AcademicYearStart, "sqlite")
def _academic_year_start_sqlite(element: _AcademicYearStart, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '-8 months', 'start of year', '+8 months')"


@compiles(_AcademicYearStart)
def _academic_year_start_postgresql(element: _AcademicYearStart, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return (f"CAST(date_trunc('year', {compiler.process(day, **kw)} - interval '8 months') + interval '8 months' "
            "AS DATE)")


def renewal_due_sql(completed_on: ColumnElement[Any], every_months: ColumnElement[Any],
                    mode: ColumnElement[Any]) -> ColumnElement[Any]:
    """renewal_due() as SQL over columns; NULL when any of them is NULL (no requirement, or no completion)."""
    start = case((mode == "academic_year", _AcademicYearStart(completed_on)), else_=completed_on)
    return _AddMonths(start, every_months)


def valid_until_sql(*, expires: ColumnElement[Any], completed_on: ColumnElement[Any],
                    every_months: ColumnElement[Any], mode: ColumnElement[Any]) -> ColumnElement[Any]:
    """The date training counts until: a requirement's renewal date where one applies (and there is a completion),
    else the latest expiry (latest_training). The renewal date is NULL where no requirement applies, so the
    expiry stands."""
    return func.coalesce(renewal_due_sql(completed_on, every_months, mode), expires)


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
        if valid_until <= expiry_warning_from(today):
            return ComplianceStatus.EXPIRING
        return ComplianceStatus.COMPLIANT
    if assigned and due_on is not None and due_on < today:
        return ComplianceStatus.OVERDUE
    if in_progress:
        return ComplianceStatus.IN_PROGRESS
    return ComplianceStatus.NOT_STARTED if assigned else ComplianceStatus.NOT_ASSIGNED


def expiry_warning_from(today: date) -> date:
    """The last day a valid certificate counts as expiring rather than compliant."""
    return today + timedelta(days=EXPIRING_WITHIN_DAYS)


def status_sql(*, assigned: ColumnElement[Any], due_on: ColumnElement[Any], valid_until: ColumnElement[Any],
               in_progress: ColumnElement[Any], today: Any, warn_until: Any = None) -> ColumnElement[str]:
    """compliance_status() as a SQL CASE over columns, so reports can count and filter in the database. today may
    be a bound parameter (a statement built once per process), and then so must warn_until (expiry_warning_from)."""
    warn_until = expiry_warning_from(today) if warn_until is None else warn_until
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
