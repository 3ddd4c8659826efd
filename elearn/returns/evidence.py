"""Every dated piece of training evidence for a setting's people over a period, and which requirement each meets.

Four sources, each read once for all the settings and people asked about (no query per person or setting):

- certificates of ours, dated by their issue (a revoked certificate is no evidence);
- training recorded from elsewhere (`ExternalTraining.completed_on`), which includes the rows a face-to-face
  session keeps for each attendee and course it counts for;
- face-to-face attendance, as the session's topic (`TrainingSession.held_on`);
- read-and-understood confirmations (elearn/signoffs) of the version in force, at the end of the period, of the
  setting's or its trust's documents.

A piece meets a requirement item (elearn/network/requirements.py) when it is for the same thing: a course
requirement by a certificate or recorded training for that course; a session requirement by attending a session
whose topic matches, or by training recorded elsewhere under that title (DSL training done with the local
authority), both compared case-insensitively; a document requirement by confirming the version in force of a
document of that kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import QueryableAttribute

from elearn.clock import LONDON, to_london
from elearn.extensions import db
from elearn.models import (
    Certificate,
    ExternalTraining,
    Organisation,
    RequirementItem,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
    TrainingSession,
    TrainingSessionAttendee,
)
from elearn.network.requirements import Requirement


class Source:
    CERTIFICATE = "certificate"
    ELSEWHERE = "elsewhere"
    SESSION = "session"
    SIGNOFF = "signoff"


@dataclass(frozen=True, order=True, slots=True)  # slots: a trust holds tens of thousands at once
class Evidence:
    """One dated piece of evidence: what it was for (a course, a topic or a document kind) and how to say it."""

    on: date
    description: str
    source: str
    course_id: int | None = None
    topic: str | None = None  # casefolded: a session's topic, or the title of training recorded elsewhere
    document_kind: str | None = None
    session_id: int | None = None  # the face-to-face session it comes from, if any

    @property
    def is_training(self) -> bool:
        """Training done (a course, a session, training elsewhere), as opposed to a document read."""
        return self.source != Source.SIGNOFF

    def meets(self, requirement: Requirement) -> bool:
        """Whether this piece is evidence for the requirement's item."""
        if requirement.item == RequirementItem.COURSE:
            return self.course_id is not None and self.course_id == requirement.course_id
        if requirement.item == RequirementItem.SESSION:
            return self.topic is not None and self.topic == (requirement.session_topic or "").casefold()
        return self.document_kind is not None and self.document_kind == requirement.document_kind


def among(column: QueryableAttribute[Any], ids: list[int]) -> ColumnElement[bool]:
    """column IN (the ids), the ids written into the SQL as integer literals: a school's few hundred people as
    bound parameters cost more to send than the query takes to run (bench/returns/RESULTS.md)."""
    return column.in_(bindparam(f"among_{column.key}", [int(i) for i in ids], expanding=True, literal_execute=True))


