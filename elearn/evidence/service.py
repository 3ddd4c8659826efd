"""Evidence of learning for learners: the knowledge check, confidence ratings, the evaluation, their own gain.

The knowledge check is an Attempt of kind "precheck" (number 0) on the learner's enrolment, drawn
from the course's bank by the assessment's own drawing code and marked by its marking code, but
unscored for pass purposes. The assessment service keeps its questions out of the first final draw.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import Float, bindparam, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from elearn.access import require_own
from elearn.assessment.service import (
    FINAL,
    PRECHECK,
    insert_drawn_attempt,  # the one drawing and start code, shared on purpose
)
from elearn.audit import record_event
from elearn.errors import Conflict, InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Attempt, AttemptQuestion, ConfidenceRating, Course, CourseEvaluation, Enrolment, User
from elearn.text_rules import EVALUATION_COMMENT_MAX, clean_text

log = logging.getLogger(__name__)

BEFORE, AFTER = "before", "after"
STAGES = (BEFORE, AFTER)
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Score:
    """Marks out of the number of questions, e.g. 4 out of 8 (partial credit can make 4.5)."""

    marks: Fraction
    out_of: int

    @property
    def text(self) -> str:
        value = float(self.marks)
        shown = f"{value:.1f}".removesuffix(".0")
        return f"{shown}/{self.out_of}"


@dataclass(frozen=True)
class EvidenceStatus:
    """What the learner has done of the knowledge check, the ratings and the evaluation on one enrolment."""

    enrolment: Enrolment
    precheck: Attempt | None
    has_final_attempt: bool
    confidence: Mapping[str, Mapping[str, int]]  # stage -> outcome key -> rating
    evaluation: CourseEvaluation | None

    @property
    def offers_precheck(self) -> bool:
        """The knowledge check is offered until it is submitted or the assessment begins."""
        return _precheck_offered(self.enrolment, self.precheck, self.has_final_attempt)

    @property
    def can_rate_before(self) -> bool:
        return self.enrolment.version.precheck_questions > 0 and not self.has_final_attempt \
            and self.enrolment.passed_at is None

    @property
    def can_rate_after(self) -> bool:
        return self.enrolment.passed_at is not None

    @property
    def can_evaluate(self) -> bool:
        return self.enrolment.passed_at is not None and self.evaluation is None


@dataclass(frozen=True)
class OutcomeConfidence:
    key: str
    text: str
    before: int | None
    after: int | None


@dataclass(frozen=True)
class LearnerGain:
    """One learner's knowledge check against their first assessment, and their confidence before and after."""

    before: Score | None
    first_final: Score | None
    is_first_attempt: bool
    confidence: tuple[OutcomeConfidence, ...] = field(default_factory=tuple)

    @property
    def has_confidence_pairs(self) -> bool:
        return any(c.before is not None and c.after is not None for c in self.confidence)


# --- reading ---------------------------------------------------------------------------------


def _own(enrolment: Enrolment, actor: User) -> None:
    require_own(enrolment, actor=actor, missing="You are not enrolled on this course.")


def find_precheck(enrolment: Enrolment) -> Attempt | None:
    """The enrolment's knowledge check, if the learner started one."""
    return db.session.scalar(select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.kind == PRECHECK))


def get_status(course: Course, *, actor: User) -> EvidenceStatus:
    """The actor's knowledge check, ratings and evaluation on their current enrolment; NotFound when not enrolled."""
    enrolment = learning.get_enrolment(course, actor=actor)
    return _status(enrolment)


def find_status(course: Course, *, actor: User) -> EvidenceStatus | None:
    """As get_status, or None when the actor is not enrolled (for the nudge on the course page)."""
    enrolment = learning.find_current_enrolment(course, actor=actor)
    return _status(enrolment) if enrolment is not None else None


@dataclass(frozen=True)
class CourseNudge:
    """What the course page invites the learner to do next about evidence, if anything."""

    offers_precheck: bool  # as EvidenceStatus.offers_precheck
    asks_confidence_after: bool  # passed, and no "after" rating yet
    asks_evaluation: bool  # passed, and the course not evaluated yet

    @property
    def is_empty(self) -> bool:
        return not (self.offers_precheck or self.asks_confidence_after or self.asks_evaluation)


def course_nudge(enrolment: Enrolment, *, actor: User) -> CourseNudge:
    """The course page's evidence invitation: before a pass the knowledge check (one query at most), after it the
    "after" confidence rating and the evaluation (one query)."""
    _own(enrolment, actor)
    if enrolment.passed_at is None:
        return CourseNudge(offers_precheck(enrolment, actor=actor), False, False)
    rated_after, evaluated = db.session.execute(
        select(select(ConfidenceRating.id).where(ConfidenceRating.enrolment_id == enrolment.id,
                                                 ConfidenceRating.stage == AFTER).exists(),
               select(CourseEvaluation.id).where(CourseEvaluation.enrolment_id == enrolment.id).exists())
    ).one()
    return CourseNudge(False, not rated_after, not evaluated)


