"""Managers see which of their own staff have read a course's update, and nobody else's."""

from __future__ import annotations

import pytest

from elearn.errors import NotFound
from elearn.extensions import db
from elearn.updates import service
from tests.updates.helpers import UPDATE_TITLE


@pytest.fixture
def holders(cast, make, two_versions):
    """Ann (Alder) has read the update, Abe (Alder) has not, Bea (Birch) has not; Bo (Birch) holds no certificate."""
    for learner in (cast.learner_a, cast.second_learner_a, cast.learner_b):
        make.certificate(user=learner, course=two_versions.course)
    two_versions.publish_update()
    service.complete_update("sample-course", actor=cast.learner_a)
    return cast


def names(report):
    return [(row.name, row.completed_at is not None) for row in report.rows]


def test_a_manager_sees_their_staff_who_have_and_have_not_read_it(holders):
    [report] = service.list_update_report(holders.org_a, actor=holders.manager_a)
    assert report.update_title == UPDATE_TITLE and report.version_number == 2
    assert names(report) == [("Abe Learner", False), ("Ann Learner", True)]
    assert report.done == 1


def test_the_other_organisations_manager_sees_only_their_own(holders):
    [report] = service.list_update_report(holders.org_b, actor=holders.manager_b)
    assert names(report) == [("Bea Learner", False)]


def test_a_manager_cannot_read_another_organisations_report(holders):
    with pytest.raises(NotFound):
        service.list_update_report(holders.org_a, actor=holders.manager_b)
    with pytest.raises(NotFound):
        service.list_update_report(holders.org_b, actor=holders.learner_b)


def test_the_report_page_lists_their_staff_with_status(client, holders, sign_in):
    sign_in(holders.manager_a)
    page = client.get("/manage/course-updates")
    assert page.status_code == 200
    assert "Ann Learner" in page.text and "Abe Learner" in page.text and "Bea Learner" not in page.text
    assert "Done on" in page.text and "Not done" in page.text and "1 of 2 have read the update" in page.text


@pytest.mark.parametrize(("persona", "query", "status"), [
    ("manager_b", "", 200),
    ("manager_b", "?org={org_a}", 404),  # a manager has no ?org=: another organisation's id is not found
    ("learner_a", "", 403),
    ("admin", "?org={org_a}", 200),
])
def test_who_may_open_the_report(client, holders, sign_in, persona, query, status):
    sign_in(getattr(holders, persona))
    response = client.get("/manage/course-updates" + query.format(org_a=holders.org_a.id))
    assert response.status_code == status
    if persona == "manager_b":
        assert "Ann Learner" not in response.text and "Abe Learner" not in response.text


def test_a_deactivated_member_is_left_out(holders):
    holders.second_learner_a.is_active_account = False
    db.session.commit()
    [report] = service.list_update_report(holders.org_a, actor=holders.manager_a)
    assert names(report) == [("Ann Learner", True)]


def test_the_report_costs_the_same_queries_for_two_or_eight_people(holders, make, two_versions, count_queries):
    def counted() -> tuple[int, int]:
        db.session.refresh(holders.manager_a)
        db.session.refresh(holders.org_a)
        with count_queries() as counter:
            [report] = service.list_update_report(holders.org_a, actor=holders.manager_a)
        return int(counter.count), len(report.rows)

    few, rows = counted()
    assert rows == 2
    course = two_versions.course
    for n in range(6):
        learner = make.user(name=f"Extra {n}", org=holders.org_a)
        enrolment = make.enrolment(user=learner, course=course, lessons_done="all")
        # Enrolled on version 2 now; pretend the certificate is from version 1, as an earlier holder's would be.
        certificate = make.certificate(enrolment=enrolment)
        certificate.course_version_number = 1
        db.session.commit()
    assert counted() == (few, 8) and few <= 6  # 6: with whether anyone is placed at the organisation (members_of)


def test_the_compliance_dashboard_links_to_the_report(client, holders, sign_in):
    sign_in(holders.manager_a)
    assert 'href="/manage/course-updates"' in client.get("/manage/").text
