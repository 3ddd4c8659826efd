"""Editing the training each role needs, as a set per role, at a setting or at a trust (/manage/requirements).

What applies is resolved by network/requirements.py (the setting's own set for a role, else its trust's, else
the KCSIE defaults). Editing a role that follows the trust or the defaults first copies what applies into the
organisation's own set, so a change never loses the rest of the set. "Follow the trust again" (or the defaults)
deletes the organisation's own set for the role.

"Nothing required for this role" is a set of its own: an organisation's marker row (item NOTHING) that resolution
reads as an empty set, so neither the trust's set nor the defaults apply to the role. Adding a requirement to the
role replaces the marker; following the trust (or the defaults) again deletes it.

KCSIE defaults are shown as a suggestion and are not in force until an organisation adopts them ("Use the KCSIE
defaults", one click): a setting that has set nothing keeps its training exactly as it was, and no one becomes
overdue overnight. Only requirements an organisation (the setting or its trust) has set drive assignments
(assigning.in_force); every change here applies them at once (assigning.apply_requirements_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import delete, select

from elearn.access import is_manager_of
from elearn.audit import record_event
from elearn.clock import LONDON
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import (
    Course,
    DueMode,
    Organisation,
    OrganisationKind,
    RequirementItem,
    SignoffDocument,
    SignoffKind,
    TrainingRequirement,
    User,
)
from elearn.network.assigning import apply_requirements_at
from elearn.network.requirements import (
    ALLOWED_PERIODS,
    ROLES,
    Requirement,
    effective_requirements,
    kcsie_defaults,
    requirement_of_row,
    sets_by_role,
)
from elearn.text_rules import TRAINING_TITLE_MAX, clean_text

MAX_INDUCTION_DAYS = 365
NOT_FOUND_REQUIREMENT = "There is no such requirement here."


class Source:
    """Where a role's requirements come from, as the page says it."""

    OWN = "own"
    TRUST = "trust"
    KCSIE = "kcsie"
    NOTHING = "nothing"  # the organisation says the role needs nothing here


@dataclass(frozen=True)
class RoleRequirements:
    role: str
    source: str  # Source
    requirements: list[Requirement]
    own_rows: list[TrainingRequirement]  # the organisation's own rows for the role (empty unless source is OWN)


def _require_editor(org: Organisation, actor: User) -> None:
    if org.kind not in (OrganisationKind.SETTING, OrganisationKind.TRUST) or not is_manager_of(actor, org.id):
        raise NotFound("There is no organisation at this address.")


def _defaults_by_role() -> dict[str, list[Requirement]]:
    found: dict[str, list[Requirement]] = {}
    for requirement in kcsie_defaults():
        found.setdefault(requirement.applies_to, []).append(requirement)
    return found


def requirements_by_role(org: Organisation) -> list[RoleRequirements]:
    """Every role's requirements at this organisation with where they come from; four queries at most."""
    own: dict[str, list[TrainingRequirement]] = {}
    nothing: set[str] = set()
    rows = list(db.session.scalars(select(TrainingRequirement).where(TrainingRequirement.organisation_id == org.id)
                                   .order_by(TrainingRequirement.id)))
    for row in rows:
        if row.item == RequirementItem.NOTHING:
            nothing.add(row.applies_to)
        else:
            own.setdefault(row.applies_to, []).append(row)
    trust_sets: set[str] = set()
    if org.kind == OrganisationKind.SETTING:
        resolved = effective_requirements(org)
        if org.trust_id is not None:
            trust_sets = set(db.session.scalars(select(TrainingRequirement.applies_to).where(
                TrainingRequirement.organisation_id == org.trust_id).distinct()))
    else:  # a trust: its own sets, else the defaults
        defaults, sets = _defaults_by_role(), sets_by_role(rows)
        resolved = {role: sets[role] if role in sets else defaults.get(role, []) for role in ROLES}
    lines = []
    for role in ROLES:
        requirements = resolved.get(role, [])
        if role in nothing:
            source = Source.NOTHING
        elif role in own:
            source = Source.OWN
        elif role in trust_sets:  # its set, or its "nothing required"
            source = Source.TRUST
        else:
            source = Source.KCSIE
        lines.append(RoleRequirements(role, source, requirements, own.get(role, [])))
    return lines


