"""The guessing simulator against banks whose answer is known by hand, and `flask courses simulate`."""

from __future__ import annotations

import dataclasses
import math
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from elearn.assessment import simulate
from elearn.assessment.kinds import QuestionKind
from elearn.assessment.simulate import (
    ABSOLUTE,
    BEST,
    LONGEST,
    MODAL,
    NO_ABSOLUTES,
    REPORTING,
    SECOND,
    SHORTEST,
    THIRD,
    UNIFORM,
    Figure,
)
from elearn.content.item_checks import absolute_word_rule
from elearn.content.loader import ParsedCourse, ParsedOption, ParsedOutcome, ParsedQuestion, load_course
from tests.assessment.test_marking import top_level_imports
from tests.makers import FIXTURES, Makers

ATTEMPTS = 20_000
SAMPLE, _ = load_course(FIXTURES / "sample-course")
STRATEGIES = [UNIFORM, LONGEST, SECOND, THIRD, SHORTEST, ABSOLUTE, NO_ABSOLUTES, MODAL, REPORTING, BEST]


def single(key: str, texts: list[str], correct: int, outcome: str = "LO1") -> ParsedQuestion:
    options = tuple(ParsedOption(text, i == correct, "Feedback.") for i, text in enumerate(texts))
    return ParsedQuestion(key, outcome, QuestionKind.SINGLE, f"Stem of {key}?", options, "Why.", False)


def true_false(key: str, stem: str, answer: bool, outcome: str = "LO1") -> ParsedQuestion:
    options = (ParsedOption("True", answer, "Feedback."), ParsedOption("False", not answer, "Feedback."))
    return ParsedQuestion(key, outcome, QuestionKind.TRUE_FALSE, stem, options, "Why.", False)


def multiple(key: str, texts: list[str], correct: set[int], outcome: str = "LO1") -> ParsedQuestion:
    options = tuple(ParsedOption(text, i in correct, "Feedback.") for i, text in enumerate(texts))
    return ParsedQuestion(key, outcome, QuestionKind.MULTIPLE, f"Stem of {key}?", options, "Why.", False)


def course_of(*questions: ParsedQuestion, per_attempt: int, pass_mark: int = 100,
              outcomes: tuple[ParsedOutcome, ...] | None = None) -> ParsedCourse:
    assert SAMPLE is not None
    return dataclasses.replace(SAMPLE, questions=questions, questions_per_attempt=per_attempt, pass_mark=pass_mark,
                               outcomes=outcomes or (ParsedOutcome("LO1", "The one outcome."),))


def figures(course: ParsedCourse, attempts: int = ATTEMPTS, seed: int = 1) -> dict[str, Figure]:
    return {figure.strategy: figure for figure in simulate.simulate(course, absolute_word_rule, attempts, seed)}


def close_to(figure: Figure, expected: Fraction) -> bool:
    """Within four standard errors of the hand-computed probability (a 95% interval misses one time in
    twenty by design; four errors, about one in 16,000; the seed is fixed, so the test never flickers)."""
    p = float(expected)
    return abs(figure.probability - p) <= 4 * math.sqrt(p * (1 - p) / figure.attempts)


# Two single-answer items, four options each, the key the longest (and not the shortest) in both.
LONGEST_WINS = course_of(
    single("a", ["Tell the DSL today, in person", "Wait and see", "Ask the parents", "Do nothing yet"], 0),
    single("b", ["Note it", "Record it and pass it on at once", "Keep it quiet", "Ask a friend"], 1),
    per_attempt=2,
)


def test_uniform_guessing_passes_two_four_option_items_one_time_in_sixteen():
    assert close_to(figures(LONGEST_WINS)[UNIFORM], Fraction(1, 16))


def test_deterministic_strategies_pass_always_or_never_as_the_bank_was_built():
    result = figures(LONGEST_WINS)
    assert result[LONGEST].passes == ATTEMPTS
    assert result[SHORTEST].passes == 0
    assert result[BEST].passes == ATTEMPTS  # for single items the longest option is the best strategy here
    # The true/false and multi-select rules guess uniformly on single items.
    assert close_to(result[ABSOLUTE], Fraction(1, 16)) and close_to(result[MODAL], Fraction(1, 16))


