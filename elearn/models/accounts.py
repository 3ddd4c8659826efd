"""Organisations, users and password-reset tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from elearn.db import Base, UTCDateTime, now_utc
from elearn.text_rules import EMAIL_MAX, ORGANISATION_NAME_MAX, PERSON_NAME_MAX


class Role(StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    ADMIN = "admin"


class OrganisationKind(StrEnum):
    """What an organisation is in the tier above the school (elearn/models/network.py)."""

    SETTING = "setting"  # a school, college, nursery or charity whose people train here
    TRUST = "trust"  # a multi-academy trust: owns its settings and employs their staff
    PARTNERSHIP = "partnership"  # a safeguarding children partnership: sees consenting members' aggregates only


class Phase(StrEnum):
    """A setting's phase, for a partnership's aggregates (the DfE's phases of education, simplified)."""

    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    ALTERNATIVE = "alternative"  # alternative provision and pupil referral units
    POST_16 = "post_16"
    OTHER = "other"


class MemberKind(StrEnum):
    """What a person is to a setting; each kind has the training its role needs (TrainingRequirement)."""

    STAFF = "staff"  # employed staff, teaching or not
    SUPPLY = "supply"
    PERIPATETIC = "peripatetic"  # visiting staff working across settings (music teachers, therapists)
    VOLUNTEER = "volunteer"
    GOVERNOR = "governor"  # a governing board member of a maintained school or an academy's local board
    TRUSTEE = "trustee"  # a trust board member


class Organisation(Base):
    """A school, college or charity whose staff train here (a setting), or a trust or partnership above them."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(ORGANISATION_NAME_MAX))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Self-registration with an address on one of the organisation's domains joins it.
    allow_domain_signup: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Personal data (elearn/privacy): leavers' accounts are anonymised this long after deactivation, and
    # certificates keep the learner's name after their account is deleted only when keep_certificate_names is on.
    retention_months: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    keep_certificate_names: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    kind: Mapped[OrganisationKind] = mapped_column(String(20), default=OrganisationKind.SETTING,
                                                   server_default=OrganisationKind.SETTING.value)
    # The trust that owns this setting, if any (one at most); NULL for trusts and partnerships themselves.
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    phase: Mapped[Phase | None] = mapped_column(String(20))
    # Independent schools return a Section 157 audit; maintained schools and academies a Section 175 one.
    is_independent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, Base):
    """A person with an account; their display name is the one printed on certificates."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20), default=Role.LEARNER)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # What the person is at their own organisation; at other settings, their Placement says.
    member_kind: Mapped[MemberKind] = mapped_column(String(20), default=MemberKind.STAFF,
                                                    server_default=MemberKind.STAFF.value)
    # When they joined their current organisation: new-starter rules count their due dates from it.
    joined_organisation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The sign-in throttle (elearn/auth/throttle.py): failures in a row, and until when no further attempt is
    # checked (a short, capped wait, never a lock). One pair for browsers this account has not signed in from,
    # one for those it has, so a stranger's guesses never hold up the owner's own browsers.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    device_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner was last emailed about failed sign-ins (at most once a day).
    failed_logins_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (TOTP, RFC 6238); the last accepted time step stops a code being replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Set whenever the account is deactivated (see _stamp_deactivation); leavers' retention counts from it.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once personal data has been removed (account deletion or a leaver past retention).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @validates("is_active_account")
    def _stamp_deactivation(self, key: str, active: bool) -> bool:
        # Whoever deactivates (a manager, an admin, a script), the retention clock starts now.
        if not active and self.is_active_account is not False:
            self.deactivated_at = now_utc()
        elif active:
            self.deactivated_at = None
        return active

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def needs_two_factor(self) -> bool:
        """Managers and admins must use two-factor sign-in; learners may."""
        return self.role in (Role.MANAGER, Role.ADMIN) or self.has_two_factor

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @property
    def session_key(self) -> str | None:
        """The raw key of the session this object was signed in or loaded with (elearn/auth/sessions.py)."""
        return self.__dict__.get("_session_key")  # never stored: only its hash is, in user_sessions

    def use_session_key(self, key: str) -> None:
        self.__dict__["_session_key"] = key

    # Flask-Login's UserMixin compares get_id(), which is now a session key: compare accounts instead.
    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, User) and self.id is not None and self.id == other.id)

    __hash__ = object.__hash__

    def get_id(self) -> str:
        # The signed cookie carries the key of a UserSession row, never a bare user id.
        if not self.session_key:
            raise RuntimeError("sign in through elearn.auth.sessions.start_session")
        return self.session_key


class PasswordResetToken(Base):
    """A single-use, expiring password-reset token; only its hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use two-factor recovery code; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SessionKind(StrEnum):
    SESSION = "session"  # a signed-in browser
    DEVICE = "device"  # a device remembered after two-factor sign-in: it skips only the second step


class UserSession(Base):
    """A signed-in session or a remembered device; only the hash of its random key is stored.

    A session ends (ended_at) on logout, "sign out everywhere", a password change or reset, deactivation or
    deletion; a remembered device also at expires_at, when forgotten or when two-factor sign-in is turned off.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(String(10), default=SessionKind.SESSION)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Refreshed at most every few minutes (elearn/auth/sessions.py SEEN_EVERY), so reads rarely write.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(80), default="", server_default="")
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()
