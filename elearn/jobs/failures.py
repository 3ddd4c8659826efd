"""Every background job that fails is recorded here, whatever it does: the one record admins read and retry from.

The job queue's task class calls `record_failure` when a job raises (on a worker, or inline without a broker).
Jobs that handle their own faults record them in their own rows instead, where the person concerned sees them:
an email that cannot be sent is retried with back-off, then failed in the outbox (elearn.mail); an export that
cannot be made is failed on the manager's status page (elearn.jobs.exports). Both are on the admins' page too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import FailedJob

log = logging.getLogger(__name__)

SHOWN = 100


def record_failure(task_name: str, args: Sequence[object], error: BaseException) -> None:
    """Record a job that raised, in its own transaction; the job's unfinished work is rolled back first."""
    try:
        db.session.rollback()  # nothing half-written: what the job changed before it failed goes
    except SQLAlchemyError:
        log.exception("rolling back the failed job %s", task_name)
    reason = f"{type(error).__name__}: {error}"[:500]
    log.error("job %s%s failed: %s", task_name, tuple(args), reason)
    try:
        with Session(db.engine) as session:
            session.add(FailedJob(task_name=task_name, args=list(args), error=reason, failed_at=now_utc()))
            session.commit()
    except SQLAlchemyError:  # the database itself is down: the log line above is all there can be
        log.exception("the failure of job %s could not be recorded", task_name)


def list_failures() -> list[FailedJob]:
    """Failed jobs not yet run again, newest first (at most SHOWN)."""
    return list(db.session.scalars(select(FailedJob).where(FailedJob.retried_at.is_(None))
                                   .order_by(FailedJob.failed_at.desc(), FailedJob.id.desc()).limit(SHOWN)))


def take_for_retry(failure_id: int) -> FailedJob | None:
    """Mark a failed job as run again, once (flush only): None when there is no such failure or it was retried
    already (a double click)."""
    taken = db.session.execute(update(FailedJob).where(FailedJob.id == failure_id, FailedJob.retried_at.is_(None))
                               .values(retried_at=now_utc()))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(FailedJob, failure_id)


def runs_again_within(schedule: object, limit: timedelta = timedelta(minutes=15)) -> bool:
    """True for a job the scheduler runs this often or more: running it by hand would add nothing."""
    return isinstance(schedule, timedelta) and schedule <= limit
