"""The result of a submitted attempt: the score, and each question reviewed as the course's policy allows.

The only assessment code that passes `Option.is_correct`, `Option.feedback` and `Question.explanation`
to a page, and only once the attempt has a result; after a fail (until the course is passed) a
hide-correct-on-fail course shows just the verdict and the learning outcome of each question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from elearn.access import require_own
from elearn.assessment.service import load_drawn
from elearn.errors import Conflict
from elearn.models import Attempt, AttemptQuestion, ReviewPolicy, User


class AttemptStillOpen(Conflict):
    """The attempt has no result yet: it has not been submitted."""

    def __init__(self, attempt_id: int) -> None:
        super().__init__("This attempt has not been submitted yet.")
        self.attempt_id = attempt_id


@dataclass(frozen=True)
class ReviewOption:
    text: str
    selected: bool
    correct: bool
    feedback: str


@dataclass(frozen=True)
class ReviewQuestion:
    """One question of a submitted attempt; stem, options and explanation are None when hidden."""

    position: int
    verdict: str  # correct | partly | incorrect
    outcome_text: str | None
    stem: str | None
    options: tuple[ReviewOption, ...] | None
    explanation: str | None


@dataclass(frozen=True)
class Review:
    """The result page of a submitted attempt."""

    attempt: Attempt
    score_percent: int  # rounded down, as on the certificate
    passed: bool
    pass_mark: int
    is_full: bool  # False: correct answers hidden (hide-correct-on-fail, not yet passed)
    questions: tuple[ReviewQuestion, ...]


def get_review(attempt: Attempt, *, actor: User) -> Review:
    """The result of a submitted attempt; correct answers hidden after a fail when the course says so."""
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    if attempt.submitted_at is None or attempt.score_percent is None:
        raise AttemptStillOpen(attempt.id)
    version = attempt.version
    is_full = (version.review_policy != ReviewPolicy.HIDE_CORRECT_ON_FAIL or bool(attempt.passed)
               or attempt.enrolment.passed_at is not None)
    outcomes = {outcome["id"]: outcome["text"] for outcome in version.outcomes}
    questions = tuple(_reviewed(row, outcomes, is_full) for row in load_drawn(attempt).values())
    return Review(attempt, int(attempt.score_percent), bool(attempt.passed), version.pass_mark, is_full, questions)


def _reviewed(drawn: AttemptQuestion, outcomes: Mapping[str, str], is_full: bool) -> ReviewQuestion:
    mark = drawn.mark or Decimal(0)
    verdict = "correct" if mark >= 1 else ("partly" if mark > 0 else "incorrect")
    question = drawn.question
    outcome_text = outcomes.get(question.outcome) if question.outcome else None
    if not is_full:
        # Only the verdict and the outcome tested, so the next attempt is not a memory test.
        return ReviewQuestion(drawn.position, verdict, outcome_text, None, None, None)
    by_id = {option.id: option for option in question.options}
    selected = {answer.option_id for answer in drawn.answers}
    options = tuple(
        ReviewOption(by_id[i].text, i in selected, by_id[i].is_correct, by_id[i].feedback) for i in drawn.option_order
    )
    return ReviewQuestion(drawn.position, verdict, outcome_text, question.stem, options, question.explanation)
