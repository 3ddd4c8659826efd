"""Learning gain for managers: their organisation's knowledge checks against first assessments, per course.

Scoped by the organisation the manage pages resolved (a manager's own; an admin's choice): only
people who belong to it count. Each page runs a fixed number of grouped queries; medians are
taken in Python over one row per enrolment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from sqlalchemy import Float, cast, func, select

from elearn.access import members_of
from elearn.assessment.service import FINAL, PRECHECK
from elearn.catalog.service import course_titles
from elearn.downloads import Download, csv_bytes
from elearn.evidence.service import AFTER, BEFORE
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import (
    Attempt,
    AttemptQuestion,
    ConfidenceRating,
    Course,
    CourseVersion,
    Enrolment,
    Organisation,
    Question,
    User,
)

WEAKEST_SHOWN = 3  # outcomes called out as the weakest


@dataclass(frozen=True)
class GainCourseRow:
    course_id: int
    title: str
    prechecks: int  # the organisation's learners who did the knowledge check
    first_finals: int  # … who sat the assessment at least once


@dataclass(frozen=True)
class OutcomeGain:
    key: str
    text: str
    pre_facility: float | None  # mean mark on this outcome's questions in knowledge checks
    post_facility: float | None  # … in submitted final attempts
    post_answers: int
    confidence_before: float | None  # median rating
    confidence_after: float | None
    confidence_change: float | None  # median of (after − before), over learners who rated both
    confidence_pairs: int
    is_weakest: bool


@dataclass(frozen=True)
class CourseGain:
    course: Course
    title: str
    median_pre: float | None  # % in the knowledge check
    median_post: float | None  # % in the first final attempt
    median_gain: float | None  # median of (first final − knowledge check), paired per learner
    learners_pre: int
    learners_post: int
    learners_paired: int
    outcomes: tuple[OutcomeGain, ...]

    @property
    def weakest(self) -> list[OutcomeGain]:
        return [o for o in self.outcomes if o.is_weakest]


def _median(values: Sequence[float]) -> float | None:
    return float(median(values)) if values else None


def list_courses(org: Organisation) -> list[GainCourseRow]:
    """Published courses with how many of the organisation's learners did the check and the assessment (2 queries)."""
    rows = db.session.execute(
        select(Enrolment.course_id, Attempt.kind, func.count(func.distinct(Attempt.enrolment_id)))
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id).join(User, User.id == Attempt.user_id)
        .where(members_of(org.id), Attempt.submitted_at.is_not(None))
        .group_by(Enrolment.course_id, Attempt.kind)
    )
    counts = {(course_id, kind): n for course_id, kind, n in rows}
    return [GainCourseRow(cid, title, counts.get((cid, PRECHECK), 0), counts.get((cid, FINAL), 0))
            for cid, title in course_titles().items()]


def course_gain(org: Organisation, course: Course) -> CourseGain:
    """Median scores before and after, confidence change and facility per learning outcome (5 queries)."""
    version = learning.latest_version(course)
    pre, post = _scores(org, course)
    paired = [post[e] - pre[e] for e in pre.keys() & post.keys()]
    confidence = _confidence(org, course)
    facility = _facility(org, course)
    rows = [_outcome_row(o["id"], o["text"], facility, confidence) for o in version.outcomes]
    ranked = sorted((r for r in rows if r.post_facility is not None), key=lambda r: (r.post_facility, r.key))
    weakest = {r.key for r in ranked[:WEAKEST_SHOWN]}
    outcomes = tuple(_with_weakest(r, r.key in weakest) for r in rows)
    return CourseGain(course, version.title, _median(list(pre.values())), _median(list(post.values())),
                      _median(paired), len(pre), len(post), len(paired), outcomes)


def _with_weakest(row: OutcomeGain, weakest: bool) -> OutcomeGain:
    return OutcomeGain(**{**row.__dict__, "is_weakest": weakest})


