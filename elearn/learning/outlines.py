"""A published course version's lessons, read once per process (elearn/published.py says why that is safe).

The lesson player, the course page, the catalogue and My learning all need a version's lessons: their titles,
positions and minutes, and the lesson's rendered HTML. None of it changes once the version is published, so it
is loaded as frozen values the first time and kept; the learner's own progress is read per request beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from elearn.extensions import db
from elearn.models import CourseVersion, Lesson
from elearn.published import version_cache


@dataclass(frozen=True)
class LessonOutline:
    """A lesson of a published version, as its pages show it (the attribute names are the model's)."""

    id: int
    version_id: int
    position: int
    slug: str
    title: str
    minutes: int
    min_minutes: int
    outcomes: tuple[str, ...]
    body_html: str


@dataclass(frozen=True)
class Outline:
    """A version's lessons in order."""

    lessons: tuple[LessonOutline, ...]

    def __len__(self) -> int:
        return len(self.lessons)

    def at(self, position: int) -> LessonOutline | None:
        """The lesson at a 1-based position, or None."""
        return next((lesson for lesson in self.lessons if lesson.position == position), None)

    def by_id(self, lesson_id: int | None) -> LessonOutline | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


def outline_of(version: CourseVersion) -> Outline:
    """The version's lessons: from this process's cache, or one query the first time."""
    return version_cache("outlines").get(version.id, version.content_hash, lambda: _load(version.id))


def _load(version_id: int) -> Outline:
    rows = db.session.scalars(select(Lesson).where(Lesson.version_id == version_id).order_by(Lesson.position))
    return Outline(tuple(
        LessonOutline(row.id, row.version_id, row.position, row.slug, row.title, row.minutes, row.min_minutes,
                      tuple(row.outcomes or ()), row.body_html)
        for row in rows))
