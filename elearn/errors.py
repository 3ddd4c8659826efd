"""Domain exceptions that services raise; elearn/error_pages.py turns them into pages."""

from __future__ import annotations

from typing import Any


class ElearnError(Exception):
    """Base of every rule the services enforce."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(ElearnError):
    status = 404


class NotAllowed(ElearnError):
    status = 403


class Conflict(ElearnError):
    status = 409


class InvalidInput(ElearnError):
    """Bad input for one field; the view shows the message beside that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def attach_to(self, form: Any) -> None:
        """Show the message beside its field so the form re-renders with it; a field the form lacks is a bug: raise."""
        target = getattr(form, self.field, None)
        if target is None:
            raise self
        target.errors = [*target.errors, self.message]
