"""Single sign-on with OpenID Connect: an organisation's connections to a Microsoft Entra tenant or a Google
Workspace domain, and the provider identities linked to accounts (elearn/sso)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.db import Base, UTCDateTime, now_utc
from elearn.models.accounts import Organisation, User


class SsoConnection(Base):
    """An organisation's Entra tenant (`tid`) or Google Workspace domain (`hd`); one organisation per tenant.

    `auto_join`: people of the tenant who sign in without an account get one in the organisation (with its
    new-starter rules), as self-registration by email domain does. `require_sso`: the organisation's members may
    not sign in with a password. A manager's connection opens nothing until `confirmed_at`: they sign in once with
    an account of that tenant, so nobody can claim another organisation's tenant and catch its staff.
    """

    __tablename__ = "sso_connections"
    __table_args__ = (UniqueConstraint("provider", "tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # "microsoft" | "google"
    tenant: Mapped[str] = mapped_column(String(253))  # lower case: an Entra tenant id or a Workspace domain
    auto_join: Mapped[bool] = mapped_column(Boolean, default=False)
    require_sso: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an admin's at once; a manager's by signing in

    organisation: Mapped[Organisation] = relationship()


class SsoIdentity(Base):
    """A provider's account (issuer and subject) linked to an elearn account; an account may have several.
    Erased with the account's personal data (privacy.service)."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    tenant: Mapped[str] = mapped_column(String(253))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
