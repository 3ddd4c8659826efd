"""Two-factor sign-in with TOTP (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import logging
import secrets

import pyotp
import segno
from sqlalchemy import select, update

from elearn.audit import record_event
from elearn.auth import throttle
from elearn.auth.service import record_successful_login
from elearn.auth.sessions import forget_devices
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotAllowed
from elearn.extensions import db
from elearn.models import RecoveryCode, User
from elearn.security import verify_password

log = logging.getLogger(__name__)

ISSUER = "elearn"
RECOVERY_CODE_COUNT = 10
WRONG_CODE = "That code is not right. Check your authenticator app and try again."
# Signing in: the same answer for a wrong code and for any code while the sign-in throttle's wait runs.
CODE_REFUSED = ("That code is not right, or there have been too many attempts. Check your authenticator app, "
                "wait a minute or two, then try again.")


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def start_setup(user: User) -> str:
    """A fresh TOTP secret to set up; nothing is saved: the caller keeps it until confirm_setup accepts a code."""
    if user.has_two_factor:
        raise NotAllowed("Two-factor sign-in is already on.")
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(user: User, secret: str) -> str:
    """The setup QR code as an SVG data URI, so the page needs no script and no external request.

    segno's own data URI, not `svg_inline`: an inline SVG leaves out the SVG namespace, which HTML supplies but an
    image file must carry, so browsers showed a broken image instead of the code.
    """
    return str(segno.make(provisioning_uri(user, secret), error="m").svg_data_uri(scale=5, dark="#1d2430"))


def _accept_totp(user: User, secret: str | None, code: str) -> bool:
    """Accept a current code of this secret once: the time step must be newer than the last one used."""
    code = code.replace(" ", "")
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = now_utc()
    for drift in (-1, 0, 1):  # allow one 30-second step of clock difference either way
        step = totp.timecode(now) + drift
        if step > (user.totp_last_step or -1) and secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def confirm_setup(user: User, secret: str, code: str, *, password: str) -> list[str]:
    """Save the secret being set up and switch two-factor sign-in on once the password is re-entered and the first
    code is right (otherwise nothing is saved); return the recovery codes, shown once.

    The password: a session left open on a shared computer must not let someone tie the account to their own phone.
    """
    if user.has_two_factor or not secret:
        raise NotAllowed("Start the two-factor set-up again.")
    if not verify_password(user.password_hash, password):
        raise InvalidInput("current_password", "Your password is not right.")
    if not _accept_totp(user, secret, code):
        raise InvalidInput("code", WRONG_CODE)
    user.totp_secret, user.totp_enabled_at = secret, now_utc()
    codes = _replace_recovery_codes(user)
    record_event("two_factor.enabled", actor=user, subject=user)
    db.session.commit()
    log.info("two-factor sign-in enabled for user %s", user.id)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=now_utc()))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def _accept_recovery_code(user: User, code: str) -> bool:
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = now_utc()
    return True


def verify_second_factor(user: User, code: str, *, known_browser: bool = False) -> bool:
    """Check a sign-in code or a recovery code under the sign-in throttle; each code works once.

    The password step and this one share the throttle (`throttle.py`): a failure here counts towards the same
    run, and while its wait runs no code is checked at all, the right one included.
    """
    db.session.refresh(user, with_for_update=True)  # one attempt at a time (PostgreSQL), as the password step
    if throttle.is_waiting(user, known_browser=known_browser):
        throttle.refuse(user, stage="two_factor", known_browser=known_browser)
        db.session.commit()
        return False
    code = (code or "").strip()[:32]
    accepted = _accept_totp(user, user.totp_secret, code) or (len(code) > 6 and _accept_recovery_code(user, code))
    if accepted:
        record_successful_login(user, method="two_factor", known_browser=known_browser)
    elif throttle.record_failure(user, stage="two_factor", known_browser=known_browser):
        throttle.send_notice(user, stage="two_factor")
    db.session.commit()
    return accepted


def disable(user: User, password: str) -> None:
    """Learners may switch two-factor sign-in off with their password; managers and admins may not."""
    if user.role != "learner":
        raise NotAllowed("Managers and administrators must keep two-factor sign-in on.")
    if not verify_password(user.password_hash, password):
        raise InvalidInput("password", "Your current password is not right.")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id).values(used_at=now_utc()))
    forget_devices(user)  # a remembered device skips a second factor that no longer exists
    record_event("two_factor.disabled", actor=user, subject=user)
    db.session.commit()
