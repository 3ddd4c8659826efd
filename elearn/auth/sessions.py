"""Sessions kept on the server: each signed-in browser and each remembered device is a UserSession row.

The signed session cookie carries a random session key; only its SHA-256 hash is stored. The user loader accepts
a key only while its row has not ended and its user is active, so logging out, "sign out everywhere", a password
change or reset, deactivation and deletion end sessions on the server, not only in one browser.

A remembered device ("Remember this device for 30 days", offered on the two-factor step) is a row of kind DEVICE
whose random token travels in its own signed cookie. While it is valid, signing in on that device still needs the
password but skips the second step.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import SessionKind, User, UserSession
from elearn.security import token_hash

log = logging.getLogger(__name__)

# last_seen_at is refreshed at most this often: a read writes at most once per session in this time.
SEEN_EVERY = timedelta(minutes=5)
DEVICE_LIFETIME = timedelta(days=30)
KEY_LENGTH = 43  # secrets.token_urlsafe(32): 256 bits
_DEVICE_SALT = "elearn.remembered-device"


@dataclass(frozen=True)
class ActiveSession:
    """One line of My account's list: a signed-in browser or a remembered device."""

    id: int
    kind: SessionKind
    label: str
    ip: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime | None
    is_current: bool


@dataclass(frozen=True)
class StartedSession:
    id: int
    key: str
    device_cookie: str | None  # set when the person asked to remember this device


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str | None) -> str:
    """A short label such as "Firefox on Windows": never the raw header, which anyone can fill with anything."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), "A browser")
    system = next((name for marker, name in _SYSTEMS if marker in text), None)
    return f"{browser} on {system}" if system else browser


def _clean_ip(ip: str | None) -> str | None:
    return ip if ip and re.fullmatch(r"[0-9A-Fa-f:.]{1,45}", ip) else None


def start_session(user: User, *, user_agent: str | None, ip: str | None,
                  remember_device: bool = False) -> StartedSession:
    """Record a new signed-in session (and, when asked after a second factor, a remembered device); commit."""
    key = secrets.token_urlsafe(32)
    label, address = describe_user_agent(user_agent), _clean_ip(ip)
    row = UserSession(user_id=user.id, kind=SessionKind.SESSION, key_hash=token_hash(key), user_agent=label, ip=address)
    db.session.add(row)
    device_cookie = None
    if remember_device:
        if not user.has_two_factor:
            raise NotFound()  # only a second factor earns a remembered device
        token = secrets.token_urlsafe(32)
        db.session.add(UserSession(user_id=user.id, kind=SessionKind.DEVICE, key_hash=token_hash(token),
                                   user_agent=label, ip=address, expires_at=now_utc() + DEVICE_LIFETIME))
        device_cookie = _device_serializer().dumps({"user": user.id, "token": token})
        record_event("device.remembered", actor=user, subject=user)
    db.session.commit()
    user.use_session_key(key)
    log.info("session started for user %s%s", user.id, " (device remembered)" if remember_device else "")
    return StartedSession(row.id, key, device_cookie)


# Every signed-in request runs this, so it is built once (building a statement costs about as much as running it
# from SQLAlchemy's compiled cache). The user's organisation comes in the same query: most signed-in pages scope
# by it, and a loaded row is then served from the session's identity map without another query.
_SESSION_USER = (
    select(UserSession.id, UserSession.last_seen_at, User).join(User, User.id == UserSession.user_id)
    .options(joinedload(User.organisation))
    .where(UserSession.key_hash == bindparam("key_hash"), UserSession.kind == SessionKind.SESSION,
           UserSession.ended_at.is_(None))
)


def load_user(key: str) -> User | None:
    """Flask-Login's loader: the user of a session that has not ended, while their account is active."""
    if not isinstance(key, str) or len(key) != KEY_LENGTH:
        return None
    found = db.session.execute(_SESSION_USER, {"key_hash": token_hash(key)}).first()
    if found is None or not found.User.is_active:
        return None
    now = now_utc()
    if now - found.last_seen_at >= SEEN_EVERY:  # the one write of a read, at most once per SEEN_EVERY
        db.session.execute(update(UserSession).where(UserSession.id == found.id).values(last_seen_at=now))
        db.session.commit()
    user: User = found.User
    user.use_session_key(key)
    return user


def find_pending_user(user_id: object) -> User | None:
    """The active user who passed the password step and owes a second factor."""
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def end_session(user: User, key: str | None) -> None:
    """Log out: end this session on the server, so a copy of its cookie opens nothing."""
    if key:
        _end(user, UserSession.key_hash == token_hash(key))
        record_event("session.ended", actor=user, subject=user, how="logout")
    db.session.commit()


def end_all_sessions(user: User, *, keep_key: str | None = None) -> None:
    """End every session and forget every remembered device of a user, except the session `keep_key` (flush only).

    Used by "sign out everywhere", password change (keeping the current session) and reset, deactivation and
    deletion.
    """
    keep = [UserSession.key_hash != token_hash(keep_key)] if keep_key else []
    _end(user, *keep)


def sign_out_everywhere(user: User) -> None:
    """End every session of this user, this one included, and forget their remembered devices."""
    end_all_sessions(user)
    record_event("session.ended_all", actor=user, subject=user)
    db.session.commit()
    log.info("user %s signed out everywhere", user.id)


def end_one(user: User, session_id: int) -> None:
    """End one of the user's own sessions, or forget one remembered device, from My account."""
    row = db.session.scalar(select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id,
                                                      UserSession.ended_at.is_(None)))
    if row is None:
        raise NotFound()  # 404, not 403: another person's session is not confirmed to exist
    row.ended_at = now_utc()
    event = "device.forgotten" if row.kind == SessionKind.DEVICE else "session.ended"
    record_event(event, actor=user, subject=user, target=f"session:{row.id}")
    db.session.commit()


def forget_devices(user: User) -> None:
    """Forget every remembered device of the user (flush only): two-factor sign-in was turned off."""
    _end(user, UserSession.kind == SessionKind.DEVICE)


def _end(user: User, *conditions: object) -> None:
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
                                                 *conditions).values(ended_at=now_utc()))  # type: ignore[arg-type]


def list_active(user: User) -> list[ActiveSession]:
    """The user's sessions that have not ended and remembered devices that have not expired, newest first."""
    now = now_utc()
    rows = db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)).order_by(UserSession.id.desc()))
    current = token_hash(user.session_key) if user.session_key else None
    return [ActiveSession(row.id, row.kind, row.user_agent, row.ip, row.created_at, row.last_seen_at,
                          row.expires_at, row.key_hash == current)
            for row in rows if row.expires_at is None or row.expires_at > now]


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def is_remembered_device(user: User, cookie: str | None) -> bool:
    """True while the device cookie names this user's own remembered device, not forgotten and not expired."""
    if not cookie or len(cookie) > 512:
        return False
    try:
        data = _device_serializer().loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("user") != user.id or not isinstance(data.get("token"), str):
        return False
    row = db.session.scalar(select(UserSession).where(
        UserSession.key_hash == token_hash(data["token"]), UserSession.kind == SessionKind.DEVICE,
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))
    return row is not None and row.expires_at is not None and row.expires_at > now_utc() and user.has_two_factor
