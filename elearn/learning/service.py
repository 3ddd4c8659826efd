"""Enrolment, lesson progress and the resume point, per learner and per course version.

Every function that acts for a person takes them as `actor` (as the assessment's do) and touches only the
actor's own enrolments: another person's is NotFound (elearn/access.py's require_own).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import ScalarSelect, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from elearn.access import require_own
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.learning.outlines import LessonOutline, Outline, outline_of
from elearn.models import Course, CourseVersion, Enrolment, Lesson, LessonProgress, User

log = logging.getLogger(__name__)

NOT_ENROLLED = "You are not enrolled on this course."

# A gap between two server-seen events on a lesson counts at most this long: twice the lesson's declared
# minutes, and never less than ten minutes, so a page left open overnight is not a night's study.
IDLE_FLOOR = timedelta(minutes=10)


class CompletionRefused(InvalidInput):
    """"Mark complete" came too soon after the learner first opened the lesson, or before they ever opened it."""

    def __init__(self, message: str) -> None:
        super().__init__("complete", message)


class LearningStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    READY_FOR_ASSESSMENT = "ready_for_assessment"
    PASSED = "passed"


@dataclass(frozen=True)
class Progress:
    """Where a learner is in one course."""

    enrolment: Enrolment | None
    lessons_done: int
    lesson_count: int

    @property
    def percent(self) -> int:
        return 100 * self.lessons_done // self.lesson_count if self.lesson_count else 0

    @property
    def status(self) -> LearningStatus:
        if self.enrolment is None:
            return LearningStatus.NOT_STARTED
        if self.enrolment.passed_at is not None:
            return LearningStatus.PASSED
        if self.enrolment.lessons_completed_at is not None:
            return LearningStatus.READY_FOR_ASSESSMENT
        return LearningStatus.IN_PROGRESS


def lessons_done_column() -> ScalarSelect[int]:
    """A column for a query on Enrolment: the number of its lessons completed."""
    return (select(func.count()).where(LessonProgress.enrolment_id == Enrolment.id,
                                       LessonProgress.completed_at.is_not(None))
            .correlate(Enrolment).scalar_subquery())


# The statements the learner's pages run on every view, built once (with bound parameters): building a
# statement costs about as much as SQLAlchemy running it from its compiled cache.
_COURSE_AND_ENROLMENT = (
    select(Course, Enrolment, lessons_done_column())
    .outerjoin(Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.user_id == bindparam("user_id")))
    .options(joinedload(Enrolment.version))
    .where(Course.slug == bindparam("slug"), Course.is_published.is_(True))
    .order_by(Enrolment.cycle.desc())
    .limit(1)
)
_PROGRESS_ROWS = select(LessonProgress).where(LessonProgress.enrolment_id == bindparam("enrolment_id"))
_MY_ENROLMENTS = (
    select(Enrolment, lessons_done_column()).options(joinedload(Enrolment.version), joinedload(Enrolment.course))
    .where(Enrolment.user_id == bindparam("user_id")).order_by(Enrolment.course_id, Enrolment.cycle.desc())
)


def get_published_course(slug: str) -> Course:
    """The published course with this slug, or NotFound."""
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published.is_(True)))
    if course is None:
        raise NotFound("There is no course at this address.")
    return course


def get_published_course_by_id(course_id: int) -> Course:
    """The published course with this id, or NotFound."""
    course = db.session.get(Course, course_id)
    if course is None or not course.is_published:
        raise NotFound("There is no such course.")
    return course


def latest_version(course: Course) -> CourseVersion:
    """The newest published version: new learners start on it."""
    version = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id).order_by(CourseVersion.number.desc()).limit(1)
    )
    if version is None:
        raise NotFound("This course has no published version yet.")
    return version


def find_current_enrolment(course: Course, *, actor: User) -> Enrolment | None:
    """The actor's latest enrolment (cycle) on a course, if any, with its course version (which its pages show)."""
    return db.session.scalar(
        select(Enrolment)
        .options(joinedload(Enrolment.version))
        .where(Enrolment.user_id == actor.id, Enrolment.course_id == course.id)
        .order_by(Enrolment.cycle.desc())
        .limit(1)
    )


class CourseAndEnrolment(NamedTuple):
    course: Course
    enrolment: Enrolment | None  # the actor's latest cycle, with its version
    lessons_done: int  # on that enrolment


