"""Who may do what: the one access policy every feature asks, and the one place that says 404 or 403.

The questions, one answer each:

- Is the actor an admin (`is_admin`)? Do they manage this organisation (`is_manager_of`)? A manager manages
  their own organisation; an admin counts as a manager of every organisation, because the manager area lets an
  admin manage whichever organisation they choose (`?org=`).
- May the actor use this area of the site at all (`may_enter`, `enter_area`, `area_required`, `require_admin`)?
  /manage is for managers and admins, /admin for admins.
- May the actor act on this member, for this action (`may_act_on`, `check_may_act_on`, `get_member`)? One
  table, `GRANTS`, below.
- Is this row the organisation's (`get_owned`), or the actor's own (`get_own`, `require_own`)?

404 or 403, the same everywhere (docs/ARCHITECTURE.md, "Rules that cut across"):

1. Nobody signed in: the sign-in page (a redirect), whatever the page.
2. A signed-in person whose role cannot use a whole area (a learner on /manage, a manager on /admin, anyone but
   an admin calling an admin-only service): 403, saying whom the area is for. The area is no secret.
3. An object asked for by id (a person, certificate, attempt, group, invitation, contact, training record,
   organisation) that does not exist, that the actor may not see, or that is a deleted account: 404, never
   403, so that nobody can probe what exists in another organisation or another person's account.
4. An action the actor may not take on an object they can see (a manager deactivating a fellow manager of
   their own organisation, anyone deactivating themselves): 403, with the reason.

This module sits below the features: it reads the models and raises elearn.errors, and imports no feature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, event, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from elearn.clock import london_today
from elearn.db import Base
from elearn.errors import NotAllowed, NotFound
from elearn.extensions import db, login_manager
from elearn.models import (
    Duty,
    MemberDuty,
    Organisation,
    OrganisationKind,
    PartnershipMember,
    Placement,
    Role,
    User,
)

Row = TypeVar("Row", bound=Base)
F = TypeVar("F", bound=Callable[..., Any])


# --- roles and areas ---------------------------------------------------------------------------


def is_admin(actor: User) -> bool:
    """A platform administrator."""
    return actor.role == Role.ADMIN


def is_manager_of(actor: User, organisation_id: int | None) -> bool:
    """A manager of this organisation, or an admin (who may manage any organisation they choose), or the lead of
    the trust that owns this setting (the trust employs its staff, so its lead manages them as the school does)."""
    if organisation_id is None or actor.role not in (Role.MANAGER, Role.ADMIN):
        return False
    if is_admin(actor) or actor.organisation_id == organisation_id:
        return True
    return is_trust_lead(actor) and _trust_of(organisation_id) == actor.organisation_id


def is_own_manager_of(actor: User, organisation_id: int | None) -> bool:
    """A manager whose own organisation this is, or an admin: not the trust above it. For what an organisation
    decides or signs for itself (its audit return, its descriptors), which its trust may read but not do."""
    return organisation_id is not None and (is_admin(actor) or (actor.role == Role.MANAGER
                                                                and actor.organisation_id == organisation_id))


def _trust_of(organisation_id: int) -> int | None:
    """The trust owning this organisation (the session's identity map answers a repeated question)."""
    organisation = db.session.get(Organisation, organisation_id)
    return organisation.trust_id if organisation is not None else None


class Area(StrEnum):
    """A part of the site meant for some roles only."""

    MANAGE = "manage"  # /manage: one organisation's people, training and reports
    ADMIN = "admin"  # /admin: the whole platform


AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.MANAGE: frozenset({Role.MANAGER, Role.ADMIN}),
    Area.ADMIN: frozenset({Role.ADMIN}),
}
AREA_REFUSALS: dict[Area, str] = {
    Area.MANAGE: "These pages are for managers and administrators.",
    Area.ADMIN: "These pages are for administrators.",
}


def may_enter(actor: User, area: Area) -> bool:
    """Whether the actor's role may use this area."""
    return actor.role in AREA_ROLES[area]


def require_area(actor: User, area: Area) -> None:
    """NotAllowed (403) unless the actor's role may use this area: the area is no secret, so say whom it is for."""
    if not may_enter(actor, area):
        raise NotAllowed(AREA_REFUSALS[area])


def require_admin(actor: User, reason: str = "Only an administrator can do this.") -> None:
    """NotAllowed (403) for anyone but an admin: every admin-only service and page answers the same."""
    if not is_admin(actor):
        raise NotAllowed(reason)


