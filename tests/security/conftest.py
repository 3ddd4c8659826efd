"""The hostile-request tests' world: the cast, the sample course, and objects of every kind in each organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from elearn.assessment import service as assessment
from elearn.auth.sessions import start_session
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import (
    Course,
    Duty,
    ExportChunk,
    ExportFile,
    FailedJob,
    MemberDuty,
    MemberKind,
    Organisation,
    OrganisationKind,
    OutboxEmail,
    PartnershipMember,
    Placement,
    RequirementItem,
    Role,
    SignoffKind,
    SsoConnection,
    TrainingRequirement,
    User,
)
from elearn.returns import service as returns
from elearn.returns.measures import AcademicYear
from elearn.signoffs import service as signoffs
from elearn.training.sessions import SessionInput, record_session
from elearn.uploads import Upload
from tests.conftest import Cast
from tests.makers import Makers, days


@dataclass(frozen=True)
class World:
    cast: Cast
    course: Course
    objects_a: dict[str, object]  # URL arguments naming objects that learner_a / manager_a may reach
    objects_b: dict[str, object]  # the same kinds of object in organisation B

    def persona(self, name: str) -> User | None:
        return self.cast.persona(name)


def _org_objects(make: Makers, org: Organisation, learner: User, other: User, course: Course,
                 domain: str) -> dict[str, object]:
    certificate = make.certificate(user=other, course=course, expires_on=days(200))
    group = make.group(org=org)
    manager = make.user(org=org, role=Role.MANAGER)
    training_session = record_session(org, SessionInput("INSET", "Dee Lead", days(-3), Decimal(2), [course.id]),
                                      user_ids=[learner.id], group_ids=[], actor=manager,
                                      register=Upload(b"%PDF-1.4", "application/pdf", "register.pdf"))
    document = signoffs.publish_document(org, SignoffKind.POLICY, "Child protection policy", signoffs.DocumentInput(
        "v1", pdf=Upload(b"%PDF-1.4", "application/pdf", "policy.pdf")), actor=manager)
    signoffs.assign_document(org, document.id, days(14), actor=manager, audience="people", user_ids=[learner.id])
    return {
        "training_session_id": training_session.id,
        "document_id": document.id,
        "signoff_version_id": signoffs.current_version(document).id,
        "contact_id": make.contact(org=org).id,
        "training_id": make.external_training(user=learner).id,
        "user_id": learner.id,
        "attempt_id": certificate.attempt_id,
        "certificate_id": certificate.id,
        "enrolment_id": certificate.enrolment_id,
        "assignment_id": make.assignment(user=learner, course=course).id,
        "group_id": group.id,
        "invitation_id": make.invitation(org=org, email=f"ivy@{domain}", group=group).id,
        "rule_id": make.new_starter_rule(org=org, course=course).id,
        "domain_id": make.domain(org=org, domain=domain).id,
        "connection_id": _sso_connection(org, domain),
        "org_id": org.id,
        "session_id": start_session(learner, user_agent=None, ip=None).id,
        "outbox_id": _failed_email(learner.email),
        "export_id": _ready_export(org),
        "failure_id": _failed_job(),
        **_signed_return(org, manager),
        **_network_objects(make, org, learner),
    }


def _signed_return(org: Organisation, manager: User) -> dict[str, object]:
    """The organisation's training section of its safeguarding audit for 2025/26, signed by its manager."""
    year = AcademicYear(2025)
    signed = returns.sign_return(org, year, {}, returns.draft_return(org, year).digest, actor=manager)
    return {"setting_id": org.id, "year": signed.academic_year, "version": signed.version}


def _network_objects(make: Makers, org: Organisation, learner: User) -> dict[str, object]:
    """The organisation's membership of a partnership, a duty of its learner, and that learner's placement at
    another setting (elearn/network)."""
    partnership = make.org(name=f"{org.name} partnership", kind=OrganisationKind.PARTNERSHIP)
    membership = PartnershipMember(partnership_id=partnership.id, organisation_id=org.id,
                                   consent_given_by="Head teacher", consent_given_on=days(-30))
    duty = MemberDuty(user_id=learner.id, organisation_id=org.id, duty=Duty.SAFER_RECRUITER, since=days(-30))
    placement = Placement(user_id=learner.id, organisation_id=make.org(name=f"{org.name} annexe").id,
                          kind=MemberKind.PERIPATETIC, started_on=days(-30))
    requirement = TrainingRequirement(organisation_id=org.id, applies_to="governor", item=RequirementItem.DOCUMENT,
                                      document_kind=SignoffKind.KCSIE, every_months=12)
    db.session.add_all([membership, duty, placement, requirement])
    db.session.commit()
    return {"membership_id": membership.id, "duty_id": duty.id, "placement_id": placement.id,
            "requirement_id": requirement.id}


def _sso_connection(org: Organisation, domain: str) -> int:
    """The organisation's Google Workspace domain for single sign-on."""
    row = SsoConnection(organisation_id=org.id, provider="google", tenant=domain, confirmed_at=now_utc())
    db.session.add(row)
    db.session.commit()
    return row.id


def _ready_export(org: Organisation) -> int:
    """A finished export of the organisation's manager (only that manager may see or download it)."""
    manager = db.session.scalars(select(User).where(User.organisation_id == org.id, User.role == Role.MANAGER)).first()
    assert manager is not None
    export = ExportFile(organisation_id=org.id, requested_by_id=manager.id, kind="csv", status="ready",
                        filename="training-matrix.csv", expires_at=now_utc() + timedelta(hours=24))
    db.session.add(export)
    db.session.flush()
    db.session.add(ExportChunk(export_id=export.id, position=0, data=b"Name\r\n"))
    db.session.commit()
    return export.id


def _failed_email(to: str) -> int:
    """An email the queue gave up on (only admins see or retry those)."""
    email = OutboxEmail(to_address=to, subject="Hello", body="Body", next_attempt_at=now_utc(), failed_at=now_utc(),
                        attempts=8, last_error="ConnectionRefusedError")
    db.session.add(email)
    db.session.commit()
    return email.id


def _failed_job() -> int:
    """A job that raised on a worker (only admins see or run those again)."""
    failure = FailedJob(task_name="elearn.jobs.tasks.recount_statistics", args=[], error="OperationalError: locked",
                        failed_at=now_utc())
    db.session.add(failure)
    db.session.commit()
    return failure.id


@pytest.fixture
def world(make: Makers, cast: Cast, course: Course) -> World:
    objects_a = _org_objects(make, cast.org_a, cast.learner_a, cast.second_learner_a, course, "alder.sch.uk")
    objects_b = _org_objects(make, cast.org_b, cast.learner_b, cast.second_learner_b, course, "birch.sch.uk")
    # learner_a is part-way through the assessment: the attempt pages have forms to attack.
    enrolment = make.enrolment(user=cast.learner_a, course=course, lessons_done="all")
    objects_a["own_attempt_id"] = assessment.start_attempt(enrolment, actor=cast.learner_a).id
    return World(cast, course, objects_a, objects_b)
