"""What each role needs at a setting, who belongs to it, and how far the tier above sees into it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from elearn.access import Oversight, get_overseen_setting, members_of, oversight_of
from elearn.clock import london_today
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import (
    Duty,
    MemberDuty,
    MemberKind,
    OrganisationKind,
    PartnershipMember,
    Placement,
    RequirementItem,
    Role,
    SignoffKind,
    TrainingRequirement,
    User,
)
from elearn.network.requirements import (
    DSL_TRAINING_TOPIC,
    effective_requirements,
    requirements_of,
    roles_at,
)


@pytest.fixture
def network(make):  # type: ignore[no-untyped-def]
    """A trust with two schools, a school outside it, and a partnership that two of the three have joined."""
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    partnership = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    alder = make.org(name="Alder Primary", trust=trust)
    birch = make.org(name="Birch Academy", trust=trust)
    cedar = make.org(name="Cedar School")
    for school in (alder, cedar):
        db.session.add(PartnershipMember(partnership_id=partnership.id, organisation_id=school.id,
                                         consent_given_by="Head teacher", consent_given_on=date(2026, 9, 1)))
    db.session.commit()
    return trust, partnership, alder, birch, cedar


def manager_of(make, org):  # type: ignore[no-untyped-def]
    return make.user(role=Role.MANAGER, org=org)


def test_a_trust_lead_sees_the_trusts_schools_down_to_the_person_and_no_other(make, network):
    trust, _, alder, birch, cedar = network
    lead = manager_of(make, trust)
    assert oversight_of(lead, alder) == oversight_of(lead, birch) == Oversight.PEOPLE
    assert oversight_of(lead, cedar) is None
    with pytest.raises(NotFound):
        get_overseen_setting(cedar.id, Oversight.AGGREGATES, actor=lead)


def test_a_partnership_sees_only_aggregates_and_only_of_schools_that_joined(make, network):
    _, partnership, alder, birch, cedar = network
    viewer = manager_of(make, partnership)
    assert oversight_of(viewer, alder) == oversight_of(viewer, cedar) == Oversight.AGGREGATES
    assert oversight_of(viewer, birch) is None
    with pytest.raises(NotFound):
        get_overseen_setting(alder.id, Oversight.PEOPLE, actor=viewer)
    assert get_overseen_setting(alder.id, Oversight.AGGREGATES, actor=viewer) == alder


def test_leaving_a_partnership_withdraws_its_view(make, network):
    _, partnership, alder, _, _ = network
    viewer = manager_of(make, partnership)
    membership = db.session.scalar(select(PartnershipMember).where(PartnershipMember.organisation_id == alder.id))
    membership.left_at = membership.joined_at
    db.session.commit()
    assert oversight_of(viewer, alder) is None


def test_a_school_manager_sees_only_their_own_school_and_a_learner_none(make, network):
    _, _, alder, birch, _ = network
    manager = manager_of(make, alder)
    assert oversight_of(manager, alder) == Oversight.PEOPLE
    assert oversight_of(manager, birch) is None
    assert oversight_of(make.user(org=alder), alder) is None


def test_a_peripatetic_teacher_is_a_member_of_every_school_they_currently_work_at(make, network):
    _, _, alder, birch, cedar = network
    teacher = make.user(name="Pip Peripatetic", org=alder)
    db.session.add_all([
        Placement(user_id=teacher.id, organisation_id=birch.id, kind=MemberKind.PERIPATETIC,
                  started_on=date(2026, 9, 1)),
        Placement(user_id=teacher.id, organisation_id=cedar.id, kind=MemberKind.PERIPATETIC,
                  started_on=date(2025, 9, 1), ended_on=london_today() - timedelta(days=1)),
    ])
    db.session.commit()

    def members(org):  # type: ignore[no-untyped-def]
        return set(db.session.scalars(select(User.id).where(members_of(org.id))))

    assert teacher.id in members(alder) and teacher.id in members(birch)
    assert teacher.id not in members(cedar)
    assert roles_at(birch) == {teacher.id: {"peripatetic"}}
    assert roles_at(cedar) == {}


def test_kcsie_defaults_apply_until_the_trust_sets_a_roles_requirements_and_the_school_overrides_the_trust(
        make, network, course):
    trust, _, alder, _, _ = network
    defaults = effective_requirements(alder)
    assert {r.item for r in defaults["dsl"]} == {RequirementItem.SESSION}
    assert defaults["dsl"][0].session_topic == DSL_TRAINING_TOPIC and defaults["dsl"][0].every_months == 24
    assert [r.document_kind for r in defaults["staff"] if r.item == RequirementItem.DOCUMENT] == [SignoffKind.KCSIE]

    db.session.add(TrainingRequirement(organisation_id=trust.id, applies_to="governor", item=RequirementItem.COURSE,
                                       course_id=course.id, every_months=36))
    db.session.commit()
    governors = effective_requirements(alder)["governor"]
    assert [(r.course_id, r.every_months, r.set_by) for r in governors] == [(course.id, 36, trust.id)]

    db.session.add(TrainingRequirement(organisation_id=alder.id, applies_to="governor", item=RequirementItem.COURSE,
                                       course_id=course.id, every_months=12))
    db.session.commit()
    assert [(r.every_months, r.set_by) for r in effective_requirements(alder)["governor"]] == [(12, alder.id)]
    assert effective_requirements(alder)["dsl"] == defaults["dsl"]  # other roles keep the defaults


def test_a_person_with_several_roles_needs_each_item_once_at_the_most_frequent_renewal(make, network):
    _, _, alder, _, _ = network
    head = make.user(name="Hattie Head", org=alder)
    db.session.add(MemberDuty(user_id=head.id, organisation_id=alder.id, duty=Duty.DSL, since=date(2024, 9, 1)))
    db.session.commit()
    roles = roles_at(alder)[head.id]
    assert roles == {"staff", "dsl"}
    needed = requirements_of(roles, effective_requirements(alder))
    topics = [r.session_topic for r in needed if r.item == RequirementItem.SESSION]
    assert topics == [DSL_TRAINING_TOPIC]
    assert len({r.key for r in needed}) == len(needed)