def enter_area(area: Area) -> ResponseReturnValue | None:
    """For a before_request hook: nobody signed in → the sign-in page; a role the area is not for → 403; else None."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    require_area(current_user, area)
    return None


def area_required(area: Area) -> Callable[[F], F]:
    """A view of this area, on a blueprint that is not all of it: the rule of enter_area, for one route."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refused = enter_area(area)
            return refused if refused is not None else view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- acting on a member ------------------------------------------------------------------------


class MemberAction(StrEnum):
    """What one person may do to another (or to themselves)."""

    VIEW = "view"  # see their record, attempts and certificates; download their certificates
    MANAGE = "manage"  # assign them courses, put them in groups, record their training from elsewhere
    RENAME = "rename"  # correct the name their certificates print
    SET_ACTIVE = "set_active"  # deactivate a leaver, or reactivate them
    SET_ROLE = "set_role"  # make them a learner, a manager or an admin
    MOVE = "move"  # move them to another organisation, or to none
    PERSONAL_DATA = "personal_data"  # export or delete their personal data (UK GDPR)
    GRANT_ATTEMPT = "grant_attempt"  # lift a course's daily attempt limit for them, for one more attempt


class Standing(StrEnum):
    """How the actor stands to the member; more than one can hold (a manager is a member of their organisation)."""

    SELF = "self"
    ADMIN = "admin"  # any admin, towards anyone
    MANAGER_OF_LEARNER = "manager of a learner"  # a manager, towards a learner of their own organisation
    MANAGER_OF_PEER = "manager of a peer"  # a manager, towards a manager or admin of their own organisation
    # A manager of a setting where the member currently works on a placement (a peripatetic teacher, a governor
    # from elsewhere): the setting trains them, but their account is their home organisation's.
    MANAGER_WHERE_PLACED = "manager where placed"


A = MemberAction  # short, for the table
# The rule. An action is allowed when a standing that holds grants it, except the actions nobody takes on
# themselves; a deleted account is never a target, and a deactivated or deleted account acts on no one.
GRANTS: dict[Standing, frozenset[MemberAction]] = {
    Standing.SELF: frozenset({A.VIEW, A.RENAME, A.PERSONAL_DATA}),
    # Not PERSONAL_DATA: exporting or deleting someone's data is their own right, through their own account.
    Standing.ADMIN: frozenset({A.VIEW, A.MANAGE, A.RENAME, A.SET_ACTIVE, A.SET_ROLE, A.MOVE, A.GRANT_ATTEMPT}),
    Standing.MANAGER_OF_LEARNER: frozenset({A.VIEW, A.MANAGE, A.RENAME, A.SET_ACTIVE, A.GRANT_ATTEMPT}),
    # A fellow manager's name and account are the admin's job, not a peer's.
    Standing.MANAGER_OF_PEER: frozenset({A.VIEW, A.MANAGE}),
    # Assign and record their training here; their name, account and role are their home organisation's job.
    Standing.MANAGER_WHERE_PLACED: frozenset({A.VIEW, A.MANAGE}),
}
# So that the last admin cannot lock everyone out, nobody ends their own access by a slip, and nobody lifts
# the attempt limit of their own assessment.
NEVER_ON_ONESELF: frozenset[MemberAction] = frozenset({A.SET_ACTIVE, A.SET_ROLE, A.GRANT_ATTEMPT})

# Why a person one can see is refused (not seeing them at all is a 404, which says nothing).
REFUSALS: dict[MemberAction, str] = {
    A.MANAGE: "Only a manager of their organisation or an administrator can do this.",
    A.RENAME: "Only an administrator can correct a manager's name.",
    A.SET_ACTIVE: "Only an administrator can deactivate or reactivate a manager.",
    A.SET_ROLE: "Only an administrator can change someone's role.",
    A.MOVE: "Only an administrator can move someone to another organisation.",
    A.PERSONAL_DATA: "Only the person themselves can export or delete their personal data.",
    A.GRANT_ATTEMPT: "Only a manager of their organisation or an administrator can allow another attempt.",
}
REFUSALS_ON_ONESELF: dict[MemberAction, str] = {
    A.SET_ACTIVE: "You cannot deactivate or reactivate your own account. Ask an administrator.",
    A.SET_ROLE: "You cannot change your own role. Ask another administrator.",
    A.GRANT_ATTEMPT: "You cannot allow yourself another attempt. Ask a manager or an administrator.",
}
REFUSAL_WHERE_PLACED = ("This person works here on a placement: their name, account and role are managed by their "
                        "own organisation.")
