import ast
import random
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.assessment import kinds, marking
from elearn.assessment.kinds import QuestionKind, spec_for
from elearn.assessment.marking import (
    AnswerKey,
    BankQuestion,
    Result,
    draw_questions,
    judge_marks,
    mark_question,
    score,
    shuffle_options,
)

# database=None: keep Hypothesis from writing .hypothesis/ into the shared working tree.
FAST = settings(max_examples=200, deadline=None, database=None)

SINGLE = QuestionKind.SINGLE
MULTIPLE = QuestionKind.MULTIPLE
TRUE_FALSE = QuestionKind.TRUE_FALSE


def ticks(*option_ids: int) -> frozenset[int]:
    return frozenset(option_ids)


# Options 1-4; option 2 is correct.
SINGLE_KEY = AnswerKey(SINGLE, ticks(1, 2, 3, 4), ticks(2))
# Option 1 is "True" and is correct; option 2 is "False".
TRUE_FALSE_KEY = AnswerKey(TRUE_FALSE, ticks(1, 2), ticks(1))
# Options 1-4; options 1 and 2 are correct.
MULTIPLE_KEY = AnswerKey(MULTIPLE, ticks(1, 2, 3, 4), ticks(1, 2))
PARTIAL_KEY = AnswerKey(MULTIPLE, ticks(1, 2, 3, 4), ticks(1, 2), partial_credit=True)


# --- mark_question: one table per question type -------------------------------------------


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (ticks(2),    1),
        (ticks(3),    0),
        (ticks(),     0),
        (ticks(2, 3), 0),
        (ticks(1, 3), 0),
    ],
    ids=["right", "wrong", "empty", "right-and-wrong", "two-wrong"],
)
def test_single_answer_scores_only_the_one_correct_option(selected, expected):
    assert mark_question(SINGLE_KEY, selected) == expected


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (ticks(1),    1),
        (ticks(2),    0),
        (ticks(),     0),
        (ticks(1, 2), 0),
    ],
    ids=["right", "wrong", "empty", "both"],
)
def test_true_false_scores_only_the_correct_choice(selected, expected):
    assert mark_question(TRUE_FALSE_KEY, selected) == expected


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (ticks(1, 2),       1),
        (ticks(1),          0),
        (ticks(1, 2, 3),    0),
        (ticks(),           0),
        (ticks(1, 2, 3, 4), 0),
        (ticks(3, 4),       0),
    ],
    ids=["all-right", "one-missing", "one-extra", "empty", "everything", "only-wrong"],
)
def test_multiple_all_or_nothing_scores_only_the_exact_set(selected, expected):
    assert mark_question(MULTIPLE_KEY, selected) == expected


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (ticks(1, 2),       Fraction(4, 4)),
        (ticks(1),          Fraction(3, 4)),
        (ticks(1, 2, 3),    Fraction(3, 4)),
        (ticks(1, 3),       Fraction(2, 4)),
        (ticks(),           Fraction(2, 4)),  # both wrong options rightly left unticked
        (ticks(1, 2, 3, 4), Fraction(2, 4)),  # both right options rightly ticked
        (ticks(3),          Fraction(1, 4)),
        (ticks(3, 4),       Fraction(0, 4)),
    ],
    ids=["all-right", "one-missing", "one-extra", "one-right-one-wrong", "empty", "everything",
         "one-wrong", "only-wrong"],
)
def test_multiple_partial_credit_scores_the_share_of_options_judged_correctly(selected, expected):
    assert mark_question(PARTIAL_KEY, selected) == expected


@pytest.mark.parametrize("key", [SINGLE_KEY, TRUE_FALSE_KEY, MULTIPLE_KEY, PARTIAL_KEY],
                         ids=["single", "true_false", "multiple", "partial"])
def test_a_selection_with_an_unknown_option_is_rejected(key):
    with pytest.raises(ValueError, match="not part of this question"):
        mark_question(key, ticks(min(key.correct_ids), 99))


