"""Compliance reports computed in the database: a bounded number of queries whatever the organisation's size.

`cells()` is the member × course grid every report reads (the training matrix, a learner's
assigned courses, the reminders); the dashboard's counts and lists are built on it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Subquery,
    and_,
    case,
    distinct,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from elearn.access import members_of
from elearn.catalog.service import course_titles
from elearn.clock import london_today
from elearn.compliance.compliance import SEVERITY, ComplianceStatus, status_sql, valid_until_sql
from elearn.compliance.session_grid import SessionGrid, people_by_status, session_grid
from elearn.extensions import db
from elearn.models import (
    Assignment,
    Certificate,
    Course,
    CourseVersion,
    Enrolment,
    ExternalTraining,
    Organisation,
    User,
)

LIST_LIMIT = 100
DUE_SOON_DAYS = 7  # "due soon": the dashboard's and the weekly digest's window


def _facts(org_id: int, user_ids: list[int] | None = None) -> Subquery:
    """Per member and course, everything the status depends on, in one grouped UNION ALL: the assignment (id and
    due date), the latest expiry of an unrevoked certificate (any version) or of training recorded for the course
    (external, or an imported certificate still unrevoked) with where it comes from, and open enrolments.

    One aggregate joined on (user, course) once: joining four separately filtered subqueries made PostgreSQL
    misjudge their sizes and merge-join on the course alone (seconds for 2,000 people; bench/manage/RESULTS.md).
    """
    members: Any = select(User.id).where(members_of(org_id)).scalar_subquery()
    if user_ids is not None:  # a page of people: each branch reads only their rows, by index
        members = select(User.id).where(members_of(org_id), User.id.in_(user_ids)).scalar_subquery()
    assigned = select(*_fact_columns(Assignment.user_id, Assignment.course_id, assignment_id=Assignment.id,
                                     due_on=Assignment.due_on, renew_every_months=Assignment.renew_every_months,
                                     renew_mode=Assignment.renew_mode)).where(Assignment.organisation_id == org_id)
    if user_ids is not None:
        assigned = assigned.where(Assignment.user_id.in_(user_ids))
    certified = select(*_fact_columns(Certificate.user_id, Certificate.course_id, valid_until=Certificate.expires_on,
                                      certificate_until=Certificate.expires_on,
                                      completed_on=func.date(Certificate.issued_at))).where(
        Certificate.user_id.in_(members), Certificate.revoked_at.is_(None))
    brought = aliased(Certificate)
    recorded = (
        select(*_fact_columns(ExternalTraining.user_id, ExternalTraining.course_id,
                              valid_until=ExternalTraining.expires_on, completed_on=ExternalTraining.completed_on,
                              imported_until=case((ExternalTraining.certificate_id.is_not(None),
                                                   ExternalTraining.expires_on), else_=null().cast(Date))))
        .outerjoin(brought, brought.id == ExternalTraining.certificate_id)
        .where(ExternalTraining.organisation_id == org_id, ExternalTraining.course_id.is_not(None),
               ExternalTraining.expires_on.is_not(None), brought.revoked_at.is_(None))
    )
    if user_ids is not None:
        recorded = recorded.where(ExternalTraining.user_id.in_(user_ids))
    under_way = select(*_fact_columns(Enrolment.user_id, Enrolment.course_id, open_cycles=literal_column("1"))).where(
        Enrolment.user_id.in_(members), Enrolment.passed_at.is_(None))
    return _aggregate(union_all(assigned, certified, recorded, under_way).subquery("every"))


def _aggregate(every: Subquery, *by: str) -> Subquery:
    """The facts' aggregate over their UNION ALL, per person and course (and the `by` columns first)."""
    keys = [every.c[name] for name in (*by, "user_id", "course_id")]
    latest = {name: func.max(every.c[name]) for name in _FACTS}
    # Computed once per person and course, inside the aggregate: the date training counts until, a requirement's
    # renewal date where one applies (compliance.valid_until_sql), else the latest expiry.
    counts_until = valid_until_sql(expires=latest["valid_until"], completed_on=latest["completed_on"],
                                   every_months=latest["renew_every_months"], mode=latest["renew_mode"])
    return (
        select(*keys, *(column.label(name) for name, column in latest.items()), counts_until.label("counts_until"))
        .group_by(*keys)
        .subquery("facts")
    )


