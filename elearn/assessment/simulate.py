"""The guessing simulator: how often a learner who knows nothing of the subject passes a first attempt.

Each strategy sees only the form of the options (their length, the words of a true/false statement, how
many options a multi-select usually wants, whether an option mentions the DSL or reporting), never their
meaning. Every simulated attempt is drawn by the
real `marking.draw_questions` under the course's blueprint and marked by the real rules: `mark_question`
for each answer and `judge_marks` (what `marking.score` calls) for the pass mark and the critical
outcomes, so the figures move with any change to either. The first attempt is simulated: no earlier
draws, and no knowledge check (it is optional).

The gate (`too_guessable`): a course fails when any strategy's estimated pass probability (the point
estimate, passes / attempts) is `PASS_LIMIT` (2%) or more. The Wilson interval is printed so a reader can
see how sure the estimate is; it does not move the gate.

Pure, like marking: standard library plus marking and kinds. A course arrives as anything shaped like the
loader's `ParsedCourse` (the protocols below), so assessment does not import content.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from elearn.assessment import marking
from elearn.assessment.kinds import QuestionKind

PASS_LIMIT = Fraction(2, 100)  # issue 14: CI fails a course when any strategy passes a first attempt this often
DEFAULT_ATTEMPTS = 20_000  # per strategy: the Wilson interval at 2% is then about ±0.2 points
PILOT_ATTEMPTS = 2_000  # per candidate, to choose the best combination; its figure comes from fresh draws
Z_95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval

UNIFORM, LONGEST, SHORTEST = "uniform random", "longest option", "shortest option"
SECOND, THIRD = "second longest option", "third longest option"
ABSOLUTE, NO_ABSOLUTES = "absolute words (true/false)", "avoid absolute words"
MODAL, BEST = "modal count (multi-select)", "best combination"
REPORTING = "mentions the DSL or reporting"

# The words of "pass it on" options: telling the DSL, reporting, recording. Safeguarding banks are written by
# people who want staff to pass concerns on, so the option that says so tends to be the key; a learner who has
# noticed that needs no knowledge of the case. The item writers' answer is distractors that pass it on wrongly
# (too late, to the wrong person first, after waiting for proof), so the mention alone gives nothing away.
REPORTING_WORDS = re.compile(
    r"\b(?:dsl|designated safeguarding lead|safeguarding lead|report(?:s|ed|ing)?|record(?:s|ed|ing)?)\b",
    re.IGNORECASE)


class OptionLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def is_correct(self) -> bool: ...


class QuestionLike(Protocol):
    @property
    def outcome(self) -> str | None: ...
    @property
    def kind(self) -> QuestionKind: ...
    @property
    def stem(self) -> str: ...
    @property
    def options(self) -> Sequence[OptionLike]: ...
    @property
    def partial_credit(self) -> bool: ...


class OutcomeLike(Protocol):
    def as_blueprint(self) -> dict[str, Any]: ...


class CourseLike(Protocol):
    """What the simulator reads of a course: the loader's ParsedCourse has it all."""

    @property
    def slug(self) -> str: ...
    @property
    def pass_mark(self) -> int: ...
    @property
    def questions_per_attempt(self) -> int: ...
    @property
    def outcomes(self) -> Sequence[OutcomeLike]: ...
    @property
    def questions(self) -> Sequence[QuestionLike]: ...


Choices = tuple[frozenset[int], ...]  # the selections a strategy picks between, each equally likely
Marks = tuple[Fraction, ...]  # the marks of those selections, in the same order
Picker = Callable[[QuestionLike, "Cues"], Choices]
AbsoluteRule = Callable[[str], str]  # a true/false statement -> the test-wise answer, "True" or "False"


@dataclass(frozen=True)
class Cues:
    """What a test-wise guesser goes by besides the options' length.

    The absolute-word rule is the item checks' own (`content.item_checks.absolute_word_rule`), passed in
    by the caller: assessment sits below content, so one rule serves both gates without an import cycle.
    """

    modal_correct: int  # the most common number of correct options on a multi-select (ties: the larger)
    absolute_rule: AbsoluteRule


