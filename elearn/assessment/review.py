"""The result of a submitted attempt: the score, and each question reviewed as the course's policy allows.

The only assessment code that passes `Option.is_correct`, `Option.feedback` and `Question.explanation`
to a page, and only once the attempt has a result. What a fail shows (until the course is passed)
depends on the course's review policy:

- `full`: every question with the learner's answer, the right answer, feedback and explanation;
- `hide-correct-on-fail`: each question's verdict and the outcome it tests, and the outcomes to revisit;
- `outcomes-on-fail`: only the outcomes to revisit, each with its lessons; no question, no verdict.

A pass shows the full review under every policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from elearn.access import require_own
from elearn.assessment.service import PRECHECK, load_drawn, result_of
from elearn.assessment.texts import DrawnState, ReviewText, load_drawn_state, review_bank
from elearn.errors import Conflict
from elearn.learning.outlines import outline_of
from elearn.models import Attempt, ReviewPolicy, User


class Shown(StrEnum):
    """How much of a submitted attempt its result page shows."""

    FULL = "full"  # every question, the answers, feedback and explanations
    VERDICTS = "verdicts"  # each question's verdict and outcome, and the outcomes to revisit
    OUTCOMES = "outcomes"  # the outcomes to revisit only: nothing says which answer was wrong


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
class LessonLink:
    """A lesson of the attempt's course version, by its position (its address) and title."""

    position: int
    title: str


@dataclass(frozen=True)
class OutcomeToRevisit:
    """A learning outcome the learner scored below full marks on, with the lessons that teach it."""

    key: str
    text: str
    is_critical: bool  # a pass needs this outcome answered right, whatever the total
    lessons: tuple[LessonLink, ...]


@dataclass(frozen=True)
class Review:
    """The result page of a submitted attempt."""

    attempt: Attempt
    score_percent: int  # rounded down, as on the certificate
    passed: bool
    pass_mark: int
    shown: Shown
    questions: tuple[ReviewQuestion, ...]  # empty when only outcomes are shown
    revisit: tuple[OutcomeToRevisit, ...]  # empty when the full review is shown

    @property
    def is_full(self) -> bool:
        """The right answers, feedback and explanations are shown."""
        return self.shown == Shown.FULL

    @property
    def is_precheck(self) -> bool:
        """The unscored knowledge check before the course, not an assessment attempt."""
        return self.attempt.kind == PRECHECK


def get_review(attempt: Attempt, *, actor: User) -> Review:
    """The result of a submitted attempt, shown as the course's review policy allows (see the module docstring)."""
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    if attempt.submitted_at is None or attempt.score_percent is None:
        raise AttemptStillOpen(attempt.id)
    version = attempt.version
    shown = shown_for(ReviewPolicy(version.review_policy),
                      passed=bool(attempt.passed) or attempt.enrolment.passed_at is not None)
    revisit: tuple[OutcomeToRevisit, ...] = ()
    if shown != Shown.FULL:
        lessons = [(lesson.position, lesson.title, lesson.outcomes) for lesson in outline_of(version).lessons]
        # Which outcomes fell short is the marking's rule (marking.Result.outcomes_to_revisit), judged on exact marks.
        drawn = list(load_drawn(attempt).values())
        revisit = outcomes_to_revisit(result_of(attempt, drawn).outcomes_to_revisit, version.outcomes, lessons)
    texts = {outcome["id"]: outcome["text"] for outcome in version.outcomes}
    questions: tuple[ReviewQuestion, ...] = ()
    if shown != Shown.OUTCOMES:
        bank = review_bank(version)  # cached per process: the drawn state is the one query here
        questions = tuple(_reviewed(state, bank[state.question_id], texts, shown == Shown.FULL)
                          for state in load_drawn_state(attempt).values())
    return Review(attempt, int(attempt.score_percent), bool(attempt.passed), version.pass_mark, shown, questions,
                  revisit)


def shown_for(policy: ReviewPolicy, *, passed: bool) -> Shown:
    """What a result shows under a policy: everything after a pass (of this attempt or the course), else the policy's."""
    if passed or policy == ReviewPolicy.FULL:
        return Shown.FULL
    return Shown.VERDICTS if policy == ReviewPolicy.HIDE_CORRECT_ON_FAIL else Shown.OUTCOMES


def outcomes_to_revisit(keys: Iterable[str], outcomes: Sequence[Mapping[str, Any]],
                        lessons: Iterable[tuple[int, str, Sequence[str]]]) -> tuple[OutcomeToRevisit, ...]:
    """The outcomes the marking found short (`keys`), critical ones first, then in the course's order; each with
    the lessons whose `outcomes` include it. Pure."""
    short = set(keys)
    below = [o for o in outcomes if o["id"] in short]
    teaching: dict[str, list[LessonLink]] = defaultdict(list)
    for position, title, taught in lessons:
        for key in taught or ():
            teaching[key].append(LessonLink(position, title))
    ordered = sorted(below, key=lambda o: not o.get("critical", False))  # stable: the course's order within each
    return tuple(OutcomeToRevisit(o["id"], o["text"], bool(o.get("critical", False)), tuple(teaching[o["id"]]))
                 for o in ordered)


def _reviewed(drawn: DrawnState, question: ReviewText, outcomes: Mapping[str, str], is_full: bool) -> ReviewQuestion:
    mark = drawn.mark or Decimal(0)
    verdict = "correct" if mark >= 1 else ("partly" if mark > 0 else "incorrect")
    outcome_text = outcomes.get(question.outcome) if question.outcome else None
    if not is_full:
        # Only the verdict and the outcome tested, so the next attempt is not a memory test.
        return ReviewQuestion(drawn.position, verdict, outcome_text, None, None, None)
    options = tuple(
        ReviewOption(question.options[i].text, i in drawn.selected, question.options[i].is_correct,
                     question.options[i].feedback)
        for i in drawn.option_order
    )
    return ReviewQuestion(drawn.position, verdict, outcome_text, question.stem, options, question.explanation)
