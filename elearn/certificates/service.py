"""Certificates: issue on a pass (exactly once), status, download, public verification, revocation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask import current_app
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from elearn.access import MemberAction, check_may_act_on, require_admin, require_own
from elearn.audit import record_event
from elearn.certificates.codes import format_code, new_code, normalise_code
from elearn.certificates.filenames import certificate_filenames
from elearn.certificates.pdf import CertificateDocument, render_certificate_pdf
from elearn.clock import add_months, london_today, to_london, uk_date
from elearn.db import now_utc
from elearn.downloads import Download, audited
from elearn.errors import Conflict, NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Attempt, Certificate, CertificateUpdate, Course, CourseVersion, Enrolment, User
from elearn.text_rules import PERSON_NAME_MAX, REVOKE_REASON_MAX, clean_text

log = logging.getLogger(__name__)

NO_CERTIFICATE = "There is no certificate at this address."


def find_certificate_for_attempt(attempt: Attempt) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))


def issue_certificate(attempt: Attempt) -> Certificate:
    """Issue the certificate for a submitted, passing attempt; return the existing one if already issued.

    Flushes only: the caller's transaction commits it together with the pass, so a pass
    never exists without its certificate (and the unique attempt_id forbids a second one).
    """
    if attempt.submitted_at is None or not attempt.passed or attempt.score_percent is None:
        raise ValueError("only a submitted, passing attempt earns a certificate")
    existing = find_certificate_for_attempt(attempt)
    if existing is not None:
        return existing
    version = attempt.version
    completed_on = to_london(attempt.submitted_at).date()
    certificate = Certificate(
        code=_unused_code(),
        user_id=attempt.user_id,
        course_id=version.course_id,
        enrolment_id=attempt.enrolment_id,
        attempt_id=attempt.id,
        learner_name=attempt.user.display_name,
        course_title=version.title,
        course_version_number=version.number,
        cpd_hours=version.cpd_hours,
        outcomes=[outcome["text"] for outcome in version.outcomes],
        aligned_to=list(version.aligned_to or ()),
        organisation_name=attempt.user.organisation.name if attempt.user.organisation else None,
        accredited_by=current_app.config.get("ACCREDITING_BODY"),
        # Floor, never round up: 79.9% must not be printed as a pass mark of 80%.
        score_percent=int(attempt.score_percent),
        completed_at=attempt.submitted_at,
        expires_on=add_months(completed_on, version.validity_months),
    )
    db.session.add(certificate)
    db.session.flush()
    record_event("certificate.issued", actor=attempt.user, subject=attempt.user, target=f"certificate:{certificate.id}")
    log.info("certificate %s issued for attempt %s", certificate.id, attempt.id)
    return certificate


def repair_missing_certificates(*, user: User | None = None, dry_run: bool = False) -> list[Attempt]:
    """Issue the one certificate each passed attempt is owed but lacks (all learners, or one); return those attempts.

    submit_attempt issues the certificate in the pass's own transaction, so a crash leaves neither; this
    repairs rows written any other way (an older release, a hand edit, a restore). One query when nothing
    is missing. Each repair is its own transaction; a concurrent repair of the same attempt loses on the
    unique attempt_id and is skipped, so every passed attempt ends with exactly one certificate.
    """
    statement = (
        select(Attempt).outerjoin(Certificate, Certificate.attempt_id == Attempt.id)
        .where(Attempt.passed.is_(True), Attempt.submitted_at.is_not(None), Attempt.score_percent.is_not(None),
               Certificate.id.is_(None))
        .order_by(Attempt.id)
    )
    if user is not None:
        statement = statement.where(Attempt.user_id == user.id)
    missing = list(db.session.scalars(statement))
    if dry_run:
        return missing
    repaired = []
    for attempt in missing:
        enrolment = attempt.enrolment
        enrolment.passed_at = enrolment.passed_at or attempt.submitted_at
        try:
            issue_certificate(attempt)
            db.session.commit()
        except IntegrityError:  # issued meanwhile by another request or process
            db.session.rollback()
            continue
        log.warning("attempt %s had passed without a certificate: issued one", attempt.id)
        repaired.append(attempt)
    return repaired


def _unused_code() -> str:
    # 78 random bits make a collision vanishingly unlikely; the unique index is the final guard.
    while True:
        code = new_code()
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


# --- status ---------------------------------------------------------------------------------


class CertificateStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"


# The same window as the compliance rule: "expiring" is valid but ends within 30 days.
EXPIRY_WARNING_DAYS = 30


def certificate_status(certificate: Certificate, today: date) -> CertificateStatus:
    """Revoked beats everything; a certificate is valid up to and including its expiry date."""
    if certificate.revoked_at is not None:
        return CertificateStatus.REVOKED
    if today > certificate.expires_on:
        return CertificateStatus.EXPIRED
    if (certificate.expires_on - today).days <= EXPIRY_WARNING_DAYS:
        return CertificateStatus.EXPIRING
    return CertificateStatus.VALID


def is_refresher_due(certificate: Certificate, today: date) -> bool:
    """A refresher is offered when the certificate expires within 30 days or has expired."""
    return certificate_status(certificate, today) in (CertificateStatus.EXPIRING, CertificateStatus.EXPIRED)


@dataclass(frozen=True)
class UpdateNote:
    """A "what changed" update of a later version that the holder read, recorded against the certificate."""

    title: str
    version_number: int
    completed_at: datetime

    @property
    def headline(self) -> str:
        """The line "Updated for <title>", however the authors began the title."""
        return self.title if self.title.lower().startswith("updated for ") else f"Updated for {self.title}"


def _with_updates(condition: ColumnElement[bool]) -> list[tuple[Certificate, tuple[UpdateNote, ...]]]:
    """The certificates matching a condition, newest first, each with the updates read against it; one query."""
    rows = db.session.execute(
        select(Certificate, CourseVersion.what_changed_title, CourseVersion.number, CertificateUpdate.completed_at)
        .outerjoin(CertificateUpdate, CertificateUpdate.certificate_id == Certificate.id)
        .outerjoin(CourseVersion, CourseVersion.id == CertificateUpdate.version_id)
        .where(condition)
        .order_by(Certificate.completed_at.desc(), Certificate.id.desc(), CertificateUpdate.completed_at)
    )
    found: dict[int, tuple[Certificate, list[UpdateNote]]] = {}
    for certificate, title, number, completed_at in rows:
        _, notes = found.setdefault(certificate.id, (certificate, []))
        if completed_at is not None:
            notes.append(UpdateNote(title or f"version {number}", number, completed_at))
    return [(certificate, tuple(notes)) for certificate, notes in found.values()]


@dataclass(frozen=True)
class CertificateEntry:
    """A certificate with its status on a given day, for lists."""

    certificate: Certificate
    status: CertificateStatus
    updates: tuple[UpdateNote, ...] = ()


def list_my_certificates(actor: User) -> list[CertificateEntry]:
    """The actor's own certificates, newest first, old cycles included, with the updates read; one query."""
    today = london_today()
    return [CertificateEntry(certificate, certificate_status(certificate, today), notes)
            for certificate, notes in _with_updates(Certificate.user_id == actor.id)]


