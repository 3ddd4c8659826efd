"""Removing an assignment with a way back: the removal returns an undo token that restores exactly the row removed.

Kept beside `assignments.py` (which owns assigning and the plain removal) so the undo rule lives in one place.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import select

from elearn.access import MemberAction, get_member
from elearn.audit import record_event
from elearn.compliance import assignments
from elearn.errors import Conflict
from elearn.extensions import db
from elearn.models import Assignment, AssignmentSource, Organisation, User
from elearn.undo import read_undo, undo_token

log = logging.getLogger(__name__)

KIND = "assignment.removed"


def remove_assignment(org: Organisation, assignment_id: int, *, actor: User) -> str:
    """Withdraw an assignment (progress and certificates stay); return the token that restores it for 10 minutes."""
    assignment = assignments.get_assignment(org, assignment_id)
    removed = {
        "id": assignment.id, "user_id": assignment.user_id, "course_id": assignment.course_id,
        "assigned_by_id": assignment.assigned_by_id, "assigned_at": assignment.assigned_at.isoformat(),
        "due_on": assignment.due_on.isoformat(), "source": str(assignment.source),
    }
    assignments.remove_assignment(org, assignment_id, actor=actor)
    return undo_token(KIND, org.id, removed)


def restore_assignment(org: Organisation, token: str, *, actor: User) -> Assignment:
    """Put a recently removed assignment back as it was: same person, course, due date, source and who assigned it."""
    data = read_undo(token, kind=KIND, organisation_id=org.id)
    member = get_member(int(data["user_id"]), MemberAction.MANAGE, actor=actor, organisation=org)
    again = db.session.scalar(select(Assignment).where(
        Assignment.organisation_id == org.id, Assignment.user_id == member.id, Assignment.course_id == int(data["course_id"])))
    if again is not None:
        if again.id == int(data["id"]):
            return again  # undone already
        raise Conflict("This course has been assigned to them again since, so there is nothing to undo.")
    assignment = Assignment(id=int(data["id"]), organisation_id=org.id, user_id=member.id, course_id=int(data["course_id"]),
                            assigned_by_id=data["assigned_by_id"], assigned_at=datetime.fromisoformat(data["assigned_at"]),
                            due_on=date.fromisoformat(data["due_on"]), source=AssignmentSource(data["source"]))
    db.session.add(assignment)
    db.session.flush()
    record_event("assignment.restored", actor=actor, subject=member, organisation_id=org.id,
                 target=f"assignment:{assignment.id}", course_id=assignment.course_id)
    db.session.commit()
    log.info("assignment %s restored by user %s", assignment.id, actor.id)
    return assignment
