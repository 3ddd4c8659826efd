"""The people of an organisation: members joining (by invitation or email domain) and leaving, groups, and the
standing assignment rules (a course for everyone who joins, or who joins a group, due N days after joining).

Every reader and writer is scoped to one organisation the actor may manage; who may act on whom, and when
the answer is 404 or 403, is elearn/access.py's rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from elearn.access import MemberAction, get_member, get_owned, members_of
from elearn.audit import record_event
from elearn.auth.service import create_account, set_account_active
from elearn.clock import london_today, to_london
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import (
    Assignment,
    AssignmentSource,
    Group,
    GroupMembership,
    MemberKind,
    NewStarterRule,
    Organisation,
    OrganisationDomain,
    Placement,
    Role,
    User,
)
from elearn.network import service as network
from elearn.text_rules import GROUP_NAME_MAX, clean_text
from elearn.undo import read_undo, undo_token

log = logging.getLogger(__name__)

MAX_DUE_DAYS = 366 * 3  # a due date at most three years ahead: for assignments and new-starter rules alike
PEOPLE_PAGE_SIZE = 50
SEARCH_MAX = 120  # characters of a name or email search


# --- members -------------------------------------------------------------------------------


def get_group(org: Organisation, group_id: int) -> Group:
    """A group of this organisation, or NotFound."""
    return get_owned(Group, group_id, organisation=org, missing="There is no group with this address in your organisation.")


# --- people --------------------------------------------------------------------------------


def join_organisation(user: User, org: Organisation, *, group: Group | None = None,
                      courses: Iterable[tuple[int, int]] = (), kind: MemberKind = MemberKind.STAFF) -> None:
    """Make the user a member (flush only): note when they joined and as what, add the group and apply the standing
    rules for everyone and for their groups, with these (course id, days) of their invitation."""
    user.organisation_id = org.id
    user.joined_organisation_at = now_utc()
    user.member_kind = kind
    db.session.flush()
    if group is not None:
        add_to_group(user, group)
    apply_assignment_rules(user, org, invited=courses)
    network.apply_requirements(org, [user.id])


def join_as_placement(user: User, org: Organisation, *, kind: MemberKind, group: Group | None = None,
                      courses: Iterable[tuple[int, int]] = (), by_id: int | None = None) -> Placement:
    """Someone whose account belongs to another organisation starts working at this setting too (flush only): one
    account, a placement here (restarted if an earlier one ended), the group and the standing rules counted from
    today. Their home organisation, name and role stay as they are."""
    today = london_today()
    placement = network.start_placement(user, org, kind, today, by_id=by_id)
    if group is not None:
        add_to_group(user, group)
    apply_assignment_rules(user, org, joined_on=today, invited=courses)
    network.apply_requirements(org, [user.id])
    return placement


def sign_up(display_name: str, email: str, password: str) -> User:
    """Self-registration: create the account and, when its email's domain belongs to an organisation that lets
    people join that way, make them a member (with its new-starter courses); one commit."""
    user = create_account(display_name, email, password)
    join_organisation_by_domain(user)
    db.session.commit()
    log.info("user %s signed up", user.id)
    return user


def join_organisation_by_domain(user: User) -> Organisation | None:
    """On self-registration: join the organisation that owns the email's domain and allows it (flush only)."""
    if user.organisation_id is not None or user.role != Role.LEARNER:
        return None
    domain = user.email.rpartition("@")[2].lower()
    org = db.session.scalar(
        select(Organisation).join(OrganisationDomain, OrganisationDomain.organisation_id == Organisation.id)
        .where(OrganisationDomain.domain == domain, Organisation.allow_domain_signup.is_(True))
    )
    if org is None:
        return None
    db.session.flush()  # the new user needs an id
    join_organisation(user, org)
    record_event("organisation.joined_by_domain", actor=user, subject=user, organisation_id=org.id)
    log.info("user %s joined organisation %s by email domain", user.id, org.id)
    return org


