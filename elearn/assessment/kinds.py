"""Question kinds: the one list of them, and per kind the one spec every layer reads.

The loader checks `questions.yaml` against a kind's spec, marking validates answer keys and
scores with it, and the question page asks it whether the learner ticks one option or several.
Adding a kind is one `QuestionKind` member and one `SPECS` entry (with a row in the table test,
tests/assessment/test_kinds.py, which fails for a member without a spec).

Pure: standard library only, so the models, the content loader and assessment can all import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from fractions import Fraction
from types import MappingProxyType


class QuestionKind(StrEnum):
    """A question type, as written in `questions.yaml` (`type:`) and stored in `questions.kind`."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class CorrectCount(Enum):
    """How many of a question's options may be correct; the value is how messages say it.

    Every rule needs at least one correct option: a question nobody can answer rightly is an
    authoring mistake, and the loader and the answer key both refuse it before asking the rule.
    """

    EXACTLY_ONE = "exactly one"
    AT_LEAST_ONE = "at least one"

    def allows(self, count: int) -> bool:
        """Whether `count` correct options satisfy this rule."""
        if self is CorrectCount.EXACTLY_ONE:
            return count == 1
        return count >= 1


# (every option, the correct ones, the learner's selection) -> the mark, from 0 to 1.
Marker = Callable[[frozenset[int], frozenset[int], frozenset[int]], Fraction]


def all_or_nothing(options: frozenset[int], correct: frozenset[int], selected: frozenset[int]) -> Fraction:
    """1 when the selection is exactly the correct options, otherwise 0."""
    return Fraction(1) if selected == correct else Fraction(0)


def share_judged_correctly(options: frozenset[int], correct: frozenset[int], selected: frozenset[int]) -> Fraction:
    """The share of options judged correctly: ticked when correct, left unticked when wrong."""
    # An option is misjudged exactly when it is in one set but not the other.
    misjudged = len(selected ^ correct)
    return Fraction(len(options) - misjudged, len(options))


@dataclass(frozen=True)
class KindSpec:
    """Everything that differs between question kinds; checked for consistency when built."""

    name: str  # how messages name the kind, e.g. "single-choice"
    min_options: int
    max_options: int
    correct: CorrectCount
    selects_many: bool  # True: checkboxes, any number ticked; False: radios, at most one ticked
    hint: str  # the instruction above the options on the question page
    marker: Marker = all_or_nothing
    partial_marker: Marker | None = None  # the marker when the author asks for partial credit; None: not allowed
    fixed_texts: tuple[str, ...] = ()  # the exact option texts a kind requires, in any order; (): free text

    def __post_init__(self) -> None:
        # A wrong entry in SPECS fails on import, not on the first learner who meets the kind.
        if not 1 <= self.min_options <= self.max_options:
            raise ValueError(f"{self.name}: the option range {self.min_options}-{self.max_options} is empty")
        if self.fixed_texts and not self.min_options == self.max_options == len(self.fixed_texts):
            raise ValueError(f"{self.name}: fixed option texts must set the option count")

    @property
    def allows_partial_credit(self) -> bool:
        return self.partial_marker is not None

    def marker_for(self, partial_credit: bool) -> Marker:
        """The scoring function for a question of this kind, with or without partial credit."""
        if not partial_credit:
            return self.marker
        if self.partial_marker is None:
            raise ValueError(f"a {self.name} question cannot give partial credit")
        return self.partial_marker

    def accepts_options(self, texts: Sequence[str]) -> bool:
        """Whether a question of this kind may have options with these texts (count, fixed texts)."""
        if self.fixed_texts:
            return sorted(texts) == sorted(self.fixed_texts)
        return self.min_options <= len(texts) <= self.max_options

    @property
    def options_rule(self) -> str:
        """The option rule in words, e.g. '2 to 6 options' or '2 options, True and False,'."""
        if self.fixed_texts:
            return f"{len(self.fixed_texts)} options, {' and '.join(self.fixed_texts)},"
        return f"{self.min_options} to {self.max_options} options"

    @property
    def rule(self) -> str:
        """The whole option rule as the loader reports it when a question breaks it."""
        return f"a {self.name} question has {self.options_rule} and {self.correct.value} correct"


SPECS: Mapping[QuestionKind, KindSpec] = MappingProxyType({
    QuestionKind.SINGLE: KindSpec(
        name="single-choice", min_options=2, max_options=6, correct=CorrectCount.EXACTLY_ONE,
        selects_many=False, hint="Select one answer.",
    ),
    QuestionKind.MULTIPLE: KindSpec(
        name="multiple-choice", min_options=2, max_options=8, correct=CorrectCount.AT_LEAST_ONE,
        selects_many=True, hint="Select all that apply.", partial_marker=share_judged_correctly,
    ),
    QuestionKind.TRUE_FALSE: KindSpec(
        name="true/false", min_options=2, max_options=2, correct=CorrectCount.EXACTLY_ONE,
        selects_many=False, hint="Select true or false.", fixed_texts=("True", "False"),
    ),
})


def spec_for(kind: QuestionKind | str) -> KindSpec:
    """The spec of a kind, given as the enum or as the text a String column reads back.

    Raises:
        ValueError: not a known kind.
    """
    return SPECS[QuestionKind(kind)]


def parse_kind(value: object) -> QuestionKind | None:
    """The kind an author wrote as `type:`, or None when it names no kind (or is not text)."""
    if not isinstance(value, str):
        return None
    try:
        return QuestionKind(value)
    except ValueError:
        return None


def partial_credit_names() -> str:
    """The kinds that may give partial credit, as messages name them, e.g. 'multiple-choice'."""
    return " or ".join(spec.name for spec in SPECS.values() if spec.allows_partial_credit)
