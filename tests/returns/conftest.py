"""Alder Primary's people and their evidence in 2025/26 (see the school fixture), shared by the returns tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from elearn.extensions import db
from elearn.models import (
    Duty,
    ExternalTraining,
    MemberDuty,
    MemberKind,
    OrganisationKind,
    Placement,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
    TrainingSession,
    TrainingSessionAttendee,
    User,
)
from elearn.network.requirements import DSL_TRAINING_TOPIC, ESSENTIALS_COURSE, SAFER_RECRUITMENT_TOPIC


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


class School:
    """Builds Alder Primary's people and their evidence through the real tables."""

    def __init__(self, make):  # type: ignore[no-untyped-def]
        self.make = make
        self.trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
        self.alder = make.org(name="Alder Primary", trust=self.trust)
        self.birch = make.org(name="Birch Academy", trust=self.trust)
        self.course = make.course(slug=ESSENTIALS_COURSE)
        self.people: dict[str, User] = {}
        self.kcsie = SignoffDocument(organisation_id=self.alder.id, kind=SignoffKind.KCSIE, title="KCSIE Part one")
        db.session.add(self.kcsie)
        db.session.flush()
        self.kcsie_2024 = SignoffVersion(document_id=self.kcsie.id, label="September 2024",
                                         published_at=at(date(2024, 9, 1)))
        db.session.add(self.kcsie_2024)
        db.session.flush()
        self.kcsie_2025 = SignoffVersion(document_id=self.kcsie.id, label="September 2025",
                                         published_at=at(date(2025, 9, 1)))
        db.session.add(self.kcsie_2025)
        db.session.commit()

    def person(self, name: str, kind: MemberKind = MemberKind.STAFF, *, joined: date = date(2019, 9, 1),
               home=None) -> User:  # type: ignore[no-untyped-def]
        user = self.make.user(name=name, org=home or self.alder)
        user.member_kind = kind
        user.joined_organisation_at = at(joined)
        db.session.commit()
        self.people[name] = user
        return user

    def duty(self, user: User, duty: Duty) -> None:
        db.session.add(MemberDuty(user_id=user.id, organisation_id=self.alder.id, duty=duty, since=date(2020, 1, 1)))
        db.session.commit()

    def certificate(self, user: User, issued: date, *, revoked: bool = False) -> None:
        certificate = self.make.certificate(user=user, course=self.course, revoked=revoked)
        certificate.issued_at = at(issued)
        db.session.commit()

    def attended(self, user: User, topic: str, held_on: date) -> None:
        session = TrainingSession(organisation_id=self.alder.id, topic=topic, trainer="Local authority",
                                  held_on=held_on, minutes=90)
        db.session.add(session)
        db.session.flush()
        db.session.add(TrainingSessionAttendee(session_id=session.id, user_id=user.id))
        db.session.commit()

    def elsewhere(self, user: User, title: str, completed_on: date) -> None:
        db.session.add(ExternalTraining(organisation_id=user.organisation_id, user_id=user.id, title=title,
                                        provider="Local authority", completed_on=completed_on))
        db.session.commit()

    def read(self, user: User, version: SignoffVersion, on: date) -> None:
        db.session.add(SignoffConfirmation(version_id=version.id, user_id=user.id, confirmed_at=at(on)))
        db.session.commit()


@pytest.fixture
def school(make):  # type: ignore[no-untyped-def]
    """Alder Primary's people in 2025/26, as at 31 August 2026 (requirements: KCSIE's defaults).

    - Ann, staff since 2019, also a safer recruiter: certificate 2025-10-01, attended a Prevent briefing 2026-02-10,
      read KCSIE September 2025; attended safer recruitment 2023-09-10 (within 36 months of 2026-08-31).
    - Ben, staff, joined 2026-01-12 (mid-year): certificate 2026-01-20, 8 days later (induction 28 days).
    - Cat, staff, joined 2026-03-02: nothing; her induction days ended 2026-03-30, before the year's end.
    - Dee, staff, the DSL and a safer recruiter: DSL training attended 2024-07-31 (25 months before 2026-08-31),
      certificate 2026-05-05, read only KCSIE September 2024 (not the edition in force); safer recruitment done
      elsewhere 2023-08-30 (one day more than 36 months).
    - Eve, staff and deputy DSL: "designated safeguarding lead training" recorded from the local authority
      2025-06-15 (within two years); her only certificate this year (2025-11-01) was revoked.
    - Finn, peripatetic, employed by Birch Academy and placed at Alder since 2024-09-01: certificate 2026-04-01,
      read KCSIE September 2025.
    - Gil, volunteer: nothing.
    - Hal, staff, a leaver: deactivated 2026-06-01 (with a certificate this year): counted nowhere.
    - Ida, governor: certificate 2025-09-15 (within 12 months of 2026-08-31).
    """
    s = School(make)
    ann, ben = s.person("Ann Ash"), s.person("Ben Birch", joined=date(2026, 1, 12))
    s.person("Cat Cole", joined=date(2026, 3, 2))
    dee, eve = s.person("Dee Lead"), s.person("Eve Deputy")
    finn = s.person("Finn Fiddle", MemberKind.PERIPATETIC, home=s.birch)
    db.session.add(Placement(user_id=finn.id, organisation_id=s.alder.id, kind=MemberKind.PERIPATETIC,
                             started_on=date(2024, 9, 1)))
    s.person("Gil Helper", MemberKind.VOLUNTEER)
    hal, ida = s.person("Hal Gone"), s.person("Ida Governor", MemberKind.GOVERNOR)
    s.duty(ann, Duty.SAFER_RECRUITER)
    s.duty(dee, Duty.DSL)
    s.duty(dee, Duty.SAFER_RECRUITER)
    s.duty(eve, Duty.DEPUTY_DSL)
    s.certificate(ann, date(2025, 10, 1))
    s.attended(ann, "Prevent briefing", date(2026, 2, 10))
    s.read(ann, s.kcsie_2025, date(2025, 9, 10))
    s.attended(ann, SAFER_RECRUITMENT_TOPIC, date(2023, 9, 10))
    s.certificate(ben, date(2026, 1, 20))
    s.attended(dee, DSL_TRAINING_TOPIC, date(2024, 7, 31))
    s.certificate(dee, date(2026, 5, 5))
    s.read(dee, s.kcsie_2024, date(2024, 9, 20))
    s.elsewhere(dee, "Safer recruitment", date(2023, 8, 30))
    s.elsewhere(eve, "designated safeguarding lead training", date(2025, 6, 15))
    s.certificate(eve, date(2025, 11, 1), revoked=True)
    s.certificate(finn, date(2026, 4, 1))
    s.read(finn, s.kcsie_2025, date(2025, 9, 12))
    s.certificate(hal, date(2025, 12, 1))
    hal.is_active_account = False
    hal.deactivated_at = at(date(2026, 6, 1))
    s.certificate(ida, date(2025, 9, 15))
    db.session.commit()
    return s
