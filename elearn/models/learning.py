"""Enrolments and lesson progress, per learner and per course version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import User
from elearn.models.courses import Course, CourseVersion, Lesson


class Enrolment(Base):
    """A learner taking one course version; a refresher after expiry is a new cycle."""

    __tablename__ = "enrolments"
    # One enrolment per learner, course and cycle: a double-clicked "Start" cannot make two.
    # The compliance reports look for enrolments not yet passed (bench/manage/RESULTS.md).
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "cycle"),
        Index("ix_enrolments_open_user_id_course_id", "user_id", "course_id",
              sqlite_where=text("passed_at IS NULL"), postgresql_where=text("passed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    current_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    lessons_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()
    current_lesson: Mapped[Lesson | None] = relationship()
    progress: Mapped[list[LessonProgress]] = relationship(back_populates="enrolment")


class LessonProgress(Base):
    """A learner's time on one lesson of an enrolment: opened, last seen and marked complete, by the server's clock.

    One row per enrolment and lesson, made when the lesson page is first served. `seconds_spent` adds the
    gaps between the server-seen events on the lesson (each open, the completion), each gap capped
    (`learning.service.idle_cap`), until the lesson is completed. `completed_at` is None while it is still
    being read. Rows completed before time was recorded have no `first_opened_at` (time unknown).
    """

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment] = relationship(back_populates="progress")
