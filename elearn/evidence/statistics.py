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
The sums are exact integers in units of 1/MARK_UNITS (a mark has four places), so a question everybody
scored the same on has a variance of exactly 0, and no discrimination ("—").

Test-level statistics (`score_summary`, pure) describe the total mark T of an attempt (out of k, the
items per attempt): mean, median, the sample standard deviation s_T, Cronbach's alpha and the standard
error of measurement SEM = s_T √(1 − α). Alpha needs the items' variances, but every attempt draws a
different k items from the bank. We use the expected sum of the item variances within one attempt,
each item's variance (population form, Σx²/n − (Σx/n)², over the n_i attempts that drew it) weighted
by the share of attempts that drew it:

    Σσ²ᵢ ≈ Σᵢ (n_i / N) σ²ᵢ,   α = k/(k − 1) · (1 − Σσ²ᵢ / σ²_T)   (σ²_T: population variance of T)

which is the usual alpha when every attempt draws the same items. With 0/1 marks only, σ²ᵢ = pᵢqᵢ and
alpha is KR-20. k is the mean number of items per attempt (Σn_i / N): every attempt of a version draws
the same number. Alpha is undefined (None) with fewer than two attempts, fewer than two items, or no
variance in T. The first-attempts filter computes everything now from the attempts numbered 1
(a learner's first try at the version), rather than from the running sums, which count every attempt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select

from elearn.access import require_admin
from elearn.assessment.service import FINAL
from elearn.errors import NotFound
from elearn.evidence import tallies
from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Course, CourseVersion, Option, Question, User
from elearn.models.evidence import MARK_UNITS

TOO_EASY = 0.95  # facility above this: nearly everyone gets it right, it tells nobody apart
TOO_HARD = 0.30  # facility below this: check the key, the wording or the lesson
POOR_DISCRIMINATION = 0.20  # below this the item barely agrees with the rest of the test
MIN_ATTEMPTS_FOR_FLAGS = 5  # fewer attempts than this say too little to flag anything


@dataclass(frozen=True)
class ItemSums:
    """One question's running sums over the attempts that drew it (x: its mark, t: the attempt's total), as exact
    integers: sx, st in units of 1/MARK_UNITS; sxx, stt, sxt in units of 1/MARK_UNITS²."""

    n: int
    sx: int
    sxx: int
    st: int
    stt: int
    sxt: int

    @property
    def spread(self) -> int:
        """nΣx² − (Σx)², exactly (in 1/MARK_UNITS²): 0 when every attempt scored the same on the item."""
        return self.n * self.sxx - self.sx ** 2


def item_indices(sums: ItemSums) -> tuple[float | None, float | None]:
    """(facility, discrimination) from the sums; None where undefined (no attempts, or no variance)."""
    n = sums.n
    if n == 0:
        return None, None
    facility = sums.sx / (n * MARK_UNITS)
    sy = sums.st - sums.sx
    syy = sums.stt - 2 * sums.sxt + sums.sxx
    sxy = sums.sxt - sums.sxx
    var_y = n * syy - sy ** 2
    if sums.spread <= 0 or var_y <= 0:  # exact integers: no variance is exactly 0
        return facility, None
    return facility, (n * sxy - sums.sx * sy) / math.sqrt(sums.spread * var_y)


def item_sd(sums: ItemSums) -> float | None:
    """The sample standard deviation of the item's mark over the attempts that drew it; None under two attempts."""
    if sums.n < 2:
        return None
    return math.sqrt(sums.spread / (sums.n * (sums.n - 1))) / MARK_UNITS


@dataclass(frozen=True)
class ScoreSummary:
    """Test-level statistics of a version's total marks (out of `items_per_attempt`); None where undefined."""

    attempts: int
    items_per_attempt: int
    mean: float | None
    median: float | None
    sd: float | None  # sample standard deviation (n − 1)
    alpha: float | None
    is_kr20: bool  # every item marked 0 or 1: alpha is KR-20
    sem: float | None


def score_summary(n: int, sum_t: int, sum_tt: int, median_units: float | None, items: list[ItemSums]) -> ScoreSummary:
    """Mean, median, SD, alpha (KR-20 for 0/1 items) and SEM from the totals' sums (units of 1/MARK_UNITS) and the
    items' sums; the method for attempts that draw different items is in the module docstring."""
    drawn = sum(item.n for item in items)
    k = round(drawn / n) if n else 0
    is_kr20 = bool(items) and all(item.sxx == item.sx * MARK_UNITS for item in items if item.n)
    if n == 0:
        return ScoreSummary(0, k, None, None, None, None, is_kr20, None)
    mean = sum_t / (n * MARK_UNITS)
    spread_t = n * sum_tt - sum_t ** 2  # exact: n² σ²_T in 1/MARK_UNITS²
    sd = math.sqrt(spread_t / (n * (n - 1))) / MARK_UNITS if n > 1 else None
    alpha = None
    if n > 1 and k > 1 and spread_t > 0:
        # Σ (n_i / N) σ²_i with σ²_i = spread_i / n_i², over σ²_T = spread_T / N²: multiply through by N².
        item_variance = sum(n * item.spread / item.n for item in items if item.n)
        alpha = k / (k - 1) * (1 - item_variance / spread_t)
    sem = sd * math.sqrt(1 - alpha) if sd is not None and alpha is not None and alpha <= 1 else None
    median = median_units / MARK_UNITS if median_units is not None else None
    return ScoreSummary(n, k, mean, median, sd, alpha, is_kr20, sem)


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
    sd: float | None
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
    summary: ScoreSummary
    first_only: bool = False

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


def version_statistics(version: CourseVersion, *, actor: User, first_only: bool = False) -> VersionStatistics:
    """Facility, SD, discrimination and option choices for every question of a version, and the test-level figures.

    Counts the attempts submitted since the last view first (a few grouped queries over those
    attempts only, and nothing at all when there are none), then reads the running sums: the same
    handful of queries at any number of attempts. `first_only` computes the figures now, over first
    attempts only (the running sums count every attempt).
    """
    require_admin(actor)
    version_id = version.id  # counting commits, which expires `version`; do not reload it for the id
    if tallies.count_new_attempts(version_id):
        db.session.refresh(version)  # the page shows the version: load it here, not from the template
    if first_only:
        sums, picks = tallies.sums_where(_countable(version_id, True)), tallies.picks_where(_countable(version_id, True))
    else:
        sums, picks = tallies.question_sums(version_id), tallies.option_picks(version_id)
    questions = db.session.scalars(select(Question).where(Question.version_id == version_id)
                                   .order_by(Question.position)).all()
    options = db.session.scalars(
        select(Option).join(Question).where(Question.version_id == version_id).order_by(Option.position)
    ).all()
    by_question: dict[int, list[Option]] = {}
    for option in options:
        by_question.setdefault(option.question_id, []).append(option)
    items = {q.id: ItemSums(*sums.get(q.id, (0, 0, 0, 0, 0, 0))) for q in questions}
    rows = tuple(_question_row(q, items[q.id], by_question.get(q.id, []), picks) for q in questions)
    summary = _summary(version_id, first_only, list(items.values()))
    attempts = summary.attempts if first_only else tallies.counted_attempts(version_id)
    return VersionStatistics(version, attempts, rows, summary, first_only)


def _countable(version_id: int, first_only: bool) -> ColumnElement[bool]:
    condition = and_(Attempt.version_id == version_id, tallies.COUNTABLE)
    return and_(condition, Attempt.number == 1) if first_only else condition


def _summary(version_id: int, first_only: bool, items: list[ItemSums]) -> ScoreSummary:
    """The test-level figures: two queries over the attempts' totals (their sums, then the middle one or two)."""
    totals = (select(func.sum(tallies.mark_units()).label("t"))
              .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
              .where(_countable(version_id, first_only)).group_by(AttemptQuestion.attempt_id).subquery())
    n, sum_t, sum_tt = db.session.execute(select(func.count(), func.sum(totals.c.t),
                                                 func.sum(totals.c.t * totals.c.t))).one()
    median = None
    if n:
        middle = db.session.scalars(select(totals.c.t).order_by(totals.c.t).offset((n - 1) // 2)
                                    .limit(2 - n % 2)).all()
        median = sum(int(t) for t in middle) / len(middle)
    return score_summary(n, int(sum_t or 0), int(sum_tt or 0), median, items)


def _question_row(question: Question, sums: ItemSums, options: list[Option],
                  picks: dict[int, int]) -> QuestionStatistic:
    facility, discrimination = item_indices(sums)
    shown = tuple(OptionStatistic(o.text, o.is_correct, picks.get(o.id, 0),
                                  picks.get(o.id, 0) / sums.n if sums.n else None) for o in options)
    return QuestionStatistic(question.id, question.key, question.position, question.outcome, question.stem,
                             sums.n, facility, item_sd(sums), discrimination,
                             flags_for(sums.n, facility, discrimination), shown)
