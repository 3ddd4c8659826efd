"""Chasing: a reminder a manager sends to one person, to the people ticked, or to everyone overdue or expiring in
the matrix's filter, shown before it is sent; and the rule every reminder to a learner obeys, the scheduled ones
too (reminders.py): at most one a day.

The daily limit is a ReminderLog row (kind DAY, course NULL, `week` holding the UK date as YYYYMMDD) added in
the transaction that queues the email. The partial unique index uq_reminder_logs_user_kind_week allows one such
row per person and day, so two managers, or a manager and the scheduler, cannot both send one that day.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, union
from sqlalchemy.exc import IntegrityError

from elearn.access import MemberAction, get_members
from elearn.audit import record_event
from elearn.catalog.service import course_titles
from elearn.clock import london_today, uk_date
from elearn.compliance.compliance import ComplianceStatus
from elearn.compliance.matrix import MatrixQuery, known_topic, matching_people
from elearn.compliance.reports import cells
from elearn.compliance.session_grid import SessionGrid, people_by_status, session_grid
from elearn.errors import Conflict, InvalidInput
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import Organisation, ReminderLog, User

log = logging.getLogger(__name__)

DAY = "day"  # the log's kind for "this person has had their reminder today"
SUBJECT = "Reminder: your safeguarding training"
MAX_PEOPLE = 1000  # one confirmation page; a larger filter is split by group or course
URGENT = (ComplianceStatus.OVERDUE, ComplianceStatus.EXPIRING)
OUTSTANDING = (*URGENT, ComplianceStatus.IN_PROGRESS, ComplianceStatus.NOT_STARTED)


def day_key(day: date) -> str:
    """The log's key for one UK day, e.g. "20261205" (the column holds eight characters)."""
    return day.strftime("%Y%m%d")


@dataclass(frozen=True)
class Draft:
    """One person's reminder: the lines it lists."""

    user_id: int
    name: str
    email: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Chase:
    """What a reminder would do: who gets one (drafts), who already had one today, who has nothing outstanding."""

    drafts: list[Draft]
    already_today: list[Draft]
    nothing_due: list[str]
    urgent_only: bool
    course_id: int | None

    @property
    def user_ids(self) -> list[int]:
        return [draft.user_id for draft in self.drafts]


def describe(title: str, status: str, due_on: date | None, valid_until: date | None) -> str:
    """One line of a reminder: the course and what is due when."""
    if status == ComplianceStatus.EXPIRING.value:
        return f"{title}: your certificate expires on {uk_date(valid_until)}; take the refresher before then"
    if status == ComplianceStatus.OVERDUE.value:
        return f"{title}: was due on {uk_date(due_on)} (overdue)"
    return f"{title}: due on {uk_date(due_on)}" if due_on else title


def describe_session(topic: str, status: str, due_on: date | None, valid_until: date | None) -> str:
    """One line of a reminder about a face-to-face session a person's role needs: there is no course to open, so
    it says to book and attend one."""
    what = f"{topic} (face-to-face session)"
    if status == ComplianceStatus.EXPIRING.value:
        return (f"{what}: your last session counts until {uk_date(valid_until)}; book a place on the next one "
                "before then (ask your safeguarding lead when one is running)")
    if status == ComplianceStatus.OVERDUE.value:
        return (f"{what}: was due on {uk_date(due_on)} (overdue); book a place on the next session and attend it "
                "(ask your safeguarding lead when one is running)")
    return f"{what}: book a place on a session and attend it by {uk_date(due_on)}"


def session_lines(sessions: SessionGrid, statuses: Sequence[ComplianceStatus]) -> dict[int, list[tuple[date, str]]]:
    """Per person, the reminder lines of their session requirements in these statuses, with the date each is
    about (to sort them among their courses)."""
    topics = {column.key: column.topic for column in sessions.columns}
    lines: dict[int, list[tuple[date, str]]] = {}
    for user_id, mine in sessions.cells.items():
        for key, cell in mine.items():
            if cell.status in statuses:
                lines.setdefault(user_id, []).append(
                    (cell.due_on, describe_session(topics[key], cell.status.value, cell.due_on, cell.valid_until)))
    return lines


def reminder_body(name: str, lines: Sequence[str]) -> str:
    """The text of a reminder to a learner, the scheduled ones too; no scores, no answers."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    listed = "\n".join(f"  - {line}" for line in lines)
    return (f"Hello {name},\n\nA reminder about your safeguarding training:\n\n{listed}\n\n"
            f"Sign in to continue your training: {base}/my-learning\n\n"
            "You get at most one reminder a day.\n")


def taken_today(user_ids: Sequence[int], today: date) -> set[int]:
    """Which of these people have had their reminder today; one query."""
    if not user_ids:
        return set()
    return set(db.session.scalars(select(ReminderLog.user_id).where(
        ReminderLog.user_id.in_(list(user_ids)), ReminderLog.kind == DAY, ReminderLog.week == day_key(today),
        ReminderLog.course_id.is_(None))))


def claim_day(user_id: int, today: date) -> None:
    """Take the person's one reminder of the day (added, not flushed: the caller's flush meets the unique index)."""
    db.session.add(ReminderLog(user_id=user_id, kind=DAY, course_id=None, week=day_key(today)))


def _lines(org: Organisation, user_ids: list[int], today: date, *, urgent_only: bool,
           course_id: int | None) -> dict[int, list[str]]:
    """Per person, the lines of their reminder: their outstanding assigned courses (or only what is overdue or
    expiring), soonest first, then the face-to-face sessions their roles need in the same statuses (unless the
    reminder is about one course); one query, and the session grid's."""
    grid = cells(org, today, user_ids=user_ids)
    statuses = [s.value for s in (URGENT if urgent_only else OUTSTANDING)]
    statement = (select(grid.c.user_id, grid.c.course_id, grid.c.status, grid.c.due_on, grid.c.valid_until)
                 .where(grid.c.status.in_(statuses),
                        or_(grid.c.assignment_id.is_not(None), grid.c.status == ComplianceStatus.EXPIRING.value))
                 .order_by(grid.c.user_id, grid.c.due_on, grid.c.course_id))
    if course_id is not None:
        statement = statement.where(grid.c.course_id == course_id)
    titles = course_titles()
    lines: dict[int, list[str]] = {}
    for user_id, cid, status, due_on, valid_until in db.session.execute(statement):
        lines.setdefault(user_id, []).append(describe(titles.get(cid, "a course"), status, due_on, valid_until))
    if course_id is None:
        wanted = URGENT if urgent_only else OUTSTANDING
        for user_id, dated in session_lines(session_grid(org, user_ids, today=today), wanted).items():
            lines.setdefault(user_id, []).extend(line for _, line in sorted(dated))
    return lines


