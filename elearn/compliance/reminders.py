"""Automatic reminders, on each organisation's schedule, and the managers' weekly digest. Run each morning by the
scheduler (elearn/jobs: send-reminders) or by hand (`flask reminders send`); safe to rerun.

A learner's reminders follow their organisation's ReminderSchedule (no row: all on): when a course is assigned,
a week before it is due, on the due date, every week while overdue, and 30 days before a certificate expires.
Each event is logged (ReminderLog: person, kind, course or face-to-face session topic, and a key: the date it is
about, or the ISO week for "weekly while overdue"), so it is sent once for each course and each topic. A person gets at most one email a day, whatever its cause
(chasing.claim_day, the rule manual reminders obey too); a day's email lists everything due that day.

Why claim and queue in one transaction per email:
- The log rows are inserted and flushed first. That takes the unique index slots, so a second run at the
  same moment waits on them (PostgreSQL row lock; SQLite's single writer) and then finds them taken: no
  double send from overlapping runs.
- The email is queued in the outbox (elearn/mail.py) in the same transaction, so the log rows and the
  email are committed together or not at all; a worker sends it, retrying while SMTP is down.
- Committing per email (rather than once per run) keeps a run that dies at email 900 from forgetting
  the 899 already queued.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from elearn.access import members_of
from elearn.audit import record_event
from elearn.catalog.service import course_titles
from elearn.clock import london_today, to_london
from elearn.compliance import reports
from elearn.compliance.chasing import (
    OUTSTANDING,
    SUBJECT,
    claim_day,
    day_key,
    describe,
    describe_session,
    reminder_body,
    taken_today,
)
from elearn.compliance.compliance import EXPIRING_WITHIN_DAYS, ComplianceStatus
from elearn.compliance.session_grid import session_grid
from elearn.db import now_utc
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import Assignment, Certificate, Organisation, ReminderLog, ReminderSchedule, Role, User
from elearn.text_rules import TRAINING_TITLE_MAX

log = logging.getLogger(__name__)

# The schedule's events: the ReminderSchedule column, and what the settings page calls it.
EVENTS = {
    "on_assignment": "When a course is assigned",
    "week_before_due": "A week before the due date",
    "on_due_day": "On the due date",
    "weekly_overdue": "Every week while overdue",
    "before_expiry": "30 days before a certificate expires",
}
# A face-to-face session requirement reaches the same events (not "when assigned": nothing is assigned) and logs
# them under its own kind, course NULL, with its topic: one log row per person, event, topic and key.
SESSION_EVENT_PREFIX = "session_"
SESSION_EVENTS = tuple(SESSION_EVENT_PREFIX + name for name in EVENTS if name != "on_assignment")
DIGEST = "manager_digest"
DIGEST_SUBJECT = "Weekly safeguarding training summary"
ASSIGNED_WITHIN_DAYS = 7  # a run that missed the day of the assignment still sends its reminder this long after
KEEP_LOOKING_DAYS = 400  # how far back the log is read: further than any key a run asks about


def log_topic(key: str) -> str:
    """A session topic's key (session_grid: the topic casefolded) as the log holds it: within the column's length
    (casefolding may lengthen a title; two topics alike in their first TRAINING_TITLE_MAX characters share a row)."""
    return key[:TRAINING_TITLE_MAX]


def iso_week(day: date) -> str:
    """The ISO year and week of a day, e.g. "2026-W48": one digest and one overdue reminder per week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- the organisation's schedule -----------------------------------------------------------


def get_schedule(org: Organisation) -> ReminderSchedule:
    """The organisation's schedule; all on when it has never saved one (a new object, not added to the session)."""
    saved = db.session.get(ReminderSchedule, org.id)
    return saved if saved is not None else ReminderSchedule(organisation_id=org.id, **dict.fromkeys(EVENTS, True))


