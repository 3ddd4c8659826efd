"""Assessment attempts: draw, save answers, mark exactly once.

Marking is the only code here that reads `Option.is_correct`; `review.py` is the only code that
shows correctness, feedback and explanations, and only for a submitted attempt. What the pages
show before submission is read in `attempts.py`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from elearn.access import require_own
from elearn.assessment import marking
from elearn.assessment.kinds import QuestionKind, spec_for
from elearn.audit import record_event
from elearn.certificates.service import issue_certificate
from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput, NotAllowed
from elearn.extensions import db
from elearn.models import (
    Attempt,
    AttemptAllowance,
    AttemptAnswer,
    AttemptQuestion,
    CourseVersion,
    Enrolment,
    Option,
    Question,
    User,
)

log = logging.getLogger(__name__)

ATTEMPT_WINDOW = timedelta(hours=24)  # max_attempts_per_day counts attempts started in the last 24 hours
FINAL, PRECHECK = "final", "precheck"  # Attempt.kind: the assessment, or the unscored knowledge check (number 0)


class AttemptAlreadySubmitted(Conflict):
    """The attempt was submitted already (double click, replay, another tab)."""

    def __init__(self, attempt_id: int) -> None:
        super().__init__("This attempt has already been submitted.")
        self.attempt_id = attempt_id


# --- the drawn questions ---------------------------------------------------------------------


def load_drawn(attempt: Attempt) -> dict[int, AttemptQuestion]:
    """The attempt's questions by position, with their questions, options and answers, in four queries."""
    # One loader for answering, marking, the question pages (attempts.py) and the review (review.py).
    rows = db.session.scalars(
        select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt.id)
        .options(
            selectinload(AttemptQuestion.question).selectinload(Question.options),
            selectinload(AttemptQuestion.answers),
        )
        .order_by(AttemptQuestion.position)
    )
    return {row.position: row for row in rows}


# --- starting --------------------------------------------------------------------------------


def start_attempt(enrolment: Enrolment, *, actor: User, rng: random.Random | None = None) -> Attempt:
    """Start a fresh draw once every lesson is done; an open attempt is returned instead of a second one."""
    require_own(enrolment, actor=actor, missing="You are not enrolled on this course.")
    if enrolment.lessons_completed_at is None:
        raise NotAllowed("The assessment opens when you have completed every lesson of the course.")
    open_attempt = _find_open_attempt(enrolment)
    if open_attempt is not None:
        return open_attempt
    if enrolment.passed_at is not None:
        raise Conflict("You have already passed this assessment.")
    number, allowance = _next_number_within_limit(enrolment)
    _close_open_precheck(enrolment)
    attempt = Attempt(enrolment_id=enrolment.id, user_id=actor.id, version_id=enrolment.version_id, number=number)
    if allowance is not None:  # a manager lifted the limit for one attempt: this one uses it
        allowance.used_at, allowance.attempt = now_utc(), attempt
    attempt = insert_drawn_attempt(
        attempt, actor=actor, event="assessment.started", rng=rng, find_winner=lambda: _find_open_attempt(enrolment),
        lost="Another attempt was started at the same moment. Please try again.",
    )
    log.info("attempt %s started on enrolment %s", attempt.id, enrolment.id)
    return attempt


def insert_drawn_attempt(attempt: Attempt, *, actor: User, event: str, rng: random.Random | None,
                         find_winner: Callable[[], Attempt | None], lost: str) -> Attempt:
    """Save a new attempt with its frozen draw in one commit; if a simultaneous start won, return the winner's.

    Two tabs pressing Start at once both get here: the database's unique indexes (one open attempt per
    enrolment, unique attempt numbers) let only one insert through, and the other finds the winner.
    """
    try:
        db.session.add(attempt)
        db.session.flush()
        _draw(attempt, rng or random.SystemRandom())
        record_event(event, actor=actor, subject=actor, target=f"attempt:{attempt.id}")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = find_winner()
        if winner is None:
            raise Conflict(lost) from None
        return winner
    return attempt


def _find_open_attempt(enrolment: Enrolment) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.submitted_at.is_(None),
                              Attempt.kind == FINAL)
    )


def _close_open_precheck(enrolment: Enrolment) -> None:
    """Mark a knowledge check left open as it stands (flush only): one open attempt per enrolment."""
    precheck = db.session.scalar(
        select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.submitted_at.is_(None),
                              Attempt.kind == PRECHECK)
    )
    if precheck is not None:
        precheck.submitted_at = now_utc()
        precheck.score_percent = _floor(_mark(precheck).score_percent, "0.01")
        db.session.flush()