def offers_precheck(enrolment: Enrolment, *, actor: User) -> bool:
    """Whether the knowledge check is offered on this enrolment (EvidenceStatus.offers_precheck); one query at
    most, none when the course has no knowledge check or is passed."""
    _own(enrolment, actor)
    if not _precheck_offered(enrolment, None, False):  # no knowledge check, or passed: no need to read attempts
        return False
    return _precheck_offered(enrolment, *_attempts_of(enrolment))


def _precheck_offered(enrolment: Enrolment, precheck: Attempt | None, has_final_attempt: bool) -> bool:
    """The one rule: a course with a knowledge check, not passed, no assessment begun, the check not submitted."""
    return (enrolment.version.precheck_questions > 0 and enrolment.passed_at is None and not has_final_attempt
            and (precheck is None or precheck.submitted_at is None))


# Built once: the lesson player and the course page ask.
_ATTEMPTS_OF = select(Attempt).where(Attempt.enrolment_id == bindparam("enrolment_id"),
                                     Attempt.kind.in_((PRECHECK, FINAL)))


def _attempts_of(enrolment: Enrolment) -> tuple[Attempt | None, bool]:
    """The enrolment's knowledge check, if started, and whether an assessment attempt exists; one query."""
    precheck, has_final = None, False
    for attempt in db.session.scalars(_ATTEMPTS_OF, {"enrolment_id": enrolment.id}):
        if attempt.kind == PRECHECK:
            precheck = attempt
        else:
            has_final = True
    return precheck, has_final


def _status(enrolment: Enrolment) -> EvidenceStatus:
    """Two queries: the attempts, then the confidence ratings beside the evaluation."""
    precheck, has_final = _attempts_of(enrolment)
    ratings: dict[str, dict[str, int]] = {BEFORE: {}, AFTER: {}}
    evaluation = None
    # The evaluation (one per enrolment at most) rides along each rating row: one query for both.
    for stage, key, rating, evaluated in db.session.execute(
        select(ConfidenceRating.stage, ConfidenceRating.outcome_key, ConfidenceRating.rating, CourseEvaluation)
        .select_from(Enrolment)
        .outerjoin(ConfidenceRating, ConfidenceRating.enrolment_id == Enrolment.id)
        .outerjoin(CourseEvaluation, CourseEvaluation.enrolment_id == Enrolment.id)
        .where(Enrolment.id == enrolment.id)
    ):
        if stage is not None:
            ratings[stage][key] = rating
        evaluation = evaluated or evaluation
    return EvidenceStatus(enrolment, precheck, has_final, ratings, evaluation)


def get_learner_gain(attempt: Attempt, *, actor: User) -> LearnerGain | None:
    """For a submitted final attempt's result page: the knowledge check against the first attempt; None without one."""
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    if attempt.kind != FINAL or attempt.submitted_at is None:
        return None
    rows = db.session.execute(
        select(Attempt.id, Attempt.kind, Attempt.number, func.sum(cast(AttemptQuestion.mark, Float)), func.count())
        .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .where(Attempt.enrolment_id == attempt.enrolment_id, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.id, Attempt.kind, Attempt.number)
    ).all()
    pre = next((_score(total, n) for _id, kind, _num, total, n in rows if kind == PRECHECK), None)
    finals = sorted((num, attempt_id, _score(total, n)) for attempt_id, kind, num, total, n in rows if kind == FINAL)
    confidence = _confidence_rows(attempt.enrolment)
    if pre is None and not any(c.before is not None for c in confidence):
        return None
    first_id, first = (finals[0][1], finals[0][2]) if finals else (None, None)
    return LearnerGain(pre, first, first_id == attempt.id, confidence)


def _score(total: float | None, count: int) -> Score:
    # Marks are stored to 4 places (0.3333): round back to the nearest 1/100 of a question.
    return Score(Fraction(round((total or 0) * 100), 100), count)


def _confidence_rows(enrolment: Enrolment) -> tuple[OutcomeConfidence, ...]:
    ratings: dict[tuple[str, str], int] = {
        (key, stage): rating for key, stage, rating in db.session.execute(
            select(ConfidenceRating.outcome_key, ConfidenceRating.stage, ConfidenceRating.rating)
            .where(ConfidenceRating.enrolment_id == enrolment.id))
    }
    return tuple(
        OutcomeConfidence(o["id"], o["text"], ratings.get((o["id"], BEFORE)), ratings.get((o["id"], AFTER)))
        for o in enrolment.version.outcomes
    )


