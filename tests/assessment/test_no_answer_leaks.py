"""Correct answers never reach the browser before submission, on any assessment page.

The fixture course writes every correct option first (as authors often do) and gives every
feedback and explanation a unique marker. The pages must carry none of those markers, no
correctness flag in any attribute, no scripts or data attributes, and option values that are
only the numbers as shown (1, 2, 3 in page order), never database ids.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Option
from tests.assessment.helpers import (
    form_data,
    options_of,
    right,
    sheet,
    start_through_the_page,
    wrong,
)

QUESTIONS = [
    ("q-1", "LO1", "single", ["Alpha", "Bravo", "Charlie"]),
    ("q-2", "LO2", "single", ["Delta", "Echo", "Foxtrot"]),
    ("q-3", "LO1", "true_false", ["True", "False"]),
    ("q-4", "LO2", "multiple", ["Golf", "Hotel", "India", "Juliet"]),  # Golf and Hotel are correct
    ("q-5", "LO1", "single", ["Kilo", "Lima", "Mike"]),
    ("q-6", "LO2", "multiple", ["Nutmeg", "Oscar", "Papa"]),  # Nutmeg, Oscar correct; no month names
]


def correct(kind: str, index: int) -> bool:
    return index < 2 if kind == "multiple" else index == 0


def feedback_marker(key: str, index: int, kind: str) -> str:
    return f"FEEDBACK{'RIGHT' if correct(kind, index) else 'WRONG'}-{key}-{index}-ZQX"


def explanation_marker(key: str) -> str:
    return f"EXPLANATION-{key}-ZQX"


def write_marked_questions(folder: Path) -> None:
    lines = []
    for key, outcome, kind, texts in QUESTIONS:
        lines += [f"- id: {key}", f"  outcome: {outcome}", f"  type: {kind}", f"  stem: Stem of {key}?", "  options:"]
        for index, text in enumerate(texts):
            lines += [f"  - text: '{text}'", f"    correct: {'true' if correct(kind, index) else 'false'}",
                      f"    feedback: {feedback_marker(key, index, kind)}"]
        lines.append(f"  explanation: {explanation_marker(key)}")
    (folder / "questions.yaml").write_text("questions:\n" + "\n".join(lines) + "\n")


MARKERS = [feedback_marker(key, i, kind) for key, _, kind, texts in QUESTIONS for i in range(len(texts))] + [
    explanation_marker(key) for key, *_ in QUESTIONS
]


@pytest.fixture
def marked(make, client, login_as):  # type: ignore[no-untyped-def]
    """A logged-in learner ready for the assessment of the marked course (hide-correct-on-fail review)."""

    folder = make.course_folder(options={"review": "hide-correct-on-fail"})
    write_marked_questions(folder)
    enrolment = make.enrolment(course=make.course(folder=folder), lessons_done="all")
    login_as(enrolment.user)
    return enrolment


def assert_no_answers_in(html: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in html, (where, marker)
    assert "ZQX" not in html, where
    tags_mentioning_correct = re.findall(r"<[^>]*(?:correct|right|answer-key|is_correct)[^>]*>", html, flags=re.IGNORECASE)
    assert tags_mentioning_correct == [], (where, tags_mentioning_correct)
    # The one script allowed is the app's own file (the unsaved-answers warning), which holds no answers.
    own_script = '<script src="/static/js/elearn.js" defer></script>'
    assert "<script" not in html.lower().replace(own_script, "") and " data-" not in html, where
    hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', html)
    assert all('name="csrf_token"' in tag for tag in hidden), (where, hidden)


def assert_values_are_shown_numbers(html: str, rows: list[AttemptQuestion], where: str) -> None:
    for row in rows:
        values = re.findall(rf'name="answer-{row.position}" value="([^"]*)"', html)
        if values:  # the question is on this page
            assert values == [str(n) for n in range(1, len(row.option_order) + 1)], where
            ids = re.findall(rf'id="(answer-{row.position}-[^"]*)"', html)
            assert ids == [f"answer-{row.position}-{n}" for n in range(1, len(row.option_order) + 1)], where


def pages_before_submission(client, attempt: Attempt, count: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    paths = [f"/attempts/{attempt.id}/questions/{p}" for p in range(1, count + 1)] + [
        f"/attempts/{attempt.id}/all", f"/attempts/{attempt.id}/confirm", "/courses/sample-course/assessment",
        "/courses/sample-course", "/my-learning",
    ]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
    return pages


def drawn(attempt: Attempt) -> list[AttemptQuestion]:
    return list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                                   .order_by(AttemptQuestion.position)))


def test_no_page_before_submission_reveals_the_correct_answers(client, marked):
    attempt = start_through_the_page(client)
    rows = drawn(attempt)
    for path, html in pages_before_submission(client, attempt, len(rows)).items():
        assert_no_answers_in(html, path)
        assert_values_are_shown_numbers(html, rows, path)


def test_no_page_reveals_the_correct_answers_once_answers_are_saved(client, marked):
    attempt = start_through_the_page(client)
    rows = drawn(attempt)
    client.post(f"/attempts/{attempt.id}/all", data=form_data(sheet(attempt, wrong)))
    for path, html in pages_before_submission(client, attempt, len(rows)).items():
        assert_no_answers_in(html, path)
    refused = client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": "not a number"})
    assert refused.status_code == 400
    assert_no_answers_in(refused.get_data(as_text=True), "refused save")
    redirected = client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": "1"}, follow_redirects=True)
    assert_no_answers_in(redirected.get_data(as_text=True), "save and next")


def test_a_failed_result_with_hide_correct_on_fail_reveals_no_answers(client, marked):
    attempt = start_through_the_page(client)
    client.post(f"/attempts/{attempt.id}/all", data=form_data(sheet(attempt, wrong)))
    client.post(f"/attempts/{attempt.id}/submit")
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Not passed" in result
    assert_no_answers_in(result, "failed result")
    for row in drawn(attempt):
        assert all(option.text not in result for option in options_of(row) if len(option.text) > 5)


def test_the_markers_do_show_once_the_learner_has_passed(client, marked):
    """The check above is meaningful: the same markers appear in the full review after a pass."""
    attempt = start_through_the_page(client)
    client.post(f"/attempts/{attempt.id}/all", data=form_data(sheet(attempt, right)))
    client.post(f"/attempts/{attempt.id}/submit")
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    for row in drawn(attempt):
        assert explanation_marker(row.question.key) in result


def test_the_shown_position_of_the_correct_option_varies_between_attempts(client, marked):
    """Authors put the correct option first; the shuffle must not keep it there.

    Retakes prefer questions not seen before, so a question may be drawn only once or twice in twelve attempts;
    only those drawn six times or more are judged (four options: the same place six times by chance is 1 in 1,024).
    """
    positions: dict[str, set[int]] = defaultdict(set)
    draws: Counter[str] = Counter()
    for _ in range(12):
        attempt = start_through_the_page(client)
        for row in drawn(attempt):
            if row.question.kind == "single":
                shown = options_of(row)
                draws[row.question.key] += 1
                positions[row.question.key].add(next(n for n, o in enumerate(shown, start=1) if o.is_correct))
        client.post(f"/attempts/{attempt.id}/submit")
    often = {key: seen for key, seen in positions.items() if draws[key] >= 6}
    assert often and all(len(seen) > 1 for seen in often.values()), (positions, draws)


def test_option_ids_in_the_database_follow_the_authors_order_so_the_page_must_not_use_them(marked):
    """Why the pages use shown numbers: the lowest option id of each question is its correct option here."""
    for question_id in set(db.session.scalars(select(Option.question_id))):
        first = db.session.scalars(select(Option).where(Option.question_id == question_id).order_by(Option.id)).first()
        assert first is not None and first.is_correct