@pytest.mark.parametrize(
    ("kind",     "options",          "correct",    "partial", "problem"),
    [
        (SINGLE,     ticks(1, 2, 3), ticks(),      False, "at least one correct"),
        (MULTIPLE,   ticks(1, 2, 3), ticks(3, 4),  False, "must be one of"),
        (SINGLE,     ticks(1, 2, 3), ticks(1, 2),  False, "exactly one correct"),
        (TRUE_FALSE, ticks(1, 2),    ticks(1, 2),  False, "exactly one correct"),
        (TRUE_FALSE, ticks(1, 2, 3), ticks(1),     False, "exactly 2 options"),
        (SINGLE,     ticks(1, 2, 3), ticks(1),     True,  "only a multiple-choice"),
        (TRUE_FALSE, ticks(1, 2),    ticks(1),     True,  "only a multiple-choice"),
    ],
)
def test_an_inconsistent_answer_key_is_refused(kind, options, correct, partial, problem):
    with pytest.raises(ValueError, match=problem):
        AnswerKey(kind, options, correct, partial_credit=partial)


def test_a_kind_read_back_as_plain_text_is_understood():
    key = AnswerKey("multiple", ticks(1, 2, 3), ticks(1, 2), partial_credit=True)  # type: ignore[arg-type]
    assert key.kind is MULTIPLE
    assert mark_question(key, ticks(1)) == Fraction(2, 3)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="essay"):
        AnswerKey("essay", ticks(1, 2), ticks(1))  # type: ignore[arg-type]


# --- score: the pass mark ------------------------------------------------------------------


def answer_worth(share: Fraction) -> tuple[AnswerKey, frozenset[int]]:
    """A partial-credit question and a selection that earns exactly `share`."""
    n = max(share.denominator, 2)
    misjudged = n - int(share * n)
    key = AnswerKey(MULTIPLE, frozenset(range(n)), ticks(0), partial_credit=True)
    if misjudged == n:  # tick every wrong option and leave the right one
        return key, frozenset(range(1, n))
    # tick the right option plus `misjudged` wrong ones
    return key, frozenset(range(misjudged + 1))


def score_of(shares: list[Fraction], pass_mark: int = 80) -> Result:
    answered = [answer_worth(share) for share in shares]
    return score([key for key, _ in answered], [selected for _, selected in answered], pass_mark)


ONE, NONE = Fraction(1), Fraction(0)


@pytest.mark.parametrize(
    ("shares",                                     "pass_mark", "percent",                    "passed", "shown"),
    [
        ([ONE] * 10 + [NONE] * 2,                          80, 100 * Fraction(10, 12),                 True,  83),
        ([ONE] * 9 + [Fraction(3, 5)] + [NONE] * 2,        80, Fraction(80),                           True,  80),
        ([ONE] * 9 + [Fraction(4, 7)] + [NONE] * 2,        80, 100 * (9 + Fraction(4, 7)) / 12,        False, 79),
        ([ONE] * 79 + [Fraction(99, 100)] + [NONE] * 20,   80, Fraction("79.99"),                      False, 79),
        ([ONE] * 80 + [NONE] * 20,                         80, Fraction(80),                           True,  80),
        ([ONE] * 8,                                       100, Fraction(100),                          True,  100),
        ([ONE] * 7 + [Fraction(7, 8)],                    100, Fraction("98.4375"),                    False, 98),
        ([NONE] * 3,                                        1, Fraction(0),                            False, 0),
        ([Fraction(1, 2)] * 49 + [NONE],                   50, Fraction(49),                           False, 49),
    ],
    ids=["10-of-12", "9.6-of-12-is-exactly-80", "9.57-of-12", "79.99", "80-of-100", "all-at-100",
         "one-slip-at-100", "nothing-at-1", "49-at-50"],
)
def test_passes_exactly_at_the_pass_mark_and_shows_the_score_rounded_down(
    shares, pass_mark, percent, passed, shown
):
    result = score_of(shares, pass_mark)
    assert result.score_percent == percent
    assert result.passed is passed
    assert result.display_percent == shown


def test_exact_arithmetic_passes_a_score_that_floats_would_put_just_below_the_mark():
    shares = [Fraction(1, 5), Fraction(2, 3), Fraction(2, 3), Fraction(2, 3)] + [ONE] * 5
    assert 100 * sum(float(share) for share in shares) / len(shares) < 80  # the trap
    result = score_of(shares, pass_mark=80)
    assert result.score_percent == 80
    assert result.passed
    assert result.display_percent == 80


