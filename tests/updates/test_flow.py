"""A learner with a valid certificate from an earlier version reads the newest version's "what changed" update."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.clock import london_today, uk_date
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import AuditEvent, CertificateUpdate
from elearn.updates import service
from tests.makers import days
from tests.updates.helpers import UPDATE_TITLE


def updates_recorded() -> int:
    return db.session.scalar(select(func.count()).select_from(CertificateUpdate)) or 0


def test_a_holder_of_a_version_1_certificate_is_offered_the_version_2_update(make, two_versions):
    learner = make.user()
    certificate = make.certificate(user=learner, course=two_versions.course)
    course = two_versions.publish_update()
    offers = service.list_update_offers(learner)
    assert list(offers) == [course.id]
    assert offers[course.id].certificate.id == certificate.id
    assert offers[course.id].version.number == 2 and offers[course.id].completed_at is None


def test_the_whole_flow_records_the_update_once_even_on_a_double_click(client, make, two_versions, sign_in):
    learner = make.user(name="Ann Learner")
    certificate = make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update()
    sign_in(learner)

    assert f"Update available: {UPDATE_TITLE}" in client.get("/my-learning").text
    assert f"Update available: {UPDATE_TITLE}" in client.get("/courses/sample-course").text
    page = client.get("/courses/sample-course/update")
    assert page.status_code == 200
    assert UPDATE_TITLE in page.text and "Part one <strong>grew</strong>" in page.text
    assert "I have read this update" in page.text

    first = client.post("/courses/sample-course/update")
    second = client.post("/courses/sample-course/update")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith("/courses/sample-course/update")
    assert updates_recorded() == 1
    row = db.session.scalars(select(CertificateUpdate)).one()
    assert row.certificate_id == certificate.id and row.version.number == 2
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.update_read")).all()
    assert [(e.actor_id, e.target) for e in events] == [(learner.id, f"certificate:{certificate.id}")]

    done = client.get("/courses/sample-course/update").text
    assert "You confirmed that you read this update on" in done and "I have read this update" not in done
    assert "Update available" not in client.get("/my-learning").text
    assert "Update available" not in client.get("/courses/sample-course").text
    assert f"{UPDATE_TITLE} on {uk_date(london_today())}" in client.get("/my-certificates").text


def test_the_public_verification_page_says_the_certificate_was_updated(client, make, two_versions):
    learner = make.user()
    certificate = make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update()
    assert "Updated for" not in client.get(f"/verify/{certificate.code}").text
    service.complete_update("sample-course", actor=learner)
    page = client.get(f"/verify/{certificate.code}").text
    assert f"{UPDATE_TITLE} on {uk_date(london_today())}" in page


def test_completing_twice_through_the_service_returns_the_first_record(make, two_versions):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update()
    first = service.complete_update("sample-course", actor=learner)
    again = service.complete_update("sample-course", actor=learner)
    assert first.completed_at == again.completed_at and updates_recorded() == 1


def test_the_database_refuses_a_second_record_of_the_same_update(make, two_versions):
    from sqlalchemy.exc import IntegrityError

    learner = make.user()
    certificate = make.certificate(user=learner, course=two_versions.course)
    course = two_versions.publish_update()
    version_id = course.versions[-1].id
    db.session.add(CertificateUpdate(certificate_id=certificate.id, version_id=version_id))
    db.session.commit()
    db.session.add(CertificateUpdate(certificate_id=certificate.id, version_id=version_id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _no_certificate(make, two_versions):
    return make.user()


def _expired(make, two_versions):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course, expires_on=days(-1))
    return learner


def _revoked(make, two_versions):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course, revoked=True)
    return learner


@pytest.mark.parametrize("holder", [_no_certificate, _expired, _revoked],
                         ids=["no certificate", "expired certificate", "revoked certificate"])
def test_nobody_without_a_valid_earlier_certificate_is_offered_the_update(client, make, two_versions, sign_in, holder):
    learner = holder(make, two_versions)
    two_versions.publish_update()
    assert service.list_update_offers(learner) == {}
    sign_in(learner)
    assert client.get("/courses/sample-course/update").status_code == 404
    assert client.post("/courses/sample-course/update").status_code == 404
    assert "Update available" not in client.get("/courses/sample-course").text
    assert updates_recorded() == 0


def test_a_holder_of_the_newest_versions_certificate_is_not_offered_the_update(client, make, two_versions, sign_in):
    early = make.user()
    make.certificate(user=early, course=two_versions.course)
    course = two_versions.publish_update()
    learner = make.user()
    certificate = make.certificate(user=learner, course=course)
    assert certificate.course_version_number == 2
    assert service.list_update_offers(learner) == {}
    sign_in(learner)
    assert client.get("/courses/sample-course/update").status_code == 404
    assert "Update available" not in client.get("/my-learning").text


def test_a_holder_who_renewed_on_the_newest_version_is_not_offered_the_update(make, two_versions):
    from elearn.certificates import service as certificates

    learner = make.user()
    old = make.certificate(user=learner, course=two_versions.course)
    course = two_versions.publish_update()
    old.expires_on = days(10)  # expiring: still valid, and a refresher may start
    db.session.commit()
    refresher = certificates.start_refresher(course, actor=learner)
    assert refresher.version.number == 2
    make.certificate(enrolment=refresher)
    assert service.list_update_offers(learner) == {}


def test_no_update_is_offered_when_the_newest_version_has_none(make, two_versions):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update(what_changed=False)
    assert service.list_update_offers(learner) == {}
    with pytest.raises(NotFound):
        service.get_update("sample-course", actor=learner)


def test_an_unpublished_course_offers_no_update(client, make, two_versions, sign_in):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course)
    course = two_versions.publish_update()
    course.is_published = False
    db.session.commit()
    assert service.list_update_offers(learner) == {}


def test_the_offers_cost_four_queries_whatever_the_number_of_certificates(make, two_versions, count_queries):
    learner = make.user()
    make.certificate(user=learner, course=two_versions.course)
    make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update()
    db.session.refresh(learner)  # as the request's loaded user
    with count_queries() as counter:
        service.list_update_offers(learner)
    assert counter.count <= 4


def republish_with_a_typo_fixed(two_versions) -> None:
    lesson = two_versions.folder / "lessons" / "01-welcome.md"
    lesson.write_text(lesson.read_text().replace("Every member of staff", "Each member of staff"))
    course = two_versions.make.course(folder=two_versions.folder)
    assert course.versions[-1].number == 3


def test_a_version_republished_with_the_same_update_does_not_ask_again(make, two_versions):
    reader, unread = make.user(), make.user()
    make.certificate(user=reader, course=two_versions.course)
    make.certificate(user=unread, course=two_versions.course)
    course = two_versions.publish_update()
    service.complete_update("sample-course", actor=reader)
    passed_v2 = make.user()
    make.certificate(user=passed_v2, course=course)
    republish_with_a_typo_fixed(two_versions)
    assert service.list_update_offers(reader) == {}
    assert service.find_update(course, actor=reader).completed_at is not None
    assert service.list_update_offers(passed_v2) == {}  # version 2 already carried the update
    assert list(service.list_update_offers(unread)) == [course.id]


@pytest.mark.parametrize(("versions", "since", "ids"), [
    ([(1, 1, None, None), (2, 2, "T", "<p>x</p>")], 2, {2}),
    ([(1, 1, None, None), (2, 2, "T", "<p>x</p>"), (3, 3, "T", "<p>x</p>")], 2, {2, 3}),
    ([(1, 1, "T", "<p>x</p>"), (2, 2, "U", "<p>y</p>"), (3, 3, "U", "<p>y</p>")], 2, {2, 3}),
    ([(1, 1, "T", "<p>x</p>"), (2, 2, None, None), (3, 3, "T", "<p>x</p>")], 3, {3}),
    ([(1, 1, "T", "<p>x</p>"), (2, 2, "T", "<p>changed</p>")], 2, {2}),
])
def test_the_update_runs_back_to_the_first_version_that_carries_it_unchanged(versions, since, ids):
    assert service.update_run(versions) == (since, frozenset(ids))