def add_to_group(user: User, group: Group) -> bool:
    """Add a member to a group once (flush only); True when they were not in it. Rules are the caller's to apply."""
    exists = db.session.scalar(
        select(GroupMembership.id).where(GroupMembership.group_id == group.id, GroupMembership.user_id == user.id)
    )
    if exists is None:
        db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
        db.session.flush()
    return exists is None


@dataclass(frozen=True)
class PeoplePage:
    """One page of an organisation's active members, by name, with each one's groups."""

    members: list[User]
    groups: dict[int, list[str]]
    total: int
    page: int
    pages: int
    q: str
    kind: str | None = None
    kinds: dict[int, str] = field(default_factory=dict)  # each member's kind here (network.kinds_at)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_members(org: Organisation, q: str = "", page: int = 1, kind: str | None = None) -> PeoplePage:
    """The organisation's active members whose name or email contains `q` (and who are this kind of member here,
    given one), a page at a time; three queries at any size."""
    q = (q or "").strip()[:SEARCH_MAX]
    kind = kind if kind in set(MemberKind) else None
    matching = select(User.id).where(members_of(org.id, kind), User.is_active_account.is_(True),
                                     User.anonymised_at.is_(None))
    if q:
        pattern = _like(q.lower())
        matching = matching.where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                                      func.lower(User.email).like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, -(-total // PEOPLE_PAGE_SIZE))
    page = min(max(page, 1), pages)
    members = list(db.session.scalars(select(User).where(User.id.in_(matching)).order_by(func.lower(User.display_name), User.id)
                                      .limit(PEOPLE_PAGE_SIZE).offset((page - 1) * PEOPLE_PAGE_SIZE)))
    groups: dict[int, list[str]] = {member.id: [] for member in members}
    if members:
        for user_id, name in db.session.execute(
                select(GroupMembership.user_id, Group.name).join(Group, Group.id == GroupMembership.group_id)
                .where(GroupMembership.user_id.in_(groups), Group.organisation_id == org.id).order_by(Group.name)):
            groups[user_id].append(name)
    return PeoplePage(members, groups, total, page, pages, q, kind, network.kinds_at(org, members))


def get_member_to_deactivate(org: Organisation, user_id: int, *, actor: User) -> User:
    """The member the confirm page names: 404 outside the organisation, 403 when the actor may not deactivate them."""
    return get_member(user_id, MemberAction.SET_ACTIVE, actor=actor, organisation=org)


def deactivate_member(org: Organisation, user_id: int, *, actor: User) -> str:
    """Deactivate a leaver (records and certificates stay); return the token that undoes it for 10 minutes."""
    user = set_active(org, user_id, False, actor=actor)
    return undo_token("member.deactivated", org.id, {"user_id": user.id})


def undo_deactivation(org: Organisation, token: str, *, actor: User) -> User:
    """Reactivate the member a recent deactivation named (audited as a reactivation), within the undo window."""
    data = read_undo(token, kind="member.deactivated", organisation_id=org.id)
    return set_active(org, int(data["user_id"]), True, actor=actor)


def set_active(org: Organisation, user_id: int, active: bool, *, actor: User) -> User:
    """Deactivate a leaver (they can no longer log in; records and certificates stay) or reactivate them."""
    user = get_member(user_id, MemberAction.SET_ACTIVE, actor=actor, organisation=org)
    return set_account_active(user, active, actor=actor, event="member", organisation_id=org.id)


def set_member_groups(org: Organisation, user_id: int, group_ids: list[int], *, actor: User) -> User:
    """Replace a member's groups with these groups of the organisation."""
    user = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    wanted = list(dict.fromkeys(group_ids))
    groups = list(db.session.scalars(select(Group).where(Group.id.in_(wanted), Group.organisation_id == org.id)))
    if len(groups) != len(wanted):  # one query for all of them; any id that is not this organisation's is a 404
        raise NotFound("There is no group with this address in your organisation.")
    had = set(db.session.scalars(select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)))
    db.session.execute(delete(GroupMembership).where(
        GroupMembership.user_id == user.id,
        GroupMembership.group_id.in_(select(Group.id).where(Group.organisation_id == org.id)),
    ))
    for group in groups:
        db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
    db.session.flush()
    joined = [g.id for g in groups if g.id not in had]
    if joined and user.is_active_account:  # joining a group brings its standing assignments, due from today
        apply_assignment_rules(user, org, group_ids=joined, joined_on=london_today())
    record_event("member.groups_changed", actor=actor, subject=user, organisation_id=org.id,
                 target=f"user:{user.id}", group_ids=[g.id for g in groups])
    db.session.commit()
    return user


