"""Password hashing, safe redirects and database ids in URLs: one place for each (who may do what: elearn/access.py)."""

from __future__ import annotations

import hashlib
import io
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Request, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, Map


def token_hash(token: str) -> str:
    """The SHA-256 of a random token (reset link, invitation, session key): the only form such a token is stored in.

    A fast hash is right here, unlike for passwords: the tokens are 256-bit random, so nothing can be guessed.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an account with no password never matches."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: dict[tuple[int, int], str] = {}


def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, so unknown emails cannot be told apart by timing."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password")
    verify_password(_DUMMY_HASH[key], password)


def safe_next_url(target: str | None) -> str | None:
    """Return target only if it is a path on this site; anything else could be an open redirect."""
    if not target or not isinstance(target, str):
        return None
    if any(ch in target for ch in ("\\", "\r", "\n", "\t")) or any(ord(ch) < 32 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in URLs: a non-negative number that fits an INTEGER column (32-bit signed).

    Werkzeug's own converter accepts any length of digits, and a 20-digit id made SQLite raise
    OverflowError and PostgreSQL DataError (a 500); beyond the column's range it is simply not found.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, DATABASE_INT_MAX if max is None else max, signed)


DATABASE_INT_MAX = 2**31 - 1


class LimitedFormDataParser(FormDataParser):
    """Werkzeug limits the number of parts only in multipart bodies; this holds urlencoded bodies to the same
    MAX_FORM_PARTS, so ten thousand `&a=1` fields are refused (413) before anything parses them."""

    def _parse_urlencoded(self, stream: Any, mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> Any:
        body = stream.read()
        if self.max_form_parts is not None and body.count(b"&") + 1 > self.max_form_parts:
            raise RequestEntityTooLarge("The form has too many fields.")
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class LimitedRequest(Request):
    """The app's request: form bodies of either encoding are limited in size and in number of fields."""

    form_data_parser_class = LimitedFormDataParser


class SigningOnceSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer built once per secret key rather than per request.

    Flask builds a new serializer each time it opens or saves a session; the serializer holds no state of a request,
    so one per key (SECRET_KEY with its fallbacks) is the same check, and a changed key builds a new one.
    """

    _cached: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]


_SIGNED_CSRF: dict[tuple[str, str], str] = {}
_SIGNED_CSRF_SIZE = 4096


def csrf_token() -> str:
    """The signed CSRF token for this session's forms (Flask-WTF's `csrf_token()`), signed once per process.

    Flask-WTF signs the session's token afresh on every request that shows a form, and every signed-in page shows
    one (the header's log-out button). With WTF_CSRF_TIME_LIMIT None the signature's timestamp is never checked,
    so the token signed for a session earlier is exactly as valid: it is reused, and validation is unchanged.
    With a time limit, or before the session has a token, Flask-WTF signs as before.
    """
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g or config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or not isinstance(session.get(field), str):
        return str(generate_csrf())
    key = (str(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key), session[field])
    signed = _SIGNED_CSRF.get(key)
    if signed is None:
        signed = str(generate_csrf())
        if len(_SIGNED_CSRF) >= _SIGNED_CSRF_SIZE:
            _SIGNED_CSRF.clear()
        _SIGNED_CSRF[key] = signed
    setattr(g, field, signed)  # FlaskForm's hidden field on this page reads it from here, as Flask-WTF does
    return signed
