"""Time on lessons, per enrolment, beside the course's declared minutes: what managers see of it.

The learner's time is recorded by `learning.service` (open_lesson, record_lesson_complete): per lesson,
the gaps between the server-seen events on it, each capped, until it is marked complete. Here those rows
are summed per enrolment, in one grouped query for any number of enrolments or people. A certificate's
CPD hours stay as declared; these figures show what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select

from elearn.extensions import db
from elearn.models import CourseVersion, Enrolment, LessonProgress

# A completion that took less than a quarter of the course's declared minutes is shown to managers as quick.
QUICK_SHARE = 4  # seconds * QUICK_SHARE < declared seconds


@dataclass(frozen=True)
class CourseTime:
    """Time on one enrolment's lessons beside the course's declared minutes (the CPD hours stay as declared)."""

    enrolment_id: int
    user_id: int
    course_id: int
    seconds: int  # summed over the lessons whose time was recorded
    declared_minutes: int
    completed_at: datetime | None  # every lesson marked complete
    is_known: bool  # False when a lesson was completed before the server recorded time

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def is_quick(self) -> bool:
        """Every lesson complete, in under a quarter of the declared time."""
        return (self.completed_at is not None and self.is_known
                and self.seconds * QUICK_SHARE < self.declared_minutes * 60)

    @property
    def spent(self) -> str:
        return "under 1 min" if 0 < self.seconds < 60 else f"{self.minutes} min"

    def describe(self) -> str:
        """E.g. "completed in 6 min of 55 declared (quick)", "12 min so far of 55 declared", "not recorded"."""
        if not self.is_known:
            return f"not recorded ({self.declared_minutes} min declared)"
        if self.completed_at is None:
            return f"{self.spent} so far of {self.declared_minutes} declared"
        return f"completed in {self.spent} of {self.declared_minutes} declared" + (" (quick)" if self.is_quick else "")


def _seconds() -> ColumnElement[int]:
    return func.coalesce(func.sum(LessonProgress.seconds_spent), 0)


def _unknown() -> ColumnElement[int]:
    """How many of the enrolment's lessons were completed before the server recorded time."""
    return func.coalesce(func.sum(case((LessonProgress.first_opened_at.is_(None), 1), else_=0)), 0)


TimesQuery = Select[int, int, int, int, int, datetime | None, int]


def course_times_query() -> TimesQuery:
    """Per enrolment: id, user, course, seconds recorded, declared minutes, lessons completed at, unknown rows."""
    return (
        select(Enrolment.id, Enrolment.user_id, Enrolment.course_id, _seconds(), CourseVersion.total_minutes,
               Enrolment.lessons_completed_at, _unknown())
        .join(CourseVersion, CourseVersion.id == Enrolment.version_id)
        .outerjoin(LessonProgress, LessonProgress.enrolment_id == Enrolment.id)
        .group_by(Enrolment.id, Enrolment.user_id, Enrolment.course_id, CourseVersion.total_minutes,
                  Enrolment.lessons_completed_at)
    )


def course_time(row: Sequence[Any]) -> CourseTime:
    """A row of `course_times_query` as a CourseTime."""
    enrolment_id, user_id, course_id, seconds, declared, completed_at, unknown = row[:7]
    return CourseTime(enrolment_id, user_id, course_id, int(seconds), declared, completed_at, not unknown)


def list_course_times(enrolment_ids: list[int]) -> dict[int, CourseTime]:
    """Time on lessons per enrolment id, in one query."""
    if not enrolment_ids:
        return {}
    rows = db.session.execute(course_times_query().where(Enrolment.id.in_(enrolment_ids)))
    return {row[0]: course_time(row) for row in rows}


def latest_course_times(user_ids: list[int]) -> dict[tuple[int, int], CourseTime]:
    """Time on lessons per (user id, course id), for each person's latest cycle of each course; one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(course_times_query().add_columns(Enrolment.cycle)
                              .where(Enrolment.user_id.in_(user_ids)).order_by(Enrolment.cycle))
    return {(row[1], row[2]): course_time(row) for row in rows}  # ordered by cycle: the latest one stays


def list_quick_completions(user_ids: Select[int], *, limit: int = 200) -> list[CourseTime]:
    """Completed enrolments of these people whose lessons took under a quarter of the declared time, newest
    first; one query, however many enrolments there are."""
    rows = db.session.execute(
        course_times_query()
        .where(Enrolment.user_id.in_(user_ids), Enrolment.lessons_completed_at.is_not(None))
        .having(_unknown() == 0, _seconds() * QUICK_SHARE < CourseVersion.total_minutes * 60)
        .order_by(Enrolment.lessons_completed_at.desc(), Enrolment.id.desc()).limit(limit)
    )
    return [course_time(row) for row in rows]
