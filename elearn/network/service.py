"""The tier above the setting, as a setting's managers and a trust's lead run it: partnership membership with
consent, each person's kind and duties at a setting, and placements of a person at another setting.

Plain functions: each checks who may act (elearn/access.py), changes what it says in one transaction, and
records an audit event. Bad input raises InvalidInput for the field, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from elearn.access import (
    MemberAction,
    check_may_act_on,
    get_owned,
    is_admin,
    is_manager_of,
    is_member_of,
    placement_is_current,
)
from elearn.audit import record_event
from elearn.clock import london_today
from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import (
    Duty,
    MemberDuty,
    MemberKind,
    Organisation,
    OrganisationKind,
    PartnershipMember,
    Placement,
    User,
)
from elearn.network.assigning import apply_requirements
from elearn.text_rules import clean_person_name

__all__ = ["apply_requirements"]  # for the features that add people to a setting (invitations)

NOT_FOUND_MEMBERSHIP = "There is no such partnership membership for this setting."
NOT_FOUND_PLACEMENT = "There is no such placement at this setting."
NOT_FOUND_DUTY = "There is no such duty at this setting."


def _require_manager_of_setting(setting: Organisation, actor: User) -> None:
    if setting.kind != OrganisationKind.SETTING:
        raise NotAllowed("Only a school or setting does this.")
    if not is_manager_of(actor, setting.id):
        raise NotFound("There is no organisation at this address.")


def _check_date(value: date | None, field: str, what: str) -> date:
    if value is None:
        raise InvalidInput(field, f"Enter the date {what}.")
    if value > london_today():
        raise InvalidInput(field, f"The date {what} cannot be in the future.")
    return value


# --- partnerships -----------------------------------------------------------------------------


def list_memberships(setting: Organisation) -> list[PartnershipMember]:
    """The partnerships the setting has joined, current first, then those it has left; one query."""
    return list(db.session.scalars(
        select(PartnershipMember).options(joinedload(PartnershipMember.partnership))
        .where(PartnershipMember.organisation_id == setting.id)
        .order_by(PartnershipMember.left_at.is_not(None), PartnershipMember.joined_at.desc(), PartnershipMember.id)))


def partnership_choices(setting: Organisation) -> list[tuple[int, str]]:
    """The partnerships the setting can join (every partnership it is not a current member of), by name."""
    current = select(PartnershipMember.partnership_id).where(PartnershipMember.organisation_id == setting.id,
                                                             PartnershipMember.left_at.is_(None))
    return [(i, n) for i, n in db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.kind == OrganisationKind.PARTNERSHIP,
                                                         Organisation.id.not_in(current))
        .order_by(func.lower(Organisation.name), Organisation.id))]


def join_partnership(setting: Organisation, partnership_id: int | None, consent_given_by: str,
                     consent_given_on: date | None, *, actor: User) -> PartnershipMember:
    """The setting joins a partnership, recording who gave the setting's consent to share its totals, and when.

    Rejoining after leaving records the new consent on the same row (one row per setting and partnership)."""
    _require_manager_of_setting(setting, actor)
    partnership = db.session.get(Organisation, partnership_id) if partnership_id else None
    if partnership is None or partnership.kind != OrganisationKind.PARTNERSHIP:
        raise InvalidInput("partnership_id", "Choose one of the partnerships listed.")
    given_by = clean_person_name(consent_given_by, field="consent_given_by")
    given_on = _check_date(consent_given_on, "consent_given_on", "consent was given")
    membership = db.session.scalar(select(PartnershipMember).where(
        PartnershipMember.partnership_id == partnership.id, PartnershipMember.organisation_id == setting.id))
    if membership is not None and membership.left_at is None:
        raise Conflict(f"{setting.name} is already a member of {partnership.name}.")
    if membership is None:
        membership = PartnershipMember(partnership_id=partnership.id, organisation_id=setting.id)
        db.session.add(membership)
    membership.consent_given_by, membership.consent_given_on = given_by, given_on
    membership.recorded_by_id, membership.joined_at, membership.left_at = actor.id, now_utc(), None
    db.session.flush()
    record_event("partnership.joined", actor=actor, organisation_id=setting.id,
                 target=f"organisation:{partnership.id}", consent_given_by=given_by,
                 consent_given_on=given_on.isoformat())
    db.session.commit()
    return membership


def leave_partnership(setting: Organisation, membership_id: int, *, actor: User) -> PartnershipMember:
    """The setting leaves a partnership: its consent is withdrawn, and the partnership sees nothing of it from now."""
    _require_manager_of_setting(setting, actor)
    membership = get_owned(PartnershipMember, membership_id, organisation=setting, missing=NOT_FOUND_MEMBERSHIP)
    if membership.left_at is not None:
        return membership  # a second click: already left
    membership.left_at = now_utc()
    record_event("partnership.left", actor=actor, organisation_id=setting.id,
                 target=f"organisation:{membership.partnership_id}")
    db.session.commit()
    return membership


# --- a person's kind and duties at a setting --------------------------------------------------


def placement_at(member: User, setting: Organisation) -> Placement | None:
    """The person's current placement at this setting, if it is not their home organisation."""
    return db.session.scalar(select(Placement).where(Placement.user_id == member.id,
                                                     Placement.organisation_id == setting.id, placement_is_current()))


