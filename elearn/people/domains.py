"""An organisation's email domains and the self-registration switch."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.access import get_owned, require_admin
from elearn.audit import record_event
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import Organisation, OrganisationDomain, User


def clean_domain(raw: str) -> str:
    domain = (raw or "").strip().lower().lstrip("@")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels
    ):
        raise InvalidInput("domain", "Enter a domain like school.sch.uk.")
    return domain


def list_domains(org: Organisation) -> list[OrganisationDomain]:
    return list(db.session.scalars(
        select(OrganisationDomain).where(OrganisationDomain.organisation_id == org.id).order_by(OrganisationDomain.domain)))


def check_can_edit_domains(actor: User) -> None:
    """Admins only: a manager claiming a public domain (gmail.com) would capture every stranger who registers with it."""
    require_admin(actor, "Only an administrator can add or remove an email domain.")


def add_domain(org: Organisation, raw_domain: str, *, actor: User) -> OrganisationDomain:
    """Claim an email domain for an organisation (admins only); one organisation per domain."""
    check_can_edit_domains(actor)
    domain = clean_domain(raw_domain)
    if db.session.scalar(select(OrganisationDomain.id).where(OrganisationDomain.domain == domain)) is not None:
        raise InvalidInput("domain", "This domain already belongs to an organisation.")
    row = OrganisationDomain(organisation_id=org.id, domain=domain, added_by_id=actor.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # another admin claimed it at the same moment (unique domain)
        db.session.rollback()
        raise InvalidInput("domain", "This domain already belongs to an organisation.") from None
    record_event("organisation.domain_added", actor=actor, organisation_id=org.id, target=f"domain:{row.id}", domain=domain)
    db.session.commit()
    return row


def remove_domain(org: Organisation, domain_id: int, *, actor: User) -> None:
    """Release an email domain (admins only)."""
    row = get_owned(OrganisationDomain, domain_id, organisation=org, missing="There is no such domain in this organisation.")
    check_can_edit_domains(actor)
    record_event("organisation.domain_removed", actor=actor, organisation_id=org.id, target=f"domain:{row.id}")
    db.session.delete(row)
    db.session.commit()


def set_domain_signup(org: Organisation, allow: bool, *, actor: User) -> None:
    """Switch self-registration by email domain on or off for the organisation."""
    org.allow_domain_signup = allow
    record_event("organisation.domain_signup_changed", actor=actor, organisation_id=org.id,
                 target=f"organisation:{org.id}", allow=allow)
    db.session.commit()
