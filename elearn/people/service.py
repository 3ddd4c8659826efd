"""The people of an organisation: members joining (by invitation or email domain) and leaving, groups, new-starter rules.

Every reader and writer is scoped to one organisation the actor may manage; who may act on whom, and when
the answer is 404 or 403, is elearn/access.py's rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from elearn.access import MemberAction, get_member, get_owned
from elearn.audit import record_event
from elearn.auth.service import create_account, set_account_active
from elearn.clock import to_london
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import (
    Assignment,
    AssignmentSource,
    Group,
    GroupMembership,
    NewStarterRule,
    Organisation,
    OrganisationDomain,
    Role,
    User,
)
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


def join_organisation(user: User, org: Organisation, *, group: Group | None = None) -> None:
    """Make the user a member (flush only): note when they joined, add the group and apply new-starter rules."""
    user.organisation_id = org.id
    user.joined_organisation_at = now_utc()
    db.session.flush()
    if group is not None:
        add_to_group(user, group)
    apply_new_starter_rules(user, org)


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


def add_to_group(user: User, group: Group) -> None:
    """Add a member to a group once (flush only)."""
    exists = db.session.scalar(
        select(GroupMembership.id).where(GroupMembership.group_id == group.id, GroupMembership.user_id == user.id)
    )
    if exists is None:
        db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
        db.session.flush()


@dataclass(frozen=True)
class PeoplePage:
    """One page of an organisation's active members, by name, with each one's groups."""

    members: list[User]
    groups: dict[int, list[str]]
    total: int
    page: int
    pages: int
    q: str


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_members(org: Organisation, q: str = "", page: int = 1) -> PeoplePage:
    """The organisation's active members whose name or email contains `q`, a page at a time; three queries at any size."""
    q = (q or "").strip()[:SEARCH_MAX]
    matching = select(User.id).where(User.organisation_id == org.id, User.is_active_account.is_(True),
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
    return PeoplePage(members, groups, total, page, pages, q)


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
    db.session.execute(delete(GroupMembership).where(
        GroupMembership.user_id == user.id,
        GroupMembership.group_id.in_(select(Group.id).where(Group.organisation_id == org.id)),
    ))
    for group in groups:
        db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
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
                                                          User.organisation_id == org.id))
    db.session.add_all(GroupMembership(group_id=group.id, user_id=user_id) for user_id in still_here)
    record_event("group.restored", actor=actor, organisation_id=org.id, target=f"group:{group.id}")
    db.session.commit()
    return group


# --- new-starter rules ---------------------------------------------------------------------


def list_new_starter_rules(org: Organisation) -> list[NewStarterRule]:
    return list(db.session.scalars(
        select(NewStarterRule).options(joinedload(NewStarterRule.course)).where(NewStarterRule.organisation_id == org.id).order_by(NewStarterRule.id)))


def save_new_starter_rule(org: Organisation, course_id: int, due_in_days: int, *, actor: User) -> NewStarterRule:
    """Assign a course to every future member, due N days after they join (one rule per course; saving again updates it)."""
    course = learning.get_published_course_by_id(course_id)
    if not 1 <= due_in_days <= MAX_DUE_DAYS:
        raise InvalidInput("due_in_days", f"Enter a number of days from 1 to {MAX_DUE_DAYS}.")
    rule = db.session.scalar(select(NewStarterRule).where(
        NewStarterRule.organisation_id == org.id, NewStarterRule.course_id == course.id))
    if rule is None:
        rule = NewStarterRule(organisation_id=org.id, course_id=course.id, created_by_id=actor.id)
        db.session.add(rule)
    rule.due_in_days, rule.is_active = due_in_days, True
    db.session.flush()
    record_event("new_starter_rule.saved", actor=actor, organisation_id=org.id, target=f"new_starter_rule:{rule.id}",
                 course_id=course.id, due_in_days=due_in_days)
    db.session.commit()
    return rule


def get_new_starter_rule(org: Organisation, rule_id: int) -> NewStarterRule:
    """A new-starter rule of this organisation, or NotFound."""
    return get_owned(NewStarterRule, rule_id, organisation=org, missing="There is no such rule in your organisation.")


def delete_new_starter_rule(org: Organisation, rule_id: int, *, actor: User) -> str:
    """Stop assigning a course to new members (assignments already made stay); return the token that undoes it."""
    rule = get_new_starter_rule(org, rule_id)
    kept = {"course_id": rule.course_id, "due_in_days": rule.due_in_days}
    record_event("new_starter_rule.deleted", actor=actor, organisation_id=org.id, target=f"new_starter_rule:{rule.id}")
    db.session.delete(rule)
    db.session.commit()
    return undo_token("new_starter_rule.deleted", org.id, kept)


def undo_delete_new_starter_rule(org: Organisation, token: str, *, actor: User) -> NewStarterRule:
    """Bring back a recently removed new-starter rule: the same course and number of days (audited as saved)."""
    data = read_undo(token, kind="new_starter_rule.deleted", organisation_id=org.id)
    return save_new_starter_rule(org, int(data["course_id"]), int(data["due_in_days"]), actor=actor)


def apply_new_starter_rules(user: User, org: Organisation) -> int:
    """Assign the organisation's induction courses to a new member, due N days after joining (flush only)."""
    joined = (user.joined_organisation_at or now_utc())

    joined_on = to_london(joined).date()
    rules = db.session.scalars(select(NewStarterRule).where(
        NewStarterRule.organisation_id == org.id, NewStarterRule.is_active.is_(True)))
    have = set(db.session.scalars(select(Assignment.course_id).where(
        Assignment.organisation_id == org.id, Assignment.user_id == user.id)))
    made = 0
    for rule in rules:
        if rule.course_id in have:
            continue
        db.session.add(Assignment(organisation_id=org.id, user_id=user.id, course_id=rule.course_id,
                                  due_on=joined_on + timedelta(days=rule.due_in_days), source=AssignmentSource.NEW_STARTER))
        made += 1
    db.session.flush()
    return made