def _scores(org: Organisation, course: Course) -> tuple[dict[int, float], dict[int, float]]:
    """Per enrolment: the knowledge check's % and the first final attempt's % (one query)."""
    rows = db.session.execute(
        select(Attempt.enrolment_id, Attempt.kind, Attempt.number, Attempt.score_percent)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id).join(User, User.id == Attempt.user_id)
        .where(members_of(org.id), Enrolment.course_id == course.id,
               Attempt.submitted_at.is_not(None), Attempt.score_percent.is_not(None))
        .order_by(Attempt.enrolment_id, Attempt.number)
    )
    pre: dict[int, float] = {}
    post: dict[int, float] = {}
    for enrolment_id, kind, _number, percent in rows:
        target = pre if kind == PRECHECK else post
        if percent is None:  # the query excludes these; this tells the type checker
            continue
        target.setdefault(enrolment_id, float(percent))  # ordered by number: the first final wins
    return pre, post


def _confidence(org: Organisation, course: Course) -> dict[str, dict[int, dict[str, int]]]:
    """outcome key -> enrolment -> stage -> rating, for the organisation's learners (one query)."""
    found: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for enrolment_id, key, stage, rating in db.session.execute(
        select(ConfidenceRating.enrolment_id, ConfidenceRating.outcome_key, ConfidenceRating.stage,
               ConfidenceRating.rating)
        .join(Enrolment, Enrolment.id == ConfidenceRating.enrolment_id).join(User, User.id == Enrolment.user_id)
        .where(members_of(org.id), Enrolment.course_id == course.id)
    ):
        found[key][enrolment_id][stage] = rating
    return found


def _facility(org: Organisation, course: Course) -> dict[tuple[str, str], tuple[float, int]]:
    """(outcome, kind) -> (mean mark, answers) over the organisation's submitted attempts (one query)."""
    rows = db.session.execute(
        select(Question.outcome, Attempt.kind, func.avg(cast(AttemptQuestion.mark, Float)), func.count())
        .select_from(AttemptQuestion)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(CourseVersion, CourseVersion.id == Attempt.version_id)
        .join(User, User.id == Attempt.user_id)
        .where(members_of(org.id), CourseVersion.course_id == course.id,
               Attempt.submitted_at.is_not(None))
        .group_by(Question.outcome, Attempt.kind)
    )
    return {(outcome, kind): (float(mean), count) for outcome, kind, mean, count in rows if outcome is not None}


def _outcome_row(key: str, text: str, facility: dict[tuple[str, str], tuple[float, int]],
                 confidence: dict[str, dict[int, dict[str, int]]]) -> OutcomeGain:
    ratings = confidence.get(key, {})
    before = [r[BEFORE] for r in ratings.values() if BEFORE in r]
    after = [r[AFTER] for r in ratings.values() if AFTER in r]
    changes = [r[AFTER] - r[BEFORE] for r in ratings.values() if BEFORE in r and AFTER in r]
    pre = facility.get((key, PRECHECK))
    post = facility.get((key, FINAL))
    return OutcomeGain(key, text, pre[0] if pre else None, post[0] if post else None, post[1] if post else 0,
                       _median(before), _median(after), _median(changes), len(changes), False)


# --- CSV -------------------------------------------------------------------------------------


def _number(value: float | None, scale: float = 1, places: int = 1) -> Decimal | None:
    return None if value is None else Decimal(f"{value * scale:.{places}f}")


def gain_csv(gain: CourseGain) -> Download:
    """The course's learning gain as CSV: a summary row, then one row per learning outcome."""
    rows: list[list[object]] = []
    rows.append(["course", "learners with knowledge check", "learners with assessment", "paired learners",
                 "median knowledge check %", "median first assessment %", "median gain (points)"])
    rows.append([gain.title, gain.learners_pre, gain.learners_post, gain.learners_paired,
                 _number(gain.median_pre), _number(gain.median_post), _number(gain.median_gain)])
    rows.append([])
    rows.append(["outcome", "learning outcome", "facility before %", "facility after %", "answers after",
                 "median confidence before", "median confidence after", "median confidence change",
                 "learners rating both", "weakest"])
    for o in gain.outcomes:
        rows.append([o.key, o.text, _number(o.pre_facility, 100),
                         _number(o.post_facility, 100), o.post_answers, _number(o.confidence_before),
                         _number(o.confidence_after), _number(o.confidence_change), o.confidence_pairs,
                         "yes" if o.is_weakest else ""])
    return Download(csv_bytes(rows), "text/csv; charset=utf-8", f"learning-gain-{gain.course.slug}.csv")
