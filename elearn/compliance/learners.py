"""One learner's training: assigned courses with their status, the record a manager sees, one attempt.

The assigned courses come from the same grid as the reports (`reports.cells`), so a learner's
own dashboard and their manager's pages never disagree about a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload

from elearn.access import MemberAction, get_member, members_of, settings_with_duty, settings_worked_at
from elearn.assessment.allowances import DailyLimit, limits_of
from elearn.assessment.service import PRECHECK
from elearn.catalog.service import course_titles
from elearn.certificates.service import CertificateEntry, certificate_status
from elearn.clock import london_today
from elearn.compliance.compliance import ComplianceStatus, expiry_warning_from, severity_sql
from elearn.compliance.reports import person_cells
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.learning.time_spent import CourseTime, list_course_times, list_quick_completions
from elearn.models import (
    Attempt,
    Certificate,
    Course,
    CourseVersion,
    Duty,
    Enrolment,
    Group,
    GroupMembership,
    Organisation,
    User,
)


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
    setting_id: int  # the setting that assigned it (a person may work at several)


@dataclass(frozen=True)
class SettingLink:
    """A setting named on a person's own page (where they lead safeguarding, say)."""

    id: int
    name: str


@dataclass(frozen=True)
class MyTraining:
    """What My learning shows of the settings a person works at: their assigned courses there, and the settings
    where they are the designated safeguarding lead (whose audit return they review and sign)."""

    assignments: list[AssignedCourse]
    dsl_of: list[SettingLink]


def my_training(user: User, *, today: date | None = None) -> MyTraining:
    """The person's assigned courses at every setting they work at (home and current placements), most urgent
    first, then by due date, and the settings where they hold Duty.DSL (access.duty_settings); one query,
    however many settings: each setting they work at, joined to their assignments there."""
    today = today or london_today()
    rows = db.session.execute(_my_training_statement(), {
        "user_id": user.id, "home_id": user.organisation_id, "today": today,
        "warn_until": expiry_warning_from(today)}).all()
    assignments = [AssignedCourse(r.assignment_id, r.course_id, r.slug, r.title or r.slug, r.due_on, r.valid_until,
                                  ComplianceStatus(r.status), r.id) for r in rows if r.assignment_id is not None]
    dsl_of = sorted({SettingLink(r.id, r.name) for r in rows if r.is_dsl}, key=lambda s: (s.name, s.id))
    return MyTraining(assignments, dsl_of)


@cache
def _my_training_statement() -> Select[Any]:
    """my_training's statement, built once per process with the person, their home organisation and the dates as
    bound parameters: building it (a union of every kind of training evidence) cost more than running it."""
    user_id, home_id = bindparam("user_id", type_=Integer), bindparam("home_id", type_=Integer)
    today, warn_until = bindparam("today", type_=Date), bindparam("warn_until", type_=Date)
    settings = settings_worked_at(user_id, home_id, today)
    grid = person_cells(user_id, settings, today, warn_until)
    is_dsl = Organisation.id.in_(settings_with_duty(user_id, home_id, Duty.DSL, today))
    here = select(Organisation.id, Organisation.name, is_dsl.label("is_dsl")).where(
        Organisation.id.in_(settings)).subquery("here")
    return (select(here.c.id, here.c.name, here.c.is_dsl, grid.c.assignment_id, grid.c.course_id, grid.c.slug,
                   grid.c.title, grid.c.due_on, grid.c.valid_until, grid.c.status)
            .outerjoin(grid, grid.c.organisation_id == here.c.id)
            .order_by(severity_sql(grid.c.status), grid.c.due_on.is_(None), grid.c.due_on, grid.c.course_id,
                      here.c.name, here.c.id))


def list_assigned_courses(user: User, *, today: date | None = None) -> list[AssignedCourse]:
    """The person's assigned courses at every setting they work at (my_training); one query."""
    return my_training(user, today=today).assignments


@dataclass(frozen=True)
class EnrolmentLine:
    enrolment: Enrolment
    title: str
    slug: str
    lessons_done: int
    lesson_count: int
    limit: DailyLimit  # the course's daily attempt limit, and any extra attempt a manager has allowed
    time: CourseTime | None = None  # time on its lessons beside the declared minutes

    @property
    def percent(self) -> int:
        return 100 * self.lessons_done // self.lesson_count if self.lesson_count else 0

    @property
    def may_allow_attempt(self) -> bool:
        """At the daily attempt limit, not passed, and no extra attempt waiting: a manager may allow one more."""
        return self.enrolment.passed_at is None and self.limit.is_reached and not self.limit.has_allowance


