"""Assessment attempts: the frozen draw, the option order and the learner's answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import User
from elearn.models.courses import CourseVersion, Option, Question
from elearn.models.learning import Enrolment


class Attempt(Base):
    """One sitting of a course's assessment; submitted exactly once."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "number"),
        # At most one unfinished attempt per enrolment, enforced by the database (two tabs, one attempt).
        Index(
            "uq_attempts_one_open_per_enrolment",
            "enrolment_id",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="final")  # final | precheck
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Which batch of the question statistics' running sums counted this submitted final attempt
    # (elearn/evidence/tallies.py); NULL until it is counted.
    tally_batch: Mapped[int | None] = mapped_column(Integer)

    enrolment: Mapped[Enrolment] = relationship()
    user: Mapped[User] = relationship()
    version: Mapped[CourseVersion] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position"
    )


class AttemptQuestion(Base):
    """A question drawn into an attempt, with the option order the learner saw."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "position"), UniqueConstraint("attempt_id", "question_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based
    option_order: Mapped[list[int]] = mapped_column(JSON)  # option ids, as shown
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mark: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))  # 0–1, set at submission

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt_question")


class AttemptAnswer(Base):
    """An option the learner selected for a drawn question."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_question_id: Mapped[int] = mapped_column(ForeignKey("attempt_questions.id"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id"), index=True)

    attempt_question: Mapped[AttemptQuestion] = relationship(back_populates="answers")
    option: Mapped[Option] = relationship()


class AttemptAllowance(Base):
    """One more attempt than a course's daily limit allows, granted to one learner's enrolment by a manager or an
    admin; the next start refused by the limit uses it (`attempt_id`, `used_at`)."""

    __tablename__ = "attempt_allowances"
    __table_args__ = (
        # At most one allowance waiting per enrolment: a second grant (a double click, two managers) is refused.
        Index(
            "uq_attempt_allowances_one_unused_per_enrolment",
            "enrolment_id",
            unique=True,
            sqlite_where=text("used_at IS NULL"),
            postgresql_where=text("used_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), unique=True)

    enrolment: Mapped[Enrolment] = relationship()
    granted_by: Mapped[User] = relationship()
    attempt: Mapped[Attempt | None] = relationship()
