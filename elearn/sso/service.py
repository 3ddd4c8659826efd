"""Single sign-on: an organisation's connections, and what a checked ID token lets happen.

The ID token has been checked before anything here runs (client.py: signature, issuer, audience, expiry,
nonce). These functions decide whose account it opens:

- the token's tenant (Entra `tid`, Google `hd`) must be one an organisation connected;
- an identity linked before (same issuer and subject) opens its account;
- otherwise an account with the same email is linked only when the provider says the email is verified, and only
  an account of that organisation or of none (never a platform administrator's);
- otherwise, when the organisation lets people join this way, a new account is made there with its new-starter
  rules, as self-registration by email domain does (people.service.join_organisation);
- a deactivated account is refused.

Every refusal is audited (`sso.refused`, with its reason) and committed before it is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.access import is_admin, is_manager_of
from elearn.audit import record_event
from elearn.auth.service import find_user_by_email, record_successful_login
from elearn.db import now_utc
from elearn.errors import ElearnError, InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import Organisation, Role, SsoConnection, SsoIdentity, User
from elearn.people.service import join_organisation
from elearn.sso.providers import PROVIDERS, Provider, clean_tenant, is_email_verified, tenant_of, used_mfa
from elearn.text_rules import clean_email, clean_person_name

log = logging.getLogger(__name__)


class SsoRefused(ElearnError):
    """A sign-in with a provider that elearn refuses; `reason` names the page that says what to do."""

    status = 403

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Each reason has its own page (templates/sso/refused_<reason>.html) and HTTP status.
REASONS: dict[str, int] = {
    "cancelled": 400,  # the person (or their administrator's policy) declined at the provider
    "expired": 400,  # no sign-in of ours was waiting for this answer: the state does not match, or it timed out
    "outage": 502,  # the provider could not be reached: discovery, keys or token endpoint
    "invalid_token": 400,  # the ID token failed a check: signature, issuer, audience, expiry or nonce
    "wrong_tenant": 403,  # the tenant or Workspace domain is no organisation's (or a personal account)
    "unverified_email": 403,  # the provider does not vouch for the email address
    "not_member": 403,  # the organisation does not let people join this way, and there is no account
    "other_account": 403,  # the email's account belongs to another organisation, or to an administrator
    "disabled": 403,  # the elearn account is deactivated
}


@dataclass(frozen=True)
class SignIn:
    user: User
    needs_second_factor: bool  # TOTP is on and the provider did not say "mfa": the two-factor step follows
    provider_mfa: bool  # the provider said "mfa": it counts as the second factor managers and admins must use


# Set in the session of a sign-in whose provider said "mfa" (auth/account_views.py reads it: no TOTP set-up owed).
MFA_SESSION_KEY = "sso_mfa"


def refuse(reason: str, provider: Provider, *, user: User | None = None, organisation_id: int | None = None,
           **details: Any) -> SsoRefused:
    """Audit a refused sign-in and commit it; return the exception for the caller to raise."""
    db.session.rollback()  # nothing half-done from the attempt is kept: only the record of the refusal
    record_event("sso.refused", actor=None, subject=user, organisation_id=organisation_id, reason=reason,
                 provider=provider.name, **details)
    db.session.commit()
    log.info("sso sign-in refused: %s (%s)", reason, provider.name)
    return SsoRefused(reason)


def complete_sign_in(provider: Provider, claims: Mapping[str, Any]) -> SignIn:
    """Open the account a checked ID token speaks for, linking or creating it under the rules above; one commit."""
    tenant = tenant_of(provider, claims)
    connection = find_connection(provider, tenant) if tenant else None
    if connection is None:
        raise refuse("wrong_tenant", provider, tenant=tenant or "")
    org_id = connection.organisation_id
    identity = db.session.scalar(select(SsoIdentity).where(
        SsoIdentity.issuer == str(claims["iss"]), SsoIdentity.subject == str(claims["sub"])))
    user = identity.user if identity is not None else _link_or_create(provider, connection, claims)
    if not user.is_active:
        raise refuse("disabled", provider, user=user, organisation_id=org_id)
    if identity is None:
        identity = SsoIdentity(user_id=user.id, provider=provider.name, issuer=str(claims["iss"]),
                               subject=str(claims["sub"]), tenant=connection.tenant)
        db.session.add(identity)
        record_event("sso.linked", actor=user, subject=user, provider=provider.name, tenant=connection.tenant)
    identity.last_used_at = now_utc()
    mfa = used_mfa(claims)
    # A second factor at the provider stands for ours; otherwise whoever has TOTP on still gives a code. A manager
    # without TOTP and without the provider's MFA is signed in and sent to set TOTP up, as after a password.
    owes_factor = user.has_two_factor and not mfa
    if not owes_factor:
        record_successful_login(user, method=f"sso:{provider.name}{'+mfa' if mfa else ''}")
    try:
        db.session.commit()
    except IntegrityError:  # the same first sign-in in two tabs at once: the other one linked it
        db.session.rollback()
        raise refuse("expired", provider) from None
    return SignIn(user, owes_factor, mfa)


def record_remembered_device(sign_in: SignIn, provider: Provider) -> SignIn:
    """The browser is a device remembered after a second factor: that factor stands, as after a password."""
    record_successful_login(sign_in.user, method=f"sso:{provider.name}+remembered_device")
    db.session.commit()
    return SignIn(sign_in.user, needs_second_factor=False, provider_mfa=False)


def _link_or_create(provider: Provider, connection: SsoConnection, claims: Mapping[str, Any]) -> User:
    org_id = connection.organisation_id
    email = claims.get("email")
    if not isinstance(email, str) or not is_email_verified(provider, claims):
        raise refuse("unverified_email", provider, organisation_id=org_id)
    try:
        email = clean_email(email)
    except InvalidInput:
        raise refuse("unverified_email", provider, organisation_id=org_id) from None
    user = find_user_by_email(email)
    if user is not None:
        if is_admin(user) or user.organisation_id not in (None, org_id):
            raise refuse("other_account", provider, user=user, organisation_id=org_id)
        if user.organisation_id is None and connection.auto_join and user.role == Role.LEARNER:
            join_organisation(user, connection.organisation)
            record_event("organisation.joined_by_sso", actor=user, subject=user, organisation_id=org_id)
        return user
    if not connection.auto_join:
        raise refuse("not_member", provider, organisation_id=org_id)
    user = User(email=email, display_name=_name_from(claims, email), password_hash=None, role=Role.LEARNER)
    db.session.add(user)
    db.session.flush()
    record_event("account.registered", actor=user, subject=user, method=f"sso:{provider.name}")
    join_organisation(user, connection.organisation)
    record_event("organisation.joined_by_sso", actor=user, subject=user, organisation_id=org_id)
    log.info("user %s joined organisation %s by single sign-on", user.id, org_id)
    return user


def _name_from(claims: Mapping[str, Any], email: str) -> str:
    """The provider's name for the person (they can correct their certificate name later, as today)."""
    given, family = claims.get("given_name"), claims.get("family_name")
    for raw in (claims.get("name"), f"{given or ''} {family or ''}", email.partition("@")[0]):
        if isinstance(raw, str) and raw.strip():
            try:
                return clean_person_name(raw)
            except InvalidInput:
                continue
    return "New member"