def change_member_groups(org: Organisation, user_id: int, group_ids: list[int], *, actor: User) -> str | None:
    """Replace a member's groups; when that takes them out of any group, return the token that puts them back."""
    user = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    before = sorted(db.session.scalars(select(GroupMembership.group_id).join(Group, Group.id == GroupMembership.group_id)
                                       .where(GroupMembership.user_id == user.id, Group.organisation_id == org.id)))
    set_member_groups(org, user.id, group_ids, actor=actor)
    if set(before) <= set(group_ids):
        return None
    return undo_token("member.groups_changed", org.id, {"user_id": user.id, "group_ids": before})


def undo_group_change(org: Organisation, token: str, *, actor: User) -> User:
    """Put a member back in the groups they had before a recent change (those groups that still exist)."""
    data = read_undo(token, kind="member.groups_changed", organisation_id=org.id)
    wanted = [int(i) for i in data["group_ids"]]
    still = list(db.session.scalars(select(Group.id).where(Group.id.in_(wanted), Group.organisation_id == org.id)))
    return set_member_groups(org, int(data["user_id"]), still, actor=actor)


def list_leavers(org: Organisation) -> list[User]:
    """Deactivated members, by name: their records stay available. A deleted account is no one's to open
    (elearn/access.py), so it is not listed."""
    return list(db.session.scalars(select(User).where(
        User.organisation_id == org.id, User.is_active_account.is_(False), User.anonymised_at.is_(None))
        .order_by(User.display_name, User.id)))


# --- groups --------------------------------------------------------------------------------


def group_sizes(org: Organisation) -> list[tuple[Group, int]]:
    """Each group with its number of active members; one query."""
    rows = db.session.execute(
        select(Group, func.count(User.id))
        .outerjoin(GroupMembership, GroupMembership.group_id == Group.id)
        .outerjoin(User, (User.id == GroupMembership.user_id) & User.is_active_account.is_(True))
        .where(Group.organisation_id == org.id).group_by(Group.id).order_by(Group.name)
    )
    return [(group, count) for group, count in rows]


def list_groups(org: Organisation) -> list[Group]:
    return list(db.session.scalars(select(Group).where(Group.organisation_id == org.id).order_by(Group.name)))


def create_group(org: Organisation, name: str, *, actor: User) -> Group:
    """Create a group under the free-text rule; names are unique within the organisation, in any letter case."""
    group = create_group_flush(org, name)
    record_event("group.created", actor=actor, organisation_id=org.id, target=f"group:{group.id}")
    db.session.commit()
    return group


def create_group_flush(org: Organisation, name: str) -> Group:
    """Add a group with a name no other group of the organisation has (flush only); InvalidInput otherwise."""
    name = clean_text(name, field="name", max_length=GROUP_NAME_MAX, required="Enter a name for the group.")
    if find_group_by_name(org, name) is not None:
        raise InvalidInput("name", "There is already a group with this name.")
    group = Group(organisation_id=org.id, name=name)
    db.session.add(group)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput("name", "There is already a group with this name.") from None
    return group


def find_group_by_name(org: Organisation, name: str) -> Group | None:
    return db.session.scalar(
        select(Group).where(Group.organisation_id == org.id, func.lower(Group.name) == name.strip().lower())
    )