def list_outcome_confidence(enrolment: Enrolment, *, actor: User) -> tuple[OutcomeConfidence, ...]:
    """The course's learning outcomes with the actor's ratings so far."""
    _own(enrolment, actor)
    return _confidence_rows(enrolment)


# --- the knowledge check ---------------------------------------------------------------------


def start_precheck(enrolment: Enrolment, *, actor: User, rng: random.Random | None = None) -> Attempt:
    """Start the unscored knowledge check before the assessment; an open one is returned instead of a second."""
    _own(enrolment, actor)
    status = _status(enrolment)
    if status.precheck is not None and status.precheck.submitted_at is None:
        return status.precheck
    if status.precheck is not None:
        raise Conflict("You have already done the knowledge check for this course.")
    if not status.offers_precheck:
        raise NotAllowed("The knowledge check is offered only before you start the assessment.")
    precheck = insert_drawn_attempt(
        Attempt(enrolment_id=enrolment.id, user_id=actor.id, version_id=enrolment.version_id, number=0, kind=PRECHECK),
        actor=actor, event="evidence.precheck_started", rng=rng, find_winner=lambda: find_precheck(enrolment),
        lost="Another knowledge check was started at the same moment. Please try again.",
    )
    log.info("knowledge check %s started on enrolment %s", precheck.id, enrolment.id)
    return precheck


# --- confidence and evaluation ---------------------------------------------------------------


def record_confidence(enrolment: Enrolment, stage: str, ratings: Mapping[str, int], *, actor: User) -> int:
    """Replace the actor's confidence ratings for one stage; return how many were saved.

    Raises:
        NotAllowed: "before" once the assessment has begun; "after" before passing.
        InvalidInput: no rating, an outcome the course does not have, or a rating outside 1–5.
    """
    _own(enrolment, actor)
    status = _status(enrolment)
    if stage not in STAGES:
        raise NotFound("There is no such page.")
    if stage == BEFORE and not status.can_rate_before:
        raise NotAllowed("Confidence before the course is asked only before the assessment begins.")
    if stage == AFTER and not status.can_rate_after:
        raise NotAllowed("Confidence after the course is asked once you have passed it.")
    keys = {o["id"] for o in enrolment.version.outcomes}
    if not ratings:
        raise InvalidInput("ratings", "Choose a rating for at least one learning outcome.")
    if any(key not in keys or rating not in RATINGS for key, rating in ratings.items()):
        raise InvalidInput("ratings", "Each rating is a number from 1 to 5 for one of the course's learning outcomes.")
    db.session.execute(delete(ConfidenceRating).where(ConfidenceRating.enrolment_id == enrolment.id,
                                                      ConfidenceRating.stage == stage))
    db.session.add_all(ConfidenceRating(enrolment_id=enrolment.id, outcome_key=key, stage=stage, rating=rating)
                       for key, rating in sorted(ratings.items()))
    record_event("evidence.confidence_rated", actor=actor, subject=actor, target=f"enrolment:{enrolment.id}",
                 stage=stage, count=len(ratings))
    db.session.commit()
    log.info("enrolment %s: %s confidence rating(s) saved (%s)", enrolment.id, len(ratings), stage)
    return len(ratings)


def submit_evaluation(enrolment: Enrolment, relevance: int, clarity: int, comment: str, *,
                      actor: User) -> CourseEvaluation:
    """Record the actor's one evaluation of a course they passed.

    Raises:
        NotAllowed: the course is not passed yet. Conflict: already evaluated.
        InvalidInput: a rating outside 1–5, or a comment the free-text rule refuses (over 1000 characters, controls).
    """
    _own(enrolment, actor)
    status = _status(enrolment)
    if not status.can_rate_after:
        raise NotAllowed("The course evaluation opens once you have passed the course.")
    if status.evaluation is not None:
        raise Conflict("You have already evaluated this course. Thank you.")
    for name, value in (("relevance", relevance), ("clarity", clarity)):
        if value not in RATINGS:
            raise InvalidInput(name, "Choose a number from 1 to 5.")
    # Multi-line: a learner may answer in a few separate points.
    comment = clean_text(comment, field="comment", max_length=EVALUATION_COMMENT_MAX, required=None, multiline=True)
    evaluation = CourseEvaluation(enrolment_id=enrolment.id, course_id=enrolment.course_id,
                                  relevance=relevance, clarity=clarity, comment=comment)
    db.session.add(evaluation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You have already evaluated this course. Thank you.") from None
    record_event("evidence.course_evaluated", actor=actor, subject=actor, target=f"enrolment:{enrolment.id}")
    db.session.commit()
    log.info("enrolment %s: course evaluation %s recorded", enrolment.id, evaluation.id)
    return evaluation
