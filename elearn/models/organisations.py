"""Organisations' groups, email domains, invitations, assignments, rules, contacts and reminders.

Compliance is never stored here: it is derived from assignments, enrolments and certificates
(see elearn/compliance/compliance.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import MemberKind, Organisation, User
from elearn.models.courses import Course
from elearn.text_rules import (
    CONTACT_NAME_MAX,
    EMAIL_MAX,
    GROUP_NAME_MAX,
    PERSON_NAME_MAX,
    PHONE_MAX,
    TRAINING_PROVIDER_MAX,
    TRAINING_TITLE_MAX,
)


class Group(Base):
    """A named set of an organisation's staff, e.g. "Teaching staff"; names are unique per organisation."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(GROUP_NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organisation: Mapped[Organisation] = relationship()


class GroupMembership(Base):
    """A person in a group; a person may be in several groups of their organisation."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship()


class OrganisationDomain(Base):
    """An email domain (e.g. school.sch.uk) whose self-registered users join the organisation."""

    __tablename__ = "organisation_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # Stored lower-cased without a leading "@"; one organisation per domain.
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()


class Invitation(Base):
    """An emailed, single-use, expiring invitation to join an organisation; only the token's hash is stored."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_organisation_id_email", "organisation_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    display_name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who accepted it
    # What the invitee will be here (staff, supply, governor...): their kind at home, or their placement's kind
    # when they accept with an account that already belongs to another organisation.
    member_kind: Mapped[MemberKind] = mapped_column(String(20), default=MemberKind.STAFF,
                                                    server_default=MemberKind.STAFF.value)

    organisation: Mapped[Organisation] = relationship()
    group: Mapped[Group | None] = relationship()
    courses: Mapped[list[InvitationCourse]] = relationship(order_by="InvitationCourse.id", viewonly=True)


class AssignmentSource(StrEnum):
    MANUAL = "manual"
    GROUP = "group"
    EVERYONE = "everyone"
    NEW_STARTER = "new_starter"  # by a standing rule, on joining the organisation or a group
    INVITATION = "invitation"  # a course attached to the invitation the person accepted
    REQUIREMENT = "requirement"  # a training requirement of the person's role here (elearn/network)


class Assignment(Base):
    """A course an organisation requires of a person by a due date; any version's certificate satisfies it.

    One row per organisation, person and course: assigning again does not duplicate it.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", "course_id"),
        Index("ix_assignments_organisation_id_course_id", "organisation_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    due_on: Mapped[date] = mapped_column(Date)
    source: Mapped[AssignmentSource] = mapped_column(String(20), default=AssignmentSource.MANUAL)
    # Set when a training requirement of the person's role asks for the course: it is renewed this many months
    # after the last completion ("rolling") or by the 1 September once they have run ("academic_year"), instead
    # of by the expiry the course gave its certificate (compliance.renewal_due).
    renew_every_months: Mapped[int | None] = mapped_column(Integer)
    renew_mode: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()


class NewStarterRule(Base):
    """A standing assignment: a course for whoever joins the organisation (group_id NULL: everyone) or joins a
    group, due a number of days after they join. Assigning a course to a group or to everyone saves one, so
    new-starter rules and group assignments are one rule (people.service.apply_assignment_rules).
    """

    __tablename__ = "new_starter_rules"
    # Two partial unique indexes (one rule per course for everyone, one per course and group), because NULL
    # group ids are distinct in a plain unique constraint.
    __table_args__ = (
        Index("uq_new_starter_rules_organisation_id_course_id", "organisation_id", "course_id", unique=True,
              sqlite_where=text("group_id IS NULL"), postgresql_where=text("group_id IS NULL")),
        Index("uq_new_starter_rules_group_id_course_id", "group_id", "course_id", unique=True,
              sqlite_where=text("group_id IS NOT NULL"), postgresql_where=text("group_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    due_in_days: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship()
    group: Mapped[Group | None] = relationship()


class InvitationCourse(Base):
    """A course attached to an invitation: assigned when the invitee joins, due a number of days after."""

    __tablename__ = "invitation_courses"
    __table_args__ = (UniqueConstraint("invitation_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    due_in_days: Mapped[int] = mapped_column(Integer)


class ContactRole(StrEnum):
    DSL = "dsl"
    DEPUTY = "deputy"
    SOCIAL_CARE = "social_care"
    POLICE = "police"
    OTHER = "other"


class SafeguardingContact(Base):
    """Who staff should tell: the organisation's DSL, deputies and local services, in display order."""

    __tablename__ = "safeguarding_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[ContactRole] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(CONTACT_NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    notes: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)


class ExternalTraining(Base):
    """Training done elsewhere (or an imported elearn certificate), recorded by a manager for one person."""

    __tablename__ = "external_training"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The course of ours it counts for, if any.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(TRAINING_TITLE_MAX))
    provider: Mapped[str] = mapped_column(String(TRAINING_PROVIDER_MAX))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    # Kept by a face-to-face session for one attendee and course (elearn/training/sessions.py), never by hand.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course | None] = relationship()


class ReminderLog(Base):
    """A reminder sent, so nothing is sent twice: a scheduled event about a course (kind, course, key), about a
    face-to-face session requirement (kind "session_...", course NULL, the topic, key), a person's one reminder of
    the day (kind "day", course NULL, the date as key) or a manager's weekly digest (the ISO week)."""

    __tablename__ = "reminder_logs"
    # Two partial unique indexes, because NULL course ids are distinct in a plain unique constraint. The topic is
    # in the second: two topics reaching the same event and key are two events (one row would let the first topic
    # chased in a week silence a second one falling overdue later that week). It is "" when there is no topic,
    # never NULL, so that "one a day" and "one digest a week" stay unique.
    __table_args__ = (
        Index("uq_reminder_logs_user_kind_course_week", "user_id", "kind", "course_id", "week", unique=True,
              sqlite_where=text("course_id IS NOT NULL"), postgresql_where=text("course_id IS NOT NULL")),
        Index("uq_reminder_logs_user_kind_topic_week", "user_id", "kind", "topic", "week", unique=True,
              sqlite_where=text("course_id IS NULL"), postgresql_where=text("course_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # a schedule event (compliance/reminders.py EVENTS), day, manager_digest
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    # A session requirement's topic as the session grid keys it (casefolded; reminders.log_topic), else "".
    topic: Mapped[str] = mapped_column(String(TRAINING_TITLE_MAX), default="", server_default="")
    # The key: an ISO year-week ("2026-W48") for weekly kinds, else the date it is about ("20261205").
    week: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ReminderSchedule(Base):
    """An organisation's automatic reminders to its staff; an organisation without a row has them all on."""

    __tablename__ = "reminder_schedules"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    on_assignment: Mapped[bool] = mapped_column(Boolean, default=True)
    week_before_due: Mapped[bool] = mapped_column(Boolean, default=True)
    on_due_day: Mapped[bool] = mapped_column(Boolean, default=True)
    weekly_overdue: Mapped[bool] = mapped_column(Boolean, default=True)
    before_expiry: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
