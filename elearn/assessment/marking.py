"""Assessment rules: which questions an attempt draws and how its answers are marked and judged.

The draw follows the course's blueprint (items per outcome) and prefers questions the learner has
not seen; the judgement needs the pass mark and every critical outcome at its own mark. Pure
functions over plain values, with no database and no Flask: the assessment service and the guessing
simulator (simulate.py) both call them. Marks are exact `Fraction`s, so a score of exactly the pass
mark always passes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

# The one other import: kinds.py is as pure as this module (standard library only).
from elearn.assessment.kinds import QuestionKind, partial_credit_names, spec_for

Outcome = str | None
NEVER_SEEN = (-1, 0)  # the freshness of a question no earlier attempt drew: it sorts before every seen one


@dataclass(frozen=True)
class BankQuestion:
    """A question in a course's bank, as drawing sees it: its id and the outcome it tests."""

    id: int
    outcome: Outcome  # learning-outcome id, e.g. "LO3"; None when the course has none


@dataclass(frozen=True)
class Blueprint:
    """What a course version asks of every attempt: items per outcome, and the outcomes a pass needs.

    Read from `CourseVersion.outcomes` (the loader's `ParsedOutcome.as_blueprint()` writes the same form),
    so the service and the guessing simulator apply one reading of the course's rules.
    """

    draws: Mapping[str, int] = field(default_factory=dict)  # outcome id -> items per attempt; empty: none declared
    critical_marks: Mapping[str, int] = field(default_factory=dict)  # critical outcome id -> percent it needs

    @classmethod
    def from_outcomes(cls, outcomes: Iterable[Mapping[str, Any]]) -> Blueprint:
        """The blueprint of outcomes stored as `{"id", "text", "draw"?, "critical"?, "critical_mark"?}`."""
        entries = list(outcomes)
        draws = {str(o["id"]): int(o["draw"]) for o in entries if o.get("draw") is not None}
        critical = {str(o["id"]): int(o.get("critical_mark", 100)) for o in entries if o.get("critical")}
        return cls(draws, critical)


def draw_questions(
    bank: Sequence[BankQuestion],
    count: int,
    rng: random.Random,
    exclude: Collection[int] = frozenset(),
    *,
    history: Sequence[Collection[int]] = (),
    draws: Mapping[str, int] | None = None,
) -> list[int]:
    """Draw `count` distinct question ids, preferring questions the learner has not seen.

    `history` holds the question ids of the learner's earlier attempts, oldest first; `exclude` is
    shorthand for one more, the most recent. Unseen questions come first; when they run short, the
    least recently seen repeat (then the least often seen), so a learner can always start.
    With `draws` (the blueprint), exactly that many come from each outcome's pool; without it the
    questions spread across the outcomes in turn, so every outcome is tested.

    Raises:
        ValueError: `count` is below 1, the bank repeats an id, it holds fewer than `count`, or the
            blueprint does not add up to `count` or asks an outcome for more than its pool holds.
    """
    if count < 1:
        raise ValueError("an attempt must draw at least one question")
    ids = {question.id for question in bank}
    if len(ids) != len(bank):
        raise ValueError("the question bank repeats a question id")
    if len(bank) < count:
        raise ValueError(f"the question bank holds {len(bank)} questions; an attempt needs {count}")
    freshness = _freshness([*history, exclude] if exclude else history)
    if draws:
        drawn = _draw_blueprint(bank, count, draws, rng, freshness)
    else:
        drawn = _draw_spread(bank, count, rng, freshness)
    rng.shuffle(drawn)  # so the page order reveals neither the outcomes nor which items are fresh
    return drawn


def _freshness(history: Sequence[Collection[int]]) -> dict[int, tuple[int, int]]:
    """Per seen question: (the latest earlier attempt that drew it, counted from the oldest; how many did).

    Sorting by this puts the least recently seen first, and of those the least often seen.
    """
    seen: dict[int, tuple[int, int]] = {}
    for index, attempt in enumerate(history):
        for question_id in attempt:
            seen[question_id] = (index, seen.get(question_id, NEVER_SEEN)[1] + 1)
    return seen


def _draw_blueprint(
    bank: Sequence[BankQuestion],
    count: int,
    draws: Mapping[str, int],
    rng: random.Random,
    freshness: Mapping[int, tuple[int, int]],
) -> list[int]:
    """Take exactly each outcome's draw from its pool, the freshest first (ties in random order)."""
    if sum(draws.values()) != count:
        raise ValueError(f"the blueprint draws {sum(draws.values())} questions; an attempt needs {count}")
    pools = _shuffled_pools(bank, rng)
    drawn: list[int] = []
    for outcome in sorted(draws):
        pool = pools.get(outcome, [])
        if len(pool) < draws[outcome]:
            raise ValueError(f"outcome {outcome} holds {len(pool)} questions; an attempt draws {draws[outcome]}")
        # A stable sort keeps the shuffled order among equally fresh questions.
        drawn += sorted(pool, key=lambda qid: freshness.get(qid, NEVER_SEEN))[: draws[outcome]]
    return drawn