@dataclass(frozen=True)
class AttemptLine:
    attempt: Attempt
    title: str


@dataclass(frozen=True)
class LearnerRecord:
    """Everything a manager sees about one person: groups, assignments, enrolments, assessment attempts, knowledge
    checks (apart: they are unscored and count towards nothing), certificates."""

    user: User
    groups: list[Group]
    assignments: list[AssignedCourse]
    enrolments: list[EnrolmentLine]
    attempts: list[AttemptLine]
    knowledge_checks: list[AttemptLine]
    certificates: list[CertificateEntry]


def learner_record(user: User, org: Organisation) -> LearnerRecord:
    """One member's training record; a fixed number of queries however long their history."""
    from elearn.learning.service import done_counts, lesson_counts

    versions = db.session.execute(select(CourseVersion.id, CourseVersion.title, CourseVersion.max_attempts_per_day)
                                  .join(Enrolment, Enrolment.version_id == CourseVersion.id)
                                  .where(Enrolment.user_id == user.id)).all()
    titles = {version_id: title for version_id, title, _ in versions}
    enrolments = list(db.session.execute(
        select(Enrolment, Course.slug).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())).all())
    totals = lesson_counts([e.version_id for e, _ in enrolments])
    done = done_counts([e.id for e, _ in enrolments])
    times = list_course_times([e.id for e, _ in enrolments])
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at.desc(), Attempt.id.desc())))
    attempt_titles = dict(db.session.execute(select(CourseVersion.id, CourseVersion.title).where(
        CourseVersion.id.in_({a.version_id for a in attempts}))).all()) if attempts else {}
    today = london_today()
    certificates = [CertificateEntry(c, certificate_status(c, today)) for c in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc(), Certificate.id.desc()))]
    # This organisation's groups and assignments only: a person placed here from elsewhere keeps the rest there.
    groups = list(db.session.scalars(select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
                                     .where(GroupMembership.user_id == user.id, Group.organisation_id == org.id)
                                     .order_by(Group.name)))
    limits = limits_of([e for e, _ in enrolments], {version_id: limit for version_id, _, limit in versions}, attempts)
    lines = [AttemptLine(a, attempt_titles.get(a.version_id, "")) for a in attempts]
    return LearnerRecord(
        user=user, groups=groups,
        assignments=[a for a in list_assigned_courses(user, today=today) if a.setting_id == org.id]
        if user.is_active_account else [],
        enrolments=[EnrolmentLine(e, titles.get(e.version_id, slug), slug, done.get(e.id, 0), totals.get(e.version_id, 0),
                                  limits[e.id], times.get(e.id)) for e, slug in enrolments],
        attempts=[line for line in lines if line.attempt.kind != PRECHECK],
        knowledge_checks=[line for line in lines if line.attempt.kind == PRECHECK],
        certificates=certificates,
    )


@dataclass(frozen=True)
class QuickCompletion:
    """A member who marked every lesson of a course complete in under a quarter of its declared minutes."""

    user_id: int
    name: str
    title: str
    time: CourseTime


def list_quick_completions_in(org: Organisation) -> list[QuickCompletion]:
    """The organisation's active members' quick completions, newest first; two queries at any size."""
    members = select(User.id).where(members_of(org.id), User.is_active_account.is_(True))
    times = list_quick_completions(members)
    if not times:
        return []
    names = dict(db.session.execute(select(User.id, User.display_name)
                                    .where(User.id.in_({t.user_id for t in times}))).all())
    titles = course_titles()
    return [QuickCompletion(t.user_id, names[t.user_id], titles.get(t.course_id, ""), t) for t in times]


def get_member_attempt(org: Organisation, user_id: int, attempt_id: int, *, actor: User) -> Attempt:
    """An attempt of a member of this organisation whom the actor may see, or NotFound (another organisation's id,
    or another member's attempt under this member's address, included)."""
    member = get_member(user_id, MemberAction.VIEW, actor=actor, organisation=org)
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.version), joinedload(Attempt.user)])
    if attempt is None or attempt.user_id != member.id:
        raise NotFound("There is no attempt with this address in your organisation.")
    return attempt