NOT_FOUND = "There is no one with this address."
NOT_FOUND_IN_ORGANISATION = "There is no one with this address in your organisation."


def is_deleted(user: User) -> bool:
    """An account whose personal data has been removed (deleted by its owner, or a leaver past retention)."""
    return user.anonymised_at is not None


def standings(actor: User, member: User) -> set[Standing]:
    """Every way the actor stands to the member."""
    held: set[Standing] = set()
    if actor.id == member.id:
        held.add(Standing.SELF)
    if is_admin(actor):
        held.add(Standing.ADMIN)
    elif actor.role == Role.MANAGER and is_manager_of(actor, member.organisation_id):
        held.add(Standing.MANAGER_OF_LEARNER if member.role == Role.LEARNER else Standing.MANAGER_OF_PEER)
    elif actor.role == Role.MANAGER and _is_placed_where_actor_manages(actor, member):
        held.add(Standing.MANAGER_WHERE_PLACED)
    return held


def _is_placed_where_actor_manages(actor: User, member: User) -> bool:
    """Whether the member has a current placement at a setting the actor manages (their own, or their trust's)."""
    if actor.organisation_id is None:
        return False
    managed = (trust_setting_ids(actor.organisation_id) if is_trust_lead(actor)
               else select(Organisation.id).where(Organisation.id == actor.organisation_id))
    return db.session.scalar(select(Placement.id).where(
        Placement.user_id == member.id, Placement.organisation_id.in_(managed), placement_is_current())) is not None


def may_act_on(actor: User, member: User, action: MemberAction) -> bool:
    """Whether the actor may take this action on the member: the table GRANTS, for everyone, everywhere."""
    if is_deleted(member) or is_deleted(actor) or not actor.is_active_account:
        return False
    if action in NEVER_ON_ONESELF and actor.id == member.id:
        return False
    return any(action in GRANTS[standing] for standing in standings(actor, member))


def check_may_act_on(actor: User, member: User, action: MemberAction, *, missing: str = NOT_FOUND) -> None:
    """Nothing when allowed; NotFound(missing) when the actor may not even see the member (or the account is
    deleted); NotAllowed with the reason when they may see the member but not take this action."""
    if may_act_on(actor, member, action):
        return
    if action == A.VIEW or not may_act_on(actor, member, A.VIEW):
        # 404, not 403: do not confirm that the person exists
        raise NotFound(missing)
    if actor.id == member.id and action in NEVER_ON_ONESELF:
        raise NotAllowed(REFUSALS_ON_ONESELF[action])
    if Standing.MANAGER_WHERE_PLACED in standings(actor, member):
        raise NotAllowed(REFUSAL_WHERE_PLACED)
    raise NotAllowed(REFUSALS[action])


def get_member(user_id: int, action: MemberAction, *, actor: User, organisation: Organisation | None = None,
               options: Sequence[ORMOption] = ()) -> User:
    """The person with this id, when the actor may take this action on them (check_may_act_on's 404 or 403).

    With `organisation` (the one a manager page is managing), a person who is not one of its members (home or
    current placement, members_of) is not found either, for an admin too: a page of one organisation never
    reaches into another.
    """
    missing = NOT_FOUND if organisation is None else NOT_FOUND_IN_ORGANISATION
    # With loader options, a SELECT even when the session holds the row already, so that the options apply.
    member = (db.session.scalar(select(User).options(*options).where(User.id == user_id)) if options
              else db.session.get(User, user_id))
    if member is None or (organisation is not None and not is_member_of(member, organisation.id)):
        raise NotFound(missing)
    check_may_act_on(actor, member, action, missing=missing)
    return member


def get_members(user_ids: Sequence[int], action: MemberAction, *, actor: User,
                organisation: Organisation) -> list[User]:
    """Several people of one organisation at once (one query), each checked as get_member checks one; in id order."""
    members = list(db.session.scalars(select(User).where(User.id.in_(user_ids), members_of(organisation.id))
                                      .order_by(User.id)))
    if len(members) != len(set(user_ids)):
        raise NotFound(NOT_FOUND_IN_ORGANISATION)
    for member in members:
        check_may_act_on(actor, member, action, missing=NOT_FOUND_IN_ORGANISATION)
    return members


# --- rows owned by an organisation or by a person ----------------------------------------------