def delete_group(org: Organisation, group_id: int, *, actor: User) -> str:
    """Delete a group and its memberships (the people and their records stay); return the token that undoes it."""
    group = get_group(org, group_id)
    name = group.name
    member_ids = sorted(db.session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group.id)))
    db.session.execute(delete(GroupMembership).where(GroupMembership.group_id == group.id))
    db.session.delete(group)
    record_event("group.deleted", actor=actor, organisation_id=org.id, target=f"group:{group_id}", members=len(member_ids))
    db.session.commit()
    return undo_token("group.deleted", org.id, {"name": name, "user_ids": member_ids})


def undo_delete_group(org: Organisation, token: str, *, actor: User) -> Group:
    """Bring a recently deleted group back under its name, with those of its members still in the organisation."""
    data = read_undo(token, kind="group.deleted", organisation_id=org.id)
    group = create_group_flush(org, str(data["name"]))
    still_here = db.session.scalars(select(User.id).where(User.id.in_([int(i) for i in data["user_ids"]]),
                                                          members_of(org.id)))
    db.session.add_all(GroupMembership(group_id=group.id, user_id=user_id) for user_id in still_here)
    record_event("group.restored", actor=actor, organisation_id=org.id, target=f"group:{group.id}")
    db.session.commit()
    return group


# --- standing assignment rules -------------------------------------------------------------


def list_new_starter_rules(org: Organisation) -> list[NewStarterRule]:
    """The organisation's standing rules: for everyone first, then by group; one query."""
    return list(db.session.scalars(
        select(NewStarterRule).options(joinedload(NewStarterRule.course), joinedload(NewStarterRule.group))
        .where(NewStarterRule.organisation_id == org.id)
        .order_by(NewStarterRule.group_id.is_not(None), NewStarterRule.group_id, NewStarterRule.id)))


def check_due_on(due_on: date | None) -> date:
    """A due date for training or a document to read: given, not past, at most three years ahead."""
    today = london_today()
    if due_on is None:
        raise InvalidInput("due_on", "Enter the date the training is due.")
    if due_on < today:
        raise InvalidInput("due_on", "The due date cannot be in the past.")
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise InvalidInput("due_on", "Choose a due date within three years.")
    return due_on


def check_due_in_days(due_in_days: int | None, field: str = "due_in_days") -> int:
    if due_in_days is None or not 1 <= due_in_days <= MAX_DUE_DAYS:
        raise InvalidInput(field, f"Enter a number of days from 1 to {MAX_DUE_DAYS}.")
    return due_in_days


def put_assignment_rule(org: Organisation, course_id: int, due_in_days: int, *, group: Group | None,
                        actor: User) -> NewStarterRule:
    """Save the standing rule for a course and audience (a group, or everyone when None), or update its number of
    days (flush only): whoever joins later is assigned the course, due that many days after joining."""
    due_in_days = check_due_in_days(due_in_days)
    audience = NewStarterRule.group_id == group.id if group is not None else NewStarterRule.group_id.is_(None)
    rule = db.session.scalar(select(NewStarterRule).where(
        NewStarterRule.organisation_id == org.id, NewStarterRule.course_id == course_id, audience))
    if rule is None:
        rule = NewStarterRule(organisation_id=org.id, course_id=course_id, group_id=group.id if group else None,
                              created_by_id=actor.id)
        db.session.add(rule)
    rule.due_in_days, rule.is_active = due_in_days, True
    db.session.flush()
    record_event("new_starter_rule.saved", actor=actor, organisation_id=org.id, target=f"new_starter_rule:{rule.id}",
                 course_id=course_id, group_id=group.id if group else None, due_in_days=due_in_days)
    return rule


