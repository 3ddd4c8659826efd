"""Answer pickers and page readers for the assessment tests (the builders are in tests/makers.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from sqlalchemy import select

from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Option

AnswerPicker = Callable[[AttemptQuestion], list[int]]


def options_of(row: AttemptQuestion) -> list[Option]:
    """The options of a drawn question in the frozen order the learner saw."""
    by_id = {o.id: o for o in db.session.scalars(select(Option).where(Option.question_id == row.question_id))}
    return [by_id[i] for i in row.option_order]


def right(row: AttemptQuestion) -> list[int]:
    """The option numbers (as shown, 1-based) of the correct options."""
    return [n for n, option in enumerate(options_of(row), start=1) if option.is_correct]


def wrong(row: AttemptQuestion) -> list[int]:
    """One wrong option number."""
    return [next(n for n, option in enumerate(options_of(row), start=1) if not option.is_correct)]


def sheet(attempt: Attempt, pick: AnswerPicker | dict[int, AnswerPicker]) -> dict[int, list[int]]:
    """An answer sheet for every question: `pick` for all, or per position (missing positions left blank)."""
    rows = list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                                   .order_by(AttemptQuestion.position)))
    if callable(pick):
        return {row.position: pick(row) for row in rows}
    return {row.position: pick[row.position](row) for row in rows if row.position in pick}


def form_data(answers: dict[int, list[int]]) -> dict[str, list[str]]:
    """The POST body a browser would send for an answer sheet."""
    return {f"answer-{position}": [str(n) for n in numbers] for position, numbers in answers.items()}


def option_labels(html: str, position: int) -> list[str]:
    """The option labels of one question on a page, in page order."""
    pattern = rf'<label for="answer-{position}-\d+">(.*?)</label>'
    return [unescape(text) for text in re.findall(pattern, html, flags=re.DOTALL)]


def start_through_the_page(client, **data: str) -> Attempt:  # type: ignore[no-untyped-def]
    """Press the Start button on the sample course's assessment page; return the attempt it leads to."""
    response = client.post("/courses/sample-course/assessment/start", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.get_one(Attempt, attempt_id_from(response.location))


def attempt_id_from(location: str) -> int:
    match = re.search(r"/attempts/(\d+)", location)
    assert match, location
    return int(match.group(1))
