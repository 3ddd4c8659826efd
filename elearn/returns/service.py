"""The DSL's review and sign-off of the audit's training section, and the signed returns kept as snapshots.

Who: the setting's designated safeguarding lead (a current member holding Duty.DSL there) or its manager signs;
they, the setting's trust lead and an admin read (elearn/access.oversight_of gives PEOPLE). Anyone else: 404.

The snapshot (schema 1, the contract elearn/partnerships reads) is the whole return as canonical JSON: sorted keys,
no whitespace, UTF-8 (`canonical`), with its SHA-256. Everything shown or exported about a signed return is read
from the snapshot, never recomputed: the same bytes, whatever changed afterwards. Each measure also keeps the
descriptor it was rated against (green_from, amber_from, set_by), so a rating can be explained later.

Signing is idempotent by content: the confirm page carries the digest of the draft the signer reviewed; if the
figures changed since, nothing is signed (review again); if the latest version already holds exactly that draft
(a double click, a resubmitted form), it is returned instead of a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from elearn.access import Oversight, duty_settings, is_own_manager_of, is_trust_lead, oversight_of, trust_setting_ids
from elearn.audit import record_event
from elearn.clock import london_today
from elearn.db import now_utc
from elearn.errors import Conflict, NotFound
from elearn.extensions import db
from elearn.models import AuditReturn, Duty, Organisation, OrganisationKind, User
from elearn.returns.measures import MEASURE_KEYS, AcademicYear, Section, compute_sections
from elearn.returns.ratings import Threshold, rate, thresholds_for_each
from elearn.text_rules import clean_text

SCHEMA_VERSION = 1
COMMENT_MAX = 2000
NOT_FOUND_RETURN = "There is no such return among yours."
CHANGED_SINCE_REVIEW = ("The figures changed after you reviewed them (new training was recorded, or someone joined "
                        "or left). Nothing was signed: review the return again.")
FIRST_YEAR = 2000


def canonical(obj: Any) -> bytes:
    """The one serialisation of a snapshot: sorted keys, no whitespace, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dsl_setting_ids(actor: User) -> set[int]:
    """The settings where the actor holds the DSL duty and still works (home or current placement):
    access.duty_settings, the rule My learning's link to the audit follows too; one query."""
    if not actor.is_active_account:
        return set()
    return set(db.session.scalars(duty_settings(actor, Duty.DSL)))


def may_sign(actor: User, setting: Organisation, *, dsl_of: Collection[int] | None = None) -> bool:
    """The setting's DSL or its own manager (an admin too, managing it); not its trust's lead, who reads it.
    `dsl_of`: dsl_setting_ids(actor), when it has been read already."""
    if is_own_manager_of(actor, setting.id):
        return True
    return setting.id in (dsl_setting_ids(actor) if dsl_of is None else dsl_of)


def may_read(actor: User, setting: Organisation, *, dsl_of: Collection[int] | None = None) -> bool:
    return may_sign(actor, setting, dsl_of=dsl_of) or oversight_of(actor, setting) == Oversight.PEOPLE


def get_return_setting(setting_id: int, *, actor: User) -> Organisation:
    """The setting whose returns the actor may read (its DSL, managers, trust lead, an admin), else 404."""
    setting = db.session.get(Organisation, setting_id)
    if setting is None or setting.kind != OrganisationKind.SETTING or not may_read(actor, setting):
        raise NotFound(NOT_FOUND_RETURN)
    return setting


def get_managed_organisation(org_id: int, *, actor: User) -> Organisation:
    """An organisation (setting, trust or partnership) the actor manages, or an admin's choice; else 404."""
    organisation = db.session.get(Organisation, org_id)
    if organisation is None or not is_own_manager_of(actor, organisation.id):
        raise NotFound("There is no such organisation among yours.")
    return organisation


def check_year(year: int) -> AcademicYear:
    """An academic year from 2000/01 to the current one (a return for a year not started yet is a 404)."""
    if not FIRST_YEAR <= year <= AcademicYear.containing(london_today()).starts:
        raise NotFound(NOT_FOUND_RETURN)
    return AcademicYear(year)


def settings_for(actor: User) -> list[Organisation]:
    """The settings whose returns the actor works on: where they are the DSL or a manager, and a trust lead's
    settings (admins choose from the admin pages)."""
    dsl_of = dsl_setting_ids(actor)
    ids = set(dsl_of)
    if actor.organisation_id is not None:
        ids.add(actor.organisation_id)
        ids.update(db.session.scalars(trust_setting_ids(actor.organisation_id)))
    settings = db.session.scalars(select(Organisation).where(Organisation.id.in_(ids),
                                                             Organisation.kind == OrganisationKind.SETTING)
                                  .order_by(Organisation.name, Organisation.id))
    return [s for s in settings if may_read(actor, s, dsl_of=dsl_of)]  # no query per setting


