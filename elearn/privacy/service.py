"""Personal data (UK GDPR): a learner's own export, account deletion, and anonymising leavers past retention.

The rule, also in the README and on the privacy page:

- Deleting an account (or anonymising a leaver) removes the name, email, password hash, two-factor
  secret, recovery codes, reset tokens, sessions and remembered devices (with the addresses they began
  from), group memberships and pending invitations, and the names in
  the audit log's details about them (the events themselves stay). Enrolments,
  lesson progress and attempts stay, attached to an anonymous account, for course statistics.
- Certificates stay verifiable. Whether they keep the learner's name follows the organisation's
  rule (`keep_certificate_names`, on by default, because employers and inspectors rely on it);
  when it is off the name becomes "Name removed at the learner's request". Learners with no
  organisation follow the platform default below.
- Leavers (deactivated accounts) are anonymised `retention_months` after deactivation (24 by
  default; the platform default for learners with no organisation) by `flask users anonymise`.
"""

from __future__ import annotations

import calendar
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from elearn.access import MemberAction, check_may_act_on
from elearn.audit import erase_personal_details, record_event
from elearn.auth.sessions import end_all_sessions
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import (
    Assignment,
    Attempt,
    AttemptAllowance,
    AttemptAnswer,
    AttemptQuestion,
    AuditEvent,
    Certificate,
    ConfidenceRating,
    CourseEvaluation,
    CourseVersion,
    Enrolment,
    ExternalTraining,
    GroupMembership,
    Invitation,
    MemberDuty,
    Organisation,
    OutboxEmail,
    PasswordResetToken,
    Placement,
    RecoveryCode,
    ReminderLog,
    Role,
    SsoIdentity,
    User,
    UserSession,
)
from elearn.security import verify_password
from elearn.signoffs import service as signoffs
from elearn.training import sessions as training_sessions

log = logging.getLogger(__name__)

# Learners with no organisation: certificates keep their names, and leavers are anonymised after 24 months.
PLATFORM_KEEPS_CERTIFICATE_NAMES = True
PLATFORM_RETENTION_MONTHS = 24
DELETED_NAME = "Deleted user"
NAME_REMOVED = "Name removed at the learner's request"
DELETED_EMAIL_DOMAIN = "deleted.invalid"  # .invalid never resolves (RFC 2606): nothing can be sent there


def keeps_certificate_names(user: User) -> bool:
    """Whether this learner's certificates keep their name after their account is deleted."""
    org = user.organisation
    return org.keep_certificate_names if org is not None else PLATFORM_KEEPS_CERTIFICATE_NAMES


def retention_months(user: User) -> int:
    """How long after deactivation a leaver's account is kept before it is anonymised."""
    org = user.organisation
    return org.retention_months if org is not None else PLATFORM_RETENTION_MONTHS


# --- export -------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_personal_data(user: User, *, actor: User) -> dict[str, Any]:
    """Everything held about the learner, as JSON-ready data; never hashes, secrets or tokens. Audited."""
    check_may_act_on(actor, user, MemberAction.PERSONAL_DATA)  # only one's own data, and never a deleted account's
    data = {
        "exported_at": _iso(now_utc()),
        "account": _account(user),
        "organisation": _organisation(user),
        "groups": _groups(user),
        "assignments": _assignments(user),
        "enrolments": _enrolments(user),
        "attempts": _attempts(user),
        "attempt_allowances": _attempt_allowances(user),
        "certificates": _certificates(user),
        "external_training": _external_training(user),
        "placements": _placements(user),
        "duties": _duties(user),
        "face_to_face_sessions": training_sessions.export_attended(user),
        "read_and_understood": signoffs.export_personal(user),
        "confidence_ratings": _confidence_ratings(user),
        "course_evaluations": _course_evaluations(user),
        "invitations": _invitations(user),
        "reminders": _reminders(user),
        "emails": _emails(user),
        "sessions": _sessions(user),
        "sign_in_accounts": _sign_in_accounts(user),
        "audit_events": _audit_events(user),
    }
    record_event("personal_data.exported", actor=actor, subject=user, target=f"user:{user.id}")
    db.session.commit()
    log.info("user %s exported their personal data", user.id)
    return data