@dataclass(frozen=True)
class Figure:
    """One strategy's passes out of its simulated first attempts."""

    strategy: str
    passes: int
    attempts: int
    detail: str = ""  # for the best combination: the strategy it takes on each kind of question
    mean_mark: Fraction = Fraction(0)  # its expected mark per question over the bank: what it gets right at all

    @property
    def probability(self) -> float:
        return self.passes / self.attempts

    @property
    def too_guessable(self) -> bool:
        """The gate, on the point estimate, compared exactly."""
        return Fraction(self.passes, self.attempts) >= PASS_LIMIT

    def interval(self) -> tuple[float, float]:
        """The 95% Wilson score interval, sound near 0 and 1 where the normal approximation is not."""
        n, p, z2 = self.attempts, self.probability, Z_95**2
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z_95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        return max(0.0, centre - half), min(1.0, centre + half)


def simulate(course: CourseLike, absolute_rule: AbsoluteRule, attempts: int = DEFAULT_ATTEMPTS,
             seed: int = 0) -> tuple[Figure, ...]:
    """Each strategy's passes over `attempts` first attempts; all strategies answer the same draws.

    Per attempt: the real draw, then per strategy the real pass rule (`marking.judge_marks`) on the marks of
    its answers. Each answer's mark comes from `marking.mark_question`, once per question and selection
    (`strategy_marks`): marking is pure, so reusing it is exact, and it keeps 20,000 attempts quick.
    """
    if attempts < 1:
        raise ValueError("simulate at least one attempt")
    sitting = _Sitting.of(course)
    rng = random.Random(seed)
    kinds = [q.kind for q in course.questions]
    table = strategy_marks(course.questions, absolute_rule)
    best = _choose_best(sitting, table, kinds, rng)
    table[BEST] = _combine(table, best, kinds)
    passes = sitting.count_passes(table, attempts, rng)
    detail = "; ".join(f"{kind.value}: {name}" for kind, name in best.items())
    return tuple(Figure(name, count, attempts, detail if name == BEST else "", _mean_mark(table[name]))
                 for name, count in passes.items())


def _mean_mark(column: list[Marks]) -> Fraction:
    """The expected mark of one question of the bank, each question equally likely."""
    return sum((Fraction(sum(marks), len(marks)) for marks in column), Fraction(0)) / len(column) if column else Fraction(0)


@dataclass(frozen=True)
class _Sitting:
    """A course's first attempt as the simulator sits it: the real draw and the real pass rule."""

    bank: list[marking.BankQuestion]
    per_attempt: int
    pass_mark: int
    blueprint: marking.Blueprint

    @classmethod
    def of(cls, course: CourseLike) -> _Sitting:
        bank = [marking.BankQuestion(index, q.outcome) for index, q in enumerate(course.questions)]
        blueprint = marking.Blueprint.from_outcomes(o.as_blueprint() for o in course.outcomes)
        return cls(bank, course.questions_per_attempt, course.pass_mark, blueprint)

    def count_passes(self, table: dict[str, list[Marks]], attempts: int, rng: random.Random) -> dict[str, int]:
        """How many of `attempts` fresh draws each strategy passes; every strategy answers the same draws."""
        passes = dict.fromkeys(table, 0)
        for _ in range(attempts):
            drawn = marking.draw_questions(self.bank, self.per_attempt, rng, draws=self.blueprint.draws)
            outcomes = [self.bank[i].outcome for i in drawn]
            for name, per_question in table.items():
                marks = [_pick(per_question[i], rng) for i in drawn]
                result = marking.judge_marks(marks, self.pass_mark, outcomes=outcomes,
                                             critical_marks=self.blueprint.critical_marks)
                passes[name] += result.passed
        return passes


def _choose_best(sitting: _Sitting, table: dict[str, list[Marks]], kinds: Sequence[QuestionKind],
                 rng: random.Random) -> dict[QuestionKind, str]:
    """Per kind of question in the bank, the strategy the best combination takes.

    Start from each kind's highest expected mark, then, kind by kind, keep whichever strategy passes most
    often with the other kinds as chosen (one round of coordinate ascent) on `PILOT_ATTEMPTS` draws of its
    own: the strategy that is right most often need not pass most often once the draw and the critical
    outcomes have their say. The figure itself comes from fresh draws, so choosing does not inflate it.
    """
    present = [kind for kind in QuestionKind if kind in kinds]
    chosen = {kind: _best_expected(table, kinds, kind) for kind in present}
    for kind in present:
        trial = {name: _combine(table, chosen | {kind: name}, kinds) for name in _distinct_on(table, kinds, kind)}
        passes = sitting.count_passes(trial, PILOT_ATTEMPTS, rng)
        # When no candidate passes in the pilot (a well-written bank), the one right most often still leads:
        # the combination then shows the strongest guesser, not the first listed.
        chosen[kind] = max(trial, key=lambda name: (passes[name], _mean_mark(trial[name])))
    return chosen


