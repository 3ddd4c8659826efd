"""The training matrix: people × courses with each cell's status and date, filtered, sorted and paged in SQL.

Read from the same grid as the dashboard (`reports.cells`); the matrix page and the exports
(every matching person, unpaged) both call `training_matrix`. The page also lists people invited but not joined
yet, with the courses they will be assigned on joining (`pending_invitees`).

Face-to-face session requirements are cells too (session_grid), computed in Python from four queries. The status
filter, the sort by status and the pick of one item read them with the courses: a person is in every status one of
their cells is in, and ranks by the most urgent (session_grid.people_by_status, the rule the dashboard counts by).
When the filters or the sort need them, every member's session cells are read once and enter the SQL as lists of
ids (session_grid.session_rank_sql), so filtering, sorting and paging stay one statement: the same number of
queries whatever the size, and the page's session cells are sliced from that grid rather than read again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, false, func, or_, select

from elearn.access import members_of
from elearn.catalog.service import course_titles
from elearn.clock import london_today
from elearn.compliance.compliance import SEVERITY, ComplianceStatus, TrainingSource, severity_sql
from elearn.compliance.reports import cells
from elearn.compliance.session_grid import (
    SessionColumn,
    SessionGrid,
    people_by_status,
    session_grid,
    session_rank_sql,
)
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Group, GroupMembership, Invitation, InvitationCourse, NewStarterRule, Organisation, User

PAGE_SIZE = 50
INVITED_LIMIT = 100  # pending invitees listed (on the matrix's first page)
SORTS = ("name", "email", "joined", "status")
TOPIC_PREFIX = "topic:"  # the matrix's one "course" choice names a face-to-face session's topic this way


@dataclass(frozen=True)
class MatrixQuery:
    """The matrix's filters, sort and page, as read from the query string."""

    q: str = ""
    group_id: int | None = None
    kind: str | None = None  # a MemberKind: only the people who are that kind here (staff, supply, governor...)
    course_id: int | None = None
    topic: str | None = None  # a face-to-face session's column key (SessionColumn.key), picked instead of a course
    status: ComplianceStatus | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @property
    def item(self) -> int | str | None:
        """The one course or session picked, as the query string's `course` holds it (an id, or "topic:" + key)."""
        return TOPIC_PREFIX + self.topic if self.topic is not None else self.course_id

    def reads_sessions(self) -> bool:
        """Whether filtering or sorting needs every member's session cells (not only the page's)."""
        return (self.status is not None or self.topic is not None
                or (self.sort == "status" and self.course_id is None))


@dataclass(frozen=True)
class Cell:
    status: ComplianceStatus
    due_on: date | None
    valid_until: date | None
    source: TrainingSource | None = None  # external / imported training is marked as such


@dataclass(frozen=True)
class MatrixRow:
    user: User  # or, in a streamed export, a row with the same id, display_name and email
    groups: list[str]
    cells: dict[int, Cell]


@dataclass(frozen=True)
class InvitedRow:
    """Someone invited who has not joined yet, and the courses they will be assigned then: by the invitation, the
    standing rule for everyone, or their group's; each due so many days after joining."""

    invitation_id: int
    name: str
    email: str
    group: str | None
    due_in_days: dict[int, int]  # course id → days after joining


@dataclass(frozen=True)
class Matrix:
    courses: dict[int, str]
    rows: list[MatrixRow]
    total: int
    page: int
    pages: int
    query: MatrixQuery
    invited: list[InvitedRow] = field(default_factory=list)  # shown on the first page; never in exports
    sessions: SessionGrid | None = None  # the rows' session cells, in the columns shown (one when a topic is picked)
    topics: list[SessionColumn] = field(default_factory=list)  # every session topic required here, to pick one


