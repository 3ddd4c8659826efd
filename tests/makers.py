"""Keyword-only builders that return committed objects: the one set of makers every feature's tests use.

`make.user()`, `make.course()` and `make.enrolment()` go through the real services. The others build rows
straight from the models, so a test can choose what no service would let it choose (a certificate that
expired last week, an assignment overdue by five days) and pays for no email or audit event it does not test.
"""

from __future__ import annotations

import itertools
import random
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyotp
from flask import Flask
from sqlalchemy import func, select

from elearn.assessment import service as assessment
from elearn.auth import two_factor
from elearn.auth.service import register_user
from elearn.certificates.service import issue_certificate
from elearn.clock import london_today
from elearn.content.loader import load_course
from elearn.content.sync import sync_courses
from elearn.db import now_utc
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import (
    Assignment,
    AssignmentSource,
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    Certificate,
    ContactRole,
    Course,
    CourseVersion,
    Enrolment,
    ExternalTraining,
    Group,
    GroupMembership,
    Invitation,
    NewStarterRule,
    Option,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
    Question,
    Role,
    SafeguardingContact,
    User,
)
from elearn.people.invitations import INVITATION_DAYS
from elearn.security import token_hash
from tests.assessment.helpers import right, sheet

FIXTURES = Path(__file__).parent / "content" / "fixtures"
_serial = itertools.count(1)


def days(n: int) -> date:
    """The London date n days from today (negative: in the past)."""
    return london_today() + timedelta(days=n)


def days_ago(n: int) -> datetime:
    """The moment n days before now."""
    return now_utc() - timedelta(days=n)


def questions_of(course: Course) -> list[Question]:
    """A course's questions in bank order: the keys of `make.attempt(marks=…)`."""
    return list(db.session.scalars(select(Question).join(CourseVersion).where(CourseVersion.course_id == course.id)
                                   .order_by(Question.position)))


def set_course_options(folder: Path, options: Mapping[str, object]) -> None:
    """Add or replace top-level `key: value` lines in the course.yaml of a copied course."""
    path = folder / "course.yaml"
    kept = [line for line in path.read_text().splitlines() if line.split(":", 1)[0] not in options]
    path.write_text("\n".join([*kept, *(f"{key}: {value}" for key, value in options.items())]) + "\n")


