"""Which training each role at a setting needs, and how often: the one resolution every page and report asks.

A role is a kind of member (staff, supply, governor...) or a duty held on top of it (DSL, deputy, safer
recruiter). A role's requirements come from the nearest level that sets any for that role: the setting's own
rows, else its trust's, else the defaults below, which follow Keeping children safe in education (KCSIE). A
level that sets a role's requirements sets all of them, so a school can say exactly what its governors need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from elearn.access import placement_is_current
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
                       set_by=row.organisation_id)


def effective_requirements(setting: Organisation) -> dict[str, list[Requirement]]:
    """Every role's requirements at this setting: its own rows, else its trust's, else KCSIE's, role by role."""
    levels = [setting.id] + ([setting.trust_id] if setting.trust_id is not None else [])
    rows = db.session.scalars(select(TrainingRequirement).where(TrainingRequirement.organisation_id.in_(levels))
                              .order_by(TrainingRequirement.id))
    by_level: dict[int, dict[str, list[Requirement]]] = {level: {} for level in levels}
    for row in rows:
        by_level[row.organisation_id].setdefault(row.applies_to, []).append(requirement_of_row(row))
    defaults: dict[str, list[Requirement]] = {}
    for requirement in kcsie_defaults():
        defaults.setdefault(requirement.applies_to, []).append(requirement)
    resolved: dict[str, list[Requirement]] = {}
    for role in ROLES:
        for layer in [*(by_level[level] for level in levels), defaults]:
            if role in layer:
                resolved[role] = layer[role]
                break
        else:
            resolved[role] = []
    return resolved


def roles_at(setting: Organisation, user_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    """Each current member's roles at this setting: their kind there (home or placement) and their duties there."""
    home = select(User.id, User.member_kind).where(User.organisation_id == setting.id, User.anonymised_at.is_(None))
    placed = select(Placement.user_id, Placement.kind).where(Placement.organisation_id == setting.id,
                                                             placement_is_current())
    duties = select(MemberDuty.user_id, MemberDuty.duty).where(MemberDuty.organisation_id == setting.id)
    if user_ids is not None:
        ids = list(user_ids)
        home, placed = home.where(User.id.in_(ids)), placed.where(Placement.user_id.in_(ids))
        duties = duties.where(MemberDuty.user_id.in_(ids))
    roles: dict[int, set[str]] = {}
    for user_id, kind in [*db.session.execute(home), *db.session.execute(placed)]:
        roles.setdefault(user_id, set()).add(str(kind))
    for user_id, duty in db.session.execute(duties):
        if user_id in roles:  # a duty at a setting one no longer works at is not a role there
            roles[user_id].add(str(duty))
    return roles


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