@pytest.mark.parametrize(
    ("percent",             "shown"),
    [
        (Fraction(7999, 100), 79),
        (Fraction(799, 10),   79),
        (Fraction(80),        80),
        (Fraction(250, 3),    83),
        (Fraction(1, 3),      0),
        (Fraction(0),         0),
        (Fraction(100),       100),
    ],
)
def test_display_percent_rounds_down(percent, shown):
    assert Result(marks=(ONE,), score_percent=percent, passed=False).display_percent == shown


def test_score_keeps_each_questions_mark_in_order():
    result = score([SINGLE_KEY, PARTIAL_KEY, TRUE_FALSE_KEY], [ticks(2), ticks(1, 3), ticks(2)], 80)
    assert result.marks == (1, Fraction(1, 2), 0)
    assert result.score_percent == 50


@pytest.mark.parametrize(
    ("keys",                      "selections",          "pass_mark", "problem"),
    [
        ([],                          [],                    80, "at least one question"),
        ([SINGLE_KEY],                [],                    80, "1 questions but 0"),
        ([SINGLE_KEY],                [ticks(2), ticks(2)],  80, "1 questions but 2"),
        ([SINGLE_KEY],                [ticks(2)],             0, "from 1 to 100"),
        ([SINGLE_KEY],                [ticks(2)],           101, "from 1 to 100"),
        ([SINGLE_KEY],                [ticks(7)],            80, "not part of this question"),
    ],
    ids=["no-questions", "too-few-selections", "too-many-selections", "pass-mark-0",
         "pass-mark-101", "unknown-option"],
)
def test_score_refuses_malformed_input(keys, selections, pass_mark, problem):
    with pytest.raises(ValueError, match=problem):
        score(keys, selections, pass_mark)


# --- critical outcomes ---------------------------------------------------------------------


def judged(per_outcome: dict[str, list[Fraction]], pass_mark: int = 80, critical: dict[str, int] | None = None) -> Result:
    """Judge marks given per outcome (the order inside an attempt does not matter to the rule)."""
    outcomes = [outcome for outcome, marks in per_outcome.items() for _ in marks]
    marks = [mark for marks in per_outcome.values() for mark in marks]
    return judge_marks(marks, pass_mark, outcomes=outcomes, critical_marks=critical or {})


HALF = Fraction(1, 2)


@pytest.mark.parametrize(
    ("per_outcome",                                               "critical",           "passed", "missed"),
    [
        ({"LO1": [ONE] * 10, "LO2": [NONE, NONE]},                  {"LO2": 100},         False,    ("LO2",)),
        ({"LO1": [ONE] * 10, "LO2": [NONE, NONE]},                  {},                   True,     ()),
        ({"LO1": [ONE] * 10, "LO2": [ONE, NONE]},                   {"LO2": 100},         False,    ("LO2",)),
        ({"LO1": [ONE] * 10, "LO2": [ONE, NONE]},                   {"LO2": 50},          True,     ()),
        ({"LO1": [ONE] * 10, "LO2": [ONE, ONE, NONE]},              {"LO2": 67},          False,    ("LO2",)),
        ({"LO1": [ONE] * 10, "LO2": [ONE, ONE, NONE]},              {"LO2": 66},          True,     ()),
        ({"LO1": [ONE] * 10, "LO2": [ONE, HALF]},                   {"LO2": 75},          True,     ()),
        ({"LO1": [ONE] * 10, "LO2": [ONE, Fraction(1, 3)]},         {"LO2": 67},          False,    ("LO2",)),
        ({"LO1": [ONE] * 10, "LO2": [ONE, ONE]},                    {"LO2": 100},         True,     ()),
        ({"LO1": [ONE, NONE], "LO2": [NONE] * 2, "LO3": [ONE] * 8}, {"LO1": 100, "LO2": 50}, False, ("LO1", "LO2")),
        ({"LO1": [NONE] * 9, "LO2": [ONE, ONE, ONE]},               {"LO2": 100},         False,    ()),
    ],
    ids=["all-critical-wrong", "same-marks-no-critical", "one-critical-slip", "half-needed-half-right",
         "two-thirds-below-67", "two-thirds-at-66", "partial-credit-counts-its-fraction", "partial-below",
         "all-critical-right", "two-missed-in-id-order", "critical-right-total-short"],
)
def test_a_pass_needs_the_pass_mark_and_every_critical_outcome_at_its_own_mark(per_outcome, critical, passed, missed):
    result = judged(per_outcome, critical=critical)
    assert result.passed is passed
    assert result.critical_missed == missed