def _person_facts(user_id: Any, settings: Subquery) -> Subquery:
    """_facts for one person at every setting in `settings` (a subquery of ids), per setting and course: that
    setting's assignments and recorded training, and the person's own certificates and open enrolments (which
    count wherever they work)."""
    setting = settings.c.id
    assigned = select(Assignment.organisation_id.label("organisation_id"), *_fact_columns(
        Assignment.user_id, Assignment.course_id, assignment_id=Assignment.id, due_on=Assignment.due_on,
        renew_every_months=Assignment.renew_every_months, renew_mode=Assignment.renew_mode)).where(
        Assignment.user_id == user_id, Assignment.organisation_id.in_(select(setting)))
    certified = select(setting.label("organisation_id"), *_fact_columns(
        Certificate.user_id, Certificate.course_id, valid_until=Certificate.expires_on,
        certificate_until=Certificate.expires_on, completed_on=func.date(Certificate.issued_at))).join(
        Certificate, true()).where(Certificate.user_id == user_id, Certificate.revoked_at.is_(None))
    brought = aliased(Certificate)
    recorded = (
        select(ExternalTraining.organisation_id.label("organisation_id"), *_fact_columns(
            ExternalTraining.user_id, ExternalTraining.course_id, valid_until=ExternalTraining.expires_on,
            completed_on=ExternalTraining.completed_on,
            imported_until=case((ExternalTraining.certificate_id.is_not(None), ExternalTraining.expires_on),
                                else_=null().cast(Date))))
        .outerjoin(brought, brought.id == ExternalTraining.certificate_id)
        .where(ExternalTraining.user_id == user_id, ExternalTraining.organisation_id.in_(select(setting)),
               ExternalTraining.course_id.is_not(None), ExternalTraining.expires_on.is_not(None),
               brought.revoked_at.is_(None))
    )
    under_way = select(setting.label("organisation_id"), *_fact_columns(
        Enrolment.user_id, Enrolment.course_id, open_cycles=literal_column("1"))).join(Enrolment, true()).where(
        Enrolment.user_id == user_id, Enrolment.passed_at.is_(None))
    return _aggregate(union_all(assigned, certified, recorded, under_way).subquery("every"), "organisation_id")


_FACTS: dict[str, type[TypeEngine[Any]]] = {"assignment_id": Integer, "due_on": Date, "valid_until": Date, "certificate_until": Date,
                                            "imported_until": Date, "open_cycles": Integer,
                                            # a requirement's renewal period, and the latest completion it counts from
                                            "renew_every_months": Integer, "renew_mode": String, "completed_on": Date}


def _fact_columns(user_id: Any, course_id: Any, **given: Any) -> list[Any]:
    """One branch of the facts' UNION ALL: the given columns, typed NULLs for the others, all labelled."""
    return [user_id.label("user_id"), course_id.label("course_id"),
            *((given[name] if name in given else null().cast(kind)).label(name) for name, kind in _FACTS.items())]


def _source(facts: Subquery) -> ColumnElement[Any]:
    """latest_training()'s source as SQL: our certificate wins a tie, then an imported one, then external."""
    return case(
        (facts.c.valid_until.is_(None), null()),
        (facts.c.certificate_until == facts.c.valid_until, literal_column("'certificate'")),
        (facts.c.imported_until == facts.c.valid_until, literal_column("'imported'")),
        else_=literal_column("'external'"),
    )


