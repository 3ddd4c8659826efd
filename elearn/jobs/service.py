"""What the admins' job-queue page reads and does: the broker, the outbox's backlog, failed emails and jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from elearn import mail
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.jobs import failures
from elearn.jobs.queue import broker_status, enqueue, queue_depth, why_not_run_again
from elearn.models import FailedJob, OutboxEmail, User

FAILED_SHOWN = 100


@dataclass(frozen=True)
class QueueState:
    broker: str  # "ok", "unreachable" or "inline"
    depth: int | None  # jobs waiting in the broker
    waiting: int  # emails not sent yet and not failed
    sent_last_day: int
    failed: list[OutboxEmail]  # newest first, at most FAILED_SHOWN
    failed_jobs: list[FailedJob]  # not yet run again, newest first, at most failures.SHOWN
    not_run_again: dict[int, str | None]  # FailedJob.id → why no "run again" is offered (None: it is)


def read_queue_state() -> QueueState:
    pending = (OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
    waiting = db.session.scalar(select(func.count()).select_from(OutboxEmail).where(*pending)) or 0
    sent = db.session.scalar(select(func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.sent_at > now_utc() - timedelta(days=1))) or 0
    failed = list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.failed_at.is_not(None),
                                                               OutboxEmail.sent_at.is_(None))
                                     .order_by(OutboxEmail.failed_at.desc()).limit(FAILED_SHOWN)))
    jobs = failures.list_failures()
    return QueueState(broker_status(), queue_depth(), waiting, sent, failed, jobs,
                      {job.id: why_not_run_again(job.task_name) for job in jobs})


def retry_failed_email(outbox_id: int, *, actor: User) -> None:
    """An admin sends a failed email again (after fixing the mail settings, say); audited."""
    if not mail.retry_failed(outbox_id):
        raise NotFound("There is no failed email with this number: it may have been sent or retried already.")
    record_event("email.retried", actor=actor, target=f"outbox:{outbox_id}")
    db.session.commit()


def run_failed_job_again(failure_id: int, *, actor: User) -> FailedJob:
    """An admin runs a failed job again with the same arguments (once the cause is fixed); audited. NotFound for a
    job already run again, or one not to be run again by hand (why_not_run_again)."""
    failure = failures.take_for_retry(failure_id)
    if failure is None or why_not_run_again(failure.task_name) is not None:
        raise NotFound("There is no failed job with this number to run again: it may have been run again already.")
    record_event("job.retried", actor=actor, target=f"failed_job:{failure_id}", task=failure.task_name)
    db.session.commit()
    enqueue(failure.task_name, *failure.args)  # inline without a broker; should it fail again, a new failure
    return failure
