"""Undo for destructive actions: a signed note of exactly what was removed, honoured for ten minutes.

The service that removes something returns an undo token; the page offers it as an "Undo" button in the flash
message (`offer_undo`), and the feature's undo service reads it back with `read_undo`, which checks the signature,
the kind of removal, the organisation being managed (another organisation's token is a 404, like its rows) and
the window. Nothing is stored: the token carries what is needed to restore the removed row, and the secret key
signs it, so it cannot be forged or pointed at someone else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, flash
from itsdangerous import BadSignature, URLSafeSerializer

from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput, NotFound

UNDO_WINDOW = timedelta(minutes=10)
TOO_LATE = "It is too late to undo this: undo works for 10 minutes after the change."
NOT_VALID = "This undo button is not valid for your organisation."


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="elearn.undo")


def undo_token(kind: str, organisation_id: int, data: dict[str, Any]) -> str:
    """A signed note that this organisation's `kind` removal of `data` may be undone until the window closes."""
    return str(_serializer().dumps({"k": kind, "o": organisation_id, "d": data, "t": now_utc().timestamp()}))


def read_undo(token: str, *, kind: str, organisation_id: int) -> dict[str, Any]:
    """What was removed; InvalidInput for no token, NotFound for a forged token or another organisation's,
    Conflict once the window has closed."""
    if not token:
        raise InvalidInput("token", "There was nothing to undo: the form had no change in it. Please go back and try again.")
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise NotFound(NOT_VALID) from None
    if not isinstance(payload, dict) or payload.get("k") != kind or payload.get("o") != organisation_id:
        raise NotFound(NOT_VALID)  # 404, not 403: another organisation's change is no business of this manager
    if now_utc() - datetime.fromtimestamp(float(payload["t"]), UTC) > UNDO_WINDOW:
        raise Conflict(TOO_LATE)
    data: dict[str, Any] = payload["d"]
    return data


def offer_undo(text: str, action: str, token: str) -> None:
    """Flash `text` with an Undo button that posts `token` to `action` (the layout draws the form)."""
    # The session's serializer keeps a dict as it is; the layout reads its three keys.
    flash({"text": text, "action": action, "token": token}, "undo")  # type: ignore[arg-type]
