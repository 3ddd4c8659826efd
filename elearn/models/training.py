"""Face-to-face training: a session (an INSET day, a briefing) recorded once for everyone who attended.

A session that counts towards compliance does so through the ExternalTraining rows it keeps for each
attendee and course (ExternalTraining.session_id), so the one status rule (elearn/compliance) reads it
the way it reads any training done elsewhere.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import User
from elearn.text_rules import TRAINING_PROVIDER_MAX, TRAINING_TITLE_MAX


class TrainingSession(Base):
    """A face-to-face session an organisation ran or attended: when, who led it, how long, on what."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(TRAINING_TITLE_MAX))
    trainer: Mapped[str] = mapped_column(String(TRAINING_PROVIDER_MAX))
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # The organisation's choice: the session counts for its courses until counts_until (required when it counts).
    counts_towards_compliance: Mapped[bool] = mapped_column(Boolean, default=False)
    counts_until: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The signed register, if attached: checked by type and size (elearn/uploads.py); loaded only to download it.
    register_filename: Mapped[str | None] = mapped_column(String(200))
    register_type: Mapped[str | None] = mapped_column(String(40))
    register_size: Mapped[int | None] = mapped_column(Integer)
    register_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    courses: Mapped[list[TrainingSessionCourse]] = relationship(cascade="all, delete-orphan",
                                                                 order_by="TrainingSessionCourse.course_id")

    @property
    def hours(self) -> str:
        """The length as people say it: "1.5" hours, "6" hours."""
        return f"{self.minutes / 60:g}"


class TrainingSessionCourse(Base):
    """A course whose outcomes the session covers."""

    __tablename__ = "training_session_courses"
    __table_args__ = (UniqueConstraint("session_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)


class TrainingSessionAttendee(Base):
    """A person who attended a session."""

    __tablename__ = "training_session_attendees"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()
