"""Weekly reminders: learners whose assigned training is due within 7 days or overdue, or whose certificate
expires within 30 days; and a digest for each manager. Meant for cron (`flask reminders send`), safe to rerun.

At most one email per person, reminder kind and ISO week: a ReminderLog row (course_id NULL, so the
partial unique index uq_reminder_logs_user_kind_week applies) marks it sent.

Why claim and queue in one transaction per email:
- The log row is inserted and flushed first. That takes the unique index slot, so a second run at the
  same moment waits on it (PostgreSQL row lock; SQLite's single writer) and then finds it taken: no
  double send from overlapping runs.
- The email is queued in the outbox (elearn/mail.py) in the same transaction, so the log row and the
  email are committed together or not at all; a worker sends it, retrying while SMTP is down. Each
  reminder is therefore sent exactly once, and a run never waits for the mail server.
- Committing per email (rather than once per run) keeps a run that dies at email 900 from forgetting
  the 899 already queued.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from elearn.catalog.service import course_titles
from elearn.clock import london_today, uk_date
from elearn.compliance import reports
from elearn.compliance.compliance import EXPIRING_WITHIN_DAYS, ComplianceStatus
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import Certificate, Organisation, ReminderLog, Role, User

log = logging.getLogger(__name__)

DUE_SOON, OVERDUE, EXPIRING, DIGEST = "due_soon", "overdue", "expiring", "manager_digest"
DUE_WITHIN_DAYS = 7
SUBJECTS = {
    DUE_SOON: "Reminder: safeguarding training due soon",
    OVERDUE: "Reminder: safeguarding training overdue",
    EXPIRING: "Reminder: your safeguarding certificate expires soon",
    DIGEST: "Weekly safeguarding training summary",
}
INTROS = {
    DUE_SOON: "This training is due within the next 7 days:",
    OVERDUE: "This training is overdue:",
    EXPIRING: "Your certificate for this training expires within 30 days. Take the refresher before it does:",
}


def iso_week(day: date) -> str:
    """The ISO year and week of a day, e.g. "2026-W48": one reminder of each kind per week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Summary:
    """What a run did: emails sent per kind, those already sent this week, and those that failed."""

    week: str
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys((DUE_SOON, OVERDUE, EXPIRING, DIGEST), 0))
    already_sent: int = 0
    failed: int = 0

    def text(self) -> str:
        return (f"Reminders for {self.week}: due soon {self.sent[DUE_SOON]}, overdue {self.sent[OVERDUE]}, "
                f"expiring {self.sent[EXPIRING]}, manager digests {self.sent[DIGEST]}; "
                f"{self.already_sent} already sent this week; {self.failed} not queued (an address that cannot be mailed).")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str


def _learner_items(org: Organisation, today: date) -> dict[tuple[Recipient, str], list[str]]:
    """Per active member and reminder kind, the lines to list (course and date); one query."""
    grid = reports.cells(org, today)
    titles = course_titles()
    rows = db.session.execute(
        select(User.id, User.email, User.display_name, grid.c.course_id, grid.c.status, grid.c.due_on,
               grid.c.valid_until)
        .join(User, User.id == grid.c.user_id)
        .where(User.anonymised_at.is_(None), or_(
            grid.c.status.in_((ComplianceStatus.OVERDUE.value, ComplianceStatus.EXPIRING.value)),
            and_(grid.c.assignment_id.is_not(None), grid.c.due_on <= today + timedelta(days=DUE_WITHIN_DAYS),
                 grid.c.status.in_((ComplianceStatus.NOT_STARTED.value, ComplianceStatus.IN_PROGRESS.value)))))
        .order_by(User.id, grid.c.course_id)
    )
    items: dict[tuple[Recipient, str], list[str]] = defaultdict(list)
    for user_id, email, name, course_id, status, due_on, valid_until in rows:
        title = titles.get(course_id, "a course")
        if status == ComplianceStatus.OVERDUE.value:
            kind, line = OVERDUE, f"{title} (was due {uk_date(due_on)})"
        elif status == ComplianceStatus.EXPIRING.value:
            kind, line = EXPIRING, f"{title} (certificate valid until {uk_date(valid_until)})"
        else:
            kind, line = DUE_SOON, f"{title} (due {uk_date(due_on)})"
        items[(Recipient(user_id, email, name), kind)].append(line)
    return items


