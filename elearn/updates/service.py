"""What-changed updates: holders of an earlier version's certificate read the newest version's short update.

When the newest published version of a course carries a "what changed" update (course.yaml `what_changed`),
a learner who holds a valid certificate (unexpired, unrevoked) from an earlier version is offered that update
instead of a full retake. Reading it and confirming is recorded against their certificate (CertificateUpdate,
once per certificate and version), audited, shown on their certificates and the public verification page, and
reported to their organisation's managers.

Nobody is offered an update who holds no valid certificate of the course, or who holds one of the newest
version already. Every reader here costs a fixed number of queries, whatever the number of people.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from elearn.access import is_manager_of, members_of
from elearn.audit import record_event
from elearn.clock import london_today
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Certificate, CertificateUpdate, Course, CourseVersion, Organisation, User

log = logging.getLogger(__name__)

NO_UPDATE = "There is no update for you on this course."


# --- the rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseUpdate:
    """A course whose newest version carries a "what changed" update."""

    version: CourseVersion  # the newest version
    since: int  # the first version of the unbroken run that carries this same update (same title and text)
    version_ids: frozenset[int]  # that run: reading the update in any of its versions counts


def update_run(versions: Sequence[tuple[int, int, str | None, str | None]]) -> tuple[int, frozenset[int]]:
    """The first version number and the ids of the newest versions that carry the newest one's update unchanged.

    `versions` are (id, number, title, html), oldest first. A course republished for a typo keeps its update:
    whoever read it, or passed a version that already carried it, is not asked again. Pure.
    """
    newest = versions[-1][2:]
    run = list(itertools.takewhile(lambda v: v[2:] == newest, reversed(versions)))
    return run[-1][1], frozenset(v[0] for v in run)


def owed_certificate(update: CourseUpdate, certificates: Iterable[Certificate]) -> Certificate | None:
    """The certificate an update is read against: the newest valid one from a version before the update; None
    when the person holds a valid certificate of a version that carries it already, or none at all. Pure: the
    caller passes only valid certificates of this course."""
    held = list(certificates)
    if any(c.course_version_number >= update.since for c in held):
        return None
    return max(held, key=lambda c: (c.completed_at, c.id), default=None)


# --- reading -----------------------------------------------------------------------------------


def _courses_carrying_an_update() -> Select[int]:
    """The ids of the published courses whose newest version carries an update."""
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .group_by(CourseVersion.course_id).subquery())
    return (
        select(CourseVersion.course_id)
        .join(newest, (newest.c.course_id == CourseVersion.course_id) & (newest.c.number == CourseVersion.number))
        .join(Course, Course.id == CourseVersion.course_id)
        .where(Course.is_published.is_(True), CourseVersion.what_changed_title.is_not(None),
               CourseVersion.what_changed_html.is_not(None))
    )


def _versions_of_courses_carrying_an_update(*, only_some: bool) -> Select[CourseVersion]:
    """Every version, oldest first, of each published course whose newest version carries an update (of the
    courses in the bound list `course_ids` when `only_some`)."""
    carrying = _courses_carrying_an_update()
    if only_some:
        carrying = carrying.where(CourseVersion.course_id.in_(bindparam("course_ids", expanding=True)))
    return (select(CourseVersion).where(CourseVersion.course_id.in_(carrying))
            .order_by(CourseVersion.course_id, CourseVersion.number))


# Built once: My learning and every course page ask for updates.
_ALL_UPDATES = _versions_of_courses_carrying_an_update(only_some=False)
_SOME_UPDATES = _versions_of_courses_carrying_an_update(only_some=True)


def latest_updates(course_ids: Collection[int] | None = None) -> dict[int, CourseUpdate]:
    """Each published course (or each of these) whose newest version carries an update, by course id; one query
    (every version of those courses, oldest first: the newest is the update, the run before it its history)."""
    statement, parameters = (_ALL_UPDATES, {}) if course_ids is None else (_SOME_UPDATES,
                                                                          {"course_ids": list(course_ids)})
    return _updates_from(db.session.scalars(statement, parameters))


def _updates_from(versions: Iterable[CourseVersion]) -> dict[int, CourseUpdate]:
    """latest_updates() from the versions of the courses carrying an update, in any order."""
    runs: dict[int, dict[int, CourseVersion]] = {}
    for version in versions:
        runs.setdefault(version.course_id, {})[version.id] = version
    updates = {}
    for course_id, found in runs.items():
        run = sorted(found.values(), key=lambda v: v.number)
        updates[course_id] = CourseUpdate(run[-1], *update_run([(v.id, v.number, v.what_changed_title,
                                                                  v.what_changed_html) for v in run]))
    return updates


@dataclass(frozen=True)
class HeldCertificates:
    """Every certificate a person holds (revoked and expired included), the updates read against them, and the
    updates of the courses they hold a certificate of: what My learning's refresher and update panels read."""

    certificates: list[Certificate]
    read: dict[int, list[CertificateUpdate]]
    updates: dict[int, CourseUpdate]


