"""Requirements in force drive the matrix: each member with a role is assigned what the role needs, due at
induction and renewed as the requirement says; a setting that sets nothing is unchanged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from elearn.clock import add_months, london_today
from elearn.compliance import reports
from elearn.compliance.compliance import ComplianceStatus, academic_year_start, renewal_due
from elearn.extensions import db
from elearn.models import (
    Assignment,
    AssignmentSource,
    Duty,
    MemberKind,
    OrganisationKind,
    Placement,
    RequirementItem,
    Role,
    SignoffAssignment,
    SignoffKind,
    User,
)
from elearn.network import requirement_sets, service
from elearn.network.requirement_sets import RequirementInput
from elearn.signoffs import service as signoffs


def course_requirement(course, every_months=12, mode="rolling", induction_days=28):  # type: ignore[no-untyped-def]
    return RequirementInput("course", course.id, "", "", every_months, mode, induction_days)


@pytest.fixture
def school(make):  # type: ignore[no-untyped-def]
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    alder = make.org(name="Alder Primary", trust=trust)
    return trust, alder, make.user(role=Role.MANAGER, org=alder)


def _governor(make, org, name="Gail Governor"):  # type: ignore[no-untyped-def]
    person = make.user(name=name, org=org)
    person.member_kind = MemberKind.GOVERNOR
    db.session.commit()
    return person


def test_renewal_dates_rolling_and_by_the_academic_year():
    assert renewal_due(date(2025, 10, 15), 12, "rolling") == date(2026, 10, 15)
    assert renewal_due(date(2025, 10, 15), 12, "academic_year") == date(2026, 9, 1)
    assert renewal_due(date(2026, 8, 31), 24, "academic_year") == date(2027, 9, 1)
    assert renewal_due(date(2024, 1, 31), 1, "rolling") == date(2024, 2, 29)
    assert academic_year_start(date(2026, 9, 1)) == date(2026, 9, 1)


def test_a_setting_that_sets_nothing_is_unchanged(make, school, course):
    _, alder, _ = school
    make.user(org=alder)
    assert service.apply_requirements(alder) == 0
    assert db.session.scalars(select(Assignment)).all() == []


def test_a_course_requirement_assigns_each_member_with_the_role_due_after_induction(make, school, course):
    _, alder, manager = school
    governor = _governor(make, alder)
    staff = make.user(name="Sam Staff", org=alder)
    requirement_sets.add_requirement(alder, "governor", course_requirement(course, 36, induction_days=60),
                                     actor=manager)
    assignment = db.session.scalars(select(Assignment)).one()
    assert (assignment.user_id, assignment.course_id, assignment.source) == (
        governor.id, course.id, AssignmentSource.REQUIREMENT)
    assert assignment.due_on == london_today() + timedelta(days=60)
    assert assignment.renew_every_months == 36
    assert reports.status_of(staff.id, course.id, alder) == ComplianceStatus.NOT_ASSIGNED


def test_the_requirements_period_replaces_the_courses_validity(make, school, course):
    _, alder, manager = school
    governor = _governor(make, alder)
    # a certificate issued 13 months ago: the course gives it 12 months, so it has expired...
    certificate = make.certificate(user=governor, course=course, expires_on=london_today() - timedelta(days=30))
    certificate.issued_at = certificate.issued_at - timedelta(days=395)
    db.session.commit()
    assert reports.status_of(governor.id, course.id, alder) == ComplianceStatus.NOT_ASSIGNED
    # ... but governors renew every three years here: it still counts, until 36 months after it was issued
    requirement_sets.add_requirement(alder, "governor", course_requirement(course, 36), actor=manager)
    assert reports.status_of(governor.id, course.id, alder) == ComplianceStatus.COMPLIANT
    cell = db.session.execute(select(reports.cells(alder, london_today()).c.valid_until)).scalars().all()
    issued = certificate.issued_at.date()
    assert add_months(issued, 36) in cell


def test_by_the_academic_year_training_done_last_year_is_due_on_1_september(make, school, course):
    _, alder, manager = school
    staff = make.user(org=alder)
    today = london_today()
    completed = academic_year_start(today) - timedelta(days=10)  # late August of the last academic year
    make.external_training(user=staff, course=course, completed_on=completed, expires_on=today + timedelta(days=300))
    requirement_sets.add_requirement(alder, "staff", course_requirement(course, 12, "academic_year"), actor=manager)
    # renewal was due on the 1 September that started this academic year: it no longer counts
    status = reports.status_of(staff.id, course.id, alder)
    assert status in (ComplianceStatus.NOT_STARTED, ComplianceStatus.OVERDUE)


def test_a_duty_brings_its_requirement_and_a_placed_governor_is_assigned_at_the_placed_school(
        make, school, course):
    trust, alder, manager = school
    birch = make.org(name="Birch Academy", trust=trust)
    visitor = make.user(name="Vic Visiting", org=birch)
    db.session.add(Placement(user_id=visitor.id, organisation_id=alder.id, kind=MemberKind.GOVERNOR,
                             started_on=london_today()))
    db.session.commit()
    requirement_sets.add_requirement(alder, "governor", course_requirement(course), actor=manager)
    assert db.session.scalars(select(Assignment.user_id).where(Assignment.organisation_id == alder.id)).all() == [
        visitor.id]
    recruiter = make.user(name="Rae Recruiter", org=alder)
    requirement_sets.add_requirement(alder, "safer_recruiter", course_requirement(course, 36), actor=manager)
    assert recruiter.id not in db.session.scalars(select(Assignment.user_id)).all()
    service.add_duty(alder, recruiter, Duty.SAFER_RECRUITER.value, london_today(), actor=manager)
    assert recruiter.id in db.session.scalars(select(Assignment.user_id)).all()


def test_a_trusts_requirement_is_assigned_at_each_of_its_schools(make, school, course):
    trust, alder, _ = school
    birch = make.org(name="Birch Academy", trust=trust)
    people = [make.user(org=alder), make.user(org=birch), make.user(org=make.org(name="Cedar School"))]
    lead = make.user(role=Role.MANAGER, org=trust)
    requirement_sets.add_requirement(trust, "staff", course_requirement(course), actor=lead)
    assigned = set(db.session.scalars(select(Assignment.user_id)))
    assert people[0].id in assigned and people[1].id in assigned and people[2].id not in assigned


def test_a_document_requirement_asks_for_the_settings_current_document(make, school):
    _, alder, manager = school
    volunteer = make.user(org=alder)
    volunteer.member_kind = MemberKind.VOLUNTEER
    document = signoffs.publish_document(alder, SignoffKind.KCSIE, "", signoffs.DocumentInput("September 2026"),
                                         actor=manager)
    requirement_sets.add_requirement(alder, "volunteer", RequirementInput(
        RequirementItem.DOCUMENT.value, None, "", "kcsie", 12, "academic_year", 14), actor=manager)
    asked = db.session.scalars(select(SignoffAssignment).where(SignoffAssignment.document_id == document.id)).all()
    assert [(a.user_id, a.due_on) for a in asked] == [(volunteer.id, london_today() + timedelta(days=14))]


def test_a_new_joiner_is_assigned_on_joining(make, school, course, outbox):
    _, alder, manager = school
    from elearn.people.invitations import accept_invitation, invite_person
    requirement_sets.add_requirement(alder, "volunteer", course_requirement(course, 12, induction_days=10),
                                     actor=manager)
    invite_person(alder, "Val Volunteer", "val@example.org", group_id=None, actor=manager, kind="volunteer")
    token = outbox[-1].get_content().split("/invitations/")[1].split()[0]
    val = accept_invitation(token, "Val Volunteer", "a long volunteer passphrase")
    assignment = db.session.scalars(select(Assignment).where(Assignment.user_id == val.id)).one()
    assert assignment.due_on == london_today() + timedelta(days=10)
    assert db.session.get(User, val.id).member_kind == MemberKind.VOLUNTEER


def test_a_document_published_after_the_requirement_is_asked_of_the_role_at_once(make, school):
    _, alder, manager = school
    volunteer = make.user(org=alder)
    volunteer.member_kind = MemberKind.VOLUNTEER
    db.session.commit()
    requirement_sets.add_requirement(alder, "volunteer", RequirementInput(
        RequirementItem.DOCUMENT.value, None, "", "policy", 12, "rolling", 7), actor=manager)
    assert db.session.scalars(select(SignoffAssignment)).all() == []  # no policy published yet
    document = signoffs.publish_document(alder, SignoffKind.POLICY, "Child protection policy", signoffs.DocumentInput(
        "v1", url="https://example.org/policy"), actor=manager)
    assert db.session.scalars(select(SignoffAssignment.user_id).where(
        SignoffAssignment.document_id == document.id)).all() == [volunteer.id]


def test_an_admin_moving_someone_applies_the_new_schools_requirements(make, school, course):
    _, alder, manager = school
    requirement_sets.add_requirement(alder, "staff", course_requirement(course), actor=manager)
    admin = make.user(role=Role.ADMIN)
    newcomer = make.user(org=make.org(name="Cedar School"))
    from elearn.admin.service import move_user
    move_user(newcomer, alder.id, actor=admin)
    assert db.session.scalars(select(Assignment.course_id).where(Assignment.user_id == newcomer.id)).all() == [
        course.id]


def test_reminders_follow_the_requirements_renewal_not_the_courses_validity(make, school, course, outbox):
    from elearn.compliance.reminders import send_reminders
    _, alder, manager = school
    governor = _governor(make, alder)
    certificate = make.certificate(user=governor, course=course, expires_on=london_today() + timedelta(days=200))
    # issued almost three years ago: under a 36-month requirement it expires in 10 days, whatever the certificate says
    certificate.issued_at = certificate.issued_at.replace(year=certificate.issued_at.year - 3) + timedelta(days=10)
    db.session.commit()
    requirement_sets.add_requirement(alder, "governor", course_requirement(course, 36), actor=manager)
    assert reports.status_of(governor.id, course.id, alder) == ComplianceStatus.EXPIRING
    outbox.clear()
    send_reminders()
    assert governor.email in [message["To"] for message in outbox]


def test_the_matrix_export_shows_the_requirements_renewal_date(make, school, course, client, sign_in):
    _, alder, manager = school
    governor = _governor(make, alder)
    certificate = make.certificate(user=governor, course=course, expires_on=date(2099, 1, 1))
    requirement_sets.add_requirement(alder, "governor", course_requirement(course, 24), actor=manager)
    sign_in(make.two_factor_done(manager))
    csv = client.get("/manage/matrix/export.csv").get_data(as_text=True)
    renewal = add_months(certificate.issued_at.date(), 24)
    assert "2099" not in csv
    assert renewal.isoformat() in csv


def test_removing_the_last_requirement_gives_the_course_its_own_validity_back(make, school, course):
    _, alder, manager = school
    governor = _governor(make, alder)
    requirement_sets.add_requirement(alder, "volunteer", course_requirement(course, 36), actor=manager)
    row = requirement_sets.add_requirement(alder, "governor", course_requirement(course, 36), actor=manager)
    assert db.session.scalars(select(Assignment.renew_every_months)).all() == [36]
    requirement_sets.remove_requirement(alder, row.id, actor=manager)
    assert db.session.scalars(select(Assignment.renew_every_months)).all() == [None]
    for line in requirement_sets.requirements_by_role(alder):
        if line.own_rows:
            requirement_sets.follow_inherited(alder, line.role, actor=manager)
    assignment = db.session.scalars(select(Assignment)).one()
    assert (assignment.user_id, assignment.renew_every_months) == (governor.id, None)  # the assignment stays