def test_every_strategy_is_reported_in_order():
    assert [f.strategy for f in simulate.simulate(LONGEST_WINS, absolute_word_rule, 10)] == STRATEGIES


def test_the_absolute_word_rule_answers_false_to_sweeping_statements_and_true_otherwise():
    course = course_of(
        true_false("a", "True or false: staff must always keep a disclosure secret.", answer=False),
        true_false("b", "True or false: a concern can be shared with the DSL.", answer=True),
        per_attempt=2,
    )
    result = figures(course)
    assert result[ABSOLUTE].passes == ATTEMPTS
    assert result[LONGEST].passes == 0  # "False" is the longer text: always False gets b wrong
    assert result[SHORTEST].passes == 0  # always True gets a wrong
    assert close_to(result[UNIFORM], Fraction(1, 4))
    assert result[BEST].passes == ATTEMPTS


def test_the_modal_count_ticks_the_usual_number_of_the_longest_options():
    # Two items with two correct options (the two longest) and one with three: the mode is two.
    course = course_of(
        multiple("a", ["The longest option here", "Second longest one", "Short", "Tiny"], {0, 1}),
        multiple("b", ["Also quite long an option", "Long enough option", "Brief", "Wee"], {0, 1}),
        multiple("c", ["Long right option number one", "Long right option two", "Right three", "No"], {0, 1, 2}),
        per_attempt=2,
    )
    result = figures(course)
    # A pass needs a and b both drawn: one of the three equally likely pairs.
    assert close_to(result[MODAL], Fraction(1, 3))
    assert close_to(result[UNIFORM], Fraction(1, 15 * 15))  # 15 non-empty selections of four options
    assert result[LONGEST].passes == result[SHORTEST].passes == 0  # one option ticked is never enough


def test_the_best_combination_takes_each_kinds_best_strategy():
    course = course_of(
        single("a", ["Tell the DSL today, in person", "Wait and see", "Ask the parents", "Do nothing yet"], 0),
        true_false("b", "True or false: a concern can be shared with the DSL.", answer=True),
        true_false("c", "True or false: staff must always keep a disclosure secret.", answer=False),
        per_attempt=3,
    )
    result = figures(course)
    assert result[LONGEST].passes == 0  # right on the single item, "False" on both true/false items
    assert close_to(result[ABSOLUTE], Fraction(1, 4))  # uniform on the single item
    assert result[BEST].passes == ATTEMPTS
    assert result[BEST].detail == f"single: {LONGEST}; true_false: {ABSOLUTE}"


def test_the_best_combination_is_the_one_that_passes_most_not_the_one_most_often_right():
    # Always "False" gets two of three right but never all three; guessing gets all three one time in eight.
    course = course_of(
        true_false("a", "True or false: a nurse may carry out the procedure.", answer=False),
        true_false("b", "True or false: the parents' consent makes it lawful.", answer=False),
        true_false("c", "True or false: a concern can be shared with the DSL.", answer=True),
        per_attempt=3,
    )
    result = figures(course)
    assert result[LONGEST].passes == 0
    assert result[BEST].detail == f"true_false: {UNIFORM}"
    assert close_to(result[BEST], Fraction(1, 8))


def test_a_guesser_short_on_a_critical_outcome_fails_whatever_the_total():
    long_key = ["The right answer is the long one", "No", "Nope", "Not it"]
    short_key = ["Yes", "A long but wrong answer to pick", "A second long wrong one", "Another long wrong one"]
    questions = (single("a", short_key, 0, "LO1"), single("b", short_key, 0, "LO1"),
                 single("c", long_key, 0, "LO2"), single("d", long_key, 0, "LO2"))
    plain = (ParsedOutcome("LO1", "Critical.", draw=2), ParsedOutcome("LO2", "Other.", draw=2))
    critical = (dataclasses.replace(plain[0], critical=True), plain[1])
    # Longest gets LO2 right and LO1 wrong: 50%, the pass mark, but LO1 is critical.
    assert figures(course_of(*questions, per_attempt=4, pass_mark=50, outcomes=plain))[LONGEST].passes == ATTEMPTS
    assert figures(course_of(*questions, per_attempt=4, pass_mark=50, outcomes=critical))[LONGEST].passes == 0