def kind_at(member: User, setting: Organisation) -> MemberKind | None:
    """What the person is at this setting: their kind at home, or their current placement's kind."""
    kind = kinds_at(setting, [member]).get(member.id)
    return MemberKind(kind) if kind is not None else None


def kinds_at(setting: Organisation, members: list[User]) -> dict[int, str]:
    """What each of these people is at this setting: their kind at home, or their current placement's kind there
    (one query, only when some of them are not at home here); nobody else is in the answer."""
    kinds = {m.id: str(m.member_kind) for m in members if m.organisation_id == setting.id}
    placed = [m.id for m in members if m.id not in kinds]
    if placed:
        kinds.update((user_id, str(kind)) for user_id, kind in db.session.execute(
            select(Placement.user_id, Placement.kind).where(Placement.user_id.in_(placed),
                                                            Placement.organisation_id == setting.id,
                                                            placement_is_current())))
    return kinds


def set_kind_at(setting: Organisation, member: User, kind: str, *, actor: User) -> None:
    """Say what the person is at this setting (staff, supply, governor...): their kind at home, or their placement's."""
    _require_manager_of_setting(setting, actor)
    check_may_act_on(actor, member, MemberAction.MANAGE)
    try:
        new = MemberKind(kind)
    except ValueError:
        raise InvalidInput("kind", "Choose one of the kinds listed.") from None
    placement = placement_at(member, setting) if member.organisation_id != setting.id else None
    if member.organisation_id != setting.id and placement is None:
        raise NotFound("There is no one with this address in your organisation.")
    old = MemberKind(placement.kind if placement is not None else member.member_kind)
    if old == new:
        return
    if placement is not None:
        placement.kind = new
    else:
        member.member_kind = new
    record_event("member.kind_changed", actor=actor, subject=member, organisation_id=setting.id,
                 target=f"user:{member.id}", old=old.value, new=new.value)
    db.session.flush()
    apply_requirements(setting, [member.id])
    db.session.commit()


def duties_at(setting: Organisation, user_ids: list[int] | None = None) -> dict[int, list[MemberDuty]]:
    """Each person's duties at this setting (all, or these people's); one query."""
    statement = select(MemberDuty).where(MemberDuty.organisation_id == setting.id).order_by(MemberDuty.duty)
    if user_ids is not None:
        statement = statement.where(MemberDuty.user_id.in_(user_ids))
    found: dict[int, list[MemberDuty]] = {}
    for duty in db.session.scalars(statement):
        found.setdefault(duty.user_id, []).append(duty)
    return found


