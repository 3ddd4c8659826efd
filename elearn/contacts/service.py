"""An organisation's safeguarding contacts: its designated lead(s), deputies and local services.

Managers keep them up to date; learners of the organisation see them on the "Worried about a child?"
page and at the end of every course, beside the national helplines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from elearn.access import get_owned, organisations_of
from elearn.audit import record_event
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import ContactRole, Organisation, SafeguardingContact, User
from elearn.text_rules import CONTACT_NAME_MAX, CONTACT_NOTES_MAX, PHONE_MAX, clean_email, clean_text

log = logging.getLogger(__name__)

ROLE_LABELS = {
    ContactRole.DSL: "Designated safeguarding lead",
    ContactRole.DEPUTY: "Deputy designated safeguarding lead",
    ContactRole.SOCIAL_CARE: "Local children's social care",
    ContactRole.POLICE: "Police",
    ContactRole.OTHER: "Other contact",
}
MAX_CONTACTS = 20
# Digits with spaces, brackets, dashes, dots and an optional leading "+", e.g. "+44 (0)20 7946 0000",
# "0800 028 0285", "101"; 3 to 15 digits (E.164 allows 15) and an optional "ext 123".
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]*(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)


@dataclass(frozen=True)
class ContactInput:
    """A contact as typed into the form (shape already checked by the form)."""

    role: str
    name: str
    phone: str = ""
    email: str = ""
    notes: str = ""


def _clean(data: ContactInput) -> dict[str, object]:
    """Check the rules every contact follows; return the values to store."""
    try:
        role = ContactRole(data.role)
    except ValueError:
        raise InvalidInput("role", "Choose who this contact is.") from None
    name = clean_text(data.name, field="name", max_length=CONTACT_NAME_MAX,
                      required="Enter a name, e.g. the person's name or the service's name.")
    phone = clean_text(data.phone, field="phone", max_length=PHONE_MAX, required=None)
    email = clean_email(data.email) if (data.email or "").strip() else ""
    # Notes keep their line breaks: "out of hours" instructions are often a short list.
    notes = clean_text(data.notes, field="notes", max_length=CONTACT_NOTES_MAX, required=None, multiline=True)
    if not phone and not email:
        raise InvalidInput("phone", "Enter a phone number or an email address (or both).")
    digits = sum(ch.isdigit() for ch in phone.lower().split("x")[0])
    if phone and (not _PHONE.match(phone) or not 3 <= digits <= 15):
        raise InvalidInput("phone", "Enter a phone number like 01632 960 123, +44 1632 960123 or 101.")
    return {"role": role.value, "name": name, "phone": phone or None, "email": email or None, "notes": notes or None}


def _order() -> list[ColumnElement[Any] | InstrumentedAttribute[Any]]:
    rank = case({role.value: n for n, role in enumerate(ROLE_LABELS)}, value=SafeguardingContact.role, else_=99)
    return [rank, SafeguardingContact.position, func.lower(SafeguardingContact.name), SafeguardingContact.id]


def list_contacts(org_id: int | None) -> list[SafeguardingContact]:
    """An organisation's contacts, leads first; none for a person without an organisation. One query."""
    if org_id is None:
        return []
    return list(db.session.scalars(
        select(SafeguardingContact).where(SafeguardingContact.organisation_id == org_id).order_by(*_order())))


def contacts_for(user: User | None) -> list[SafeguardingContact]:
    """The contacts a signed-in member sees: those of every setting they work at (their own organisation's first,
    then each setting where they are placed, with its name loaded for the page); nobody else sees any (the pages
    stay public and generic). One query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    home_first = case((SafeguardingContact.organisation_id == user.organisation_id, 0), else_=1)
    return list(db.session.scalars(
        select(SafeguardingContact).options(joinedload(SafeguardingContact.organisation))
        .where(SafeguardingContact.organisation_id.in_(organisations_of(user)))
        .order_by(home_first, SafeguardingContact.organisation_id, *_order())))


def get_contact(org: Organisation, contact_id: int) -> SafeguardingContact:
    """A contact of this organisation, or NotFound (another organisation's id included)."""
    return get_owned(SafeguardingContact, contact_id, organisation=org,
                     missing="There is no contact with this address in your organisation.")


def add_contact(org: Organisation, data: ContactInput, *, actor: User) -> SafeguardingContact:
    """Add a safeguarding contact at the end of its role's list."""
    values = _clean(data)
    count = db.session.scalar(select(func.count()).where(SafeguardingContact.organisation_id == org.id)) or 0
    if count >= MAX_CONTACTS:
        raise InvalidInput("name", f"An organisation can list at most {MAX_CONTACTS} contacts.")
    contact = SafeguardingContact(organisation_id=org.id, position=count, **values)
    db.session.add(contact)
    db.session.flush()
    record_event("contact.added", actor=actor, organisation_id=org.id, target=f"contact:{contact.id}",
                 role=contact.role)
    db.session.commit()
    log.info("safeguarding contact %s added to organisation %s by user %s", contact.id, org.id, actor.id)
    return contact


def update_contact(org: Organisation, contact_id: int, data: ContactInput, *, actor: User) -> SafeguardingContact:
    """Change a contact's details."""
    contact = get_contact(org, contact_id)
    for key, value in _clean(data).items():
        setattr(contact, key, value)
    record_event("contact.updated", actor=actor, organisation_id=org.id, target=f"contact:{contact.id}",
                 role=contact.role)
    db.session.commit()
    return contact


def delete_contact(org: Organisation, contact_id: int, *, actor: User) -> None:
    """Remove a contact."""
    contact = get_contact(org, contact_id)
    record_event("contact.deleted", actor=actor, organisation_id=org.id, target=f"contact:{contact.id}")
    db.session.delete(contact)
    db.session.commit()
