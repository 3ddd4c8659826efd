"""Export files made by a job: kept in the database, so that every app server can hand them out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.db import Base, UTCDateTime, now_utc


class ExportFile(Base):
    """One export a manager asked for: queued, running (with its progress), ready until it expires, or failed.

    Only the manager who asked may download it, and only while they still manage the organisation
    (elearn/jobs/exports.py). The file's bytes are ExportChunk rows; both go when it expires.
    """

    __tablename__ = "export_files"
    __table_args__ = (Index("ix_export_files_requested_by_id_status", "requested_by_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # csv | pdf | zip | person-pdf
    filters: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | ready | failed
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # items handled so far
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # items to handle, 0 when unknown
    filename: Mapped[str] = mapped_column(String(200), default="")
    mimetype: Mapped[str] = mapped_column(String(60), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ExportChunk(Base):
    """Up to CHUNK_SIZE bytes of an export's file, in order: no row (and no read) holds a whole large file."""

    __tablename__ = "export_chunks"
    __table_args__ = (UniqueConstraint("export_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("export_files.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
