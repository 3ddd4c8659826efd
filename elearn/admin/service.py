"""Platform administration: organisations and their retention rules, users, course publishing, the audit log.

Every function takes the acting admin and refuses anyone else (403), whatever the view did; what an admin may
do to an account (not change their own role, nothing to a deleted account) is elearn/access.py's rule.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from elearn.access import MemberAction, check_may_act_on, get_member, require_admin
from elearn.audit import record_event
from elearn.auth.service import set_account_active
from elearn.clock import LONDON, london_today
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import (
    AuditEvent,
    Course,
    CourseVersion,
    Group,
    GroupMembership,
    Organisation,
    OrganisationKind,
    Phase,
    Role,
    User,
)
from elearn.network import service as network
from elearn.text_rules import ORGANISATION_NAME_MAX, clean_text

log = logging.getLogger(__name__)

T = TypeVar("T")
PER_PAGE = 50
MAX_PAGE = 10_000
MIN_RETENTION_DAYS = 30
DEFAULT_AUDIT_RETENTION_DAYS = 730  # two years of security history


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest or first first; `has_next` without counting every row."""

    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _escape_like(text: str) -> str:
    """Text for a LIKE pattern: lower-cased, % and _ matching only themselves, no NUL (PostgreSQL refuses it)."""
    cleaned = text.replace("\x00", "").strip().lower()
    return cleaned.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    """A case-insensitive contains-pattern."""
    return f"%{_escape_like(text)}%"


def _page(statement: Select, number: int, per_page: int = PER_PAGE) -> Page[Any]:
    number = min(max(number, 1), MAX_PAGE)
    rows = list(db.session.execute(statement.limit(per_page + 1).offset((number - 1) * per_page)))
    items = [row[0] if len(row) == 1 else row for row in rows]  # an entity, or the row of several columns
    return Page(items=items[:per_page], number=number, has_next=len(items) > per_page)


# --- organisations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    member_count: int


def list_organisations(*, actor: User) -> list[OrganisationRow]:
    """Every organisation with its number of members, in one aggregate query."""
    require_admin(actor)
    rows = db.session.execute(
        select(Organisation, func.count(User.id))
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id).order_by(func.lower(Organisation.name), Organisation.id)
    ).all()
    return [OrganisationRow(org, count) for org, count in rows]


def list_organisation_choices(*, actor: User) -> list[tuple[int, str]]:
    require_admin(actor)
    return [(org_id, name) for org_id, name in db.session.execute(
        select(Organisation.id, Organisation.name).order_by(func.lower(Organisation.name), Organisation.id))]


def get_organisation(org_id: int, *, actor: User) -> Organisation:
    require_admin(actor)
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    return org