def _account(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": str(user.role),
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
            "joined_organisation_at": _iso(user.joined_organisation_at), "is_active": user.is_active_account,
            "two_factor_enabled": user.has_two_factor}


def _organisation(user: User) -> dict[str, Any] | None:
    org = user.organisation
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "retention_months": org.retention_months,
            "keep_certificate_names": org.keep_certificate_names}


def _groups(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(GroupMembership).where(GroupMembership.user_id == user.id)
                              .options(joinedload(GroupMembership.group)).order_by(GroupMembership.id))
    return [{"group": row.group.name, "added_at": _iso(row.added_at)} for row in rows]


def _assignments(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Assignment).where(Assignment.user_id == user.id)
                              .options(joinedload(Assignment.course)).order_by(Assignment.id))
    return [{"course": row.course.slug, "assigned_at": _iso(row.assigned_at), "due_on": _iso(row.due_on),
             "source": str(row.source)} for row in rows]


def _enrolments(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.id)
        .options(selectinload(Enrolment.progress),
                 joinedload(Enrolment.version).selectinload(CourseVersion.lessons))
    ).unique()
    result = []
    for row in rows:
        lessons = {lesson.id: lesson for lesson in row.version.lessons}
        result.append({
            "course": row.version.title, "course_version": row.version.number, "cycle": row.cycle,
            "enrolled_at": _iso(row.enrolled_at), "last_active_at": _iso(row.last_active_at),
            "due_on": _iso(row.due_on), "lessons_completed_at": _iso(row.lessons_completed_at),
            "passed_at": _iso(row.passed_at),
            "lessons": [{"lesson": lessons[p.lesson_id].title if p.lesson_id in lessons else None,
                         "first_opened_at": _iso(p.first_opened_at), "last_seen_at": _iso(p.last_seen_at),
                         "seconds_spent": p.seconds_spent, "completed_at": _iso(p.completed_at)}
                        for p in row.progress],
        })
    return result


def _attempts(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id)
        .options(joinedload(Attempt.version),
                 selectinload(Attempt.questions).options(
                     joinedload(AttemptQuestion.question),
                     selectinload(AttemptQuestion.answers).joinedload(AttemptAnswer.option)))
    ).unique()
    # Selected options and marks only: which options are correct is course content, not personal data,
    # and must not leak for an attempt still in progress.
    return [{
        "course": row.version.title, "course_version": row.version.number, "number": row.number,
        "kind": row.kind, "started_at": _iso(row.started_at), "submitted_at": _iso(row.submitted_at),
        "score_percent": float(row.score_percent) if row.score_percent is not None else None,
        "passed": row.passed,
        "questions": [{"question": q.question.stem, "selected": [a.option.text for a in q.answers],
                       "mark": float(q.mark) if q.mark is not None else None} for q in row.questions],
    } for row in rows]


def _attempt_allowances(user: User) -> list[dict[str, Any]]:
    """The extra attempts a manager or an admin allowed past a course's daily limit (not who: that is theirs)."""
    rows = db.session.execute(
        select(AttemptAllowance, CourseVersion.title).join(Enrolment, Enrolment.id == AttemptAllowance.enrolment_id)
        .join(CourseVersion, CourseVersion.id == Enrolment.version_id)
        .where(Enrolment.user_id == user.id).order_by(AttemptAllowance.id))
    return [{"course": title, "granted_at": _iso(row.granted_at), "used_at": _iso(row.used_at)} for row, title in rows]


def _certificates(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id))
    return [{"code": row.code, "learner_name": row.learner_name, "course": row.course_title,
             "course_version": row.course_version_number, "cpd_hours": float(row.cpd_hours),
             "score_percent": row.score_percent, "completed_at": _iso(row.completed_at),
             "issued_at": _iso(row.issued_at), "expires_on": _iso(row.expires_on),
             "reissued_at": _iso(row.reissued_at), "revoked_at": _iso(row.revoked_at)} for row in rows]


def _external_training(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(ExternalTraining).where(ExternalTraining.user_id == user.id)
                              .order_by(ExternalTraining.id))
    return [{"title": row.title, "provider": row.provider, "completed_on": _iso(row.completed_on),
             "expires_on": _iso(row.expires_on), "note": row.note} for row in rows]