def _escape_like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_people(org: Organisation, query: MatrixQuery, grid: Subquery,
                    sessions: SessionGrid | None = None) -> Select[Any]:
    """The ids of the active members the filters match (read by the page, the exports and chasing). `sessions`:
    every member's session cells (sessions_read), which the status and topic filters need."""
    statement = select(User.id).where(members_of(org.id, query.kind), User.is_active_account.is_(True))
    if query.q:
        pattern = _escape_like(query.q.lower())
        statement = statement.where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                                        User.email.like(pattern, escape="\\")))
    if query.group_id is not None:
        statement = statement.where(User.id.in_(
            select(GroupMembership.user_id).where(GroupMembership.group_id == query.group_id)))
    if query.topic is not None:  # that topic's cell in the status; or, without a status, the people who need it
        by_status = people_by_status(_required(sessions), query.topic)
        wanted = by_status.get(query.status, set()) if query.status is not None else set().union(*by_status.values())
        statement = statement.where(_among(wanted))
    elif query.status is not None:
        in_status = select(grid.c.user_id).where(grid.c.status == query.status.value)
        if query.course_id is not None:
            in_status = in_status.where(grid.c.course_id == query.course_id)
            statement = statement.where(User.id.in_(in_status))
        else:  # a course's cell in the status, or a session's
            statement = statement.where(or_(User.id.in_(in_status),
                                            _among(people_by_status(_required(sessions)).get(query.status, set()))))
    elif query.course_id is not None:  # a course filter alone: the people assigned it
        statement = statement.where(User.id.in_(select(grid.c.user_id).where(
            grid.c.course_id == query.course_id, grid.c.assignment_id.is_not(None))))
    return statement


def _required(sessions: SessionGrid | None) -> SessionGrid:
    """The session cells a filter or the sort needs: leaving them out would hide people, so it is an error."""
    if sessions is None:
        raise TypeError("this filter or sort reads every member's session cells: pass sessions_read's grid")
    return sessions


def _among(user_ids: set[int]) -> Any:
    return User.id.in_(sorted(user_ids)) if user_ids else false()


def sessions_read(org: Organisation, query: MatrixQuery, today: date) -> SessionGrid | None:
    """Every member's session cells when the filters or the sort need them (the grid's four queries), else None."""
    return session_grid(org, today=today) if query.reads_sessions() else None


def known_topic(query: MatrixQuery, sessions: SessionGrid | None) -> MatrixQuery:
    """The query with a topic no session requirement names here dropped (as an unknown course is)."""
    if query.topic is not None and (sessions is None or query.topic not in {c.key for c in sessions.columns}):
        return MatrixQuery(**{**query.__dict__, "topic": None})
    return query


def _columns(query: MatrixQuery) -> tuple[MatrixQuery, dict[int, str]]:
    """The query with an unknown course dropped, and the courses it shows (one when filtered by course)."""
    titles = course_titles()
    if query.topic is not None:  # one item at a time: a topic picked stands for the course
        query = MatrixQuery(**{**query.__dict__, "course_id": None})
    if query.course_id is not None and query.course_id not in titles:
        query = MatrixQuery(**{**query.__dict__, "course_id": None})
    return query, ({query.course_id: titles[query.course_id]} if query.course_id is not None else titles)


def _in_order(statement: Any, query: MatrixQuery, grid: Subquery, sessions: SessionGrid | None = None) -> Any:
    """People in the matrix's order: the chosen sort, then name, then id (a stable order for paging).

    By status: the picked course's cell, or the picked topic's; else each person's most urgent cell, course or
    session (the least of the two ranks)."""
    order: list[Any] = []
    if query.sort == "status" and query.course_id is not None:
        statement = statement.join(grid, and_(grid.c.user_id == User.id, grid.c.course_id == query.course_id))
        order.append(severity_sql(grid.c.status))
    elif query.sort == "status":
        session_rank = session_rank_sql(User.id, _required(sessions), query.topic)
        if query.topic is not None:
            course_rank = None
        else:  # every course cell's rank, aggregated once per person (never a subquery run per row)
            worst = (select(grid.c.user_id, func.min(severity_sql(grid.c.status)).label("rank"))
                     .group_by(grid.c.user_id).subquery("worst"))
            statement = statement.outerjoin(worst, worst.c.user_id == User.id)
            course_rank = func.coalesce(worst.c.rank, len(SEVERITY))
        if course_rank is not None and session_rank is not None:
            order.append(case((course_rank <= session_rank, course_rank), else_=session_rank))
        elif course_rank is not None or session_rank is not None:
            order.append(course_rank if course_rank is not None else session_rank)
    elif query.sort == "email":
        order.append(User.email)
    elif query.sort == "joined":
        order.append(User.joined_organisation_at)
    order = [o.desc() if query.descending else o for o in order]
    order += [(func.lower(User.display_name).desc() if query.descending and query.sort == "name"
               else func.lower(User.display_name)), User.id]
    return statement.order_by(*order)


