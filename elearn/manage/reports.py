"""Compliance reports computed in the database: a bounded number of queries whatever the organisation's size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, Select, Subquery, and_, case, func, literal_column, null, or_, select, true, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from elearn.certificates.service import CertificateEntry, certificate_status, london_today
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.manage.compliance import SEVERITY, ComplianceStatus, TrainingSource, severity_sql, status_sql
from elearn.manage.service import course_titles
from elearn.models import (
    Assignment,
    Attempt,
    Certificate,
    Course,
    CourseVersion,
    Enrolment,
    ExternalTraining,
    Group,
    GroupMembership,
    Organisation,
    User,
)

PAGE_SIZE = 50
LIST_LIMIT = 100


def _facts(org_id: int, user_ids: list[int] | None = None) -> Subquery:
    """Per member and course, everything the status depends on, in one grouped UNION ALL: the assignment (id and
    due date), the latest expiry of an unrevoked certificate (any version) or of training recorded for the course
    (external, or an imported certificate still unrevoked) with where it comes from, and open enrolments.

    One aggregate joined on (user, course) once: joining four separately filtered subqueries made PostgreSQL
    misjudge their sizes and merge-join on the course alone (seconds for 2,000 people; bench/manage/RESULTS.md).
    """
    members: Any = select(User.id).where(User.organisation_id == org_id).scalar_subquery()
    if user_ids is not None:  # a page of people: each branch reads only their rows, by index
        members = select(User.id).where(User.organisation_id == org_id, User.id.in_(user_ids)).scalar_subquery()
    assigned = select(*_fact_columns(Assignment.user_id, Assignment.course_id, assignment_id=Assignment.id,
                                     due_on=Assignment.due_on)).where(Assignment.organisation_id == org_id)
    if user_ids is not None:
        assigned = assigned.where(Assignment.user_id.in_(user_ids))
    certified = select(*_fact_columns(Certificate.user_id, Certificate.course_id, valid_until=Certificate.expires_on,
                                      certificate_until=Certificate.expires_on)).where(
        Certificate.user_id.in_(members), Certificate.revoked_at.is_(None))
    brought = aliased(Certificate)
    recorded = (
        select(*_fact_columns(ExternalTraining.user_id, ExternalTraining.course_id,
                              valid_until=ExternalTraining.expires_on,
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
    every = union_all(assigned, certified, recorded, under_way).subquery("every")
    return (
        select(every.c.user_id, every.c.course_id,
               *(func.max(every.c[name]).label(name) for name in _FACTS))
        .group_by(every.c.user_id, every.c.course_id)
        .subquery("facts")
    )


_FACTS = {"assignment_id": Integer, "due_on": Date, "valid_until": Date, "certificate_until": Date,
          "imported_until": Date, "open_cycles": Integer}


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
    status = status_sql(assigned=facts.c.assignment_id.is_not(None), due_on=facts.c.due_on,
                        valid_until=facts.c.valid_until, in_progress=facts.c.open_cycles.is_not(None), today=today)
    statement = (
        select(User.id.label("user_id"), Course.id.label("course_id"), facts.c.assignment_id, facts.c.due_on,
               facts.c.valid_until, status.label("status"), _source(facts).label("source"))
        .select_from(User)
        .join(Course, true())
    )
    on = and_(facts.c.user_id == User.id, facts.c.course_id == Course.id)
    if assigned_only:
        statement = statement.join(facts, and_(on, facts.c.assignment_id.is_not(None)))
    else:
        statement = statement.outerjoin(facts, on)
    statement = statement.where(User.organisation_id == org.id, User.is_active_account.is_(True),
                                Course.is_published.is_(True))
    if user_ids is not None:
        statement = statement.where(User.id.in_(user_ids))
    return statement.subquery("cells")


# --- dashboard -----------------------------------------------------------------------------


@dataclass
class CourseCompliance:
    """Counts per status for one course, over the people assigned it."""

    course_id: int
    title: str
    counts: dict[ComplianceStatus, int] = field(default_factory=dict)

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


@dataclass(frozen=True)
class PersonCourse:
    """A person and one of their assigned courses, for the overdue and expiring lists."""

    user_id: int
    name: str
    email: str
    course_title: str
    due_on: date | None
    valid_until: date | None


@dataclass
class Dashboard:
    courses: list[CourseCompliance]
    overdue: list[PersonCourse]
    overdue_total: int
    expiring: list[PersonCourse]
    expiring_total: int
    members: int
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
        User.organisation_id == org.id, User.is_active_account.is_(True))) or 0
    return Dashboard(list(courses.values()), overdue, overdue_total, expiring, expiring_total, members)


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


# --- matrix --------------------------------------------------------------------------------

SORTS = ("name", "email", "joined", "status")


@dataclass(frozen=True)
class MatrixQuery:
    """The matrix's filters, sort and page, as read from the query string."""

    q: str = ""
    group_id: int | None = None
    course_id: int | None = None
    status: ComplianceStatus | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class Cell:
    status: ComplianceStatus
    due_on: date | None
    valid_until: date | None
    source: TrainingSource | None = None  # external / imported training is marked as such


