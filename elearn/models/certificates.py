"""CPD certificates: snapshots taken at issue, so the PDF is the same every time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, and_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import User
from elearn.models.courses import Course, CourseVersion
from elearn.text_rules import ORGANISATION_NAME_MAX, PERSON_NAME_MAX


class Certificate(Base):
    """A certificate for one passed attempt; verifiable by its unguessable code."""

    __tablename__ = "certificates"
    # The compliance reports read each member's unrevoked certificates per course (bench/manage/RESULTS.md).
    __table_args__ = (
        Index("ix_certificates_unrevoked_user_id_course_id", "user_id", "course_id", "expires_on",
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # normalised: 16 symbols, no dashes
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    # One certificate per passing attempt, enforced by the database.
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    learner_name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    course_title: Mapped[str] = mapped_column(String(200))
    course_version_number: Mapped[int] = mapped_column(Integer)
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    outcomes: Mapped[list[str]] = mapped_column(JSON)
    # The guidance editions the passed version followed (CourseVersion.aligned_to), printed on the certificate.
    aligned_to: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # "Issued for": the learner's organisation when it was issued (none for a learner without one); kept when they
    # move to another organisation, as the title is kept when the course changes.
    organisation_name: Mapped[str | None] = mapped_column(String(ORGANISATION_NAME_MAX))
    # The accrediting body the deployment named (config ACCREDITING_BODY) when it was issued; none: no claim.
    accredited_by: Mapped[str | None] = mapped_column(String(200))
    score_percent: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    reissued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    # The one rule of a certificate that counts on a day, twice side by side: on a row, and as SQL. Kept
    # together so they cannot drift (tests/certificates/test_validity.py checks they agree).
    def is_valid_on(self, today: date) -> bool:
        """Not revoked, and valid up to and including its expiry date."""
        return self.revoked_at is None and self.expires_on >= today

    @classmethod
    def valid_on(cls, today: Any) -> ColumnElement[bool]:
        """is_valid_on as a WHERE clause (today may be a bound parameter)."""
        return and_(cls.revoked_at.is_(None), cls.expires_on >= today)


class CertificateUpdate(Base):
    """A holder of this certificate read the short "what changed" update of a later version: once per version."""

    __tablename__ = "certificate_updates"
    # A double click, or two tabs, cannot record the same update twice.
    __table_args__ = (UniqueConstraint("certificate_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    certificate: Mapped[Certificate] = relationship()
    version: Mapped[CourseVersion] = relationship()
