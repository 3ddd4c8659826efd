"""Face-to-face training: a session recorded once for many people, which counts towards compliance for its
attendees only when the organisation says so, through the same rule as training done elsewhere."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from elearn.compliance import reports
from elearn.compliance.compliance import ComplianceStatus as S
from elearn.compliance.compliance import TrainingSource as T
from elearn.compliance.matrix import MatrixQuery, training_matrix
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import AuditEvent, ExternalTraining, TrainingSession, TrainingSessionAttendee, User
from elearn.training import sessions
from elearn.training.sessions import SessionInput
from elearn.uploads import UPLOAD_MAX_BYTES
from tests.makers import days

PDF = b"%PDF-1.4\n% a register\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _input(course=None, *, counts=False, until=None, hours="6", held=-10):  # type: ignore[no-untyped-def]
    return SessionInput("Annual safeguarding update", "Dee Lead (DSL)", days(held), Decimal(hours),
                        [course.id] if course else [], counts, until)


def _record(cast, course=None, *, people=(), groups=(), **kw):  # type: ignore[no-untyped-def]
    return sessions.record_session(cast.org_a, _input(course, **kw), user_ids=[p.id for p in people],
                                   group_ids=[g.id for g in groups], register=None, actor=cast.manager_a)


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- the rule: counts for attendees only ---------------------------------------------------------


def test_a_counting_session_changes_the_status_of_attendees_only(cast, make, course):
    for person in (cast.learner_a, cast.second_learner_a):
        make.assignment(user=person, course=course, due_in_days=-5)
    _record(cast, course, people=[cast.learner_a], counts=True, until=days(200))
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.COMPLIANT
    assert reports.status_of(cast.second_learner_a.id, course.id, cast.org_a) == S.OVERDUE
    cell = training_matrix(cast.org_a, MatrixQuery(q="ann")).rows[0].cells[course.id]
    assert (cell.status, cell.valid_until, cell.source) == (S.COMPLIANT, days(200), T.EXTERNAL)


def test_a_session_on_record_only_changes_nobodys_status(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    _record(cast, course, people=[cast.learner_a])
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE
    assert _count(ExternalTraining) == 0


def test_a_counting_session_stops_counting_after_its_date(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    _record(cast, course, people=[cast.learner_a], counts=True, until=days(-1), held=-300)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE


def test_a_group_brings_its_current_members_once(cast, make, course):
    group = make.group(org=cast.org_a, members=[cast.learner_a, cast.second_learner_a])
    session = _record(cast, course, people=[cast.learner_a], groups=[group], counts=True, until=days(200))
    assert [u.id for u in sessions.list_attendees(session)] == sorted(
        [cast.second_learner_a.id, cast.learner_a.id], key=lambda i: db.session.get_one(User, i).display_name.lower())
    assert _count(ExternalTraining) == 2


def test_changing_whether_it_counts_follows_for_every_attendee(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    session = _record(cast, course, people=[cast.learner_a], counts=True, until=days(200))
    sessions.update_session(cast.org_a, session.id, _input(course), actor=cast.manager_a)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE
    sessions.update_session(cast.org_a, session.id, _input(course, counts=True, until=days(100)), actor=cast.manager_a)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.COMPLIANT


def test_removing_an_attendee_removes_what_the_session_counted_for_them(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    session = _record(cast, course, people=[cast.learner_a, cast.second_learner_a], counts=True, until=days(200))
    sessions.remove_attendee(cast.org_a, session.id, cast.learner_a.id, actor=cast.manager_a)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE
    assert _count(ExternalTraining) == 1
    sessions.add_attendees(cast.org_a, session.id, user_ids=[cast.learner_a.id], group_ids=[], actor=cast.manager_a)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.COMPLIANT


def test_deleting_a_session_deletes_its_attendance_and_credits(cast, course):
    session = _record(cast, course, people=[cast.learner_a], counts=True, until=days(200))
    sessions.delete_session(cast.org_a, session.id, actor=cast.manager_a)
    assert (_count(TrainingSession), _count(TrainingSessionAttendee), _count(ExternalTraining)) == (0, 0, 0)


@pytest.mark.parametrize(("change", "field"), [
    ({"counts": True, "until": None}, "counts_until"),
    ({"counts": True, "until": days(-20)}, "counts_until"),  # before the session
    ({"held": 3}, "held_on"),  # in the future
    ({"hours": "0"}, "hours"),
    ({"hours": "25"}, "hours"),
])
def test_bad_details_are_refused_and_nothing_is_written(cast, course, change, field):
    with pytest.raises(InvalidInput) as refused:
        _record(cast, course, people=[cast.learner_a], **change)
    assert refused.value.field == field
    assert _count(TrainingSession) == 0


def test_counting_needs_a_course(cast):
    with pytest.raises(InvalidInput) as refused:
        _record(cast, None, people=[cast.learner_a], counts=True, until=days(200))
    assert refused.value.field == "course_ids"


def test_a_session_needs_someone_who_attended(cast, make, course):
    empty = make.group(org=cast.org_a, name="Nobody yet")
    with pytest.raises(InvalidInput) as refused:
        _record(cast, course, groups=[empty])
    assert refused.value.field == "user_ids"


@pytest.mark.parametrize("outsider", ["learner_b", "group_b"])
def test_another_organisations_people_or_groups_cannot_be_put_on_the_attendance(cast, make, course, outsider):
    group_b = make.group(org=cast.org_b, members=[cast.learner_b])
    people, groups = ([cast.learner_b], []) if outsider == "learner_b" else ([], [group_b])
    with pytest.raises(NotFound):
        _record(cast, course, people=people, groups=groups)
    assert _count(TrainingSession) == 0


def test_a_session_kept_record_cannot_be_removed_from_the_training_from_elsewhere_page(client, cast, course, sign_in):
    _record(cast, course, people=[cast.learner_a], counts=True, until=days(200))
    record = db.session.scalars(select(ExternalTraining)).one()
    sign_in(cast.manager_a)
    assert client.post(f"/manage/training/{record.id}/delete").status_code == 409
    assert _count(ExternalTraining) == 1
    page = client.get(f"/manage/people/{cast.learner_a.id}/training").get_data(as_text=True)
    assert "face-to-face" in page and f"/manage/sessions/{record.session_id}" in page


# --- pages ----------------------------------------------------------------------------------------


def _form(course, **extra):  # type: ignore[no-untyped-def]
    return {"topic": "INSET: safeguarding update", "held_on": days(-3).isoformat(), "trainer": "Dee Lead",
            "hours": "1.5", "course_ids": [course.id], "counts_towards_compliance": "y",
            "counts_until": days(365).isoformat(), **extra}


def test_a_manager_records_a_session_for_a_group_with_its_register(client, cast, make, course, sign_in):
    group = make.group(org=cast.org_a, members=[cast.learner_a, cast.second_learner_a])
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    sign_in(cast.manager_a)
    response = client.post("/manage/sessions/new", data=_form(course, group_ids=[group.id],
                                                               register=(io.BytesIO(PDF), "register scan.pdf")))
    assert response.status_code == 302
    session = db.session.scalars(select(TrainingSession)).one()
    assert (session.minutes, session.register_type, session.register_filename) == (90, "application/pdf",
                                                                                   "register scan.pdf")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ann Learner" in page and "Abe Learner" in page and "Download the register" in page
    download = client.get(f"/manage/sessions/{session.id}/register")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "training_session.register_downloaded")) == 1
    record = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert "INSET: safeguarding update" in record
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.COMPLIANT
    assert "(external)" in client.get("/manage/matrix").get_data(as_text=True)


@pytest.mark.parametrize(("upload", "message"), [
    ((io.BytesIO(b"name,signed\nAnn,yes\n"), "register.pdf"), "must be a PDF, a PNG image or a JPEG image"),
    ((io.BytesIO(b"MZ\x90\x00 not a document"), "register.png"), "must be a PDF, a PNG image or a JPEG image"),
    ((io.BytesIO(PDF + b"0" * UPLOAD_MAX_BYTES), "register.pdf"), "larger than 1.5 MB"),
    ((io.BytesIO(b""), "register.pdf"), "The file is empty"),
    (None, None),  # no file chosen: the session is recorded without a register
])
def test_a_register_of_the_wrong_type_or_too_large_is_refused_with_a_message(client, cast, course, sign_in,
                                                                                upload, message):
    sign_in(cast.manager_a)
    extra = {"register": upload} if upload else {}
    response = client.post("/manage/sessions/new", data=_form(course, user_ids=[cast.learner_a.id], **extra))
    response.request.environ["wsgi.input"].close()  # the test client spools a large body to a file it never closes
    if message is None:
        assert response.status_code == 302
        assert db.session.scalars(select(TrainingSession)).one().register_data is None
        return
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(TrainingSession) == 0


def test_replacing_the_register_checks_it_too(client, cast, course, sign_in):
    session = _record(cast, course, people=[cast.learner_a])
    sign_in(cast.manager_a)
    refused = client.post(f"/manage/sessions/{session.id}/register",
                          data={"register-register": (io.BytesIO(b"<html>"), "r.pdf")})
    assert refused.status_code == 422 and "must be a PDF" in refused.get_data(as_text=True)
    assert client.post(f"/manage/sessions/{session.id}/register",
                       data={"register-register": (io.BytesIO(PNG), "photo.png")}).status_code == 302
    assert client.get(f"/manage/sessions/{session.id}/register").mimetype == "image/png"


def test_a_bad_form_comes_back_with_its_errors(client, cast, course, sign_in):
    sign_in(cast.manager_a)
    response = client.post("/manage/sessions/new", data=_form(course, counts_until="", user_ids=[cast.learner_a.id]))
    assert response.status_code == 422
    assert "Enter when it stops counting" in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/manage/sessions/{id}"),
    ("get", "/manage/sessions/{id}/edit"),
    ("post", "/manage/sessions/{id}/edit"),
    ("get", "/manage/sessions/{id}/register"),
    ("post", "/manage/sessions/{id}/register"),
    ("post", "/manage/sessions/{id}/register/remove"),
    ("post", "/manage/sessions/{id}/attendees"),
    ("post", "/manage/sessions/{id}/attendees/{user}/remove"),
    ("post", "/manage/sessions/{id}/delete"),
])
def test_another_organisations_manager_gets_404_for_a_session_and_its_register(client, cast, course, sign_in,
                                                                                 method, path):
    session = sessions.record_session(cast.org_a, _input(course), user_ids=[cast.learner_a.id], group_ids=[],
                                      register=None, actor=cast.manager_a)
    sessions.attach_register(cast.org_a, session.id, _upload(), actor=cast.manager_a)
    url = path.format(id=session.id, user=cast.learner_a.id)
    sign_in(cast.manager_b)
    assert getattr(client, method)(url, data={"user_ids": [cast.learner_b.id]}).status_code == 404
    sign_in(cast.learner_a)
    assert getattr(client, method)(url).status_code == 403
    sign_in(cast.admin)
    assert getattr(client, method)(url + f"?org={cast.org_b.id}").status_code == 404
    assert _count(TrainingSession) == 1 and _count(TrainingSessionAttendee) == 1
    if method == "get":
        sign_in(cast.admin)
        assert client.get(url + f"?org={cast.org_a.id}").status_code == 200


def _upload():  # type: ignore[no-untyped-def]
    from elearn.uploads import Upload
    return Upload(PDF, "application/pdf", "register.pdf")


def test_the_session_list_shows_only_the_organisations_own(client, cast, course, sign_in):
    _record(cast, course, people=[cast.learner_a])
    sign_in(cast.manager_b)
    assert "Annual safeguarding update" not in client.get("/manage/sessions").get_data(as_text=True)
    sign_in(cast.manager_a)
    assert "Annual safeguarding update" in client.get("/manage/sessions").get_data(as_text=True)


def test_session_pages_cost_the_same_for_ten_or_forty_attendees(client, cast, make, course, sign_in, count_queries):
    def cost(n: int) -> tuple[int, int, int]:
        people = [make.user(org=cast.org_a, name=f"Staff {n}-{i}") for i in range(n)]
        session = sessions.record_session(cast.org_a, _input(course, counts=True, until=days(100)),
                                          user_ids=[p.id for p in people], group_ids=[], register=None,
                                          actor=cast.manager_a)
        sign_in(cast.manager_a)
        url, session_id = f"/manage/sessions/{session.id}", session.id
        with count_queries() as page:
            assert client.get(url).status_code == 200
        with count_queries() as listing:
            assert client.get("/manage/sessions").status_code == 200
        with count_queries() as adding:
            sessions.add_attendees(cast.org_a, session_id, user_ids=[cast.learner_a.id], group_ids=[],
                                   actor=cast.manager_a)
        return page.count, listing.count, adding.count
    small, large = cost(10), cost(40)
    assert small == large


def test_the_edit_page_shows_the_details_and_saves_them(client, cast, course, sign_in):
    session = _record(cast, course, people=[cast.learner_a], hours="1.5")
    sign_in(cast.manager_a)
    page = client.get(f"/manage/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'value="1.5"' in page and "Annual safeguarding update" in page
    assert re.search(rf'value="{course.id}" id="course-{course.id}" checked', page)
    response = client.post(f"/manage/sessions/{session.id}/edit", data=_form(course, hours="2"))
    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.topic, session.minutes, session.counts_towards_compliance) == ("INSET: safeguarding update",
                                                                                    120, True)
