"""Requirements in force become assignments: each member with a role is assigned the courses and asked to read the
documents their role needs at the setting, through the existing mechanisms (an Assignment per course, a
SignoffAssignment for the setting's current document of a kind), so the matrix, dashboard, reminders and exports
follow the requirements without a second rule.

- Due at induction: the later of the day they joined (home) or started (placement) and the day the requirement
  came into force here, plus its induction days. An existing assignment keeps its due date.
- Renewed as the requirement says: its period and mode are kept on the assignment (renew_every_months,
  renew_mode), and the compliance rule (compliance.valid_until_sql) counts from the last completion with them.
- KCSIE defaults are not in force until adopted (requirement_sets), so a setting that has set nothing is unchanged.
- Face-to-face session requirements are not assigned (a session is recorded when it happens): the compliance
  matrix reads them as they are (compliance/session_grid.py), and the audit reports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import select, update

from elearn.clock import london_today
from elearn.extensions import db
from elearn.models import (
    Assignment,
    AssignmentSource,
    MemberKind,
    Organisation,
    OrganisationKind,
    RequirementItem,
    SignoffAssignment,
    SignoffDocument,
    User,
)
from elearn.network.requirements import Requirement, effective_requirements, requirements_of, roles_since


def in_force(setting: Organisation) -> dict[str, list[Requirement]]:
    """The requirements that drive a setting's assignments: those it or its trust has set (KCSIE defaults only
    once adopted, which makes them the organisation's own)."""
    return effective_requirements(setting, with_defaults=False)


_KINDS = frozenset(kind.value for kind in MemberKind)


def _began(held: dict[str, date]) -> date | None:
    """When a person began at the setting, from their roles there and since when (requirements.roles_since): the
    day of their kind there, which is the day they joined (home) or started their placement."""
    return min((since for role, since in held.items() if role in _KINDS), default=None)


def apply_requirements(setting: Organisation, user_ids: Iterable[int] | None = None) -> int:
    """Assign the courses and ask for the documents that the requirements in force need of these members (all
    active members when None); keep each requirement's renewal period on the assignment. Flush only; returns how
    many assignments were made. A bounded number of queries whatever the number of people."""
    if setting.kind != OrganisationKind.SETTING:
        return 0
    required = in_force(setting)
    if not any(required.values()):
        # nothing in force (never set, or the last requirement removed): the courses' own validity applies
        lapsed = update(Assignment).where(Assignment.organisation_id == setting.id,
                                          Assignment.renew_every_months.is_not(None))
        if user_ids is not None:
            lapsed = lapsed.where(Assignment.user_id.in_(list(user_ids)))
        db.session.execute(lapsed.values(renew_every_months=None, renew_mode=None))
        return 0
    roles = roles_since(setting, user_ids)
    active = set(db.session.scalars(select(User.id).where(User.id.in_(list(roles)), User.is_active_account.is_(True))))
    roles = {user_id: held for user_id, held in roles.items() if user_id in active}
    if not roles:
        return 0
    people = list(roles)
    started = {user_id: began for user_id, held in roles.items() if (began := _began(held)) is not None}
    today = london_today()
    assignments = {(a.user_id, a.course_id): a for a in db.session.scalars(select(Assignment).where(
        Assignment.organisation_id == setting.id, Assignment.user_id.in_(people)))}
    documents = {str(kind): document_id for kind, document_id in db.session.execute(
        select(SignoffDocument.kind, SignoffDocument.id).where(SignoffDocument.organisation_id == setting.id)
        .order_by(SignoffDocument.id))}  # the newest document of each kind wins
    asked = {(user_id, document_id) for user_id, document_id in db.session.execute(
        select(SignoffAssignment.user_id, SignoffAssignment.document_id).where(
            SignoffAssignment.user_id.in_(people), SignoffAssignment.document_id.in_(list(documents.values()))))
             } if documents else set()
    made = 0
    for user_id, held in roles.items():
        needed = requirements_of(held, required)
        courses = {r.course_id: r for r in needed if r.item == RequirementItem.COURSE and r.course_id is not None}
        for course_id, requirement in courses.items():
            due = max(started.get(user_id, today), today) + timedelta(days=requirement.induction_days)
            assignment = assignments.get((user_id, course_id))
            if assignment is None:
                assignment = Assignment(organisation_id=setting.id, user_id=user_id, course_id=course_id, due_on=due,
                                        source=AssignmentSource.REQUIREMENT)
                db.session.add(assignment)
                made += 1
            assignment.renew_every_months = requirement.every_months
            assignment.renew_mode = str(requirement.due_mode)
        for (held_by, course_id), assignment in assignments.items():
            if held_by == user_id and course_id not in courses and assignment.renew_every_months is not None:
                # no longer required by a role here: the course's own validity applies again
                assignment.renew_every_months = assignment.renew_mode = None
        for requirement in needed:
            if requirement.item != RequirementItem.DOCUMENT or str(requirement.document_kind) not in documents:
                continue
            document_id = documents[str(requirement.document_kind)]
            if (user_id, document_id) not in asked:
                asked.add((user_id, document_id))
                db.session.add(SignoffAssignment(document_id=document_id, user_id=user_id, due_on=max(
                    started.get(user_id, today), today) + timedelta(days=requirement.induction_days)))
    db.session.flush()
    return made


def apply_requirements_at(organisation: Organisation) -> int:
    """After a change of requirements: apply them at the setting, or at every setting of a trust."""
    if organisation.kind == OrganisationKind.TRUST:
        settings = db.session.scalars(select(Organisation).where(Organisation.trust_id == organisation.id,
                                                                 Organisation.kind == OrganisationKind.SETTING))
        return sum(apply_requirements(setting) for setting in settings)
    return apply_requirements(organisation)
