"""Standing assignments: an assignment to a group or to everyone reaches whoever joins later (the group, by an
invitation, a CSV import, or self-registration), due counted from joining; invitees show in the matrix."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from elearn.compliance import assignments
from elearn.compliance.compliance import ComplianceStatus as S
from elearn.compliance.matrix import MatrixQuery, training_matrix
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Assignment, AssignmentSource, Invitation, NewStarterRule
from elearn.people import service
from elearn.people.csv_import import RowOutcome, import_people
from elearn.people.domains import add_domain, set_domain_signup
from elearn.people.invitations import accept_invitation, invite_person
from tests.makers import days


def _token(outbox) -> str:  # type: ignore[no-untyped-def]
    return outbox[-1].get_content().split("/invitations/")[1].split()[0]


def _assignment_of(user_id: int) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(Assignment.user_id == user_id))


def test_a_group_assignment_reaches_someone_who_joins_the_group_later_due_from_joining(cast, course):
    group = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    assignments.assign_course(cast.org_a, course.id, days(10), group_id=group.id, actor=cast.manager_a,
                              joiner_due_in_days=21)
    assert _assignment_of(cast.learner_a.id) is None  # not in the group yet
    service.set_member_groups(cast.org_a, cast.learner_a.id, [group.id], actor=cast.manager_a)
    assignment = _assignment_of(cast.learner_a.id)
    assert assignment.due_on == days(21) and assignment.source == AssignmentSource.NEW_STARTER
    assert _assignment_of(cast.second_learner_a.id) is None  # not in the group: nothing


def test_saving_the_same_groups_again_changes_no_due_date(cast, course):
    group = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    service.set_member_groups(cast.org_a, cast.learner_a.id, [group.id], actor=cast.manager_a)
    assignments.assign_course(cast.org_a, course.id, days(10), group_id=group.id, actor=cast.manager_a)
    service.set_member_groups(cast.org_a, cast.learner_a.id, [group.id], actor=cast.manager_a)
    assert _assignment_of(cast.learner_a.id).due_on == days(10)
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_an_everyone_assignment_reaches_an_invitee_who_accepts_later(cast, course, outbox):
    assignments.assign_course(cast.org_a, course.id, days(5), actor=cast.manager_a, joiner_due_in_days=14)
    invite_person(cast.org_a, "Nia New", "nia@alder.sch.uk", group_id=None, actor=cast.manager_a)
    user = accept_invitation(_token(outbox), "Nia New", "a long invitee passphrase")
    assignment = _assignment_of(user.id)
    assert assignment.due_on == days(14) and assignment.course_id == course.id


def test_a_group_rule_reaches_an_invitee_invited_into_the_group(cast, course, outbox):
    group = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    assignments.assign_course(cast.org_a, course.id, days(5), group_id=group.id, actor=cast.manager_a,
                              joiner_due_in_days=7)
    invite_person(cast.org_a, "Tom Teacher", "tom@alder.sch.uk", group_id=group.id, actor=cast.manager_a)
    user = accept_invitation(_token(outbox), "Tom Teacher", "a long invitee passphrase")
    assert _assignment_of(user.id).due_on == days(7)


def test_an_invitation_attaches_courses_assigned_on_acceptance(cast, course, outbox):
    invite_person(cast.org_a, "Nia New", "nia@alder.sch.uk", group_id=None, actor=cast.manager_a,
                  course_ids=[course.id], due_in_days=10)
    user = accept_invitation(_token(outbox), "Nia New", "a long invitee passphrase")
    assignment = _assignment_of(user.id)
    assert assignment.source == AssignmentSource.INVITATION and assignment.due_on == days(10)


def test_an_invitation_refuses_a_course_that_does_not_exist(cast, course, outbox):
    from elearn.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Choose courses"):
        invite_person(cast.org_a, "Nia New", "nia@alder.sch.uk", group_id=None, actor=cast.manager_a,
                      course_ids=[course.id + 999])
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0 and outbox == []


def test_csv_import_with_a_courses_column_assigns_them_on_joining(cast, course, outbox):
    content = (
        "name,email,group,courses\n"
        f"Cara Cook,cara@alder.sch.uk,,{course.slug}\n"
        "Dan Driver,dan@alder.sch.uk,,Basket weaving\n"
    ).encode()
    report = import_people(cast.org_a, content, actor=cast.manager_a)
    outcomes = {row.email: row for row in report.rows}
    assert outcomes["cara@alder.sch.uk"].outcome == RowOutcome.INVITED
    assert outcomes["dan@alder.sch.uk"].outcome == RowOutcome.REJECTED
    assert "no course called" in outcomes["dan@alder.sch.uk"].reason
    user = accept_invitation(_token(outbox), "Cara Cook", "a long invitee passphrase")
    assignment = _assignment_of(user.id)
    assert assignment.course_id == course.id and assignment.due_on == days(30)


def test_self_registration_by_domain_gets_the_everyone_assignment(cast, course):
    add_domain(cast.org_a, "alder.sch.uk", actor=cast.admin)
    set_domain_signup(cast.org_a, True, actor=cast.manager_a)
    assignments.assign_course(cast.org_a, course.id, days(5), actor=cast.manager_a, joiner_due_in_days=9)
    joiner = service.sign_up("Jo", "jo@alder.sch.uk", "a long test passphrase")
    assert _assignment_of(joiner.id).due_on == days(9)


def test_assigning_to_everyone_twice_keeps_one_rule_with_the_latest_days(cast, course):
    assignments.assign_course(cast.org_a, course.id, days(5), actor=cast.manager_a, joiner_due_in_days=9)
    assignments.assign_course(cast.org_a, course.id, days(5), actor=cast.manager_a, joiner_due_in_days=12)
    rules = db.session.scalars(select(NewStarterRule)).all()
    assert [(r.group_id, r.due_in_days) for r in rules] == [(None, 12)]


def test_pending_invitees_appear_in_the_matrix_with_the_courses_they_will_get(cast, course, make, outbox):
    group = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    assignments.assign_course(cast.org_a, course.id, days(5), group_id=group.id, actor=cast.manager_a,
                              joiner_due_in_days=7)
    invite_person(cast.org_a, "Tom Teacher", "tom@alder.sch.uk", group_id=group.id, actor=cast.manager_a)
    invite_person(cast.org_a, "Una Other", "una@alder.sch.uk", group_id=None, actor=cast.manager_a)
    invite_person(cast.org_b, "Bill Birch", "bill@birch.sch.uk", group_id=None, actor=cast.manager_b)
    matrix = training_matrix(cast.org_a, MatrixQuery())
    assert [(row.name, row.due_in_days) for row in matrix.invited] == [("Tom Teacher", {course.id: 7}),
                                                                       ("Una Other", {})]
    assert [row.name for row in training_matrix(cast.org_a, MatrixQuery(course_id=course.id)).invited] == ["Tom Teacher"]
    assert training_matrix(cast.org_a, MatrixQuery(status=S.OVERDUE)).invited == []
    assert [row.name for row in training_matrix(cast.org_b, MatrixQuery()).invited] == ["Bill Birch"]


def test_the_matrix_page_marks_invitees_and_shows_only_the_managers_organisation(client, cast, course, sign_in, outbox):
    invite_person(cast.org_a, "Tom Teacher", "tom@alder.sch.uk", group_id=None, actor=cast.manager_a,
                  course_ids=[course.id], due_in_days=10)
    sign_in(cast.manager_a)
    page = client.get("/manage/matrix").get_data(as_text=True)
    assert "Tom Teacher" in page and "(invited)" in page and "due 10 days after joining" in page
    sign_in(cast.manager_b)
    assert "Tom Teacher" not in client.get("/manage/matrix").get_data(as_text=True)


def test_the_assign_page_saves_the_rule_for_later_joiners(client, cast, course, sign_in):
    sign_in(cast.manager_a)
    response = client.post("/manage/assignments", data={"course_id": course.id, "audience": "everyone",
                                                          "due_on": days(20).isoformat(), "due_in_days": "15"})
    assert response.status_code == 302
    rule = db.session.scalar(select(NewStarterRule))
    assert (rule.organisation_id, rule.group_id, rule.due_in_days) == (cast.org_a.id, None, 15)


def test_the_invite_page_attaches_courses(client, cast, course, sign_in, outbox):
    sign_in(cast.manager_b)
    response = client.post("/manage/people/invite", data={"display_name": "Bill Birch", "email": "bill@birch.sch.uk",
                                                           "course_ids": [str(course.id)], "due_in_days": "12"})
    assert response.status_code == 302
    assert "due 12 days after" in client.get("/manage/people").get_data(as_text=True)
    sign_in(cast.manager_a)
    assert "Bill Birch" not in client.get("/manage/people").get_data(as_text=True)
    user = accept_invitation(_token(outbox), "Bill Birch", "a long invitee passphrase")
    assert user.organisation_id == cast.org_b.id and _assignment_of(user.id).due_on == days(12)


def _bulk_invitations(org, n: int, course) -> None:  # type: ignore[no-untyped-def]
    serial = db.session.scalar(select(func.count()).select_from(Invitation)) or 0
    now = now_utc()
    db.session.execute(insert(Invitation), [
        {"organisation_id": org.id, "email": f"inv{serial + i}@alder.sch.uk", "display_name": f"Invitee {serial + i}",
         "token_hash": f"{serial + i:064d}", "created_at": now, "expires_at": now + (days(14) - days(0))}
        for i in range(n)])
    db.session.commit()


def test_the_matrix_with_invitees_runs_the_same_queries_for_10_and_many(client, cast, course, sign_in, count_queries):
    service.save_new_starter_rule(cast.org_a, course.id, 30, actor=cast.manager_a)
    sign_in(cast.manager_a)
    counts = []
    for size in (10, 190):
        _bulk_invitations(cast.org_a, size, course)
        with count_queries() as counter:
            assert client.get("/manage/matrix").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_the_import_page_attaches_courses_and_refuses_another_organisations_group(client, cast, course, sign_in,
                                                                                   outbox):
    import io

    service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    sign_in(cast.manager_b)
    content = (f"name,email,group,courses\nBill Birch,bill@birch.sch.uk,,{course.slug}\n"
               "Tess Teacher,tess@birch.sch.uk,Teaching staff,\n").encode()
    page = client.post("/manage/people/import", data={"file": (io.BytesIO(content), "staff.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "1 invited, 1 not imported" in page and "no group called" in page
    user = accept_invitation(_token(outbox), "Bill Birch", "a long invitee passphrase")
    assert user.organisation_id == cast.org_b.id and _assignment_of(user.id).course_id == course.id


def test_a_rule_for_another_organisations_group_is_not_found(client, cast, course, sign_in):
    group_a = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    sign_in(cast.manager_b)
    response = client.post("/manage/new-starters", data={"course_id": course.id, "group_id": group_a.id,
                                                          "due_in_days": "10"})
    assert response.status_code == 404 and db.session.scalar(select(func.count()).select_from(NewStarterRule)) == 0
    sign_in(cast.manager_a)
    assert client.post("/manage/new-starters", data={"course_id": course.id, "group_id": group_a.id,
                                                     "due_in_days": "10"}).status_code == 302
    assert "Teaching staff" in client.get("/manage/new-starters").get_data(as_text=True)