def save_schedule(org: Organisation, events: dict[str, bool], *, actor: User) -> ReminderSchedule:
    """Choose which automatic reminders the organisation's staff get."""
    schedule = db.session.get(ReminderSchedule, org.id)
    if schedule is None:
        schedule = ReminderSchedule(organisation_id=org.id)
        db.session.add(schedule)
    for name in EVENTS:
        setattr(schedule, name, bool(events.get(name)))
    schedule.updated_by_id = actor.id
    record_event("reminder_schedule.saved", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 on=[name for name in EVENTS if events.get(name)])
    db.session.commit()
    return schedule


def events_due(schedule: ReminderSchedule, *, status: str, assigned_on: date | None, due_on: date | None,
               valid_until: date | None, today: date) -> list[tuple[str, str]]:
    """The schedule's events one course of one person reaches today, as (log kind, key); pure."""
    found: list[tuple[str, str]] = []
    if status in (ComplianceStatus.NOT_STARTED.value, ComplianceStatus.IN_PROGRESS.value):
        if schedule.on_assignment and assigned_on is not None and 0 <= (today - assigned_on).days < ASSIGNED_WITHIN_DAYS:
            found.append(("on_assignment", day_key(assigned_on)))
        if schedule.week_before_due and due_on is not None and 0 < (due_on - today).days <= 7:
            found.append(("week_before_due", day_key(due_on)))
        if schedule.on_due_day and due_on == today:
            found.append(("on_due_day", day_key(due_on)))
    elif status == ComplianceStatus.OVERDUE.value and schedule.weekly_overdue:
        found.append(("weekly_overdue", iso_week(today)))
    elif status == ComplianceStatus.EXPIRING.value and schedule.before_expiry and valid_until is not None:
        found.append(("before_expiry", day_key(valid_until)))
    return found


# --- a run ---------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a run did: reminders per event, learners emailed, digests, people skipped (reminded today already, or
    another run's), and emails that could not be queued."""

    day: date
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENTS, 0))
    learners: int = 0
    digests: int = 0
    already_sent: int = 0
    failed: int = 0

    def text(self) -> str:
        events = ", ".join(f"{EVENTS[name].lower()} {count}" for name, count in self.events.items())
        return (f"Reminders for {self.day.isoformat()}: {self.learners} learners emailed ({events}); "
                f"{self.digests} manager digests; {self.already_sent} already sent; "
                f"{self.failed} not queued (an address that cannot be mailed).")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str


@dataclass
class Due:
    """A learner's reminder today: its lines and the events it reports (kind, course id or None for a session
    requirement's, the session's topic (log_topic) or "" for a course's, key)."""

    lines: list[str] = field(default_factory=list)
    events: list[tuple[str, int | None, str, str]] = field(default_factory=list)


def _sessions_due(org: Organisation, schedule: ReminderSchedule, today: date,
                  sent: Collection[tuple[object, ...]]) -> dict[int, Due]:
    """Per person, the schedule's events their face-to-face session requirements reach today and have not before:
    a line each, asking them to book and attend; the session grid's queries."""
    sessions = session_grid(org, today=today)
    topics = {column.key: column.topic for column in sessions.columns}
    due: dict[int, Due] = {}
    for user_id, mine in sessions.cells.items():
        for key, cell in sorted(mine.items(), key=lambda item: item[1].due_on):
            topic = log_topic(key)
            events = [(SESSION_EVENT_PREFIX + kind, None, topic, when) for kind, when in events_due(
                schedule, status=cell.status.value, due_on=cell.due_on, valid_until=cell.valid_until, today=today,
                assigned_on=None) if (user_id, SESSION_EVENT_PREFIX + kind, None, topic, when) not in sent]
            if events:
                item = due.setdefault(user_id, Due())
                item.lines.append(describe_session(topics[key], cell.status.value, cell.due_on, cell.valid_until))
                item.events += events
    return due


