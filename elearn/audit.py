"""Write audit events inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from elearn.extensions import db
from elearn.models import AuditEvent, User


def record_event(
    action: str,
    *,
    actor: User | None,
    subject: User | None = None,
    target: str | None = None,
    organisation_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (flush only; the service's commit writes it)."""
    if organisation_id is None:
        whose = subject or actor
        organisation_id = whose.organisation_id if whose else None
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        subject_user_id=subject.id if subject else None,
        organisation_id=organisation_id,
        target=target,
        ip=request.remote_addr if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event
