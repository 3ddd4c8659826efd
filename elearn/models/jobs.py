"""Background jobs that failed: what every job that raised leaves behind for the admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from elearn.db import Base, UTCDateTime, now_utc


class FailedJob(Base):
    """One run of a job (a scheduled job, an email batch, an export…) that ended with an error.

    Written by the job queue's task class whatever the job (elearn/jobs/queue.py), in its own transaction, so
    the record outlives the job's rolled-back work. An admin sees it on /admin/jobs and may run the job again
    with the same arguments (retried_at); the arguments are ids, never personal data.
    """

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(String(500))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
