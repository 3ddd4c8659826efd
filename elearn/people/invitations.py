"""Invitations: an emailed, single-use, expiring link to join an organisation.

A new person sets their name and password with it; someone who already has an account logs in and accepts it,
so nobody is joined to an organisation without consent. An account that already belongs to another organisation
(a peripatetic teacher, a supply teacher, a governor from elsewhere) keeps its one record and home, and starts a
placement at the inviting setting instead (people.service.join_as_placement).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import joinedload, selectinload

from elearn.access import get_owned, is_deleted, is_member_of, members_of
from elearn.audit import record_event, record_events
from elearn.auth.service import check_new_password, create_account, find_user_by_email
from elearn.catalog.service import course_titles
from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput
from elearn.extensions import db
from elearn.mail import queue_emails
from elearn.models import (
    Group,
    GroupMembership,
    Invitation,
    InvitationCourse,
    MemberKind,
    Organisation,
    OrganisationKind,
    User,
)
from elearn.people.service import check_due_in_days, get_group, join_as_placement, join_organisation
from elearn.security import hash_password, token_hash
from elearn.text_rules import clean_email, clean_person_name, normalise_email
from elearn.undo import read_undo, undo_token

log = logging.getLogger(__name__)

INVITATION_DAYS = 14
DEFAULT_DUE_IN_DAYS = 30  # courses attached to an invitation (or a CSV row) are due this long after joining
INVITATION_INVALID = "This invitation link is invalid, has been used, was withdrawn or has expired. Ask your manager for a new one."


ALREADY_MEMBER = "This person is already a member of your organisation."


@dataclass(frozen=True)
class Invitee:
    """One person to invite: name and email already cleaned, courses already checked."""

    name: str
    email: str
    group: Group | None = None
    course_ids: Sequence[int] = ()
    kind: MemberKind = MemberKind.STAFF  # what they will be here: staff, supply, a governor...


def check_invitable(org: Organisation, email: str) -> User | None:
    """The existing account for this email (if any); InvalidInput only when it is already a member here.

    An address whose account belongs to another organisation, or has been deactivated, is invited like a new
    one: the manager must not learn from the answer who has an account elsewhere. The acceptance page turns
    away whoever cannot accept (`accept_invitation_as`).
    """
    user = find_user_by_email(email)
    # Asked whether or not the account exists, so that the answer takes the same queries either way.
    if db.session.scalar(select(User.id).where(User.email == normalise_email(email), members_of(org.id))) is not None:
        raise InvalidInput("email", ALREADY_MEMBER)
    return user


def check_not_member(org: Organisation, account: User | None) -> None:
    """InvalidInput when the account for an address is already a member of this organisation."""
    if account is not None and is_member_of(account, org.id):
        raise InvalidInput("email", ALREADY_MEMBER)


def accounts_by_email(emails: Collection[str]) -> dict[str, User]:
    """The existing accounts among these (cleaned) addresses, in one query: what check_invitable asks row by row."""
    if not emails:
        return {}
    return {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(list(emails))))}


def check_course_ids(course_ids: Sequence[int], field: str = "course_ids") -> list[int]:
    """Published courses' ids, each once; InvalidInput for any other id."""
    wanted = list(dict.fromkeys(course_ids))
    if not set(wanted) <= set(course_titles()):
        raise InvalidInput(field, "Choose courses from the list.")
    return wanted


def create_invitation(org: Organisation, name: str, email: str, group: Group | None, *,
                      actor: User, course_ids: Sequence[int] = (), due_in_days: int = DEFAULT_DUE_IN_DAYS,
                      kind: MemberKind = MemberKind.STAFF) -> Invitation:
    """Add an invitation and queue its email (flush only), withdrawing any earlier open one for the same email;
    only the token's hash is kept. Its courses (published ones, checked by the caller) are assigned when the
    invitee joins, due due_in_days after. The email is sent by a worker once the caller commits."""
    existing = check_invitable(org, email)
    [invitation_id] = create_invitations(org, [Invitee(name, email, group, tuple(course_ids), kind)], actor=actor,
                                         accounts={email: existing} if existing else {}, due_in_days=due_in_days)
    return db.session.get_one(Invitation, invitation_id)