def _end_of(day: date) -> datetime:
    """The last moment of a London day, as an aware time (to compare with UTC timestamps)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def _certificates(ids: list[int], start: date, end: date) -> Iterable[tuple[int, Evidence]]:
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.course_title, Certificate.issued_at)
        .where(among(Certificate.user_id, ids), Certificate.revoked_at.is_(None),
               Certificate.issued_at >= _start_of(start), Certificate.issued_at < _end_of(end)))
    for user_id, course_id, title, issued_at in rows:
        if user_id is not None:
            yield user_id, Evidence(to_london(issued_at).date(), f"Certificate: {title}", Source.CERTIFICATE,
                                    course_id=course_id)


def _elsewhere(ids: list[int], start: date, end: date) -> Iterable[tuple[int, Evidence]]:
    rows = db.session.execute(
        select(ExternalTraining.user_id, ExternalTraining.course_id, ExternalTraining.title,
               ExternalTraining.provider, ExternalTraining.completed_on, ExternalTraining.session_id)
        .where(among(ExternalTraining.user_id, ids), ExternalTraining.completed_on.between(start, end)))
    for user_id, course_id, title, provider, completed_on, session_id in rows:
        how = "Face-to-face" if session_id is not None else "Training elsewhere"
        yield user_id, Evidence(completed_on, f"{how}: {title} ({provider})", Source.ELSEWHERE,
                                course_id=course_id, topic=title.casefold(), session_id=session_id)


def _sessions(ids: list[int], start: date, end: date) -> Iterable[tuple[int, Evidence]]:
    rows = db.session.execute(
        select(TrainingSessionAttendee.user_id, TrainingSession.id, TrainingSession.topic, TrainingSession.trainer,
               TrainingSession.held_on)
        .join(TrainingSession, TrainingSession.id == TrainingSessionAttendee.session_id)
        .where(among(TrainingSessionAttendee.user_id, ids), TrainingSession.held_on.between(start, end)))
    for user_id, session_id, topic, trainer, held_on in rows:
        yield user_id, Evidence(held_on, f"Attended: {topic} ({trainer})", Source.SESSION, topic=topic.casefold(),
                                session_id=session_id)


def versions_in_force(settings: Sequence[Organisation], on: date) -> dict[int, dict[int, tuple[SignoffKind, str, str]]]:
    """For each setting, the version in force on a day (the newest published by then) of each document of the
    setting and its trust: setting id → version id → (kind, document title, version label). One statement."""
    owners_of = {s.id: {s.id} | ({s.trust_id} if s.trust_id is not None else set()) for s in settings}
    owners = sorted(set().union(*owners_of.values())) if owners_of else []
    newest = (select(SignoffVersion.document_id, func.max(SignoffVersion.id).label("version_id"))
              .where(SignoffVersion.published_at < _end_of(on)).group_by(SignoffVersion.document_id).subquery())
    rows = db.session.execute(
        select(newest.c.version_id, SignoffDocument.organisation_id, SignoffDocument.kind, SignoffDocument.title,
               SignoffVersion.label)
        .join(SignoffDocument, SignoffDocument.id == newest.c.document_id)
        .join(SignoffVersion, SignoffVersion.id == newest.c.version_id)
        .where(SignoffDocument.organisation_id.in_(owners))).all()
    return {setting_id: {version_id: (SignoffKind(kind), title, label)
                         for version_id, owner, kind, title, label in rows if owner in owners_of[setting_id]}
            for setting_id in owners_of}


def _confirmations(settings: Sequence[Organisation], ids: list[int],
                   end: date) -> Iterable[tuple[int, int, Evidence]]:
    """(setting id, user id, confirmation) of a version in force at that setting, for everyone at once."""
    in_force = versions_in_force(settings, end)
    versions = sorted({version_id for at_setting in in_force.values() for version_id in at_setting})
    if not versions:
        return
    rows = db.session.execute(
        select(SignoffConfirmation.user_id, SignoffConfirmation.version_id, SignoffConfirmation.confirmed_at)
        .where(among(SignoffConfirmation.user_id, ids), SignoffConfirmation.version_id.in_(versions),
               SignoffConfirmation.confirmed_at < _end_of(end))).all()
    settings_of: dict[int, list[int]] = {}  # a trust's document is in force at each of its settings
    for setting_id, at_setting in in_force.items():
        for version_id in at_setting:
            settings_of.setdefault(version_id, []).append(setting_id)
    for user_id, version_id, confirmed_at in rows:
        for setting_id in settings_of[version_id]:
            kind, title, label = in_force[setting_id][version_id]
            yield setting_id, user_id, Evidence(to_london(confirmed_at).date(),
                                                f"Read and understood: {title} ({label})", Source.SIGNOFF,
                                                document_kind=kind.value)


def evidence_at(settings: Sequence[Organisation], user_ids: dict[int, list[int]], start: date,
                end: date) -> dict[int, dict[int, list[Evidence]]]:
    """For each setting (by id) and each of its people asked about (user_ids: setting id → people), every piece
    of evidence dated from start to end (inclusive, London days), oldest first: one statement per source for all
    the settings and people together. Training is the person's wherever they work; documents count only in the
    version in force at the end of the period of that setting's or its trust's documents (an earlier edition read
    is not the edition in force)."""
    found: dict[int, dict[int, list[Evidence]]] = {s.id: {u: [] for u in user_ids.get(s.id, [])} for s in settings}
    ids = sorted({user_id for people in user_ids.values() for user_id in people})
    if not ids:
        return found
    elsewhere = list(_elsewhere(ids, start, end))
    # A session that counts for courses keeps a training-elsewhere row per attendee and course (same day, same
    # topic): that row is the evidence, and the attendance would only say it twice.
    credited = {(user_id, piece.session_id) for user_id, piece in elsewhere if piece.session_id is not None}
    attended = [(user_id, piece) for user_id, piece in _sessions(ids, start, end)
                if (user_id, piece.session_id) not in credited]
    training: dict[int, list[Evidence]] = {user_id: [] for user_id in ids}
    for user_id, piece in [*_certificates(ids, start, end), *elsewhere, *attended]:
        training[user_id].append(piece)
    for at_setting in found.values():
        for user_id, pieces in at_setting.items():
            pieces.extend(training[user_id])
    for setting_id, user_id, piece in _confirmations(settings, ids, end):
        if user_id in found[setting_id]:
            found[setting_id][user_id].append(piece)
    for at_setting in found.values():
        for pieces in at_setting.values():
            pieces.sort()
    return found


def evidence_of(setting: Organisation, user_ids: Iterable[int], start: date, end: date) -> dict[int, list[Evidence]]:
    """evidence_at for one setting's people."""
    return evidence_at([setting], {setting.id: sorted(set(user_ids))}, start, end)[setting.id]


def topic_evidence_of(user_ids: Iterable[int], end: date) -> dict[int, list[Evidence]]:
    """Every piece that can meet a face-to-face session requirement, up to end, for each person, oldest first:
    attendance at a session and training recorded elsewhere (whose title may name the topic). Two queries; the
    compliance matrix and reminders read session requirements through this and Evidence.meets, as the audit does."""
    ids = sorted(set(user_ids))
    found: dict[int, list[Evidence]] = {user_id: [] for user_id in ids}
    if not ids:
        return found
    for user_id, piece in [*_elsewhere(ids, date.min, end), *_sessions(ids, date.min, end)]:
        found[user_id].append(piece)
    for pieces in found.values():
        pieces.sort()
    return found


def evidence_for(requirement: Requirement, pieces: Iterable[Evidence]) -> list[Evidence]:
    """The pieces that meet a requirement, oldest first."""
    return sorted(piece for piece in pieces if piece.meets(requirement))
