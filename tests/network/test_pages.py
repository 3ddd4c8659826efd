"""A setting's managers join and leave partnerships with consent recorded, and keep each person's kind, duties and
placements; a trust's lead places the trust's people at its other settings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from elearn.access import members_of
from elearn.clock import london_today
from elearn.extensions import db
from elearn.models import (
    AuditEvent,
    MemberDuty,
    MemberKind,
    OrganisationKind,
    PartnershipMember,
    Placement,
    Role,
    User,
)


@pytest.fixture
def world(make):  # type: ignore[no-untyped-def]
    oak = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    shire = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    alder, birch = make.org(name="Alder Primary", trust=oak), make.org(name="Birch Academy", trust=oak)
    cedar = make.org(name="Cedar School")
    return oak, shire, alder, birch, cedar


def _manager(make, org):  # type: ignore[no-untyped-def]
    return make.two_factor_done(make.user(role=Role.MANAGER, org=org))


def _actions():  # type: ignore[no-untyped-def]
    return db.session.scalars(select(AuditEvent.action)).all()


def test_a_manager_joins_a_partnership_recording_consent_and_leaves_it(make, world, client, sign_in):
    _, shire, alder, _, _ = world
    sign_in(_manager(make, alder))
    page = client.get("/manage/partnerships")
    assert page.status_code == 200 and "Shire Partnership" in page.get_data(as_text=True)
    response = client.post("/manage/partnerships", data={
        "join-partnership_id": str(shire.id), "join-consent_given_by": "Hana Head",
        "join-consent_given_on": "2026-09-01"})
    assert response.status_code == 302
    membership = db.session.scalars(select(PartnershipMember)).one()
    assert (membership.organisation_id, membership.consent_given_by, membership.consent_given_on) == (
        alder.id, "Hana Head", date(2026, 9, 1))
    assert client.post(f"/manage/partnerships/{membership.id}/leave").status_code == 302
    db.session.refresh(membership)
    assert membership.left_at is not None
    assert {"partnership.joined", "partnership.left"} <= set(_actions())


@pytest.mark.parametrize("data, field", [
    ({"join-consent_given_by": "Hana Head", "join-consent_given_on": "2026-09-01"}, "partnership"),
    ({"join-consent_given_by": "", "join-consent_given_on": "2026-09-01"}, "consent"),
    ({"join-consent_given_by": "Hana Head", "join-consent_given_on": "2099-01-01"}, "future"),
])
def test_joining_without_a_partnership_a_consenting_person_or_with_a_future_date_changes_nothing(
        make, world, client, sign_in, data, field):
    _, shire, alder, _, _ = world
    sign_in(_manager(make, alder))
    if field != "partnership":
        data = {**data, "join-partnership_id": str(shire.id)}
    assert client.post("/manage/partnerships", data=data).status_code == 422
    assert db.session.scalars(select(PartnershipMember)).all() == []


def test_a_manager_cannot_leave_another_schools_partnership(make, world, client, sign_in):
    _, shire, alder, _, cedar = world
    db.session.add(PartnershipMember(partnership_id=shire.id, organisation_id=cedar.id, consent_given_by="C Head",
                                     consent_given_on=date(2026, 9, 1)))
    db.session.commit()
    membership = db.session.scalars(select(PartnershipMember)).one()
    sign_in(_manager(make, alder))
    assert client.post(f"/manage/partnerships/{membership.id}/leave").status_code == 404
    db.session.refresh(membership)
    assert membership.left_at is None


def test_a_manager_records_a_persons_kind_and_duties_audited(make, world, client, sign_in):
    _, _, alder, _, _ = world
    governor = make.user(name="Gail Governor", org=alder)
    sign_in(_manager(make, alder))
    assert client.get(f"/manage/people/{governor.id}/roles").status_code == 200
    assert client.post(f"/manage/people/{governor.id}/kind", data={"kind-kind": "governor"}).status_code == 302
    assert db.session.get(User, governor.id).member_kind == MemberKind.GOVERNOR
    assert client.post(f"/manage/people/{governor.id}/duties", data={
        "duty-duty": "safer_recruiter", "duty-since": "2025-01-01"}).status_code == 302
    duty = db.session.scalars(select(MemberDuty)).one()
    assert (duty.user_id, duty.organisation_id, duty.duty) == (governor.id, alder.id, "safer_recruiter")
    assert client.post(f"/manage/people/{governor.id}/duties", data={
        "duty-duty": "safer_recruiter", "duty-since": "2025-01-01"}).status_code == 422  # already held
    assert client.post(f"/manage/people/{governor.id}/duties/{duty.id}/remove").status_code == 302
    assert db.session.scalars(select(MemberDuty)).all() == []
    assert {"member.kind_changed", "duty.added", "duty.removed"} <= set(_actions())


def test_another_schools_manager_reaches_nothing_of_a_persons_roles(make, world, client, sign_in):
    _, _, alder, _, cedar = world
    person = make.user(org=alder)
    sign_in(_manager(make, cedar))
    assert client.get(f"/manage/people/{person.id}/roles").status_code == 404
    assert client.post(f"/manage/people/{person.id}/kind", data={"kind-kind": "governor"}).status_code == 404
    assert client.post(f"/manage/people/{person.id}/duties", data={
        "duty-duty": "dsl", "duty-since": "2025-01-01"}).status_code == 404


def test_a_trust_lead_places_one_of_the_trusts_people_at_another_of_its_schools(make, world, client, sign_in):
    oak, _, alder, birch, cedar = world
    teacher = make.user(name="Pip Peripatetic", org=alder)
    sign_in(_manager(make, oak))
    page = client.get(f"/manage/people/{teacher.id}/roles?org={alder.id}").get_data(as_text=True)
    assert "Birch Academy" in page and "Cedar School" not in page  # only the trust's own settings
    assert client.post(f"/manage/people/{teacher.id}/placements?org={alder.id}", data={
        "place-setting_id": str(cedar.id), "place-kind": "peripatetic", "place-started_on": "2026-09-01"}
                       ).status_code == 422
    assert client.post(f"/manage/people/{teacher.id}/placements?org={alder.id}", data={
        "place-setting_id": str(birch.id), "place-kind": "peripatetic", "place-started_on": "2026-09-01"}
                       ).status_code == 302
    assert teacher.id in db.session.scalars(select(User.id).where(members_of(birch.id))).all()
    placement = db.session.scalars(select(Placement)).one()
    assert client.post(f"/manage/people/{teacher.id}/placements/{placement.id}/end?org={alder.id}").status_code == 302
    assert placement.ended_on == london_today() - timedelta(days=1)
    assert teacher.id not in db.session.scalars(select(User.id).where(members_of(birch.id))).all()
    assert {"placement.started", "placement.ended"} <= set(_actions())


def test_a_school_manager_cannot_place_their_staff_at_another_school(make, world, client, sign_in):
    _, _, alder, birch, _ = world
    teacher = make.user(org=alder)
    sign_in(_manager(make, alder))
    assert client.post(f"/manage/people/{teacher.id}/placements", data={
        "place-setting_id": str(birch.id), "place-kind": "peripatetic", "place-started_on": "2026-09-01"}
                       ).status_code == 422
    assert db.session.scalars(select(Placement)).all() == []


def test_an_invitation_says_the_kind_and_an_account_elsewhere_accepts_it_as_a_placement(
        make, world, client, sign_in, outbox):
    _, _, alder, _, cedar = world
    governor = make.user(name="Gil Governor", email="gil@cedar.example", org=cedar)
    sign_in(_manager(make, alder))
    assert client.post("/manage/people/invite", data={
        "display_name": "Gil Governor", "email": "gil@cedar.example", "member_kind": "governor"}).status_code == 302
    waiting = client.get("/manage/people").get_data(as_text=True)
    assert 'data-label="As">Governor<' in waiting
    link = next(line for line in outbox[-1].get_content().splitlines() if "/invitations/" in line).strip()
    sign_in(governor)
    assert client.post(link[link.index("/invitations/"):], data={}).status_code == 302
    db.session.refresh(governor)
    assert governor.organisation_id == cedar.id
    placement = db.session.scalars(select(Placement)).one()
    assert (placement.organisation_id, placement.kind) == (alder.id, MemberKind.GOVERNOR)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2  # the manager and Gil: no second account
    assert governor.id in db.session.scalars(select(User.id).where(members_of(alder.id))).all()


def test_the_people_list_and_the_matrix_filter_by_kind_here_including_those_placed(make, world, client, sign_in):
    _, _, alder, _, cedar = world
    make.user(name="Sam Staff", org=alder)
    governor = make.user(name="Gail Governor", org=alder)
    governor.member_kind = MemberKind.GOVERNOR
    visitor = make.user(name="Vic Visiting", org=cedar)
    db.session.add(Placement(user_id=visitor.id, organisation_id=alder.id, kind=MemberKind.GOVERNOR,
                             started_on=date(2026, 9, 1)))
    db.session.commit()
    sign_in(_manager(make, alder))
    governors = client.get("/manage/people?kind=governor").get_data(as_text=True)
    assert "Gail Governor" in governors and "Vic Visiting" in governors and "Sam Staff" not in governors
    everyone = client.get("/manage/people").get_data(as_text=True)
    assert "Sam Staff" in everyone and "Vic Visiting" in everyone
    matrix = client.get("/manage/matrix?kind=governor").get_data(as_text=True)
    assert "Gail Governor" in matrix and "Vic Visiting" in matrix and "Sam Staff" not in matrix
    # The exports and the reminder offered from that page keep the filter (they had dropped it: everyone).
    for link in ("/manage/matrix/export.csv?kind=governor", "/manage/training-record.pdf?kind=governor",
                 "/manage/certificates.zip?kind=governor", "/manage/reminders/new?scope=filter&amp;kind=governor"):
        assert link in matrix, link
    assert "Download these people" in matrix and "among these people" in matrix
    csv_text = client.get("/manage/matrix/export.csv?kind=governor").get_data(as_text=True)
    assert "Gail Governor" in csv_text and "Vic Visiting" in csv_text and "Sam Staff" not in csv_text


def test_the_filter_in_words_names_the_kind_of_member(make, world):
    from elearn.compliance.exports import describe_filters
    from elearn.compliance.matrix import MatrixQuery

    _, _, alder, _, _ = world
    assert describe_filters(alder, MatrixQuery(kind="governor")) == "Kind of member: governor"
