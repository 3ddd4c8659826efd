"""The item-writing checks refuse each cue a test-wise learner uses, with questions.yaml:line."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from elearn.assessment import simulate
from elearn.assessment.kinds import QuestionKind
from elearn.content.item_checks import LIMITS, absolute_word_rule, check_items, key_is_longest, key_length_rank
from elearn.content.loader import ParsedCourse, ParsedLesson, ParsedOption, ParsedQuestion

FOLDER = Path("courses/example")
LESSON = ("Priya, a teaching assistant, notices that a quiet Year 4 pupil flinches whenever an adult raises "
          "a hand near her and has bruises on both upper arms in the shape of fingertips.")


def option(text: str, correct: bool = False) -> ParsedOption:
    return ParsedOption(text, correct, "Because.")


def single(key: str = "q", *, options: tuple[ParsedOption, ...] | None = None, line: int = 10,
           stem: str = "Marek, a caretaker, hears a rumour. What should he do first?",
           explanation: str = "Tell the DSL the same day (KCSIE 2026, Part one).", applied: bool = True) -> ParsedQuestion:
    options = options or (option("Tell the DSL today", True), option("Wait for more proof"),
                          option("Ask the child's friends"), option("Email the parents"))
    return ParsedQuestion(key, "LO1", QuestionKind.SINGLE, stem, options, explanation, False, applied, line)


def multiple(key: str, correct: int, total: int = 5, line: int = 10) -> ParsedQuestion:
    options = tuple(option(f"Choice {key} {n}", n < correct) for n in range(total))
    return ParsedQuestion(key, "LO1", QuestionKind.MULTIPLE, "Which apply? A case.", options,
                          "Because (KCSIE 2026).", False, True, line)


def true_false(key: str, stem: str, true: bool) -> ParsedQuestion:
    return ParsedQuestion(key, "LO1", QuestionKind.TRUE_FALSE, stem, (option("True", true), option("False", not true)),
                          "Because (KCSIE 2026).", False, True, 10)


def course(*questions: ParsedQuestion) -> ParsedCourse:
    lesson = ParsedLesson(1, "01-signs", "Signs", 10, LESSON, "<p></p>", 30)
    return ParsedCourse(slug="example", title="T", summary="S", topic="T", audience="A", cpd_hours=Decimal(1),
                        pass_mark=80, questions_per_attempt=1, validity_months=12, max_attempts_per_day=None,
                        review="full", content_warning="W", outcomes=(), references=(), lessons=(lesson,),
                        questions=questions, content_hash="x")


# Keys of each length rank among the same three distractors (25, 22 and 17 characters long).
KEY_AT_RANK = {1: "Tell the DSL before lunch today", 2: "Tell the DSL before noon", 3: "Tell the DSL today",
               4: "Tell the DSL"}


def at_rank(rank: int, key: str = "s", applied: bool = True) -> ParsedQuestion:
    """A single-answer item whose key is the rank-th longest option (1: the longest)."""
    return single(key, applied=applied, options=(
        option(KEY_AT_RANK[rank], True), option("Wait for more proof first"), option("Ask the class about it"),
        option("Phone the parents")))


def balanced(count: int, ranks: tuple[int, ...] = (2, 3, 4)) -> list[ParsedQuestion]:
    """Single-answer items whose key is never the longest option and takes each other length rank in turn:
    a bank with no cue."""
    return [at_rank(ranks[n % len(ranks)], f"s{n}") for n in range(count)]


def messages(parsed: ParsedCourse) -> list[str]:
    return [str(fault) for fault in check_items(parsed, FOLDER)]


def test_a_bank_without_cues_passes():
    assert messages(course(*balanced(12))) == []


def test_a_single_answer_item_needs_four_options():
    item = single(options=(option("Tell the DSL", True), option("Wait"), option("Ask friends")), line=7)
    assert messages(course(item)) == [
        ("courses/example/questions.yaml:7: q: a single-answer item needs at least 4 options (it has 3), "
         "so a blind guess is rarely right")]


def test_a_key_half_as_long_again_as_every_distractor_is_refused():
    long_key = option("Record what the child said in their own words and tell the DSL today", True)
    item = single(options=(long_key, option("Wait for more proof"), option("Ask the child's friends"),
                           option("Email the parents now")))
    assert any("is at least 1.5 times as long as every distractor" in m for m in messages(course(item)))
    just_under = single(options=(option("Tell the DSL at once", True), option("Ask the friends first"),
                                 option("Wait for more proof"), option("Email the parents")))
    assert messages(course(just_under)) == []


def test_the_key_is_the_longest_option_in_at_most_a_third_of_single_answer_items():
    cued = [single(f"c{n}", options=(option("Tell the DSL today", True), option("Wait for proof"),
                                     option("Ask the friend"), option("Call a parent")))
            for n in range(5)]
    assert key_is_longest(cued[0]) and not key_is_longest(balanced(1)[0])
    found = messages(course(*cued, *balanced(7)))
    assert any("the correct option is the longest in 5 of 12 single-answer items (at most 33%): c0, c1" in m
               for m in found), found
    assert messages(course(*cued[:4], *balanced(8))) == []  # 4 of 12 is exactly a third


def test_no_length_rank_holds_the_key_in_more_than_two_fifths_of_single_answer_items():
    # Keys trimmed to just under the longest distractor: never the longest, but the second longest in 5 of 12.
    assert [key_length_rank(at_rank(rank)) for rank in (1, 2, 3, 4)] == [1, 2, 3, 4]
    cued = [at_rank(2, f"c{n}") for n in range(5)]
    found = messages(course(*cued, *balanced(7, ranks=(3, 4))))
    assert any("the correct option is the second longest in 5 of 12 single-answer items (at most 40% at any one "
               "length rank): lengthen a distractor or tighten the key in some of c0, c1, c2, c3, c4" in m
               for m in found), found
    assert messages(course(*cued[:4], *balanced(8, ranks=(3, 4)))) == []  # 4 of 12 at each of three ranks


def test_the_shortest_key_is_a_length_rank_cue_too():
    found = messages(course(*balanced(5, ranks=(4,)), *balanced(7, ranks=(2, 3))))
    assert any("is number 4 by length in 5 of 12" in m for m in found), found


def test_the_length_rank_check_reads_ranks_as_the_simulator_picks_them():
    # Equal lengths keep their listed order, so the check and "second longest option" agree on every item.
    tied = single(options=(option("Tell the DSL now", True), option("Ask a friend now"), option("Wait for proof"),
                           option("Say nothing")))
    assert key_length_rank(tied) == 1
    second = at_rank(2)
    cues = simulate.cues_of([second], absolute_word_rule)
    assert simulate.pick_second_longest(second, cues) == (frozenset({0}),)


def test_multi_selects_must_vary_how_many_options_are_correct():
    same = [multiple(f"m{n}", correct=3) for n in range(4)]
    found = messages(course(*same, *balanced(8)))
    assert any("4 of 4 multi-select items have exactly 3 correct options" in m for m in found), found
    varied = [multiple("m1", 1), multiple("m2", 2), multiple("m3", 3), multiple("m4", 2)]
    assert messages(course(*varied, *balanced(8))) == []


def test_a_multi_select_with_every_option_correct_is_refused():
    assert any("every option is correct" in m for m in messages(course(multiple("m", correct=4, total=4))))


def test_true_false_items_are_a_small_minority():
    items = [true_false("t1", "A pupil's word is enough to report.", True),
             true_false("t2", "Staff should wait for proof.", False)]
    found = messages(course(*items, *balanced(10)))
    assert any("2 of 12 items are true/false (at most 10%)" in m for m in found), found
    assert not any("true/false" in m for m in messages(course(items[0], *balanced(11))))


def test_absolute_words_must_not_give_true_false_answers_away():
    assert absolute_word_rule("Staff must never promise secrecy.") == "False"
    assert absolute_word_rule("Staff may share information.") == "True"
    cued = [true_false("t1", "You must always wait for proof.", False),
            true_false("t2", "Only the DSL may ever refer.", False),
            true_false("t3", "A teacher may refer directly.", True)]
    limits = dataclasses.replace(LIMITS, true_false_share=1)  # isolate the absolute-word rule
    found = [f.message for f in check_items(course(*cued, *balanced(9)), FOLDER, limits)]
    assert any("absolute word is right in 3 of 3 true/false items" in m for m in found), found
    fair = [*cued[:2], true_false("t3", "Every member of staff can refer a child to children's social care.", True)]
    assert not any("absolute word" in f.message for f in check_items(course(*fair, *balanced(9)), FOLDER, limits))


@pytest.mark.parametrize("text", ["All of the above", "None of the above.", "Both of the above"])
def test_all_or_none_of_the_above_is_refused(text):
    item = single(options=(option("Tell the DSL", True), option("Wait"), option("Ask friends"), option(text)))
    assert any("'all of the above'" in m for m in messages(course(item)))


def test_options_that_differ_only_in_case_or_punctuation_are_refused():
    item = single(options=(option("Tell the DSL", True), option("Wait."), option("wait"), option("Ask friends")))
    assert any("differ only in case or punctuation" in m for m in messages(course(item)))


def test_a_stem_that_copies_a_lesson_scenario_is_refused():
    copied = single(stem="A teaching assistant notices that a quiet Year 4 pupil flinches whenever an adult "
                         "raises a hand. What should she do?")
    assert any("repeats a run of 10 words from lesson 01-signs" in m for m in messages(course(copied)))
    paraphrased = single(stem="Priya, a teaching assistant, notices that a quiet child flinches whenever an adult "
                              "raises a hand near her. What should she do?")
    assert any("5-word runs with lesson 01-signs" in m for m in messages(course(paraphrased)))
    new_case = single(stem="During lunch, Tomasz sees a Year 9 boy hide a new phone he says an older friend gave "
                           "him. What should Tomasz do first?")
    assert messages(course(new_case)) == []


def test_every_explanation_ends_with_its_source():
    assert any("must end with its source in parentheses" in m
               for m in messages(course(single(explanation="Tell the DSL the same day."))))


def test_three_quarters_of_the_bank_are_applied_cases():
    recall = [at_rank(rank, f"r{n}", applied=False) for n, rank in enumerate((2, 3, 4, 2))]
    found = messages(course(*recall, *balanced(8)))
    assert any("8 of 12 items are applied cases (at least 75%)" in m for m in found), found
    assert messages(course(*recall[:3], *balanced(9))) == []


def test_check_prints_each_item_fault_with_its_line_and_exits_non_zero(runner, make):
    folder = make.course_folder()
    path = folder / "questions.yaml"
    path.write_text(path.read_text().replace("  - text: Last wrong answer 2\n    correct: false\n    feedback: Not quite.\n", ""))
    result = runner.invoke(args=["courses", "check", "--dir", str(folder.parent)])
    assert result.exit_code == 1
    assert f"{path}:20: q-2: a single-answer item needs at least 4 options (it has 3)" in result.output
