"""Accounts: registration, authentication, password reset."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection
from datetime import timedelta

from flask import current_app
from sqlalchemy import String, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from elearn.access import MemberAction, check_may_act_on
from elearn.audit import record_event
from elearn.auth import known_browsers, throttle
from elearn.auth.passwords import password_problem
from elearn.auth.sessions import end_all_sessions
from elearn.db import UTCDateTime, now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import PasswordResetToken, Role, User
from elearn.security import burn_password_check, hash_password, token_hash, verify_password
from elearn.text_rules import clean_email, clean_person_name, normalise_email

log = logging.getLogger(__name__)

RESET_INVALID = "This password reset link is invalid, has been used or has expired. Ask for a new one."


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, *, email: str, name: str = "") -> None:
    """Raise InvalidInput on the password field when the policy refuses the password."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise InvalidInput("password", problem)


def create_account(display_name: str, email: str, password: str, *, role: Role = Role.LEARNER,
                   organisation_id: int | None = None) -> User:
    """Add an account under the name, email and password rules (flush only); the email must be new in any letter case."""
    display_name, email = clean_person_name(display_name), clean_email(email)
    check_new_password(password, email=email, name=display_name)
    if find_user_by_email(email) is not None:
        raise InvalidInput("email", "An account with this email already exists. Log in, or reset your password.")
    user = User(email=email, display_name=display_name, password_hash=hash_password(password), role=role,
                organisation_id=organisation_id)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same email registered at the same instant
        db.session.rollback()
        raise InvalidInput("email", "An account with this email already exists. Log in, or reset your password.") from None
    record_event("account.registered", actor=user, subject=user)
    return user


def register_user(display_name: str, email: str, password: str, *, role: Role = Role.LEARNER,
                  organisation_id: int | None = None) -> User:
    """Create an account (for the demo, the admin's tools and tests); people signing themselves up go through
    `people.service.sign_up`, which also joins them to their organisation by email domain."""
    user = create_account(display_name, email, password, role=role, organisation_id=organisation_id)
    db.session.commit()
    log.info("user %s registered", user.id)
    return user


def set_account_active(user: User, active: bool, *, actor: User, event: str,
                       organisation_id: int | None = None) -> User:
    """Deactivate an account (it can no longer sign in and its sessions end at once; records stay) or reactivate it.

    One function for admins and managers. Who may do it to whom is elearn/access.py's SET_ACTIVE rule: never
    to oneself, a manager only to a learner of their organisation, and a deleted account is no one's to
    reactivate (404). `event` names the audit action's prefix ("user" for admins, "member" for managers).
    """
    check_may_act_on(actor, user, MemberAction.SET_ACTIVE)
    if user.is_active_account == active:
        return user  # a double click, or two people doing the same
    user.is_active_account = active
    if not active:
        end_all_sessions(user)  # end their sessions now
    record_event(f"{event}.{'reactivated' if active else 'deactivated'}", actor=actor, subject=user,
                 organisation_id=organisation_id, target=f"user:{user.id}")
    db.session.commit()
    log.info("user %s %s by user %s", user.id, "reactivated" if active else "deactivated", actor.id)
    return user


def record_successful_login(user: User, *, method: str = "password", known_browser: bool = False) -> None:
    """A whole sign-in succeeded (flush only): the run of failures of this kind of browser ends."""
    throttle.record_success(user, known_browser=known_browser)
    user.last_login_at = now_utc()
    record_event("login.succeeded", actor=user, subject=user, method=method)


def authenticate(email: str, password: str, *, known_accounts: Collection[str] = (),
                 password_refused: Callable[[User], bool] = lambda user: False) -> User | None:
    """Check a password under the sign-in throttle. Returns the user, or None for every kind of failure.

    `known_accounts` are the accounts the browser has signed in to before (`known_browsers`). While the
    throttle's wait runs, even the right password gets None. Unknown emails, waits and wrong passwords cost
    the same (one Argon2 check) and read the same to the caller. A user who still owes a second factor is
    returned too, but their sign-in is recorded only when that factor is checked. So is one for whom
    `password_refused` says a password may not sign in (an organisation that requires single sign-on): the
    caller refuses it, and no sign-in is recorded.
    """
    # Attempts at one account are checked one at a time: on PostgreSQL its row stays locked until this commits,
    # so guesses sent all at once each meet the wait the earlier ones earned instead of all being checked.
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)).with_for_update())
    if user is None:
        burn_password_check(password)
        record_event("login.failed", actor=None, stage="password", reason="unknown email")
        db.session.commit()
        return None
    known = known_browsers.is_known(user, known_accounts)
    if throttle.is_waiting(user, known_browser=known):
        burn_password_check(password)  # the right password is refused too, unchecked
        throttle.refuse(user, stage="password", known_browser=known)
        db.session.commit()
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        if throttle.record_failure(user, stage="password", known_browser=known):
            throttle.send_notice(user, stage="password")
        db.session.commit()
        return None
    if not user.has_two_factor and not password_refused(user):
        record_successful_login(user, known_browser=known)
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after re-entering the current one; every other session and remembered device ends."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("current_password", "Your current password is not right.")
    check_new_password(new_password, email=user.email, name=user.display_name)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user, keep_key=user.session_key)
    spend_reset_links(user)  # a link mailed before the change must not undo it
    record_event("password.changed", actor=user, subject=user)
    db.session.commit()


