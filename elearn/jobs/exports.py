"""Large exports made by a job: started by a manager, run by a worker, stored in the database, downloaded once ready.

The inspection PDF, certificate ZIPs and CSVs of more than `csv_job_threshold()` people are too slow for a
request. `start_export` records an ExportFile and queues `run_export` (a Celery task: on a worker in production,
inline right after the commit without a broker). The worker writes the file in CHUNK_SIZE rows of
`export_chunks`, so every app server can hand it out and no row or read holds a whole large file; it reports
its progress as it goes. Only the manager who asked can see or download it, only while they still manage the
organisation, and only until it expires (KEEP_FOR; `prune_exports` deletes it). A manager may have at most
MAX_UNFINISHED exports in progress and start MAX_PER_HOUR an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from elearn.access import is_manager_of
from elearn.audit import record_event
from elearn.compliance import exports
from elearn.compliance.matrix import MatrixQuery, count_matching
from elearn.compliance.record_pdf import render_training_record
from elearn.db import now_utc
from elearn.downloads import csv_stream
from elearn.errors import Conflict, NotFound
from elearn.extensions import db
from elearn.jobs.failures import record_failure
from elearn.jobs.queue import enqueue
from elearn.models import ExportChunk, ExportFile, Organisation, User

log = logging.getLogger(__name__)

KINDS = {"csv": ("training-matrix", "csv", "text/csv; charset=utf-8"),
         "pdf": ("training-record", "pdf", "application/pdf"),
         "zip": ("certificates", "zip", "application/zip")}
KEEP_FOR = timedelta(hours=24)  # a ready file, then it is deleted
GIVE_UP_AFTER = timedelta(hours=1)  # an export still queued or running then is marked failed (its worker is gone)
CHUNK_SIZE = 1024 * 1024
MAX_UNFINISHED = 2
MAX_PER_HOUR = 10
RUN_EXPORT = "elearn.jobs.tasks.run_export"


class TooManyExports(Conflict):
    """A manager asked for more exports than the limits allow; the message says when to try again."""


@dataclass(frozen=True)
class ExportStatus:
    """What the status page shows."""

    export: ExportFile
    percent: int | None  # None while the size is unknown

    @property
    def is_finished(self) -> bool:
        return self.export.status in ("ready", "failed")


def start_export(org: Organisation, kind: str, *, actor: User, query: MatrixQuery | None = None,
                 user_ids: list[int] | None = None) -> ExportFile:
    """Record an export and queue its job; refuses (InvalidInput) an empty or too large certificate selection
    and (TooManyExports) a manager over the limits. One commit; audited when the file is made."""
    if kind not in KINDS:
        raise NotFound()
    _check_limits(actor)
    query = query or MatrixQuery()
    if kind == "zip":
        total = len(exports.certificates_to_export(org, actor=actor, query=None if user_ids is not None else query,
                                                   user_ids=user_ids))
    else:
        total = count_matching(org, query)
    stem, extension, mimetype = KINDS[kind]
    export = ExportFile(organisation_id=org.id, requested_by_id=actor.id, kind=kind, total=total,
                        filters={**(exports.filters_of(query) or {}), "user_ids": user_ids},
                        filename=exports.filename(org, stem, extension), mimetype=mimetype,
                        created_at=now_utc(), expires_at=now_utc() + KEEP_FOR)
    db.session.add(export)
    db.session.commit()
    log.info("export %s (%s) started by user %s", export.id, kind, actor.id)
    enqueue(RUN_EXPORT, export.id)  # if the broker is down the export stays queued, then fails after GIVE_UP_AFTER
    return export


def _check_limits(actor: User) -> None:
    now = now_utc()
    mine = select(func.count()).select_from(ExportFile).where(ExportFile.requested_by_id == actor.id)
    unfinished = db.session.scalar(mine.where(ExportFile.status.in_(("queued", "running")))) or 0
    if unfinished >= MAX_UNFINISHED:
        raise TooManyExports(f"You already have {unfinished} exports being prepared. Please wait for them to "
                             "finish, then try again.")
    recent = db.session.scalar(mine.where(ExportFile.created_at > now - timedelta(hours=1))) or 0
    if recent >= MAX_PER_HOUR:
        raise TooManyExports(f"You have started {recent} exports in the last hour, the most allowed. "
                             "Please download the ones you have, or try again later.")


def get_export(export_id: int, *, org: Organisation, actor: User) -> ExportStatus:
    """An export of this manager, for the organisation they are managing and still manage, not yet expired;
    NotFound for anyone else's (another manager's, even of the same organisation)."""
    export = db.session.get(ExportFile, export_id)
    if (export is None or export.requested_by_id != actor.id or export.organisation_id != org.id
            or not is_manager_of(actor, org.id) or export.expires_at <= now_utc()):
        raise NotFound()
    percent = min(100, export.done * 100 // export.total) if export.total else None
    return ExportStatus(export, 100 if export.status == "ready" else percent)


def read_file(export: ExportFile) -> Iterator[bytes]:
    """A ready export's bytes, a chunk (one query) at a time."""
    if export.status != "ready":
        raise NotFound()
    export_id, chunks = export.id, db.session.scalar(
        select(func.count()).select_from(ExportChunk).where(ExportChunk.export_id == export.id)) or 0

    def pieces() -> Iterator[bytes]:
        for position in range(chunks):
            data = db.session.scalar(select(ExportChunk.data).where(ExportChunk.export_id == export_id,
                                                                    ExportChunk.position == position))
            yield data or b""

    return pieces()


