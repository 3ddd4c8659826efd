"""Evidence of learning: confidence self-ratings per learning outcome and the end-of-course evaluation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.assessment import Attempt
from elearn.models.learning import Enrolment


class ConfidenceRating(Base):
    """A learner's 1–5 confidence in one learning outcome, before the course or after passing it."""

    __tablename__ = "confidence_ratings"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "outcome_key", "stage"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        CheckConstraint("stage IN ('before', 'after')", name="stage_before_or_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))  # leads the unique index
    outcome_key: Mapped[str] = mapped_column(String(20))  # a learning-outcome id from course.yaml, e.g. "LO3"
    stage: Mapped[str] = mapped_column(String(10))  # before | after
    rating: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    enrolment: Mapped[Enrolment] = relationship()


class CourseEvaluation(Base):
    """A learner's optional evaluation of a course they passed: one per enrolment."""

    __tablename__ = "course_evaluations"
    __table_args__ = (
        CheckConstraint("relevance BETWEEN 1 AND 5", name="relevance_1_to_5"),
        CheckConstraint("clarity BETWEEN 1 AND 5", name="clarity_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)  # for the per-course results
    relevance: Mapped[int] = mapped_column(Integer)
    clarity: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")  # "What will you do differently?" ≤ 1000 characters
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    enrolment: Mapped[Enrolment] = relationship()


# The question statistics read one course version's submitted final attempts: find them without
# scanning every attempt (declared here, with the feature that needs it; the table is assessment's).
Index("ix_attempts_version_kind_submitted", Attempt.version_id, Attempt.kind, Attempt.submitted_at)