# --- what password sign-in may do ------------------------------------------------------------

SSO_REQUIRED_MESSAGE = ("Your organisation signs in with {providers}: use the \u201cSign in with\u201d button below. "
                    "If that does not work, ask your organisation's elearn manager.")


def password_sign_in_refusal(user: User) -> str | None:
    """The message for a member of an organisation that requires single sign-on who used a password, else None."""
    if user.organisation_id is None or is_admin(user):
        return None
    names = list(db.session.scalars(select(SsoConnection.provider).where(
        SsoConnection.organisation_id == user.organisation_id, SsoConnection.require_sso.is_(True),
        SsoConnection.confirmed_at.is_not(None))))
    if not names:
        return None
    labels = sorted({PROVIDERS[name].label for name in names if name in PROVIDERS})
    return SSO_REQUIRED_MESSAGE.format(providers=" or ".join(labels))


def record_password_refused(user: User) -> None:
    record_event("login.refused", actor=user, subject=user, stage="password", reason="single sign-on required")
    db.session.commit()


# --- connections -----------------------------------------------------------------------------


def find_connection(provider: Provider, tenant: str, *, confirmed_only: bool = True) -> SsoConnection | None:
    """The organisation's connection to this tenant; one a manager has not confirmed yet opens nothing."""
    query = select(SsoConnection).where(SsoConnection.provider == provider.name, SsoConnection.tenant == tenant)
    if confirmed_only:
        query = query.where(SsoConnection.confirmed_at.is_not(None))
    return db.session.scalar(query)


