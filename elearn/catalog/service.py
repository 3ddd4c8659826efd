"""The course catalogue and the course overview page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload

from elearn.extensions import db
from elearn.learning import service as learning
from elearn.learning.outlines import outline_of
from elearn.models import Course, CourseVersion, Enrolment, User


@dataclass(frozen=True)
class CatalogEntry:
    course: Course
    version: CourseVersion
    progress: learning.Progress


def _published_at_newest() -> Select[Course, CourseVersion]:
    newest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return (
        select(Course, CourseVersion)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .join(newest, (newest.c.course_id == CourseVersion.course_id) & (newest.c.number == CourseVersion.number))
        .where(Course.is_published.is_(True))
        .order_by(CourseVersion.title)
    )


# The catalogue's statements, built once (building one costs about as much as running it from the compiled cache).
_PUBLISHED_AT_NEWEST = _published_at_newest()
_CURRENT_ENROLMENTS = (
    select(Enrolment, learning.lessons_done_column()).options(joinedload(Enrolment.version))
    .where(Enrolment.user_id == bindparam("user_id")).order_by(Enrolment.cycle.desc())
)


def list_published_courses(actor: User | None) -> list[CatalogEntry]:
    """Every published course at its newest version, with the actor's progress; two queries at most (the
    versions' lessons are cached)."""
    pairs = list(db.session.execute(_PUBLISHED_AT_NEWEST))
    enrolments, done = _current_enrolments(actor) if actor is not None else ({}, {})
    entries = []
    for course, version in pairs:
        enrolment = enrolments.get(course.id)
        total = len(outline_of(enrolment.version if enrolment else version))
        progress = learning.Progress(enrolment, done.get(enrolment.id, 0) if enrolment else 0, total)
        entries.append(CatalogEntry(course, version, progress))
    return entries


def _current_enrolments(actor: User) -> tuple[dict[int, Enrolment], dict[int, int]]:
    """The actor's latest cycle of each course by course id, and the lessons done by enrolment id; one query."""
    latest: dict[int, Enrolment] = {}
    done: dict[int, int] = {}
    for enrolment, lessons_done in db.session.execute(_CURRENT_ENROLMENTS, {"user_id": actor.id}):
        latest.setdefault(enrolment.course_id, enrolment)
        done[enrolment.id] = lessons_done or 0
    return latest, done


@dataclass(frozen=True)
class CourseOverview:
    course: Course
    version: CourseVersion  # the learner's version if enrolled, else the newest
    progress: learning.Progress
    lesson_titles: list[tuple[int, str, int]]  # position, title, minutes
    resume_position: int | None


def get_course_overview(slug: str, actor: User | None) -> CourseOverview:
    """Everything the course page shows; NotFound for an unknown or unpublished slug. Two queries at most (the
    version's lessons are cached)."""
    course, enrolment, done = learning.find_course_and_enrolment(slug, actor=actor)
    version = enrolment.version if enrolment else learning.latest_version(course)
    progress = learning.Progress(enrolment, done, len(outline_of(version)))
    lessons = [(lesson.position, lesson.title, lesson.minutes) for lesson in outline_of(version).lessons]
    resume = learning.resume_lesson(enrolment).position if enrolment else None
    return CourseOverview(course, version, progress, lessons, resume)


def course_titles() -> dict[int, str]:
    """Published courses' titles (from their newest version), by id, in title order; one query."""
    other = aliased(CourseVersion)
    newest = select(func.max(other.number)).where(other.course_id == Course.id).correlate(Course).scalar_subquery()
    rows = db.session.execute(
        select(Course.id, CourseVersion.title)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(Course.is_published.is_(True), CourseVersion.number == newest)
        .order_by(CourseVersion.title)
    )
    return {course_id: title for course_id, title in rows}