def create_invitations(org: Organisation, invitees: Sequence[Invitee], *, actor: User, accounts: Mapping[str, User],
                       due_in_days: int = DEFAULT_DUE_IN_DAYS) -> list[int]:
    """create_invitation for many people at once (a CSV import): a few bulk statements whatever their number,
    flush only; the ids in the invitees' order. `accounts` holds the existing accounts by email
    (accounts_by_email), already checked with check_not_member."""
    if not invitees:
        return []
    now, emails = now_utc(), [invitee.email for invitee in invitees]
    db.session.execute(
        update(Invitation)
        .where(Invitation.organisation_id == org.id, Invitation.email.in_(emails),
               Invitation.accepted_at.is_(None), Invitation.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    tokens = [secrets.token_urlsafe(32) for _ in invitees]  # 256 bits each from the OS CSPRNG
    hashes = [token_hash(token) for token in tokens]
    # One executemany without RETURNING (which drivers send as one large statement per thousand rows, slow to
    # build), then the ids read back by the token hashes, which are unique.
    db.session.execute(insert(Invitation).execution_options(render_nulls=True), [
        {"organisation_id": org.id, "email": invitee.email, "display_name": invitee.name,
         "group_id": invitee.group.id if invitee.group else None, "token_hash": hashed, "invited_by_id": actor.id,
         "created_at": now, "expires_at": now + timedelta(days=INVITATION_DAYS), "member_kind": invitee.kind}
        for invitee, hashed in zip(invitees, hashes, strict=True)])
    id_of: dict[str, int] = {hashed: invitation_id for hashed, invitation_id in db.session.execute(select(
        Invitation.token_hash, Invitation.id).where(
        Invitation.organisation_id == org.id, Invitation.created_at == now, Invitation.invited_by_id == actor.id))}
    ids = [id_of[hashed] for hashed in hashes]
    courses = [{"invitation_id": invitation_id, "course_id": course_id, "due_in_days": due_in_days}
               for invitation_id, invitee in zip(ids, invitees, strict=True) for course_id in invitee.course_ids]
    if courses:
        db.session.execute(insert(InvitationCourse), courses)
    record_events("invitation.sent", actor=actor, organisation_id=org.id, events=[
        (accounts.get(invitee.email), f"invitation:{invitation_id}", {"course_ids": list(invitee.course_ids), "kind": invitee.kind.value})
        for invitation_id, invitee in zip(ids, invitees, strict=True)])
    base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    emails_out = []
    for invitee, token in zip(invitees, tokens, strict=True):
        existing = accounts.get(invitee.email)
        emails_out.append((invitee.email, f"You are invited to join {org.name} on elearn",
                           _body(org, invitee.name, f"{base_url}/invitations/{token}",
                                 existing_account=existing is not None and not is_leaver(existing))))
    queue_emails(emails_out)
    return ids


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
                  course_ids: Sequence[int] = (), due_in_days: int = DEFAULT_DUE_IN_DAYS,
                  kind: str = MemberKind.STAFF.value) -> Invitation:
    """Invite one person by email, as a kind of member (staff, supply, governor...), with courses to assign when
    they join; inviting again replaces the earlier link."""
    group = get_group(org, group_id) if group_id else None
    name, address = clean_person_name(display_name), clean_email(email)
    courses = check_course_ids(course_ids)
    try:
        as_kind = MemberKind(kind)
    except ValueError:
        raise InvalidInput("member_kind", "Choose one of the kinds listed.") from None
    invitation = create_invitation(org, name, address, group, actor=actor, course_ids=courses,
                                   due_in_days=check_due_in_days(due_in_days), kind=as_kind)
    db.session.commit()
    log.info("invitation %s sent for organisation %s by user %s", invitation.id, org.id, actor.id)
    return invitation


def get_invitation(org: Organisation, invitation_id: int) -> Invitation:
    """An invitation of this organisation, or NotFound (another organisation's too)."""
    return get_owned(Invitation, invitation_id, organisation=org,
                     missing="There is no invitation with this address in your organisation.")


UNANSWERED_SHOWN = 200  # the people page lists at most this many unanswered invitations, newest first


def list_unanswered_invitations(org: Organisation) -> list[Invitation]:
    """Invitations neither accepted nor withdrawn, expired ones included (they can be sent again), newest first."""
    return list(db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None),
                                 Invitation.cancelled_at.is_(None))
        .options(joinedload(Invitation.group), selectinload(Invitation.courses))  # the people page shows both
        .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(UNANSWERED_SHOWN)
    ))


def cancel_invitation(org: Organisation, invitation_id: int, *, actor: User) -> str | None:
    """Withdraw an invitation: its link stops working. Return the token that undoes it, or None if it was not open."""
    invitation = get_invitation(org, invitation_id)
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        return None
    invitation.cancelled_at = now_utc()
    record_event("invitation.cancelled", actor=actor, organisation_id=org.id, target=f"invitation:{invitation.id}")
    db.session.commit()
    return undo_token("invitation.cancelled", org.id, {"invitation_id": invitation.id})


def undo_cancel_invitation(org: Organisation, token: str, *, actor: User) -> Invitation:
    """Reopen a recently withdrawn invitation, with its link and expiry unchanged (audited).

    Conflict when it cannot come back as it was: accepted since, replaced by a newer invitation to the same
    address, or expired in the meantime.
    """
    data = read_undo(token, kind="invitation.cancelled", organisation_id=org.id)
    invitation = get_invitation(org, int(data["invitation_id"]))
    if invitation.cancelled_at is None:
        return invitation  # undone already
    newer = db.session.scalar(select(Invitation.id).where(
        Invitation.organisation_id == org.id, Invitation.email == invitation.email, Invitation.id != invitation.id,
        Invitation.created_at >= invitation.created_at))
    if invitation.accepted_at is not None or newer is not None or invitation.expires_at <= now_utc():
        raise Conflict("This invitation cannot be reopened: it has been replaced or has expired. Send a new one.")
    invitation.cancelled_at = None
    record_event("invitation.restored", actor=actor, organisation_id=org.id, target=f"invitation:{invitation.id}")
    db.session.commit()
    return invitation


