"""The question-kind table: for every kind in SPECS, the loader, marking and the attempt page agree.

Every test here is parametrised over the kinds, so a new kind is tested by adding its SPECS entry;
a QuestionKind member without one fails the first test.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from elearn.assessment.kinds import SPECS, CorrectCount, KindSpec, QuestionKind, parse_kind, spec_for
from elearn.assessment.marking import AnswerKey, mark_question
from elearn.content.loader import load_course
from tests.assessment.helpers import right, sheet, start_through_the_page

KINDS = list(SPECS)
BANK_SIZE = 4  # the sample course draws 4 questions per attempt


def test_every_kind_has_a_spec():
    assert set(SPECS) == set(QuestionKind)


# --- building questions of a kind --------------------------------------------------------------


def texts_for(spec: KindSpec, count: int) -> list[str]:
    """`count` distinct option texts: the kind's fixed texts first (cut short or topped up), then free ones."""
    texts = list(spec.fixed_texts)[:count]
    return texts + [f"Option {n}" for n in range(len(texts) + 1, count + 1)]


def fewest_correct(spec: KindSpec, count: int) -> int:
    return next(n for n in range(1, count + 1) if spec.correct.allows(n))


def question(kind: QuestionKind, number: int, texts: list[str], correct: int, **extra: Any) -> dict[str, Any]:
    """A questions.yaml entry whose first `correct` options are the correct ones."""
    options = [{"text": text, "correct": index < correct, "feedback": "Because."} for index, text in enumerate(texts)]
    return {"id": f"q-{number}", "outcome": f"LO{number % 2 + 1}", "type": str(kind), "stem": f"Question {number}?",
            "options": options, "explanation": "Explained.", **extra}


def valid_question(kind: QuestionKind, number: int) -> dict[str, Any]:
    spec = spec_for(kind)
    return question(kind, number, texts_for(spec, spec.max_options), fewest_correct(spec, spec.max_options))


def write_bank(folder: Path, kind: QuestionKind, first: dict[str, Any] | None = None) -> None:
    """Replace the course's bank with valid questions of one kind; `first` replaces question 1."""
    questions = [valid_question(kind, number) for number in range(1, BANK_SIZE + 1)]
    if first is not None:
        questions[0] = first
    (folder / "questions.yaml").write_text(yaml.safe_dump({"questions": questions}, sort_keys=False))


def load_faults(make, kind: QuestionKind, first: dict[str, Any]) -> list[str]:  # type: ignore[no-untyped-def]
    """The loader's messages for a bank of one kind whose first question is `first`."""
    folder = make.course_folder()
    write_bank(folder, kind, first)
    _, faults = load_course(folder)
    assert all(str(fault).startswith(f"{folder / 'questions.yaml'}:") for fault in faults)
    return [fault.message for fault in faults]


def answer_key(kind: QuestionKind, count: int, correct: int, partial: bool = False) -> AnswerKey:
    """An answer key with options 1..count, of which 1..correct are correct."""
    return AnswerKey(kind, frozenset(range(1, count + 1)), frozenset(range(1, correct + 1)), partial_credit=partial)


# --- the spec itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_spec_is_found_by_its_enum_member_or_its_stored_text(kind):
    assert spec_for(kind) is spec_for(str(kind)) is SPECS[kind]
    assert parse_kind(str(kind)) is kind


@pytest.mark.parametrize("value", ["essay", "", "Single", None, 3, ["single"]])
def test_text_that_names_no_kind_is_not_a_kind(value):
    assert parse_kind(value) is None


def test_an_inconsistent_spec_is_refused_when_built():
    with pytest.raises(ValueError, match="option range"):
        KindSpec(name="broken", min_options=3, max_options=2, correct=CorrectCount.EXACTLY_ONE,
                 selects_many=False, hint="")
    with pytest.raises(ValueError, match="fixed option texts"):
        KindSpec(name="broken", min_options=2, max_options=3, correct=CorrectCount.EXACTLY_ONE,
                 selects_many=False, hint="", fixed_texts=("Yes", "No"))


