"""Face-to-face training: an INSET day or another session, recorded once for everyone who attended.

A session lists the courses whose outcomes it covers. The organisation decides, per session, whether it counts
towards compliance for those courses; when it does, it counts until the date the manager gives, through one
ExternalTraining row per attendee and course that this module alone writes (`_sync_credits`, after every change).
The status rule therefore stays the one in elearn/compliance: a session counts exactly as training done
elsewhere does, for its attendees only, and the matrix and exports mark it "external".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, insert, select

from elearn.access import MemberAction, get_member, get_members, get_owned, members_of
from elearn.audit import record_event
from elearn.catalog.service import course_titles
from elearn.clock import london_today
from elearn.downloads import Download, audited
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import (
    ExternalTraining,
    Group,
    GroupMembership,
    Organisation,
    TrainingSession,
    TrainingSessionAttendee,
    TrainingSessionCourse,
    User,
)
from elearn.text_rules import TRAINING_NOTE_MAX, TRAINING_PROVIDER_MAX, TRAINING_TITLE_MAX, clean_text
from elearn.uploads import EXTENSIONS, Upload

log = logging.getLogger(__name__)

EARLIEST = date(1990, 1, 1)
MAX_HOURS = Decimal(24)  # one session; a course of several days is recorded as one session per day
REGISTER_TYPES = ("application/pdf", "image/png", "image/jpeg")
MISSING = "There is no training session with this address in your organisation."


@dataclass(frozen=True)
class SessionInput:
    """A session's details as typed into the form."""

    topic: str
    trainer: str
    held_on: date | None
    hours: Decimal | None
    course_ids: list[int] = field(default_factory=list)
    counts_towards_compliance: bool = False
    counts_until: date | None = None
    note: str = ""


@dataclass(frozen=True)
class SessionLine:
    """A session in the list: its details, how many attended and the titles of the courses it covers."""

    session: TrainingSession
    attendees: int
    courses: list[str]


@dataclass(frozen=True)
class AttendedSession:
    """A session on one person's record."""

    session: TrainingSession
    courses: list[str]


def get_session(org: Organisation, session_id: int) -> TrainingSession:
    """A session of this organisation, or NotFound (another organisation's id included)."""
    return get_owned(TrainingSession, session_id, organisation=org, missing=MISSING)


def list_sessions(org: Organisation) -> list[SessionLine]:
    """The organisation's sessions, newest first, with attendance counts; three queries at any size."""
    sessions = list(db.session.scalars(select(TrainingSession).where(TrainingSession.organisation_id == org.id)
                                       .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())))
    ids = [s.id for s in sessions]
    counts = dict(db.session.execute(  # type: ignore[arg-type]
        select(TrainingSessionAttendee.session_id, func.count()).where(TrainingSessionAttendee.session_id.in_(ids))
        .group_by(TrainingSessionAttendee.session_id)).all()) if ids else {}
    covered = _covered(ids)
    return [SessionLine(s, counts.get(s.id, 0), covered.get(s.id, [])) for s in sessions]


def _covered(session_ids: Sequence[int]) -> dict[int, list[str]]:
    """The titles of the courses each session covers; one query (and the titles')."""
    if not session_ids:
        return {}
    titles = course_titles()
    covered: dict[int, list[str]] = {}
    for session_id, course_id in db.session.execute(
            select(TrainingSessionCourse.session_id, TrainingSessionCourse.course_id)
            .where(TrainingSessionCourse.session_id.in_(session_ids))):
        covered.setdefault(session_id, []).append(titles.get(course_id, "A course no longer published"))
    return covered


def covered_titles(session: TrainingSession) -> list[str]:
    """The titles of the courses whose outcomes the session covers."""
    return _covered([session.id]).get(session.id, [])


def list_attendees(session: TrainingSession) -> list[User]:
    """Who attended, by name; one query."""
    return list(db.session.scalars(select(User).join(TrainingSessionAttendee, TrainingSessionAttendee.user_id == User.id)
                                   .where(TrainingSessionAttendee.session_id == session.id)
                                   .order_by(func.lower(User.display_name), User.id)))


