"""The tier above the setting: trusts, partnerships, people working in several settings, and the training each
role needs.

- A setting (a school) belongs to at most one trust (`Organisation.trust_id`): the trust owns it and employs
  its staff, so the trust's safeguarding lead sees its people.
- A setting joins any number of partnerships (`PartnershipMember`) with its consent recorded; a partnership
  does not own it and sees aggregates only, never a person.
- A person has one account and one home organisation (`User.organisation_id`, where they are employed, e.g.
  a trust for its central staff) and may work at other settings too (`Placement`): a peripatetic teacher, a
  supply teacher, a governor of another school.
- Duties (`MemberDuty`) are jobs on top of a kind: the designated safeguarding lead, a deputy, a recruiter.
- `TrainingRequirement` says which course, face-to-face session or read-and-understood document a kind or a
  duty needs, and how often; a trust's rows apply to its settings, a setting's own rows override them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import MemberKind, Organisation, User
from elearn.models.courses import Course
from elearn.models.signoffs import SignoffKind
from elearn.text_rules import PERSON_NAME_MAX, TRAINING_TITLE_MAX


class PartnershipMember(Base):
    """A setting that has joined a partnership, with who recorded its consent to share aggregates, and when."""

    __tablename__ = "partnership_members"
    __table_args__ = (UniqueConstraint("partnership_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # Consent is the setting's: given by its head or chair of governors, recorded by whoever entered it.
    consent_given_by: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    consent_given_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Leaving withdraws consent: the partnership sees nothing of the setting from then on.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partnership: Mapped[Organisation] = relationship(foreign_keys=[partnership_id])
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])


class Placement(Base):
    """A person working at a setting other than their home organisation, as a kind of member there."""

    __tablename__ = "placements"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MemberKind] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # NULL while they still work there
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()


class Duty(StrEnum):
    """A safeguarding job a person holds at a setting, on top of their kind of membership."""

    DSL = "dsl"  # the designated safeguarding lead
    DEPUTY_DSL = "deputy_dsl"
    SAFER_RECRUITER = "safer_recruiter"  # sits on recruitment panels: safer-recruitment training


class MemberDuty(Base):
    """A duty a person holds at one setting (their home organisation or a placement), since a date."""

    __tablename__ = "member_duties"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "duty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    duty: Mapped[Duty] = mapped_column(String(20))
    since: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RequirementItem(StrEnum):
    """What satisfies a requirement."""

    COURSE = "course"  # a certificate, training elsewhere or a face-to-face session counting for the course
    SESSION = "session"  # attendance at a face-to-face session whose topic matches
    DOCUMENT = "document"  # read-and-understood confirmation of the setting's current document of a kind
    # Not an item: the level says the role needs nothing here, so neither its trust's set nor the KCSIE defaults
    # apply (a row with no course, topic or document; resolution reads it as an empty set).
    NOTHING = "nothing"


class DueMode(StrEnum):
    """When a renewal falls due."""

    ROLLING = "rolling"  # every_months after the last completion
    ACADEMIC_YEAR = "academic_year"  # by the start of the academic year (1 September) once every_months have run


class TrainingRequirement(Base):
    """Training that a kind of member, or the holder of a duty, needs, and how often.

    Exactly one of course_id, session_topic and document_kind is set, as item says (none for NOTHING, the
    explicit "nothing required for this role"). Set by a trust for all
    its settings or by a setting for itself; a setting's row for the same role and item replaces the trust's.
    """

    __tablename__ = "training_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # A MemberKind or a Duty value: "staff", "governor", "dsl", "safer_recruiter"...
    applies_to: Mapped[str] = mapped_column(String(20))
    item: Mapped[RequirementItem] = mapped_column(String(20))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    session_topic: Mapped[str | None] = mapped_column(String(TRAINING_TITLE_MAX))
    document_kind: Mapped[SignoffKind | None] = mapped_column(String(20))
    every_months: Mapped[int] = mapped_column(Integer)  # 12, 24 or 36
    due_mode: Mapped[DueMode] = mapped_column(String(20), default=DueMode.ROLLING)
    # New joiners have this many days from joining to complete it for the first time (induction).
    induction_days: Mapped[int] = mapped_column(Integer, default=28)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course | None] = relationship()


class AuditReturn(Base):
    """A setting's signed training section of its annual safeguarding audit (Section 175, or 157 if independent).

    The snapshot is the whole return as canonical JSON (sorted keys, no whitespace), computed when the DSL signed
    it, with its SHA-256: what was signed can be reproduced byte for byte later, whatever changes afterwards.
    Signing again for the same year makes a new version; earlier versions are kept. The snapshot's "measures"
    hold only counts and ratings; the names behind them are under "people", which a partnership never reads.
    """

    __tablename__ = "audit_returns"
    __table_args__ = (UniqueConstraint("organisation_id", "academic_year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    academic_year: Mapped[int] = mapped_column(Integer)  # the year it starts: 2026 for 2026/27 (1 Sep to 31 Aug)
    version: Mapped[int] = mapped_column(Integer, default=1)
    snapshot: Mapped[str] = mapped_column(Text)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_by_name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))  # kept: the signature outlives the account
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organisation: Mapped[Organisation] = relationship()