def _placements(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Placement).where(Placement.user_id == user.id)
                              .options(joinedload(Placement.organisation)).order_by(Placement.id))
    return [{"organisation": row.organisation.name, "kind": str(row.kind), "started_on": _iso(row.started_on),
             "ended_on": _iso(row.ended_on)} for row in rows]


def _duties(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(select(MemberDuty, Organisation.name)
                              .join(Organisation, Organisation.id == MemberDuty.organisation_id)
                              .where(MemberDuty.user_id == user.id).order_by(MemberDuty.id))
    return [{"organisation": name, "duty": str(duty.duty), "since": _iso(duty.since)} for duty, name in rows]


def _confidence_ratings(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(ConfidenceRating).join(ConfidenceRating.enrolment)
                              .where(Enrolment.user_id == user.id)
                              .options(joinedload(ConfidenceRating.enrolment).joinedload(Enrolment.version))
                              .order_by(ConfidenceRating.id))
    return [{"course": row.enrolment.version.title, "outcome": row.outcome_key, "stage": row.stage,
             "rating": row.rating, "rated_at": _iso(row.rated_at)} for row in rows]


def _course_evaluations(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(CourseEvaluation).join(CourseEvaluation.enrolment)
                              .where(Enrolment.user_id == user.id)
                              .options(joinedload(CourseEvaluation.enrolment).joinedload(Enrolment.version))
                              .order_by(CourseEvaluation.id))
    return [{"course": row.enrolment.version.title, "relevance": row.relevance, "clarity": row.clarity,
             "comment": row.comment, "submitted_at": _iso(row.submitted_at)} for row in rows]


def _invitations(user: User) -> list[dict[str, Any]]:
    """Invitations sent to this person's address or accepted by them; never the token."""
    rows = db.session.scalars(select(Invitation)
                              .where(or_(Invitation.user_id == user.id, func.lower(Invitation.email) == user.email.lower()))
                              .options(joinedload(Invitation.organisation)).order_by(Invitation.id))
    return [{"organisation": row.organisation.name, "email": row.email, "name": row.display_name,
             "sent_at": _iso(row.created_at), "expires_at": _iso(row.expires_at),
             "accepted_at": _iso(row.accepted_at), "cancelled_at": _iso(row.cancelled_at)} for row in rows]


def _reminders(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(ReminderLog).where(ReminderLog.user_id == user.id).order_by(ReminderLog.id))
    return [{"kind": row.kind, "week": row.week, "sent_at": _iso(row.sent_at)} for row in rows]


def _emails(user: User) -> list[dict[str, Any]]:
    """Emails to this address still on record (30 days once sent); the subject, never a link-bearing body."""
    rows = db.session.scalars(select(OutboxEmail).where(func.lower(OutboxEmail.to_address) == user.email.lower())
                              .order_by(OutboxEmail.id))
    return [{"to": row.to_address, "subject": row.subject, "queued_at": _iso(row.created_at),
             "sent_at": _iso(row.sent_at), "failed_at": _iso(row.failed_at)} for row in rows]


def _sessions(user: User) -> list[dict[str, Any]]:
    """Sessions and remembered devices, with the address and browser each began from; never the key."""
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    return [{"kind": str(row.kind), "started_at": _iso(row.created_at), "last_seen_at": _iso(row.last_seen_at),
             "expires_at": _iso(row.expires_at), "ended_at": _iso(row.ended_at), "browser": row.user_agent,
             "ip": row.ip} for row in rows]


def _sign_in_accounts(user: User) -> list[dict[str, Any]]:
    """The Microsoft or Google accounts linked for single sign-on (elearn/sso)."""
    rows = db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id).order_by(SsoIdentity.id))
    return [{"provider": row.provider, "issuer": row.issuer, "subject": row.subject, "tenant": row.tenant,
             "linked_at": _iso(row.created_at), "last_used_at": _iso(row.last_used_at)} for row in rows]


def _audit_events(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_user_id == user.id)
                              .order_by(AuditEvent.at, AuditEvent.id))

    def by_whom(event: AuditEvent) -> str:
        # Other people's identities are theirs, not the learner's: say only what kind of actor it was.
        if event.actor_id is None:
            return "system"
        return "you" if event.actor_id == user.id else "another user"

    return [{"at": _iso(row.at), "action": row.action, "by": by_whom(row), "ip": row.ip, "target": row.target,
             "details": row.details} for row in rows]