def resend_invitation(org: Organisation, invitation_id: int, *, actor: User) -> Invitation:
    """Email a new link for an invitation not yet accepted or withdrawn, with a fresh expiry; the old link stops working."""
    old = get_invitation(org, invitation_id)
    if old.accepted_at is not None or old.cancelled_at is not None:
        raise Conflict("This invitation has been accepted, withdrawn or replaced, so it cannot be sent again.")
    invitation = create_invitation(org, old.display_name, old.email, old.group, actor=actor)  # withdraws `old`
    record_event("invitation.resent", actor=actor, organisation_id=org.id, target=f"invitation:{invitation.id}",
                 replaces=old.id)
    db.session.commit()
    log.info("invitation %s resent as %s by user %s", old.id, invitation.id, actor.id)
    return invitation


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


def is_leaver(user: User) -> bool:
    """Deactivated by the organisation they left (and not deleted): another organisation's invitation lets them
    join it, with their certificates, by setting a new password (they cannot sign in to accept)."""
    return not user.is_active_account and user.organisation_id is not None and not is_deleted(user)


def _rejoin(leaver: User, display_name: str, password: str, org: Organisation) -> User:
    """The leaver's own account, reactivated with a new password and out of the old organisation's groups (flush
    only); their certificates and training stay theirs."""
    display_name = clean_person_name(display_name)
    check_new_password(password, email=leaver.email, name=display_name)
    db.session.execute(delete(GroupMembership).where(GroupMembership.user_id == leaver.id))
    record_event("member.left", actor=leaver, subject=leaver, organisation_id=leaver.organisation_id,
                 target=f"organisation:{org.id}")
    leaver.display_name = display_name
    leaver.password_hash = hash_password(password)
    leaver.is_active_account = True
    return leaver


def _join(user: User, invitation: Invitation, *, as_placement: bool = False) -> None:
    """Join the organisation (its standing rules apply) and assign the invitation's own courses (flush only); with
    as_placement, an account of another organisation starts a placement here instead of moving."""
    courses = [(c.course_id, c.due_in_days) for c in db.session.scalars(
        select(InvitationCourse).where(InvitationCourse.invitation_id == invitation.id))]
    kind = MemberKind(invitation.member_kind)
    if as_placement:
        join_as_placement(user, invitation.organisation, kind=kind, group=invitation.group, courses=courses,
                          by_id=invitation.invited_by_id)
    else:
        join_organisation(user, invitation.organisation, group=invitation.group, courses=courses, kind=kind)


def accept_invitation(token: str, display_name: str, password: str) -> User:
    """Create the invitee's account with their chosen name and password, and join the organisation; a leaver
    of another organisation joins with their own account instead (is_leaver)."""
    invitation = find_valid_invitation(token)
    existing = find_user_by_email(invitation.email) if invitation is not None else None
    if invitation is None or (existing is not None and not is_leaver(existing)):
        raise InvalidInput("token", INVITATION_INVALID)
    if existing is not None:
        return _accept(invitation, _rejoin(existing, display_name, password, invitation.organisation), "leaver")
    try:  # the one way an account is made: the name, email and password rules, the duplicate check, the audit
        user = create_account(display_name, invitation.email, password)
    except InvalidInput as error:
        if error.field == "email":  # an account took this address a moment ago
            raise InvalidInput("token", INVITATION_INVALID) from None
        raise
    return _accept(invitation, user, "new user")


def _accept(invitation: Invitation, user: User, who: str, *, as_placement: bool = False) -> User:
    """Spend the invitation, join its organisation (or start a placement there) with its courses, audit, commit."""
    _spend(invitation, user)
    _join(user, invitation, as_placement=as_placement)
    record_event("invitation.accepted", actor=user, subject=user, organisation_id=invitation.organisation_id,
                 target=f"invitation:{invitation.id}", as_placement=as_placement)
    db.session.commit()
    log.info("invitation %s accepted by %s %s", invitation.id, who, user.id)
    return user


def accept_invitation_as(token: str, *, actor: User) -> Organisation:
    """An existing account accepts an invitation addressed to its own email and joins the organisation; an account
    of another organisation keeps its home and starts working at the inviting setting (a placement)."""
    invitation = find_valid_invitation(token)
    if invitation is None or invitation.email != actor.email:
        raise InvalidInput("token", INVITATION_INVALID)
    if actor.organisation_id is not None:
        if is_member_of(actor, invitation.organisation_id):
            raise InvalidInput("token", f"You already work at {invitation.organisation.name}.")
        if invitation.organisation.kind != OrganisationKind.SETTING:
            raise InvalidInput("token", "Your account already belongs to an organisation.")
        _accept(invitation, actor, "existing user of another organisation", as_placement=True)
        return invitation.organisation
    _accept(invitation, actor, "existing user")
    return invitation.organisation