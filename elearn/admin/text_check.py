"""Stored names, emails and free text that break the text rules: rows written before the rules, or by hand.

Reads only. `flask text check` prints what it finds; fixing a row is a person's decision (a name
on a certificate is evidence), so nothing here rewrites one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from elearn.db import Base
from elearn.extensions import db
from elearn.models import (
    Certificate,
    CourseEvaluation,
    ExternalTraining,
    Group,
    Invitation,
    Organisation,
    SafeguardingContact,
    User,
)
from elearn.text_rules import (
    CONTACT_NAME_MAX,
    CONTACT_NOTES_MAX,
    EVALUATION_COMMENT_MAX,
    GROUP_NAME_MAX,
    ORGANISATION_NAME_MAX,
    PHONE_MAX,
    REVOKE_REASON_MAX,
    TRAINING_NOTE_MAX,
    TRAINING_PROVIDER_MAX,
    TRAINING_TITLE_MAX,
    TextKind,
    text_problem,
)


@dataclass(frozen=True)
class Checked:
    """A column and the rule its values follow; NULL is never a problem, "" only when `required`."""

    column: InstrumentedAttribute[Any]
    kind: TextKind
    max_length: int | None = None
    required: bool = True


# Every column that stores a person's name, an email or free text someone typed, by table.
CHECKED: dict[type[Base], list[Checked]] = {
    User: [Checked(User.display_name, TextKind.PERSON_NAME), Checked(User.email, TextKind.EMAIL)],
    Invitation: [Checked(Invitation.display_name, TextKind.PERSON_NAME), Checked(Invitation.email, TextKind.EMAIL)],
    Certificate: [Checked(Certificate.learner_name, TextKind.PERSON_NAME),
                  Checked(Certificate.revoked_reason, TextKind.LINE, REVOKE_REASON_MAX)],
    Organisation: [Checked(Organisation.name, TextKind.LINE, ORGANISATION_NAME_MAX)],
    Group: [Checked(Group.name, TextKind.LINE, GROUP_NAME_MAX)],
    SafeguardingContact: [Checked(SafeguardingContact.name, TextKind.LINE, CONTACT_NAME_MAX),
                          Checked(SafeguardingContact.phone, TextKind.LINE, PHONE_MAX),
                          Checked(SafeguardingContact.email, TextKind.EMAIL),
                          Checked(SafeguardingContact.notes, TextKind.LINES, CONTACT_NOTES_MAX)],
    ExternalTraining: [Checked(ExternalTraining.title, TextKind.LINE, TRAINING_TITLE_MAX),
                       Checked(ExternalTraining.provider, TextKind.LINE, TRAINING_PROVIDER_MAX),
                       Checked(ExternalTraining.note, TextKind.LINES, TRAINING_NOTE_MAX)],
    CourseEvaluation: [Checked(CourseEvaluation.comment, TextKind.LINES, EVALUATION_COMMENT_MAX, required=False)],
}


@dataclass(frozen=True)
class TextProblem:
    table: str
    row_id: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table}:{self.row_id}: {self.field}: {self.problem}"


@dataclass(frozen=True)
class TextReport:
    problems: list[TextProblem]
    values_checked: int
    tables_checked: int


def find_text_problems() -> TextReport:
    """Every stored value that breaks its text rule, table by table and in id order; one query per table."""
    problems: list[TextProblem] = []
    checked_values = 0
    for model, columns in CHECKED.items():
        table = model.__table__
        rows = db.session.execute(select(table.c.id, *(c.column for c in columns)).order_by(table.c.id))
        for row_id, *values in rows:
            for checked, value in zip(columns, values, strict=True):
                if value is None:
                    continue
                checked_values += 1
                problem = text_problem(value, checked.kind, max_length=checked.max_length, required=checked.required)
                if problem:
                    problems.append(TextProblem(model.__tablename__, row_id, checked.column.key, problem))
    return TextReport(problems, checked_values, len(CHECKED))