def test_a_learner_who_fails_every_critical_item_fails_whatever_their_total():
    result = judged({"LO1": [ONE] * 98, "LO2": [NONE, NONE]}, pass_mark=80, critical={"LO2": 100})
    assert result.score_percent == 98 and not result.passed
    assert result.critical_missed == ("LO2",)


def test_score_judges_critical_outcomes_from_the_answers():
    keys = [SINGLE_KEY, SINGLE_KEY, SINGLE_KEY, TRUE_FALSE_KEY, TRUE_FALSE_KEY]
    right_elsewhere = [ticks(2), ticks(2), ticks(2), ticks(2), ticks(1)]  # the first true/false is wrong
    outcomes = ["LO1", "LO1", "LO1", "LO2", "LO2"]
    result = score(keys, right_elsewhere, 80, outcomes=outcomes, critical_marks={"LO2": 100})
    assert result.score_percent == 80 and not result.passed and result.critical_missed == ("LO2",)
    assert score(keys, right_elsewhere, 80, outcomes=outcomes).passed


def test_outcome_scores_give_each_outcomes_percentage_and_the_outcomes_to_revisit():
    result = judged({"LO2": [ONE, HALF], "LO1": [ONE, ONE, NONE], "LO3": [ONE]}, pass_mark=80,
                    critical={"LO2": 70})
    assert result.outcome_scores == {"LO1": Fraction(200, 3), "LO2": Fraction(75), "LO3": Fraction(100)}
    assert list(result.outcome_scores) == ["LO1", "LO2", "LO3"]
    # LO1 is below the pass mark; LO2 is critical and above its own 70.
    assert result.outcomes_to_revisit == ("LO1",)
    assert result.critical_missed == ()


def test_a_critical_outcome_the_attempt_did_not_draw_is_not_judged():
    """The knowledge check need not draw a critical outcome; its result passes nobody anyway."""
    result = judged({"LO1": [ONE] * 4}, critical={"LO2": 100})
    assert result.passed and result.critical_missed == ()


def test_questions_without_an_outcome_count_in_the_total_only():
    result = judge_marks([ONE, NONE, ONE], 50, outcomes=[None, "LO1", None])
    assert result.outcome_scores == {"LO1": 0}
    assert result.score_percent == Fraction(200, 3) and result.passed


@pytest.mark.parametrize(
    ("marks",         "outcomes",      "pass_mark", "problem"),
    [
        ([],              [],              80,         "at least one question"),
        ([ONE, ONE],      ["LO1"],         80,         "2 questions but 1 outcomes"),
        ([ONE],           ["LO1"],         0,          "from 1 to 100"),
    ],
)
def test_judge_marks_refuses_malformed_input(marks, outcomes, pass_mark, problem):
    with pytest.raises(ValueError, match=problem):
        judge_marks(marks, pass_mark, outcomes=outcomes)


@FAST
@given(st.lists(st.tuples(st.sampled_from(["LO1", "LO2", "LO3"]),
                          st.fractions(min_value=0, max_value=1, max_denominator=6)), min_size=1, max_size=20),
       st.integers(1, 100), st.integers(1, 100))
def test_passed_means_pass_mark_reached_and_each_critical_outcome_at_its_mark(answers, pass_mark, critical_mark):
    outcomes = [outcome for outcome, _ in answers]
    marks = [mark for _, mark in answers]
    result = judge_marks(marks, pass_mark, outcomes=outcomes, critical_marks={"LO2": critical_mark})
    lo2 = [mark for outcome, mark in answers if outcome == "LO2"]
    lo2_ok = not lo2 or 100 * sum(lo2, Fraction(0)) / len(lo2) >= critical_mark
    assert result.passed == (result.score_percent >= pass_mark and lo2_ok)
    assert result.critical_missed == (() if lo2_ok else ("LO2",))