# --- the draft: computed now ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """The return as it would be signed now: the computed section and its snapshot without a signature."""

    section: Section
    body: dict[str, Any]  # the snapshot minus signed_by, signed_at and version

    @property
    def digest(self) -> str:
        """What the signer reviewed: the hash of the draft's canonical bytes (comments included)."""
        return sha256(canonical(self.body))


def _setting_facts(setting: Organisation, trusts: dict[int, Organisation | None]) -> dict[str, Any]:
    trust = trusts.get(setting.trust_id) if setting.trust_id is not None else None
    return {"id": setting.id, "name": setting.name, "phase": str(setting.phase) if setting.phase else None,
            "trust": trust.name if trust is not None else None, "section": "157" if setting.is_independent else "175"}


def clean_comments(comments: dict[str, str]) -> dict[str, str]:
    """Each measure's comment by the project's one text rule (elearn/text_rules.clean_text), on several lines."""
    return {key: clean_text(comments.get(key) or "", field=f"comment_{key}", max_length=COMMENT_MAX, required=None,
                            multiline=True) for key in MEASURE_KEYS}


def draft_return(setting: Organisation, year: AcademicYear, comments: dict[str, str] | None = None, *,
                 today: date | None = None) -> Draft:
    """The return computed now, rated by the setting's descriptors, with the DSL's comments: draft_returns with
    that setting alone."""
    return draft_returns([setting], year, {setting.id: comments or {}}, today=today)[setting.id]


def draft_returns(settings: Sequence[Organisation], year: AcademicYear,
                  comments: dict[int, dict[str, str]] | None = None, *, today: date | None = None) -> dict[int, Draft]:
    """Each setting's return (by id, in the order given) computed now, rated by its descriptors, with comments by
    setting id: computed together (measures.compute_sections, ratings.thresholds_for_each), so that many settings
    cost the statements of one."""
    if not settings:
        return {}  # every school signed: the trust's view reads only their snapshots
    notes = {s.id: clean_comments((comments or {}).get(s.id) or {}) for s in settings}
    sections = compute_sections(settings, year, today=today)
    thresholds = thresholds_for_each(settings)
    # Each trust read once (usually found in the session) and held while the drafts are made.
    trusts = {trust_id: db.session.get(Organisation, trust_id)
              for trust_id in {s.trust_id for s in settings if s.trust_id is not None}}
    return {s.id: _draft(s, year, sections[s.id], thresholds[s.id], notes[s.id], trusts) for s in settings}


def _draft(setting: Organisation, year: AcademicYear, section: Section, thresholds: dict[str, Threshold],
           notes: dict[str, str], trusts: dict[int, Organisation | None]) -> Draft:
    measures = []
    for measure in section.measures:
        threshold = thresholds[measure.key]
        measures.append({
            "key": measure.key, "label": measure.label, "numerator": measure.numerator,
            "denominator": measure.denominator, "comment": notes[measure.key],
            "rating": rate(measure.numerator, measure.denominator, threshold),
            "descriptor": {"green_from": threshold.green_from, "amber_from": threshold.amber_from,
                           "set_by": threshold.set_by},
        })
    people = {m.key: [{"name": line.name, "met": line.met, "evidence": line.evidence} for line in m.people]
              for m in section.measures}
    body = {"schema": SCHEMA_VERSION, "setting": _setting_facts(setting, trusts), "academic_year": year.label,
            "as_at": section.as_at.isoformat(), "measures": measures, "people": people}
    return Draft(section, body)


# --- signing --------------------------------------------------------------------------------------------------


def list_returns(setting: Organisation, year: int | None = None) -> list[AuditReturn]:
    """The setting's signed returns, newest year and version first."""
    query = select(AuditReturn).where(AuditReturn.organisation_id == setting.id)
    if year is not None:
        query = query.where(AuditReturn.academic_year == year)
    return list(db.session.scalars(query.order_by(AuditReturn.academic_year.desc(), AuditReturn.version.desc())))


def get_signed(setting: Organisation, year: int, version: int) -> AuditReturn:
    signed = db.session.scalar(select(AuditReturn).where(AuditReturn.organisation_id == setting.id,
                                                         AuditReturn.academic_year == year,
                                                         AuditReturn.version == version))
    if signed is None:
        raise NotFound(NOT_FOUND_RETURN)
    return signed