def test_options_tied_at_the_cut_are_taken_in_every_combination():
    assert simulate._extremes([5, 9, 9, 1], 1) == (frozenset({1}), frozenset({2}))
    assert set(simulate._extremes([5, 9, 5, 5], 2)) == {frozenset({1, 0}), frozenset({1, 2}), frozenset({1, 3})}
    assert simulate._extremes([3, 2], 5) == (frozenset({0, 1}),)


def test_the_modal_count_breaks_a_tie_towards_more_correct_options():
    course = course_of(multiple("a", ["A", "B", "C"], {0}), multiple("b", ["A", "B", "C"], {0, 1}), per_attempt=1)
    assert simulate.cues_of(course.questions, absolute_word_rule).modal_correct == 2


# --- the figures and the gate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passes", "attempts", "low",       "high"),
    [
        (50,       100,        0.40383,     0.59617),
        (0,        20_000,     0.0,         0.00019204),  # z² / (n + z²)
        (20_000,   20_000,     0.99980796,  1.0),
        (400,      20_000,     0.018150,    0.022034),
    ],
)
def test_the_wilson_interval_matches_values_computed_by_hand(passes, attempts, low, high):
    got_low, got_high = Figure("any", passes, attempts).interval()
    assert got_low == pytest.approx(low, abs=1e-5) and got_high == pytest.approx(high, abs=1e-5)


@pytest.mark.parametrize(
    ("passes", "attempts", "too_guessable"),
    [
        (40,       2000,       True),   # exactly 2%: the point estimate decides, and 2% fails
        (39,       2000,       False),
        (0,        2000,       False),
        (1,        50,         True),
    ],
)
def test_the_gate_fails_a_point_estimate_of_two_percent_or_more(passes, attempts, too_guessable):
    assert Figure("any", passes, attempts).too_guessable is too_guessable


def test_the_same_seed_gives_the_same_figures():
    def run() -> tuple[Figure, ...]:
        return simulate.simulate(LONGEST_WINS, absolute_word_rule, 500, seed=7)

    assert run() == run()


def test_simulating_no_attempts_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        simulate.simulate(LONGEST_WINS, absolute_word_rule, 0)


# --- flask courses simulate ---------------------------------------------------------------------

QUESTION = """\
  - id: {key}
    outcome: LO1
    type: single
    stem: Question {key}?
    options:
{options}    explanation: Explanation.
"""


def bank_folder(make: Makers, slug: str, keys_and_options: list[tuple[str, list[str]]], per_attempt: int) -> Path:
    """A copy of the sample course with single items whose first listed option is the key; pass mark 100."""
    folder = make.course_folder(slug=slug, options={"questions_per_attempt": per_attempt, "pass_mark": 100})
    items = []
    for key, texts in keys_and_options:
        options = "".join(f"    - text: {text}\n      correct: {str(i == 0).lower()}\n      feedback: Why.\n"
                          for i, text in enumerate(texts))
        items.append(QUESTION.format(key=key, options=options))
    (folder / "questions.yaml").write_text("questions:\n" + "".join(items))
    return folder


def test_the_command_fails_a_bank_the_longest_option_passes(make, runner):
    folder = bank_folder(make, "guessable", [("q-1", ["The longest option of all", "Short", "Brief", "Tiny"]),
                                             ("q-2", ["Also the longest option", "Short", "Brief", "Tiny"])], 2)
    result = runner.invoke(args=["courses", "simulate", "--dir", str(folder.parent), "--attempts", "500"])
    assert result.exit_code == 1
    assert "guessable: 500 first attempts per strategy" in result.stdout
    assert all(strategy in result.stdout for strategy in STRATEGIES)
    assert f"{folder / 'questions.yaml'}:1: guessing by 'longest option' passes a first attempt 100.00%" in result.stderr


def test_a_key_always_at_the_same_length_rank_is_guessed(make, runner):
    # The key is never the longest nor the shortest, but always the third longest: authors who only avoid a
    # longest key leave this cue, and a guesser who notices it passes every time (the simulator missed it before).
    middle = ["Middle option", "Shortest", "The longest option of them all", "A middling one"]
    folder = bank_folder(make, "middle-bank", [(f"q-{n}", middle) for n in range(1, 5)], 4)
    result = runner.invoke(args=["courses", "simulate", "middle-bank", "--dir", str(folder.parent),
                                 "--attempts", "500"])
    assert result.exit_code == 1
    assert "guessing by 'third longest option' passes a first attempt 100.00%" in result.stderr