def _next_number_within_limit(enrolment: Enrolment) -> tuple[int, AttemptAllowance | None]:
    """The next attempt number, with the allowance it uses when the daily limit is reached (a manager's
    override); NotAllowed when the limit is reached and no allowance is waiting.

    The count and the highest number come from one statement, so from one snapshot: an attempt
    started concurrently after it makes this number collide with the unique (enrolment, number)
    constraint instead of slipping past the limit (or using one allowance twice).
    """
    recent = case((Attempt.started_at > now_utc() - ATTEMPT_WINDOW, 1), else_=0)
    started_today, highest = db.session.execute(
        select(func.coalesce(func.sum(recent), 0), func.coalesce(func.max(Attempt.number), 0))
        .where(Attempt.enrolment_id == enrolment.id, Attempt.kind == FINAL)
    ).one()
    limit = enrolment.version.max_attempts_per_day
    if limit is None or started_today < limit:
        return int(highest) + 1, None
    allowance = db.session.scalar(select(AttemptAllowance).where(
        AttemptAllowance.enrolment_id == enrolment.id, AttemptAllowance.used_at.is_(None)))
    if allowance is None:
        log.warning("attempt refused on enrolment %s: daily limit reached", enrolment.id)
        raise NotAllowed(f"You have used your attempts for now: up to {limit} are allowed in any 24 hours. "
                         "The assessment page shows when you can try again.")
    return int(highest) + 1, allowance


def _draw(attempt: Attempt, rng: random.Random) -> None:
    """Freeze the drawn questions and their option order: the blueprint's count per outcome, fresh items first.

    Every earlier attempt of the enrolment counts as seen, the knowledge check included, so the first
    assessment avoids the check's questions (the loader makes the bank big enough) and a retake draws
    what the learner has not met while the bank has it.
    """
    version = attempt.version
    bank = [marking.BankQuestion(qid, outcome) for qid, outcome in db.session.execute(
        select(Question.id, Question.outcome).where(Question.version_id == version.id))]
    if attempt.kind == PRECHECK:
        count, draws = version.precheck_questions, None
    else:
        count, draws = version.questions_per_attempt, marking.Blueprint.from_outcomes(version.outcomes).draws
    drawn = marking.draw_questions(bank, count, rng, history=_earlier_draws(attempt), draws=draws)
    options: dict[int, list[int]] = {qid: [] for qid in drawn}
    for option_id, question_id in db.session.execute(
        select(Option.id, Option.question_id).where(Option.question_id.in_(drawn)).order_by(Option.position)
    ):
        options[question_id].append(option_id)
    for position, question_id in enumerate(drawn, start=1):
        db.session.add(AttemptQuestion(attempt_id=attempt.id, question_id=question_id, position=position,
                                       option_order=marking.shuffle_options(options[question_id], rng)))
    db.session.flush()


def _earlier_draws(attempt: Attempt) -> list[list[int]]:
    """The question ids of each earlier attempt of the enrolment (either kind), oldest first, in one query."""
    rows = db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.question_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.enrolment_id == attempt.enrolment_id, Attempt.id != attempt.id)
        .order_by(Attempt.number, Attempt.id)
    )
    by_attempt: dict[int, list[int]] = {}
    for attempt_id, question_id in rows:
        by_attempt.setdefault(attempt_id, []).append(question_id)
    return list(by_attempt.values())


# --- answering -------------------------------------------------------------------------------


def save_answers(attempt: Attempt, sheet: Mapping[int, Sequence[int]], *, actor: User) -> None:
    """Replace the answers to the questions on one page, while the attempt is open.

    `sheet` maps each question position on the page to the option numbers ticked, as shown
    (1 = the first option on the page); an empty sequence clears that question's answer.

    Raises:
        InvalidInput: a position not in the attempt, an option number out of range, or more
            than one option for a question whose kind selects one. Nothing is saved.
        AttemptAlreadySubmitted: the attempt has a result; answers can no longer change.
    """
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    drawn = load_drawn(attempt)
    chosen = {position: _option_ids(drawn.get(position), numbers) for position, numbers in sheet.items()}
    _lock_open(attempt)
    now = now_utc()
    ids = [drawn[position].id for position in chosen]
    db.session.execute(delete(AttemptAnswer).where(AttemptAnswer.attempt_question_id.in_(ids)))
    for position, option_ids in chosen.items():
        row = drawn[position]
        db.session.add_all(AttemptAnswer(attempt_question_id=row.id, option_id=o) for o in option_ids)
        row.answered_at = now if option_ids else None
    db.session.commit()
    log.info("attempt %s: answers saved for %s question(s)", attempt.id, len(chosen))