def prune_exports(*, now: datetime | None = None) -> int:
    """Delete expired exports with their files; fail those whose job is lost. Returns how many were deleted."""
    now = now or now_utc()
    expired = select(ExportFile.id).where(ExportFile.expires_at <= now)
    db.session.execute(delete(ExportChunk).where(ExportChunk.export_id.in_(expired)))
    removed = db.session.execute(delete(ExportFile).where(ExportFile.expires_at <= now))
    db.session.execute(update(ExportFile).where(ExportFile.status.in_(("queued", "running")),
                                                ExportFile.created_at < now - GIVE_UP_AFTER)
                       .values(status="failed", finished_at=now, error="The export took too long. Please try again."))
    db.session.commit()
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


# --- the job ---------------------------------------------------------------------------------------


class _ChunkWriter:
    """A file-like sink that stores what is written as export_chunks rows, in its own short transactions (the
    export's reads stay in the app's session), and records the progress. It cannot seek: ZipFile copes."""

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self.session = Session(db.engine)
        self.buffer = bytearray()
        self.position = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= CHUNK_SIZE:
            self._store(bytes(self.buffer[:CHUNK_SIZE]))
            del self.buffer[:CHUNK_SIZE]
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def progress(self, done: int) -> None:
        self._update(done=done)

    def finish(self) -> None:
        if self.buffer or self.position == 0:
            self._store(bytes(self.buffer))
            self.buffer.clear()
        self._update(status="ready", size=self.size, finished_at=now_utc(), expires_at=now_utc() + KEEP_FOR)

    def fail(self, reason: str) -> None:
        self.session.rollback()
        self._update(status="failed", finished_at=now_utc(), error=reason[:300])

    def _store(self, data: bytes) -> None:
        self.session.add(ExportChunk(export_id=self.export_id, position=self.position, data=data))
        self.session.commit()
        self.position += 1

    def _update(self, **values: Any) -> None:
        self.session.execute(update(ExportFile).where(ExportFile.id == self.export_id).values(**values))
        self.session.commit()

    def close(self) -> None:
        self.session.close()


def run_export(export_id: int) -> str:
    """Make one export's file (the job). Runs again from the start if a worker died mid-way; skips one that is
    finished; fails one whose manager no longer manages the organisation."""
    export = db.session.get(ExportFile, export_id)
    if export is None or export.status not in ("queued", "running"):
        return "skipped"
    actor, org = db.session.get(User, export.requested_by_id), db.session.get(Organisation, export.organisation_id)
    writer = _ChunkWriter(export_id)
    try:
        writer.session.execute(delete(ExportChunk).where(ExportChunk.export_id == export_id))  # a retried job
        writer._update(status="running", done=0)
        if actor is None or org is None or not actor.is_active_account or not is_manager_of(actor, org.id):
            writer.fail("You no longer manage this organisation.")
            return "refused"
        details = _produce(export, org, actor, writer)
        db.session.rollback()  # end the reads before writing: SQLite refuses a write from a stale snapshot
        record_event(f"export.{export.kind}", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                     filter={k: v for k, v in export.filters.items() if k != "user_ids"},
                     user_ids=export.filters.get("user_ids"), export_id=export_id, **details)
        db.session.commit()
        writer.finish()
    except Exception as error:
        log.exception("export %s failed", export_id)
        record_failure(RUN_EXPORT, [export_id], error)
        writer.fail("Something went wrong while preparing this file. Please try again.")
        return "failed"
    finally:
        writer.close()
    log.info("export %s ready: %s bytes", export_id, writer.size)
    return "ready"


def _produce(export: ExportFile, org: Organisation, actor: User, writer: _ChunkWriter) -> dict[str, Any]:
    query = exports.query_from(export.filters)
    if export.kind == "csv":
        for piece in csv_stream(exports.matrix_csv_rows(org, query, progress=writer.progress)):
            writer.write(piece)
        return {"rows": export.total}
    if export.kind == "pdf":
        document = exports.training_record_document(org, query, progress=writer.progress)
        writer.write(render_training_record(document))
        return {"rows": len(document.rows)}
    user_ids = export.filters.get("user_ids")
    certificates = exports.certificates_to_export(org, actor=actor, query=None if user_ids is not None else query,
                                                  user_ids=user_ids)  # type: ignore[arg-type]
    exports.write_certificates_zip(certificates, writer, progress=writer.progress)  # type: ignore[arg-type]
    return {"certificates": len(certificates)}