@dataclass(frozen=True)
class RefresherOffer:
    """A course whose newest certificate is about to expire or has expired."""

    course_id: int
    status: CertificateStatus
    expires_on: date


def list_refreshers_due(actor: User) -> dict[int, RefresherOffer]:
    """Refreshers to offer, by course id: the latest cycle is passed and its certificate ends soon; two queries."""
    latest: dict[int, Enrolment] = {}
    for enrolment in db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == actor.id).order_by(Enrolment.course_id, Enrolment.cycle.desc())
    ):
        latest.setdefault(enrolment.course_id, enrolment)
    return refreshers_due_for(list(latest.values()), actor=actor)


def refreshers_due_for(latest: list[Enrolment], *, actor: User,
                       held: list[Certificate] | None = None) -> dict[int, RefresherOffer]:
    """As list_refreshers_due, from the actor's latest cycle of each course, loaded already (My learning has
    them); one query at most, none when `held` (every certificate of the actor, read already) is given."""
    for enrolment in latest:
        require_own(enrolment, actor=actor, missing="There is no such enrolment.")
    passed = {e.id: e.course_id for e in latest if e.passed_at is not None}
    if not passed:
        return {}
    if held is None:
        held = list(db.session.scalars(select(Certificate).where(Certificate.enrolment_id.in_(passed))))
    newest: dict[int, Certificate] = {}
    for certificate in sorted(held, key=lambda c: (c.issued_at, c.id), reverse=True):
        if certificate.enrolment_id in passed and certificate.user_id == actor.id:
            newest.setdefault(certificate.enrolment_id, certificate)
    today = london_today()
    return {
        passed[enrolment_id]: RefresherOffer(passed[enrolment_id], certificate_status(c, today), c.expires_on)
        for enrolment_id, c in newest.items()
        if is_refresher_due(c, today)
    }


