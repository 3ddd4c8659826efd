"""Assignments, the compliance dashboard, the training matrix, learner detail, the learner's own list; query budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from elearn.clock import london_today
from elearn.compliance import assignments, reports
from elearn.compliance.compliance import ComplianceStatus as S
from elearn.compliance.learners import list_assigned_courses
from elearn.compliance.matrix import MatrixQuery, training_matrix
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import Assignment, AssignmentSource, Role, User
from elearn.people import service
from elearn.people.invitations import accept_invitation, invite_person
from tests.makers import days


def _count_assignments() -> int:
    return db.session.scalar(select(func.count()).select_from(Assignment)) or 0


def test_assign_to_a_learner_a_group_and_everyone_without_duplicates(cast, course, make):
    group = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    service.set_member_groups(cast.org_a, cast.learner_a.id, [group.id], actor=cast.manager_a)
    first = assignments.assign_course(cast.org_a, course.id, days(30), user_id=cast.learner_a.id, actor=cast.manager_a)
    again = assignments.assign_course(cast.org_a, course.id, days(60), group_id=group.id, actor=cast.manager_a)
    everyone = assignments.assign_course(cast.org_a, course.id, days(90), actor=cast.manager_a)
    assert (first.created, again.created, again.already) == (1, 0, 1)
    assert (everyone.created, everyone.already) == (2, 1)  # second_learner_a and manager_a; learner_b is in B
    assert _count_assignments() == 3
    kept = db.session.scalar(select(Assignment).where(Assignment.user_id == cast.learner_a.id))
    assert kept.due_on == days(30) and kept.source == AssignmentSource.MANUAL


def test_a_due_date_in_the_past_is_refused(cast, course):
    with pytest.raises(InvalidInput):
        assignments.assign_course(cast.org_a, course.id, days(-1), actor=cast.manager_a)
    assert _count_assignments() == 0


def test_new_starters_get_the_induction_courses_due_n_days_after_joining(cast, course, outbox):
    service.save_new_starter_rule(cast.org_a, course.id, 21, actor=cast.manager_a)
    invite_person(cast.org_a, "Nia New", "nia@alder.sch.uk", group_id=None, actor=cast.manager_a)
    token = outbox[-1].get_content().split("/invitations/")[1].split()[0]
    user = accept_invitation(token, "Nia New", "a long invitee passphrase")
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == user.id))
    assert assignment.source == AssignmentSource.NEW_STARTER and assignment.due_on == days(21)
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.user_id == cast.learner_a.id)) == 0


def _one_of_each_status(cast, make, course):  # type: ignore[no-untyped-def]
    """Six people of A, one per status, on the course."""
    org = cast.org_a
    people = {status: make.user(name=f"{status.value.title()} Person", org=org) for status in S
              if status != S.NOT_ASSIGNED}
    for status, person in people.items():
        make.assignment(user=person, course=course, due_in_days=-5 if status == S.OVERDUE else 20)
    make.certificate(user=people[S.COMPLIANT], course=course, expires_on=days(200))
    make.certificate(user=people[S.EXPIRING], course=course, expires_on=days(10))
    make.certificate(user=people[S.OVERDUE], course=course, expires_on=days(-3))  # expired: overdue once the due date passes
    make.enrolment(user=people[S.IN_PROGRESS], course=course, lessons_done=1)
    return people


def test_the_dashboard_counts_every_status(cast, make, course):
    _one_of_each_status(cast, make, course)
    dashboard = reports.compliance_dashboard(cast.org_a)
    [row] = [c for c in dashboard.courses if c.course_id == course.id]
    assert row.counts == {S.COMPLIANT: 1, S.EXPIRING: 1, S.OVERDUE: 1, S.IN_PROGRESS: 1, S.NOT_STARTED: 1}
    assert (row.assigned, row.percent_compliant) == (5, 40)
    assert [p.name for p in dashboard.overdue] == ["Overdue Person"] and dashboard.overdue[0].due_on == days(-5)
    assert [p.name for p in dashboard.expiring] == ["Expiring Person"] and dashboard.expiring[0].valid_until == days(10)


def test_a_revoked_certificate_does_not_count(cast, course, make):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-1)
    make.certificate(user=cast.learner_a, course=course, expires_on=days(300), revoked=True)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE


def test_leavers_drop_out_of_the_dashboard(cast, course, make):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-1)
    service.set_active(cast.org_a, cast.learner_a.id, False, actor=cast.manager_a)
    assert reports.compliance_dashboard(cast.org_a).overdue == []


def test_the_dashboard_page_shows_figures_a_chart_and_the_lists(client, cast, course, make, sign_in):
    _one_of_each_status(cast, make, course)
    sign_in(cast.manager_a)
    page = client.get("/manage/").get_data(as_text=True)
    assert '<svg class="chart"' in page and 'role="img"' in page and "40% compliant" in page
    assert "Overdue Person" in page and "Expiring Person" in page
    assert "Bea Learner" not in page


def test_the_matrix_filters_by_status_course_group_and_search(cast, course, make):
    people = _one_of_each_status(cast, make, course)
    group = service.create_group(cast.org_a, "Governors", actor=cast.manager_a)
    service.set_member_groups(cast.org_a, people[S.COMPLIANT].id, [group.id], actor=cast.manager_a)
    q = MatrixQuery
    names = lambda m: [row.user.display_name for row in m.rows]  # noqa: E731
    assert names(training_matrix(cast.org_a, q(status=S.OVERDUE))) == ["Overdue Person"]
    assert names(training_matrix(cast.org_a, q(course_id=course.id, status=S.EXPIRING))) == ["Expiring Person"]
    assert names(training_matrix(cast.org_a, q(group_id=group.id))) == ["Compliant Person"]
    assert names(training_matrix(cast.org_a, q(q="progress"))) == ["In_Progress Person"]
    assert names(training_matrix(cast.org_a, q(q=people[S.NOT_STARTED].email.upper()))) == ["Not_Started Person"]
    assert training_matrix(cast.org_a, q(q="%")).total == 0  # wildcards are literal
    assigned = training_matrix(cast.org_a, q(course_id=course.id))
    assert assigned.total == 5 and "Bea Learner" not in names(assigned)


def test_the_matrix_sorts_by_status_most_urgent_first(cast, course, make):
    _one_of_each_status(cast, make, course)
    matrix = training_matrix(cast.org_a, MatrixQuery(course_id=course.id, sort="status"))
    assert [row.cells[course.id].status for row in matrix.rows][:5] == [
        S.OVERDUE, S.EXPIRING, S.IN_PROGRESS, S.NOT_STARTED, S.COMPLIANT]
    by_name = training_matrix(cast.org_a, MatrixQuery(sort="name", descending=True))
    assert [r.user.display_name for r in by_name.rows] == sorted((r.user.display_name for r in by_name.rows),
                                                                 key=str.lower, reverse=True)


def _bulk_people(org, n: int, course) -> None:  # type: ignore[no-untyped-def]
    """n learners with assignments, inserted in bulk (the rule under test is the query count, not the makers)."""
    batch = f"bulk{db.session.scalar(select(func.count()).select_from(User))}-"
    db.session.execute(insert(User), [
        {"email": f"{batch}{i}@alder.sch.uk", "display_name": f"Bulk Person {i:04d}", "role": Role.LEARNER,
         "organisation_id": org.id, "is_active_account": True, "created_at": now_utc(),
         "joined_organisation_at": now_utc()} for i in range(n)])
    ids = db.session.scalars(select(User.id).where(User.email.like(f"{batch}%"))).all()
    db.session.execute(insert(Assignment), [  # a spread of due dates, some passed, in every batch
        {"organisation_id": org.id, "user_id": uid, "course_id": course.id, "assigned_at": now_utc(),
         "due_on": london_today() + timedelta(days=(i % 7) * 10 - 30), "source": "everyone"} for i, uid in enumerate(ids)])
    db.session.commit()


@pytest.mark.parametrize("url", ["/manage/", "/manage/matrix", "/manage/matrix?status=overdue&sort=status&course={course}",
                                 "/manage/matrix?q=bulk&page=2"])
def test_pages_run_the_same_number_of_queries_for_10_and_500_learners(url, client, cast, course, make, sign_in, count_queries):
    sign_in(cast.manager_a)
    url = url.format(course=course.id)
    counts = []
    for size in (10, 490):  # 10, then 500 in all
        _bulk_people(cast.org_a, size, course)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12, counts


def test_learner_detail_shows_enrolments_attempts_and_certificates(client, cast, course, make, sign_in, count_queries):
    certificate = make.certificate(user=cast.learner_a, course=course, expires_on=days(100))
    make.assignment(user=cast.learner_a, course=course, due_in_days=10)
    sign_in(cast.manager_a)
    with count_queries() as counter:
        page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert "90%" in page and "Passed" in page and certificate.course_title in page and "Compliant" in page
    # 17: with the time on lessons (one query); 18: with the face-to-face sessions (one); 19: with the settings
    # the person works at (placements), whose assigned courses their own list shows too; 20: whether anyone is placed
    # at the organisation (access.members_of keeps the plain clause when nobody is)
    assert counter.count <= 20


def test_a_learner_sees_their_assigned_courses_first(client, cast, course, make, sign_in):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-2)
    assert [a.status for a in list_assigned_courses(cast.learner_a)] == [S.OVERDUE]
    sign_in(cast.learner_a)
    page = client.get("/my-learning").get_data(as_text=True)
    assert "Assigned to you" in page and "Overdue" in page
    assert page.index("Assigned to you") < page.index("You have not started a course yet")
