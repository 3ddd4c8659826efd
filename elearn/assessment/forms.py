"""Reading the answer pages: strict shape checks on dynamic fields; the service checks the rules.

The answer fields depend on the attempt (`answer-<position>`, one per question on the page),
so they are parsed here by a small pure function rather than a WTForms class. Each value is
the option's number as shown on the page (1, 2, …), never a database id: ids are numbered in
the author's order, and the author often writes the correct option first.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from werkzeug.datastructures import MultiDict

from elearn.errors import InvalidInput

ANSWER_FIELD = "answer-"
_POSITION = re.compile(r"[1-9][0-9]{0,2}")
_NUMBER = re.compile(r"[1-9][0-9]{0,2}")  # ASCII digits only: int() would also accept "١" or " 2"

Destination = int | str  # a question position, or "confirm" / "all"


def parse_answer_sheet(form: MultiDict[str, str], positions: Collection[int]) -> dict[int, tuple[int, ...]]:
    """The option numbers ticked for each question on the page; a question left blank maps to ().

    Fields other than `answer-…` (the CSRF token, the buttons, a forged `score`) are ignored:
    the server marks the saved answers itself.

    Raises:
        InvalidInput: a field names a question that is not on this page, or a value is not an
            option number (not a positive integer, or given twice).
    """
    sheet: dict[int, tuple[int, ...]] = {position: () for position in positions}
    for name in form:
        if not name.startswith(ANSWER_FIELD):
            continue
        raw_position = name[len(ANSWER_FIELD):]
        if not _POSITION.fullmatch(raw_position) or int(raw_position) not in sheet:
            raise InvalidInput("answers", "The answers named a question that is not on this page.")
        values = form.getlist(name)
        if not all(_NUMBER.fullmatch(value) for value in values) or len(set(values)) != len(values):
            raise InvalidInput("answers", "The answers named an option that is not part of the question.")
        sheet[int(raw_position)] = tuple(int(value) for value in values)
    return sheet


def next_destination(go: str | None, position: int, count: int) -> Destination:
    """Where a "Save and …" button leads from question `position` of `count`.

    `next` (the default) and `previous` move one question, ending at the confirmation page;
    `confirm` goes there directly; `all` opens the one-page view; `stay` reloads this question.
    """
    if go == "previous":
        return max(position - 1, 1)
    if go == "stay":
        return position
    if go in ("confirm", "all"):
        return go
    return position + 1 if position < count else "confirm"