# --- deletion and anonymisation -----------------------------------------------------------------


def delete_account(user: User, password: str, *, actor: User) -> None:
    """Delete one's own account after re-entering the password: personal data goes, certificates stay verifiable."""
    check_may_act_on(actor, user, MemberAction.PERSONAL_DATA)
    if not verify_password(user.password_hash, password):
        raise InvalidInput("password", "Your password is not right.")
    names_kept = keeps_certificate_names(user)
    _anonymise(user, keep_certificate_names=names_kept)
    # No personal data in the event: the account id, and what happened to the certificates.
    record_event("account.deleted", actor=actor, subject=user, target=f"user:{user.id}",
                 certificate_names_kept=names_kept)
    db.session.commit()
    log.info("user %s deleted their account", user.id)


def _anonymise(user: User, *, keep_certificate_names: bool) -> None:
    """Remove the person's data from the account and the rows around it (flush only)."""
    old_email = user.email
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(GroupMembership).where(GroupMembership.user_id == user.id))
    db.session.execute(delete(ReminderLog).where(ReminderLog.user_id == user.id))
    # Emails to the address, sent or waiting: the address and any body go (a waiting one is never sent).
    db.session.execute(delete(OutboxEmail).where(func.lower(OutboxEmail.to_address) == old_email.lower()))
    db.session.execute(delete(Invitation).where(Invitation.email == old_email, Invitation.accepted_at.is_(None)))
    db.session.execute(update(Invitation).where(or_(Invitation.email == old_email, Invitation.user_id == user.id))
                       .values(email=f"deleted-{user.id}@{DELETED_EMAIL_DOMAIN}", display_name=DELETED_NAME))
    db.session.execute(update(ExternalTraining).where(ExternalTraining.user_id == user.id).values(note=None))
    if not keep_certificate_names:
        db.session.execute(update(Certificate).where(Certificate.user_id == user.id).values(learner_name=NAME_REMOVED))
    erase_personal_details(user)  # the events stay (who did what, when); the names in them go
    user.email = f"deleted-{user.id}@{DELETED_EMAIL_DOMAIN}"
    user.display_name = DELETED_NAME
    user.password_hash = None
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, None
    user.device_failed_logins, user.device_locked_until, user.failed_logins_notified_at = 0, None, None
    user.role = Role.LEARNER
    if user.is_active_account:
        user.is_active_account = False
    end_all_sessions(user)  # every session and remembered device ends now
    # and their records go: they hold the addresses and browsers the person signed in from
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(SsoIdentity).where(SsoIdentity.user_id == user.id))  # the Microsoft or Google link
    user.anonymised_at = now_utc()
    db.session.flush()


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the month's last day when that day does not exist)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1])
    return moment.replace(year=year, month=month_index + 1, day=day)


def list_leavers_past_retention(*, now: datetime | None = None) -> list[User]:
    """Deactivated, not yet anonymised accounts whose organisation's retention period has passed since they left."""
    now = now or now_utc()
    candidates = db.session.scalars(
        select(User).where(User.is_active_account.is_(False), User.anonymised_at.is_(None),
                           User.deactivated_at.is_not(None))
        .options(joinedload(User.organisation)).order_by(User.id)
    ).all()
    return [user for user in candidates
            if user.deactivated_at is not None and user.deactivated_at <= _months_before(now, retention_months(user))]


def anonymise_leavers(*, actor: User | None = None, dry_run: bool = False, now: datetime | None = None) -> list[int]:
    """Anonymise every leaver past retention (one commit); with dry_run, only say who. Running it again does nothing."""
    leavers = list_leavers_past_retention(now=now)
    ids = [user.id for user in leavers]
    if dry_run or not leavers:
        return ids
    for user in leavers:
        names_kept = keeps_certificate_names(user)
        _anonymise(user, keep_certificate_names=names_kept)
        record_event("account.anonymised", actor=actor, subject=user, target=f"user:{user.id}",
                     reason="retention", certificate_names_kept=names_kept)
    db.session.commit()
    log.info("anonymised %s leaver account(s) past retention", len(ids))
    return ids
