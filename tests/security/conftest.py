"""Two organisations with a learner, a manager and objects of every kind, a platform admin, and sign-in by session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from elearn.assessment import service as assessment
from elearn.contacts import service as contacts
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import ContactRole, Course, Organisation, Role, User
from elearn.people import service as people
from elearn.people.domains import add_domain
from elearn.people.invitations import invite_person
from elearn.training import service as external
from tests.manage.helpers import assign, certify, days


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    course: Course
    learner_a: User
    learner_a2: User
    learner_b: User
    manager_a: User
    manager_b: User
    admin: User
    objects_a: dict[str, object]  # URL arguments naming objects that learner_a / manager_a may reach
    objects_b: dict[str, object]  # the same kinds of object in organisation B

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def _second_factor_done(user: User) -> User:
    # Managers and admins must set up two-factor sign-in first; these tests are about what comes after.
    user.totp_enabled_at = now_utc()
    db.session.commit()
    return user


def _org_objects(make, org: Organisation, learner: User, other: User, manager: User, admin: User,  # type: ignore[no-untyped-def]
                 course: Course, domain: str) -> dict[str, object]:
    certificate = certify(make, other, course, expires_on=days(200))
    group = people.create_group(org, "Teaching staff", actor=manager)
    contact = contacts.add_contact(org, contacts.ContactInput(role=ContactRole.DSL.value, name="Dee Lead", phone="01632 960000"),
                                   actor=manager)
    training = external.record_external(org, learner.id, external.ExternalInput(
        course_id=None, title="Prevent duty", provider="Local authority", completed_on=days(-30), expires_on=None),
        actor=manager)
    return {
        "contact_id": contact.id,
        "training_id": training.id,
        "user_id": learner.id,
        "attempt_id": certificate.attempt_id,
        "certificate_id": certificate.id,
        "assignment_id": assign(org, learner, course, due_in_days=30).id,
        "group_id": group.id,
        "invitation_id": invite_person(org, "Ivy Invitee", f"ivy@{domain}", group_id=group.id, actor=manager).id,
        "rule_id": people.save_new_starter_rule(org, course.id, 30, actor=manager).id,
        "domain_id": add_domain(org, domain, actor=admin).id,
        "org_id": org.id,
    }


@pytest.fixture
def world(make) -> World:  # type: ignore[no-untyped-def]
    org_a, org_b = make.org(name="Alder Primary"), make.org(name="Birch Academy")
    course = make.course()
    learner_a, learner_a2 = make.user(name="Ann Learner", org=org_a), make.user(name="Abe Learner", org=org_a)
    learner_b, learner_b2 = make.user(name="Bea Learner", org=org_b), make.user(name="Bo Learner", org=org_b)
    manager_a = _second_factor_done(make.user(name="Mo Manager", role=Role.MANAGER, org=org_a))
    manager_b = _second_factor_done(make.user(name="Max Manager", role=Role.MANAGER, org=org_b))
    admin = _second_factor_done(make.user(name="Ada Admin", role=Role.ADMIN))
    objects_a = _org_objects(make, org_a, learner_a, learner_a2, manager_a, admin, course, "alder.sch.uk")
    objects_b = _org_objects(make, org_b, learner_b, learner_b2, manager_b, admin, course, "birch.sch.uk")
    # learner_a is part-way through the assessment: the attempt pages have forms to attack.
    enrolment = make.enrolment(user=learner_a, course=course, lessons_done="all")
    objects_a["own_attempt_id"] = assessment.start_attempt(enrolment, actor=learner_a).id
    return World(org_a, org_b, course, learner_a, learner_a2, learner_b, manager_a, manager_b, admin,
                 objects_a, objects_b)