def strategy_marks(questions: Sequence[QuestionLike], absolute_rule: AbsoluteRule) -> dict[str, list[Marks]]:
    """Per strategy, per question, the mark of each selection it picks between: worked out once, not per attempt."""
    cues = cues_of(questions, absolute_rule)
    keys = [_answer_key(q) for q in questions]
    return {name: [tuple(marking.mark_question(key, c) for c in picker(q, cues)) for q, key in zip(questions, keys)]
            for name, picker in PICKERS.items()}


def _combine(table: dict[str, list[Marks]], choice: dict[QuestionKind, str],
             kinds: Sequence[QuestionKind]) -> list[Marks]:
    """The column of a combination: each question answered by the strategy chosen for its kind."""
    return [table[choice[kind]][i] for i, kind in enumerate(kinds)]


def _best_expected(table: dict[str, list[Marks]], kinds: Sequence[QuestionKind], kind: QuestionKind) -> str:
    """The strategy with the highest expected mark over the bank's questions of one kind (ties: listed first)."""
    of_kind = [i for i, k in enumerate(kinds) if k == kind]

    def expected(name: str) -> Fraction:
        return sum((Fraction(sum(table[name][i]), len(table[name][i])) for i in of_kind), Fraction(0))

    return max(PICKERS, key=expected)  # max() keeps the first of equals


def _distinct_on(table: dict[str, list[Marks]], kinds: Sequence[QuestionKind], kind: QuestionKind) -> list[str]:
    """The strategies that answer one kind differently from every one listed before them (the rules for
    other kinds guess at random here, so trying them again would only spend draws)."""
    of_kind = [i for i, k in enumerate(kinds) if k == kind]
    seen: dict[tuple[Marks, ...], str] = {}
    for name in PICKERS:
        seen.setdefault(tuple(table[name][i] for i in of_kind), name)
    return list(seen.values())


def cues_of(questions: Sequence[QuestionLike], absolute_rule: AbsoluteRule) -> Cues:
    """The cues a guesser could learn from the bank's form across attempts."""
    counts = Counter(sum(o.is_correct for o in q.options) for q in questions if q.kind == QuestionKind.MULTIPLE)
    modal = max(counts, key=lambda n: (counts[n], n)) if counts else 1
    return Cues(modal_correct=modal, absolute_rule=absolute_rule)


# --- the strategies: each sees the options' form only ----------------------------------------


def pick_uniform(question: QuestionLike, cues: Cues) -> Choices:
    """One option at random; on a multi-select, any non-empty set of options, each set equally likely."""
    n = len(question.options)
    if question.kind != QuestionKind.MULTIPLE:
        return tuple(frozenset({i}) for i in range(n))
    return tuple(frozenset(c) for size in range(1, n + 1) for c in itertools.combinations(range(n), size))


def pick_longest(question: QuestionLike, cues: Cues) -> Choices:
    """The longest option (on true/false that is always "False"; on a multi-select, that option alone)."""
    return _extremes([len(o.text) for o in question.options], 1)


def pick_shortest(question: QuestionLike, cues: Cues) -> Choices:
    """The shortest option (on true/false always "True")."""
    return _extremes([-len(o.text) for o in question.options], 1)


def pick_second_longest(question: QuestionLike, cues: Cues) -> Choices:
    """The option second in length: what a guesser tries once they notice authors avoid making the key longest
    (on a multi-select, the bank's most common number of options after the longest)."""
    return _ranked(question, cues, 1)


def pick_third_longest(question: QuestionLike, cues: Cues) -> Choices:
    """The option third in length (on a multi-select, the most common number after the two longest)."""
    return _ranked(question, cues, 2)


def by_length(texts: Sequence[str]) -> list[int]:
    """Option indices from the longest text to the shortest, equals in listed order: the one reading of "the
    n-th longest option", used by the length-rank strategies here and the length-rank item check."""
    return sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))