def _draw_spread(
    bank: Sequence[BankQuestion],
    count: int,
    rng: random.Random,
    freshness: Mapping[int, tuple[int, int]],
) -> list[int]:
    """Take whole tiers of equally fresh questions while they fit; spread the last across the outcomes.

    The outcomes the tiers already taken cover least are topped up first, so repeats go where the
    fresh questions left the attempt thinnest.
    """
    tiers: dict[tuple[int, int], list[BankQuestion]] = {}
    for question in bank:
        tiers.setdefault(freshness.get(question.id, NEVER_SEEN), []).append(question)
    drawn: list[int] = []
    for key in sorted(tiers):
        tier = tiers[key]
        if len(drawn) + len(tier) >= count:
            taken = set(drawn)
            already = _count_by_outcome([q for q in bank if q.id in taken]) if taken else None
            return drawn + _spread(tier, count - len(drawn), rng, already=already)
        drawn += [question.id for question in tier]
    raise AssertionError("unreachable: the bank holds at least `count` questions")


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
    """The marks of one attempt, its exact percentage, whether it passes, and how each outcome went."""

    marks: tuple[Fraction, ...]
    score_percent: Fraction  # 100 * sum(marks) / len(marks)
    passed: bool  # the pass mark reached (compared exactly) and no critical outcome short of its mark
    critical_missed: tuple[str, ...] = ()  # critical outcomes below their critical_mark, in id order
    outcomes: tuple[Outcome, ...] = ()  # each mark's outcome, in the order of `marks`; () when not given
    thresholds: Mapping[str, int] = field(default_factory=dict)  # outcome id -> percent it needs

    @property
    def display_percent(self) -> int:
        """The percentage rounded down, so 79.9 shows 79 and never claims a pass it isn't."""
        return math.floor(self.score_percent)

    @cached_property
    def outcome_scores(self) -> dict[str, Fraction]:
        """Each outcome's percentage of its questions' marks, in outcome id order; a partial mark counts as its fraction."""
        return outcome_scores(self.outcomes, self.marks) if self.outcomes else {}

    @property
    def outcomes_to_revisit(self) -> tuple[str, ...]:
        """The outcomes below their threshold (a critical outcome's critical_mark, any other's the pass mark)."""
        return tuple(outcome for outcome, share in self.outcome_scores.items() if share < self.thresholds[outcome])


def score(
    keys: Sequence[AnswerKey],
    selections: Sequence[frozenset[int]],
    pass_mark: int,
    *,
    outcomes: Sequence[Outcome] | None = None,
    critical_marks: Mapping[str, int] | None = None,
) -> Result:
    """Mark every question, then judge the marks (`judge_marks`): the service's one way to mark an attempt.

    Raises:
        ValueError: no questions, keys and selections of different lengths, or what `mark_question`
            and `judge_marks` refuse.
    """
    if not keys:
        raise ValueError("an attempt has at least one question")
    if len(keys) != len(selections):
        raise ValueError(f"{len(keys)} questions but {len(selections)} selections")
    pairs = zip(keys, selections, strict=True)
    marks = [mark_question(key, selected) for key, selected in pairs]
    return judge_marks(marks, pass_mark, outcomes=outcomes, critical_marks=critical_marks)


def judge_marks(
    marks: Sequence[Fraction],
    pass_mark: int,
    *,
    outcomes: Sequence[Outcome] | None = None,
    critical_marks: Mapping[str, int] | None = None,
) -> Result:
    """Pass with the pass mark overall and every critical outcome at its own mark; the one pass rule.

    `outcomes` gives each mark's outcome; `critical_marks` the percent of its marks each critical outcome
    needs (`Blueprint.critical_marks`). A partial mark counts as its fraction. A critical outcome the
    attempt did not draw is not judged: the blueprint draws at least two of each in every final attempt,
    and the knowledge check, which need not, never passes anyone. `score` calls this after marking each
    answer; the guessing simulator calls it on marks it worked out once per answer with `mark_question`.

    Raises:
        ValueError: no marks, marks and outcomes of different lengths, or a pass mark outside 1-100.
    """
    if not marks:
        raise ValueError("an attempt has at least one question")
    if outcomes is not None and len(outcomes) != len(marks):
        raise ValueError(f"{len(marks)} questions but {len(outcomes)} outcomes")
    if not 1 <= pass_mark <= 100:
        raise ValueError("the pass mark is a percentage from 1 to 100")
    critical = critical_marks or {}
    percent = _percent(marks)
    pairs = list(zip(outcomes or (), marks, strict=False))
    missed = []
    for outcome in sorted(critical):
        own = [mark for of, mark in pairs if of == outcome]
        # Fractions, not floats: 7.2 marks out of 9 is exactly 80%, where floats give 79.999…
        if own and _percent(own) < critical[outcome]:
            missed.append(outcome)
    thresholds = {outcome: critical.get(outcome, pass_mark) for outcome in set(outcomes or ()) if outcome}
    return Result(marks=tuple(marks), score_percent=percent, passed=percent >= pass_mark and not missed,
                  critical_missed=tuple(missed), outcomes=tuple(outcomes or ()), thresholds=thresholds)


def outcome_scores(outcomes: Sequence[Outcome], marks: Sequence[Fraction]) -> dict[str, Fraction]:
    """Each outcome's percentage of its questions' marks, in outcome id order (no outcome: left out)."""
    grouped: dict[str, list[Fraction]] = {}
    for outcome, mark in zip(outcomes, marks, strict=True):
        if outcome is not None:
            grouped.setdefault(outcome, []).append(mark)
    return {outcome: _percent(grouped[outcome]) for outcome in sorted(grouped)}


def _percent(marks: Sequence[Fraction]) -> Fraction:
    """100 times the mean mark, exactly. Whole marks (all-or-nothing answers, the usual case) are summed as
    integers: Fraction addition costs a gcd per step, and the guessing simulator judges millions of attempts."""
    if all(mark.denominator == 1 for mark in marks):
        return Fraction(100 * sum(mark.numerator for mark in marks), len(marks))
    return 100 * sum(marks, Fraction(0)) / len(marks)