def get_owned(model: type[Row], row_id: int, *, organisation: Organisation, missing: str) -> Row:
    """The row of `model` with this id if `organisation` owns it (its organisation_id), else NotFound(missing).

    Another organisation's id gets the same 404 as an id that does not exist, so a manager cannot learn what
    other organisations hold.
    """
    row = db.session.get(model, row_id)
    if row is None or getattr(row, "organisation_id", None) != organisation.id:
        raise NotFound(missing)
    return row


def require_own(row: Base, *, actor: User, missing: str) -> None:
    """NotFound(missing) unless the row (an enrolment, an attempt) is the actor's own (its user_id)."""
    if getattr(row, "user_id", None) != actor.id:
        # 404, not 403: do not confirm that another person's row exists
        raise NotFound(missing)


def get_own(model: type[Row], row_id: int, *, actor: User, missing: str, options: Sequence[ORMOption] = ()) -> Row:
    """The row of `model` with this id if it is the actor's own, else NotFound(missing)."""
    row = db.session.get(model, row_id, options=options)
    if row is None:
        raise NotFound(missing)
    require_own(row, actor=actor, missing=missing)
    return row


# --- who belongs to a setting, and the tier above it -------------------------------------------


def placement_is_current(today: Any = None) -> ColumnElement[bool]:
    """A WHERE clause on Placement: started today or earlier, and not ended or ending today or later (a placement
    starting next term does not make the person a member yet). `today` may be a bound parameter, for a statement
    built once per process and run on many days."""
    on = london_today() if today is None else today
    return and_(Placement.started_on <= on, or_(Placement.ended_on.is_(None), Placement.ended_on >= on))


def members_of(organisation_id: int, kind: str | None = None) -> ColumnElement[bool]:
    """A WHERE clause on User: the people of this organisation, whether it is their home organisation or they
    work there on a current placement (a peripatetic teacher, a governor from elsewhere). The one rule for
    "who is this setting's": every member list, matrix and count asks it. With a kind (MemberKind), only those
    who are that kind there: at home their member_kind, on a placement the placement's kind."""
    at_home = User.organisation_id == organisation_id
    if kind is not None:
        at_home = and_(at_home, User.member_kind == kind)
    if not _has_current_placements(organisation_id):
        # Most settings have nobody placed: the plain clause keeps the index plans of the reports (an OR with the
        # placements made PostgreSQL filter every user: 3x slower at 100,000 learners, bench/manage/RESULTS.md).
        return at_home
    placed_here = select(Placement.user_id).where(Placement.organisation_id == organisation_id, placement_is_current())
    if kind is not None:
        placed_here = placed_here.where(Placement.kind == kind)
    return or_(at_home, User.id.in_(placed_here))


def _has_current_placements(organisation_id: int) -> bool:
    """Whether anyone works at this organisation on a current placement: asked once per database session (one
    request) and organisation; a flush that adds, changes or removes a placement forgets the answers."""
    cache: dict[int, bool] = db.session.info.setdefault(_PLACEMENTS_AT, {})
    if organisation_id not in cache:
        cache[organisation_id] = db.session.scalar(select(Placement.id).where(
            Placement.organisation_id == organisation_id, placement_is_current()).limit(1)) is not None
    return cache[organisation_id]


_PLACEMENTS_AT = "elearn.placements_at"


@event.listens_for(Session, "after_flush")
def _forget_placements(session: Session, context: Any) -> None:
    if any(isinstance(row, Placement) for row in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_PLACEMENTS_AT, None)


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_commit")
def _forget_placements_at_transaction_end(session: Session) -> None:
    # A new transaction may see placements other sessions committed meanwhile.
    session.info.pop(_PLACEMENTS_AT, None)


def is_member_of(member: User, organisation_id: int) -> bool:
    """Whether this person is one of the organisation's people (members_of, for one person already loaded)."""
    if member.organisation_id == organisation_id:
        return True
    return db.session.scalar(select(Placement.id).where(Placement.user_id == member.id,
                                                        Placement.organisation_id == organisation_id,
                                                        placement_is_current())) is not None


def organisations_of(member: User) -> Any:
    """A subquery of the ids of the organisations this person belongs to: home and current placements (the other
    side of members_of), for what a person sees of the settings they work at."""
    return settings_worked_at(member.id, member.organisation_id)


