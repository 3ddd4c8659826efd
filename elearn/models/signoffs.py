"""Read and understood: documents an organisation asks its staff to confirm they have read, version by version.

A confirmation belongs to one version, so publishing a new version asks everyone again.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from elearn.db import Base, UTCDateTime, now_utc
from elearn.text_rules import TRAINING_TITLE_MAX

URL_MAX = 500  # signoff_versions.url
VERSION_LABEL_MAX = 60  # signoff_versions.label


class SignoffKind(StrEnum):
    KCSIE = "kcsie"  # Keeping children safe in education, Part one: the edition in force, as a link
    POLICY = "policy"  # the organisation's own policy, as a PDF or a link


class SignoffDocument(Base):
    """A document staff must confirm they have read and understood."""

    __tablename__ = "signoff_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SignoffKind] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(TRAINING_TITLE_MAX))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SignoffVersion(Base):
    """One published version of a document: a link or an uploaded PDF, with its label (e.g. "September 2025").
    The newest (highest id) is the one in force."""

    __tablename__ = "signoff_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("signoff_documents.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(VERSION_LABEL_MAX))
    url: Mapped[str | None] = mapped_column(String(URL_MAX))
    pdf_filename: Mapped[str | None] = mapped_column(String(200))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pdf_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SignoffAssignment(Base):
    """A document a person is asked to read by a due date; one row per document and person."""

    __tablename__ = "signoff_assignments"
    __table_args__ = (UniqueConstraint("document_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("signoff_documents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SignoffConfirmation(Base):
    """"I have read and understood" this version: once per person and version, dated."""

    __tablename__ = "signoff_confirmations"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("signoff_versions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
