"""The job queue: Celery, bound to the Flask app, with the outbox handed to it after every commit.

Production names a broker (CELERY_BROKER_URL: Redis, or RabbitMQ over AMQP) and runs the workers and
the scheduler as their own processes (`celery -A worker worker`, `celery -A worker beat`, worker.py), on any
number of machines. Without a broker (`make run`, the tests) every task runs inline, right after the
commit that queued it: the same task code, with nothing more to install.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.exceptions import Ignore, Reject, Retry
from celery.schedules import crontab
from flask import Flask, current_app, has_app_context
from kombu.exceptions import OperationalError
from sqlalchemy import event
from sqlalchemy.orm import Session

from elearn.jobs.failures import record_failure, runs_again_within
from elearn.mail import forget_new_in_session, take_new_in_session

log = logging.getLogger(__name__)

DELIVER_EMAILS = "elearn.jobs.tasks.deliver_emails"
DELIVERY_BATCH = 100  # emails per delivery job: 5,000 invitations are 50 jobs to queue, not 5,000
SWEEP_EVERY = timedelta(seconds=30)  # how late an email can be when its job was lost (broker down at commit)

# The scheduler's timetable (UTC). Each entry runs the same service function as its `flask` command.
SCHEDULE: dict[str, dict[str, Any]] = {
    "sweep-outbox": {"task": "elearn.jobs.tasks.sweep_outbox", "schedule": SWEEP_EVERY},
    "prune-exports": {"task": "elearn.jobs.tasks.prune_exports", "schedule": timedelta(minutes=10)},
    "prune-outbox": {"task": "elearn.jobs.tasks.prune_outbox", "schedule": crontab(hour=2, minute=10)},
    "send-reminders": {"task": "elearn.jobs.tasks.send_reminders", "schedule": crontab(hour=7, minute=0)},
    "repair-certificates": {"task": "elearn.jobs.tasks.repair_certificates", "schedule": crontab(hour=2, minute=20)},
    "anonymise-leavers": {"task": "elearn.jobs.tasks.anonymise_leavers", "schedule": crontab(hour=2, minute=30)},
    "prune-audit-log": {"task": "elearn.jobs.tasks.prune_audit_log", "schedule": crontab(hour=2, minute=40)},
    "recount-statistics": {"task": "elearn.jobs.tasks.recount_statistics",
                           "schedule": crontab(hour=3, minute=0, day_of_week=0)},
}


def init_job_queue(app: Flask) -> Celery:
    """Create the app's Celery, configured from CELERY_BROKER_URL; tasks run in the app's context."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            if has_app_context():  # run inline after a page's commit: keep that app
                return self._run_recorded(args, kwargs)
            with app.app_context():
                return self._run_recorded(args, kwargs)

        def _run_recorded(self, args: tuple[object, ...], kwargs: dict[str, object]) -> object:
            """Run the job; any job that raises, of any kind, is recorded for the admins (elearn.jobs.failures).
            Here rather than in on_failure, which Celery skips when it runs a job inline and propagates."""
            try:
                return self.run(*args, **kwargs)
            except (Ignore, Reject, Retry):  # Celery's own control flow, not failures
                raise
            except Exception as error:
                record_failure(self.name, args, error)
                raise

    broker = app.config.get("CELERY_BROKER_URL")
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=broker or "memory://",
        task_always_eager=not broker,
        task_eager_propagates=app.testing,  # a bug in a task fails its test; a page never fails for one
        task_ignore_result=True,
        # A job is acknowledged only once it has finished: a worker killed mid-job leaves it to another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A page that queues an email must not hang on a broker that is down: try briefly, and let the
        # sweep send the email once the broker is back.
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        beat_schedule=SCHEDULE,
        timezone="UTC",
        imports=("elearn.jobs.tasks",),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    _listen_for_commits()
    return celery


def job_queue() -> Celery:
    celery: Celery = current_app.extensions["celery"]
    return celery


def runs_inline() -> bool:
    """True when no broker is configured and tasks run in the process that queues them."""
    return bool(job_queue().conf.task_always_eager)