def _as_requirement(row: TrainingRequirement) -> Requirement:
    return requirement_of_row(row)


def published_document_kinds(org: Organisation) -> set[str]:
    """The kinds of read-and-understood document the setting has published (a document requirement asks for one)."""
    return {str(kind) for kind in db.session.scalars(
        select(SignoffDocument.kind).where(SignoffDocument.organisation_id == org.id).distinct())}


def _row(org: Organisation, requirement: Requirement, actor: User) -> TrainingRequirement:
    # A copy of the trust's row keeps the day that row came into force: copying a set to edit it must not give
    # every member a fresh induction period (requirements.Requirement.since).
    return TrainingRequirement(organisation_id=org.id, applies_to=requirement.applies_to, item=requirement.item,
                               course_id=requirement.course_id, session_topic=requirement.session_topic,
                               document_kind=requirement.document_kind, every_months=requirement.every_months,
                               due_mode=requirement.due_mode, induction_days=requirement.induction_days,
                               created_by_id=actor.id,
                               **({"created_at": datetime.combine(requirement.since, time(12), tzinfo=LONDON)}
                                  if requirement.since is not None else {}))


def _delete_own(org: Organisation, role: str) -> int:
    """Delete the organisation's own set for the role, a "nothing required" marker included; how many rows."""
    removed = db.session.execute(delete(TrainingRequirement).where(TrainingRequirement.organisation_id == org.id,
                                                                   TrainingRequirement.applies_to == role))
    return int(removed.rowcount)  # type: ignore[attr-defined]


def _make_own(org: Organisation, role: str, actor: User) -> list[TrainingRequirement]:
    """The organisation's own rows for the role, copying what applies now when it has none, and starting from an
    empty set where it said "nothing required" (flush only)."""
    line = next(line for line in requirements_by_role(org) if line.role == role)
    if line.source == Source.OWN:
        return line.own_rows
    if line.source == Source.NOTHING:
        _delete_own(org, role)
        return []
    rows = [_row(org, requirement, actor) for requirement in line.requirements]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput("role", "Choose one of the roles listed.")
    return role


@dataclass(frozen=True)
class RequirementInput:
    item: str
    course_id: int | None
    session_topic: str
    document_kind: str
    every_months: int | None
    due_mode: str
    induction_days: int | None


def _checked(data: RequirementInput) -> dict[str, object]:
    """The columns of a requirement from the form, or InvalidInput naming the field."""
    try:
        item = RequirementItem(data.item)
    except ValueError:
        item = RequirementItem.NOTHING
    if item == RequirementItem.NOTHING:  # said with its own button (require_nothing), never as an item
        raise InvalidInput("item", "Choose a course, a face-to-face session or a document.")
    values: dict[str, object] = {"item": item, "course_id": None, "session_topic": None, "document_kind": None}
    if item == RequirementItem.COURSE:
        if data.course_id is None or db.session.scalar(select(Course.id).where(
                Course.id == data.course_id, Course.is_published.is_(True))) is None:
            raise InvalidInput("course_id", "Choose one of the courses listed.")
        values["course_id"] = data.course_id
    elif item == RequirementItem.SESSION:
        values["session_topic"] = clean_text(data.session_topic, field="session_topic", max_length=TRAINING_TITLE_MAX,
                                             required="Enter the face-to-face session's topic.")
    else:
        try:
            values["document_kind"] = SignoffKind(data.document_kind)
        except ValueError:
            raise InvalidInput("document_kind", "Choose one of the documents listed.") from None
    if data.every_months not in ALLOWED_PERIODS:
        raise InvalidInput("every_months", "Choose every year, every two years or every three years.")
    try:
        due_mode = DueMode(data.due_mode)
    except ValueError:
        raise InvalidInput("due_mode", "Choose when a renewal falls due.") from None
    if data.induction_days is None or not 0 <= data.induction_days <= MAX_INDUCTION_DAYS:
        raise InvalidInput("induction_days", f"Enter a number of days from 0 to {MAX_INDUCTION_DAYS}.")
    return {**values, "every_months": data.every_months, "due_mode": due_mode, "induction_days": data.induction_days}