def _learners_due(org: Organisation, schedule: ReminderSchedule, today: date) -> dict[Recipient, Due]:
    """Per active member, what their organisation's schedule reminds them of today and has not before, courses and
    face-to-face sessions; two queries, and the session grid's."""
    grid = reports.cells(org, today)
    titles = course_titles()
    rows = db.session.execute(
        select(User.id, User.email, User.display_name, grid.c.course_id, grid.c.status, grid.c.due_on,
               grid.c.valid_until, Assignment.assigned_at)
        .join(User, User.id == grid.c.user_id)
        .outerjoin(Assignment, Assignment.id == grid.c.assignment_id)
        .where(User.anonymised_at.is_(None), grid.c.status.in_([s.value for s in OUTSTANDING]),
               or_(grid.c.assignment_id.is_not(None), grid.c.status == ComplianceStatus.EXPIRING.value))
        .order_by(User.id, grid.c.due_on, grid.c.course_id)
    ).all()
    sent = {tuple(row) for row in db.session.execute(
        select(ReminderLog.user_id, ReminderLog.kind, ReminderLog.course_id, ReminderLog.topic, ReminderLog.week)
        .join(User, User.id == ReminderLog.user_id)
        .where(members_of(org.id), ReminderLog.kind.in_([*EVENTS, *SESSION_EVENTS]),
               ReminderLog.sent_at >= now_utc() - timedelta(days=KEEP_LOOKING_DAYS)))}
    due: dict[Recipient, Due] = {}
    for user_id, email, name, course_id, status, due_on, valid_until, assigned_at in rows:
        events = [(kind, key) for kind, key in events_due(
            schedule, status=status, due_on=due_on, valid_until=valid_until, today=today,
            assigned_on=to_london(assigned_at).date() if assigned_at else None)
            if (user_id, kind, course_id, "", key) not in sent]
        if events:
            item = due.setdefault(Recipient(user_id, email, name), Due())
            item.lines.append(describe(titles.get(course_id, "a course"), status, due_on, valid_until))
            item.events += [(kind, course_id, "", key) for kind, key in events]
    sessions = _sessions_due(org, schedule, today, sent)
    if sessions:
        people = {recipient.user_id: recipient for recipient in due}
        missing = [user_id for user_id in sessions if user_id not in people]
        if missing:
            people.update((user_id, Recipient(user_id, email, name)) for user_id, email, name in db.session.execute(
                select(User.id, User.email, User.display_name).where(User.id.in_(missing),
                                                                     User.anonymised_at.is_(None))))
        for user_id, more in sessions.items():
            if user_id in people:
                item = due.setdefault(people[user_id], Due())
                item.lines += more.lines
                item.events += more.events
    return due


def _remind(recipient: Recipient, due: Due, today: date, summary: Summary) -> None:
    """Claim the person's day and log the events, and queue the email, in one transaction."""
    claim_day(recipient.user_id, today)
    db.session.add_all(ReminderLog(user_id=recipient.user_id, kind=kind, course_id=course_id, topic=topic, week=key)
                       for kind, course_id, topic, key in due.events)
    try:
        send_email(recipient.email, SUBJECT, reminder_body(recipient.name, due.lines))
    except IntegrityError:  # another run, or a manager, reminded them a moment ago
        db.session.rollback()
        summary.already_sent += 1
        return
    except ValueError as error:  # an address with a line break: it cannot be mailed, now or later
        db.session.rollback()
        summary.failed += 1
        log.warning("reminder to user %s not queued (%s)", recipient.user_id, error)
        return
    db.session.commit()
    summary.learners += 1
    for kind, *_ in due.events:
        summary.events[kind.removeprefix(SESSION_EVENT_PREFIX)] += 1


def _remind_all(due: dict[Recipient, Due], today: date, summary: Summary) -> None:
    taken = taken_today([r.user_id for r in due], today)
    for recipient, items in due.items():
        if recipient.user_id in taken:  # a manager reminded them today: the schedule's turn comes tomorrow
            summary.already_sent += 1
            continue
        _remind(recipient, items, today, summary)


