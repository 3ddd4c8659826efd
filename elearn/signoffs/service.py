"""Read and understood: a document an organisation publishes for staff to confirm they have read, version by version.

A document is KCSIE Part one (the edition in force, as a link to GOV.UK) or the organisation's own policy (an
uploaded PDF or a link), published with a version label. It is assigned like a course (everyone, a group, or
people, with a due date). A confirmation belongs to one version: publishing a new version asks everyone again,
and the older confirmations stay on record. Confirming is idempotent: a second click changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from elearn.access import (
    MemberAction,
    get_members,
    get_owned,
    is_manager_of,
    is_member_of,
    members_of,
    settings_worked_at,
)
from elearn.audit import record_event
from elearn.clock import london_today, to_london
from elearn.db import now_utc
from elearn.downloads import Download, audited, csv_bytes, slug
from elearn.errors import Conflict, InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import (
    Group,
    GroupMembership,
    Organisation,
    SignoffAssignment,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
    User,
)
from elearn.models.signoffs import URL_MAX, VERSION_LABEL_MAX
from elearn.network import service as network
from elearn.people.service import check_due_on
from elearn.text_rules import TRAINING_TITLE_MAX, clean_text
from elearn.uploads import Upload

log = logging.getLogger(__name__)

# GOV.UK's page for the statutory guidance always holds the edition in force (Part one is a separate download
# there). The edition's label is the one a manager would write on their record; update it each September.
KCSIE_TITLE = "Keeping children safe in education: Part one"
KCSIE_URL = "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2"
KCSIE_EDITION = "September 2025"
MISSING = "There is no document with this address in your organisation."


@dataclass(frozen=True)
class DocumentInput:
    """A document (or a new version of one) as typed into the form."""

    label: str
    url: str = ""
    pdf: Upload | None = None


# --- readers ---------------------------------------------------------------------------------------


def get_document(org: Organisation, document_id: int) -> SignoffDocument:
    """A document of this organisation, or NotFound (another organisation's id included)."""
    return get_owned(SignoffDocument, document_id, organisation=org, missing=MISSING)


def current_versions(document_ids: Sequence[int]) -> dict[int, SignoffVersion]:
    """The version in force (the newest) of each document; one query."""
    if not document_ids:
        return {}
    newest = (select(func.max(SignoffVersion.id)).where(SignoffVersion.document_id.in_(document_ids))
              .group_by(SignoffVersion.document_id))
    return {v.document_id: v for v in db.session.scalars(select(SignoffVersion).where(SignoffVersion.id.in_(newest)))}


def current_version(document: SignoffDocument) -> SignoffVersion:
    return current_versions([document.id])[document.id]


def list_versions(document: SignoffDocument) -> list[SignoffVersion]:
    """Every version, newest first."""
    return list(db.session.scalars(select(SignoffVersion).where(SignoffVersion.document_id == document.id)
                                   .order_by(SignoffVersion.id.desc())))


@dataclass(frozen=True)
class DocumentLine:
    """A document in the managers' list: its version in force and how many of those asked have confirmed it."""

    document: SignoffDocument
    version: SignoffVersion
    assigned: int
    confirmed: int


def list_documents(org: Organisation) -> list[DocumentLine]:
    """The organisation's documents with their counts for the version in force; four queries at any size."""
    documents = list(db.session.scalars(select(SignoffDocument).where(SignoffDocument.organisation_id == org.id)
                                        .order_by(SignoffDocument.title, SignoffDocument.id)))
    ids = [d.id for d in documents]
    versions = current_versions(ids)
    active = select(User.id).where(members_of(org.id), User.is_active_account.is_(True))
    assigned = dict(db.session.execute(  # type: ignore[arg-type]
        select(SignoffAssignment.document_id, func.count()).where(
            SignoffAssignment.document_id.in_(ids), SignoffAssignment.user_id.in_(active))
        .group_by(SignoffAssignment.document_id)).all()) if ids else {}
    confirmed = dict(db.session.execute(  # type: ignore[arg-type]
        select(SignoffAssignment.document_id, func.count())
        .join(SignoffConfirmation, SignoffConfirmation.user_id == SignoffAssignment.user_id)
        .where(SignoffAssignment.document_id.in_(ids), SignoffAssignment.user_id.in_(active),
               SignoffConfirmation.version_id.in_([v.id for v in versions.values()]),
               SignoffConfirmation.version_id.in_(select(SignoffVersion.id).where(
                   SignoffVersion.document_id == SignoffAssignment.document_id)))
        .group_by(SignoffAssignment.document_id)).all()) if ids else {}
    return [DocumentLine(d, versions[d.id], assigned.get(d.id, 0), confirmed.get(d.id, 0)) for d in documents]


@dataclass(frozen=True)
class ReportRow:
    """One person asked to read the document: their due date, and when they confirmed the version in force
    (None: not yet) and, if not, the last version they did confirm."""

    user_id: int
    name: str
    email: str
    due_on: date
    confirmed_at: datetime | None
    earlier_label: str | None

    def is_overdue(self, today: date) -> bool:
        return self.confirmed_at is None and self.due_on < today


@dataclass(frozen=True)
class DocumentReport:
    document: SignoffDocument
    version: SignoffVersion
    rows: list[ReportRow]  # not yet confirmed first, then by name

    @property
    def confirmed(self) -> int:
        return sum(1 for row in self.rows if row.confirmed_at is not None)


def document_report(org: Organisation, document_id: int) -> DocumentReport:
    """Who has and who has not confirmed the version in force, among the active people asked; four queries."""
    document = get_document(org, document_id)
    version = current_version(document)
    people = db.session.execute(
        select(User.id, User.display_name, User.email, SignoffAssignment.due_on)
        .join(SignoffAssignment, SignoffAssignment.user_id == User.id)
        .where(SignoffAssignment.document_id == document.id, members_of(org.id),
               User.is_active_account.is_(True))
        .order_by(func.lower(User.display_name), User.id)).all()
    latest: dict[int, tuple[int, datetime, str]] = {}
    for user_id, version_id, confirmed_at, label in db.session.execute(
            select(SignoffConfirmation.user_id, SignoffConfirmation.version_id, SignoffConfirmation.confirmed_at,
                   SignoffVersion.label)
            .join(SignoffVersion, SignoffVersion.id == SignoffConfirmation.version_id)
            .where(SignoffVersion.document_id == document.id,
                   SignoffConfirmation.user_id.in_([p[0] for p in people]))):
        if user_id not in latest or version_id > latest[user_id][0]:
            latest[user_id] = (version_id, confirmed_at, label)
    rows = []
    for user_id, name, email, due_on in people:
        seen = latest.get(user_id)
        current = seen is not None and seen[0] == version.id
        rows.append(ReportRow(user_id, name, email, due_on, seen[1] if seen and current else None,
                              seen[2] if seen and not current else None))
    rows.sort(key=lambda r: r.confirmed_at is not None)  # stable: by name within each part
    return DocumentReport(document, version, rows)


def export_report_csv(org: Organisation, document_id: int, *, actor: User) -> Download:
    """The report as CSV (formula-safe), recorded as a download of personal data."""
    report = document_report(org, document_id)
    header = ["Name", "Email", "Document", "Version", "Due", "Read and understood on", "Last version confirmed"]
    lines = [[r.name, r.email, report.document.title, report.version.label, r.due_on,
              to_london(r.confirmed_at).date() if r.confirmed_at else "", r.earlier_label or ""] for r in report.rows]
    name = f"read-and-understood-{slug(report.document.title) or 'document'}-{london_today().isoformat()}.csv"
    return audited(Download(csv_bytes([header, *lines]), "text/csv", name), "signoff.report_exported",
                   actor=actor, organisation_id=org.id, target=f"signoff_document:{report.document.id}")


@dataclass(frozen=True)
class MySignoff:
    """A document the person is asked to read: its version in force, the due date, and their confirmation."""

    document: SignoffDocument
    version: SignoffVersion
    due_on: date
    confirmed_at: datetime | None


def _my_signoffs() -> Select[SignoffDocument, date, SignoffVersion, datetime]:
    # The settings the person works at (access.settings_worked_at: home and current placements), with the person
    # and today bound per run: the statement is built once per process.
    worked_at = settings_worked_at(bindparam("user_id"), bindparam("organisation_id"), bindparam("today"))
    in_force = (select(func.max(SignoffVersion.id)).where(SignoffVersion.document_id == SignoffDocument.id)
                .correlate(SignoffDocument).scalar_subquery())
    return (
        select(SignoffDocument, SignoffAssignment.due_on, SignoffVersion, SignoffConfirmation.confirmed_at)
        .join(SignoffAssignment, SignoffAssignment.document_id == SignoffDocument.id)
        .join(SignoffVersion, SignoffVersion.id == in_force)
        .outerjoin(SignoffConfirmation, (SignoffConfirmation.version_id == SignoffVersion.id)
                   & (SignoffConfirmation.user_id == bindparam("user_id")))
        .where(SignoffAssignment.user_id == bindparam("user_id"),
               SignoffDocument.organisation_id.in_(worked_at))
        .order_by(SignoffAssignment.due_on, SignoffDocument.title))


_MY_SIGNOFFS = _my_signoffs()  # built once: My learning runs it on every view


def list_my_signoffs(actor: User) -> list[MySignoff]:
    """The documents the person is asked to read at the settings they work at (home or placement), not yet
    confirmed first; one query (each document with its version in force and the person's confirmation of that
    version, if any)."""
    rows = db.session.execute(_MY_SIGNOFFS, {"user_id": actor.id, "organisation_id": actor.organisation_id,
                                             "today": london_today()}).all()
    mine = [MySignoff(document, version, due_on, confirmed_at) for document, due_on, version, confirmed_at in rows]
    return sorted(mine, key=lambda s: s.confirmed_at is not None)


# --- publishing ------------------------------------------------------------------------------------


def _clean_url(raw: str) -> str:
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > URL_MAX or any(
            ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidInput("url", "Enter the document's web address, starting https://.")
    return url


def _new_version(kind: SignoffKind, data: DocumentInput, *, actor: User) -> SignoffVersion:
    """Check and build a version (not added, no document yet); a KCSIE document is always the GOV.UK link."""
    label = clean_text(data.label, field="label", max_length=VERSION_LABEL_MAX,
                       required="Enter the version, for example the edition's date.")
    url: str | None = None
    if kind == SignoffKind.KCSIE:
        url = KCSIE_URL
    elif data.pdf is not None and data.url.strip():
        raise InvalidInput("url", "Give either a web address or a PDF, not both.")
    elif data.pdf is not None:
        if data.pdf.mimetype != "application/pdf":
            raise InvalidInput("pdf", "The document must be a PDF.")
    else:
        if not data.url.strip():
            raise InvalidInput("url", "Upload the policy as a PDF, or enter its web address.")
        url = _clean_url(data.url)
    pdf = data.pdf if kind == SignoffKind.POLICY else None
    return SignoffVersion(label=label, url=url, pdf_filename=pdf.filename if pdf else None,
                          pdf_size=pdf.size if pdf else None, pdf_data=pdf.data if pdf else None,
                          published_by_id=actor.id)


def publish_document(org: Organisation, kind: SignoffKind, title: str, data: DocumentInput, *,
                     actor: User) -> SignoffDocument:
    """Publish a new document for staff to sign off, with its first version; assign it next. The people whose role
    here requires reading a document of its kind (elearn/network requirements) are asked at once."""
    title = KCSIE_TITLE if kind == SignoffKind.KCSIE else clean_text(
        title, field="title", max_length=TRAINING_TITLE_MAX, required="Enter the document's title.")
    version = _new_version(kind, data, actor=actor)
    document = SignoffDocument(organisation_id=org.id, kind=kind, title=title, created_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    version.document_id = document.id
    db.session.add(version)
    db.session.flush()
    record_event("signoff.published", actor=actor, organisation_id=org.id, target=f"signoff_document:{document.id}",
                 version_id=version.id, label=version.label, kind=kind.value)
    network.apply_requirements(org)
    db.session.commit()
    log.info("sign-off document %s published by user %s", document.id, actor.id)
    return document


def publish_version(org: Organisation, document_id: int, data: DocumentInput, *, actor: User) -> SignoffVersion:
    """Publish a new version: everyone asked to read the document is asked again (earlier confirmations stay)."""
    document = get_document(org, document_id)
    version = _new_version(document.kind, data, actor=actor)
    version.document_id = document.id
    if version.label.casefold() == current_version(document).label.casefold():
        raise InvalidInput("label", "Give the new version a different label from the one in force.")
    db.session.add(version)
    db.session.flush()
    record_event("signoff.version_published", actor=actor, organisation_id=org.id,
                 target=f"signoff_document:{document.id}", version_id=version.id, label=version.label)
    db.session.commit()
    log.info("sign-off document %s: version %s published by user %s", document.id, version.id, actor.id)
    return version


@dataclass(frozen=True)
class AssignResult:
    created: int
    already: int


def assign_document(org: Organisation, document_id: int, due_on: date | None, *, actor: User,
                    audience: str = "everyone", group_id: int | None = None,
                    user_ids: Sequence[int] = ()) -> AssignResult:
    """Ask people to read a document by a due date: every active member ("everyone"), a group's active members
    ("group") or the people given ("people"). Those already asked keep their due date."""
    document = get_document(org, document_id)
    due = check_due_on(due_on)
    if audience == "group" and group_id is None:
        raise InvalidInput("group_id", "Choose a group.")
    if audience == "people" and not user_ids:
        raise InvalidInput("user_ids", "Tick the people to ask.")
    if audience not in ("everyone", "group", "people"):
        raise InvalidInput("audience", "Choose whom to ask.")
    members = select(User.id).where(members_of(org.id), User.is_active_account.is_(True))
    if audience == "people":
        members = members.where(User.id.in_([m.id for m in get_members(
            list(user_ids), MemberAction.MANAGE, actor=actor, organisation=org)]))
        target = "people"
    elif audience == "group" and group_id is not None:  # a group is required for "group" (checked above)
        group = get_owned(Group, group_id, organisation=org, missing="There is no such group in your organisation.")
        members = members.where(User.id.in_(select(GroupMembership.user_id).where(GroupMembership.group_id == group.id)))
        target = f"group:{group.id}"
    else:
        target = f"organisation:{org.id}"
    wanted = set(db.session.scalars(members))
    have = set(db.session.scalars(select(SignoffAssignment.user_id).where(
        SignoffAssignment.document_id == document.id, SignoffAssignment.user_id.in_(members))))
    new = sorted(wanted - have)
    if new:
        now = now_utc()
        db.session.execute(insert(SignoffAssignment), [
            {"document_id": document.id, "user_id": uid, "due_on": due, "assigned_by_id": actor.id,
             "assigned_at": now} for uid in new])
    record_event("signoff.assigned", actor=actor, organisation_id=org.id, target=f"signoff_document:{document.id}",
                 audience=target, due_on=due.isoformat(), created=len(new), already=len(wanted & have))
    try:
        db.session.commit()
    except IntegrityError:  # another manager asked the same people at the same moment
        db.session.rollback()
        raise Conflict("Someone else assigned this document at the same moment. Check the report and try again.") from None
    return AssignResult(len(new), len(wanted & have))


# --- the learner's side ----------------------------------------------------------------------------


def _my_assignment(document_id: int, actor: User) -> SignoffDocument:
    """A document the actor is asked to read, or NotFound (never confirm that another organisation's exists)."""
    document = db.session.get(SignoffDocument, document_id)
    if document is None or not is_member_of(actor, document.organisation_id) or db.session.scalar(
            select(SignoffAssignment.id).where(SignoffAssignment.document_id == document_id,
                                               SignoffAssignment.user_id == actor.id)) is None:
        raise NotFound("There is no document with this address for you to read.")
    return document


def confirm_read(document_id: int, version_id: int, *, actor: User) -> SignoffConfirmation:
    """ "I have read and understood" the version in force: dated and audited once; a repeat changes nothing."""
    document = _my_assignment(document_id, actor)
    version = current_version(document)
    if version_id != version.id:
        raise Conflict("A newer version of this document has been published. Read it, then confirm.")
    existing = db.session.scalar(select(SignoffConfirmation).where(
        SignoffConfirmation.version_id == version.id, SignoffConfirmation.user_id == actor.id))
    if existing is not None:
        return existing
    confirmation = SignoffConfirmation(version_id=version.id, user_id=actor.id)
    db.session.add(confirmation)
    db.session.flush()
    record_event("signoff.confirmed", actor=actor, subject=actor, organisation_id=document.organisation_id,
                 target=f"signoff_document:{document.id}", version_id=version.id, label=version.label)
    try:
        db.session.commit()
    except IntegrityError:  # the same person's second click, at the same moment: the first one counts
        db.session.rollback()
        found = db.session.scalar(select(SignoffConfirmation).where(
            SignoffConfirmation.version_id == version.id, SignoffConfirmation.user_id == actor.id))
        if found is None:
            raise
        return found
    log.info("sign-off document %s version %s confirmed by user %s", document.id, version.id, actor.id)
    return confirmation


def download_pdf(document_id: int, version_id: int, *, actor: User) -> Download:
    """A version's PDF: for the people asked to read it, and the organisation's managers and admins."""
    document = db.session.get(SignoffDocument, document_id)
    if document is None or not is_manager_of(actor, document.organisation_id):
        document = _my_assignment(document_id, actor)
    version = db.session.get(SignoffVersion, version_id)
    if version is None or version.document_id != document.id or version.pdf_data is None:
        raise NotFound("There is no such document.")
    ascii_name = f"{slug(document.title) or 'document'}-{slug(version.label) or version.id}.pdf"
    return Download(version.pdf_data, "application/pdf", version.pdf_filename or ascii_name, ascii_name)


def export_personal(user: User) -> list[dict[str, object]]:
    """The documents a person was asked to read and each version they confirmed, for their own data export."""
    asked = db.session.execute(
        select(SignoffDocument.id, SignoffDocument.title, SignoffAssignment.due_on)
        .join(SignoffAssignment, SignoffAssignment.document_id == SignoffDocument.id)
        .where(SignoffAssignment.user_id == user.id).order_by(SignoffDocument.id)).all()
    confirmed: dict[int, list[dict[str, str]]] = {}
    for document_id, label, at in db.session.execute(
            select(SignoffVersion.document_id, SignoffVersion.label, SignoffConfirmation.confirmed_at)
            .join(SignoffVersion, SignoffVersion.id == SignoffConfirmation.version_id)
            .where(SignoffConfirmation.user_id == user.id).order_by(SignoffConfirmation.id)):
        confirmed.setdefault(document_id, []).append({"version": label, "confirmed_at": at.isoformat()})
    return [{"document": title, "due_on": due_on.isoformat(), "confirmed": confirmed.get(document_id, [])}
            for document_id, title, due_on in asked]