@dataclass(frozen=True)
class MatrixRow:
    user: User
    groups: list[str]
    cells: dict[int, Cell]


@dataclass(frozen=True)
class Matrix:
    courses: dict[int, str]
    rows: list[MatrixRow]
    total: int
    page: int
    pages: int
    query: MatrixQuery


def _escape_like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_people(org: Organisation, query: MatrixQuery, grid: Subquery) -> Select[Any]:
    statement = select(User.id).where(User.organisation_id == org.id, User.is_active_account.is_(True))
    if query.q:
        pattern = _escape_like(query.q.lower())
        statement = statement.where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                                        User.email.like(pattern, escape="\\")))
    if query.group_id is not None:
        statement = statement.where(User.id.in_(
            select(GroupMembership.user_id).where(GroupMembership.group_id == query.group_id)))
    if query.status is not None:
        in_status = select(grid.c.user_id).where(grid.c.status == query.status.value)
        if query.course_id is not None:
            in_status = in_status.where(grid.c.course_id == query.course_id)
        statement = statement.where(User.id.in_(in_status))
    elif query.course_id is not None:  # a course filter alone: the people assigned it
        statement = statement.where(User.id.in_(select(grid.c.user_id).where(
            grid.c.course_id == query.course_id, grid.c.assignment_id.is_not(None))))
    return statement


def training_matrix(org: Organisation, query: MatrixQuery, *, today: date | None = None,
                    paginate: bool = True) -> Matrix:
    """People × courses with each cell's status and date: filtered, searched, sorted and paginated in SQL.

    Exports ask for every matching person (paginate=False): still four queries, whatever the size.
    """
    today = today or london_today()
    titles = course_titles()
    if query.course_id is not None and query.course_id not in titles:
        query = MatrixQuery(**{**query.__dict__, "course_id": None})
    columns = {query.course_id: titles[query.course_id]} if query.course_id is not None else titles
    grid = cells(org, today)
    matching = _matching_people(org, query, grid).subquery("matching")
    total = db.session.scalar(select(func.count()).select_from(matching)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(query.page, 1), pages)
    statement = select(User).join(matching, matching.c.id == User.id)
    order: list[Any] = []
    if query.sort == "status" and query.course_id is not None:
        statement = statement.join(grid, and_(grid.c.user_id == User.id, grid.c.course_id == query.course_id))
        order.append(severity_sql(grid.c.status))
    elif query.sort == "email":
        order.append(User.email)
    elif query.sort == "joined":
        order.append(User.joined_organisation_at)
    order = [o.desc() if query.descending else o for o in order]
    order += [(func.lower(User.display_name).desc() if query.descending and query.sort == "name"
               else func.lower(User.display_name)), User.id]
    statement = statement.order_by(*order)
    if paginate:
        statement = statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    people = list(db.session.scalars(statement))
    among = None if paginate else select(matching.c.id)
    if paginate:  # a grid of just this page's people, so that no plan can recompute the whole organisation per row
        grid = cells(org, today, user_ids=[person.id for person in people])
    return Matrix(columns, _rows(people, grid, columns, among), total, page, pages,
                  MatrixQuery(**{**query.__dict__, "page": page}))


def _rows(people: list[User], grid: Subquery, columns: dict[int, str],
          among: Select[Any] | None = None) -> list[MatrixRow]:
    """Cells and groups of these people; `among` (a select of their ids) replaces a long IN list for exports."""
    ids = [person.id for person in people]
    if not ids:
        return []
    who: Any = among if among is not None else ids
    by_user: dict[int, dict[int, Cell]] = {uid: {} for uid in ids}
    for user_id, course_id, status, due_on, valid_until, source in db.session.execute(
        select(grid.c.user_id, grid.c.course_id, grid.c.status, grid.c.due_on, grid.c.valid_until, grid.c.source)
        .where(grid.c.user_id.in_(who), grid.c.course_id.in_(list(columns)))
    ):
        by_user[user_id][course_id] = Cell(ComplianceStatus(status), due_on, valid_until,
                                           TrainingSource(source) if source else None)
    groups: dict[int, list[str]] = {uid: [] for uid in ids}
    for user_id, name in db.session.execute(
        select(GroupMembership.user_id, Group.name).join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.user_id.in_(who)).order_by(Group.name)
    ):
        groups[user_id].append(name)
    return [MatrixRow(person, groups[person.id], by_user[person.id]) for person in people]