def _unattached_due(today: date) -> dict[Recipient, Due]:
    """Active learners in no organisation whose newest certificate for a course expires within 30 days, not yet
    reminded of that expiry: nobody assigns them anything and no organisation has a schedule for them, but their
    certificate still runs out (the default schedule's "before expiry" event); two queries."""
    newest = func.max(Certificate.expires_on)
    rows = db.session.execute(
        select(User.id, User.email, User.display_name, Certificate.course_id, newest)
        .join(User, User.id == Certificate.user_id)
        .where(User.organisation_id.is_(None), User.is_active_account.is_(True), User.anonymised_at.is_(None),
               Certificate.revoked_at.is_(None))
        .group_by(User.id, User.email, User.display_name, Certificate.course_id)
        .having(newest >= today, newest <= today + timedelta(days=EXPIRING_WITHIN_DAYS))
        .order_by(User.id, Certificate.course_id)
    ).all()
    sent = {tuple(row) for row in db.session.execute(
        select(ReminderLog.user_id, ReminderLog.course_id, ReminderLog.week)
        .where(ReminderLog.user_id.in_({row[0] for row in rows}), ReminderLog.kind == "before_expiry"))} if rows else set()
    titles = course_titles()
    due: dict[Recipient, Due] = {}
    for user_id, email, name, course_id, valid_until in rows:
        key = day_key(valid_until)
        if (user_id, course_id, key) in sent:
            continue
        item = due.setdefault(Recipient(user_id, email, name), Due())
        item.lines.append(describe(titles.get(course_id, "a course"), ComplianceStatus.EXPIRING.value, None, valid_until))
        item.events.append(("before_expiry", course_id, "", key))
    return due


def _managers(org: Organisation) -> list[Recipient]:
    return [Recipient(uid, email, name) for uid, email, name in db.session.execute(
        select(User.id, User.email, User.display_name).where(
            User.organisation_id == org.id, User.role == Role.MANAGER, User.is_active_account.is_(True))
        .order_by(User.id))]


def digest_body(name: str, org: Organisation, counts: reports.AttentionCounts) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (f"Hello {name},\n\nThis week's safeguarding training summary for {org.name}:\n\n"
            f"  - overdue: {counts.overdue} people\n"
            f"  - due within {reports.DUE_SOON_DAYS} days: {counts.due_soon} people\n"
            f"  - certificates expiring within 30 days: {counts.expiring} people\n\n"
            f"See who, and send them a reminder, from the compliance page: {base}/manage/\n")


def _send_digests(org: Organisation, today: date, summary: Summary, sent_this_week: set[int]) -> None:
    """Each manager's weekly digest, once per ISO week, with the dashboard's counts."""
    managers = [m for m in _managers(org) if m.user_id not in sent_this_week]
    if not managers:
        return
    counts = reports.attention_counts(org, today=today)
    for manager in managers:
        db.session.add(ReminderLog(user_id=manager.user_id, kind=DIGEST, course_id=None, week=iso_week(today)))
        try:
            send_email(manager.email, DIGEST_SUBJECT, digest_body(manager.name, org, counts))
        except IntegrityError:
            db.session.rollback()
            summary.already_sent += 1
            continue
        except ValueError:
            db.session.rollback()
            summary.failed += 1
            continue
        db.session.commit()
        summary.digests += 1


def send_reminders(*, today: date | None = None) -> Summary:
    """Send today's scheduled reminders of every organisation, at most one email a person a day, and this week's
    manager digests not sent yet; safe to run again."""
    today = today or london_today()
    summary = Summary(today)
    digested = set(db.session.scalars(select(ReminderLog.user_id).where(
        ReminderLog.kind == DIGEST, ReminderLog.week == iso_week(today), ReminderLog.course_id.is_(None))))
    for org in db.session.scalars(select(Organisation).order_by(Organisation.id)).all():
        _remind_all(_learners_due(org, get_schedule(org), today), today, summary)
        _send_digests(org, today, summary, digested)
    _remind_all(_unattached_due(today), today, summary)
    log.info("reminders for %s: %s learners, events %s, %s digests, already sent %s, failed %s", today,
             summary.learners, summary.events, summary.digests, summary.already_sent, summary.failed)
    return summary
