"""Known browsers: a signed cookie saying which accounts have signed in from this browser before.

The sign-in throttle (`throttle.py`) keeps a separate run of failures for such browsers, so a stranger guessing
a password elsewhere never holds up the owner's own. The cookie is not a credential: it signs nobody in and
skips no step. It holds a marker per account ("id:credentials"), signed with SECRET_KEY, where "credentials" is a
short digest of the account's password hash: a password change or reset therefore forgets every browser of the
account until it signs in again (the browser that completes a reset is remembered at once). A tampered or expired
cookie names nobody.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from elearn.models import User

MAX_AGE = timedelta(days=180)
MAX_ACCOUNTS = 5  # a shared staff-room computer remembers the last few people who signed in on it
_SALT = "elearn.known-browser"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _read(cookie: str | None) -> list[str]:
    if not cookie or len(cookie) > 1024:
        return []
    try:
        accounts = _serializer().loads(cookie, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:  # includes SignatureExpired
        return []
    return [account for account in accounts if isinstance(account, str)] if isinstance(accounts, list) else []


def accounts_in(cookie: str | None) -> frozenset[str]:
    """The account markers a browser's cookie names; none when it is missing, tampered with or too old."""
    return frozenset(_read(cookie))


def _marker(user: User) -> str:
    """The account at its current password: "<id>:<16 hex digits of the hash's SHA-256>"."""
    return f"{user.id}:{hashlib.sha256((user.password_hash or '').encode()).hexdigest()[:16]}"


def is_known(user: User, accounts: Collection[str]) -> bool:
    """Whether the account, with its current password, has signed in from the browser before."""
    return _marker(user) in accounts


def cookie_with(cookie: str | None, user: User) -> str:
    """The cookie's new value once `user` has signed in: them first, then the most recent others."""
    others = [account for account in _read(cookie) if account.partition(":")[0] != str(user.id)]
    return _serializer().dumps([_marker(user), *others][:MAX_ACCOUNTS])