# --- one person ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignedCourse:
    """An assigned course with its status, for a learner's dashboard or a learner's detail page."""

    assignment_id: int
    course_id: int
    slug: str
    title: str
    due_on: date | None
    valid_until: date | None
    status: ComplianceStatus


def list_assigned_courses(user: User, *, today: date | None = None) -> list[AssignedCourse]:
    """The person's assigned courses in their organisation: most urgent first, then by due date; two queries."""
    if user.organisation_id is None:
        return []
    today = today or london_today()
    org = db.session.get_one(Organisation, user.organisation_id)
    grid = cells(org, today, assigned_only=True)
    titles = course_titles()
    rows = db.session.execute(
        select(grid.c.assignment_id, grid.c.course_id, Course.slug, grid.c.due_on, grid.c.valid_until, grid.c.status)
        .join(Course, Course.id == grid.c.course_id)
        .where(grid.c.user_id == user.id)
        .order_by(severity_sql(grid.c.status), grid.c.due_on, grid.c.course_id)
    )
    return [AssignedCourse(r[0], r[1], r[2], titles.get(r[1], r[2]), r[3], r[4], ComplianceStatus(r[5])) for r in rows]


def status_of(user_id: int, course_id: int, org: Organisation, *, today: date | None = None) -> ComplianceStatus:
    """One cell's status, read through the same SQL as the reports (used by tests and the learner page)."""
    grid = cells(org, today or london_today())
    value = db.session.scalar(select(grid.c.status).where(grid.c.user_id == user_id, grid.c.course_id == course_id))
    return ComplianceStatus(value) if value else ComplianceStatus.NOT_ASSIGNED



@dataclass(frozen=True)
class EnrolmentLine:
    enrolment: Enrolment
    title: str
    slug: str
    lessons_done: int
    lesson_count: int

    @property
    def percent(self) -> int:
        return 100 * self.lessons_done // self.lesson_count if self.lesson_count else 0


@dataclass(frozen=True)
class AttemptLine:
    attempt: Attempt
    title: str


@dataclass(frozen=True)
class LearnerRecord:
    """Everything a manager sees about one person: groups, assignments, enrolments, attempts, certificates."""

    user: User
    groups: list[Group]
    assignments: list[AssignedCourse]
    enrolments: list[EnrolmentLine]
    attempts: list[AttemptLine]
    certificates: list[CertificateEntry]


def learner_record(user: User) -> LearnerRecord:
    """One member's training record; a fixed number of queries however long their history."""
    from elearn.learning.service import done_counts, lesson_counts

    titles = dict(db.session.execute(select(CourseVersion.id, CourseVersion.title).join(
        Enrolment, Enrolment.version_id == CourseVersion.id).where(Enrolment.user_id == user.id)).all())
    enrolments = list(db.session.execute(
        select(Enrolment, Course.slug).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())).all())
    totals = lesson_counts([e.version_id for e, _ in enrolments])
    done = done_counts([e.id for e, _ in enrolments])
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at.desc(), Attempt.id.desc())))
    attempt_titles = dict(db.session.execute(select(CourseVersion.id, CourseVersion.title).where(
        CourseVersion.id.in_({a.version_id for a in attempts}))).all()) if attempts else {}
    today = london_today()
    certificates = [CertificateEntry(c, certificate_status(c, today)) for c in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc(), Certificate.id.desc()))]
    groups = list(db.session.scalars(select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
                                     .where(GroupMembership.user_id == user.id).order_by(Group.name)))
    return LearnerRecord(
        user=user, groups=groups,
        assignments=list_assigned_courses(user, today=today) if user.is_active_account else [],
        enrolments=[EnrolmentLine(e, titles.get(e.version_id, slug), slug, done.get(e.id, 0), totals.get(e.version_id, 0))
                    for e, slug in enrolments],
        attempts=[AttemptLine(a, attempt_titles.get(a.version_id, "")) for a in attempts],
        certificates=certificates,
    )


def get_member_attempt(org: Organisation, user_id: int, attempt_id: int) -> Attempt:
    """An attempt of a member of this organisation, or NotFound (another organisation's id included)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id or attempt.user.organisation_id != org.id:
        raise NotFound("There is no attempt with this address in your organisation.")
    return attempt
