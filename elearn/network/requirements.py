"""Which training each role at a setting needs, and how often: the one resolution every page and report asks.

A role is a kind of member (staff, supply, governor...) or a duty held on top of it (DSL, deputy, safer
recruiter). A role's requirements come from the nearest level that sets any for that role: the setting's own
rows, else its trust's, else the defaults below, which follow Keeping children safe in education (KCSIE). A
level that sets a role's requirements sets all of them, so a school can say exactly what its governors need, or
that a role needs nothing there (a RequirementItem.NOTHING row: an empty set, which stops the search).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, func, literal, null, select, union_all

from elearn.access import placement_is_current
from elearn.clock import to_london
from elearn.extensions import db
from elearn.models import (
    Course,
    DueMode,
    Duty,
    MemberDuty,
    MemberKind,
    Organisation,
    Placement,
    RequirementItem,
    SignoffKind,
    TrainingRequirement,
    User,
)

EVERY_YEAR, EVERY_TWO_YEARS, EVERY_THREE_YEARS = 12, 24, 36
ALLOWED_PERIODS = (EVERY_YEAR, EVERY_TWO_YEARS, EVERY_THREE_YEARS)
ROLES: tuple[str, ...] = tuple(kind.value for kind in MemberKind) + tuple(duty.value for duty in Duty)

DSL_TRAINING_TOPIC = "Designated safeguarding lead training"
SAFER_RECRUITMENT_TOPIC = "Safer recruitment"
ESSENTIALS_COURSE = "safeguarding-essentials"


@dataclass(frozen=True)
class Requirement:
    """One thing a role needs; set_by is the organisation whose row it is, None for a KCSIE default."""

    applies_to: str
    item: RequirementItem
    every_months: int
    due_mode: DueMode
    induction_days: int
    course_id: int | None = None
    session_topic: str | None = None
    document_kind: SignoffKind | None = None
    set_by: int | None = None
    # The day the organisation's row was made (a copy keeps its original's): a newcomer's induction days, and an
    # existing member's first deadline, count from no earlier than this. Not part of what the requirement is.
    since: date | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        """What the requirement is for, whatever the role: the same course, topic or document kind."""
        target = self.course_id if self.item == RequirementItem.COURSE else (
            (self.session_topic or "").casefold() if self.item == RequirementItem.SESSION else self.document_kind)
        return (self.item.value, str(target))


@dataclass(frozen=True)
class _Default:
    applies_to: str
    item: RequirementItem
    every_months: int
    due_mode: DueMode = DueMode.ROLLING
    induction_days: int = 28
    course_slug: str | None = None
    session_topic: str | None = None
    document_kind: SignoffKind | None = None


_EVERYONE_WORKING_WITH_CHILDREN = (MemberKind.STAFF, MemberKind.SUPPLY, MemberKind.PERIPATETIC, MemberKind.VOLUNTEER)
# KCSIE Part two: all staff trained at induction and updated at least annually; governors and trustees trained at
# induction and regularly updated (since 2022); all staff read Part one of the edition in force, which changes
# each September; the DSL and deputies retrain at least every two years. Safer recruitment every three years is
# the renewal partnerships' audits ask for (KCSIE asks that a trained person sits on every panel).
KCSIE_DEFAULTS: tuple[_Default, ...] = (
    *(_Default(kind.value, RequirementItem.COURSE, EVERY_YEAR, course_slug=ESSENTIALS_COURSE)
      for kind in (*_EVERYONE_WORKING_WITH_CHILDREN, MemberKind.GOVERNOR, MemberKind.TRUSTEE)),
    *(_Default(kind.value, RequirementItem.DOCUMENT, EVERY_YEAR, due_mode=DueMode.ACADEMIC_YEAR,
               document_kind=SignoffKind.KCSIE)
      for kind in (MemberKind.STAFF, MemberKind.SUPPLY, MemberKind.PERIPATETIC, MemberKind.GOVERNOR,
                   MemberKind.TRUSTEE)),
    *(_Default(duty.value, RequirementItem.SESSION, EVERY_TWO_YEARS, session_topic=DSL_TRAINING_TOPIC)
      for duty in (Duty.DSL, Duty.DEPUTY_DSL)),
    _Default(Duty.SAFER_RECRUITER.value, RequirementItem.SESSION, EVERY_THREE_YEARS,
             session_topic=SAFER_RECRUITMENT_TOPIC),
)


def kcsie_defaults() -> list[Requirement]:
    """The defaults, with course slugs resolved to this deployment's courses (a course not loaded is skipped)."""
    slugs = {d.course_slug for d in KCSIE_DEFAULTS if d.course_slug}
    course_ids: dict[str, int] = {slug: id_ for slug, id_ in db.session.execute(
        select(Course.slug, Course.id).where(Course.slug.in_(slugs)))}
    return [Requirement(d.applies_to, d.item, d.every_months, d.due_mode, d.induction_days,
                        course_id=course_ids.get(d.course_slug) if d.course_slug else None,
                        session_topic=d.session_topic, document_kind=d.document_kind)
            for d in KCSIE_DEFAULTS if d.course_slug is None or d.course_slug in course_ids]


def requirement_of_row(row: TrainingRequirement) -> Requirement:
    # The columns are plain strings once read back from the database: the enums again, so that rows and defaults
    # compare equal and `key` works for both.
    return Requirement(row.applies_to, RequirementItem(row.item), row.every_months, DueMode(row.due_mode),
                       row.induction_days, course_id=row.course_id, session_topic=row.session_topic,
                       document_kind=SignoffKind(row.document_kind) if row.document_kind else None,
                       set_by=row.organisation_id, since=to_london(row.created_at).date() if row.created_at else None)