# --- draw_questions ------------------------------------------------------------------------


def make_bank(**sizes: int) -> list[BankQuestion]:
    """A bank with `sizes[outcome]` questions per outcome, ids numbered from 1 in order."""
    outcomes = [outcome for outcome, size in sizes.items() for _ in range(size)]
    return [BankQuestion(id=i, outcome=outcome) for i, outcome in enumerate(outcomes, start=1)]


def outcomes_of(bank: list[BankQuestion], ids: list[int]) -> Counter[str | None]:
    by_id = {question.id: question.outcome for question in bank}
    return Counter(by_id[i] for i in ids)


def ids_of(bank: list[BankQuestion], outcome: str) -> set[int]:
    return {question.id for question in bank if question.outcome == outcome}


SEEDS = range(40)


@pytest.mark.parametrize("count", [1, 5, 12, 24])
def test_draw_returns_count_distinct_questions_from_the_bank(count):
    bank = make_bank(LO1=6, LO2=6, LO3=6, LO4=6)
    for seed in SEEDS:
        drawn = draw_questions(bank, count, random.Random(seed))
        assert len(drawn) == len(set(drawn)) == count
        assert set(drawn) <= {question.id for question in bank}


def test_every_outcome_is_tested_when_the_attempt_has_room_for_each():
    bank = make_bank(LO1=1, LO2=2, LO3=3, LO4=10, LO5=10)
    for seed in SEEDS:
        drawn = draw_questions(bank, 5, random.Random(seed))
        assert outcomes_of(bank, drawn) == Counter(LO1=1, LO2=1, LO3=1, LO4=1, LO5=1)


@pytest.mark.parametrize(
    ("count", "expected_per_outcome"),
    [
        (12, {3}),
        (10, {2, 3}),
        (4,  {1}),
        (3,  {0, 1}),
    ],
)
def test_outcomes_are_balanced_within_one_when_the_bank_allows(count, expected_per_outcome):
    bank = make_bank(LO1=6, LO2=6, LO3=6, LO4=6)
    for seed in SEEDS:
        per_outcome = outcomes_of(bank, draw_questions(bank, count, random.Random(seed)))
        counts = [per_outcome[outcome] for outcome in ("LO1", "LO2", "LO3", "LO4")]
        assert set(counts) <= expected_per_outcome
        assert max(counts) - min(counts) <= 1


def test_which_outcome_misses_out_on_a_short_attempt_varies_between_attempts():
    """The outcome order is shuffled too, so no outcome is always the one left out."""
    bank = make_bank(LO1=6, LO2=6, LO3=6, LO4=6)
    left_out = set()
    for seed in SEEDS:
        drawn = outcomes_of(bank, draw_questions(bank, 3, random.Random(seed)))
        left_out |= {"LO1", "LO2", "LO3", "LO4"} - set(drawn)
    assert left_out == {"LO1", "LO2", "LO3", "LO4"}


def test_every_question_in_the_bank_is_drawn_by_some_attempt():
    """Each outcome's questions are shuffled, so none is always passed over."""
    bank = make_bank(LO1=6, LO2=6)
    drawn = set()
    for seed in SEEDS:
        drawn |= set(draw_questions(bank, 4, random.Random(seed)))
    assert drawn == {question.id for question in bank}


def test_a_small_outcome_gives_all_its_questions_and_the_others_share_the_rest():
    bank = make_bank(LO1=1, LO2=10, LO3=10)
    for seed in SEEDS:
        per_outcome = outcomes_of(bank, draw_questions(bank, 12, random.Random(seed)))
        assert per_outcome["LO1"] == 1
        assert sorted([per_outcome["LO2"], per_outcome["LO3"]]) == [5, 6]


def test_a_bank_without_outcomes_is_drawn_as_one_group():
    bank = [BankQuestion(id=i, outcome=None) for i in range(1, 21)]
    drawn = draw_questions(bank, 12, random.Random(1))
    assert len(set(drawn)) == 12
    assert set(drawn) <= set(range(1, 21))