TENANT_NOT_CONFIRMED = ("The account you signed in with is not in {tenant}. Sign in with an account of that "
                        "tenant or domain to confirm it.")


def confirm_connection(org: Organisation, connection_id: int, provider: Provider, claims: Mapping[str, Any], *,
                       actor: User) -> SsoConnection:
    """A manager proves the tenant is theirs by signing in with one of its accounts (a checked ID token)."""
    _check_manager(org, actor)
    row = get_connection(org, connection_id)
    if row.provider != provider.name or tenant_of(provider, claims) != row.tenant:
        record_event("sso.connection_not_confirmed", actor=actor, organisation_id=org.id,
                     target=f"sso_connection:{row.id}", tenant=tenant_of(provider, claims) or "")
        db.session.commit()
        raise InvalidInput("tenant", TENANT_NOT_CONFIRMED.format(tenant=row.tenant))
    if row.confirmed_at is None:
        row.confirmed_at = now_utc()
        record_event("sso.connection_confirmed", actor=actor, organisation_id=org.id, target=f"sso_connection:{row.id}")
    db.session.commit()
    return row


def list_connections(org: Organisation) -> list[SsoConnection]:
    return list(db.session.scalars(select(SsoConnection).where(SsoConnection.organisation_id == org.id)
                                   .order_by(SsoConnection.provider, SsoConnection.tenant)))


def _check_manager(org: Organisation, actor: User) -> None:
    if not is_manager_of(actor, org.id):
        raise NotAllowed("Only the organisation's managers and administrators can change its single sign-on.")


def add_connection(org: Organisation, provider_name: str, raw_tenant: str, *, auto_join: bool, require_sso: bool,
                   actor: User) -> SsoConnection:
    """Connect an Entra tenant or a Workspace domain to the organisation; each belongs to one organisation.
    A manager's connection waits until they confirm it by signing in through it (`confirm_connection`)."""
    _check_manager(org, actor)
    provider = PROVIDERS.get(provider_name)
    if provider is None:
        raise InvalidInput("provider", "Choose Microsoft or Google.")
    tenant = clean_tenant(provider, raw_tenant)
    if tenant is None:
        raise InvalidInput("tenant", "Enter the tenant ID, like 72f988bf-86f1-41af-91ab-2d7cd011db47."
                           if provider.name == "microsoft" else "Enter the Workspace domain, like school.sch.uk.")
    if find_connection(provider, tenant, confirmed_only=False) is not None:
        raise InvalidInput("tenant", "This is already connected to an organisation.")
    # An administrator has checked the tenant is the organisation's; a manager confirms it by signing in through it.
    row = SsoConnection(organisation_id=org.id, provider=provider.name, tenant=tenant, auto_join=auto_join,
                        require_sso=require_sso, created_by_id=actor.id,
                        confirmed_at=now_utc() if is_admin(actor) else None)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput("tenant", "This is already connected to an organisation.") from None
    record_event("sso.connection_added", actor=actor, organisation_id=org.id, target=f"sso_connection:{row.id}",
                 provider=provider.name, tenant=tenant, auto_join=auto_join, require_sso=require_sso)
    db.session.commit()
    return row


def get_connection(org: Organisation, connection_id: int) -> SsoConnection:
    row = db.session.get(SsoConnection, connection_id)
    if row is None or row.organisation_id != org.id:
        raise NotFound("There is no such connection in this organisation.")
    return row


def set_connection_options(org: Organisation, connection_id: int, *, auto_join: bool, require_sso: bool,
                           actor: User) -> SsoConnection:
    _check_manager(org, actor)
    row = get_connection(org, connection_id)
    row.auto_join, row.require_sso = auto_join, require_sso
    record_event("sso.connection_changed", actor=actor, organisation_id=org.id, target=f"sso_connection:{row.id}",
                 auto_join=auto_join, require_sso=require_sso)
    db.session.commit()
    return row


def remove_connection(org: Organisation, connection_id: int, *, actor: User) -> None:
    """Disconnect; linked identities stay but open nothing until the tenant is connected again."""
    _check_manager(org, actor)
    row = get_connection(org, connection_id)
    record_event("sso.connection_removed", actor=actor, organisation_id=org.id, target=f"sso_connection:{row.id}",
                 provider=row.provider, tenant=row.tenant)
    db.session.delete(row)
    db.session.commit()