def find_course_and_enrolment(slug: str, *, actor: User | None) -> CourseAndEnrolment:
    """The published course with this slug and the actor's latest enrolment (cycle) on it with its version and
    the number of lessons done, if any, in one query; NotFound for an unknown or unpublished slug."""
    if actor is None:
        return CourseAndEnrolment(get_published_course(slug), None, 0)
    found = db.session.execute(_COURSE_AND_ENROLMENT, {"slug": slug, "user_id": actor.id}).first()
    if found is None:
        raise NotFound("There is no course at this address.")
    return CourseAndEnrolment(found[0], found[1], found[2] or 0)


def get_course_and_enrolment(slug: str, *, actor: User) -> tuple[Course, Enrolment]:
    """As find_course_and_enrolment, for pages of a course the actor has started: NotFound when they have not."""
    course, enrolment, _done = find_course_and_enrolment(slug, actor=actor)
    return course, _required(enrolment)


def lesson_counts(version_ids: list[int]) -> dict[int, int]:
    """Number of lessons per course version, in one query (for reports on many versions at once)."""
    rows = db.session.execute(
        select(Lesson.version_id, func.count()).where(Lesson.version_id.in_(version_ids)).group_by(Lesson.version_id)
    )
    return {version_id: count for version_id, count in rows}


def done_counts(enrolment_ids: list[int]) -> dict[int, int]:
    """Number of completed lessons per enrolment, in one query."""
    rows = db.session.execute(
        select(LessonProgress.enrolment_id, func.count())
        .where(LessonProgress.enrolment_id.in_(enrolment_ids), LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.enrolment_id)
    )
    return {enrolment_id: count for enrolment_id, count in rows}


def progress_for(enrolment: Enrolment | None, version: CourseVersion) -> Progress:
    """Progress on one course: the lessons done counted from the database (one query when enrolled)."""
    total = len(outline_of(enrolment.version if enrolment else version))
    done = done_counts([enrolment.id]).get(enrolment.id, 0) if enrolment else 0
    return Progress(enrolment, done, total)


def enrol(course: Course, *, actor: User) -> Enrolment:
    """Start a course on its newest version; starting twice returns the same enrolment."""
    existing = find_current_enrolment(course, actor=actor)
    if existing is not None:
        return existing
    enrolment = _open_cycle(actor, course, cycle=1)
    log.info("user %s enrolled on course %s (course version id %s)", actor.id, course.id, enrolment.version_id)
    return enrolment


def open_next_cycle(course: Course, *, actor: User, after: Enrolment) -> Enrolment:
    """Start the cycle after `after` on the newest version (a refresher); a double click returns the same one.

    certificates.service decides when a refresher is due; this only opens the cycle.
    """
    return _open_cycle(actor, course, cycle=after.cycle + 1)


def add_cycle_after_revocation(enrolment: Enrolment) -> Enrolment | None:
    """Open the next cycle on the newest version when this passed cycle's certificate was revoked: the learner
    must train again. Nothing when a later cycle exists already or the course has no version. Flushes only."""
    later = db.session.scalar(select(Enrolment.id).where(
        Enrolment.user_id == enrolment.user_id, Enrolment.course_id == enrolment.course_id,
        Enrolment.cycle > enrolment.cycle).limit(1))
    if later is not None or enrolment.passed_at is None:
        return None
    try:
        version = latest_version(enrolment.course)
    except NotFound:
        return None
    next_cycle = Enrolment(user_id=enrolment.user_id, course_id=enrolment.course_id, version_id=version.id,
                           cycle=enrolment.cycle + 1, current_lesson_id=_first_lesson_id(version))
    db.session.add(next_cycle)
    db.session.flush()
    return next_cycle


def _first_lesson_id(version: CourseVersion) -> int | None:
    first = outline_of(version).at(1)
    return first.id if first else None


def _open_cycle(user: User, course: Course, *, cycle: int) -> Enrolment:
    """A new enrolment cycle on the newest version, at its first lesson; a double click returns the first one's."""
    version = latest_version(course)
    enrolment = Enrolment(user_id=user.id, course_id=course.id, version_id=version.id, cycle=cycle,
                          current_lesson_id=_first_lesson_id(version))
    db.session.add(enrolment)
    try:
        db.session.commit()
    except IntegrityError:  # unique (user, course, cycle): the other request created it first
        db.session.rollback()
        return _required(find_current_enrolment(course, actor=user))
    return enrolment


def _required(enrolment: Enrolment | None) -> Enrolment:
    if enrolment is None:
        raise NotFound(NOT_ENROLLED)
    return enrolment


