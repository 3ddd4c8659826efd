"""A person placed at another setting is one of its people, for every page that asks, and only while placed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import bindparam, select

from elearn.access import (
    MemberAction,
    check_may_act_on,
    get_member,
    is_member_of,
    may_act_on,
    organisations_of,
    placement_is_current,
)
from elearn.clock import london_today
from elearn.compliance import reports
from elearn.compliance.assignments import assign_course
from elearn.errors import NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import MemberKind, OrganisationKind, Placement, Role
from elearn.people.service import search_members

A = MemberAction


@pytest.fixture
def schools(make):  # type: ignore[no-untyped-def]
    """Two trusts' schools and a music teacher employed by Alder, placed at Birch and formerly at Cedar."""
    oak = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    elm = make.org(name="Elm Trust", kind=OrganisationKind.TRUST)
    alder, birch = make.org(name="Alder Primary", trust=oak), make.org(name="Birch Academy", trust=oak)
    cedar = make.org(name="Cedar School", trust=elm)
    teacher = make.user(name="Pip Peripatetic", org=alder)
    db.session.add_all([
        Placement(user_id=teacher.id, organisation_id=birch.id, kind=MemberKind.PERIPATETIC,
                  started_on=date(2026, 9, 1)),
        Placement(user_id=teacher.id, organisation_id=cedar.id, kind=MemberKind.PERIPATETIC,
                  started_on=date(2025, 9, 1), ended_on=london_today() - timedelta(days=1)),
    ])
    db.session.commit()
    return oak, elm, alder, birch, cedar, teacher


def test_a_placement_puts_the_person_on_the_placed_settings_people_list_and_no_other(make, schools):
    _, _, alder, birch, cedar, teacher = schools
    other = make.org(name="Daisy Nursery")
    assert teacher in search_members(alder).members
    assert teacher in search_members(birch).members
    assert teacher not in search_members(cedar).members  # the placement there has ended
    assert teacher not in search_members(other).members


def test_a_placement_starting_next_term_makes_nobody_a_member_before_its_first_day(make, schools):
    _, _, alder, _, _, _ = schools
    starts = london_today() + timedelta(days=40)
    newcomer = make.user(name="Nat Next-Term", org=make.org(name="Daisy Nursery"))
    db.session.add(Placement(user_id=newcomer.id, organisation_id=alder.id, kind=MemberKind.VOLUNTEER,
                             started_on=starts))
    db.session.commit()
    assert newcomer not in search_members(alder).members
    assert alder.id not in db.session.scalars(organisations_of(newcomer)).all()
    assert not is_member_of(newcomer, alder.id)

    def placed_on(day: date) -> list[int]:  # the clause with `today` as a bound parameter, as statements built once
        return list(db.session.scalars(select(Placement.user_id).where(
            Placement.organisation_id == alder.id, placement_is_current(bindparam("today"))), {"today": day}))

    assert newcomer.id not in placed_on(starts - timedelta(days=1))
    assert newcomer.id in placed_on(starts)  # a member from the placement's first day


def test_the_placed_setting_counts_and_assigns_the_person(make, schools, course):
    _, _, _, birch, cedar, teacher = schools
    birch_manager = make.user(role=Role.MANAGER, org=birch)
    assign_course(birch, course.id, date(2027, 1, 31), actor=birch_manager)
    assert reports.compliance_dashboard(birch).members == 2  # its manager and the placed teacher
    assert reports.compliance_dashboard(cedar).members == 0
    assert reports.status_of(teacher.id, course.id, birch).value == "not_started"


def test_a_manager_where_the_person_is_placed_may_view_and_manage_but_not_run_their_account(make, schools):
    _, _, _, birch, cedar, teacher = schools
    birch_manager = make.user(role=Role.MANAGER, org=birch)
    cedar_manager = make.user(role=Role.MANAGER, org=cedar)
    assert may_act_on(birch_manager, teacher, A.VIEW) and may_act_on(birch_manager, teacher, A.MANAGE)
    for action in (A.RENAME, A.SET_ACTIVE, A.SET_ROLE, A.MOVE, A.GRANT_ATTEMPT):
        assert not may_act_on(birch_manager, teacher, action)
    assert get_member(teacher.id, A.MANAGE, actor=birch_manager, organisation=birch) == teacher
    with pytest.raises(NotAllowed, match="managed by their own organisation"):
        check_may_act_on(birch_manager, teacher, A.RENAME)
    assert not may_act_on(cedar_manager, teacher, A.VIEW)  # an ended placement reaches nothing
    with pytest.raises(NotFound):
        get_member(teacher.id, A.VIEW, actor=cedar_manager, organisation=cedar)


def test_a_trust_lead_manages_the_trusts_schools_through_the_manager_pages_and_no_other_trusts(
        make, schools, client, sign_in):
    oak, _, alder, birch, cedar, teacher = schools
    lead = make.two_factor_done(make.user(name="Tess Lead", role=Role.MANAGER, org=oak))
    assert may_act_on(lead, teacher, A.RENAME)  # the trust employs Alder's staff
    sign_in(lead)
    landing = client.get("/manage/")
    assert landing.status_code == 200
    text = landing.get_data(as_text=True)
    assert "Alder Primary" in text and "Birch Academy" in text and "Cedar School" not in text
    people = client.get(f"/manage/people?org={birch.id}")
    assert people.status_code == 200 and "Pip Peripatetic" in people.get_data(as_text=True)
    assert client.get(f"/manage/people?org={cedar.id}").status_code == 404
    assert client.get(f"/manage/people/{teacher.id}?org={alder.id}").status_code == 200