def list_attended(org: Organisation, user_id: int, *, actor: User) -> list[AttendedSession]:
    """The sessions a member attended, newest first, for their record; two queries."""
    member = get_member(user_id, MemberAction.VIEW, actor=actor, organisation=org)
    sessions = list(db.session.scalars(
        select(TrainingSession).join(TrainingSessionAttendee, TrainingSessionAttendee.session_id == TrainingSession.id)
        .where(TrainingSession.organisation_id == org.id, TrainingSessionAttendee.user_id == member.id)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())))
    covered = _covered([s.id for s in sessions])
    return [AttendedSession(s, covered.get(s.id, [])) for s in sessions]


# --- checking what was typed ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    topic: str
    trainer: str
    held_on: date
    minutes: int
    course_ids: list[int]
    counts: bool
    counts_until: date | None
    note: str | None


def _minutes(hours: Decimal | None) -> int:
    try:
        if hours is None or not Decimal(0) < hours <= MAX_HOURS:
            raise InvalidInput("hours", f"Enter how long it lasted, in hours: more than 0 and at most {MAX_HOURS}.")
        return int((hours * 60).to_integral_value())
    except InvalidOperation as error:
        raise InvalidInput("hours", "Enter the hours as a number, like 1.5.") from error


def _check(data: SessionInput) -> _Checked:
    """Every rule on the details; raises InvalidInput(field) for the first broken one."""
    topic = clean_text(data.topic, field="topic", max_length=TRAINING_TITLE_MAX, required="Enter the session's topic.")
    trainer = clean_text(data.trainer, field="trainer", max_length=TRAINING_PROVIDER_MAX,
                         required="Enter who led the session.")
    note = clean_text(data.note, field="note", max_length=TRAINING_NOTE_MAX, required=None, multiline=True)
    if data.held_on is None or not EARLIEST <= data.held_on <= london_today():
        raise InvalidInput("held_on", "Enter the date it was held: a real date, not in the future.")
    minutes = _minutes(data.hours)
    titles = course_titles()
    course_ids = sorted(set(data.course_ids))
    if any(course_id not in titles for course_id in course_ids):
        raise NotFound("There is no such course.")
    if data.counts_towards_compliance:
        if not course_ids:
            raise InvalidInput("course_ids", "Choose the courses it counts for, or untick “Counts towards compliance”.")
        if data.counts_until is None or data.counts_until <= data.held_on:
            raise InvalidInput("counts_until", "Enter when it stops counting: a date after the session.")
    return _Checked(topic, trainer, data.held_on, minutes, course_ids, data.counts_towards_compliance,
                    data.counts_until if data.counts_towards_compliance else None, note or None)


def _people(org: Organisation, user_ids: Sequence[int], group_ids: Sequence[int], *, actor: User) -> list[User]:
    """The people picked one by one and the current members of the groups picked, each once; active members only."""
    for group_id in group_ids:  # another organisation's group: 404, before anything is written
        get_owned(Group, group_id, organisation=org, missing="There is no such group in your organisation.")
    in_groups = list(db.session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id.in_(group_ids)))
                     ) if group_ids else []
    members = get_members(sorted(set(user_ids) | set(in_groups)), MemberAction.MANAGE, actor=actor, organisation=org)
    return [member for member in members if member.is_active_account]


# --- changes ---------------------------------------------------------------------------------------


