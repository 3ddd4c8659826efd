"""Who is signed in, as every page's header shows them.

The signed-in person is read once, as plain values, when the request starts (and again when someone
signs in or out). The layout never reads the User row while it renders: a commit or a rollback earlier
in the request (an error page after a rollback, a page that records something) expires the row, and
reading it then would query the database from the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g
from flask_login import current_user, user_logged_in, user_logged_out

from elearn import access


@dataclass(frozen=True)
class Viewer:
    """The person the page header greets; `Viewer()` is nobody signed in."""

    is_authenticated: bool = False
    display_name: str = ""
    may_manage: bool = False  # may use the manager area (managers and admins)
    is_admin: bool = False

    @classmethod
    def of(cls, user: Any) -> Viewer:
        if user is None or not user.is_authenticated:
            return cls()
        return cls(True, user.display_name, access.may_enter(user, access.Area.MANAGE), access.is_admin(user))


def remember_viewer() -> None:
    """Read who is signed in, once, before the view runs (Flask-Login has loaded them already)."""
    g.viewer = Viewer.of(current_user)


def ensure_viewer() -> None:
    """For an error page refused before remember_viewer ran (the CSRF check): read the viewer now, not in the template."""
    if "viewer" not in g:
        remember_viewer()


def _signed_in(sender: Flask, user: Any = None, **extra: Any) -> None:
    g.viewer = Viewer.of(user)


def _signed_out(sender: Flask, user: Any = None, **extra: Any) -> None:
    g.viewer = Viewer()


def layout_context() -> dict[str, Any]:
    """The header's viewer, read before the view ran: no query while the page renders."""
    return {"viewer": g.get("viewer") or Viewer()}


def register_layout(app: Flask) -> None:
    """Read the viewer at the start of each request and on sign-in and sign-out; give it to every template."""
    app.before_request(remember_viewer)
    user_logged_in.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    app.context_processor(layout_context)
