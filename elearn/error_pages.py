"""The app's error pages: domain errors, HTTP errors and database outages shown as calm, accessible pages."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from elearn.errors import ElearnError
from elearn.layout import ensure_viewer

log = logging.getLogger(__name__)


ERROR_TITLES = {
    400: "Something in the request was wrong",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That has already been done",
    413: "That upload is too large",
    429: "Too many attempts",
    500: "Sorry, something went wrong",
    503: "The service is briefly unavailable",
}


def render_error(status: int, message: str = "") -> ResponseReturnValue:
    """Render the accessible error page for a status code."""
    title = ERROR_TITLES.get(status, "Something went wrong")
    if status != 503:  # when the database is what failed, greet nobody rather than ask it again
        ensure_viewer()
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Turn domain errors, HTTP errors and database outages into calm pages."""
    from elearn.extensions import db

    @app.errorhandler(ElearnError)
    def domain_error(error: ElearnError) -> ResponseReturnValue:
        db.session.rollback()
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        # Not the limiter's 429: its description is its rule ("5 per 1 minute"); the page says it plainly instead.
        # A 429 a feature raised itself (too many exports) carries a sentence written for people.
        said = status in (400, 405, 413) or (status == 429 and not isinstance(error, RateLimitExceeded))
        message = (error.description or "") if said else ""
        return render_error(status, message)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def value_out_of_range(error: Exception) -> ResponseReturnValue:
        # A value the database cannot hold got past the forms: an id of 20 digits in a query string or a
        # multi-select (SQLite: OverflowError; PostgreSQL: DataError), a NUL byte in text (PostgreSQL).
        log.warning("request refused: a value out of the database's range (%s)", type(error).__name__)
        db.session.rollback()
        return render_error(400, "A value in the request was not valid.")

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> ResponseReturnValue:
        log.warning("database unavailable: %s", type(error.orig).__name__)
        db.session.rollback()
        return render_error(503, "Please try again in a minute. Nothing you submitted was half-saved.")

    @app.errorhandler(500)
    def internal_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        return render_error(500)
