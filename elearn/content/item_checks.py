"""Item-writing checks: the cues a test-wise learner uses, refused before a bank ships.

`flask courses check` and `flask courses sync` run these after the loader has accepted a course.
Each rule is one function over the parsed course; every limit is in `LIMITS`, the one place to
change them. The reasons behind each rule are in ITEM-WRITING.md (Haladyna, Downing and Rodriguez
2002; Case and Swanson's NBME guide): a key that is the longest option, a constant number of
correct options, absolute words in true/false statements and "all of the above" let a learner who
knows nothing of the subject pass; an item that copies a lesson's case tests recall, not transfer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from elearn.assessment.kinds import QuestionKind
from elearn.assessment.simulate import by_length
from elearn.content.loader import Fault, ParsedCourse, ParsedQuestion


@dataclass(frozen=True)
class Limits:
    min_single_options: int = 4  # with three options a blind guess is right a third of the time
    key_longest_share: Fraction = Fraction(1, 3)  # fair share is 1 in 4 with four options
    # No length rank (longest, second longest, ...) may hold the key in more than this share of single-answer
    # items. Fair share with four options is 1 in 4; over a bank of 30-37 singles binomial noise is about 7-8
    # points, so 40% is two standard errors above fair share: a bank whose keys fell at random ranks goes over
    # it about one time in forty per rank, while a habit (keys trimmed to just under the longest distractor, the
    # FGM bank's 59% second longest) is caught. The key-longest rule above stays the stricter one for rank 1.
    key_length_rank_share: Fraction = Fraction(2, 5)
    key_length_ratio: Fraction = Fraction(3, 2)  # a key this much longer than every distractor stands out
    modal_correct_count_share: Fraction = Fraction(1, 2)  # of multi-selects, one count of correct options
    true_false_share: Fraction = Fraction(1, 10)
    absolute_rule_accuracy: Fraction = Fraction(3, 4)  # "absolute word, so False" must not work this often
    applied_share: Fraction = Fraction(3, 4)  # cases asking for a decision, not recall
    shingle_words: int = 5
    copied_shingle_share: Fraction = Fraction(1, 4)  # a stem's 5-word runs found in one lesson
    copied_run_words: int = 10  # any run this long found in a lesson is copying
    # Shares over a handful of items are noise, so the bank-wide rules start at this size. Every
    # shipped bank is far above it (the course standard asks six items per outcome).
    min_bank_for_shares: int = 12


LIMITS = Limits()

# The words test-wise learners read as "so it is false". Kept to the classic absolutes: with softer words
# ("any", "no", "without") the rule misfires more often, so the simulator's absolute-word strategy, which
# uses this list too, is stronger without them.
ABSOLUTE_WORDS = frozenset({
    "all", "always", "cannot", "completely", "entirely", "every", "everyone", "must", "never", "none",
    "nothing", "only",
})  # fmt: skip
ABOVE = re.compile(r"\b(all|none|both|neither) of the (above|options)\b", re.IGNORECASE)
CITED_SOURCE = re.compile(r"\([^()]{3,}\)[.\s]*$")
WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def check_items(course: ParsedCourse, folder: Path, limits: Limits = LIMITS) -> list[Fault]:
    """Every item-writing fault in a loaded course, as questions.yaml:line: problem."""
    path = str(folder / "questions.yaml")
    faults = [Fault(path, line, message) for line, message in _item_problems(course, limits)]
    faults += [Fault(path, 1, message) for message in _bank_problems(course.questions, limits)]
    return sorted(faults, key=lambda fault: fault.line)


# --- one item at a time ------------------------------------------------------------------------


def _item_problems(course: ParsedCourse, limits: Limits) -> Iterable[tuple[int, str]]:
    lessons = [(lesson.slug, _shingles(_words(lesson.body_markdown), limits.shingle_words),
                _shingles(_words(lesson.body_markdown), limits.copied_run_words)) for lesson in course.lessons]
    for question in course.questions:
        for rule in ITEM_RULES:
            problem = rule(question, limits)
            if problem:
                yield question.line, f"{question.key}: {problem}"
        copied = _copied_lesson(question, lessons, limits)
        if copied:
            yield question.line, f"{question.key}: {copied}"


def _too_few_options(question: ParsedQuestion, limits: Limits) -> str | None:
    if question.kind == QuestionKind.SINGLE and len(question.options) < limits.min_single_options:
        return (f"a single-answer item needs at least {limits.min_single_options} options "
                f"(it has {len(question.options)}), so a blind guess is rarely right")
    return None


def _key_much_longer(question: ParsedQuestion, limits: Limits) -> str | None:
    if question.kind != QuestionKind.SINGLE:
        return None
    keys = [len(o.text) for o in question.options if o.is_correct]
    distractors = [len(o.text) for o in question.options if not o.is_correct]
    if keys and distractors and keys[0] >= limits.key_length_ratio * max(distractors):
        return (f"the correct option ({keys[0]} characters) is at least {float(limits.key_length_ratio):g} times "
                f"as long as every distractor (longest {max(distractors)}): make the options similar in length")
    return None


def _all_or_none_of_the_above(question: ParsedQuestion, limits: Limits) -> str | None:
    if any(ABOVE.search(option.text) for option in question.options):
        return "'all of the above' / 'none of the above' options are not allowed: write each option out"
    return None


def _near_duplicate_options(question: ParsedQuestion, limits: Limits) -> str | None:
    normalised = [" ".join(_words(option.text)) for option in question.options]
    if len(set(normalised)) != len(normalised):
        return "two options differ only in case or punctuation"
    return None


def _every_option_correct(question: ParsedQuestion, limits: Limits) -> str | None:
    if question.kind == QuestionKind.MULTIPLE and all(option.is_correct for option in question.options):
        return "every option is correct, so ticking everything scores full marks: add a wrong option"
    return None


def _explanation_without_source(question: ParsedQuestion, limits: Limits) -> str | None:
    if not CITED_SOURCE.search(question.explanation):
        return "the explanation must end with its source in parentheses, e.g. (KCSIE 2026, Part one)"
    return None


ITEM_RULES: Sequence[Callable[[ParsedQuestion, Limits], str | None]] = (
    _too_few_options, _key_much_longer, _all_or_none_of_the_above, _near_duplicate_options,
    _every_option_correct, _explanation_without_source,
)  # fmt: skip


def _copied_lesson(question: ParsedQuestion, lessons: list[tuple[str, set[tuple[str, ...]], set[tuple[str, ...]]]],
                   limits: Limits) -> str | None:
    words = _words(question.stem)
    stem_shingles = _shingles(words, limits.shingle_words)
    stem_runs = _shingles(words, limits.copied_run_words)
    for slug, shingles, runs in lessons:
        if stem_runs & runs:
            return f"the stem repeats a run of {limits.copied_run_words} words from lesson {slug}: write a new case"
        if stem_shingles and Fraction(len(stem_shingles & shingles), len(stem_shingles)) > limits.copied_shingle_share:
            share = len(stem_shingles & shingles) / len(stem_shingles)
            return (f"the stem shares {share:.0%} of its {limits.shingle_words}-word runs with lesson {slug} "
                    f"(at most {float(limits.copied_shingle_share):.0%}): test the judgement on a new case")
    return None


# --- the bank as a whole -----------------------------------------------------------------------


def _bank_problems(questions: Sequence[ParsedQuestion], limits: Limits) -> Iterable[str]:
    if len(questions) < limits.min_bank_for_shares:
        return
    singles = [q for q in questions if q.kind == QuestionKind.SINGLE]
    longest = [q.key for q in singles if key_is_longest(q)]
    if singles and Fraction(len(longest), len(singles)) > limits.key_longest_share:
        yield (f"the correct option is the longest in {len(longest)} of {len(singles)} single-answer items "
               f"(at most {_percent(limits.key_longest_share)}): {', '.join(longest)}")
    ranks = Counter(key_length_rank(q) for q in singles)
    if singles:
        rank, times = max(ranks.items(), key=lambda item: (item[1], -item[0]))
        if Fraction(times, len(singles)) > limits.key_length_rank_share:
            at_rank = [q.key for q in singles if key_length_rank(q) == rank]
            yield (f"the correct option is {_length_rank_name(rank)} in {times} of {len(singles)} single-answer "
                   f"items (at most {_percent(limits.key_length_rank_share)} at any one length rank): lengthen a "
                   f"distractor or tighten the key in some of {', '.join(at_rank)}")
    multiples = [q for q in questions if q.kind == QuestionKind.MULTIPLE]
    counts = Counter(sum(o.is_correct for o in q.options) for q in multiples)
    if len(multiples) >= 3 and Fraction(max(counts.values()), len(multiples)) > limits.modal_correct_count_share:
        modal, times = counts.most_common(1)[0]
        yield (f"{times} of {len(multiples)} multi-select items have exactly {modal} correct options "
               f"(at most {_percent(limits.modal_correct_count_share)}): vary how many are correct")
    true_false = [q for q in questions if q.kind == QuestionKind.TRUE_FALSE]
    if Fraction(len(true_false), len(questions)) > limits.true_false_share:
        yield (f"{len(true_false)} of {len(questions)} items are true/false (at most "
               f"{_percent(limits.true_false_share)}): prefer single-best-answer items")
    right = [q.key for q in true_false if absolute_word_rule(q.stem) == _key_text(q)]
    if len(true_false) >= 3 and Fraction(len(right), len(true_false)) >= limits.absolute_rule_accuracy:
        yield (f"answering 'False' when a statement has an absolute word is right in {len(right)} of "
               f"{len(true_false)} true/false items: use absolutes in true statements too")
    applied = sum(q.applied for q in questions)
    if Fraction(applied, len(questions)) < limits.applied_share:
        yield (f"{applied} of {len(questions)} items are applied cases (at least {_percent(limits.applied_share)}); "
               "mark a case asking for a decision with 'applied: true'")


# --- shared with the guessing simulator --------------------------------------------------------


def key_is_longest(question: ParsedQuestion) -> bool:
    """Whether the single correct option is strictly longer than every distractor."""
    key = max((len(o.text) for o in question.options if o.is_correct), default=0)
    return all(len(o.text) < key for o in question.options if not o.is_correct)


def key_length_rank(question: ParsedQuestion) -> int:
    """Where the single correct option falls when the options are put longest first: 1 for the longest, 2 for the
    second longest... Equal lengths keep their listed order, as the simulator's length-rank strategies read them."""
    order = by_length([o.text for o in question.options])
    return 1 + next(place for place, i in enumerate(order) if question.options[i].is_correct)


def absolute_word_rule(statement: str) -> str:
    """The test-wise answer to a true/false statement: "False" when it has an absolute word."""
    return "False" if ABSOLUTE_WORDS & set(_words(statement)) else "True"


def _key_text(question: ParsedQuestion) -> str:
    return next(option.text for option in question.options if option.is_correct)


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _shingles(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def _length_rank_name(rank: int) -> str:
    return {1: "the longest", 2: "the second longest", 3: "the third longest"}.get(rank, f"number {rank} by length")


def _percent(share: Fraction) -> str:
    return f"{float(share):.0%}"