def test_excluded_questions_are_not_drawn_when_the_rest_of_the_bank_suffices():
    bank = make_bank(LO1=4, LO2=4, LO3=4)
    excluded = {1, 2, 5, 6}
    for seed in SEEDS:
        drawn = draw_questions(bank, 8, random.Random(seed), exclude=excluded)
        assert sorted(drawn) == [3, 4, 7, 8, 9, 10, 11, 12]


def test_excluded_questions_stay_out_even_if_that_leaves_an_outcome_untested():
    """Exclusion outranks coverage: when LO1's only question was just seen, LO1 is skipped."""
    bank = make_bank(LO1=1, LO2=5, LO3=5)
    for seed in SEEDS:
        drawn = draw_questions(bank, 6, random.Random(seed), exclude={1})
        assert 1 not in drawn
        assert outcomes_of(bank, drawn) == Counter(LO2=3, LO3=3)


def test_too_few_fresh_questions_fall_back_to_the_fewest_excluded_ones():
    bank = make_bank(LO1=5, LO2=5)
    excluded = {1, 2, 3, 4, 6, 7, 8, 9}
    for seed in SEEDS:
        drawn = draw_questions(bank, 6, random.Random(seed), exclude=excluded)
        assert len(set(drawn)) == 6
        assert {5, 10} <= set(drawn)
        assert len(set(drawn) & excluded) == 4


def test_the_fallback_repeats_questions_from_the_outcomes_the_fresh_ones_cover_least():
    bank = make_bank(LO1=4, LO2=2)  # ids 1-4 test LO1, 5-6 test LO2
    excluded = {3, 4, 5, 6}  # LO1 has two fresh questions, LO2 none
    for seed in SEEDS:
        drawn = draw_questions(bank, 4, random.Random(seed), exclude=excluded)
        assert sorted(drawn) == [1, 2, 5, 6]


def test_an_attempt_is_possible_even_when_every_question_is_excluded():
    bank = make_bank(LO1=3, LO2=3)
    drawn = draw_questions(bank, 4, random.Random(7), exclude={1, 2, 3, 4, 5, 6})
    assert len(set(drawn)) == 4
    assert outcomes_of(bank, drawn) == Counter(LO1=2, LO2=2)


def test_questions_seen_in_any_earlier_attempt_are_avoided_not_only_the_last():
    bank = make_bank(LO1=6, LO2=6)  # ids 1-6 test LO1, 7-12 LO2
    history = [[1, 2, 7, 8], [3, 4, 9, 10]]
    for seed in SEEDS:
        assert sorted(draw_questions(bank, 4, random.Random(seed), history=history)) == [5, 6, 11, 12]


def test_when_unseen_questions_run_short_the_least_recently_seen_repeat_first():
    bank = make_bank(LO1=6)
    history = [[1, 2], [3, 4], [5, 6]]  # every question seen; 1 and 2 longest ago
    for seed in SEEDS:
        assert sorted(draw_questions(bank, 2, random.Random(seed), history=history)) == [1, 2]


def test_of_equally_recent_questions_the_least_often_seen_repeat_first():
    bank = make_bank(LO1=4)
    history = [[1, 2], [1, 3], [2, 4], [1, 2, 3, 4]]  # all last seen in attempt 4; 3 and 4 seen twice, 1 and 2 thrice
    for seed in SEEDS:
        assert sorted(draw_questions(bank, 2, random.Random(seed), history=history)) == [3, 4]


def test_exclude_counts_as_the_most_recent_earlier_attempt():
    bank = make_bank(LO1=4)
    for seed in SEEDS:
        # 1-2 were seen in the older attempt, 3-4 in the excluded (latest) one: the older ones repeat.
        drawn = draw_questions(bank, 2, random.Random(seed), exclude={3, 4}, history=[[1, 2]])
        assert sorted(drawn) == [1, 2]


@pytest.mark.parametrize(
    ("bank",                                                     "count", "problem"),
    [
        (make_bank(LO1=3, LO2=2),                                       6, "holds 5 questions"),
        ([],                                                            1, "holds 0 questions"),
        (make_bank(LO1=3),                                              0, "at least one"),
        ([BankQuestion(1, "LO1"), BankQuestion(1, "LO2")],              1, "repeats"),
    ],
    ids=["bank-too-small", "empty-bank", "zero-count", "duplicate-id"],
)
def test_draw_refuses_an_impossible_request(bank, count, problem):
    with pytest.raises(ValueError, match=problem):
        draw_questions(bank, count, random.Random(0))


