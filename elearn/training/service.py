"""Training that arrives with a new starter: an elearn certificate from a previous employer, or training done elsewhere.

Both are ExternalTraining rows of the organisation. A row that names one of our courses and has an
expiry date counts towards that course's compliance until it expires (reports._valid_until and
compliance.latest_training); an imported certificate stops counting if it is revoked.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from elearn.access import MemberAction, get_member, get_owned
from elearn.audit import record_event
from elearn.certificates.codes import format_code, normalise_code
from elearn.clock import london_today, to_london
from elearn.errors import Conflict, InvalidInput
from elearn.extensions import db
from elearn.learning.service import get_published_course_by_id
from elearn.models import Certificate, ExternalTraining, Organisation, User
from elearn.text_rules import TRAINING_NOTE_MAX, TRAINING_PROVIDER_MAX, TRAINING_TITLE_MAX, clean_text

log = logging.getLogger(__name__)

EARLIEST = date(1990, 1, 1)


@dataclass(frozen=True)
class ExternalInput:
    """External training as typed into the form."""

    course_id: int | None
    title: str
    provider: str
    completed_on: date | None
    expires_on: date | None
    note: str = ""


def list_external(org: Organisation, user_id: int, *, actor: User) -> list[ExternalTraining]:
    """A member's recorded and imported training, newest first."""
    member = get_member(user_id, MemberAction.VIEW, actor=actor, organisation=org)
    return list(db.session.scalars(select(ExternalTraining).where(
        ExternalTraining.organisation_id == org.id, ExternalTraining.user_id == member.id)
        .order_by(ExternalTraining.completed_on.desc(), ExternalTraining.id.desc())))


def get_external(org: Organisation, training_id: int) -> ExternalTraining:
    """A record of this organisation, or NotFound (another organisation's id included)."""
    return get_owned(ExternalTraining, training_id, organisation=org,
                     missing="There is no training record with this address in your organisation.")


def _check_dates(completed_on: date | None, expires_on: date | None, *, counts: bool) -> None:
    today = london_today()
    if completed_on is None:
        raise InvalidInput("completed_on", "Enter the date the training was completed.")
    if not EARLIEST <= completed_on <= today:
        raise InvalidInput("completed_on", "The completion date must be a real date, not in the future.")
    if expires_on is not None and expires_on <= completed_on:
        raise InvalidInput("expires_on", "The expiry date must be after the completion date.")
    if counts and expires_on is None:
        raise InvalidInput("expires_on", "Enter when it expires, so that it stops counting then.")


