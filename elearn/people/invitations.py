"""Invitations: an emailed, single-use, expiring link to join an organisation.

A new person sets their name and password with it; someone who already has an account (and no
organisation) logs in and accepts it, so nobody is joined to an organisation without consent.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from elearn.access import get_owned
from elearn.audit import record_event
from elearn.auth.service import create_account, find_user_by_email
from elearn.catalog.service import course_titles
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import Group, Invitation, InvitationCourse, Organisation, User
from elearn.people.service import check_due_in_days, get_group, join_organisation
from elearn.security import token_hash
from elearn.text_rules import clean_email, clean_person_name

log = logging.getLogger(__name__)

INVITATION_DAYS = 14
DEFAULT_DUE_IN_DAYS = 30  # courses attached to an invitation (or a CSV row) are due this long after joining
INVITATION_INVALID = "This invitation link is invalid, has been used, was withdrawn or has expired. Ask your manager for a new one."


def check_invitable(org: Organisation, email: str) -> User | None:
    """The existing account for this email (if any); InvalidInput only when it is already a member here.

    An address whose account belongs to another organisation, or has been deactivated, is invited like a new
    one: the manager must not learn from the answer who has an account elsewhere. The acceptance page turns
    away whoever cannot accept (`accept_invitation_as`).
    """
    user = find_user_by_email(email)
    if user is not None and user.organisation_id == org.id:
        raise InvalidInput("email", "This person is already a member of your organisation.")
    return user


def check_course_ids(course_ids: Sequence[int], field: str = "course_ids") -> list[int]:
    """Published courses' ids, each once; InvalidInput for any other id."""
    wanted = list(dict.fromkeys(course_ids))
    if not set(wanted) <= set(course_titles()):
        raise InvalidInput(field, "Choose courses from the list.")
    return wanted


def create_invitation(org: Organisation, name: str, email: str, group: Group | None, *,
                      actor: User, course_ids: Sequence[int] = (), due_in_days: int = DEFAULT_DUE_IN_DAYS) -> Invitation:
    """Add an invitation and queue its email (flush only), withdrawing any earlier open one for the same email;
    only the token's hash is kept. Its courses (published ones, checked by the caller) are assigned when the
    invitee joins, due due_in_days after. The email is sent by a worker once the caller commits."""
    existing = check_invitable(org, email)
    now = now_utc()
    db.session.execute(
        update(Invitation)
        .where(Invitation.organisation_id == org.id, Invitation.email == email,
               Invitation.accepted_at.is_(None), Invitation.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    token = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    invitation = Invitation(organisation_id=org.id, email=email, display_name=name, group_id=group.id if group else None,
                            token_hash=token_hash(token), invited_by_id=actor.id, created_at=now,
                            expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    db.session.add_all(InvitationCourse(invitation_id=invitation.id, course_id=course_id, due_in_days=due_in_days)
                       for course_id in course_ids)
    record_event("invitation.sent", actor=actor, subject=existing, organisation_id=org.id,
                 target=f"invitation:{invitation.id}", course_ids=list(course_ids))
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/invitations/{token}"
    send_email(email, f"You are invited to join {org.name} on elearn",
               _body(org, name, link, existing_account=existing is not None))
    return invitation


def _body(org: Organisation, name: str, link: str, *, existing_account: bool) -> str:
    action = ("log in with your existing account and accept the invitation" if existing_account
              else "set your password and start your training")
    return (
        f"Hello {name},\n\n"
        f"{org.name} has invited you to its safeguarding training on elearn. To {action}, open:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {INVITATION_DAYS} days. "
        "If you were not expecting this, you can ignore this email.\n"
    )


def invite_person(org: Organisation, display_name: str, email: str, *, group_id: int | None, actor: User,
                  course_ids: Sequence[int] = (), due_in_days: int = DEFAULT_DUE_IN_DAYS) -> Invitation:
    """Invite one person by email, with courses to assign when they join; inviting again replaces the earlier link."""
    group = get_group(org, group_id) if group_id else None
    name, address = clean_person_name(display_name), clean_email(email)
    courses = check_course_ids(course_ids)
    invitation = create_invitation(org, name, address, group, actor=actor, course_ids=courses,
                                   due_in_days=check_due_in_days(due_in_days))
    db.session.commit()
    log.info("invitation %s sent for organisation %s by user %s", invitation.id, org.id, actor.id)
    return invitation


def list_open_invitations(org: Organisation) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None),
                                 Invitation.cancelled_at.is_(None), Invitation.expires_at > now_utc())
        .options(joinedload(Invitation.group), selectinload(Invitation.courses))  # the people page shows them
        .order_by(Invitation.created_at.desc())
    ))