def get_enrolment(course: Course, *, actor: User) -> Enrolment:
    """The actor's current enrolment, or NotFound if they have not started the course."""
    return _required(find_current_enrolment(course, actor=actor))


def get_lesson(enrolment: Enrolment, position: int) -> LessonOutline:
    """A lesson of the learner's own course version, by position."""
    lesson = outline_of(enrolment.version).at(position)
    if lesson is None:
        raise NotFound("There is no such lesson in this course.")
    return lesson


def list_lessons(enrolment: Enrolment) -> list[LessonOutline]:
    return list(outline_of(enrolment.version).lessons)


@dataclass(frozen=True)
class LessonPage:
    """What the lesson player shows: the lesson, the course's contents and the learner's own progress rows."""

    course: Course
    enrolment: Enrolment
    outline: Outline
    lesson: LessonOutline
    rows: Mapping[int, LessonProgress] = field(repr=False)  # by lesson id: the lessons the learner has opened

    @property
    def done(self) -> set[int]:
        return {lesson_id for lesson_id, row in self.rows.items() if row.completed_at is not None}

    @property
    def progress(self) -> Progress:
        return Progress(self.enrolment, len(self.done), len(self.outline))


def get_lesson_page(slug: str, position: int, *, actor: User) -> LessonPage:
    """A lesson of the actor's current enrolment with their progress: two queries (the lessons are cached)."""
    course, enrolment = get_course_and_enrolment(slug, actor=actor)
    lesson = get_lesson(enrolment, position)
    rows = db.session.scalars(_PROGRESS_ROWS, {"enrolment_id": enrolment.id})
    return LessonPage(course, enrolment, outline_of(enrolment.version), lesson, {row.lesson_id: row for row in rows})


def completed_lesson_ids(enrolment: Enrolment) -> set[int]:
    return set(db.session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.enrolment_id == enrolment.id, LessonProgress.completed_at.is_not(None))))


def idle_cap(lesson: LessonOutline) -> timedelta:
    """The most one gap between two visits' events on this lesson counts: 2 x its minutes, at least 10 minutes."""
    return max(IDLE_FLOOR, timedelta(minutes=2 * lesson.minutes))


def _find_progress(enrolment: Enrolment, lesson: LessonOutline) -> LessonProgress | None:
    return db.session.scalar(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id,
                                                          LessonProgress.lesson_id == lesson.id))


def _see(row: LessonProgress, lesson: LessonOutline, now: datetime) -> None:
    """Add the gap since the lesson's last server-seen event (capped) to the time spent on it."""
    if row.last_seen_at is not None and now > row.last_seen_at:
        row.seconds_spent += int(min(now - row.last_seen_at, idle_cap(lesson)).total_seconds())
    row.first_opened_at = row.first_opened_at or now
    row.last_seen_at = now


def open_lesson(enrolment: Enrolment, lesson: LessonOutline, *, actor: User,
                rows: Mapping[int, LessonProgress] | None = None) -> None:
    """Record that the server showed the actor this lesson (its time runs until they complete it) and remember it
    as their resume point. A completed lesson read again writes nothing unless the resume point moves.

    `rows` are the enrolment's progress rows by lesson id when the page has loaded them already (LessonPage)."""
    require_own(enrolment, actor=actor, missing=NOT_ENROLLED)
    now = now_utc()
    row = rows.get(lesson.id) if rows is not None else _find_progress(enrolment, lesson)
    changed = row is None or row.completed_at is None or enrolment.current_lesson_id != lesson.id
    if row is None:
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, first_opened_at=now,
                                      last_seen_at=now, seconds_spent=0))
    elif row.completed_at is None:
        _see(row, lesson, now)
    if enrolment.current_lesson_id != lesson.id:
        enrolment.current_lesson_id = lesson.id
        enrolment.last_active_at = now
    if changed:
        try:
            db.session.commit()
        except IntegrityError:  # two tabs opened the lesson at once: the other one recorded the first opening
            db.session.rollback()


