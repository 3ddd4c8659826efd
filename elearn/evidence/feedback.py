"""Course evaluations for admins: averages and counts per course, and the free-text answers, paginated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, cast, func, select

from elearn.access import require_admin
from elearn.catalog.service import course_titles
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Course, CourseEvaluation, User

PAGE_SIZE = 20


@dataclass(frozen=True)
class FeedbackSummary:
    course_id: int
    title: str
    count: int
    relevance: float | None  # mean, 1–5
    clarity: float | None
    comments: int


@dataclass(frozen=True)
class FeedbackPage:
    summary: FeedbackSummary
    comments: list[CourseEvaluation]
    page: int
    pages: int


def list_summaries(*, actor: User) -> list[FeedbackSummary]:
    """Every published course with its evaluations' count and averages (two queries)."""
    require_admin(actor)
    rows = db.session.execute(
        select(CourseEvaluation.course_id, func.count(), func.avg(cast(CourseEvaluation.relevance, Float)),
               func.avg(cast(CourseEvaluation.clarity, Float)),
               func.count().filter(CourseEvaluation.comment != ""))
        .group_by(CourseEvaluation.course_id)
    )
    found = {cid: (n, rel, cla, com) for cid, n, rel, cla, com in rows}
    return [FeedbackSummary(cid, title, *found.get(cid, (0, None, None, 0))) for cid, title in course_titles().items()]


def get_page(course_id: int, page: int, *, actor: User) -> FeedbackPage:
    """One course's averages and a page of its free-text answers, newest first."""
    summary = next((s for s in list_summaries(actor=actor) if s.course_id == course_id), None)
    if summary is None or db.session.get(Course, course_id) is None:
        raise NotFound("There is no such course.")
    pages = max(1, -(-summary.comments // PAGE_SIZE))
    page = min(max(page, 1), pages)
    comments = list(db.session.scalars(
        select(CourseEvaluation).where(CourseEvaluation.course_id == course_id, CourseEvaluation.comment != "")
        .order_by(CourseEvaluation.submitted_at.desc(), CourseEvaluation.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ))
    return FeedbackPage(summary, comments, page, pages)
