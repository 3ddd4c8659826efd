"""Assessment rules: which questions an attempt draws and how its answers are marked.

Pure functions over plain values, with no database and no Flask. The assessment service builds
these value objects from the frozen AttemptQuestions and calls the functions here. Marks are
exact `Fraction`s, so a score of exactly the pass mark always passes.
"""

import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

# The one other import: kinds.py is as pure as this module (standard library only).
from elearn.assessment.kinds import QuestionKind, partial_credit_names, spec_for

Outcome = str | None


@dataclass(frozen=True)
class BankQuestion:
    """A question in a course's bank, as drawing sees it: its id and the outcome it tests."""

    id: int
    outcome: Outcome  # learning-outcome id, e.g. "LO3"; None when the course has none


def draw_questions(
    bank: Sequence[BankQuestion],
    count: int,
    rng: random.Random,
    exclude: Collection[int] = frozenset(),
) -> list[int]:
    """Draw `count` distinct question ids, spread across outcomes so every outcome is tested.

    Questions in `exclude` (typically those of the learner's last attempt) are drawn only when
    the rest of the bank is too small, and then as few of them as the count needs.

    Raises:
        ValueError: `count` is below 1, the bank repeats an id, or it holds fewer than `count`.
    """
    if count < 1:
        raise ValueError("an attempt must draw at least one question")
    ids = {question.id for question in bank}
    if len(ids) != len(bank):
        raise ValueError("the question bank repeats a question id")
    if len(bank) < count:
        raise ValueError(f"the question bank holds {len(bank)} questions; an attempt needs {count}")
    fresh = [question for question in bank if question.id not in exclude]
    if len(fresh) >= count:
        drawn = _spread(fresh, count, rng)
    else:
        # A learner must always be able to start an attempt: take every fresh question, then
        # repeat the fewest excluded ones, topping up the outcomes the fresh ones cover least.
        repeats = [question for question in bank if question.id in exclude]
        covered = _count_by_outcome(fresh)
        drawn = [question.id for question in fresh]
        drawn += _spread(repeats, count - len(fresh), rng, already=covered)
    rng.shuffle(drawn)  # so the page order does not reveal the outcome rotation
    return drawn


def _spread(
    questions: Sequence[BankQuestion],
    count: int,
    rng: random.Random,
    already: Mapping[Outcome, int] | None = None,
) -> list[int]:
    """Take `count` ids, each from the outcome drawn least so far (round-robin from zero)."""
    pools = _shuffled_pools(questions, rng)
    order = list(pools)
    rng.shuffle(order)
    taken = {outcome: (already or {}).get(outcome, 0) for outcome in order}
    drawn: list[int] = []
    while len(drawn) < count:
        # min() returns the first of equals, so ties go round the shuffled outcome order.
        outcome = min((o for o in order if pools[o]), key=lambda o: taken[o])
        drawn.append(pools[outcome].pop())
        taken[outcome] += 1
    return drawn


def _shuffled_pools(
    questions: Sequence[BankQuestion], rng: random.Random
) -> dict[Outcome, list[int]]:
    """Group ids by outcome and shuffle each group; the seed decides, not the input order."""
    pools: dict[Outcome, list[int]] = {}
    # Sort first: the same bank and seed give the same draw whatever order the database returns.
    for question in sorted(questions, key=lambda q: q.id):
        pools.setdefault(question.outcome, []).append(question.id)
    ordered = {outcome: pools[outcome] for outcome in sorted(pools, key=_outcome_sort_key)}
    for pool in ordered.values():
        rng.shuffle(pool)
    return ordered


def _outcome_sort_key(outcome: Outcome) -> tuple[bool, str]:
    """Sort outcome ids by name, with the questions that have no outcome last."""
    return (outcome is None, outcome or "")


def _count_by_outcome(questions: Sequence[BankQuestion]) -> dict[Outcome, int]:
    """Count the questions that test each outcome."""
    counts: dict[Outcome, int] = {}
    for question in questions:
        counts[question.outcome] = counts.get(question.outcome, 0) + 1
    return counts


