"""The daily attempt limit as people see it, and the manager's override: one more attempt, now.

`max_attempts_per_day` is the one rule (at most that many attempts started in any 24 hours; the
service refuses a start beyond it). A manager of the learner's organisation, or an admin, may lift it
for one learner on one course: `grant_attempt` records an AttemptAllowance, audited, and the next start
that the limit would refuse uses it (service.start_attempt). Nobody lifts their own limit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.access import MemberAction, get_member
from elearn.assessment.service import ATTEMPT_WINDOW, FINAL
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import Conflict, NotFound
from elearn.extensions import db
from elearn.models import Attempt, AttemptAllowance, CourseVersion, Enrolment, Organisation, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailyLimit:
    """Where one enrolment stands against its course's daily attempt limit."""

    limit: int | None  # None: unlimited
    left: int | None  # attempts left in the next 24 hours; None: unlimited
    frees_at: datetime | None  # when the next attempt frees, while none is left
    has_allowance: bool  # at the limit, and a manager has allowed one more attempt, not used yet

    @property
    def is_reached(self) -> bool:
        """No attempt left under the limit (an allowance may still let one more start)."""
        return self.left == 0

    @property
    def can_start(self) -> bool:
        """Whether the limit lets an attempt start now, counting an allowance."""
        return not self.is_reached or self.has_allowance


def daily_limit(limit: int | None, starts: Sequence[datetime], *, now: datetime,
                has_allowance: bool = False) -> DailyLimit:
    """The limit for these start times of final attempts (any age): pure, so the rule has one place and one test.

    An allowance counts only at the limit; below it, it waits there for the start the limit would refuse.
    """
    if limit is None:
        return DailyLimit(None, None, None, False)
    recent = sorted(start for start in starts if start > now - ATTEMPT_WINDOW)
    left = max(limit - len(recent), 0)
    # With an allowance used, more than `limit` attempts can sit in the window: an attempt frees when the
    # count falls below the limit, so when the (len - limit + 1)-th oldest leaves it.
    frees_at = recent[len(recent) - limit] + ATTEMPT_WINDOW if left == 0 and recent else None
    return DailyLimit(limit, left, frees_at, has_allowance and left == 0)


def daily_limits(enrolments: Sequence[Enrolment]) -> dict[int, DailyLimit]:
    """The daily limit of each enrolment, by enrolment id, in at most three queries however many there are."""
    ids = [e.id for e in enrolments]
    if not ids:
        return {}
    limits: dict[int, int | None] = {version_id: limit for version_id, limit in db.session.execute(
        select(CourseVersion.id, CourseVersion.max_attempts_per_day)
        .where(CourseVersion.id.in_({e.version_id for e in enrolments})))}
    attempts = db.session.scalars(select(Attempt).where(
        Attempt.enrolment_id.in_(ids), Attempt.kind == FINAL, Attempt.started_at > now_utc() - ATTEMPT_WINDOW))
    return limits_of(enrolments, limits, attempts)


def limits_of(enrolments: Sequence[Enrolment], limits: Mapping[int, int | None],
              attempts: Iterable[Attempt]) -> dict[int, DailyLimit]:
    """The daily limit of each enrolment from its version's limit (by version id) and attempts the caller has
    loaded already (any kind, any age, any enrolment: the rule picks its own); one query for the allowances, and
    only when an enrolment is at its limit."""
    starts: dict[int, list[datetime]] = defaultdict(list)
    for attempt in attempts:
        if attempt.kind == FINAL:
            starts[attempt.enrolment_id].append(attempt.started_at)
    now = now_utc()
    plain = {e.id: daily_limit(limits.get(e.version_id), starts[e.id], now=now) for e in enrolments}
    at_limit = [i for i, limit in plain.items() if limit.is_reached]
    if not at_limit:
        return plain
    allowed = set(db.session.scalars(select(AttemptAllowance.enrolment_id).where(
        AttemptAllowance.enrolment_id.in_(at_limit), AttemptAllowance.used_at.is_(None))))
    return {e.id: daily_limit(limits.get(e.version_id), starts[e.id], now=now, has_allowance=e.id in allowed)
            if e.id in allowed else plain[e.id] for e in enrolments}


def grant_attempt(organisation: Organisation, user_id: int, enrolment_id: int, *, actor: User) -> AttemptAllowance:
    """Allow a member of this organisation one more attempt on one course now, past its daily limit; audited.

    Raises:
        NotFound: not a member the actor may see here, or not their enrolment.
        NotAllowed: the actor may see them but not grant (a learner, a peer manager, themselves).
        Conflict: the course is passed, the limit is not reached, or an allowance is already waiting.
    """
    member = get_member(user_id, MemberAction.GRANT_ATTEMPT, actor=actor, organisation=organisation)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != member.id:
        raise NotFound("There is no such course in this person's record.")
    _check_grantable(enrolment, daily_limits([enrolment])[enrolment.id])
    allowance = AttemptAllowance(enrolment_id=enrolment.id, granted_by_id=actor.id, granted_at=now_utc())
    try:
        db.session.add(allowance)
        db.session.flush()
    except IntegrityError:  # another manager granted at the same moment
        db.session.rollback()
        raise Conflict("Another attempt has already been allowed and not used yet.") from None
    record_event("assessment.attempt_allowed", actor=actor, subject=member, target=f"enrolment:{enrolment.id}",
                 allowance_id=allowance.id)
    db.session.commit()
    log.info("attempt allowance %s granted on enrolment %s", allowance.id, enrolment.id)
    return allowance


def _check_grantable(enrolment: Enrolment, limit: DailyLimit) -> None:
    if enrolment.passed_at is not None:
        raise Conflict("This assessment has been passed already.")
    if limit.has_allowance:
        raise Conflict("Another attempt has already been allowed and not used yet.")
    if not limit.is_reached:
        raise Conflict("The daily limit has not been reached: attempts are still left today.")