def settings_worked_at(user_id: Any, home_id: Any, today: Any = None) -> Any:
    """organisations_of for a person given by their id and home organisation's id, which (with today) may be bound
    parameters: for a statement built once per process."""
    placed = select(Placement.organisation_id).where(Placement.user_id == user_id, placement_is_current(today))
    return select(Organisation.id).where(or_(Organisation.id == home_id, Organisation.id.in_(placed)))


def duty_settings(member: User, duty: Duty) -> Any:
    """A subquery of the ids of the settings where this person holds this duty and works now (organisations_of):
    a duty at a setting they have left, or no longer work at on a placement, gives them nothing there."""
    return settings_with_duty(member.id, member.organisation_id, duty)


def settings_with_duty(user_id: Any, home_id: Any, duty: Duty, today: Any = None) -> Any:
    """duty_settings for a person given by ids, which (with today) may be bound parameters."""
    held = select(MemberDuty.organisation_id).where(MemberDuty.user_id == user_id, MemberDuty.duty == duty)
    return select(Organisation.id).where(Organisation.kind == OrganisationKind.SETTING, Organisation.id.in_(held),
                                         Organisation.id.in_(settings_worked_at(user_id, home_id, today)))


class Oversight(StrEnum):
    """How far an actor sees into a setting."""

    PEOPLE = "people"  # down to the person: the setting's own managers, its trust's lead, an admin
    AGGREGATES = "aggregates"  # counts only, never a name, none under 5: a partnership the setting has joined


def trust_setting_ids(trust_id: int) -> Any:
    """A subquery of the ids of the settings a trust owns."""
    return select(Organisation.id).where(Organisation.trust_id == trust_id,
                                         Organisation.kind == OrganisationKind.SETTING)


def partnership_setting_ids(partnership_id: int) -> Any:
    """A subquery of the ids of the settings that have joined a partnership and not left (consent given)."""
    return select(PartnershipMember.organisation_id).where(PartnershipMember.partnership_id == partnership_id,
                                                         PartnershipMember.left_at.is_(None))


def _actor_organisation_kind(actor: User) -> OrganisationKind | None:
    return actor.organisation.kind if actor.organisation is not None else None


def is_trust_lead(actor: User) -> bool:
    """A manager whose own organisation is a trust: the trust's safeguarding lead (or one of its central team)."""
    return actor.role == Role.MANAGER and _actor_organisation_kind(actor) == OrganisationKind.TRUST


def is_partnership_viewer(actor: User) -> bool:
    """A manager whose own organisation is a safeguarding partnership."""
    return actor.role == Role.MANAGER and _actor_organisation_kind(actor) == OrganisationKind.PARTNERSHIP


def landing_endpoint(actor: User) -> str:
    """Where someone lands after signing in: a partnership's officer on its returns, another manager or an admin
    on the compliance dashboard, a learner on My learning."""
    if is_partnership_viewer(actor):
        return "partnerships.overview"
    return "compliance.dashboard" if may_enter(actor, Area.MANAGE) else "learning.dashboard"


def oversight_of(actor: User, setting: Organisation) -> Oversight | None:
    """How far the actor sees into this setting, or None: the one answer for every page above the setting."""
    if not actor.is_active_account or is_deleted(actor) or setting.kind != OrganisationKind.SETTING:
        return None
    if is_admin(actor) or is_manager_of(actor, setting.id):
        return Oversight.PEOPLE
    if is_trust_lead(actor) and setting.trust_id is not None and setting.trust_id == actor.organisation_id:
        return Oversight.PEOPLE
    if is_partnership_viewer(actor) and actor.organisation_id is not None and db.session.scalar(
            select(PartnershipMember.id).where(PartnershipMember.partnership_id == actor.organisation_id,
                                               PartnershipMember.organisation_id == setting.id,
                                               PartnershipMember.left_at.is_(None))) is not None:
        return Oversight.AGGREGATES
    return None


NOT_FOUND_SETTING = "There is no such school or setting among yours."


def get_overseen_setting(setting_id: int, needs: Oversight, *, actor: User) -> Organisation:
    """The setting with this id if the actor sees into it as far as `needs` (PEOPLE needs PEOPLE; AGGREGATES is
    met by either), else NotFound: another trust's school is a 404, like a setting that does not exist."""
    setting = db.session.get(Organisation, setting_id)
    seen = oversight_of(actor, setting) if setting is not None else None
    if setting is None or seen is None or (needs == Oversight.PEOPLE and seen != Oversight.PEOPLE):
        raise NotFound(NOT_FOUND_SETTING)
    return setting
