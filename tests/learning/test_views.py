"""The learner journey through the web pages: start, read, complete, leave, come back."""

from __future__ import annotations

from sqlalchemy import func, select

from elearn.extensions import db
from elearn.models import Enrolment, LessonProgress


def test_a_learner_registers_learns_logs_out_and_resumes_where_they_stopped(client, make, outbox):
    make.course()
    client.post("/register", data={"display_name": "Jo Bloggs", "email": "jo@example.org"})
    link = "/register/" + outbox[-1].get_content().split("/register/")[1].split()[0]
    client.post(link, data={"display_name": "Jo Bloggs", "password": "correct horse battery",
                            "confirm": "correct horse battery"})
    catalogue = client.get("/courses").get_data(as_text=True)
    assert "Sample safeguarding refresher" in catalogue and "Not started" in catalogue
    start = client.post("/courses/sample-course/start")
    assert start.location == "/courses/sample-course/lessons/1"
    lesson = client.get(start.location).get_data(as_text=True)
    assert "<h1>Welcome</h1>" in lesson and 'aria-current="page"' in lesson
    assert client.post("/courses/sample-course/lessons/1/complete").location == "/courses/sample-course/lessons/2"
    client.get("/courses/sample-course/lessons/2")
    client.post("/logout")

    client.post("/login", data={"email": "jo@example.org", "password": "correct horse battery"})
    dashboard = client.get("/my-learning").get_data(as_text=True)
    assert "33% complete" in dashboard
    assert 'href="/courses/sample-course/lessons/2"' in dashboard
    assert client.get("/courses/sample-course/continue").location == "/courses/sample-course/lessons/2"


def test_opening_a_lesson_records_the_visit_until_it_is_complete(client, make, sign_in, count_queries):
    enrolment = make.enrolment(lessons_done=0)
    sign_in(enrolment.user)
    with count_queries() as first:
        assert client.get("/courses/sample-course/lessons/2").status_code == 200
    assert sorted(w.split()[:3] for w in first.writes) == [["INSERT", "INTO", "lesson_progress"],
                                                           ["UPDATE", "enrolments", "SET"]]
    with count_queries() as again:
        assert client.get("/courses/sample-course/lessons/2").status_code == 200
    assert [w.split()[:2] for w in again.writes] == [["UPDATE", "lesson_progress"]]  # the time on it runs on
    assert client.get("/courses/sample-course/continue").location == "/courses/sample-course/lessons/2"
    client.post("/courses/sample-course/lessons/2/complete")
    client.get("/courses/sample-course/lessons/3")
    with count_queries() as done:
        assert client.get("/courses/sample-course/lessons/3").status_code == 200
    assert [w.split()[:2] for w in done.writes] == [["UPDATE", "lesson_progress"]]
    client.get("/courses/sample-course/lessons/2")
    with count_queries() as reread:
        assert client.get("/courses/sample-course/lessons/2").status_code == 200
    assert reread.writes == []  # a completed lesson read again, resume point unmoved: nothing to write


def test_the_lesson_contents_show_done_current_and_to_do(client, make, login_as):
    enrolment = make.enrolment(lessons_done=1)
    login_as(enrolment.user)
    page = client.get("/courses/sample-course/lessons/2").get_data(as_text=True)
    assert "(done)" in page and "(current)" in page and "(to do)" in page


def test_finishing_the_last_lesson_leads_to_the_assessment_step(client, make, login_as):
    enrolment = make.enrolment(lessons_done=2)
    login_as(enrolment.user)
    client.get("/courses/sample-course/lessons/3")
    response = client.post("/courses/sample-course/lessons/3/complete")
    assert response.location == "/courses/sample-course#next-step"
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "You have completed every lesson" in page


def test_double_clicking_start_makes_one_enrolment(client, make, login_as):
    make.course()
    login_as(make.user())
    client.post("/courses/sample-course/start")
    client.post("/courses/sample-course/start")
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_double_clicking_mark_complete_records_one_completion(client, make, login_as):
    enrolment = make.enrolment()
    login_as(enrolment.user)
    client.get("/courses/sample-course/lessons/1")
    client.post("/courses/sample-course/lessons/1/complete")
    client.post("/courses/sample-course/lessons/1/complete")
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1


def test_an_unknown_course_slug_is_a_404_page(client, make, login_as):
    login_as(make.user())
    for path in ("/courses/no-such-course", "/courses/no-such-course/lessons/1", "/courses/..%2F..%2Fetc/lessons/1"):
        response = client.get(path)
        assert response.status_code == 404
    assert client.post("/courses/no-such-course/start").status_code == 404


def test_a_lesson_of_a_course_one_is_not_enrolled_on_is_a_404(client, make, login_as):
    make.course()
    login_as(make.user())
    assert client.get("/courses/sample-course/lessons/1").status_code == 404
    assert client.post("/courses/sample-course/lessons/1/complete").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_another_learners_progress_is_untouched(client, make, login_as):
    other = make.enrolment(lessons_done=1)
    me = make.enrolment(user=make.user(), course=other.course)
    login_as(me.user)
    client.post("/courses/sample-course/lessons/2/complete")
    rows = db.session.execute(select(LessonProgress.enrolment_id, LessonProgress.lesson_id)).all()
    assert len([r for r in rows if r.enrolment_id == other.id]) == 1


def test_learning_pages_need_login(client, make):
    make.course()
    for path in ("/my-learning", "/courses/sample-course/lessons/1", "/courses/sample-course/continue"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location


def test_state_changes_refuse_get(client, make, login_as):
    make.enrolment()
    assert client.get("/courses/sample-course/start").status_code == 405
    assert client.get("/courses/sample-course/lessons/1/complete").status_code == 405


def test_lesson_html_from_the_course_is_shown_as_html(client, make, login_as):
    enrolment = make.enrolment(lessons_done=1)
    login_as(enrolment.user)
    page = client.get("/courses/sample-course/lessons/2").get_data(as_text=True)
    assert '<section class="callout callout-scenario" aria-label="Scenario">' in page
    assert "<summary>Show a model answer</summary>" in page
