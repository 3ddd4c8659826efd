"""Organisations with their retention rules; course publishing."""

from __future__ import annotations

from sqlalchemy import select

from elearn.admin import service
from elearn.extensions import db
from elearn.models import AuditEvent, Course, Organisation, Role


def test_organisations_are_listed_with_member_counts_in_one_query(client, make, cast, sign_in, count_queries):
    admin = sign_in(cast.admin)
    org_a, org_b = make.org(name="Alpha School"), make.org(name="Beta Trust")
    for _ in range(3):
        make.user(org=org_a)
    make.user(org=org_b, role=Role.MANAGER)
    db.session.refresh(admin)
    with count_queries() as counter:
        rows = service.list_organisations(actor=admin)
    assert counter.count == 1
    assert [(row.organisation.name, row.member_count) for row in rows] == [
        ("Alder Primary", 3), ("Alpha School", 3), ("Beta Trust", 1), ("Birch Academy", 3)]  # the cast's, and these
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "Alpha School" in page and "Beta Trust" in page


def test_an_empty_organisation_counts_zero_members(make, cast):
    make.org(name="Empty")
    assert [(row.organisation.name, row.member_count) for row in service.list_organisations(actor=cast.admin)] == [
        ("Alder Primary", 3), ("Birch Academy", 3), ("Empty", 0)]


def test_creating_an_organisation_with_its_retention_rule(client, cast, sign_in):
    sign_in(cast.admin)
    response = client.post("/admin/organisations/new", data={"name": "St Mary's Primary", "retention_months": "36"})
    assert response.status_code == 302
    org = db.session.scalars(select(Organisation).where(Organisation.id.not_in([cast.org_a.id, cast.org_b.id]))).one()
    assert (org.name, org.retention_months, org.keep_certificate_names) == ("St Mary's Primary", 36, False)
    assert org.slug == "st-mary-s-primary"
    assert "organisation.created" in db.session.scalars(select(AuditEvent.action)).all()


def test_slugs_stay_unique(make, cast):
    first = service.create_organisation("Oak Academy", 24, True, actor=cast.admin)
    second = service.create_organisation("Oak Academy", 24, True, actor=cast.admin)
    assert first.slug != second.slug


def test_the_new_organisation_form_defaults_to_keeping_names_for_24_months(client, cast, sign_in):
    sign_in(cast.admin)
    page = client.get("/admin/organisations/new").get_data(as_text=True)
    assert 'value="24"' in page and "checked" in page


def test_editing_the_rule_is_audited_with_old_and_new(client, make, cast, sign_in):
    sign_in(cast.admin)
    org = make.org(name="Old Name")
    response = client.post(f"/admin/organisations/{org.id}", data={"name": "New Name", "retention_months": "12"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert (org.name, org.retention_months, org.keep_certificate_names) == ("New Name", 12, False)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.updated")).one()
    assert event.details["changes"]["retention_months"] == {"old": 24, "new": 12}
    assert event.details["changes"]["keep_certificate_names"] == {"old": True, "new": False}


def test_bad_retention_values_are_refused(client, make, cast, sign_in):
    sign_in(cast.admin)
    org = make.org(name="Stays")
    for months in ("0", "-1", "241", "abc", ""):
        response = client.post(f"/admin/organisations/{org.id}", data={"name": "Changed", "retention_months": months})
        assert response.status_code == 422, months
    db.session.refresh(org)
    assert (org.name, org.retention_months) == ("Stays", 24)


def test_an_unknown_organisation_is_404(client, cast, sign_in):
    sign_in(cast.admin)
    assert client.get("/admin/organisations/999999").status_code == 404


def test_hostile_organisation_names_are_escaped(client, cast, sign_in):
    sign_in(cast.admin)
    client.post("/admin/organisations/new", data={"name": "<img src=x onerror=alert(1)>", "retention_months": "24",
                                                  "keep_certificate_names": "y"})
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_courses_are_listed_with_their_versions(client, make, cast, sign_in):
    sign_in(cast.admin)
    make.course()
    page = client.get("/admin/courses").get_data(as_text=True)
    assert "sample-course" in page and "v1" in page and "Unpublish" in page


def test_unpublishing_and_publishing_a_course_is_audited(client, make, cast, sign_in):
    sign_in(cast.admin)
    course = make.course()
    assert client.post(f"/admin/courses/{course.id}/unpublish").status_code == 302
    db.session.refresh(course)
    assert course.is_published is False
    assert client.get("/courses/sample-course").status_code == 404
    client.post(f"/admin/courses/{course.id}/publish")
    db.session.refresh(course)
    assert course.is_published is True
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"course:{course.id}")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["course.unpublished", "course.published"]


def test_publishing_an_unknown_course_is_404(client, cast, sign_in):
    sign_in(cast.admin)
    assert client.post("/admin/courses/999999/publish").status_code == 404
    assert db.session.scalars(select(Course)).all() == []


def test_control_characters_in_a_name_are_refused(client, cast, sign_in):
    sign_in(cast.admin)
    response = client.post("/admin/organisations/new", data={"name": "Nul\x00School", "retention_months": "24"})
    assert response.status_code == 422
    assert set(db.session.scalars(select(Organisation.id))) == {cast.org_a.id, cast.org_b.id}  # none added