def cancel_invitation(org: Organisation, invitation_id: int, *, actor: User) -> None:
    """Withdraw an invitation: its link stops working."""
    invitation = get_owned(Invitation, invitation_id, organisation=org,
                           missing="There is no invitation with this address in your organisation.")
    if invitation.accepted_at is None and invitation.cancelled_at is None:
        invitation.cancelled_at = now_utc()
        record_event("invitation.cancelled", actor=actor, organisation_id=org.id, target=f"invitation:{invitation.id}")
        db.session.commit()


# --- acceptance (public) -------------------------------------------------------------------


def find_valid_invitation(token: str) -> Invitation | None:
    """The open, unexpired invitation for this token string, if there is one."""
    if not token or len(token) > 128:
        return None
    invitation = db.session.scalar(select(Invitation).options(joinedload(Invitation.organisation))
                                   .where(Invitation.token_hash == token_hash(token)))
    if (invitation is None or invitation.accepted_at is not None or invitation.cancelled_at is not None
            or invitation.expires_at <= now_utc()):
        return None
    return invitation


def _spend(invitation: Invitation, user: User) -> None:
    # A conditional update, so two simultaneous uses of one link cannot both succeed.
    spent = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
                                 Invitation.cancelled_at.is_(None))
        .values(accepted_at=now_utc(), user_id=user.id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InvalidInput("token", INVITATION_INVALID)


def _join(user: User, invitation: Invitation) -> None:
    """Join the organisation (its standing rules apply) and assign the invitation's own courses (flush only)."""
    courses = [(c.course_id, c.due_in_days) for c in db.session.scalars(
        select(InvitationCourse).where(InvitationCourse.invitation_id == invitation.id))]
    join_organisation(user, invitation.organisation, group=invitation.group, courses=courses)


def accept_invitation(token: str, display_name: str, password: str) -> User:
    """Create the invitee's account with their chosen name and password, and join the organisation."""
    invitation = find_valid_invitation(token)
    if invitation is None or find_user_by_email(invitation.email) is not None:
        raise InvalidInput("token", INVITATION_INVALID)
    try:  # the one way an account is made: the name, email and password rules, the duplicate check, the audit
        user = create_account(display_name, invitation.email, password)
    except InvalidInput as error:
        if error.field == "email":  # an account took this address a moment ago
            raise InvalidInput("token", INVITATION_INVALID) from None
        raise
    _spend(invitation, user)
    _join(user, invitation)
    record_event("invitation.accepted", actor=user, subject=user, organisation_id=invitation.organisation_id,
                 target=f"invitation:{invitation.id}")
    db.session.commit()
    log.info("invitation %s accepted by new user %s", invitation.id, user.id)
    return user


def accept_invitation_as(token: str, *, actor: User) -> Organisation:
    """An existing account accepts an invitation addressed to its own email and joins the organisation."""
    invitation = find_valid_invitation(token)
    if invitation is None or invitation.email != actor.email:
        raise InvalidInput("token", INVITATION_INVALID)
    if actor.organisation_id is not None:
        raise InvalidInput("token", "Your account already belongs to an organisation.")
    _spend(invitation, actor)
    _join(actor, invitation)
    record_event("invitation.accepted", actor=actor, subject=actor, organisation_id=invitation.organisation_id,
                 target=f"invitation:{invitation.id}")
    db.session.commit()
    log.info("invitation %s accepted by existing user %s", invitation.id, actor.id)
    return invitation.organisation
