"""Question statistics for authors: facility, discrimination and option choices per question and course version.

Only submitted final attempts count (never the knowledge check, never an open attempt). The
database does the heavy lifting in two grouped queries, whatever the number of attempts:

1. per question, over the attempts that drew it: n, Σx, Σx², Σt, Σt², Σxt, where x is the
   question's mark (0–1) and t the attempt's total mark (a window sum over the attempt);
2. per option, how many of those attempts ticked it.

Python then turns the sums into the two indices (`item_indices`, pure). As in Moodle's quiz
statistics, the discrimination index is the point-biserial (Pearson) correlation between the
item mark x and the rest of the test y = t − x, so an item is not correlated with itself:

    Σy = Σt − Σx,  Σy² = Σt² − 2Σxt + Σx²,  Σxy = Σxt − Σx²
    r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²))

Facility is the mean mark Σx / n: the proportion correct for all-or-nothing questions, the mean
partial mark otherwise. Each learner draws a different subset of the bank, so n differs per item.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Float, cast, func, select

from elearn.assessment.service import FINAL
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Attempt, AttemptAnswer, AttemptQuestion, Course, CourseVersion, Option, Question, User

TOO_EASY = 0.95  # facility above this: nearly everyone gets it right, it tells nobody apart
TOO_HARD = 0.30  # facility below this: check the key, the wording or the lesson
POOR_DISCRIMINATION = 0.20  # below this the item barely agrees with the rest of the test
MIN_ATTEMPTS_FOR_FLAGS = 5  # fewer attempts than this say too little to flag anything


@dataclass(frozen=True)
class ItemSums:
    """The sums one grouped query returns for one question."""

    n: int
    sx: float
    sxx: float
    st: float
    stt: float
    sxt: float


def item_indices(sums: ItemSums) -> tuple[float | None, float | None]:
    """(facility, discrimination) from the sums; None where undefined (no attempts, or no variance)."""
    n = sums.n
    if n == 0:
        return None, None
    facility = sums.sx / n
    sy = sums.st - sums.sx
    syy = sums.stt - 2 * sums.sxt + sums.sxx
    sxy = sums.sxt - sums.sxx
    var_x = n * sums.sxx - sums.sx ** 2
    var_y = n * syy - sy ** 2
    # Float sums of exact marks can leave a variance of ±1e-12 where it is really 0.
    if var_x <= 1e-9 or var_y <= 1e-9:
        return facility, None
    return facility, (n * sxy - sums.sx * sy) / math.sqrt(var_x * var_y)


def flags_for(n: int, facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    """Why an author should look at a question: too easy, too hard, discriminates poorly."""
    if n < MIN_ATTEMPTS_FOR_FLAGS or facility is None:
        return ()
    flags = []
    if facility > TOO_EASY:
        flags.append("too easy")
    if facility < TOO_HARD:
        flags.append("too hard")
    if discrimination is not None and discrimination < POOR_DISCRIMINATION:
        flags.append("discriminates poorly")
    return tuple(flags)


@dataclass(frozen=True)
class OptionStatistic:
    text: str
    is_correct: bool
    picks: int
    share: float | None  # of the attempts that drew the question


@dataclass(frozen=True)
class QuestionStatistic:
    question_id: int
    key: str
    position: int
    outcome: str | None
    stem: str
    attempts: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    options: tuple[OptionStatistic, ...]


@dataclass(frozen=True)
class VersionSummary:
    version: CourseVersion
    attempts: int  # submitted final attempts


@dataclass(frozen=True)
class VersionStatistics:
    version: CourseVersion
    attempts: int
    questions: tuple[QuestionStatistic, ...]

    @property
    def flagged(self) -> int:
        return sum(1 for q in self.questions if q.flags)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotFound()  # the route is admin-only; say nothing more to anyone else


def list_versions(*, actor: User) -> list[VersionSummary]:
    """Every course version, newest first per course, with its number of submitted final attempts (two queries)."""
    _require_admin(actor)
    counts = dict(db.session.execute(
        select(Attempt.version_id, func.count()).where(Attempt.kind == FINAL, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.version_id)
    ).all())
    versions = db.session.scalars(
        select(CourseVersion).join(Course).order_by(Course.slug, CourseVersion.number.desc())
    )
    return [VersionSummary(v, counts.get(v.id, 0)) for v in versions]


def get_version(version_id: int, *, actor: User) -> CourseVersion:
    _require_admin(actor)
    version = db.session.get(CourseVersion, version_id)
    if version is None:
        raise NotFound("There is no such course version.")
    return version


def version_statistics(version: CourseVersion, *, actor: User) -> VersionStatistics:
    """Facility, discrimination and option choices for every question of a version, in five queries."""
    _require_admin(actor)
    sums = _item_sums(version.id)
    picks = _option_picks(version.id)
    questions = db.session.scalars(select(Question).where(Question.version_id == version.id)
                                   .order_by(Question.position)).all()
    options = db.session.scalars(
        select(Option).join(Question).where(Question.version_id == version.id).order_by(Option.position)
    ).all()
    by_question: dict[int, list[Option]] = {}
    for option in options:
        by_question.setdefault(option.question_id, []).append(option)
    attempts = db.session.scalar(
        select(func.count()).select_from(Attempt)
        .where(Attempt.version_id == version.id, Attempt.kind == FINAL, Attempt.submitted_at.is_not(None))
    ) or 0
    rows = tuple(_question_row(q, sums.get(q.id, ItemSums(0, 0, 0, 0, 0, 0)), by_question.get(q.id, []), picks)
                 for q in questions)
    return VersionStatistics(version, attempts, rows)


def _question_row(question: Question, sums: ItemSums, options: list[Option],
                  picks: dict[int, int]) -> QuestionStatistic:
    facility, discrimination = item_indices(sums)
    shown = tuple(OptionStatistic(o.text, o.is_correct, picks.get(o.id, 0),
                                  picks.get(o.id, 0) / sums.n if sums.n else None) for o in options)
    return QuestionStatistic(question.id, question.key, question.position, question.outcome, question.stem,
                             sums.n, facility, discrimination, flags_for(sums.n, facility, discrimination), shown)


def _item_sums(version_id: int) -> dict[int, ItemSums]:
    """One grouped query: per question, n and the sums of x, x², t, t², xt over submitted final attempts."""
    x = cast(AttemptQuestion.mark, Float)
    marks = (
        select(AttemptQuestion.question_id.label("question_id"), x.label("x"),
               func.sum(x).over(partition_by=AttemptQuestion.attempt_id).label("t"))
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.version_id == version_id, Attempt.kind == FINAL, Attempt.submitted_at.is_not(None))
        .subquery()
    )
    rows = db.session.execute(
        select(marks.c.question_id, func.count(), func.sum(marks.c.x), func.sum(marks.c.x * marks.c.x),
               func.sum(marks.c.t), func.sum(marks.c.t * marks.c.t), func.sum(marks.c.x * marks.c.t))
        .group_by(marks.c.question_id)
    )
    return {qid: ItemSums(n, *(float(v or 0) for v in rest)) for qid, n, *rest in rows}


def _option_picks(version_id: int) -> dict[int, int]:
    """One grouped query: how many submitted final attempts ticked each option."""
    rows = db.session.execute(
        select(AttemptAnswer.option_id, func.count())
        .join(AttemptQuestion, AttemptQuestion.id == AttemptAnswer.attempt_question_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.version_id == version_id, Attempt.kind == FINAL, Attempt.submitted_at.is_not(None))
        .group_by(AttemptAnswer.option_id)
    )
    return {option_id: count for option_id, count in rows}