def _option_ids(drawn: AttemptQuestion | None, numbers: Sequence[int]) -> list[int]:
    """Translate option numbers as shown into option ids, refusing anything the page could not send."""
    if drawn is None:
        raise InvalidInput("answers", "The answers named a question that is not part of this attempt.")
    if len(set(numbers)) != len(numbers) or any(not 1 <= n <= len(drawn.option_order) for n in numbers):
        raise InvalidInput("answers", "The answers named an option that is not part of the question.")
    if not spec_for(drawn.question.kind).selects_many and len(numbers) > 1:
        raise InvalidInput("answers", "Choose only one answer for this question.")
    return [drawn.option_order[n - 1] for n in numbers]


def _lock_open(attempt: Attempt) -> None:
    """Take the attempt's row lock while it is open, or raise AttemptAlreadySubmitted.

    A no-op UPDATE guarded by `submitted_at IS NULL`: on PostgreSQL it locks the row, so a
    concurrent submit waits for these answers (or these answers wait and then see the
    submission); on SQLite it takes the write lock. Either way no answer lands after marking.
    """
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=None).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise AttemptAlreadySubmitted(attempt.id)


# --- submitting ------------------------------------------------------------------------------


def submit_attempt(attempt: Attempt, *, actor: User) -> Attempt:
    """Mark an attempt exactly once from its saved answers; a pass records it and issues the certificate.

    The conditional UPDATE (`… WHERE submitted_at IS NULL`) is the guard: of two concurrent
    submissions the database lets exactly one claim the attempt; the other gets
    AttemptAlreadySubmitted and nothing changes.
    """
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    now = now_utc()
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=now).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        log.warning("attempt %s: repeated submission refused", attempt.id)
        raise AttemptAlreadySubmitted(attempt.id)
    set_committed_value(attempt, "submitted_at", now)
    result = _mark(attempt)
    attempt.score_percent = _floor(result.score_percent, "0.01")
    # The knowledge check is unscored for pass purposes: no pass, no certificate, whatever the score.
    attempt.passed = result.passed if attempt.kind == FINAL else None
    if attempt.passed:
        enrolment = attempt.enrolment
        enrolment.passed_at = enrolment.passed_at or now
        db.session.flush()
        issue_certificate(attempt)
    record_event("assessment.submitted", actor=actor, subject=actor, target=f"attempt:{attempt.id}",
                 score_percent=result.display_percent, passed=attempt.passed, kind=attempt.kind)
    db.session.commit()
    log.info("attempt %s submitted: passed=%s", attempt.id, result.passed)
    return attempt


def result_of(attempt: Attempt, drawn: Sequence[AttemptQuestion] | None = None) -> marking.Result:
    """The attempt's result from its saved answers: marks, outcome scores and the critical outcomes missed.

    Read only. The bank of a published version never changes, so for a submitted attempt this is
    exactly the result it was marked with; no column stores the outcome scores (4-place marks would
    round a partial 2/3 below a threshold it reached). `drawn`: the attempt's loaded questions, if the caller has them.
    """
    return _score(list(drawn) if drawn is not None else list(load_drawn(attempt).values()), attempt.version)


def _mark(attempt: Attempt) -> marking.Result:
    """Score the saved answers against the bank and store each question's mark (flush only)."""
    drawn = list(load_drawn(attempt).values())
    result = _score(drawn, attempt.version)
    for row, mark in zip(drawn, result.marks, strict=True):
        row.mark = _floor(mark, "0.0001")
    return result


def _score(drawn: Sequence[AttemptQuestion], version: CourseVersion) -> marking.Result:
    """Mark drawn questions by the version's pass mark and critical outcomes (the one call of marking.score)."""
    return marking.score(
        [_answer_key(row.question) for row in drawn],
        [frozenset(answer.option_id for answer in row.answers) for row in drawn],
        version.pass_mark,
        outcomes=[row.question.outcome for row in drawn],
        critical_marks=marking.Blueprint.from_outcomes(version.outcomes).critical_marks,
    )


def _answer_key(question: Question) -> marking.AnswerKey:
    return marking.AnswerKey(
        kind=QuestionKind(question.kind),
        option_ids=frozenset(option.id for option in question.options),
        correct_ids=frozenset(option.id for option in question.options if option.is_correct),
        partial_credit=question.partial_credit,
    )


def _floor(value: Fraction, places: str) -> Decimal:
    """Round down, so 79.999…% is stored as 79.99 and never shown as a pass mark it did not reach."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(places), rounding=ROUND_FLOOR)
