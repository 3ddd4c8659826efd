"""Load parsed courses into the database: a new immutable version only when the files changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from elearn.content.loader import ParsedCourse, ParsedQuestion
from elearn.extensions import db
from elearn.models import Course, CourseVersion, Lesson, Option, Question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOutcome:
    slug: str
    version_number: int
    created: bool  # False when the files matched an existing version


def sync_courses(courses: list[ParsedCourse]) -> list[SyncOutcome]:
    """Create a version for each course whose content hash is new; commit once for all of them."""
    outcomes = [_sync_course(parsed) for parsed in courses]
    db.session.commit()
    for outcome in outcomes:
        log.info("course %s: version %s %s", outcome.slug, outcome.version_number,
                 "created" if outcome.created else "unchanged")
    return outcomes


def _sync_course(parsed: ParsedCourse) -> SyncOutcome:
    course = db.session.scalar(select(Course).where(Course.slug == parsed.slug))
    if course is None:
        course = Course(slug=parsed.slug)
        db.session.add(course)
        db.session.flush()
    existing = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.content_hash == parsed.content_hash)
    )
    if existing is not None:
        return SyncOutcome(parsed.slug, existing.number, created=False)
    latest = db.session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id))
    version = _new_version(course, parsed, (latest or 0) + 1)
    return SyncOutcome(parsed.slug, version.number, created=True)


def _new_version(course: Course, parsed: ParsedCourse, number: int) -> CourseVersion:
    version = CourseVersion(
        course=course,
        number=number,
        content_hash=parsed.content_hash,
        title=parsed.title,
        summary=parsed.summary,
        topic=parsed.topic,
        audience=parsed.audience,
        content_warning=parsed.content_warning,
        cpd_hours=parsed.cpd_hours,
        pass_mark=parsed.pass_mark,
        questions_per_attempt=parsed.questions_per_attempt,
        validity_months=parsed.validity_months,
        max_attempts_per_day=parsed.max_attempts_per_day,
        precheck_questions=parsed.precheck_questions,
        review_policy=parsed.review,
        outcomes=[o.as_blueprint() for o in parsed.outcomes],
        references=list(parsed.references),
        aligned_to=list(parsed.aligned_to),
        review_by=parsed.review_by,
        what_changed_title=parsed.what_changed.title if parsed.what_changed else None,
        what_changed_html=parsed.what_changed.html if parsed.what_changed else None,
        total_minutes=parsed.total_minutes,
    )
    db.session.add(version)
    for lesson in parsed.lessons:
        version.lessons.append(
            Lesson(position=lesson.position, slug=lesson.slug, title=lesson.title, minutes=lesson.minutes,
                   min_minutes=lesson.min_minutes, outcomes=list(lesson.outcomes), body_html=lesson.body_html)
        )
    for position, question in enumerate(parsed.questions, start=1):
        version.questions.append(_new_question(question, position))
    db.session.flush()
    return version


def _new_question(parsed: ParsedQuestion, position: int) -> Question:
    question = Question(
        key=parsed.key,
        position=position,
        outcome=parsed.outcome,
        kind=parsed.kind,
        partial_credit=parsed.partial_credit,
        applied=parsed.applied,
        stem=parsed.stem,
        explanation=parsed.explanation,
    )
    for index, option in enumerate(parsed.options, start=1):
        question.options.append(
            Option(position=index, text=option.text, is_correct=option.is_correct, feedback=option.feedback)
        )
    return question
