"""The tasks: the outbox's deliveries and the scheduled jobs, each a thin call into a feature's service.

The `flask` commands (reminders send, certificates repair, users anonymise, audit prune, statistics
recount) call the same service functions, so an operator can run any job by hand.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from sqlalchemy import delete, or_, select

from elearn import mail
from elearn.admin.service import DEFAULT_AUDIT_RETENTION_DAYS, prune_audit_events
from elearn.certificates.service import repair_missing_certificates
from elearn.compliance.reminders import send_reminders as send_reminders_now
from elearn.db import now_utc
from elearn.evidence import tallies
from elearn.extensions import db
from elearn.jobs import exports
from elearn.jobs.queue import enqueue_deliveries
from elearn.models import CourseVersion, OutboxEmail
from elearn.privacy.service import anonymise_leavers as anonymise_leavers_now

log = logging.getLogger(__name__)

KEEP_SENT_FOR = timedelta(days=30)  # long enough to answer "did the invitation go?"; then the address goes too
KEEP_FAILED_FOR = timedelta(days=90)


@shared_task(name="elearn.jobs.tasks.deliver_emails")
def deliver_emails(outbox_ids: list[int]) -> dict[str, int]:
    """Send a batch of emails one by one, each claimed on its own (mail.deliver): how many sent, skipped, …"""
    outcomes: dict[str, int] = {}
    for outbox_id in outbox_ids:
        outcome = mail.deliver(outbox_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(name="elearn.jobs.tasks.deliver_email")
def deliver_email(outbox_id: int) -> str:
    """One email: jobs queued before deliveries went in batches may still be waiting in the broker."""
    return mail.deliver(outbox_id)


@shared_task(name="elearn.jobs.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Queue every email that is due and held by no worker: lost jobs, retries after a failure."""
    due = mail.list_due()
    db.session.rollback()  # end the read before the jobs run (inline, they use their own sessions)
    enqueue_deliveries(due)
    return len(due)


@shared_task(name="elearn.jobs.tasks.prune_outbox")
def prune_outbox() -> int:
    now = now_utc()
    removed = db.session.execute(delete(OutboxEmail).where(or_(
        OutboxEmail.sent_at < now - KEEP_SENT_FOR, OutboxEmail.failed_at < now - KEEP_FAILED_FOR)))
    db.session.commit()
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


@shared_task(name="elearn.jobs.tasks.run_export")
def run_export(export_id: int) -> str:
    return exports.run_export(export_id)


@shared_task(name="elearn.jobs.tasks.prune_exports")
def prune_exports() -> int:
    return exports.prune_exports()


@shared_task(name="elearn.jobs.tasks.send_reminders")
def send_reminders() -> str:
    """Daily: each organisation's scheduled reminders for today (its own ReminderSchedule) and the week's digests."""
    return send_reminders_now().text()


@shared_task(name="elearn.jobs.tasks.repair_certificates")
def repair_certificates() -> int:
    return len(repair_missing_certificates(dry_run=False))


@shared_task(name="elearn.jobs.tasks.anonymise_leavers")
def anonymise_leavers() -> int:
    return len(anonymise_leavers_now(dry_run=False))


@shared_task(name="elearn.jobs.tasks.prune_audit_log")
def prune_audit_log() -> int:
    return prune_audit_events(DEFAULT_AUDIT_RETENTION_DAYS)


@shared_task(name="elearn.jobs.tasks.recount_statistics")
def recount_statistics() -> int:
    ids = list(db.session.scalars(select(CourseVersion.id)))
    return sum(tallies.recount(version_id) for version_id in ids)