def change_email(user: User, current_password: str, new_email: str) -> None:
    """Change the sign-in email after re-entering the password; the old address is told."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("current_password", "Your current password is not right.")
    new_email = clean_email(new_email)
    if new_email == user.email:
        raise InvalidInput("email", "That is already your email address.")
    if find_user_by_email(new_email) is not None:
        raise InvalidInput("email", "Another account already uses that email address.")
    old_email, user.email = user.email, new_email
    record_event("email.changed", actor=user, subject=user)
    # The warning to the old address is part of the change: both are committed, or neither.
    send_email(old_email, "Your elearn email address was changed",
               f"Hello {user.display_name},\n\nThe email address for your elearn account was changed to {new_email}. "
               "If you did not do this, contact your organisation's elearn manager straight away.\n")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput("email", "Another account already uses that email address.") from None


def spend_reset_links(user: User) -> int:
    """Spend every password-reset link of the account that is still open (flush only); returns how many."""
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
    )
    return int(spent.rowcount)  # type: ignore[attr-defined]


def request_password_reset(email: str) -> None:
    """Email a single-use reset link to an active account, or a note that there is none to any other address.

    The same work runs either way, so neither the page nor its timing tells whether the address has an account:
    a token is made and hashed, the same statements run (they touch rows only for an active account) and one
    email leaves.
    """
    address = normalise_email(email)
    user = find_user_by_email(address)
    holder = user.display_name if user is not None and user.is_active else None  # read now: no query after
    token = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    now, lifetime = now_utc(), timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    active = (User.email == address, User.is_active_account.is_(True))
    # Only the newest link works: an older email lying in an inbox is dead.
    db.session.execute(update(PasswordResetToken)
                       .where(PasswordResetToken.user_id.in_(select(User.id).where(*active)),
                              PasswordResetToken.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    db.session.execute(insert(PasswordResetToken).from_select(
        ["user_id", "token_hash", "created_at", "expires_at"],
        select(User.id, literal(token_hash(token), String()), literal(now, UTCDateTime()),
               literal(now + lifetime, UTCDateTime())).where(*active)))
    record_event("password.reset_requested", actor=None, subject=user)
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/reset-password/{token}"
    body = _reset_email_body(holder, link, lifetime) if holder is not None else NO_ACCOUNT_FOR_RESET
    # Queued with the link it carries; a worker sends it, so the page reads the same whatever SMTP is doing.
    send_email(address, "Reset your elearn password", body)
    db.session.commit()


NO_ACCOUNT_FOR_RESET = (
    "Hello,\n\n"
    "Someone asked to reset the password of an elearn account for this email address, but no active elearn account "
    "uses it. If it was you, you may have signed up with another address; if your organisation has closed your "
    "account, ask your elearn manager. If it was not you, you can ignore this email.\n"
)


def _reset_email_body(name: str, link: str, lifetime: timedelta) -> str:
    hours = int(lifetime.total_seconds() // 3600)
    return (
        f"Hello {name},\n\n"
        f"Someone asked to reset the password for your elearn account. To choose a new password, open:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {hours} hour{'s' if hours != 1 else ''}. "
        "If you did not ask for this, you can ignore this email: your password has not changed.\n"
    )


def find_valid_reset_token(token: str) -> PasswordResetToken | None:
    """The unexpired, unused token row for this token string, if there is one."""
    if not token or len(token) > 128:
        return None
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= now_utc():
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token; the token and every other open token are spent."""
    row = find_valid_reset_token(token)
    if row is None:
        raise InvalidInput("token", RESET_INVALID)
    user = row.user
    check_new_password(new_password, email=user.email, name=user.display_name)
    # Claim this token with a conditional update, so two simultaneous uses cannot both succeed.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InvalidInput("token", RESET_INVALID)
    spend_reset_links(user)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)  # sign out every session and forget every remembered device
    record_event("password.reset", actor=user, subject=user)
    db.session.commit()
    log.info("password reset for user %s", user.id)
    return user