_HELD_CERTIFICATES = (
    select(Certificate, CertificateUpdate, CourseVersion)
    .outerjoin(CertificateUpdate, CertificateUpdate.certificate_id == Certificate.id)
    # each version of the certificate's course when that course's newest version carries an update
    .outerjoin(CourseVersion, (CourseVersion.course_id == Certificate.course_id)
               & CourseVersion.course_id.in_(_courses_carrying_an_update()))
    .where(Certificate.user_id == bindparam("user_id"))
)


def held_certificates(actor: User) -> HeldCertificates:
    """The actor's certificates with what the refresher and update panels need of them; one query (a row per
    certificate, update read and version of a course carrying an update: a person holds a few dozen at most)."""
    certificates: dict[int, Certificate] = {}
    read: dict[int, dict[int, CertificateUpdate]] = {}
    versions: list[CourseVersion] = []
    for certificate, completion, version in db.session.execute(_HELD_CERTIFICATES, {"user_id": actor.id}):
        certificates[certificate.id] = certificate
        if completion is not None:
            read.setdefault(certificate.id, {})[completion.id] = completion
        if version is not None:
            versions.append(version)
    return HeldCertificates(list(certificates.values()), {c: list(rows.values()) for c, rows in read.items()},
                            _updates_from(versions))


def _valid_certificates(course_ids: Collection[int], *, user_id: int | None = None,
                        organisation: Organisation | None = None) -> list[Certificate]:
    """Unrevoked, unexpired certificates of these courses: one person's, or an organisation's active members'."""
    statement = (select(Certificate)
                 .where(Certificate.course_id.in_(course_ids), Certificate.valid_on(london_today())))
    if user_id is not None:
        statement = statement.where(Certificate.user_id == user_id)
    if organisation is not None:
        statement = statement.join(User, User.id == Certificate.user_id).where(
            members_of(organisation.id), User.is_active_account.is_(True))
    return list(db.session.scalars(statement))


_VALID_CERTIFICATES_READ = (
    select(Certificate, CertificateUpdate)
    .outerjoin(CertificateUpdate, CertificateUpdate.certificate_id == Certificate.id)
    .where(Certificate.course_id.in_(bindparam("course_ids", expanding=True)),
           Certificate.valid_on(bindparam("today")), Certificate.user_id == bindparam("user_id"))
)


def _valid_certificates_read(course_ids: Collection[int], *, user_id: int
                             ) -> tuple[list[Certificate], dict[int, list[CertificateUpdate]]]:
    """One person's valid certificates of these courses, with the updates read against them; one query."""
    certificates: dict[int, Certificate] = {}
    read: dict[int, list[CertificateUpdate]] = {}
    for certificate, completion in db.session.execute(_VALID_CERTIFICATES_READ, {
            "course_ids": list(course_ids), "today": london_today(), "user_id": user_id}):
        certificates[certificate.id] = certificate
        if completion is not None:
            read.setdefault(certificate.id, []).append(completion)
    return list(certificates.values()), read


def _completions(certificate_ids: Collection[int]) -> dict[int, list[CertificateUpdate]]:
    """The updates read against these certificates, by certificate id; one query (none for no ids)."""
    if not certificate_ids:
        return {}
    found: dict[int, list[CertificateUpdate]] = {}
    for row in db.session.scalars(select(CertificateUpdate).where(CertificateUpdate.certificate_id.in_(certificate_ids))):
        found.setdefault(row.certificate_id, []).append(row)
    return found


@dataclass(frozen=True)
class UpdateState:
    """Where one person stands with one course's update."""

    version: CourseVersion  # the newest version, which carries the update
    certificate: Certificate  # the earlier version's certificate it is read against
    completed_at: datetime | None  # when they confirmed reading it; None while it is still to do


