"""Courses and their immutable published versions: lessons, questions, options."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc


class ReviewPolicy(StrEnum):
    FULL = "full"
    HIDE_CORRECT_ON_FAIL = "hide-correct-on-fail"
    OUTCOMES_ON_FAIL = "outcomes-on-fail"  # a fail names the outcomes to revisit, never a question's verdict


class Course(Base):
    """A course, known by its stable slug across all its versions."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number"
    )


class CourseVersion(Base):
    """One published state of a course's files; never altered once published."""

    __tablename__ = "course_versions"
    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        UniqueConstraint("course_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(80))
    audience: Mapped[str] = mapped_column(Text)
    content_warning: Mapped[str] = mapped_column(Text)
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    pass_mark: Mapped[int] = mapped_column(Integer, default=80)
    questions_per_attempt: Mapped[int] = mapped_column(Integer)
    validity_months: Mapped[int] = mapped_column(Integer, default=12)
    max_attempts_per_day: Mapped[int | None] = mapped_column(Integer)
    precheck_questions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: no knowledge check
    review_policy: Mapped[ReviewPolicy] = mapped_column(String(30), default=ReviewPolicy.FULL)
    # The blueprint: [{"id": "LO1", "text": "…", "draw": 2, "critical": true, "critical_mark": 100}]; "draw"
    # is absent for a course without a declared blueprint (then attempts spread across outcomes in turn).
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    references: Mapped[list[str]] = mapped_column(JSON)
    aligned_to: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))  # guidance editions the text follows
    review_by: Mapped[date | None] = mapped_column(Date)  # the authors' own date to review the course by
    what_changed_title: Mapped[str | None] = mapped_column(String(200))  # the short update for earlier holders
    what_changed_html: Mapped[str | None] = mapped_column(Text)
    total_minutes: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship(back_populates="versions")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="version", order_by="Lesson.position")
    questions: Mapped[list[Question]] = relationship(back_populates="version", order_by="Question.position")


class Lesson(Base):
    """A lesson page; its HTML was rendered and sanitised when the course was synced."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer)
    min_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # before "Mark complete"
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))  # ids it teaches
    body_html: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class Question(Base):
    """A question in a version's bank; `key` is the author's stable id across versions."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # A QuestionKind value (elearn/assessment/kinds.py, the one list of kinds). Plain text here, so the
    # models, the bottom layer, never import a feature; spec_for() takes the text.
    kind: Mapped[str] = mapped_column(String(20))
    partial_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    applied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a case, not recall
    stem: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(back_populates="question", order_by="Option.position")


class Option(Base):
    """An answer option; `is_correct` never leaves the server before submission."""

    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean)
    feedback: Mapped[str] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="options")