def _draft_of(signed: AuditReturn) -> str:
    """The digest of the draft a signed snapshot was made from (the snapshot minus its signature)."""
    body = json.loads(signed.snapshot)
    for key in ("signed_by", "signed_at", "version"):
        body.pop(key, None)
    return sha256(canonical(body))


def already_signed(setting: Organisation, year: AcademicYear, reviewed_digest: str) -> AuditReturn | None:
    """The latest signed version for the year if it holds exactly the draft with this digest (nothing changed)."""
    latest = db.session.scalar(select(AuditReturn).where(AuditReturn.organisation_id == setting.id,
                                                         AuditReturn.academic_year == year.starts)
                               .order_by(AuditReturn.version.desc()).limit(1))
    return latest if latest is not None and _draft_of(latest) == reviewed_digest else None


def sign_return(setting: Organisation, year: AcademicYear, comments: dict[str, str], reviewed_digest: str, *,
                actor: User, today: date | None = None) -> AuditReturn:
    """Sign the return the actor reviewed as a new version; the same draft signed twice is one version."""
    if not may_sign(actor, setting):
        raise NotFound(NOT_FOUND_RETURN)
    draft = draft_return(setting, year, comments, today=today)
    existing = already_signed(setting, year, reviewed_digest)
    if existing is not None:
        return existing  # already signed: a double click, a resubmitted page, or nothing changed since
    if draft.digest != reviewed_digest:
        raise Conflict(CHANGED_SINCE_REVIEW)
    version = (db.session.scalar(select(func.max(AuditReturn.version)).where(
        AuditReturn.organisation_id == setting.id, AuditReturn.academic_year == year.starts)) or 0) + 1
    signed_at = now_utc().replace(microsecond=0)
    snapshot = {**draft.body, "signed_by": actor.display_name, "signed_at": signed_at.isoformat(), "version": version}
    data = canonical(snapshot)
    signed = AuditReturn(organisation_id=setting.id, academic_year=year.starts, version=version,
                         snapshot=data.decode("utf-8"), snapshot_sha256=sha256(data), signed_by_id=actor.id,
                         signed_by_name=actor.display_name, signed_at=signed_at)
    db.session.add(signed)
    record_event("return.signed", actor=actor, organisation_id=setting.id,
                 target=f"audit_return:{year.starts}:{version}", sha256=signed.snapshot_sha256)
    try:
        db.session.commit()
    except IntegrityError:  # the same version signed at the same moment in another request: theirs stands
        db.session.rollback()
        theirs = get_signed(setting, year.starts, version)
        if _draft_of(theirs) != reviewed_digest:  # they signed other comments: this signer's text was not signed
            raise Conflict(CHANGED_SINCE_REVIEW) from None
        return theirs
    return signed


def snapshot_of(signed: AuditReturn) -> dict[str, Any]:
    """The signed return as it was signed (the stored bytes, parsed): the only source for showing or exporting it."""
    parsed: dict[str, Any] = json.loads(signed.snapshot)
    return parsed


def verify(signed: AuditReturn) -> bool:
    """The stored snapshot still has the hash recorded when it was signed."""
    return sha256(signed.snapshot.encode("utf-8")) == signed.snapshot_sha256


# --- the trust's view -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustSetting:
    """One of the trust's settings for a year: its latest signed return, else a draft computed now."""

    setting: Organisation
    snapshot: dict[str, Any]
    signed: AuditReturn | None


def get_led_trust(*, actor: User) -> Organisation:
    """The trust the actor leads (a manager whose organisation is a trust), else 404."""
    if not is_trust_lead(actor) or actor.organisation is None:
        raise NotFound("Only a trust's safeguarding lead sees its schools side by side.")
    return actor.organisation


def trust_returns(trust: Organisation, year: AcademicYear, *, today: date | None = None) -> list[TrustSetting]:
    """The trust's settings side by side for the year: each one's latest signed return for it (its snapshot only),
    else its draft, the drafts computed together."""
    settings = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(trust_setting_ids(trust.id)))
                                       .order_by(Organisation.name, Organisation.id)))
    latest: dict[int, AuditReturn] = {}
    for row in db.session.scalars(select(AuditReturn).where(
            AuditReturn.organisation_id.in_([s.id for s in settings]), AuditReturn.academic_year == year.starts)
            .order_by(AuditReturn.version)):
        latest[row.organisation_id] = row  # the highest version wins
    # The unsigned ones computed together: a trust of 50 schools costs the statements of one (bench/returns).
    drafts = draft_returns([s for s in settings if s.id not in latest], year, today=today)
    return [TrustSetting(s, snapshot_of(latest[s.id]) if s.id in latest else drafts[s.id].body, latest.get(s.id))
            for s in settings]
