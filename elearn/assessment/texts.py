"""A published version's question bank, read once per process (elearn/published.py says why that is safe).

The question pages and the result page show the drawn questions' stems and option texts; none of it changes once
the version is published. Two separate caches keep the rule that correct answers never reach a page before the
attempt is submitted easy to check: `shown_bank` holds stems and option texts only, for the pages of an open
attempt; `review_bank` adds correctness, feedback, explanations and outcomes, and only review.py reads it.

What the learner did (the draw, the option order, their answers, the marks) is read per request, in one query:
`load_drawn_state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from elearn.extensions import db
from elearn.models import Attempt, AttemptAnswer, AttemptQuestion, CourseVersion, Question
from elearn.published import version_cache


@dataclass(frozen=True)
class ShownText:
    """A question as a page of an open attempt may show it: no correctness, feedback or explanation."""

    stem: str
    kind: str
    partial_credit: bool
    options: Mapping[int, str]  # option id -> text


@dataclass(frozen=True)
class ReviewOptionText:
    text: str
    is_correct: bool
    feedback: str


@dataclass(frozen=True)
class ReviewText:
    """A question as the result page may show it, once the attempt has a result."""

    stem: str
    outcome: str | None
    explanation: str
    options: Mapping[int, ReviewOptionText]  # option id -> option


@dataclass(frozen=True)
class DrawnState:
    """One drawn question of an attempt, as the learner left it: which question, the option order, the answers."""

    position: int
    question_id: int
    option_order: tuple[int, ...]
    answered_at: datetime | None
    mark: Decimal | None
    selected: frozenset[int]  # option ids


# Built once: every question page runs it.
_DRAWN_STATE = (
    select(AttemptQuestion.position, AttemptQuestion.question_id, AttemptQuestion.option_order,
           AttemptQuestion.answered_at, AttemptQuestion.mark, AttemptAnswer.option_id)
    .outerjoin(AttemptAnswer, AttemptAnswer.attempt_question_id == AttemptQuestion.id)
    .where(AttemptQuestion.attempt_id == bindparam("attempt_id"))
    .order_by(AttemptQuestion.position)
)


def load_drawn_state(attempt: Attempt) -> dict[int, DrawnState]:
    """The attempt's drawn questions by position with the learner's answers; one query."""
    rows = db.session.execute(_DRAWN_STATE, {"attempt_id": attempt.id})
    drawn: dict[int, DrawnState] = {}
    for position, question_id, order, answered_at, mark, option_id in rows:
        known = drawn.get(position)
        selected = (known.selected if known else frozenset()) | ({option_id} if option_id is not None else set())
        drawn[position] = DrawnState(position, question_id, tuple(order), answered_at, mark, frozenset(selected))
    return drawn


def shown_bank(version: CourseVersion) -> Mapping[int, ShownText]:
    """The version's questions by id, as an open attempt's pages show them; cached per process."""
    return version_cache("shown questions").get(version.id, version.content_hash, lambda: {
        question.id: ShownText(question.stem, question.kind, question.partial_credit,
                               {option.id: option.text for option in question.options})
        for question in _questions(version.id)})


def review_bank(version: CourseVersion) -> Mapping[int, ReviewText]:
    """The version's questions by id with their answers, for the result page only; cached per process."""
    return version_cache("review questions").get(version.id, version.content_hash, lambda: {
        question.id: ReviewText(question.stem, question.outcome, question.explanation,
                                {option.id: ReviewOptionText(option.text, option.is_correct, option.feedback)
                                 for option in question.options})
        for question in _questions(version.id)})


def _questions(version_id: int) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.version_id == version_id)
                                   .options(selectinload(Question.options))))