def training_matrix(org: Organisation, query: MatrixQuery, *, today: date | None = None,
                    paginate: bool = True) -> Matrix:
    """People × courses with each cell's status and date: filtered, searched, sorted and paginated in SQL.

    Exports ask for every matching person (paginate=False): still four queries, whatever the size.
    """
    today = today or london_today()
    query, columns = _columns(query)
    sessions = sessions_read(org, query, today)
    query = known_topic(query, sessions)
    grid = cells(org, today)
    matching = matching_people(org, query, grid, sessions).subquery("matching")
    total = db.session.scalar(select(func.count()).select_from(matching)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(query.page, 1), pages)
    statement = _in_order(select(User).join(matching, matching.c.id == User.id), query, grid, sessions)
    if paginate:
        statement = statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    people = list(db.session.scalars(statement))
    among = None if paginate else select(matching.c.id)
    if paginate:  # a grid of just this page's people, so that no plan can recompute the whole organisation per row
        grid = cells(org, today, user_ids=[person.id for person in people])
    invited = pending_invitees(org, query) if paginate else []  # every page asks: the same queries on each
    ids = [person.id for person in people]
    shown = session_grid(org, ids, today=today) if sessions is None else sessions  # read once either way
    return Matrix(columns, _rows(org, people, grid, columns, among), total, page, pages,
                  MatrixQuery(**{**query.__dict__, "page": page}), invited, _session_columns(shown, ids, query.topic),
                  shown.columns)


def _session_columns(sessions: SessionGrid, user_ids: Sequence[int], topic: str | None) -> SessionGrid:
    """These people's session cells, in the columns the matrix shows (the picked topic's alone)."""
    columns = [c for c in sessions.columns if topic is None or c.key == topic]
    keys = {c.key for c in columns}
    return SessionGrid(columns, {uid: {k: cell for k, cell in sessions.cells[uid].items() if k in keys}
                                 for uid in user_ids if uid in sessions.cells}, sessions.today)


def pending_invitees(org: Organisation, query: MatrixQuery) -> list[InvitedRow]:
    """Open invitations matching the search and group, with the courses each will bring (none in "not started"
    yet: they have not joined); a status filter other than "not started" shows none. At most three queries."""
    if query.status not in (None, ComplianceStatus.NOT_STARTED) or query.topic is not None:
        return []  # nor does a topic: an invitee has no role here yet
    statement = (select(Invitation.id, Invitation.display_name, Invitation.email, Invitation.group_id, Group.name)
                 .outerjoin(Group, Group.id == Invitation.group_id)
                 .where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None),
                        Invitation.cancelled_at.is_(None), Invitation.expires_at > now_utc()))
    if query.q:
        pattern = _escape_like(query.q.lower())
        statement = statement.where(or_(func.lower(Invitation.display_name).like(pattern, escape="\\"),
                                        Invitation.email.like(pattern, escape="\\")))
    if query.group_id is not None:
        statement = statement.where(Invitation.group_id == query.group_id)
    found = db.session.execute(statement.order_by(func.lower(Invitation.display_name), Invitation.id)
                               .limit(INVITED_LIMIT)).all()
    if not found:
        return []
    rules: dict[int | None, dict[int, int]] = {}
    for group_id, course_id, days in db.session.execute(
            select(NewStarterRule.group_id, NewStarterRule.course_id, NewStarterRule.due_in_days)
            .where(NewStarterRule.organisation_id == org.id, NewStarterRule.is_active.is_(True))):
        rules.setdefault(group_id, {})[course_id] = days
    own: dict[int, dict[int, int]] = {}
    for invitation_id, course_id, days in db.session.execute(
            select(InvitationCourse.invitation_id, InvitationCourse.course_id, InvitationCourse.due_in_days)
            .where(InvitationCourse.invitation_id.in_([row[0] for row in found]))):
        own.setdefault(invitation_id, {})[course_id] = days
    rows = []
    for invitation_id, name, email, group_id, group_name in found:
        courses: dict[int, int] = {}
        for source in (rules.get(None, {}), rules.get(group_id, {}) if group_id else {}, own.get(invitation_id, {})):
            for course_id, days in source.items():  # as assign_on_joining: a course once, the soonest due date
                courses[course_id] = min(days, courses.get(course_id, days))
        if query.course_id is None or query.course_id in courses:
            rows.append(InvitedRow(invitation_id, name, email, group_name, courses))
    return rows