def _target(values: dict[str, object]) -> tuple[str, str]:
    item = values["item"]
    target = values["course_id"] if item == RequirementItem.COURSE else (
        str(values["session_topic"] or "").casefold() if item == RequirementItem.SESSION else values["document_kind"])
    return (str(item), str(target))


def add_requirement(org: Organisation, role: str, data: RequirementInput, *, actor: User) -> TrainingRequirement:
    """Add a requirement to the role's set here (making the set the organisation's own first); one of each course,
    session topic or document per role."""
    _require_editor(org, actor)
    role = _check_role(role)
    values = _checked(data)
    rows = _make_own(org, role, actor)
    if any(_target(values) == _as_requirement(row).key for row in rows):
        db.session.rollback()
        raise InvalidInput("item", "This role already needs that. Change or remove the one listed.")
    row = TrainingRequirement(organisation_id=org.id, applies_to=role, created_by_id=actor.id, **values)
    db.session.add(row)
    db.session.flush()
    record_event("requirement.added", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 role=role, item=str(row.item), course_id=row.course_id, session_topic=row.session_topic,
                 document_kind=row.document_kind, every_months=row.every_months, due_mode=str(row.due_mode),
                 induction_days=row.induction_days)
    apply_requirements_at(org)
    db.session.commit()
    return row


def remove_requirement(org: Organisation, requirement_id: int, *, actor: User) -> str:
    """Remove one requirement from the organisation's own set; returns its role. A second click finds nothing."""
    _require_editor(org, actor)
    row = db.session.get(TrainingRequirement, requirement_id)
    if row is None or row.organisation_id != org.id:
        raise NotFound(NOT_FOUND_REQUIREMENT)
    role = row.applies_to
    db.session.delete(row)
    record_event("requirement.removed", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                 role=role, item=str(row.item), course_id=row.course_id, session_topic=row.session_topic,
                 document_kind=row.document_kind)
    db.session.flush()
    apply_requirements_at(org)
    db.session.commit()
    return role


def follow_inherited(org: Organisation, role: str, *, actor: User) -> None:
    """Delete the organisation's own set for the role: it follows its trust's (or the defaults) again."""
    _require_editor(org, actor)
    role = _check_role(role)
    if _delete_own(org, role):
        record_event("requirements.reset", actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                     role=role)
        apply_requirements_at(org)
    db.session.commit()


def require_nothing(org: Organisation, role: str, *, actor: User) -> None:
    """Say the role needs nothing here: its own set is replaced by a "nothing required" marker, so the trust's set
    and the KCSIE defaults stop applying to it (undone by following the trust or the defaults again, or by adding
    a requirement). Saying it twice changes nothing."""
    _require_editor(org, actor)
    role = _check_role(role)
    line = next(line for line in requirements_by_role(org) if line.role == role)
    if line.source == Source.NOTHING:
        return
    _delete_own(org, role)
    # every_months 0 and no item: the marker is a statement about the set, not training anyone could do
    db.session.add(TrainingRequirement(organisation_id=org.id, applies_to=role, item=RequirementItem.NOTHING,
                                       every_months=0, due_mode=DueMode.ROLLING, induction_days=0,
                                       created_by_id=actor.id))
    db.session.flush()
    record_event("requirements.nothing_required", actor=actor, organisation_id=org.id,
                 target=f"organisation:{org.id}", role=role, replaced=[":".join(r.key) for r in line.requirements])
    apply_requirements_at(org)
    db.session.commit()


def adopt_defaults(org: Organisation, *, actor: User) -> int:
    """Put the KCSIE defaults in force here for every role that follows them now (one click); returns how many
    requirements were added. Roles with their own set, or their trust's, keep theirs."""
    _require_editor(org, actor)
    made = 0
    for line in requirements_by_role(org):
        if line.source == Source.KCSIE:
            rows = [_row(org, requirement, actor) for requirement in line.requirements]
            db.session.add_all(rows)
            made += len(rows)
    if made:
        record_event("requirements.defaults_adopted", actor=actor, organisation_id=org.id,
                     target=f"organisation:{org.id}", count=made)
        db.session.flush()
        apply_requirements_at(org)
    db.session.commit()
    return made