def _ranked(question: QuestionLike, cues: Cues, skip: int) -> Choices:
    if question.kind == QuestionKind.TRUE_FALSE:
        return pick_uniform(question, cues)
    order = by_length([o.text for o in question.options])
    if question.kind == QuestionKind.MULTIPLE:
        return (frozenset(order[skip:skip + cues.modal_correct] or order[-1:]),)
    return (frozenset({order[min(skip, len(order) - 1)]}),)


def pick_avoiding_absolutes(question: QuestionLike, cues: Cues) -> Choices:
    """Never an option with an absolute word ("always", "never", "only"…): on a single-answer item one of the
    others at random, on a multi-select every other option ticked, on true/false the absolute-word rule."""
    if question.kind == QuestionKind.TRUE_FALSE:
        return pick_absolute_word(question, cues)
    hedged = [i for i, o in enumerate(question.options) if cues.absolute_rule(o.text) == "True"]
    if not hedged or len(hedged) == len(question.options):
        return pick_uniform(question, cues) if question.kind != QuestionKind.MULTIPLE or not hedged \
            else (frozenset(hedged),)
    if question.kind == QuestionKind.MULTIPLE:
        return (frozenset(hedged),)
    return tuple(frozenset({i}) for i in hedged)


def pick_absolute_word(question: QuestionLike, cues: Cues) -> Choices:
    """On true/false: False when the statement holds an absolute word, else True; otherwise at random."""
    if question.kind != QuestionKind.TRUE_FALSE:
        return pick_uniform(question, cues)
    answer = cues.absolute_rule(question.stem)
    return (frozenset(i for i, o in enumerate(question.options) if o.text == answer),)


def pick_reporting(question: QuestionLike, cues: Cues) -> Choices:
    """The option that tells the DSL, reports or records (`REPORTING_WORDS`): on a single-answer item one of
    those at random, on a multi-select all of them ticked; when no option or every option says so, and on
    true/false, at random."""
    if question.kind == QuestionKind.TRUE_FALSE:
        return pick_uniform(question, cues)
    passing_on = [i for i, o in enumerate(question.options) if REPORTING_WORDS.search(o.text)]
    if not passing_on or (len(passing_on) == len(question.options) and question.kind == QuestionKind.SINGLE):
        return pick_uniform(question, cues)
    if question.kind == QuestionKind.MULTIPLE:
        return (frozenset(passing_on),)
    return tuple(frozenset({i}) for i in passing_on)


def pick_modal_count(question: QuestionLike, cues: Cues) -> Choices:
    """On a multi-select: tick the bank's most common number of correct options, the longest; otherwise at random."""
    if question.kind != QuestionKind.MULTIPLE:
        return pick_uniform(question, cues)
    return _extremes([len(o.text) for o in question.options], cues.modal_correct)


PICKERS: dict[str, Picker] = {
    UNIFORM: pick_uniform,
    LONGEST: pick_longest,
    SECOND: pick_second_longest,
    THIRD: pick_third_longest,
    SHORTEST: pick_shortest,
    ABSOLUTE: pick_absolute_word,
    NO_ABSOLUTES: pick_avoiding_absolutes,
    MODAL: pick_modal_count,
    REPORTING: pick_reporting,
}


def _extremes(sizes: Sequence[int], k: int) -> Choices:
    """Every way to take the k largest sizes; options tied at the cut are taken in every combination."""
    k = min(k, len(sizes))
    cut = sorted(sizes, reverse=True)[k - 1]
    above = frozenset(i for i, size in enumerate(sizes) if size > cut)
    tied = [i for i, size in enumerate(sizes) if size == cut]
    return tuple(above | frozenset(c) for c in itertools.combinations(tied, k - len(above)))


def _pick(marks: Marks, rng: random.Random) -> Fraction:
    """The mark of one of the strategy's selections, each equally likely (no draw from `rng` when it has one)."""
    return marks[0] if len(marks) == 1 else marks[rng.randrange(len(marks))]


def _answer_key(question: QuestionLike) -> marking.AnswerKey:
    """The question's key with its options numbered from 0, as every strategy numbers them."""
    return marking.AnswerKey(
        kind=question.kind,
        option_ids=frozenset(range(len(question.options))),
        correct_ids=frozenset(i for i, o in enumerate(question.options) if o.is_correct),
        partial_credit=question.partial_credit,
    )