def start_refresher(course: Course, *, actor: User) -> Enrolment:
    """Start a new cycle on the newest version once the last pass's certificate ends within 30 days or has ended.

    Otherwise (not passed yet, certificate still good, refresher already started) return the
    current enrolment: a double click cannot make two cycles (unique user, course, cycle).
    A revoked certificate opened the next cycle when it was revoked (revoke_certificate).
    """
    current = learning.get_enrolment(course, actor=actor)
    newest = db.session.scalar(
        select(Certificate).where(Certificate.enrolment_id == current.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)
    )
    if current.passed_at is None or newest is None or not is_refresher_due(newest, london_today()):
        return current
    refresher = learning.open_next_cycle(course, actor=actor, after=current)
    log.info("user %s started refresher cycle %s on course %s", actor.id, refresher.cycle, course.id)
    return refresher


# --- access and download ------------------------------------------------------------------


def get_certificate(certificate_id: int, *, actor: User) -> Certificate:
    """A certificate whose learner the actor may see (elearn/access.py's VIEW: themselves, their manager, an admin),
    or NotFound (never 403: a 403 would confirm it exists)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user is None:
        raise NotFound(NO_CERTIFICATE)
    check_may_act_on(actor, certificate.user, MemberAction.VIEW, missing=NO_CERTIFICATE)
    return certificate


def download_certificate(certificate_id: int, *, actor: User) -> Download:
    """Render a certificate the actor may see; a download by anyone but the learner is audited."""
    certificate = get_certificate(certificate_id, actor=actor)
    content = render_certificate_pdf(certificate_document(certificate))
    ascii_name, name = certificate_filenames(certificate)
    download = Download(content, "application/pdf", name, ascii_name)
    if certificate.user_id == actor.id:
        return download
    return audited(download, "certificate.downloaded", actor=actor, subject=certificate.user,
                   target=f"certificate:{certificate.id}")


def verify_url(code: str) -> str:
    """The absolute public address of a certificate's verification page (the QR code's target).

    Built from PUBLIC_BASE_URL and the URL map, never from the request's Host header.
    """
    path = current_app.url_map.bind("localhost").build("certificates_public.verify_code", {"code": format_code(code)})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def status_note(certificate: Certificate) -> str | None:
    """The small note printed on a revoked or re-issued certificate."""
    if certificate.revoked_at is not None:
        return f"REVOKED on {uk_date(certificate.revoked_at)}: not valid"
    if certificate.reissued_at is not None:
        return f"Re-issued on {uk_date(certificate.reissued_at)} with a corrected name"
    return None


def certificate_document(certificate: Certificate) -> CertificateDocument:
    """What the PDF prints, taken only from the row's snapshots (so a later course change cannot alter it)."""
    return CertificateDocument(
        code=certificate.code,
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        course_version=certificate.course_version_number,
        cpd_hours=Decimal(certificate.cpd_hours),
        outcomes=tuple(certificate.outcomes or ()),
        score_percent=certificate.score_percent,
        completed_on=to_london(certificate.completed_at).date(),
        expires_on=certificate.expires_on,
        verify_url=verify_url(certificate.code),
        platform_name=current_app.config["PLATFORM_NAME"],
        status_note=status_note(certificate),
        aligned_to=tuple(certificate.aligned_to or ()),
        organisation_name=certificate.organisation_name,
        accredited_by=certificate.accredited_by,
    )


