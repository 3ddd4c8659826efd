"""What the assessment pages show before a result: the overview, the attempt to resume, the drawn questions.

Nothing here reads correctness, feedback or explanations: a `ShownQuestion` holds option texts in
the frozen order and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from elearn.access import require_own
from elearn.assessment import texts
from elearn.assessment.allowances import DailyLimit, daily_limit, limits_of
from elearn.assessment.kinds import QuestionKind, spec_for
from elearn.assessment.service import FINAL, AttemptAlreadySubmitted
from elearn.db import now_utc
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Attempt, AttemptQuestion, Course, CourseVersion, Enrolment, User


@dataclass(frozen=True)
class ShownOption:
    """An option as the learner sees it: its number on the page (1, 2, …) and its text only."""

    number: int
    text: str
    selected: bool


@dataclass(frozen=True)
class ShownQuestion:
    """A drawn question before submission: no correctness, feedback or explanation."""

    position: int
    stem: str
    kind: QuestionKind
    partial_credit: bool
    options: tuple[ShownOption, ...]
    is_answered: bool

    # The page reads these, never the kind's name, so a new kind needs no template change.
    @property
    def selects_many(self) -> bool:
        """Checkboxes when the kind lets the learner tick several options; radios when it takes one."""
        return spec_for(self.kind).selects_many

    @property
    def hint(self) -> str:
        """The kind's instruction above the options, e.g. "Select one answer."."""
        return spec_for(self.kind).hint


@dataclass(frozen=True)
class AssessmentOverview:
    """The assessment page of one course for one learner: rules, the open attempt and the history."""

    course: Course
    version: CourseVersion
    enrolment: Enrolment | None
    open_attempt: Attempt | None
    attempts: list[Attempt]  # newest first
    limit: DailyLimit  # attempts left in the next 24 hours, when the next frees, a manager's allowance

    @property
    def attempts_left_today(self) -> int | None:
        """None: unlimited."""
        return self.limit.left

    @property
    def next_attempt_at(self) -> datetime | None:
        """When the daily limit frees an attempt, while none is left."""
        return self.limit.frees_at

    @property
    def is_unlocked(self) -> bool:
        return self.enrolment is not None and self.enrolment.lessons_completed_at is not None

    @property
    def has_passed(self) -> bool:
        return self.enrolment is not None and self.enrolment.passed_at is not None

    @property
    def can_start(self) -> bool:
        return self.is_unlocked and not self.has_passed and self.open_attempt is None and self.limit.can_start


# --- reading ---------------------------------------------------------------------------------


def get_overview(course: Course, *, actor: User) -> AssessmentOverview:
    """The assessment page for the actor: whether it is open, the attempt to resume, and past attempts."""
    enrolment = learning.find_current_enrolment(course, actor=actor)
    version = enrolment.version if enrolment else learning.latest_version(course)
    attempts = list_attempts(enrolment) if enrolment else []
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    # From the attempts loaded already: a query only at the limit, to look for a manager's allowance.
    limit = (limits_of([enrolment], {version.id: version.max_attempts_per_day}, attempts)[enrolment.id] if enrolment
             else daily_limit(version.max_attempts_per_day, [], now=now_utc()))
    return AssessmentOverview(course, version, enrolment, open_attempt, attempts, limit)


def list_attempts(enrolment: Enrolment) -> list[Attempt]:
    """The assessment attempts on one enrolment, newest first (not the unscored knowledge check)."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.kind == FINAL)
        .order_by(Attempt.number.desc())
    ))


# Built once: every page of an attempt runs it.
_OWN_ATTEMPT = (select(Attempt).options(joinedload(Attempt.version), joinedload(Attempt.enrolment)
                                        .joinedload(Enrolment.course))
                .where(Attempt.id == bindparam("attempt_id")))


def get_own_attempt(attempt_id: int, *, actor: User) -> Attempt:
    """One of the actor's attempts, or NotFound; with its version and course, which its pages show."""
    attempt = db.session.scalars(_OWN_ATTEMPT, {"attempt_id": attempt_id}).unique().one_or_none()
    if attempt is None:
        raise NotFound("There is no such attempt.")
    require_own(attempt, actor=actor, missing="There is no such attempt.")
    return attempt


def get_open_attempt(attempt_id: int, *, actor: User) -> Attempt:
    """One of the actor's unsubmitted attempts; AttemptAlreadySubmitted once it has a result."""
    attempt = get_own_attempt(attempt_id, actor=actor)
    if attempt.submitted_at is not None:
        raise AttemptAlreadySubmitted(attempt.id)
    return attempt


@dataclass(frozen=True)
class AttemptPage:
    """An open attempt's drawn questions as its pages show them, with what is still unanswered."""

    questions: tuple[ShownQuestion, ...]

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def unanswered(self) -> list[int]:
        """Positions of the questions the learner has not answered yet."""
        return [question.position for question in self.questions if not question.is_answered]

    def question(self, position: int) -> ShownQuestion:
        """One drawn question; NotFound for a position the attempt does not have."""
        found = next((question for question in self.questions if question.position == position), None)
        if found is None:
            raise NotFound("There is no such question in this attempt.")
        return found


def get_attempt_page(attempt: Attempt) -> AttemptPage:
    """Every drawn question of the attempt with the learner's answers: one query (the question texts of the
    attempt's published version are cached per process)."""
    bank = texts.shown_bank(attempt.version)
    return AttemptPage(tuple(_shown(state, bank[state.question_id])
                             for state in texts.load_drawn_state(attempt).values()))


def list_shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    """Every drawn question, in order, as the one-page view shows it."""
    return list(get_attempt_page(attempt).questions)


def get_shown_question(attempt: Attempt, position: int) -> ShownQuestion:
    """One drawn question as its page shows it; NotFound for a position the attempt does not have."""
    return get_attempt_page(attempt).question(position)


def _shown(drawn: texts.DrawnState, text: texts.ShownText) -> ShownQuestion:
    options = tuple(
        ShownOption(number, text.options[option_id], option_id in drawn.selected)
        for number, option_id in enumerate(drawn.option_order, start=1)
    )
    return ShownQuestion(drawn.position, text.stem, QuestionKind(text.kind), text.partial_credit,
                         options, drawn.answered_at is not None)


def list_unanswered(attempt: Attempt) -> list[int]:
    """Positions of the questions the learner has not answered yet."""
    return list(db.session.scalars(
        select(AttemptQuestion.position)
        .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.answered_at.is_(None))
        .order_by(AttemptQuestion.position)
    ))


def resume_position(attempt: Attempt) -> int | None:
    """The first unanswered question, or None when every question has an answer."""
    unanswered = list_unanswered(attempt)
    return unanswered[0] if unanswered else None


def question_count(attempt: Attempt) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
    ) or 0
