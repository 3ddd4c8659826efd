"""The catalogue and the course page."""

from __future__ import annotations

from elearn.extensions import db


def test_the_catalogue_lists_published_courses_with_their_facts(client, make):
    make.course()
    page = client.get("/courses").get_data(as_text=True)
    assert "Sample safeguarding refresher" in page
    assert "Topic: Safeguarding" in page
    assert "0.5 CPD hours" in page
    assert "About 15 minutes" in page


def test_an_unpublished_course_is_hidden_and_its_page_is_404(client, make):
    course = make.course()
    course.is_published = False
    db.session.commit()
    assert "Sample safeguarding refresher" not in client.get("/courses").get_data(as_text=True)
    assert client.get("/courses/sample-course").status_code == 404


def test_the_course_page_shows_outcomes_audience_warning_and_start(client, make, login_as):
    make.course()
    login_as(make.user())
    page = client.get("/courses/sample-course").get_data(as_text=True)
    for text in ("Name the four categories of abuse.", "Everyone who works with children.",
                 "Content warning", "Mentions abuse in general terms.", "Start course",
                 "You pass with 80% or more", "Each attempt has 4 questions"):
        assert text in page, text


def test_the_course_page_offers_continue_once_started(client, make, login_as):
    enrolment = make.enrolment(lessons_done=1)
    login_as(enrolment.user)
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Continue where you stopped" in page and "33% complete" in page


def test_anonymous_visitors_are_invited_to_log_in(client, make):
    make.course()
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Log in to start this course" in page


def test_the_catalogue_shows_each_learners_own_status(client, make, login_as):
    make.enrolment(lessons_done=1)
    login_as(make.user())
    assert "Not started" in client.get("/courses").get_data(as_text=True)


def test_the_catalogue_runs_the_same_few_queries_for_1_or_6_courses(client, make, login_as, count_queries):
    user = make.user()
    make.enrolment(user=user, course=make.course(slug="course-0"), lessons_done=1)
    login_as(user)
    with count_queries() as one_course:
        client.get("/courses")
    for n in range(1, 6):
        make.enrolment(user=user, course=make.course(slug=f"course-{n}"), lessons_done=n % 3)
    with count_queries() as six_courses:
        client.get("/courses")
    assert one_course.count == six_courses.count <= 3  # the session, the courses, the learner's enrolments


def test_the_content_warning_comes_before_start_course(client, make, login_as):
    make.course()
    login_as(make.user())
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Start course" in page
    assert page.index("Content warning") < page.index("Start course")


def test_the_catalogue_claims_no_accreditation_unless_a_body_is_named(client, make, app, monkeypatch):
    make.course()
    assert "ccredit" not in client.get("/courses").get_data(as_text=True)
    monkeypatch.setitem(app.config, "ACCREDITING_BODY", "The CPD Standards Office")
    assert "accredited by The CPD Standards Office" in client.get("/courses").get_data(as_text=True)


def test_no_template_says_accredited_except_beside_the_named_body():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "elearn"
    for template in root.rglob("*.html"):
        for line in template.read_text(encoding="utf-8").splitlines():
            if "accredit" in line.lower():
                assert "accrediting_body" in line or "accredited_by" in line, (template, line)
