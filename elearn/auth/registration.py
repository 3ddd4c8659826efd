"""Self-registration in two steps, so that no page says whether an address already has an account.

1. `request_registration(name, email)`: the page always answers "check your email". A new address is sent a
   link to choose a password; an address that already has an account is sent a note saying so, and nothing is
   made or changed. Both run the same statements and send one email.
2. The link (`/register/<token>`) carries the address and the name typed, signed with SECRET_KEY and good for
   REGISTRATION_LINK_HOURS; `find_registration` reads it back. The person chooses their password there and
   `people.service.sign_up` creates the account (joining the organisation that owns the address's domain).
   Once the account exists the link is spent.

The password is chosen behind the link, not in step 1: a stranger who registers someone else's address never
knows the password of the account that results (no pre-account hijacking), and the first email holds no text
the stranger typed, so the form cannot be used to mail a message to anyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from elearn.audit import record_event
from elearn.auth.service import check_new_password, find_user_by_email
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.mail import send_email
from elearn.text_rules import clean_email, clean_person_name

log = logging.getLogger(__name__)

_SALT = "elearn.registration"
TOKEN_MAX = 2048  # far above any real link (a name and an email address, signed)


@dataclass(frozen=True)
class Registration:
    """What a registration link asks to create."""

    email: str
    display_name: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["REGISTRATION_LINK_HOURS"])


def registration_problems(*, display_name: str | None = None, email: str | None = None,
                          password: str | None = None, password_email: str = "") -> list[InvalidInput]:
    """Every problem the account rules find in the fields given (None: not checked, because the form refused it
    already), so that a registration form reports them all in one pass instead of one per submission."""
    problems: list[InvalidInput] = []
    name = ""
    if display_name is not None:
        try:
            name = clean_person_name(display_name)
        except InvalidInput as problem:
            problems.append(problem)
    if email is not None:
        try:
            password_email = clean_email(email)
        except InvalidInput as problem:
            problems.append(problem)
    if password is not None:
        try:
            check_new_password(password, email=password_email, name=name)
        except InvalidInput as problem:
            problems.append(problem)
    return problems


def request_registration(display_name: str, email: str) -> None:
    """Email a new address a link to finish creating the account, or an address that has one a note saying so;
    the caller answers the same either way, and nothing is created or changed here."""
    name, address = clean_person_name(display_name), clean_email(email)
    user = find_user_by_email(address)
    holder = user.display_name if user is not None else None  # read now: no query after the commit
    token = _serializer().dumps({"email": address, "name": name})  # made either way: the same work
    record_event("account.registration_requested", actor=None, subject=user)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if holder is None:
        subject, body = "Finish creating your elearn account", _link_body(f"{base}/register/{token}")
    else:
        subject, body = "Someone tried to create an elearn account with your address", _taken_body(holder, base)
    send_email(address, subject, body)  # queued; a worker sends it, so the page reads the same either way
    db.session.commit()


def _link_body(link: str) -> str:
    hours = int(_lifetime().total_seconds() // 3600)
    return (
        "Hello,\n\n"
        "To finish creating your elearn account for this email address, choose your password here:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {hours} hour{'s' if hours != 1 else ''}. If you did not ask for an "
        "account, you can ignore this email: none is made unless the link is used.\n"
    )


def _taken_body(name: str, base: str) -> str:
    return (
        f"Hello {name},\n\n"
        "Someone tried to create a new elearn account with this email address. You already have an elearn account "
        "with it, so nothing was made or changed.\n\n"
        f"If it was you, sign in at {base}/login, or choose \"Forgotten your password?\" on that page to set a new "
        "password. If it was not you, you can ignore this email.\n"
    )


def find_registration(token: str) -> Registration | None:
    """The registration a link asks to finish; None when the link is forged, expired or spent (the account exists)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    try:
        data = _serializer().loads(token, max_age=int(_lifetime().total_seconds()))
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str) or not isinstance(data.get("name"), str):
        return None
    if find_user_by_email(data["email"]) is not None:
        return None
    return Registration(email=data["email"], display_name=data["name"])
