"""Name corrections: the learner's name fixed on the account, and their unrevoked certificates re-issued.

A re-issued certificate keeps its code, so printed copies and QR codes still verify; the PDF
notes the re-issue date and the audit event keeps the old and the new name.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from elearn.access import MemberAction, check_may_act_on
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import Certificate, User
from elearn.text_rules import clean_person_name

log = logging.getLogger(__name__)


def correct_name(user: User, new_name: str, *, actor: User) -> list[Certificate]:
    """Correct a learner's name (the name rule applies) and re-issue their unrevoked certificates under the same
    codes; audited. Who may rename whom is elearn/access.py's RENAME rule (themselves, their manager if they are a
    learner, an admin)."""
    check_may_act_on(actor, user, MemberAction.RENAME)
    name = clean_person_name(new_name)
    if name == user.display_name:
        raise InvalidInput("display_name", "This is already the name on the account.")
    old_name, user.display_name = user.display_name, name
    now = now_utc()
    reissued = list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id, Certificate.revoked_at.is_(None)).order_by(Certificate.id)
    ))
    for certificate in reissued:
        certificate.learner_name = name
        certificate.reissued_at = now
    record_event("account.name_corrected", actor=actor, subject=user, target=f"user:{user.id}",
                 old_name=old_name, new_name=name, certificate_ids=[c.id for c in reissued])
    db.session.commit()
    log.info("user %s name corrected by user %s; %s certificates re-issued", user.id, actor.id, len(reissued))
    return reissued