def _unique_slug(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower())
    base = base.strip("-")[:60] or "organisation"
    taken = set(db.session.scalars(select(Organisation.slug).where(Organisation.slug.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_rule(name: str, retention_months: int) -> str:
    """The organisation's name under the free-text rule (it heads reports and invitation emails); a valid retention."""
    name = clean_text(name, field="name", max_length=ORGANISATION_NAME_MAX, required="Enter the organisation's name.")
    if not 1 <= retention_months <= 240:
        raise InvalidInput("retention_months", "Enter a number of months from 1 to 240.")
    return name


@dataclass(frozen=True)
class Structure:
    """Where an organisation sits in the tier above the school: what it is, and for a setting its trust (the id of
    an organisation of kind trust, or None), its phase and whether it is independent (Section 157)."""

    kind: OrganisationKind = OrganisationKind.SETTING
    trust_id: int | None = None
    phase: Phase | None = None
    is_independent: bool = False


def list_trust_choices(*, actor: User) -> list[tuple[int, str]]:
    """The trusts a setting can belong to, by name."""
    require_admin(actor)
    return [(org_id, name) for org_id, name in db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.kind == OrganisationKind.TRUST)
        .order_by(func.lower(Organisation.name), Organisation.id))]


def _check_structure(structure: Structure, org: Organisation | None) -> Structure:
    """A setting may belong to a trust (an organisation of kind trust, not itself); a trust or a partnership belongs
    to none and has no phase; a trust that owns settings stays a trust until they are moved."""
    if structure.kind != OrganisationKind.SETTING:
        if structure.trust_id is not None:
            raise InvalidInput("trust_id", "Only a school or setting belongs to a trust. Choose “No trust”.")
        if org is not None and org.kind == OrganisationKind.TRUST and structure.kind != OrganisationKind.TRUST and (
                db.session.scalar(select(func.count()).where(Organisation.trust_id == org.id)) or 0):
            raise InvalidInput("kind", "This trust owns settings: move them to another trust first.")
        return Structure(structure.kind)
    if org is not None and org.kind == OrganisationKind.TRUST and (
            db.session.scalar(select(func.count()).where(Organisation.trust_id == org.id)) or 0):
        raise InvalidInput("kind", "This trust owns settings: move them to another trust first.")
    if structure.trust_id is not None:
        trust = db.session.get(Organisation, structure.trust_id)
        if trust is None or trust.kind != OrganisationKind.TRUST or (org is not None and trust.id == org.id):
            raise InvalidInput("trust_id", "Choose one of the trusts listed.")
    return structure


def _structure_values(org: Organisation) -> dict[str, Any]:
    return {"kind": org.kind, "trust_id": org.trust_id, "phase": org.phase, "is_independent": org.is_independent}


def create_organisation(name: str, retention_months: int, keep_certificate_names: bool, *, actor: User,
                        structure: Structure | None = None) -> Organisation:
    """Create an organisation (a setting unless the structure says a trust or a partnership) with its
    personal-data retention rule."""
    require_admin(actor)
    name = _check_rule(name, retention_months)
    structure = _check_structure(structure or Structure(), None)
    org = Organisation(name=name, slug=_unique_slug(name), retention_months=retention_months,
                       keep_certificate_names=keep_certificate_names, kind=structure.kind,
                       trust_id=structure.trust_id, phase=structure.phase, is_independent=structure.is_independent)
    db.session.add(org)
    db.session.flush()
    record_event("organisation.created", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 retention_months=retention_months, keep_certificate_names=keep_certificate_names,
                 **_structure_values(org))
    db.session.commit()
    log.info("organisation %s created by user %s", org.id, actor.id)
    return org


def update_organisation(org: Organisation, name: str, retention_months: int, keep_certificate_names: bool, *,
                        actor: User, structure: Structure | None = None) -> Organisation:
    """Rename an organisation, change its retention rule or (given a structure) its kind, trust, phase and
    independence; the old and new values are audited."""
    require_admin(actor)
    name = _check_rule(name, retention_months)
    structure = _check_structure(structure, org) if structure is not None else Structure(
        org.kind, org.trust_id, org.phase, org.is_independent)
    new_structure = {"kind": structure.kind, "trust_id": structure.trust_id, "phase": structure.phase,
                     "is_independent": structure.is_independent}
    changes = {key: {"old": old, "new": new} for key, old, new in (
        ("name", org.name, name), ("retention_months", org.retention_months, retention_months),
        ("keep_certificate_names", org.keep_certificate_names, keep_certificate_names),
        *((key, old, new_structure[key]) for key, old in _structure_values(org).items())) if old != new}
    if not changes:
        return org
    org.name, org.retention_months, org.keep_certificate_names = name, retention_months, keep_certificate_names
    org.kind, org.trust_id, org.phase = structure.kind, structure.trust_id, structure.phase
    org.is_independent = structure.is_independent
    record_event("organisation.updated", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 changes=changes)
    db.session.commit()
    log.info("organisation %s updated by user %s", org.id, actor.id)
    return org


# --- users --------------------------------------------------------------------------------------


def search_users(query: str, page: int, *, actor: User) -> Page[User]:
    """Users whose name or email contains the query (any case), by email, a page at a time."""
    require_admin(actor)
    statement = select(User).options(joinedload(User.organisation)).order_by(User.email, User.id)
    if query.strip():
        pattern = _like(query)
        statement = statement.where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                                        User.email.like(pattern, escape="\\")))
    return _page(statement, page)


def get_user(user_id: int, *, actor: User) -> User:
    """Anyone's account, with its organisation (the user page shows it); a deleted account is NotFound."""
    require_admin(actor)
    return get_member(user_id, MemberAction.VIEW, actor=actor, options=[joinedload(User.organisation)])


def change_role(user: User, role: Role, *, actor: User) -> User:
    """Make someone a learner, manager or admin; never oneself (so the last admin cannot lock everyone out)."""
    require_admin(actor)
    check_may_act_on(actor, user, MemberAction.SET_ROLE)
    old = user.role
    if old == role:
        return user
    user.role = role
    record_event("role.changed", actor=actor, subject=user, target=f"user:{user.id}", old=str(old), new=str(role))
    db.session.commit()
    log.info("user %s role changed from %s to %s by user %s", user.id, old, role, actor.id)
    return user


def set_active(user: User, active: bool, *, actor: User) -> User:
    """Deactivate an account (their sessions end at once; records stay) or reactivate it."""
    require_admin(actor)
    return set_account_active(user, active, actor=actor, event="user")


