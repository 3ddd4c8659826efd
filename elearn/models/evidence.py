"""Evidence of learning: confidence self-ratings per learning outcome and the end-of-course evaluation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.assessment import Attempt
from elearn.models.courses import CourseVersion
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


# Running sums behind the question statistics (elearn/evidence/tallies.py): the page reads one row per
# question and per option instead of every drawn question of every attempt. A mark has four decimal
# places (AttemptQuestion.mark), so marks are summed as whole numbers of ten-thousandths: Σx and Σt in
# units of 1/MARK_UNITS, Σx², Σt² and Σxt in units of 1/MARK_UNITS². Integers add exactly on both
# databases; a Numeric sum on SQLite (which has no decimal type) kept four places, so Σx² drifted and a
# question everybody scored the same on seemed to vary. BigInteger holds about 10^10 attempts' worth.
MARK_UNITS = 10_000


class VersionTally(Base):
    """How many submitted final attempts of a course version the running sums have counted, in how many batches."""

    __tablename__ = "version_tallies"

    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    batches: Mapped[int] = mapped_column(Integer, default=0)  # the last batch number handed out
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    version: Mapped[CourseVersion] = relationship()


class QuestionTally(Base):
    """Per question over the counted attempts that drew it: n and the sums of x, x², t, t² and x·t.

    x is the question's mark (0–1), t the attempt's total mark, both in units of 1/MARK_UNITS (so the sums
    of products are in 1/MARK_UNITS²); `statistics.item_indices` turns these six numbers into the facility
    and discrimination indices.
    """

    __tablename__ = "question_tallies"

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    sum_x: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_xx: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_t: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_tt: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_xt: Mapped[int] = mapped_column(BigInteger, default=0)


class OptionTally(Base):
    """How many counted attempts ticked an option."""

    __tablename__ = "option_tallies"

    option_id: Mapped[int] = mapped_column(ForeignKey("options.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    picks: Mapped[int] = mapped_column(Integer, default=0)


# Finds a version's submitted final attempts not yet counted (tally_batch IS NULL), and one batch's
# attempts, without reading the version's other attempts. Its predicate is written as literals in the
# queries too (tallies.COUNTABLE), so both databases can prove the partial index applies.
Index("ix_attempts_countable_version_id_tally_batch", Attempt.version_id, Attempt.tally_batch,
      sqlite_where=text("kind = 'final' AND submitted_at IS NOT NULL"),
      postgresql_where=text("kind = 'final' AND submitted_at IS NOT NULL"))