def sets_by_role(rows: Iterable[TrainingRequirement]) -> dict[str, list[Requirement]]:
    """One level's rows as its set per role; a role marked "nothing required" has an empty set (which still
    replaces the level above's)."""
    found: dict[str, list[Requirement]] = {}
    for row in rows:
        held = found.setdefault(row.applies_to, [])
        if row.item != RequirementItem.NOTHING:
            held.append(requirement_of_row(row))
    return found


def effective_requirements(setting: Organisation, *, with_defaults: bool = True) -> dict[str, list[Requirement]]:
    """Every role's requirements at this setting: effective_requirements_at for it alone."""
    return effective_requirements_at([setting], with_defaults=with_defaults)[setting.id]


def effective_requirements_at(settings: Iterable[Organisation], *,
                              with_defaults: bool = True) -> dict[int, dict[str, list[Requirement]]]:
    """For each setting (by id), every role's requirements: its own rows, else its trust's, else KCSIE's, role by
    role (without the defaults, a role neither level sets needs nothing: what is in force before adopting them).
    A level that says "nothing required" for a role stops the search there. One query for the rows of every
    setting and trust asked about (and one for the defaults' courses)."""
    levels_of = {s.id: [s.id] + ([s.trust_id] if s.trust_id is not None else []) for s in settings}
    all_levels = sorted({level for levels in levels_of.values() for level in levels})
    rows = list(db.session.scalars(select(TrainingRequirement).where(
        TrainingRequirement.organisation_id.in_(all_levels)).order_by(TrainingRequirement.id))) if all_levels else []
    by_level = {level: sets_by_role(row for row in rows if row.organisation_id == level) for level in all_levels}
    defaults: dict[str, list[Requirement]] = {}
    for requirement in (kcsie_defaults() if with_defaults and levels_of else []):
        defaults.setdefault(requirement.applies_to, []).append(requirement)
    resolved: dict[int, dict[str, list[Requirement]]] = {}
    for setting_id, levels in levels_of.items():
        layers = [*(by_level[level] for level in levels), defaults]
        resolved[setting_id] = {role: next((layer[role] for layer in layers if role in layer), []) for role in ROLES}
    return resolved


def roles_since(setting: Organisation, user_ids: Iterable[int] | None = None) -> dict[int, dict[str, date]]:
    """Each current member's roles at this setting and since when: roles_since_at for it alone."""
    return roles_since_at([setting.id], user_ids).get(setting.id, {})


def roles_since_at(setting_ids: Iterable[int],
                   user_ids: Iterable[int] | None = None) -> dict[int, dict[int, dict[str, date]]]:
    """For each setting (by id), each current member's roles there and since when: their kind there (since they
    joined, at home, or started their placement) and their duties there (since the duty's date); one query
    whatever the number of settings. `user_ids` narrows it to those people."""
    ids = list(setting_ids)
    home = select(User.organisation_id.label("setting_id"), User.id.label("user_id"), User.member_kind.label("role"),
                  literal(0).label("is_duty"), null().cast(Date).label("since_day"),
                  func.coalesce(User.joined_organisation_at, User.created_at).label("since_at")).where(
        User.organisation_id.in_(ids), User.anonymised_at.is_(None))
    placed = select(Placement.organisation_id, Placement.user_id, Placement.kind, literal(0), Placement.started_on,
                    null()).where(Placement.organisation_id.in_(ids), placement_is_current())
    duties = select(MemberDuty.organisation_id, MemberDuty.user_id, MemberDuty.duty, literal(1), MemberDuty.since,
                    null()).where(MemberDuty.organisation_id.in_(ids))
    if user_ids is not None:
        people = list(user_ids)
        home, placed = home.where(User.id.in_(people)), placed.where(Placement.user_id.in_(people))
        duties = duties.where(MemberDuty.user_id.in_(people))
    rows: list[Any] = list(db.session.execute(union_all(home, placed, duties).order_by("is_duty"))) if ids else []
    roles: dict[int, dict[int, dict[str, date]]] = {}
    for setting_id, user_id, role, is_duty, since_day, since_at in rows:
        since = since_day if since_at is None else to_london(since_at).date()
        at_setting = roles.setdefault(setting_id, {})
        if not is_duty:
            at_setting.setdefault(user_id, {}).setdefault(str(role), since)
        elif user_id in at_setting:  # a duty at a setting one no longer works at is not a role there
            at_setting[user_id][str(role)] = since
    return roles


def roles_at(setting: Organisation, user_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    """Each current member's roles at this setting: their kind there (home or placement) and their duties there."""
    return {user_id: set(held) for user_id, held in roles_since(setting, user_ids).items()}


def requirements_of(roles: Iterable[str], resolved: dict[str, list[Requirement]]) -> list[Requirement]:
    """What a person with these roles needs: the union over their roles, one requirement per item, the most
    frequent renewal winning (a DSL who is also staff renews what both need as often as either asks)."""
    chosen: dict[tuple[str, str], Requirement] = {}
    for role in sorted(roles):
        for requirement in resolved.get(role, []):
            held = chosen.get(requirement.key)
            if held is None or requirement.every_months < held.every_months:
                chosen[requirement.key] = requirement
    return list(chosen.values())