def shuffle_options(option_ids: Sequence[int], rng: random.Random) -> list[int]:
    """Return the option ids in a random order, leaving the input untouched."""
    return rng.sample(list(option_ids), k=len(option_ids))


@dataclass(frozen=True)
class AnswerKey:
    """The options of one question and which of them are correct; checked when built."""

    kind: QuestionKind
    option_ids: frozenset[int]  # every option of the question
    correct_ids: frozenset[int]
    partial_credit: bool = False

    def __post_init__(self) -> None:
        # A kind read back from the String column arrives as plain text; normalise it so the checks
        # below compare like with like.
        object.__setattr__(self, "kind", QuestionKind(self.kind))
        # The loader validates questions.yaml too; this catches a key built wrongly from rows,
        # which would otherwise mark every learner wrong without a sound.
        if not self.correct_ids:
            raise ValueError("a question needs at least one correct option")
        if not self.correct_ids <= self.option_ids:
            raise ValueError("every correct option must be one of the question's options")
        spec = spec_for(self.kind)
        if not spec.correct.allows(len(self.correct_ids)):
            raise ValueError(f"a {spec.name} question has {spec.correct.value} correct option")
        # Only a fixed option count matters to marking (True and False need both); the ranges of
        # free options are an authoring rule the loader enforces, and any count marks soundly.
        if spec.fixed_texts and len(self.option_ids) != len(spec.fixed_texts):
            raise ValueError(f"a {spec.name} question has exactly {len(spec.fixed_texts)} options")
        if self.partial_credit and not spec.allows_partial_credit:
            raise ValueError(f"only a {partial_credit_names()} question can give partial credit")


def mark_question(key: AnswerKey, selected: frozenset[int]) -> Fraction:
    """Return the mark for one question, from 0 to 1, by its kind's marker (see kinds.py).

    All-or-nothing questions score 1 only when the selection is exactly the correct options.
    A partial-credit question scores the share of options judged correctly: ticked when
    correct, left unticked when wrong.

    Raises:
        ValueError: the selection holds an id that is not an option of this question.
    """
    if not selected <= key.option_ids:
        # No ids in the message: a selection is a learner's answer and must not reach the logs.
        raise ValueError("the selection includes an option that is not part of this question")
    marker = spec_for(key.kind).marker_for(key.partial_credit)
    return marker(key.option_ids, key.correct_ids, selected)


@dataclass(frozen=True)
class Result:
    """The marks of one attempt, its exact percentage and whether it reaches the pass mark."""

    marks: tuple[Fraction, ...]
    score_percent: Fraction  # 100 * sum(marks) / len(marks)
    passed: bool  # score_percent >= pass_mark, compared exactly

    @property
    def display_percent(self) -> int:
        """The percentage rounded down, so 79.9 shows 79 and never claims a pass it isn't."""
        return math.floor(self.score_percent)


def score(
    keys: Sequence[AnswerKey], selections: Sequence[frozenset[int]], pass_mark: int
) -> Result:
    """Mark every question; pass when the exact percentage is at least the pass mark.

    Raises:
        ValueError: no questions, keys and selections of different lengths, a pass mark outside
            1-100, or a selection that `mark_question` rejects.
    """
    if not keys:
        raise ValueError("an attempt has at least one question")
    if len(keys) != len(selections):
        raise ValueError(f"{len(keys)} questions but {len(selections)} selections")
    if not 1 <= pass_mark <= 100:
        raise ValueError("the pass mark is a percentage from 1 to 100")
    pairs = zip(keys, selections, strict=True)
    marks = tuple(mark_question(key, selected) for key, selected in pairs)
    # Fractions, not floats: 7.2 marks out of 9 is exactly 80%, where floats give 79.999…
    percent = 100 * sum(marks, Fraction(0)) / len(marks)
    return Result(marks=marks, score_percent=percent, passed=percent >= pass_mark)