def cells(org: Organisation, today: date, *, assigned_only: bool = False, user_ids: list[int] | None = None) -> Subquery:
    """One row per active member × published course: status, due date, valid-until date and its source,
    assignment id; only for these members when user_ids is given (a page of the matrix)."""
    facts = _facts(org.id, user_ids)
    statement = (
        select(User.id.label("user_id"), Course.id.label("course_id"), *_cell_columns(facts, today))
        .select_from(User)
        .join(Course, true())
    )
    on = and_(facts.c.user_id == User.id, facts.c.course_id == Course.id)
    if assigned_only:
        statement = statement.join(facts, and_(on, facts.c.assignment_id.is_not(None)))
    else:
        statement = statement.outerjoin(facts, on)
    statement = statement.where(members_of(org.id), User.is_active_account.is_(True),
                                Course.is_published.is_(True))
    if user_ids is not None:
        statement = statement.where(User.id.in_(user_ids))
    return statement.subquery("cells")


def _cell_columns(facts: Subquery, today: Any, warn_until: Any = None) -> list[ColumnElement[Any]]:
    """A cell's columns from its facts: the assignment, due date, valid-until date, status and its source."""
    status = status_sql(assigned=facts.c.assignment_id.is_not(None), due_on=facts.c.due_on,
                        valid_until=facts.c.counts_until, in_progress=facts.c.open_cycles.is_not(None), today=today,
                        warn_until=warn_until)
    return [facts.c.assignment_id, facts.c.due_on, facts.c.counts_until.label("valid_until"), status.label("status"),
            _source(facts).label("source")]


def person_cells(user_id: Any, settings: Any, today: Any, warn_until: Any = None) -> Subquery:
    """The cells of one person's assigned courses at every setting they work at, in one statement: a row per
    setting and assigned published course (organisation_id, course_id and the columns of cells()), the course's
    title (its newest version's) and slug with it. `settings` is a select of the settings' ids (access.
    organisations_of), so no setting is read first. The same facts and status
    rule as cells(): a learner's own page and their manager's matrix never disagree."""
    facts = _person_facts(user_id, settings.subquery("settings"))
    newest = aliased(CourseVersion)
    title = (select(newest.title).where(newest.course_id == Course.id).order_by(newest.number.desc()).limit(1)
             .correlate(Course).scalar_subquery())
    return (
        select(facts.c.organisation_id, Course.id.label("course_id"), Course.slug, title.label("title"),
               *_cell_columns(facts, today, warn_until))
        .join_from(facts, Course, Course.id == facts.c.course_id)
        .where(facts.c.assignment_id.is_not(None), Course.is_published.is_(True))
        .subquery("cells")
    )


def status_of(user_id: int, course_id: int, org: Organisation, *, today: date | None = None) -> ComplianceStatus:
    """One cell's status, read through the same SQL as the reports (used by tests and the learner page)."""
    grid = cells(org, today or london_today())
    value = db.session.scalar(select(grid.c.status).where(grid.c.user_id == user_id, grid.c.course_id == course_id))
    return ComplianceStatus(value) if value else ComplianceStatus.NOT_ASSIGNED


# --- dashboard -----------------------------------------------------------------------------


class CountsByStatus:
    """Counts per status over the people a course is assigned to, or a session requirement applies to."""

    counts: dict[ComplianceStatus, int]

    @property
    def assigned(self) -> int:
        return sum(self.counts.values())

    @property
    def valid(self) -> int:
        return self.counts.get(ComplianceStatus.COMPLIANT, 0) + self.counts.get(ComplianceStatus.EXPIRING, 0)

    @property
    def percent_compliant(self) -> int:
        """Holders of a valid certificate (expiring ones included) as a share of those assigned, rounded down."""
        return 100 * self.valid // self.assigned if self.assigned else 0

    def percent(self, status: ComplianceStatus) -> float:
        return round(100 * self.counts.get(status, 0) / self.assigned, 1) if self.assigned else 0.0


