"""Assignments: a course a member must complete by a due date, given to one member, a group or everyone.

Every reader and writer is scoped to the organisation being managed; another organisation's id is
NotFound (404). An assignment to a group or to everyone is also a standing rule: whoever joins later (the
organisation or the group, by invitation, CSV import or email domain) is assigned the course, due N days after
joining (people.service: put_assignment_rule, apply_assignment_rules).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from elearn.access import MemberAction, get_member, get_owned, members_of
from elearn.audit import record_event
from elearn.clock import london_today
from elearn.db import now_utc
from elearn.errors import Conflict
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Assignment, AssignmentSource, GroupMembership, Organisation, User
from elearn.people.service import check_due_on, get_group, put_assignment_rule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssignResult:
    """How many people were newly assigned the course, and how many had it already."""

    created: int
    already: int


def assign_course(org: Organisation, course_id: int, due_on: date | None, *, actor: User,
                  user_id: int | None = None, group_id: int | None = None,
                  joiner_due_in_days: int | None = None) -> AssignResult:
    """Assign a course to one member, a group's active members, or (neither given) every active member; for a
    group or everyone, also save the standing rule that assigns it to whoever joins later, due joiner_due_in_days
    after they join (by default as many days as this due date is from today, at least one).

    People who already have the course assigned keep their assignment and due date: no duplicates.
    """
    course = learning.get_published_course_by_id(course_id)
    due = check_due_on(due_on)
    if joiner_due_in_days is None:
        joiner_due_in_days = max(1, (due - london_today()).days)
    members = select(User.id).where(members_of(org.id), User.is_active_account.is_(True))
    if user_id is not None:
        member = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
        source, target = AssignmentSource.MANUAL, f"user:{member.id}"
        members = members.where(User.id == user_id)
    elif group_id is not None:
        group = get_group(org, group_id)
        source, target = AssignmentSource.GROUP, f"group:{group.id}"
        members = members.where(User.id.in_(select(GroupMembership.user_id).where(GroupMembership.group_id == group.id)))
        put_assignment_rule(org, course.id, joiner_due_in_days, group=group, actor=actor)
    else:
        source, target = AssignmentSource.EVERYONE, f"organisation:{org.id}"
        put_assignment_rule(org, course.id, joiner_due_in_days, group=None, actor=actor)
    wanted = set(db.session.scalars(members))
    have = set(db.session.scalars(select(Assignment.user_id).where(
        Assignment.organisation_id == org.id, Assignment.course_id == course.id, Assignment.user_id.in_(members))))
    new = sorted(wanted - have)
    if new:
        now = now_utc()
        db.session.execute(insert(Assignment), [
            {"organisation_id": org.id, "user_id": uid, "course_id": course.id, "assigned_by_id": actor.id,
             "assigned_at": now, "due_on": due, "source": source.value} for uid in new
        ])
    record_event("assignment.created", actor=actor, organisation_id=org.id, target=target, course_id=course.id,
                 due_on=due.isoformat(), created=len(new), already=len(wanted & have))
    try:
        db.session.commit()
    except IntegrityError:  # another manager assigned the same people at the same moment
        db.session.rollback()
        raise Conflict("Someone else assigned this course at the same moment. Check the list and try again.") from None
    log.info("course %s assigned to %s people of organisation %s by user %s", course.id, len(new), org.id, actor.id)
    return AssignResult(created=len(new), already=len(wanted & have))


def get_assignment(org: Organisation, assignment_id: int) -> Assignment:
    return get_owned(Assignment, assignment_id, organisation=org,
                     missing="There is no assignment with this address in your organisation.")


def remove_assignment(org: Organisation, assignment_id: int, *, actor: User) -> None:
    """Withdraw an assignment; the person's progress and certificates stay."""
    assignment = get_assignment(org, assignment_id)
    record_event("assignment.removed", actor=actor, subject=assignment.user, organisation_id=org.id,
                 target=f"assignment:{assignment.id}", course_id=assignment.course_id)
    db.session.delete(assignment)
    db.session.commit()