def record_session(org: Organisation, data: SessionInput, *, user_ids: Sequence[int], group_ids: Sequence[int],
                   register: Upload | None, actor: User) -> TrainingSession:
    """Record a session once for everyone who attended; it counts for its courses when the organisation says so."""
    checked = _check(data)
    people = _people(org, user_ids, group_ids, actor=actor)
    if not people:
        raise InvalidInput("user_ids", "Choose who attended: people, a group with members, or both.")
    session = TrainingSession(organisation_id=org.id, recorded_by_id=actor.id)
    _apply(session, checked)
    if register is not None:
        _set_register(session, register)
    db.session.add(session)
    db.session.flush()
    db.session.add_all(TrainingSessionAttendee(session_id=session.id, user_id=person.id) for person in people)
    db.session.flush()
    _sync_credits(session)
    record_event("training_session.recorded", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}", attendees=len(people), counts=checked.counts,
                 course_ids=checked.course_ids, register=register is not None)
    db.session.commit()
    log.info("training session %s recorded for %s people by user %s", session.id, len(people), actor.id)
    return session


def update_session(org: Organisation, session_id: int, data: SessionInput, *, actor: User) -> TrainingSession:
    """Correct a session's details; whether and until when it counts follows at once for every attendee."""
    session = get_session(org, session_id)
    checked = _check(data)
    _apply(session, checked)
    db.session.flush()
    _sync_credits(session)
    record_event("training_session.updated", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}", counts=checked.counts, course_ids=checked.course_ids)
    db.session.commit()
    return session


def _apply(session: TrainingSession, checked: _Checked) -> None:
    session.topic, session.trainer, session.held_on = checked.topic, checked.trainer, checked.held_on
    session.minutes, session.note = checked.minutes, checked.note
    session.counts_towards_compliance, session.counts_until = checked.counts, checked.counts_until
    # Keep the links that stay: replacing them all would insert a course's new link before deleting its old one.
    kept = [link for link in session.courses if link.course_id in checked.course_ids]
    have = {link.course_id for link in kept}
    session.courses = kept + [TrainingSessionCourse(course_id=c) for c in checked.course_ids if c not in have]


def add_attendees(org: Organisation, session_id: int, *, user_ids: Sequence[int], group_ids: Sequence[int],
                  actor: User) -> int:
    """Add people (one by one, or a group's members) to a session; returns how many were new to it."""
    session = get_session(org, session_id)
    people = _people(org, user_ids, group_ids, actor=actor)
    if not people:
        raise InvalidInput("user_ids", "Choose people, or a group with members, to add.")
    present = set(db.session.scalars(select(TrainingSessionAttendee.user_id)
                                     .where(TrainingSessionAttendee.session_id == session.id)))
    new = [person for person in people if person.id not in present]
    db.session.add_all(TrainingSessionAttendee(session_id=session.id, user_id=person.id) for person in new)
    db.session.flush()
    _sync_credits(session)
    record_event("training_session.attendees_added", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}", user_ids=[person.id for person in new])
    db.session.commit()
    return len(new)


def remove_attendee(org: Organisation, session_id: int, user_id: int, *, actor: User) -> None:
    """Take a person off a session's attendance (and so off what it counts for)."""
    session = get_session(org, session_id)
    member = get_member(user_id, MemberAction.MANAGE, actor=actor, organisation=org)
    row = db.session.scalar(select(TrainingSessionAttendee).where(
        TrainingSessionAttendee.session_id == session.id, TrainingSessionAttendee.user_id == member.id))
    if row is None:
        raise NotFound("This person is not on the session's attendance.")
    db.session.delete(row)
    db.session.flush()
    _sync_credits(session)
    record_event("training_session.attendee_removed", actor=actor, subject=member, organisation_id=org.id,
                 target=f"training_session:{session.id}")
    db.session.commit()


def delete_session(org: Organisation, session_id: int, *, actor: User) -> None:
    """Delete a session, its attendance, its register and what it counted for."""
    session = get_session(org, session_id)
    record_event("training_session.deleted", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}")
    db.session.execute(delete(ExternalTraining).where(ExternalTraining.session_id == session.id))
    db.session.execute(delete(TrainingSessionAttendee).where(TrainingSessionAttendee.session_id == session.id))
    db.session.delete(session)
    db.session.commit()