def enqueue(task_name: str, *args: object) -> bool:
    """Send a task to the queue; False (and a warning) when the broker cannot be reached right now."""
    if runs_inline():  # the job's own errors are not the broker's (a ConnectionError to SMTP is an OSError)
        job_queue().tasks[task_name].apply(args=args)
        return True
    try:
        job_queue().send_task(task_name, args=args)
    except (OperationalError, OSError) as error:
        log.warning("job %s%s not queued, the broker is unreachable (%s); the sweep will retry", task_name, args, error)
        return False
    return True


# What each job is called on the admins' page.
JOB_LABELS = {
    "elearn.jobs.tasks.deliver_emails": "Sending emails",
    "elearn.jobs.tasks.deliver_email": "Sending an email",
    "elearn.jobs.tasks.sweep_outbox": "Queuing the emails that are due",
    "elearn.jobs.tasks.prune_outbox": "Deleting old emails",
    "elearn.jobs.tasks.run_export": "Preparing an export",
    "elearn.jobs.tasks.prune_exports": "Deleting expired exports",
    "elearn.jobs.tasks.send_reminders": "Reminders and digests",
    "elearn.jobs.tasks.repair_certificates": "Repairing certificates",
    "elearn.jobs.tasks.anonymise_leavers": "Anonymising leavers",
    "elearn.jobs.tasks.prune_audit_log": "Pruning the audit log",
    "elearn.jobs.tasks.recount_statistics": "Counting question statistics",
}

# Failed jobs an admin is not offered to run again, and why (shown on the page instead of the button).
NOT_RUN_AGAIN_BY_HAND = {
    "elearn.jobs.tasks.run_export": "The manager is told and starts a new export.",
}


def why_not_run_again(task_name: str) -> str | None:
    """None when an admin's "run again" makes sense for a failed job; else why not: a job the scheduler runs
    again within minutes by itself (the outbox sweep, the exports' pruning), one listed above, or one this
    version of elearn no longer has."""
    if task_name in NOT_RUN_AGAIN_BY_HAND:
        return NOT_RUN_AGAIN_BY_HAND[task_name]
    if task_name not in job_queue().tasks:
        return "This job no longer exists."
    for entry in SCHEDULE.values():
        if entry["task"] == task_name and runs_again_within(entry["schedule"]):
            return f"The scheduler runs it again every {_minutes(entry['schedule'])}."
    return None


def _minutes(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    return f"{seconds} seconds" if seconds < 120 else f"{seconds // 60} minutes"


def broker_status() -> str:
    """"inline" without a broker, else "ok" or "unreachable" after one quick connection attempt."""
    if runs_inline():
        return "inline"
    try:
        with job_queue().connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except (OperationalError, OSError) as error:
        log.warning("readiness: job broker unreachable (%s)", type(error).__name__)
        return "unreachable"
    return "ok"


def queue_depth() -> int | None:
    """Jobs waiting in the broker's default queue; None inline or when the broker cannot be asked."""
    if runs_inline():
        return None
    try:
        with job_queue().connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(queue=job_queue().conf.task_default_queue,
                                                                 passive=True)
    except Exception as error:  # noqa: BLE001 - the page shows "unknown" rather than failing
        log.warning("queue depth unavailable (%s)", type(error).__name__)
        return None
    return int(declared.message_count)


_listening = False


def _listen_for_commits() -> None:
    """Once per process: after any commit that queued emails, ask the queue to deliver them."""
    global _listening
    if _listening:
        return
    event.listen(Session, "after_commit", _deliver_after_commit)
    event.listen(Session, "after_rollback", forget_new_in_session)
    _listening = True


def _deliver_after_commit(session: Session) -> None:
    if not enqueue_deliveries(take_new_in_session(session)):
        log.warning("emails queued in the outbox wait for the sweep")


def enqueue_deliveries(outbox_ids: Sequence[int]) -> bool:
    """Hand emails to the workers, DELIVERY_BATCH to a job; False once the broker is unreachable (the sweep sends
    the rest later). A batch is claimed email by email (elearn.mail.deliver), so a batch run twice, or two
    workers holding the same email, still send each email once."""
    for start in range(0, len(outbox_ids), DELIVERY_BATCH):
        if not enqueue(DELIVER_EMAILS, list(outbox_ids[start:start + DELIVERY_BATCH])):
            return False  # the broker is down: one warning is enough
    return True