def test_draw_is_deterministic_for_a_seed_whatever_the_bank_order():
    bank = make_bank(LO1=5, LO2=5, LO3=5)
    first = draw_questions(bank, 9, random.Random(42), exclude={1, 6})
    again = draw_questions(list(reversed(bank)), 9, random.Random(42), exclude={6, 1})
    assert first == again


def test_different_seeds_draw_different_attempts():
    bank = make_bank(LO1=5, LO2=5, LO3=5)
    draws = {tuple(draw_questions(bank, 9, random.Random(seed))) for seed in SEEDS}
    assert len(draws) > len(SEEDS) // 2


def test_the_draw_order_does_not_follow_the_outcome_rotation():
    """The final shuffle hides the round-robin, so question 1 is not always an outcome's first."""
    bank = make_bank(LO1=5, LO2=5, LO3=5)
    patterns = set()
    for seed in SEEDS:
        by_id = {question.id: question.outcome for question in bank}
        drawn = draw_questions(bank, 9, random.Random(seed))
        patterns.add(tuple(by_id[i] for i in drawn[:3]))
    assert any(len(set(pattern)) < 3 for pattern in patterns)


# --- shuffle_options -----------------------------------------------------------------------


def test_shuffle_options_returns_a_permutation_and_leaves_the_input_alone():
    options = [10, 20, 30, 40, 50]
    orders = {tuple(shuffle_options(options, random.Random(seed))) for seed in SEEDS}
    assert options == [10, 20, 30, 40, 50]
    assert all(sorted(order) == options for order in orders)
    assert len(orders) > 1
    assert shuffle_options(options, random.Random(3)) == shuffle_options(options, random.Random(3))


# --- properties ----------------------------------------------------------------------------


@st.composite
def answered_questions(
    draw: st.DrawFn, partial_credit: bool | None = None
) -> tuple[AnswerKey, frozenset[int]]:
    """Any valid answer key of any kind, as its spec allows, with any selection of its own options."""
    kind = draw(st.sampled_from(QuestionKind))
    spec = spec_for(kind)
    size = draw(st.integers(spec.min_options, spec.max_options))
    options = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    correct_count = draw(st.sampled_from([n for n in range(1, size + 1) if spec.correct.allows(n)]))
    correct = draw(st.sets(st.sampled_from(options), min_size=correct_count, max_size=correct_count))
    if spec.allows_partial_credit:
        partial = draw(st.booleans()) if partial_credit is None else partial_credit
    else:
        partial = False
    selected = draw(st.sets(st.sampled_from(options)))
    return AnswerKey(kind, frozenset(options), frozenset(correct), partial), frozenset(selected)


def expected_mark(key: AnswerKey, selected: frozenset[int]) -> Fraction:
    """The marking rule restated option by option, independently of the implementation."""
    if not key.partial_credit:
        return Fraction(int(selected == key.correct_ids))
    judged_right = [
        option for option in key.option_ids if (option in selected) == (option in key.correct_ids)
    ]
    return Fraction(len(judged_right), len(key.option_ids))


def score_all(answered: list[tuple[AnswerKey, frozenset[int]]], pass_mark: int) -> Result:
    return score([key for key, _ in answered], [selected for _, selected in answered], pass_mark)


attempts = st.lists(answered_questions(), min_size=1, max_size=20)
pass_marks = st.integers(1, 100)


@FAST
@given(attempts, pass_marks)
def test_score_is_always_between_0_and_100(answered, pass_mark):
    result = score_all(answered, pass_mark)
    assert 0 <= result.score_percent <= 100
    assert all(0 <= mark <= 1 for mark in result.marks)


@FAST
@given(st.lists(answered_questions(partial_credit=False), min_size=1, max_size=20), pass_marks)
def test_without_partial_credit_score_is_the_share_of_fully_correct_answers(answered, pass_mark):
    fully_correct = sum(1 for key, selected in answered if selected == key.correct_ids)
    assert score_all(answered, pass_mark).score_percent == Fraction(100 * fully_correct, len(answered))