def add_duty(setting: Organisation, member: User, duty: str, since: date | None, *, actor: User) -> MemberDuty:
    """Give the person a safeguarding duty at this setting (DSL, deputy, safer recruiter) from a date."""
    _require_manager_of_setting(setting, actor)
    check_may_act_on(actor, member, MemberAction.MANAGE)
    if not is_member_of(member, setting.id):
        raise NotFound("There is no one with this address in your organisation.")
    try:
        held = Duty(duty)
    except ValueError:
        raise InvalidInput("duty", "Choose one of the duties listed.") from None
    since = _check_date(since, "since", "they took it on")
    if db.session.scalar(select(MemberDuty.id).where(MemberDuty.user_id == member.id, MemberDuty.duty == held,
                                                     MemberDuty.organisation_id == setting.id)) is not None:
        raise InvalidInput("duty", f"{member.display_name} already holds this duty here.")
    row = MemberDuty(user_id=member.id, organisation_id=setting.id, duty=held, since=since, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record_event("duty.added", actor=actor, subject=member, organisation_id=setting.id, target=f"user:{member.id}",
                 duty=held.value, since=since.isoformat())
    db.session.flush()
    apply_requirements(setting, [member.id])
    db.session.commit()
    return row


def remove_duty(setting: Organisation, member: User, duty_id: int, *, actor: User) -> None:
    """Take a duty away (they stepped down); a second click finds nothing to remove."""
    _require_manager_of_setting(setting, actor)
    check_may_act_on(actor, member, MemberAction.MANAGE)
    row = get_owned(MemberDuty, duty_id, organisation=setting, missing=NOT_FOUND_DUTY)
    if row.user_id != member.id:
        raise NotFound(NOT_FOUND_DUTY)
    db.session.delete(row)
    record_event("duty.removed", actor=actor, subject=member, organisation_id=setting.id, target=f"user:{member.id}",
                 duty=str(row.duty))
    db.session.flush()
    apply_requirements(setting, [member.id])
    db.session.commit()


# --- placements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementLine:
    placement: Placement
    setting_name: str


def list_placements_of(member: User) -> list[PlacementLine]:
    """Where else the person works (current and ended placements), newest first; one query."""
    return [PlacementLine(p, p.organisation.name) for p in db.session.scalars(
        select(Placement).options(joinedload(Placement.organisation)).where(Placement.user_id == member.id)
        .order_by(Placement.ended_on.is_not(None), Placement.started_on.desc(), Placement.id))]


def placement_choices(member: User, *, actor: User) -> list[tuple[int, str]]:
    """The settings the actor may place this person at: an admin, any setting; a trust's lead, the trust's
    settings; never the person's home organisation."""
    statement = select(Organisation.id, Organisation.name).where(Organisation.kind == OrganisationKind.SETTING)
    if not is_admin(actor):
        statement = statement.where(Organisation.trust_id == actor.organisation_id)
    if member.organisation_id is not None:
        statement = statement.where(Organisation.id != member.organisation_id)
    return [(i, n) for i, n in db.session.execute(statement.order_by(func.lower(Organisation.name)))]


def place_member(member: User, setting_id: int | None, kind: str, started_on: date | None, *,
                 actor: User) -> Placement:
    """Place a person at another setting as a kind of member there (a trust's lead, within the trust; an admin).

    The actor must manage both the person (at home) and the setting. One placement per person and setting: an
    ended one is started again."""
    check_may_act_on(actor, member, MemberAction.MANAGE)
    setting = db.session.get(Organisation, setting_id) if setting_id else None
    if (setting is None or setting.kind != OrganisationKind.SETTING or not is_manager_of(actor, setting.id)
            or not is_manager_of(actor, member.organisation_id)):
        raise InvalidInput("setting_id", "Choose one of the settings listed.")
    if setting.id == member.organisation_id:
        raise InvalidInput("setting_id", f"{setting.name} is already {member.display_name}'s own organisation.")
    try:
        as_kind = MemberKind(kind)
    except ValueError:
        raise InvalidInput("kind", "Choose one of the kinds listed.") from None
    # Not a future day: the requirements are applied now, to the people working there now (placement_is_current),
    # and nothing would apply them again on the day the placement began.
    started = _check_date(started_on or london_today(), "started_on", "they start there")
    if is_member_of(member, setting.id):
        raise InvalidInput("setting_id", f"{member.display_name} already works at {setting.name}.")
    placement = start_placement(member, setting, as_kind, started, by_id=actor.id)
    record_event("placement.started", actor=actor, subject=member, organisation_id=setting.id,
                 target=f"user:{member.id}", kind=as_kind.value, started_on=started.isoformat())
    apply_requirements(setting, [member.id])
    db.session.commit()
    return placement


def start_placement(member: User, setting: Organisation, kind: MemberKind, started_on: date, *,
                    by_id: int | None) -> Placement:
    """The person works at this setting from that day as this kind (flush only): one placement per person and
    setting, an ended one started again."""
    placement = db.session.scalar(select(Placement).where(Placement.user_id == member.id,
                                                          Placement.organisation_id == setting.id))
    if placement is None:
        placement = Placement(user_id=member.id, organisation_id=setting.id)
        db.session.add(placement)
    placement.kind, placement.started_on, placement.ended_on = kind, started_on, None
    placement.created_by_id = by_id
    db.session.flush()
    return placement


def end_placement(member: User, placement_id: int, *, actor: User) -> Placement:
    """End a placement: from today the person is no longer one of that setting's people (their duties there lapse).
    The setting's managers or the person's home managers may end it."""
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.user_id != member.id or not (is_manager_of(actor, placement.organisation_id)
                                 or is_manager_of(actor, placement.user.organisation_id)):
        raise NotFound(NOT_FOUND_PLACEMENT)
    if placement.ended_on is not None and placement.ended_on < london_today():
        return placement  # already ended (a second click)
    # Their last day there was yesterday: from today they are not one of its people (placement_is_current).
    placement.ended_on = london_today() - timedelta(days=1)
    record_event("placement.ended", actor=actor, subject=placement.user, organisation_id=placement.organisation_id,
                 target=f"user:{placement.user_id}")
    db.session.commit()
    return placement
