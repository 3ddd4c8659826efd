"""The requirements page: per role, what applies and where it comes from; edited as a set, validated, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from elearn.extensions import db
from elearn.models import AuditEvent, OrganisationKind, Role, TrainingRequirement
from elearn.network import requirement_sets
from elearn.network.assigning import in_force
from elearn.network.requirements import effective_requirements


@pytest.fixture
def trust_and_school(make):  # type: ignore[no-untyped-def]
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    return trust, make.org(name="Alder Primary", trust=trust), make.org(name="Cedar School")


def _manager(make, org):  # type: ignore[no-untyped-def]
    return make.two_factor_done(make.user(role=Role.MANAGER, org=org))


def _add(client, role, org=None, **fields):  # type: ignore[no-untyped-def]
    data = {"req-role": role, "req-item": "course", "req-every_months": "12", "req-due_mode": "rolling",
            "req-induction_days": "28", "req-document_kind": "kcsie"}
    data.update({f"req-{k}": str(v) for k, v in fields.items()})
    return client.post("/manage/requirements" + (f"?org={org.id}" if org else ""), data=data)


def test_the_page_shows_each_role_with_kcsie_defaults_as_a_suggestion(make, trust_and_school, client, sign_in,
                                                                      course):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    page = client.get("/manage/requirements").get_data(as_text=True)
    assert "Designated safeguarding lead" in page and "Governor" in page
    assert "Use the KCSIE defaults" in page and "not in force until adopted" in page
    assert in_force(alder) == {role: [] for role in requirement_sets.ROLES}


def test_a_school_adds_a_governor_course_every_three_years_and_it_is_in_force(make, trust_and_school, client,
                                                                                sign_in, course):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    assert _add(client, "governor", course_id=course.id, every_months=36).status_code == 302
    governors = effective_requirements(alder)["governor"]
    assert {(r.course_id, r.every_months, r.set_by) for r in governors} >= {(course.id, 36, alder.id)}
    assert in_force(alder)["governor"] == governors  # the set became the school's own
    assert "requirement.added" in db.session.scalars(select(AuditEvent.action)).all()
    page = client.get("/manage/requirements").get_data(as_text=True)
    assert "Set by this school" in page and "Every three years" in page


@pytest.mark.parametrize("fields, message", [
    ({"every_months": 18}, "Choose every year, every two years or every three years."),
    ({"course_id": ""}, "Choose one of the courses listed."),
    ({"item": "session", "session_topic": ""}, "Enter the face-to-face session"),
    ({"induction_days": 400}, "Enter a number of days from 0 to 365."),
])
def test_a_bad_requirement_is_refused_with_a_clear_message_and_changes_nothing(
        make, trust_and_school, client, sign_in, course, fields, message):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    response = _add(client, "staff", **{"course_id": course.id, **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(TrainingRequirement)).all() == []


def test_adding_the_same_course_twice_to_a_role_is_refused(make, trust_and_school, client, sign_in, course):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    assert _add(client, "volunteer", course_id=course.id).status_code == 302
    assert _add(client, "volunteer", course_id=course.id, every_months=24).status_code == 422
    assert len(db.session.scalars(select(TrainingRequirement)).all()) == 1


def test_a_trust_lead_sets_a_role_for_all_its_schools_and_a_school_can_follow_it_again(
        make, trust_and_school, client, sign_in, course):
    trust, alder, cedar = trust_and_school
    lead = _manager(make, trust)
    sign_in(lead)
    assert _add(client, "supply", org=trust, course_id=course.id, every_months=24).status_code == 302
    supply = effective_requirements(alder)["supply"]
    assert (course.id, 24) in {(r.course_id, r.every_months) for r in supply}
    assert {r.set_by for r in supply} == {trust.id}  # the defaults it had, and the new course: the trust's own set
    assert in_force(cedar)["supply"] == []  # another trust's school: untouched
    sign_in(_manager(make, alder))
    assert "Set by the trust." in client.get("/manage/requirements").get_data(as_text=True)
    assert _add(client, "supply", item="session", session_topic="Supply induction", every_months=12
                ).status_code == 302
    assert {r.set_by for r in effective_requirements(alder)["supply"]} == {alder.id}
    assert client.post("/manage/requirements/follow", data={"role-role": "supply"}).status_code == 302
    assert effective_requirements(alder)["supply"] == supply


def test_adopting_the_kcsie_defaults_puts_them_in_force_in_one_click(make, trust_and_school, client, sign_in,
                                                                     course):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    assert client.post("/manage/requirements/adopt-defaults").status_code == 302
    adopted = in_force(alder)
    assert [r.session_topic for r in adopted["dsl"]] == ["Designated safeguarding lead training"]
    assert "requirements.defaults_adopted" in db.session.scalars(select(AuditEvent.action)).all()
    assert "Use the KCSIE defaults" not in client.get("/manage/requirements").get_data(as_text=True)


def test_another_schools_requirement_cannot_be_removed(make, trust_and_school, client, sign_in, course):
    _, alder, cedar = trust_and_school
    row = TrainingRequirement(organisation_id=cedar.id, applies_to="staff", item="course", course_id=course.id,
                              every_months=12)
    db.session.add(row)
    db.session.commit()
    sign_in(_manager(make, alder))
    assert client.post(f"/manage/requirements/{row.id}/remove").status_code == 404
    assert db.session.get(TrainingRequirement, row.id) is not None


def test_a_document_requirement_without_a_published_document_says_how_to_ask_for_it(make, trust_and_school, client,
                                                                                    sign_in):
    _, alder, _ = trust_and_school
    sign_in(_manager(make, alder))
    assert client.post("/manage/requirements/adopt-defaults").status_code == 302
    assert "Not asked yet: publish it under" in client.get("/manage/requirements").get_data(as_text=True)
