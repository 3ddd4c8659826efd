"""Question statistics for authors: facility, discrimination and option choices per question and course version.

Only submitted final attempts count (never the knowledge check, never an open attempt). Per
question the indices need only the sums n, Σx, Σx², Σt, Σt², Σxt over the attempts that drew it,
where x is the question's mark (0–1) and t the attempt's total mark, and per option a count of
picks. Those are kept as running sums (elearn/evidence/tallies.py), brought up to date with the
attempts submitted since the last view before the page reads them, so a view reads one row per
question and per option whatever the number of attempts (bench/statistics/RESULTS.md).

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

from sqlalchemy import func, select

from elearn.access import require_admin
from elearn.assessment.service import FINAL
from elearn.errors import NotFound
from elearn.evidence import tallies
from elearn.extensions import db
from elearn.models import Attempt, Course, CourseVersion, Option, Question, User

TOO_EASY = 0.95  # facility above this: nearly everyone gets it right, it tells nobody apart
TOO_HARD = 0.30  # facility below this: check the key, the wording or the lesson
POOR_DISCRIMINATION = 0.20  # below this the item barely agrees with the rest of the test
MIN_ATTEMPTS_FOR_FLAGS = 5  # fewer attempts than this say too little to flag anything


@dataclass(frozen=True)
class ItemSums:
    """One question's running sums over the attempts that drew it (x: its mark, t: the attempt's total)."""

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


def list_versions(*, actor: User) -> list[VersionSummary]:
    """Every course version, newest first per course, with its number of submitted final attempts (two queries)."""
    require_admin(actor)
    counts = dict(db.session.execute(
        select(Attempt.version_id, func.count()).where(Attempt.kind == FINAL, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.version_id)
    ).all())
    versions = db.session.scalars(
        select(CourseVersion).join(Course).order_by(Course.slug, CourseVersion.number.desc())
    )
    return [VersionSummary(v, counts.get(v.id, 0)) for v in versions]


def get_version(version_id: int, *, actor: User) -> CourseVersion:
    require_admin(actor)
    version = db.session.get(CourseVersion, version_id)
    if version is None:
        raise NotFound("There is no such course version.")
    return version


def version_statistics(version: CourseVersion, *, actor: User) -> VersionStatistics:
    """Facility, discrimination and option choices for every question of a version.

    Counts the attempts submitted since the last view first (a few grouped queries over those
    attempts only, and nothing at all when there are none), then reads the running sums: the same
    handful of queries at any number of attempts.
    """
    require_admin(actor)
    version_id = version.id  # counting commits, which expires `version`; do not reload it for the id
    if tallies.count_new_attempts(version_id):
        db.session.refresh(version)  # the page shows the version: load it here, not from the template
    sums = tallies.question_sums(version_id)
    picks = tallies.option_picks(version_id)
    questions = db.session.scalars(select(Question).where(Question.version_id == version_id)
                                   .order_by(Question.position)).all()
    options = db.session.scalars(
        select(Option).join(Question).where(Question.version_id == version_id).order_by(Option.position)
    ).all()
    by_question: dict[int, list[Option]] = {}
    for option in options:
        by_question.setdefault(option.question_id, []).append(option)
    rows = tuple(_question_row(q, ItemSums(*sums.get(q.id, (0, 0, 0, 0, 0, 0))), by_question.get(q.id, []), picks)
                 for q in questions)
    return VersionStatistics(version, tallies.counted_attempts(version_id), rows)


def _question_row(question: Question, sums: ItemSums, options: list[Option],
                  picks: dict[int, int]) -> QuestionStatistic:
    facility, discrimination = item_indices(sums)
    shown = tuple(OptionStatistic(o.text, o.is_correct, picks.get(o.id, 0),
                                  picks.get(o.id, 0) / sums.n if sums.n else None) for o in options)
    return QuestionStatistic(question.id, question.key, question.position, question.outcome, question.stem,
                             sums.n, facility, discrimination, flags_for(sums.n, facility, discrimination), shown)