def count_matching(org: Organisation, query: MatrixQuery, *, today: date | None = None,
                   sessions: SessionGrid | None = None) -> int:
    """How many people an export of these filters holds (one query, and sessions_read's unless given)."""
    today = today or london_today()
    query, _ = _columns(query)
    sessions = sessions or sessions_read(org, query, today)
    grid = cells(org, today)
    matching = matching_people(org, known_topic(query, sessions), grid, sessions).subquery("matching")
    return db.session.scalar(select(func.count()).select_from(matching)) or 0


def iter_matrix(org: Organisation, query: MatrixQuery, *, today: date | None = None, batch_size: int = 1000,
                sessions: SessionGrid | None = None) -> tuple[dict[int, str], Iterator[list[MatrixRow]]]:
    """The matrix's courses, and every matching person's row in batches, for exports of any size.

    The people are read through one streamed query (`yield_per`: a server-side cursor on PostgreSQL,
    SQLite's own lazy cursor), as (id, name, email) rows rather than User objects; each batch's cells and
    groups take two more queries. Memory holds one batch, whatever the organisation's size. `sessions`: every
    member's session cells when the caller has read them (sessions_read), else they are read here if needed.
    """
    today = today or london_today()
    query, columns = _columns(query)
    sessions = sessions or sessions_read(org, query, today)
    query = known_topic(query, sessions)
    grid = cells(org, today)
    matching = matching_people(org, query, grid, sessions).subquery("matching")
    statement = _in_order(select(User.id, User.display_name, User.email).join(matching, matching.c.id == User.id),
                          query, grid, sessions)

    org_id = org.id

    def batches() -> Iterator[list[MatrixRow]]:
        # Streamed after the request has committed (and its session may be gone): only plain values cross over.
        organisation = db.session.get_one(Organisation, org_id)
        result = db.session.execute(statement.execution_options(yield_per=batch_size))
        for partition in result.partitions():
            people = list(partition)
            yield _rows(organisation, people, cells(organisation, today, user_ids=[person.id for person in people]), columns)

    return columns, batches()


def rows_of(org: Organisation, people: Sequence[User], *, today: date | None = None) -> tuple[dict[int, str], list[MatrixRow]]:
    """These people's matrix rows over every course (a one-person record): three queries."""
    _, columns = _columns(MatrixQuery())
    grid = cells(org, today or london_today(), user_ids=[person.id for person in people])
    return columns, _rows(org, people, grid, columns)


def _rows(org: Organisation, people: Sequence[Any], grid: Subquery, columns: dict[int, str],
          among: Select[Any] | None = None) -> list[MatrixRow]:
    """Cells and this organisation's groups of these people (someone placed here keeps their home's groups there);
    `among` (a select of their ids) replaces a long IN list for exports."""
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
        .where(GroupMembership.user_id.in_(who), Group.organisation_id == org.id).order_by(Group.name)
    ):
        groups[user_id].append(name)
    return [MatrixRow(person, groups[person.id], by_user[person.id]) for person in people]