def _minutes(seconds: float) -> str:
    whole = int(seconds // 60)
    return "less than a minute" if whole < 1 else f"{whole} minute{'' if whole == 1 else 's'}"


def check_time_spent(row: LessonProgress | None, lesson: LessonOutline, now: datetime) -> LessonProgress:
    """The lesson's progress row, if it may be completed now; refused for a lesson never opened, or opened less
    than its `min_minutes` ago (server time)."""
    if row is None or row.first_opened_at is None:
        raise CompletionRefused("You had not opened this lesson yet. Read it, then mark it complete."
                                if not lesson.min_minutes else
                                "You had not opened this lesson yet. Spend at least "
                                f"{lesson.min_minutes} minutes on it before marking it complete.")
    elapsed = (now - row.first_opened_at).total_seconds()
    needed = lesson.min_minutes * 60
    if elapsed < needed:
        raise CompletionRefused(
            f"You opened this lesson {_minutes(elapsed)} ago. Spend at least {lesson.min_minutes} minutes on it "
            f"before marking it complete: about {_minutes(needed - elapsed + 59)} more.")
    return row


def record_lesson_complete(enrolment: Enrolment, lesson: LessonOutline, *, actor: User) -> LessonOutline | None:
    """Mark a lesson of the actor's own enrolment complete (once, however often it is clicked) and return the next
    lesson, if any. Refused (CompletionRefused) for a lesson the server never showed them, or showed them less
    than the lesson's `min_minutes` ago: a forged or replayed form gains nothing."""
    require_own(enrolment, actor=actor, missing=NOT_ENROLLED)
    if lesson.version_id != enrolment.version_id:
        raise NotFound("There is no such lesson in this course.")
    now = now_utc()
    row = _find_progress(enrolment, lesson)
    if row is None or row.completed_at is None:
        row = check_time_spent(row, lesson, now)
        _see(row, lesson, now)
        row.completed_at = now
        log.info("enrolment %s: lesson %s complete after %s s", enrolment.id, lesson.id, row.seconds_spent)
    lessons = list_lessons(enrolment)
    following = next((candidate for candidate in lessons if candidate.position > lesson.position), None)
    enrolment.current_lesson_id = (following or lesson).id
    enrolment.last_active_at = now
    if enrolment.lessons_completed_at is None and len(completed_lesson_ids(enrolment)) == len(lessons):
        enrolment.lessons_completed_at = now
    db.session.commit()
    return following


def record_lesson_read(enrolment: Enrolment, lesson: LessonOutline, *, actor: User,
                       minutes: int | None = None) -> LessonOutline | None:
    """For seeding demo, bench and test data only: the actor opened the lesson `minutes` ago (default: its declared
    minutes, and never less than its minimum) and marks it complete now. No page calls this."""
    require_own(enrolment, actor=actor, missing=NOT_ENROLLED)
    if lesson.version_id != enrolment.version_id:
        raise NotFound("There is no such lesson in this course.")
    spent = timedelta(minutes=max(lesson.min_minutes, lesson.minutes if minutes is None else minutes))
    opened = now_utc() - spent
    row = _find_progress(enrolment, lesson)
    if row is None:
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, first_opened_at=opened,
                                      last_seen_at=opened, seconds_spent=0))
    elif row.completed_at is None:
        row.first_opened_at = min(row.first_opened_at or opened, opened)
        row.last_seen_at = opened
    db.session.flush()
    return record_lesson_complete(enrolment, lesson, actor=actor)


def resume_lesson(enrolment: Enrolment) -> LessonOutline:
    """Where to pick up: the lesson last opened, else the first not yet done."""
    current = outline_of(enrolment.version).by_id(enrolment.current_lesson_id)
    if current is not None:
        return current
    lessons = list_lessons(enrolment)
    done = completed_lesson_ids(enrolment)
    return next((lesson for lesson in lessons if lesson.id not in done), lessons[0])


@dataclass(frozen=True)
class DashboardEntry:
    course: Course
    version: CourseVersion
    progress: Progress
    resume_position: int | None


def list_my_learning(*, actor: User) -> list[DashboardEntry]:
    """The actor's courses, most recently active first; one query (the lessons are cached per version)."""
    latest: dict[int, Enrolment] = {}
    done: dict[int, int] = {}
    for enrolment, lessons_done in db.session.execute(_MY_ENROLMENTS, {"user_id": actor.id}):
        latest.setdefault(enrolment.course_id, enrolment)
        done[enrolment.id] = lessons_done or 0
    current = sorted(latest.values(), key=lambda e: e.last_active_at, reverse=True)
    entries = []
    for e in current:
        outline = outline_of(e.version)
        resume = outline.by_id(e.current_lesson_id)
        entries.append(DashboardEntry(course=e.course, version=e.version,
                                      progress=Progress(e, done.get(e.id, 0), len(outline)),
                                      resume_position=resume.position if resume else 1))
    return entries