# --- public verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCertificate:
    """Only what the public verification page may show: no email, organisation or score."""

    code: str
    status: CertificateStatus
    learner_name: str
    course_title: str
    course_version: int
    cpd_hours: Decimal
    completed_at: datetime
    expires_on: date
    reissued_at: datetime | None
    revoked_at: datetime | None
    aligned_to: tuple[str, ...] = ()
    updates: tuple[UpdateNote, ...] = ()
    accredited_by: str | None = None


# A value normalise_code can never return ("0" is not in the alphabet): a malformed code still
# runs the same single indexed query, so timing does not tell malformed from unknown.
_NEVER_A_CODE = "0" * 16


def verify_certificate(raw_code: str) -> PublicCertificate | None:
    """Look a typed code up (any case, dashes and spaces ignored); None when unknown or malformed. One query."""
    code = normalise_code(raw_code) or _NEVER_A_CODE
    found = _with_updates(Certificate.code == code)
    if not found:
        return None
    certificate, updates = found[0]
    return PublicCertificate(
        code=format_code(certificate.code),
        status=certificate_status(certificate, london_today()),
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        course_version=certificate.course_version_number,
        cpd_hours=Decimal(certificate.cpd_hours),
        completed_at=certificate.completed_at,
        expires_on=certificate.expires_on,
        reissued_at=certificate.reissued_at,
        revoked_at=certificate.revoked_at,
        aligned_to=tuple(certificate.aligned_to or ()),
        updates=updates,
        accredited_by=certificate.accredited_by,
    )


# --- administration ---------------------------------------------------------------------------

def get_certificate_to_revoke(certificate_id: int, *, actor: User) -> Certificate:
    """Any certificate, for an admin (403 for anyone else): a certificate outlives its learner's account, and so
    does the duty to withdraw it, even once the account is deleted."""
    require_admin(actor)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(NO_CERTIFICATE)
    return certificate


def revoke_certificate(certificate_id: int, reason: str, *, actor: User) -> Certificate:
    """Withdraw a certificate (admins only) with a stated reason; verification then says revoked; audited."""
    certificate = get_certificate_to_revoke(certificate_id, actor=actor)
    # One line, as the audit log and the admin list show it.
    reason = clean_text(reason, field="reason", max_length=REVOKE_REASON_MAX,
                        required="Give the reason for revoking this certificate.")
    if certificate.revoked_at is not None:
        raise Conflict("This certificate has already been revoked.")
    certificate.revoked_at = now_utc()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id
    # The learner must train again: their course opens a new cycle, and their page and their manager's agree.
    enrolment = db.session.get(Enrolment, certificate.enrolment_id)
    if enrolment is not None and certificate.user is not None and certificate.user.anonymised_at is None:
        learning.add_cycle_after_revocation(enrolment)
    record_event("certificate.revoked", actor=actor, subject=certificate.user, target=f"certificate:{certificate.id}",
                 reason=reason)
    db.session.commit()
    log.warning("certificate %s revoked by user %s", certificate.id, actor.id)
    return certificate


ADMIN_PAGE_SIZE = 50


def list_certificates(query: str, *, actor: User) -> list[CertificateEntry]:
    """Admin search: an exact code (any format) or part of a learner's name; newest first, one page."""
    require_admin(actor)
    statement = (select(Certificate).options(joinedload(Certificate.user))  # the page asks whether the account is deleted
                 .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(ADMIN_PAGE_SIZE))
    query = " ".join((query or "").split())[:PERSON_NAME_MAX]
    if query:
        code = normalise_code(query)
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches_name = Certificate.learner_name.ilike(pattern, escape="\\")
        statement = statement.where(or_(Certificate.code == code, matches_name) if code else matches_name)
    today = london_today()
    return [CertificateEntry(c, certificate_status(c, today)) for c in db.session.scalars(statement)]
