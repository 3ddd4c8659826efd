"""Accounts: registration, authentication, password reset."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from elearn.access import MemberAction, check_may_act_on
from elearn.audit import record_event
from elearn.auth.passwords import password_problem
from elearn.auth.sessions import end_all_sessions
from elearn.db import now_utc
from elearn.errors import ElearnError, InvalidInput
from elearn.extensions import db
from elearn.mail import send_email
from elearn.models import PasswordResetToken, Role, User
from elearn.security import burn_password_check, hash_password, verify_password
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


class AccountLocked(ElearnError):
    """Too many failed sign-ins: the account pauses for a while (never for good)."""

    status = 429


LOCK_AFTER_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)


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


def lock_duration(failures: int) -> timedelta:
    """One minute after the fifth failure in a row, doubling with each further failure, at most 15 minutes."""
    if failures < LOCK_AFTER_FAILURES:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (failures - LOCK_AFTER_FAILURES)), MAX_LOCK)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > now_utc()


def record_failed_login(user: User, *, stage: str = "password") -> None:
    """Count a failure and pause the account when there have been too many (flush only)."""
    user.failed_logins += 1
    pause = lock_duration(user.failed_logins)
    if pause:
        user.locked_until = now_utc() + pause
    record_event("login.failed", actor=None, subject=user, stage=stage)
    log.warning("failed %s sign-in for user %s (%s in a row)", stage, user.id, user.failed_logins)


def record_successful_login(user: User, *, method: str = "password") -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now_utc()
    record_event("login.succeeded", actor=user, subject=user, method=method)


def authenticate(email: str, password: str) -> User | None:
    """Check a password. Returns the user, or None; raises AccountLocked while the account is paused.

    The cost is the same for unknown emails. A user who still owes a second factor is
    returned too, but their sign-in is recorded only when that factor is checked.
    """
    user = find_user_by_email(email)
    if user is None:
        burn_password_check(password)
        record_event("login.failed", actor=None, reason="unknown email")
        db.session.commit()
        return None
    if is_locked(user):
        burn_password_check(password)  # even the right password is refused while paused
        record_event("login.refused_locked", actor=None, subject=user)
        db.session.commit()
        raise AccountLocked("Too many sign-in attempts. Wait a few minutes, then try again.")
    if not verify_password(user.password_hash, password) or not user.is_active:
        record_failed_login(user)
        db.session.commit()
        return None
    if not user.has_two_factor:
        record_successful_login(user)
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
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput("email", "Another account already uses that email address.") from None
    send_email(old_email, "Your elearn email address was changed",
               f"Hello {user.display_name},\n\nThe email address for your elearn account was changed to {new_email}. "
               "If you did not do this, contact your organisation's elearn manager straight away.\n")


def spend_reset_links(user: User) -> int:
    """Spend every password-reset link of the account that is still open (flush only); returns how many."""
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
    )
    return int(spent.rowcount)  # type: ignore[attr-defined]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Email a single-use reset link if the account exists; the caller answers the same either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        log.info("password reset asked for an unknown or inactive email")
        return
    token = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    lifetime = timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    spend_reset_links(user)  # only the newest link works: an older email lying in an inbox is dead
    db.session.add(PasswordResetToken(user=user, token_hash=_hash_token(token), expires_at=now_utc() + lifetime))
    record_event("password.reset_requested", actor=None, subject=user)
    db.session.commit()
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/reset-password/{token}"
    try:
        send_email(user.email, "Reset your elearn password", _reset_email_body(user, link, lifetime))
    except (OSError, smtplib.SMTPException) as error:
        # The page must read the same whether or not the email left (no account enumeration, no 500);
        # the learner can ask again once the mail server is back.
        log.error("password reset email for user %s not sent: %s", user.id, type(error).__name__)


def _reset_email_body(user: User, link: str, lifetime: timedelta) -> str:
    hours = int(lifetime.total_seconds() // 3600)
    return (
        f"Hello {user.display_name},\n\n"
        f"Someone asked to reset the password for your elearn account. To choose a new password, open:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {hours} hour{'s' if hours != 1 else ''}. "
        "If you did not ask for this, you can ignore this email: your password has not changed.\n"
    )


def find_valid_reset_token(token: str) -> PasswordResetToken | None:
    """The unexpired, unused token row for this token string, if there is one."""
    if not token or len(token) > 128:
        return None
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token)))
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