def _unattached_expiring(today: date) -> dict[Recipient, list[str]]:
    """Active learners in no organisation whose newest certificate for a course expires within 30 days: nobody
    assigns them anything, but their certificate still runs out; one query."""
    newest = func.max(Certificate.expires_on)
    rows = db.session.execute(
        select(User.id, User.email, User.display_name, Certificate.course_id, newest)
        .join(User, User.id == Certificate.user_id)
        .where(User.organisation_id.is_(None), User.is_active_account.is_(True), User.anonymised_at.is_(None),
               Certificate.revoked_at.is_(None))
        .group_by(User.id, User.email, User.display_name, Certificate.course_id)
        .having(newest >= today, newest <= today + timedelta(days=EXPIRING_WITHIN_DAYS))
        .order_by(User.id, Certificate.course_id)
    )
    titles = course_titles()
    items: dict[Recipient, list[str]] = defaultdict(list)
    for user_id, email, name, course_id, valid_until in rows:
        items[Recipient(user_id, email, name)].append(
            f"{titles.get(course_id, 'a course')} (certificate valid until {uk_date(valid_until)})")
    return items


def _managers(org: Organisation) -> list[Recipient]:
    return [Recipient(uid, email, name) for uid, email, name in db.session.execute(
        select(User.id, User.email, User.display_name).where(
            User.organisation_id == org.id, User.role == Role.MANAGER, User.is_active_account.is_(True))
        .order_by(User.id))]


def _learner_body(recipient: Recipient, kind: str, lines: list[str]) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    listed = "\n".join(f"  - {line}" for line in lines)
    return (f"Hello {recipient.name},\n\n{INTROS[kind]}\n\n{listed}\n\n"
            f"Sign in to continue your training: {base}/my-learning\n\n"
            "You get at most one reminder of this kind a week.\n")


def _digest_body(recipient: Recipient, org: Organisation, counts: dict[str, int]) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (f"Hello {recipient.name},\n\nThis week's safeguarding training summary for {org.name}:\n\n"
            f"  - overdue: {counts[OVERDUE]} people\n"
            f"  - due within 7 days: {counts[DUE_SOON]} people\n"
            f"  - certificates expiring within 30 days: {counts[EXPIRING]} people\n\n"
            f"See who and chase them from the compliance page: {base}/manage/\n")


def _send_once(recipient: Recipient, kind: str, week: str, body: str, summary: Summary,
               sent_before: set[tuple[int, str]]) -> None:
    """Claim this week's log row and queue the email in one transaction."""
    if (recipient.user_id, kind) in sent_before:
        summary.already_sent += 1
        return
    db.session.add(ReminderLog(user_id=recipient.user_id, kind=kind, course_id=None, week=week))
    try:
        db.session.flush()
    except IntegrityError:  # another run claimed it a moment ago
        db.session.rollback()
        summary.already_sent += 1
        return
    try:
        send_email(recipient.email, SUBJECTS[kind], body)
    except ValueError as error:  # an address with a line break: it cannot be mailed, now or later
        db.session.rollback()
        summary.failed += 1
        log.warning("reminder %s to user %s not queued (%s)", kind, recipient.user_id, error)
        return
    db.session.commit()
    summary.sent[kind] += 1


def send_reminders(*, today: date | None = None) -> Summary:
    """Email this week's reminders and manager digests that have not been sent yet; safe to run again."""
    today = today or london_today()
    week = iso_week(today)
    summary = Summary(week)
    sent_before = {(user_id, kind) for user_id, kind in db.session.execute(select(ReminderLog.user_id, ReminderLog.kind)
                   .where(ReminderLog.week == week, ReminderLog.course_id.is_(None)))}
    for org in db.session.scalars(select(Organisation).order_by(Organisation.id)).all():
        items = _learner_items(org, today)
        counts = dict.fromkeys((DUE_SOON, OVERDUE, EXPIRING), 0)
        for (recipient, kind), lines in items.items():
            counts[kind] += 1
            _send_once(recipient, kind, week, _learner_body(recipient, kind, lines), summary, sent_before)
        for manager in _managers(org):
            _send_once(manager, DIGEST, week, _digest_body(manager, org, counts), summary, sent_before)
    for recipient, lines in _unattached_expiring(today).items():
        _send_once(recipient, EXPIRING, week, _learner_body(recipient, EXPIRING, lines), summary, sent_before)
    log.info("reminders for %s: sent %s, already sent %s, failed %s", week, summary.sent, summary.already_sent,
             summary.failed)
    return summary