def test_a_school_manager_cannot_choose_another_school_nor_reach_a_person_placed_elsewhere(
        make, schools, client, sign_in):
    _, _, alder, birch, cedar, teacher = schools
    manager = make.two_factor_done(make.user(role=Role.MANAGER, org=cedar))
    sign_in(manager)
    assert client.get(f"/manage/people?org={birch.id}").status_code == 404
    assert client.get(f"/manage/people/{teacher.id}").status_code == 404
    assert alder is not None


def test_every_kind_phase_and_duty_has_a_label():
    from elearn.models import Duty, Phase
    from elearn.wording import DUTY_LABELS, MEMBER_KIND_LABELS, PHASE_LABELS
    assert set(PHASE_LABELS) == {p.value for p in Phase}
    assert set(MEMBER_KIND_LABELS) == {k.value for k in MemberKind}
    assert set(DUTY_LABELS) == {d.value for d in Duty}


def test_a_placed_person_sees_the_safeguarding_contacts_of_each_setting_they_work_at(make, schools, client, sign_in):
    _, _, alder, birch, cedar, teacher = schools
    make.contact(org=alder)
    from elearn.contacts.service import ContactInput, add_contact
    add_contact(birch, ContactInput("dsl", "Bea Birch-Lead", "01632 960 102", "dsl@birch.example"),
                actor=make.user(role=Role.MANAGER, org=birch))
    add_contact(cedar, ContactInput("dsl", "Cy Cedar-Lead", "01632 960 103", "dsl@cedar.example"),
                actor=make.user(role=Role.MANAGER, org=cedar))
    sign_in(teacher)
    page = client.get("/worried-about-a-child").get_data(as_text=True)
    assert "Bea Birch-Lead" in page and "Birch Academy" in page
    assert "Cy Cedar-Lead" not in page  # the placement there has ended


def test_a_placement_cannot_start_on_a_future_day_and_nothing_is_written(make, schools):
    """Requirements are applied when the placement is made, to the people working there then; nothing applies
    them again on a later first day, so a future start would leave the person with no assignments."""
    from elearn.errors import InvalidInput
    from elearn.network import service

    oak, _, alder, _, _, _ = schools
    lead = make.user(role=Role.MANAGER, org=oak)
    newcomer = make.user(name="Nat Next-Term", org=make.org(name="Daisy Academy", trust=oak))
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        service.place_member(newcomer, alder.id, MemberKind.VOLUNTEER.value,
                             london_today() + timedelta(days=40), actor=lead)
    db.session.rollback()
    assert db.session.scalar(select(Placement.id).where(Placement.user_id == newcomer.id)) is None


def test_duties_are_given_only_at_a_setting_one_manages_and_only_to_its_own_people(make, schools):
    """The service checks it itself, not only the page in front of it: Oak's lead manages Alder's people, but
    may not give one a duty at Cedar (another trust's school), nor at Birch where they do not work."""
    from elearn.models import Duty
    from elearn.network import service

    oak, _, alder, birch, cedar, teacher = schools
    lead = make.user(role=Role.MANAGER, org=oak)
    colleague = make.user(name="Cam Colleague", org=alder)  # Alder's, not placed at Birch
    with pytest.raises(NotFound):
        service.add_duty(cedar, teacher, Duty.DSL.value, london_today(), actor=lead)
    with pytest.raises(NotFound):
        service.add_duty(birch, colleague, Duty.DSL.value, london_today(), actor=lead)
    assert service.duties_at(cedar) == {} and service.duties_at(birch) == {}
    service.add_duty(birch, teacher, Duty.DSL.value, london_today(), actor=lead)  # placed at Birch: fine
    assert [d.duty for d in service.duties_at(birch)[teacher.id]] == [Duty.DSL]


def test_the_placed_settings_record_of_a_person_shows_its_own_assignments_and_groups_not_their_homes(
        make, schools, course):
    """Birch's manager sees what Birch assigned the teacher and Birch's groups; Alder's stay Alder's."""
    from elearn.compliance.learners import learner_record
    from elearn.models import Group, GroupMembership

    _, _, alder, birch, _, teacher = schools
    alder_manager = make.user(role=Role.MANAGER, org=alder)
    assign_course(alder, course.id, date(2027, 1, 31), actor=alder_manager)
    db.session.add(Group(organisation_id=alder.id, name="Alder music staff"))
    db.session.flush()
    alder_group = db.session.scalar(select(Group).where(Group.name == "Alder music staff"))
    db.session.add(GroupMembership(group_id=alder_group.id, user_id=teacher.id))
    db.session.commit()
    at_alder, at_birch = learner_record(teacher, alder), learner_record(teacher, birch)
    assert [a.course_id for a in at_alder.assignments] == [course.id]
    assert [g.name for g in at_alder.groups] == ["Alder music staff"]
    assert at_birch.assignments == [] and at_birch.groups == []


def test_the_placed_settings_matrix_lists_its_own_groups_of_the_person_not_their_homes(make, schools):
    from elearn.compliance.matrix import MatrixQuery, training_matrix
    from elearn.models import Group, GroupMembership

    _, _, alder, birch, _, teacher = schools
    for org, name in ((alder, "Alder music staff"), (birch, "Birch visiting staff")):
        group = Group(organisation_id=org.id, name=name)
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupMembership(group_id=group.id, user_id=teacher.id))
    db.session.commit()
    row = next(r for r in training_matrix(birch, MatrixQuery()).rows if r.user.id == teacher.id)
    assert row.groups == ["Birch visiting staff"]