def _states(updates: dict[int, CourseUpdate], certificates: list[Certificate],
            read: dict[int, list[CertificateUpdate]] | None = None) -> dict[tuple[int, int], UpdateState]:
    """Each (user id, course id) owed an update, done or not; one query for the completions unless `read` has
    them already."""
    by_person: dict[tuple[int, int], list[Certificate]] = {}
    for certificate in certificates:
        if certificate.user_id is not None:
            by_person.setdefault((certificate.user_id, certificate.course_id), []).append(certificate)
    done = read if read is not None else _completions([c.id for c in certificates])
    states = {}
    for (user_id, course_id), held in by_person.items():
        update = updates[course_id]
        owed = owed_certificate(update, held)
        if owed is None:
            continue
        finished = [row.completed_at for c in held for row in done.get(c.id, ()) if row.version_id in update.version_ids]
        states[user_id, course_id] = UpdateState(update.version, owed, min(finished) if finished else None)
    return states


def list_update_offers(actor: User, held: HeldCertificates | None = None) -> dict[int, UpdateState]:
    """The updates the actor still has to read, by course id; one query, none when `held` (held_certificates of
    the actor) is given."""
    held = held or held_certificates(actor)
    today = london_today()
    valid = [c for c in held.certificates if c.user_id == actor.id and c.course_id in held.updates
             and c.is_valid_on(today)]
    states = _states(held.updates, valid, held.read)
    return {course_id: state for (_, course_id), state in states.items() if state.completed_at is None}


def find_update(course: Course, *, actor: User) -> UpdateState | None:
    """The actor's update on this course, read or still to read; None when none is owed; two queries at most."""
    latest = latest_updates([course.id])
    if not latest:
        return None
    return _states(latest, *_valid_certificates_read([course.id], user_id=actor.id)).get((actor.id, course.id))


def _published_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published.is_(True)))
    if course is None:
        raise NotFound("There is no course at this address.")
    return course


def get_update(slug: str, *, actor: User) -> UpdateState:
    """The actor's update on the course with this slug, read or not; NotFound when none is owed to them."""
    state = find_update(_published_course(slug), actor=actor)
    if state is None:
        raise NotFound(NO_UPDATE)
    return state


# --- completing --------------------------------------------------------------------------------


def complete_update(slug: str, *, actor: User) -> UpdateState:
    """Record, once, that the actor read the update against their earlier certificate; audited.

    Idempotent: a second confirmation (a double click, another tab) changes nothing and returns the first.
    """
    state = get_update(slug, actor=actor)
    if state.completed_at is not None:
        return state
    row = CertificateUpdate(certificate_id=state.certificate.id, version_id=state.version.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same confirmation, committed meanwhile by a concurrent request
        db.session.rollback()
        return get_update(slug, actor=actor)
    record_event("certificate.update_read", actor=actor, subject=actor, target=f"certificate:{state.certificate.id}",
                 version=state.version.number)
    completed = UpdateState(state.version, state.certificate, row.completed_at)
    db.session.commit()
    log.info("certificate %s updated for version %s", state.certificate.id, state.version.id)
    return completed


# --- managers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateRow:
    """One member who holds an earlier version's certificate, and whether they have read the update."""

    user_id: int
    name: str
    email: str
    certificate_version: int
    completed_at: datetime | None


@dataclass(frozen=True)
class CourseUpdateReport:
    """One course's update, and who in the organisation has and has not read it (not done first, then by name)."""

    course_id: int
    course_title: str
    update_title: str
    version_number: int
    rows: list[UpdateRow]

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows if row.completed_at is not None)


def list_update_report(organisation: Organisation, *, actor: User) -> list[CourseUpdateReport]:
    """Every course update owed in the organisation, with its members' status; five queries at most.

    NotFound for an organisation the actor does not manage (404, not 403: do not confirm that it exists).
    """
    if not is_manager_of(actor, organisation.id):
        raise NotFound("There is no organisation at this address.")
    latest = latest_updates()
    if not latest:
        return []
    states = _states(latest, _valid_certificates(latest.keys(), organisation=organisation))
    people = _people({user_id for user_id, _ in states})
    reports = []
    for course_id, version in sorted(((c, u.version) for c, u in latest.items()), key=lambda item: item[1].title):
        rows = [UpdateRow(user_id, people[user_id].display_name, people[user_id].email,
                          state.certificate.course_version_number, state.completed_at)
                for (user_id, owed_course), state in states.items() if owed_course == course_id]
        rows.sort(key=lambda row: (row.completed_at is not None, row.name.lower(), row.user_id))
        reports.append(CourseUpdateReport(course_id, version.title, version.what_changed_title or "", version.number,
                                          rows))
    return reports


def _people(user_ids: Collection[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
