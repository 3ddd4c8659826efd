"""Public pages: worried about a child, accessibility, privacy; the favicon; and the health check."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from elearn.contacts.service import ROLE_LABELS, contacts_for
from elearn.content.markdown import render_markdown
from elearn.extensions import db, limiter
from elearn.jobs.queue import broker_status

bp = Blueprint("pages", __name__, template_folder="templates")
log = logging.getLogger(__name__)
CONTENT = Path(__file__).parent / "content"


@cache
def page_html(name: str) -> Markup:
    """A page written in Markdown, rendered and sanitised once per process."""
    return Markup(render_markdown((CONTENT / f"{name}.md").read_text(encoding="utf-8")))  # noqa: S704 - sanitised


@bp.get("/worried-about-a-child")
def worried() -> ResponseReturnValue:
    # Public page; a signed-in member also sees their own organisation's contacts above the national text.
    return render_template("pages/page.html", title="Worried about a child?", body=page_html("worried-about-a-child"),
                           safeguarding_contacts=contacts_for(current_user), contact_role_labels=ROLE_LABELS)


@bp.get("/accessibility")
def accessibility() -> ResponseReturnValue:
    return render_template("pages/page.html", title="Accessibility statement", body=page_html("accessibility"))


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template("pages/page.html", title="Privacy notice", body=page_html("privacy"))


# Browsers, feed readers and bookmarks ask for /favicon.ico at the root whatever the page's <link rel="icon"> says.
# The icon is the same one base.html links (elearn/static/img/favicon.ico: 16, 32 and 48 px); its address never
# changes, so it may be kept a long while rather than forever (ETag and Last-Modified answer later checks with 304).
FAVICON_MAX_AGE = 30 * 24 * 60 * 60  # 30 days


@bp.get("/favicon.ico")
@limiter.exempt
def favicon() -> ResponseReturnValue:
    response = send_from_directory(Path(current_app.static_folder or "") / "img", "favicon.ico",
                                   mimetype="image/vnd.microsoft.icon", max_age=FAVICON_MAX_AGE)
    response.cache_control.public = True
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@cache
def migration_head() -> str | None:
    """The newest migration shipped with this code (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(__file__).parents[2] / "migrations")).get_current_head()


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    """200 only when the database answers and its schema is at this code's migration head; the job broker's state."""
    try:
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as error:
        log.warning("readiness: database not ready (%s)", type(error).__name__)
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    if current != migration_head():
        return {"status": "unavailable", "database": "ok", "schema": "not at the migration head"}, 503
    # Reported, not required: with the broker down pages still work and emails wait in the outbox, so taking
    # every web server out of service would only make things worse.
    return {"status": "ready", "database": "ok", "schema": "current", "broker": broker_status()}, 200