class Makers:
    PASSWORD = "a long test passphrase"

    def __init__(self, app: Flask) -> None:
        self.app = app

    # --- people -------------------------------------------------------------------------------

    def org(self, *, name: str | None = None, kind: OrganisationKind = OrganisationKind.SETTING,
            trust: Organisation | None = None) -> Organisation:
        n = next(_serial)
        org = Organisation(name=name or f"Organisation {n}", slug=f"org-{n}", kind=kind,
                           trust_id=trust.id if trust else None)
        db.session.add(org)
        db.session.commit()
        return org

    def user(self, *, email: str | None = None, name: str = "Test Learner", role: Role = Role.LEARNER,
             org: Organisation | None = None, password: str | None = None) -> User:
        return register_user(name, email or f"user{next(_serial)}@example.org", password or self.PASSWORD,
                             role=role, organisation_id=org.id if org else None)

    def two_factor(self, user: User) -> pyotp.TOTP:
        """Switch two-factor sign-in on for a user through the real set-up (once) and return their code generator."""
        if not user.has_two_factor:
            secret = two_factor.start_setup(user)
            two_factor.confirm_setup(user, secret, pyotp.TOTP(secret).now(), password=self.PASSWORD)
        return pyotp.TOTP(user.totp_secret)

    def two_factor_done(self, user: User) -> User:
        """As if the user had set up two-factor sign-in long ago: a secret and the switch on, and nothing else
        (no recovery codes, no audit event). For managers and admins in tests about what comes after signing in."""
        if not user.has_two_factor:
            user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), now_utc()
            db.session.commit()
        return user

    @staticmethod
    def next_totp_code(user: User, totp: pyotp.TOTP) -> str:
        """A code for a time step not used yet, so consecutive logins in one test each succeed."""
        db.session.refresh(user)
        step = max(totp.timecode(now_utc()), (user.totp_last_step or 0) + 1)
        return totp.generate_otp(step)

    # --- courses and learning -----------------------------------------------------------------

    def course_folder(self, *, slug: str = "sample-course", source: str = "sample-course",
                      options: Mapping[str, object] | None = None) -> Path:
        """A writable copy of a fixture course, for tests that edit course files; `options` go into course.yaml."""
        target = Path(tempfile.mkdtemp(prefix="elearn-course-")) / slug
        shutil.copytree(FIXTURES / source, target)
        if options:
            set_course_options(target, options)
        return target

    def course(self, *, slug: str = "sample-course", folder: Path | None = None,
               options: Mapping[str, object] | None = None) -> Course:
        """Sync a fixture course (or `folder`) and return it; `options` replace lines of its course.yaml."""
        if options:
            folder = folder or self.course_folder(slug=slug)
            set_course_options(folder, options)
        parsed, faults = load_course(folder or self.course_folder(slug=slug))
        assert not faults, faults
        assert parsed is not None
        sync_courses([parsed])
        return db.session.scalars(select(Course).where(Course.slug == parsed.slug)).one()

    def enrolment(self, *, user: User | None = None, course: Course | None = None,
                  lessons_done: int | str = 0) -> Enrolment:
        """Enrol a learner; `lessons_done` may be a number or "all"."""
        user = user or self.user()
        course = course or self.course()
        enrolment = learning.enrol(course, actor=user)
        lessons = learning.list_lessons(enrolment)
        count = len(lessons) if lessons_done == "all" else int(lessons_done)
        for lesson in lessons[:count]:
            learning.record_lesson_read(enrolment, lesson, actor=user)
        return enrolment

    def attempt(self, *, user: User | None = None, course: Course | None = None,
                marks: Mapping[Question, float] | None = None, kind: str = "final", number: int = 1,
                submitted: bool = True) -> Attempt:
        """An attempt with the given mark per question (default: the first four, all right), its answers ticking a
        correct option for a full mark and a wrong one otherwise; on the learner's current enrolment, or a new one
        with every lesson done."""
        user = user or self.user()
        course = course or self.course()
        enrolment = learning.find_current_enrolment(course, actor=user) or self.enrolment(user=user, course=course,
                                                                                      lessons_done="all")
        marks = {question: float(mark) for question, mark in
                 (marks if marks is not None else dict.fromkeys(questions_of(course)[:4], 1)).items()}
        total = sum(marks.values())
        attempt = Attempt(enrolment_id=enrolment.id, user_id=user.id, version_id=enrolment.version_id, number=number,
                          kind=kind, started_at=now_utc() - timedelta(minutes=30),
                          submitted_at=now_utc() if submitted else None,
                          score_percent=Decimal(round(100 * total / len(marks), 2)) if submitted else None,
                          passed=(100 * total / len(marks) >= 80) if submitted and kind == "final" else None)
        db.session.add(attempt)
        db.session.flush()
        rng = random.Random(attempt.id)
        for position, (question, mark) in enumerate(marks.items(), start=1):
            options = list(db.session.scalars(select(Option).where(Option.question_id == question.id)
                                              .order_by(Option.position)))
            row = AttemptQuestion(attempt_id=attempt.id, question_id=question.id, position=position,
                                  option_order=[o.id for o in options], answered_at=now_utc(),
                                  mark=Decimal(str(mark)) if submitted else None)
            db.session.add(row)
            db.session.flush()
            pool = [o for o in options if o.is_correct == (mark >= 1)]
            db.session.add(AttemptAnswer(attempt_question_id=row.id, option_id=rng.choice(pool).id))
        db.session.commit()
        return attempt

    def passed_assessment(self, *, user: User | None = None, course: Course | None = None) -> Certificate:
        """A learner who finished every lesson and answered every question right through the real assessment
        service; returns the certificate it issued."""
        enrolment = self.enrolment(user=user, course=course, lessons_done="all")
        attempt = assessment.start_attempt(enrolment, actor=enrolment.user)
        assessment.save_answers(attempt, sheet(attempt, right), actor=enrolment.user)
        assessment.submit_attempt(attempt, actor=enrolment.user)
        return db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()

    def certificate(self, *, user: User | None = None, course: Course | None = None,
                    enrolment: Enrolment | None = None, score: int = 90, submitted_at: datetime | None = None,
                    expires_on: date | None = None, revoked: bool = False) -> Certificate:
        """A submitted, passing attempt on the learner's current enrolment (or `enrolment`) and its certificate.

        The certificate runs from `submitted_at` (default now) for the course's validity, unless `expires_on`
        is given; `revoked` marks it revoked now (no reason, no admin).
        """
        enrolment = enrolment or self.enrolment(user=user, course=course, lessons_done="all")
        submitted_at = submitted_at or now_utc()
        number = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.enrolment_id == enrolment.id))
        attempt = Attempt(enrolment_id=enrolment.id, user_id=enrolment.user_id, version_id=enrolment.version_id,
                          number=(number or 0) + 1, started_at=submitted_at - timedelta(minutes=20),
                          submitted_at=submitted_at, score_percent=Decimal(score), passed=True)
        db.session.add(attempt)
        db.session.flush()
        enrolment.passed_at = submitted_at
        certificate = issue_certificate(attempt)
        if expires_on is not None:
            certificate.expires_on = expires_on
        if revoked:
            certificate.revoked_at = now_utc()
        db.session.commit()
        return certificate

    # --- an organisation's records ------------------------------------------------------------

    def _org_of(self, org: Organisation | None, user: User | None = None) -> Organisation:
        if org is not None:
            return org
        if user is not None and user.organisation is not None:
            return user.organisation
        return self.org()

    def assignment(self, *, user: User | None = None, course: Course | None = None, due_in_days: int = 30,
                   org: Organisation | None = None) -> Assignment:
        """A course assigned by hand to a person of `org` (default: theirs), due in `due_in_days` (negative: overdue)."""
        org = self._org_of(org, user)
        user = user or self.user(org=org)
        course = course or self.course()
        assignment = Assignment(organisation_id=org.id, user_id=user.id, course_id=course.id,
                                due_on=days(due_in_days), source=AssignmentSource.MANUAL)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    def group(self, *, org: Organisation | None = None, name: str = "Teaching staff",
              members: Iterable[User] = ()) -> Group:
        org = self._org_of(org)
        group = Group(organisation_id=org.id, name=name)
        db.session.add(group)
        db.session.flush()
        db.session.add_all(GroupMembership(group_id=group.id, user_id=member.id) for member in members)
        db.session.commit()
        return group

    def invitation(self, *, org: Organisation | None = None, name: str = "Ivy Invitee", email: str | None = None,
                   group: Group | None = None, token: str | None = None) -> Invitation:
        """An open invitation; pass `token` to open its page (only the token's hash is stored)."""
        org = self._org_of(org)
        now = now_utc()
        invitation = Invitation(organisation_id=org.id, email=email or f"invitee{next(_serial)}@example.org",
                                display_name=name, group_id=group.id if group else None,
                                token_hash=token_hash(token or secrets.token_urlsafe(32)), created_at=now,
                                expires_at=now + timedelta(days=INVITATION_DAYS))
        db.session.add(invitation)
        db.session.commit()
        return invitation

    def new_starter_rule(self, *, org: Organisation | None = None, course: Course | None = None,
                         due_in_days: int = 30) -> NewStarterRule:
        org = self._org_of(org)
        rule = NewStarterRule(organisation_id=org.id, course_id=(course or self.course()).id, due_in_days=due_in_days)
        db.session.add(rule)
        db.session.commit()
        return rule

    def domain(self, *, org: Organisation | None = None, domain: str | None = None) -> OrganisationDomain:
        """An email domain claimed for `org` (stored lower-case, without "@")."""
        org = self._org_of(org)
        claim = OrganisationDomain(organisation_id=org.id, domain=domain or f"school{next(_serial)}.example")
        db.session.add(claim)
        db.session.commit()
        return claim

    def contact(self, *, org: Organisation | None = None, role: ContactRole = ContactRole.DSL, name: str = "Dee Lead",
                phone: str | None = "01632 960000", email: str | None = None) -> SafeguardingContact:
        """One of an organisation's safeguarding contacts."""
        org = self._org_of(org)
        contact = SafeguardingContact(organisation_id=org.id, role=role, name=name, phone=phone, email=email)
        db.session.add(contact)
        db.session.commit()
        return contact

    def external_training(self, *, user: User | None = None, course: Course | None = None,
                          title: str = "Prevent duty", provider: str = "Local authority",
                          completed_on: date | None = None, expires_on: date | None = None) -> ExternalTraining:
        """Training done elsewhere, on record for a person in their organisation; it counts for `course` if given."""
        user = user or self.user(org=self.org())
        assert user.organisation_id is not None, "external training belongs to an organisation's record"
        record = ExternalTraining(organisation_id=user.organisation_id, user_id=user.id,
                                  course_id=course.id if course else None, title=title, provider=provider,
                                  completed_on=completed_on or days(-30), expires_on=expires_on)
        db.session.add(record)
        db.session.commit()
        return record
