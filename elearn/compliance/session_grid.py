"""Face-to-face session requirements as cells beside the courses: people × topics, for the matrix, its exports, the
dashboard and the reminders.

A session is recorded when it happens, so nothing is assigned: a cell exists for each person whose roles at the
setting need the topic under the requirements in force (network/assigning.in_force: the setting's or its trust's
sets, the KCSIE defaults once adopted, "nothing required" meaning none), and reads

- the latest evidence: attendance at a session of the topic, or training recorded elsewhere under that title
  (returns/evidence.py: topic_evidence_of and Evidence.meets, the audit's own rule);
- the status, by the one compliance rule (compliance.compliance_status): the evidence counts until its renewal
  date under the requirement's period and mode (compliance.renewal_due); without evidence, or once it has
  lapsed, it is due at the end of the person's induction days, counted from the latest of the day they began
  here, the day they took on the role and the day the requirement came into force (as a course requirement's
  assignment is), or at the renewal date if that is later.

Four queries whatever the number of people (one when no session requirement is in force).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, select

from elearn.access import members_of
from elearn.clock import london_today
from elearn.compliance.compliance import SEVERITY, ComplianceStatus, compliance_status, renewal_due
from elearn.extensions import db
from elearn.models import Organisation, OrganisationKind, RequirementItem, User
from elearn.network.requirements import Requirement, effective_requirements, requirements_of, roles_since
from elearn.returns.evidence import Evidence, evidence_for, topic_evidence_of


@dataclass(frozen=True)
class SessionColumn:
    key: str  # the topic casefolded: two requirements naming it differently are one column
    topic: str  # as the first requirement writes it


@dataclass(frozen=True)
class SessionCell:
    """One person and topic: the status, when it is (next) due, until when the latest evidence counts."""

    status: ComplianceStatus
    due_on: date
    valid_until: date | None
    last_on: date | None  # the latest attendance or training recorded elsewhere
    evidence: str  # that evidence in words ("Attended: Safer recruitment (J Smith)"), "" when there is none


@dataclass(frozen=True)
class SessionGrid:
    """The topics the setting's requirements name, as columns; cells[user_id][topic key] for the people who need
    them (others: not required)."""

    columns: list[SessionColumn]
    cells: dict[int, dict[str, SessionCell]]
    today: date


def session_cell(requirement: Requirement, latest: Evidence | None, began: date, today: date) -> SessionCell:
    """A person's cell for a session requirement, from their latest evidence and the day their induction counts
    from; pure (the status is compliance_status's, as for a course)."""
    induction_ends = began + timedelta(days=requirement.induction_days)
    if latest is None:
        valid_until, due_on = None, induction_ends
    else:
        valid_until = renewal_due(latest.on, requirement.every_months, requirement.due_mode)
        due_on = max(valid_until, induction_ends)
    status = compliance_status(assigned=True, due_on=due_on, valid_until=valid_until, in_progress=False, today=today)
    return SessionCell(status, due_on, valid_until, latest.on if latest else None,
                       latest.description if latest else "")


def _session_requirements(setting: Organisation) -> dict[str, list[Requirement]]:
    """Per role, the session requirements in force at the setting (one query)."""
    return {role: [r for r in requirements if r.item == RequirementItem.SESSION]
            for role, requirements in effective_requirements(setting, with_defaults=False).items()}


def _columns(required: dict[str, list[Requirement]]) -> list[SessionColumn]:
    found: dict[str, str] = {}
    for requirements in required.values():
        for requirement in requirements:
            topic = requirement.session_topic or ""
            found.setdefault(topic.casefold(), topic)
    return [SessionColumn(key, topic) for key, topic in sorted(found.items())]


def session_grid(org: Organisation, user_ids: Sequence[int] | None = None, *,
                 today: date | None = None) -> SessionGrid:
    """Topics × these people (every active member when None): each cell's status, due date and evidence."""
    today = today or london_today()
    if org.kind != OrganisationKind.SETTING:
        return SessionGrid([], {}, today)
    required = _session_requirements(org)
    columns = _columns(required)
    if not columns or (user_ids is not None and not user_ids):  # no people asked for: the columns alone
        return SessionGrid(columns, {}, today)
    if user_ids is None:
        user_ids = list(db.session.scalars(select(User.id).where(members_of(org.id), User.is_active_account.is_(True))))
    roles = roles_since(org, user_ids)
    evidence = topic_evidence_of(list(roles), today)
    cells: dict[int, dict[str, SessionCell]] = {}
    for user_id, held in roles.items():
        for requirement in requirements_of(held, required):
            key = (requirement.session_topic or "").casefold()
            began = max(held.get(requirement.applies_to, today), requirement.since or date.min)
            found = evidence_for(requirement, evidence[user_id])
            cells.setdefault(user_id, {})[key] = session_cell(requirement, found[-1] if found else None, began, today)
    return SessionGrid(columns, cells, today)


# --- a person's standing over their session cells -------------------------------------------------------------
# A person is in every status one of their cells is in (courses and sessions alike), and ranks by the most urgent
# of them (SEVERITY). These two functions are how the matrix's status filter and its sort by status, and the
# dashboard's and digest's counts of people, read the session cells; the course cells' side is the cells() grid
# (compliance.status_sql, compliance.severity_sql).


def people_by_status(grid: SessionGrid, key: str | None = None) -> dict[ComplianceStatus, set[int]]:
    """Per status, the people with a session cell in it (only the topic `key`'s cell when given); pure."""
    found: dict[ComplianceStatus, set[int]] = {}
    for user_id, mine in grid.cells.items():
        for topic, cell in mine.items():
            if key is None or topic == key:
                found.setdefault(cell.status, set()).add(user_id)
    return found


def session_rank_sql(person: Any, grid: SessionGrid,
                     key: str | None = None) -> ColumnElement[int] | None:
    """The sort key of a person's most urgent session cell (the topic's, given its key), as SQL over their id: the
    rank severity_sql gives a status, len(SEVERITY) for someone with no such cell; None when nobody has one. The
    people are bound as at most six IN lists, one per status: the statement grows with the people who have
    session cells (those whose roles need a session), never with the number of queries."""
    by_status = people_by_status(grid, key)
    ranked: set[int] = set()
    whens = []
    for rank, status in enumerate(SEVERITY):
        people = sorted(by_status.get(status, set()) - ranked)
        ranked.update(people)
        if people:
            whens.append((person.in_(people), rank))
    return case(*whens, else_=len(SEVERITY)) if whens else None