# --- the loader --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_loader_accepts_a_kind_at_both_ends_of_its_option_range(make, kind):
    spec = spec_for(kind)
    for count in (spec.min_options, spec.max_options):
        assert load_faults(make, kind, question(kind, 1, texts_for(spec, count), fewest_correct(spec, count))) == []


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_loader_refuses_too_few_or_too_many_options_with_the_kinds_rule(make, kind):
    spec = spec_for(kind)
    for count in (spec.min_options - 1, spec.max_options + 1):
        if count < 1:
            continue
        faults = load_faults(make, kind, question(kind, 1, texts_for(spec, count), 1))
        assert spec.rule in faults, (count, faults)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if spec_for(kind).fixed_texts], ids=str)
def test_the_loader_refuses_other_texts_for_a_kind_with_fixed_options(make, kind):
    spec = spec_for(kind)
    texts = [*spec.fixed_texts[:-1], "Something else"]
    assert spec.rule in load_faults(make, kind, question(kind, 1, texts, 1))


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_loader_and_the_answer_key_agree_on_how_many_options_are_correct(make, kind):
    spec = spec_for(kind)
    count = spec.max_options
    for correct in range(1, count + 1):
        faults = load_faults(make, kind, question(kind, 1, texts_for(spec, count), correct))
        if spec.correct.allows(correct):
            assert faults == [], (correct, faults)
            answer_key(kind, count, correct)
        else:
            assert spec.rule in faults, (correct, faults)
            with pytest.raises(ValueError, match=f"{spec.correct.value} correct"):
                answer_key(kind, count, correct)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_no_kind_takes_a_question_without_a_correct_option(make, kind):
    spec = spec_for(kind)
    assert not spec.correct.allows(0)
    faults = load_faults(make, kind, question(kind, 1, texts_for(spec, spec.max_options), 0))
    assert faults == ["at least one option must be correct"]
    with pytest.raises(ValueError, match="at least one correct"):
        answer_key(kind, spec.max_options, 0)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_loader_and_the_answer_key_agree_on_partial_credit(make, kind):
    spec = spec_for(kind)
    count, correct = spec.max_options, fewest_correct(spec, spec.max_options)
    faults = load_faults(make, kind, question(kind, 1, texts_for(spec, count), correct, partial_credit=True))
    if spec.allows_partial_credit:
        assert faults == []
        assert answer_key(kind, count, correct, partial=True).partial_credit
    else:
        assert any("'partial_credit'" in fault for fault in faults), faults
        with pytest.raises(ValueError, match="partial credit"):
            answer_key(kind, count, correct, partial=True)


# --- marking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_kind_gives_full_marks_for_exactly_the_correct_options(kind):
    spec = spec_for(kind)
    count = spec.max_options
    for partial in {False, spec.allows_partial_credit}:
        key = answer_key(kind, count, fewest_correct(spec, count), partial)
        assert mark_question(key, key.correct_ids) == 1
        wrong = key.option_ids - key.correct_ids
        assert mark_question(key, wrong) == 0  # every option misjudged
        assert spec.marker_for(partial)(key.option_ids, key.correct_ids, key.correct_ids) == Fraction(1)


# --- the attempt page and the answer check -----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_page_and_the_answer_check_follow_the_kinds_selection(client, make, login_as, kind):
    spec = spec_for(kind)
    folder = make.course_folder()
    write_bank(folder, kind)
    enrolment = make.enrolment(course=make.course(folder=folder), lessons_done="all")
    login_as(enrolment.user)
    attempt = start_through_the_page(client)
    page = client.get(f"/attempts/{attempt.id}/questions/1").get_data(as_text=True)
    wanted, other = ("checkbox", "radio") if spec.selects_many else ("radio", "checkbox")
    assert page.count(f'type="{wanted}" id="answer-1-') == spec.max_options
    assert f'type="{other}"' not in page
    assert spec.hint in page

    response = client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": ["1", "2"], "go": "stay"})
    if spec.selects_many:
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        assert "Choose only one answer" in response.get_data(as_text=True)

    answers = sheet(attempt, right)
    data = {f"answer-{position}": [str(n) for n in numbers] for position, numbers in answers.items()}
    assert client.post(f"/attempts/{attempt.id}/all", data=data).status_code == 302
    client.post(f"/attempts/{attempt.id}/submit")
    assert "100%" in client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