def move_user(user: User, organisation_id: int | None, *, actor: User) -> User:
    """Move someone to another organisation (or to none); they leave the old organisation's groups."""
    require_admin(actor)
    check_may_act_on(actor, user, MemberAction.MOVE)
    target = get_organisation(organisation_id, actor=actor) if organisation_id else None
    old_id = user.organisation_id
    new_id = target.id if target else None
    if old_id == new_id:
        return user
    if old_id is not None:
        db.session.execute(delete(GroupMembership).where(
            GroupMembership.user_id == user.id,
            GroupMembership.group_id.in_(select(Group.id).where(Group.organisation_id == old_id))))
    user.organisation_id = new_id
    user.joined_organisation_at = now_utc() if new_id else None
    record_event("user.organisation_changed", actor=actor, subject=user, organisation_id=new_id or old_id,
                 target=f"user:{user.id}", old=old_id, new=new_id)
    if target is not None:
        db.session.flush()
        network.apply_requirements(target, [user.id])  # what their role needs at the new organisation
    db.session.commit()
    log.info("user %s moved from organisation %s to %s by user %s", user.id, old_id, new_id, actor.id)
    return user


# --- courses ------------------------------------------------------------------------------------


def list_courses(*, actor: User) -> list[Course]:
    """Every course with its versions (two queries)."""
    require_admin(actor)
    return list(db.session.scalars(select(Course).options(selectinload(Course.versions)).order_by(Course.slug)))


def list_courses_past_review(*, actor: User) -> dict[int, date]:
    """Courses whose newest version's review date has passed (London's today), with that date, by course id; one
    query. A course without a review date is never past it."""
    require_admin(actor)
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .group_by(CourseVersion.course_id).subquery())
    rows = db.session.execute(
        select(CourseVersion.course_id, CourseVersion.review_by)
        .join(newest, (newest.c.course_id == CourseVersion.course_id) & (newest.c.number == CourseVersion.number))
        .where(CourseVersion.review_by < london_today())
        .order_by(CourseVersion.review_by, CourseVersion.course_id)
    )
    return {course_id: review_by for course_id, review_by in rows if review_by is not None}


def set_published(course_id: int, published: bool, *, actor: User) -> Course:
    """Publish a course (learners can find and start it) or unpublish it."""
    require_admin(actor)
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound()
    if course.is_published == published:
        return course
    course.is_published = published
    record_event("course.published" if published else "course.unpublished", actor=actor, organisation_id=None,
                 target=f"course:{course.id}")
    db.session.commit()
    log.info("course %s %s by user %s", course.id, "published" if published else "unpublished", actor.id)
    return course


# --- audit log ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # a prefix: "login." finds every login event
    person: str = ""  # part of the actor's or the subject's email
    organisation_id: int | None = None
    date_from: date | None = None  # London dates, both inclusive
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_email: str | None
    subject_email: str | None
    organisation_name: str | None


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LONDON)


def list_audit_events(filters: AuditFilter, page: int, *, actor: User) -> Page[AuditRow]:
    """Audit events matching the filters, newest first, a page at a time, in one query."""
    require_admin(actor)
    who, whom = aliased(User), aliased(User)
    statement = (
        select(AuditEvent, who.email, whom.email, Organisation.name)
        .outerjoin(who, who.id == AuditEvent.actor_id)
        .outerjoin(whom, whom.id == AuditEvent.subject_user_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if filters.action.strip():
        statement = statement.where(AuditEvent.action.like(f"{_escape_like(filters.action)}%", escape="\\"))
    if filters.person.strip():
        pattern = _like(filters.person)
        statement = statement.where(or_(who.email.like(pattern, escape="\\"), whom.email.like(pattern, escape="\\")))
    if filters.organisation_id:
        statement = statement.where(AuditEvent.organisation_id == filters.organisation_id)
    if filters.date_from:
        statement = statement.where(AuditEvent.at >= _london_midnight(filters.date_from))
    if filters.date_to:
        statement = statement.where(AuditEvent.at < _london_midnight(filters.date_to + timedelta(days=1)))
    result = _page(statement, page)
    return Page([AuditRow(*row) for row in result.items], result.number, result.has_next)  # type: ignore[misc]


def prune_audit_events(older_than_days: int = DEFAULT_AUDIT_RETENTION_DAYS, *, actor: User | None = None) -> int:
    """Delete audit events older than the retention period (at least 30 days); return how many went."""
    if older_than_days < MIN_RETENTION_DAYS:
        raise InvalidInput("older_than_days", f"keep at least {MIN_RETENTION_DAYS} days of audit events")
    cutoff = now_utc() - timedelta(days=older_than_days)
    removed = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount  # type: ignore[attr-defined]
    record_event("audit.pruned", actor=actor, organisation_id=None, older_than_days=older_than_days, removed=removed)
    db.session.commit()
    log.info("pruned %s audit event(s) older than %s days", removed, older_than_days)
    return int(removed)