@FAST
@given(attempts, pass_marks)
def test_score_is_100_times_the_mean_of_each_questions_mark_under_its_rule(answered, pass_mark):
    shares = [expected_mark(key, selected) for key, selected in answered]
    assert score_all(answered, pass_mark).score_percent == 100 * sum(shares, Fraction(0)) / len(shares)


@FAST
@given(attempts, pass_marks)
def test_passed_exactly_when_score_reaches_the_pass_mark_and_display_agrees(answered, pass_mark):
    result = score_all(answered, pass_mark)
    assert result.passed == (result.score_percent >= pass_mark)
    assert result.display_percent <= result.score_percent < result.display_percent + 1
    # The page may compare the shown number with the pass mark and still tell the truth.
    assert result.passed == (result.display_percent >= pass_mark)


@FAST
@given(answered_questions())
def test_selecting_exactly_the_correct_options_always_scores_one(answered):
    key, _ = answered
    assert mark_question(key, key.correct_ids) == 1


@st.composite
def draw_requests(draw: st.DrawFn) -> tuple[list[BankQuestion], int, set[int], int]:
    """A bank with up to five outcomes (one of them "none"), a feasible count, exclusions and a seed."""
    outcomes = draw(st.lists(st.sampled_from(["LO1", "LO2", "LO3", "LO4", None]), min_size=1, max_size=40))
    bank = [BankQuestion(id=i, outcome=outcome) for i, outcome in enumerate(outcomes, start=1)]
    count = draw(st.integers(1, len(bank)))
    excluded = draw(st.sets(st.sampled_from([question.id for question in bank])))
    return bank, count, excluded, draw(st.integers(0, 2**32))


@FAST
@given(draw_requests())
def test_a_draw_is_count_distinct_questions_of_the_bank_using_the_fewest_exclusions(draw_request):
    bank, count, excluded, seed = draw_request
    drawn = draw_questions(bank, count, random.Random(seed), exclude=excluded)
    assert len(drawn) == len(set(drawn)) == count
    assert set(drawn) <= {question.id for question in bank}
    fresh = len(bank) - len(excluded)
    assert len(set(drawn) & excluded) == max(0, count - fresh)


@FAST
@given(draw_requests())
def test_an_outcome_is_drawn_less_than_another_minus_one_only_when_it_has_run_out(draw_request):
    bank, count, _, seed = draw_request
    drawn = outcomes_of(bank, draw_questions(bank, count, random.Random(seed)))
    available = Counter(question.outcome for question in bank)
    most = max(drawn.values())
    for outcome, size in available.items():
        assert drawn[outcome] >= most - 1 or drawn[outcome] == size
    if count >= len(available):
        assert set(drawn) == set(available)


@st.composite
def draw_histories(draw: st.DrawFn) -> tuple[list[BankQuestion], int, list[list[int]], int]:
    """A bank, a feasible count, up to four earlier attempts drawn from it, and a seed."""
    bank, count, _, seed = draw(draw_requests())
    ids = [question.id for question in bank]
    history = draw(st.lists(st.lists(st.sampled_from(ids), unique=True), max_size=4))
    return bank, count, history, seed


@FAST
@given(draw_histories())
def test_a_draw_repeats_a_seen_question_only_when_the_unseen_ones_run_out(request):
    bank, count, history, seed = request
    drawn = draw_questions(bank, count, random.Random(seed), history=history)
    seen = {question_id for attempt in history for question_id in attempt}
    assert len(drawn) == len(set(drawn)) == count
    assert len(set(drawn) & seen) == max(0, count - (len(bank) - len(seen)))


# --- the module stays pure -----------------------------------------------------------------


def top_level_imports(module, allowed: frozenset[str] = frozenset()) -> set[str]:
    """The top-level packages a module imports, leaving out the modules in `allowed`."""
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in imported - allowed}


def test_marking_imports_only_the_standard_library_and_the_kinds():
    assert top_level_imports(marking, allowed=frozenset({"elearn.assessment.kinds"})) <= sys.stdlib_module_names


def test_the_kinds_import_only_the_standard_library():
    assert top_level_imports(kinds) <= sys.stdlib_module_names