def plan_chase(org: Organisation, user_ids: Sequence[int], *, actor: User, urgent_only: bool = False,
               course_id: int | None = None, today: date | None = None) -> Chase:
    """What reminding these people would send, for the confirmation page and for sending itself. Each must be an
    active member the actor may manage (else NotFound, as for one person)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise InvalidInput("user_ids", "Nobody to remind: tick people in the matrix, or choose a filter with people "
                           "overdue or expiring.")
    if len(wanted) > MAX_PEOPLE:
        raise InvalidInput("user_ids", f"Remind at most {MAX_PEOPLE} people at once: narrow the filter.")
    today = today or london_today()
    members = [m for m in get_members(wanted, MemberAction.MANAGE, actor=actor, organisation=org) if m.is_active_account]
    lines = _lines(org, [m.id for m in members], today, urgent_only=urgent_only, course_id=course_id)
    taken = taken_today([m.id for m in members], today)
    drafts = [Draft(m.id, m.display_name, m.email, tuple(lines[m.id])) for m in sorted(members, key=_by_name)
              if m.id in lines]
    return Chase([d for d in drafts if d.user_id not in taken], [d for d in drafts if d.user_id in taken],
                 [m.display_name for m in sorted(members, key=_by_name) if m.id not in lines], urgent_only, course_id)


def _by_name(user: User) -> tuple[str, int]:
    return user.display_name.lower(), user.id


def urgent_in_filter(org: Organisation, query: MatrixQuery, *, today: date | None = None) -> list[int]:
    """The people the matrix's filters match who are overdue or expiring (on the filter's course or session topic,
    if it has one; else on a course or on a face-to-face session their roles need)."""
    today = today or london_today()
    grid = cells(org, today)
    sessions = session_grid(org, today=today) if query.course_id is None else None
    query = known_topic(query, sessions)  # as the matrix does with a topic nobody needs here
    people = matching_people(org, query, grid, sessions).subquery("matching")
    statement: Any = select(grid.c.user_id.label("user_id")).where(
        grid.c.user_id.in_(select(people.c.id)), grid.c.status.in_([s.value for s in URGENT]))
    if query.course_id is not None:
        statement = statement.where(grid.c.course_id == query.course_id)
    if sessions is not None:
        by_status = people_by_status(sessions, query.topic)
        if query.topic is not None:  # urgent on that topic: its session cells alone
            statement = select(people.c.id.label("user_id")).where(
                people.c.id.in_(sorted(set().union(*(by_status.get(s, set()) for s in URGENT)))))
        elif behind := sorted(set().union(*(by_status.get(s, set()) for s in URGENT))):
            statement = union(statement, select(people.c.id.label("user_id")).where(people.c.id.in_(behind)))
    found = statement.subquery("urgent")  # UNION, or DISTINCT: each person once
    return list(db.session.scalars(select(found.c.user_id).distinct().order_by(found.c.user_id)
                                   .limit(MAX_PEOPLE + 1)))


@dataclass(frozen=True)
class ChaseResult:
    sent: int
    already_today: int
    nothing_due: int


def send_chase(org: Organisation, user_ids: Sequence[int], *, actor: User, urgent_only: bool = False,
               course_id: int | None = None, today: date | None = None) -> ChaseResult:
    """Queue a reminder to each of these people who has something outstanding and has not had one today; one
    commit. The lines are read again now, so the email says what is true when it is sent."""
    today = today or london_today()
    chase = plan_chase(org, user_ids, actor=actor, urgent_only=urgent_only, course_id=course_id, today=today)
    for draft in chase.drafts:
        claim_day(draft.user_id, today)
        try:
            send_email(draft.email, SUBJECT, reminder_body(draft.name, draft.lines))
        except IntegrityError:  # the flush met another reminder sent to one of them a moment ago
            db.session.rollback()
            raise Conflict("Someone else sent a reminder to one of these people at the same moment. "
                           "Go back and try again.") from None
        except ValueError:  # an address that cannot be mailed (a line break): send to the others
            db.session.rollback()
            raise InvalidInput("user_ids", f"The email address of {draft.name} cannot be mailed. "
                               "Correct it, or untick them.") from None
    record_event("reminder.sent", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 user_ids=chase.user_ids, urgent_only=urgent_only, course_id=course_id)
    db.session.commit()
    log.info("user %s reminded %s people of organisation %s", actor.id, len(chase.drafts), org.id)
    return ChaseResult(len(chase.drafts), len(chase.already_today), len(chase.nothing_due))