def test_the_command_passes_a_bank_no_strategy_can_guess(make, runner):
    # Four items, four options, the key second or third in length by turns, 100% to pass: no length rank is
    # right on all four, no option is absolute, and a blind guess passes 1 in 256.
    second = ["The second longest option", "Short one", "The very longest option of them all", "A middling one"]
    third = ["A middling one", "Short one", "The very longest option of them all", "The second longest option"]
    folder = bank_folder(make, "sound-bank", [("q-1", second), ("q-2", third), ("q-3", second), ("q-4", third)], 4)
    result = runner.invoke(args=["courses", "simulate", "sound-bank", "--dir", str(folder.parent),
                                 "--attempts", "2000"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "right per question" in result.stdout


def test_avoiding_absolute_words_is_a_strategy_on_every_kind_of_question():
    question = single("q", ["You must always wait", "Never tell anyone", "Tell the DSL today", "Only the head may act"], 2)
    assert simulate.pick_avoiding_absolutes(question, simulate.cues_of([question], absolute_word_rule)) == (
        frozenset({2}),)
    ticks = multiple("m", ["Always wait", "Tell the DSL", "Write it down", "Never record"], {1, 2})
    assert simulate.pick_avoiding_absolutes(ticks, simulate.cues_of([ticks], absolute_word_rule)) == (
        frozenset({1, 2}),)


def test_picking_the_option_that_tells_the_dsl_passes_when_only_the_key_mentions_it():
    # Two items at 100%: the key is the only option passing the concern on, so the mention gives it away.
    only_key = course_of(
        single("a", ["Tell the DSL before the end of the day", "Wait until she says more",
                     "Ask her friends what they know", "Keep an eye on her next week"], 0),
        single("b", ["Keep it between you and him", "Record his words and pass them on", "Ask him to write it down",
                     "Wait for the parents' evening"], 1),
        per_attempt=2,
    )
    assert figures(only_key)[REPORTING].passes == ATTEMPTS


def test_a_distractor_that_passes_it_on_wrongly_halves_the_mention_cue():
    # The same items with one distractor each that also tells the DSL or records, but too late or instead of
    # acting: the keyword guesser is now right one time in two per item, one in four over the attempt.
    fair = course_of(
        single("a", ["Tell the DSL before the end of the day", "Wait until she says more",
                     "Report it to the DSL at the end of term", "Keep an eye on her next week"], 0),
        single("b", ["Keep it between you and him", "Record his words and pass them on", "Record it in your notebook",
                     "Wait for the parents' evening"], 1),
        per_attempt=2,
    )
    assert close_to(figures(fair)[REPORTING], Fraction(1, 4))


def test_the_mention_cue_ticks_every_such_option_on_a_multi_select_and_guesses_otherwise():
    ticks = multiple("m", ["Tell the DSL", "Record what was said", "Ask leading questions", "Wait"], {0, 1})
    cues = simulate.cues_of([ticks], absolute_word_rule)
    assert simulate.pick_reporting(ticks, cues) == (frozenset({0, 1}),)
    none = single("s", ["Wait", "Ask", "Tell a friend", "Do nothing"], 0)
    assert simulate.pick_reporting(none, cues) == simulate.pick_uniform(none, cues)
    statement = true_false("t", "True or false: the DSL must be told.", answer=True)
    assert simulate.pick_reporting(statement, cues) == simulate.pick_uniform(statement, cues)


def test_the_command_refuses_an_unknown_slug(make, runner):
    folder = make.course_folder()
    result = runner.invoke(args=["courses", "simulate", "no-such-course", "--dir", str(folder.parent)])
    assert result.exit_code == 1
    assert "no course with the slug 'no-such-course'" in result.stderr


def test_the_simulator_imports_only_the_standard_library_and_the_marking_rules():
    allowed = frozenset({"elearn.assessment", "elearn.assessment.kinds"})
    assert top_level_imports(simulate, allowed=allowed) <= sys.stdlib_module_names
