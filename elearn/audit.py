"""Write audit events inside the caller's transaction, and erase the personal details in them with the person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import has_request_context, request
from sqlalchemy import insert, select

from elearn.db import now_utc
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


def record_events(action: str, *, actor: User | None, organisation_id: int | None,
                  events: Sequence[tuple[User | None, str, dict[str, Any]]]) -> None:
    """record_event for many events of one action at once (subject, target, details each): one executemany
    INSERT, for a change that touches thousands of rows (a CSV import). Runs at once, in the caller's transaction."""
    if not events:
        return
    now, ip = now_utc(), request.remote_addr if has_request_context() else None
    # No RETURNING, no objects: one executemany. render_nulls: the same SQL whatever is None, so that the
    # statements run do not tell an existing account from a new address (tests/security/test_enumeration.py).
    db.session.execute(insert(AuditEvent).execution_options(render_nulls=True), [
        {"at": now, "action": action, "actor_id": actor.id if actor else None,
         "subject_user_id": subject.id if subject else None, "organisation_id": organisation_id, "target": target,
         "ip": ip, "details": details} for subject, target, details in events])


# Details that carry a person's own data (a name correction records the old and the new name). When the
# person's account is deleted, these values go and the event stays. A new detail holding a name or an email
# must be listed here: tests/privacy/test_export.py checks every record_event call in the code.
PERSONAL_DETAILS = frozenset({"old_name", "new_name"})
ERASED = "[removed]"


def erase_personal_details(subject: User) -> int:
    """Blank the personal details of every event about this person (flush only); returns how many events changed."""
    changed = 0
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.subject_user_id == subject.id)):
        details = dict(event.details or {})
        personal = PERSONAL_DETAILS & details.keys()
        if personal:
            event.details = {**details, **dict.fromkeys(personal, ERASED)}  # a new dict: JSON columns track assignment
            changed += 1
    db.session.flush()
    return changed