def save_new_starter_rule(org: Organisation, course_id: int, due_in_days: int, *, actor: User,
                          group_id: int | None = None) -> NewStarterRule:
    """Assign a course to every future member (or every future member of a group), due N days after they join
    (one rule per course and audience; saving again updates it)."""
    course = learning.get_published_course_by_id(course_id)
    group = get_group(org, group_id) if group_id is not None else None
    rule = put_assignment_rule(org, course.id, due_in_days, group=group, actor=actor)
    db.session.commit()
    return rule


def get_new_starter_rule(org: Organisation, rule_id: int) -> NewStarterRule:
    """A standing rule of this organisation, or NotFound."""
    return get_owned(NewStarterRule, rule_id, organisation=org, missing="There is no such rule in your organisation.")


def delete_new_starter_rule(org: Organisation, rule_id: int, *, actor: User) -> str:
    """Stop assigning a course to people who join later (assignments already made stay); return the token that
    undoes it."""
    rule = get_new_starter_rule(org, rule_id)
    kept = {"course_id": rule.course_id, "due_in_days": rule.due_in_days, "group_id": rule.group_id}
    record_event("new_starter_rule.deleted", actor=actor, organisation_id=org.id, target=f"new_starter_rule:{rule.id}")
    db.session.delete(rule)
    db.session.commit()
    return undo_token("new_starter_rule.deleted", org.id, kept)


def undo_delete_new_starter_rule(org: Organisation, token: str, *, actor: User) -> NewStarterRule:
    """Bring back a recently removed standing rule: the same course, audience and number of days (audited as saved)."""
    data = read_undo(token, kind="new_starter_rule.deleted", organisation_id=org.id)
    group_id = data.get("group_id")
    return save_new_starter_rule(org, int(data["course_id"]), int(data["due_in_days"]), actor=actor,
                                 group_id=int(group_id) if group_id is not None else None)


def apply_assignment_rules(user: User, org: Organisation, *, group_ids: Iterable[int] | None = None,
                           joined_on: date | None = None, invited: Iterable[tuple[int, int]] = ()) -> int:
    """Assign a member the courses of the standing rules that reach them, due N days after joining (flush only).

    Without group_ids (joining the organisation): the rules for everyone and for every group they are in, counted
    from the day they joined. With group_ids (joining groups later): those groups' rules, counted from joined_on.
    """
    if joined_on is None:
        joined_on = to_london(user.joined_organisation_at or now_utc()).date()
    audience: ColumnElement[bool]
    if group_ids is None:
        mine = select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)
        audience = NewStarterRule.group_id.is_(None) | NewStarterRule.group_id.in_(mine)
    else:
        audience = NewStarterRule.group_id.in_(list(group_ids))
    rules = db.session.scalars(select(NewStarterRule).where(
        NewStarterRule.organisation_id == org.id, NewStarterRule.is_active.is_(True), audience)
        .order_by(NewStarterRule.due_in_days))
    courses = [(rule.course_id, rule.due_in_days, AssignmentSource.NEW_STARTER) for rule in rules]
    courses += [(course_id, days, AssignmentSource.INVITATION) for course_id, days in invited]
    return _assign_on_joining(user, org, courses, joined_on=joined_on)


def _assign_on_joining(user: User, org: Organisation, courses: list[tuple[int, int, AssignmentSource]], *,
                       joined_on: date) -> int:
    """Assign these (course id, days, source) to a member, due that many days after joined_on; a course they already
    have keeps its due date, and of several rules for one course the soonest due wins (flush only)."""
    have = set(db.session.scalars(select(Assignment.course_id).where(
        Assignment.organisation_id == org.id, Assignment.user_id == user.id)))
    made = 0
    for course_id, due_in_days, source in sorted(courses, key=lambda item: item[1]):
        if course_id in have:
            continue
        have.add(course_id)
        db.session.add(Assignment(organisation_id=org.id, user_id=user.id, course_id=course_id,
                                  due_on=joined_on + timedelta(days=due_in_days), source=source))
        made += 1
    db.session.flush()
    return made