def record_external(org: Organisation, user_id: int, data: ExternalInput, *, actor: User) -> ExternalTraining:
    """Record training a member did elsewhere; it counts for the chosen course until its expiry date."""
    member = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    course = get_published_course_by_id(data.course_id) if data.course_id is not None else None
    title = clean_text(data.title, field="title", max_length=TRAINING_TITLE_MAX, required="Enter the training's title.")
    provider = clean_text(data.provider, field="provider", max_length=TRAINING_PROVIDER_MAX,
                          required="Enter who provided it.")
    # The note keeps its line breaks, as before: it is read on the member's record, not printed in a cell.
    note = clean_text(data.note, field="note", max_length=TRAINING_NOTE_MAX, required=None, multiline=True)
    _check_dates(data.completed_on, data.expires_on, counts=course is not None)
    record = ExternalTraining(organisation_id=org.id, user_id=member.id, course_id=course.id if course else None,
                              title=title, provider=provider, completed_on=data.completed_on,
                              expires_on=data.expires_on, note=note or None, recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    record_event("external_training.recorded", actor=actor, subject=member, organisation_id=org.id,
                 target=f"external_training:{record.id}", course_id=record.course_id)
    db.session.commit()
    log.info("external training %s recorded for user %s by user %s", record.id, member.id, actor.id)
    return record


def delete_external(org: Organisation, training_id: int, *, actor: User) -> int:
    """Remove a recorded or imported training record; returns the member's id."""
    record = get_external(org, training_id)
    if record.session_id is not None:
        raise Conflict("This record is kept by a face-to-face session: take them off the session's attendance instead.")
    user_id = record.user_id
    record_event("external_training.deleted", actor=actor, subject=record.user, organisation_id=org.id,
                 target=f"external_training:{record.id}")
    db.session.delete(record)
    db.session.commit()
    return user_id


# --- imported certificates -----------------------------------------------------------------------


def _name_tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").casefold()
    return "".join(ch if ch.isalnum() else " " for ch in plain).split()


def names_match(a: str, b: str) -> bool:
    """Same person, reasonably: the same words in any order, or the same first and last names (middle names,
    accents and punctuation aside). A married name or a nickname does not match: the manager confirms it."""
    x, y = _name_tokens(a), _name_tokens(b)
    if not x or not y:
        return False
    return sorted(x) == sorted(y) or (x[0] == y[0] and x[-1] == y[-1])


@dataclass(frozen=True)
class CertificatePreview:
    """What the manager checks before an imported certificate counts: whose it is, and for what."""

    code: str
    learner_name: str
    course_title: str
    completed_on: date
    expires_on: date
    names_match: bool


def _find_importable(member: User, raw_code: str) -> Certificate:
    code = normalise_code(raw_code)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code)) if code else None
    if certificate is None:
        raise InvalidInput("code", "No certificate has this code. Check it against the certificate.")
    if certificate.revoked_at is not None:
        raise InvalidInput("code", "This certificate has been revoked, so it cannot count.")
    if certificate.expires_on < london_today():
        raise InvalidInput("code", "This certificate has expired, so it cannot count.")
    if certificate.user_id == member.id:
        raise InvalidInput("code", "This is their own certificate here: it already counts.")
    if db.session.scalar(select(ExternalTraining.id).where(
            ExternalTraining.user_id == member.id, ExternalTraining.certificate_id == certificate.id)):
        raise InvalidInput("code", "This certificate has already been added for them.")
    return certificate


def preview_certificate(org: Organisation, user_id: int, raw_code: str, *, actor: User) -> CertificatePreview:
    """Look a new starter's certificate up by its code: it must exist, be unrevoked and unexpired."""
    member = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    certificate = _find_importable(member, raw_code)
    return CertificatePreview(format_code(certificate.code), certificate.learner_name, certificate.course_title,
                              to_london(certificate.completed_at).date(), certificate.expires_on,
                              names_match(certificate.learner_name, member.display_name))


def import_certificate(org: Organisation, user_id: int, raw_code: str, *, name_confirmed: bool,
                       actor: User) -> ExternalTraining:
    """Count a new starter's elearn certificate from a previous employer until it expires; when the names differ,
    only once the manager has confirmed that it is the same person."""
    member = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    certificate = _find_importable(member, raw_code)
    if not names_match(certificate.learner_name, member.display_name) and not name_confirmed:
        raise InvalidInput("confirm", "The names differ: confirm that this certificate is theirs.")
    record = ExternalTraining(
        organisation_id=org.id, user_id=member.id, course_id=certificate.course_id, title=certificate.course_title,
        provider=current_app.config["PLATFORM_NAME"], completed_on=to_london(certificate.completed_at).date(),
        expires_on=certificate.expires_on, certificate_id=certificate.id, recorded_by_id=actor.id,
        note=f"Certificate {format_code(certificate.code)}")
    db.session.add(record)
    db.session.flush()
    record_event("external_training.imported", actor=actor, subject=member, organisation_id=org.id,
                 target=f"external_training:{record.id}", certificate_id=certificate.id,
                 names_matched=not name_confirmed or names_match(certificate.learner_name, member.display_name))
    db.session.commit()
    log.info("certificate %s imported for user %s by user %s", certificate.id, member.id, actor.id)
    return record