@dataclass
class CourseCompliance(CountsByStatus):
    """Counts per status for one course, over the people assigned it."""

    course_id: int
    title: str
    counts: dict[ComplianceStatus, int] = field(default_factory=dict)


@dataclass
class SessionCompliance(CountsByStatus):
    """Counts per status for one face-to-face session topic, over the people whose roles need it."""

    key: str
    topic: str
    counts: dict[ComplianceStatus, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonCourse:
    """A person and one of their assigned courses, for the overdue and expiring lists."""

    user_id: int
    name: str
    email: str
    course_title: str
    due_on: date | None
    valid_until: date | None


@dataclass(frozen=True)
class AttentionCounts:
    """How many people need chasing, each counted once however many courses: the dashboard's summary and the
    managers' weekly digest both show these (one function, so they cannot disagree)."""

    overdue: int
    due_soon: int  # an assigned course not started or in progress, due within DUE_SOON_DAYS
    expiring: int  # a certificate for an assigned course expiring within 30 days


def _attention_of_sessions(sessions: SessionGrid) -> tuple[set[int], set[int], set[int]]:
    """The people overdue, due soon and expiring on a face-to-face session requirement (the same windows): overdue
    and expiring as the matrix's status filter reads them (session_grid.people_by_status)."""
    by_status = people_by_status(sessions)
    soon = sessions.today + timedelta(days=DUE_SOON_DAYS)
    due_soon = {user_id for user_id, mine in sessions.cells.items() for cell in mine.values()
                if cell.status == ComplianceStatus.NOT_STARTED and cell.due_on <= soon}
    return (by_status.get(ComplianceStatus.OVERDUE, set()), due_soon,
            by_status.get(ComplianceStatus.EXPIRING, set()))


def attention_counts(org: Organisation, *, today: date | None = None,
                     sessions: SessionGrid | None = None) -> AttentionCounts:
    """People overdue, due soon and expiring on the courses assigned to them and the face-to-face sessions their
    roles need, each person counted once: one query, plus the session grid's (pass it when already read), plus
    one when someone is behind on a session."""
    today = today or london_today()
    sessions = sessions if sessions is not None else session_grid(org, today=today)
    grid = cells(org, today, assigned_only=True)
    overdue = grid.c.status == ComplianceStatus.OVERDUE.value
    due_soon = and_(grid.c.status.in_((ComplianceStatus.NOT_STARTED.value, ComplianceStatus.IN_PROGRESS.value)),
                    grid.c.due_on <= today + timedelta(days=DUE_SOON_DAYS))
    expiring = grid.c.status == ComplianceStatus.EXPIRING.value

    def people(condition: ColumnElement[bool]) -> Any:
        return func.count(distinct(case((condition, grid.c.user_id))))

    row = db.session.execute(select(people(overdue), people(due_soon), people(expiring))).one()
    counts = [int(row[0]), int(row[1]), int(row[2])]
    behind = _attention_of_sessions(sessions)
    if any(behind):
        # those already counted for a course are not counted again
        ids = sorted(set().union(*behind))
        counted: list[set[int]] = [set(), set(), set()]
        for user_id, *flags in db.session.execute(
                select(grid.c.user_id, func.max(case((overdue, 1), else_=0)), func.max(case((due_soon, 1), else_=0)),
                       func.max(case((expiring, 1), else_=0))).where(grid.c.user_id.in_(ids)).group_by(grid.c.user_id)):
            for index, flag in enumerate(flags):
                if flag:
                    counted[index].add(user_id)
        counts = [count + len(more - already) for count, more, already in zip(counts, behind, counted, strict=True)]
    return AttentionCounts(*counts)


@dataclass
class Dashboard:
    courses: list[CourseCompliance]
    overdue: list[PersonCourse]
    overdue_total: int
    expiring: list[PersonCourse]
    expiring_total: int
    members: int
    attention: AttentionCounts
    sessions: list[SessionCompliance] = field(default_factory=list)
    session_overdue: list[PersonCourse] = field(default_factory=list)  # the first LIST_LIMIT, longest overdue first
    session_overdue_total: int = 0
    statuses: tuple[ComplianceStatus, ...] = tuple(s for s in SEVERITY if s != ComplianceStatus.NOT_ASSIGNED)


def compliance_dashboard(org: Organisation, *, today: date | None = None) -> Dashboard:
    """Per course: how many assigned people are in each status; plus who is overdue and whose training expires soon."""
    today = today or london_today()
    titles = course_titles()
    grid = cells(org, today, assigned_only=True)
    courses = {course_id: CourseCompliance(course_id, title) for course_id, title in titles.items()}
    for course_id, status, count in db.session.execute(
        select(grid.c.course_id, grid.c.status, func.count()).group_by(grid.c.course_id, grid.c.status)
    ):
        if course_id in courses:
            courses[course_id].counts[ComplianceStatus(status)] = count
    overdue, overdue_total = _people_in(grid, ComplianceStatus.OVERDUE, titles, grid.c.due_on)
    expiring, expiring_total = _people_in(grid, ComplianceStatus.EXPIRING, titles, grid.c.valid_until)
    members = db.session.scalar(select(func.count()).select_from(User).where(
        members_of(org.id), User.is_active_account.is_(True))) or 0
    sessions = session_grid(org, today=today)
    session_overdue, session_overdue_total = _overdue_on_sessions(sessions)
    return Dashboard(list(courses.values()), overdue, overdue_total, expiring, expiring_total, members,
                     attention_counts(org, today=today, sessions=sessions), _session_counts(sessions),
                     session_overdue, session_overdue_total)


def _session_counts(sessions: SessionGrid) -> list[SessionCompliance]:
    found = {column.key: SessionCompliance(column.key, column.topic) for column in sessions.columns}
    for mine in sessions.cells.values():
        for key, cell in mine.items():
            counts = found[key].counts
            counts[cell.status] = counts.get(cell.status, 0) + 1
    return list(found.values())


def _overdue_on_sessions(sessions: SessionGrid) -> tuple[list[PersonCourse], int]:
    """The first LIST_LIMIT people overdue on a session requirement, longest overdue first, and how many in all;
    one query for the names of those listed."""
    topics = {column.key: column.topic for column in sessions.columns}
    overdue = sorted((cell.due_on, user_id, key, cell) for user_id, mine in sessions.cells.items()
                     for key, cell in mine.items() if cell.status == ComplianceStatus.OVERDUE)
    listed = overdue[:LIST_LIMIT]
    if not listed:
        return [], 0
    names = {user_id: (name, email) for user_id, name, email in db.session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_({row[1] for row in listed})))}
    return [PersonCourse(user_id, *names[user_id], f"Face-to-face: {topics[key]}", cell.due_on, cell.valid_until)
            for _, user_id, key, cell in listed], len(overdue)


def _people_in(grid: Subquery, status: ComplianceStatus, titles: dict[int, str],
               order: ColumnElement[Any]) -> tuple[list[PersonCourse], int]:
    """The first LIST_LIMIT people in a status, soonest date first, and how many there are in all; one query."""
    total = func.count().over().label("total")
    rows = db.session.execute(
        select(User.id, User.display_name, User.email, grid.c.course_id, grid.c.due_on, grid.c.valid_until, total)
        .join(User, User.id == grid.c.user_id)
        .where(grid.c.status == status.value)
        .order_by(order, User.display_name, User.id, grid.c.course_id)
        .limit(LIST_LIMIT)
    ).all()
    people = [PersonCourse(r[0], r[1], r[2], titles.get(r[3], "?"), r[4], r[5]) for r in rows]
    return people, rows[0].total if rows else 0
