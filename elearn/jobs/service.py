"""What the admins' job-queue page reads and does: the broker, the outbox's backlog, failed emails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from elearn import mail
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.jobs.queue import broker_status, queue_depth
from elearn.models import OutboxEmail, User

FAILED_SHOWN = 100


@dataclass(frozen=True)
class QueueState:
    broker: str  # "ok", "unreachable" or "inline"
    depth: int | None  # jobs waiting in the broker
    waiting: int  # emails not sent yet and not failed
    sent_last_day: int
    failed: list[OutboxEmail]  # newest first, at most FAILED_SHOWN


def read_queue_state() -> QueueState:
    pending = (OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
    waiting = db.session.scalar(select(func.count()).select_from(OutboxEmail).where(*pending)) or 0
    sent = db.session.scalar(select(func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.sent_at > now_utc() - timedelta(days=1))) or 0
    failed = list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.failed_at.is_not(None),
                                                               OutboxEmail.sent_at.is_(None))
                                     .order_by(OutboxEmail.failed_at.desc()).limit(FAILED_SHOWN)))
    return QueueState(broker_status(), queue_depth(), waiting, sent, failed)


def retry_failed_email(outbox_id: int, *, actor: User) -> None:
    """An admin sends a failed email again (after fixing the mail settings, say); audited."""
    if not mail.retry_failed(outbox_id):
        raise NotFound("There is no failed email with this number: it may have been sent or retried already.")
    record_event("email.retried", actor=actor, target=f"outbox:{outbox_id}")
    db.session.commit()