def _sync_credits(session: TrainingSession) -> None:
    """Rewrite the ExternalTraining rows the session keeps: one per attendee and course while it counts, else none.

    Flushes only; a set-based delete and insert, so a session of a thousand people costs the same few statements.
    """
    db.session.execute(delete(ExternalTraining).where(ExternalTraining.session_id == session.id))
    if not session.counts_towards_compliance or session.counts_until is None:
        return
    attendees = list(db.session.scalars(select(TrainingSessionAttendee.user_id)
                                        .where(TrainingSessionAttendee.session_id == session.id)))
    rows = [{"organisation_id": session.organisation_id, "user_id": user_id, "course_id": link.course_id,
             "title": session.topic, "provider": session.trainer, "completed_on": session.held_on,
             "expires_on": session.counts_until, "session_id": session.id, "recorded_by_id": session.recorded_by_id,
             "note": "Face-to-face session"} for user_id in attendees for link in session.courses]
    if rows:
        db.session.execute(insert(ExternalTraining), rows)


# --- the register ----------------------------------------------------------------------------------


def _set_register(session: TrainingSession, upload: Upload) -> None:
    if upload.mimetype not in REGISTER_TYPES:
        raise InvalidInput("register", "The register must be a PDF, PNG or JPEG file.")
    session.register_filename, session.register_type = upload.filename, upload.mimetype
    session.register_size, session.register_data = upload.size, upload.data


def attach_register(org: Organisation, session_id: int, upload: Upload, *, actor: User) -> None:
    """Attach (or replace) the session's signed register."""
    session = get_session(org, session_id)
    _set_register(session, upload)
    record_event("training_session.register_attached", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}", size=upload.size, mimetype=upload.mimetype)
    db.session.commit()


def remove_register(org: Organisation, session_id: int, *, actor: User) -> None:
    """Remove the session's register."""
    session = get_session(org, session_id)
    session.register_filename = session.register_type = session.register_data = None
    session.register_size = None
    record_event("training_session.register_removed", actor=actor, organisation_id=org.id,
                 target=f"training_session:{session.id}")
    db.session.commit()


def download_register(org: Organisation, session_id: int, *, actor: User) -> Download:
    """The register as a download (recorded): for the organisation's managers and admins, whom the caller checked."""
    session = get_session(org, session_id)
    if session.register_data is None or session.register_type is None:
        raise NotFound("This session has no register attached.")
    download = Download(session.register_data, session.register_type, session.register_filename or "register",
                        f"register-{session.id}.{EXTENSIONS[session.register_type]}")
    return audited(download, "training_session.register_downloaded", actor=actor, organisation_id=org.id,
                   target=f"training_session:{session.id}")


def list_active_members(org: Organisation) -> list[tuple[int, str]]:
    """(id, name) of the organisation's active members, by name: the attendance picker; one query."""
    return [(r[0], r[1]) for r in db.session.execute(
        select(User.id, User.display_name).where(members_of(org.id), User.is_active_account.is_(True))
        .order_by(func.lower(User.display_name), User.id))]


def list_group_choices(org: Organisation) -> list[tuple[int, str]]:
    """(id, name) of the organisation's groups, by name; one query."""
    return [(r[0], r[1]) for r in db.session.execute(
        select(Group.id, Group.name).where(Group.organisation_id == org.id).order_by(Group.name))]


def export_attended(user: User) -> list[dict[str, object]]:
    """The face-to-face sessions a person attended, for their own data export (UK GDPR); one query."""
    rows = db.session.scalars(
        select(TrainingSession).join(TrainingSessionAttendee, TrainingSessionAttendee.session_id == TrainingSession.id)
        .where(TrainingSessionAttendee.user_id == user.id).order_by(TrainingSession.held_on, TrainingSession.id))
    return [{"topic": s.topic, "trainer": s.trainer, "held_on": s.held_on.isoformat(), "hours": s.hours,
             "counts_until": s.counts_until.isoformat() if s.counts_until else None} for s in rows]
