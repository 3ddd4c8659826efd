"""Invite people from a CSV file (name, email, group, courses, kind): a report per row, all good rows in one commit.

The optional `courses` column lists course titles (or their short names) separated by semicolons; they are
assigned when the person joins, due DEFAULT_DUE_IN_DAYS after, besides the standing rules for everyone and
their group. The optional `kind` column says what the person will be here (MemberKind: staff, supply,
peripatetic, volunteer, governor, trustee, or the labels the pages show, such as "Supply staff"); staff when
left empty.

Names are stored as typed, so `=cmd|...` stays text here; neutralising formulas is the exports' job.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from elearn.audit import record_event
from elearn.catalog.service import course_titles
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import Course, Group, MemberKind, Organisation, User
from elearn.people.invitations import (
    DEFAULT_DUE_IN_DAYS,
    Invitee,
    accounts_by_email,
    check_not_member,
    create_invitations,
)
from elearn.people.service import list_groups
from elearn.text_rules import GROUP_NAME_MAX, clean_email, clean_person_name, clean_text
from elearn.wording import MEMBER_KIND_LABELS

log = logging.getLogger(__name__)

MAX_ROWS = 5000
NOT_A_CSV = ("This file is not a CSV file with the columns name, email, group, courses and kind. Nothing was "
             "imported.")


class RowOutcome(StrEnum):
    INVITED = "invited"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RowResult:
    """What happened to one line of the file, and why."""

    line: int
    name: str
    email: str
    outcome: RowOutcome
    reason: str = ""


@dataclass(frozen=True)
class ImportReport:
    rows: list[RowResult]

    @property
    def invited(self) -> int:
        return sum(1 for row in self.rows if row.outcome == RowOutcome.INVITED)

    @property
    def rejected(self) -> int:
        return sum(1 for row in self.rows if row.outcome == RowOutcome.REJECTED)


def read_rows(content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers; InvalidInput (nothing imported) unless this is a CSV we understand."""
    if b"\x00" in content:
        raise InvalidInput("file", NOT_A_CSV)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file", NOT_A_CSV + " Save it as CSV UTF-8.") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if "name" not in header or "email" not in header:
            raise InvalidInput("file", NOT_A_CSV)
        reader.fieldnames = header
        rows: list[tuple[int, dict[str, str]]] = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise InvalidInput("file", f"The file has more than {MAX_ROWS} rows. Split it; nothing was imported.")
            values = {key: (value or "").strip() for key, value in row.items() if isinstance(key, str)}
            if any(values.values()):
                rows.append((reader.line_num, values))
    except csv.Error:
        raise InvalidInput("file", NOT_A_CSV) from None
    return rows


def _course_names() -> dict[str, int]:
    """Each published course by its title and by its slug, in lower case; two queries."""
    names = {title.strip().lower(): course_id for course_id, title in course_titles().items()}
    names.update((slug.lower(), course_id) for course_id, slug in db.session.execute(
        select(Course.id, Course.slug).where(Course.is_published.is_(True))))
    return names


def _courses_of(cell: str, names: dict[str, int]) -> list[int]:
    wanted = [part.strip() for part in cell.split(";") if part.strip()]
    unknown = [part for part in wanted if part.lower() not in names]
    if unknown:
        raise InvalidInput("courses", f"There is no course called “{unknown[0]}”. Use the course's title from the "
                           "course list, and separate several with semicolons.")
    return list(dict.fromkeys(names[part.lower()] for part in wanted))


# Each kind by its value and by its label, in lower case: "supply" and "Supply staff" both mean MemberKind.SUPPLY.
_KINDS: dict[str, MemberKind] = {
    **{kind.value: kind for kind in MemberKind},
    **{label.lower(): MemberKind(value) for value, label in MEMBER_KIND_LABELS.items()},
}
UNKNOWN_KIND = ("There is no kind of member called “{}”. Use one of: "
                + ", ".join(kind.value for kind in MemberKind) + " (or leave it empty for staff).")


def _kind_of(cell: str) -> MemberKind:
    """The kind a row names (by value or label, any case, spaces around ignored); staff when empty."""
    wanted = " ".join(cell.split())
    if not wanted:
        return MemberKind.STAFF
    kind = _KINDS.get(wanted.lower())
    if kind is None:
        raise InvalidInput("kind", UNKNOWN_KIND.format(wanted))
    return kind


def _invitee(row: dict[str, str], line: int, *, groups: dict[str, Group], course_names: dict[str, int],
             seen: dict[str, int]) -> Invitee:
    """One row's person, group, courses and kind, checked in memory; InvalidInput says what is wrong with it. Adds its
    email to `seen` (with its line), so that a later row for the same person is refused as a duplicate."""
    name, email = clean_person_name(row.get("name", "")), clean_email(row.get("email", ""))
    if email in seen:
        raise InvalidInput("email", f"Duplicate of line {seen[email]} in this file.")
    seen[email] = line
    group = None
    if group_name := row.get("group", ""):
        group = groups.get(clean_text(group_name, field="group", max_length=GROUP_NAME_MAX, required=None).lower())
        if group is None:
            raise InvalidInput("group", f"There is no group called “{group_name}”. Create it first.")
    kind = _kind_of(row.get("kind", ""))
    return Invitee(name, email, group, _courses_of(row.get("courses", ""), course_names), kind)


def import_people(org: Organisation, content: bytes, *, actor: User) -> ImportReport:
    """Invite every valid row, with its courses; report each row's outcome. Unknown groups and courses are
    refused, not created or guessed (typos).

    A bounded number of queries whatever the file's size (MAX_ROWS): the rows are checked in memory, the
    existing accounts read in one query, and the invitations, their audit events and their emails (the outbox)
    written in bulk, in one transaction; the emails go in batches once it commits (elearn.jobs.queue)."""
    rows = read_rows(content)
    groups = {group.name.lower(): group for group in list_groups(org)}
    course_names = _course_names() if any(row.get("courses") for _, row in rows) else {}
    seen: dict[str, int] = {}
    checked: list[tuple[int, dict[str, str], Invitee | InvalidInput]] = []
    for line, row in rows:
        try:
            checked.append((line, row, _invitee(row, line, groups=groups, course_names=course_names, seen=seen)))
        except InvalidInput as problem:
            checked.append((line, row, problem))
    accounts = accounts_by_email([invitee.email for _, _, invitee in checked if isinstance(invitee, Invitee)])
    results: list[RowResult] = []
    invitees: list[Invitee] = []
    for line, row, outcome in checked:
        if isinstance(outcome, Invitee):
            try:
                check_not_member(org, accounts.get(outcome.email))
            except InvalidInput as problem:
                outcome = problem
        if isinstance(outcome, Invitee):
            invitees.append(outcome)
            results.append(RowResult(line, outcome.name, outcome.email, RowOutcome.INVITED))
        else:
            results.append(RowResult(line, row.get("name", ""), row.get("email", ""), RowOutcome.REJECTED,
                                     outcome.message))
    create_invitations(org, invitees, actor=actor, accounts=accounts, due_in_days=DEFAULT_DUE_IN_DAYS)
    report = ImportReport(results)
    record_event("people.imported", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 invited=report.invited, rejected=report.rejected)
    db.session.commit()  # the invitations and their queued emails together
    log.info("CSV import for organisation %s by user %s: %s invited, %s rejected", org.id, actor.id,
             report.invited, report.rejected)
    return report
