"""Confidence, evaluation, managers' learning gain and admins' feedback: rules, scoping and queries."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from elearn.assessment import service as assessment
from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput, NotAllowed, NotFound
from elearn.evidence import feedback, gain, service
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import ConfidenceRating
from tests.makers import questions_of


def _passed(make, course, user):  # type: ignore[no-untyped-def]
    enrolment = make.enrolment(user=user, course=course, lessons_done="all")
    enrolment.passed_at = now_utc()
    db.session.commit()
    return enrolment


# --- confidence and evaluation ---------------------------------------------------------------


def test_confidence_before_is_replaced_and_closes_when_the_assessment_starts(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    learner = enrolment.user
    assert service.record_confidence(enrolment, "before", {"LO1": 2, "LO2": 3}, actor=learner) == 2
    service.record_confidence(enrolment, "before", {"LO1": 4}, actor=learner)
    assert service.get_status(course, actor=learner).confidence["before"] == {"LO1": 4}
    with pytest.raises(NotAllowed):
        service.record_confidence(enrolment, "after", {"LO1": 5}, actor=learner)
    assessment.start_attempt(enrolment, actor=learner)
    with pytest.raises(NotAllowed):
        service.record_confidence(enrolment, "before", {"LO1": 1}, actor=learner)


@pytest.mark.parametrize("ratings", [{}, {"LO1": 0}, {"LO1": 6}, {"LO9": 3}])
def test_confidence_ratings_are_checked(make, course, ratings):
    enrolment = make.enrolment(course=course)
    with pytest.raises(InvalidInput):
        service.record_confidence(enrolment, "before", ratings, actor=enrolment.user)
    assert db.session.scalar(select(func.count()).select_from(ConfidenceRating)) == 0


def test_nobody_rates_or_evaluates_for_someone_else(make, course):
    enrolment = _passed(make, course, make.user())
    with pytest.raises(NotFound):
        service.record_confidence(enrolment, "after", {"LO1": 3}, actor=make.user())
    with pytest.raises(NotFound):
        service.submit_evaluation(enrolment, 4, 4, "", actor=make.user())


def test_an_evaluation_is_given_once_after_passing(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    with pytest.raises(NotAllowed):
        service.submit_evaluation(enrolment, 4, 5, "", actor=enrolment.user)
    enrolment = _passed(make, course, make.user())
    with pytest.raises(InvalidInput):
        service.submit_evaluation(enrolment, 4, 5, "x" * 1001, actor=enrolment.user)
    with pytest.raises(InvalidInput):
        service.submit_evaluation(enrolment, 0, 5, "", actor=enrolment.user)
    service.submit_evaluation(enrolment, 4, 5, "  Ask before assuming.  ", actor=enrolment.user)
    with pytest.raises(Conflict):
        service.submit_evaluation(enrolment, 1, 1, "", actor=enrolment.user)


def test_the_learner_pages_save_ratings_and_an_evaluation(make, course, client, login_as):
    enrolment = _passed(make, course, make.user())
    login_as(enrolment.user)
    assert "How confident are you that you could" in client.get("/courses/sample-course/confidence/after").text
    response = client.post("/courses/sample-course/confidence/after", data={"rating-LO1": "5", "rating-LO2": ""})
    assert response.status_code == 302
    assert client.post("/courses/sample-course/confidence/after", data={"rating-LO1": "9"}).status_code == 400
    assert client.get("/courses/sample-course/confidence/sideways").status_code == 404
    response = client.post("/courses/sample-course/evaluation", data={"relevance": "5", "clarity": "4",
                                                                        "comment": "Write it down."})
    assert response.status_code == 302
    assert "already evaluated" in client.get("/courses/sample-course/evaluation").text


# --- managers' learning gain -----------------------------------------------------------------


def _org_data(make, cast, course, scores):  # type: ignore[no-untyped-def]
    """For each (pre, post) pair: a learner in org A with a 2-question check and a 4-question first attempt."""
    questions = questions_of(course)
    for pre, post in scores:
        learner = make.user(org=cast.org_a)
        make.attempt(user=learner, course=course, marks={questions[0]: pre >= 1, questions[1]: pre >= 2}, kind="precheck",
                    number=0)
        make.attempt(user=learner, course=course, marks={q: i < post for i, q in enumerate(questions[2:])})
        enrolment = learning.find_current_enrolment(course, actor=learner)
        db.session.add_all([ConfidenceRating(enrolment_id=enrolment.id, outcome_key="LO1", stage="before", rating=2),
                            ConfidenceRating(enrolment_id=enrolment.id, outcome_key="LO1", stage="after",
                                             rating=2 + post // 2)])
        db.session.commit()


def test_the_gain_is_medians_over_the_organisations_own_staff(make, cast, course):
    # pre 0/2, 1/2, 2/2 → 0, 50, 100 %; first attempt 2/4, 4/4, 3/4 → 50, 100, 75 %
    _org_data(make, cast, course, [(0, 2), (1, 4), (2, 3)])
    make.attempt(user=cast.learner_b, course=course, marks={q: 0 for q in questions_of(course)[:4]})  # org B: not counted
    result = gain.course_gain(cast.org_a, course)
    assert (result.learners_pre, result.learners_post, result.learners_paired) == (3, 3, 3)
    assert result.median_pre == 50 and result.median_post == 75
    assert result.median_gain == 50  # gains 50, 50, −25
    lo1 = next(o for o in result.outcomes if o.key == "LO1")
    assert lo1.confidence_before == 2 and lo1.confidence_after == 3 and lo1.confidence_change == 1
    assert lo1.confidence_pairs == 3
    assert [o.key for o in result.weakest]
    empty = gain.course_gain(cast.org_b, course)
    assert empty.learners_pre == 0 and empty.median_post == 0 and empty.median_pre is None


def test_the_gain_csv_neutralises_formulas_but_keeps_negative_numbers(cast, course):
    result = gain.course_gain(cast.org_a, course)
    hostile = replace(result, title='=HYPERLINK("x")', median_gain=-12.5)
    text = gain.gain_csv(hostile).body.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",-12.5\r\n" in text


@pytest.mark.parametrize(("persona", "org_param", "status"), [
    ("manager_a", None, 200),
    ("manager_a", "org_b", 404),
    ("manager_b", None, 200),
    ("admin", "org_a", 200),
    ("learner_a", None, 403),
])
def test_who_sees_the_gain_page(make, cast, course, client, sign_in, persona, org_param, status):
    sign_in(getattr(cast, persona))
    query = f"?org={getattr(cast, org_param).id}" if org_param else ""
    assert client.get(f"/manage/learning-gain/{course.id}{query}").status_code == status
    assert client.get(f"/manage/learning-gain{query}").status_code == status


def test_a_manager_sees_only_their_organisations_figures(make, cast, course, client, sign_in):
    _org_data(make, cast, course, [(2, 4)])
    sign_in(cast.manager_b)
    page = client.get(f"/manage/learning-gain/{course.id}").text
    assert "Birch Academy" in page and "(0 people)" in page
    sign_in(cast.manager_a)
    page = client.get(f"/manage/learning-gain/{course.id}").text
    assert "(1 person)" in page and "100%" in page
    response = client.get(f"/manage/learning-gain/{course.id}.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][:4] == ["Sample safeguarding refresher", "1", "1", "1"]


def test_the_gain_page_runs_the_same_queries_for_3_and_15_learners(make, cast, course, client, sign_in, count_queries):
    sign_in(cast.manager_a)

    def page_queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/manage/learning-gain/{course.id}").status_code == 200
        return counter.count

    _org_data(make, cast, course, [(0, 2), (1, 3), (2, 4)])
    small = page_queries()
    _org_data(make, cast, course, [(i % 3, i % 5) for i in range(12)])
    assert page_queries() == small


# --- admins' feedback ------------------------------------------------------------------------


def test_feedback_is_averaged_escaped_and_paginated(make, cast, course, client, sign_in):
    for i in range(feedback.PAGE_SIZE + 3):
        enrolment = _passed(make, course, make.user(org=cast.org_a))
        service.submit_evaluation(enrolment, 3 + i % 3, 4, f"<script>alert({i})</script>" if i == 0 else f"note {i}",
                                  actor=enrolment.user)
    summary = next(s for s in feedback.list_summaries(actor=cast.admin) if s.course_id == course.id)
    assert summary.count == 23 and summary.clarity == 4 and summary.relevance == pytest.approx(
        sum(3 + i % 3 for i in range(23)) / 23)
    sign_in(cast.admin)
    first = client.get(f"/admin/course-feedback/{course.id}").text
    second = client.get(f"/admin/course-feedback/{course.id}?page=2").text
    assert "Page 1 of 2" in first and "note 22" in first
    assert "&lt;script&gt;alert(0)&lt;/script&gt;" in second and "<script>alert" not in second
    assert client.get("/admin/course-feedback").status_code == 200
    assert client.get("/admin/course-feedback/999999").status_code == 404


@pytest.mark.parametrize("persona", ["learner_a", "manager_a"])
def test_only_admins_see_statistics_and_feedback(make, cast, course, client, sign_in, persona):
    sign_in(getattr(cast, persona))
    version_id = questions_of(course)[0].version_id
    for path in ("/admin/question-statistics", f"/admin/question-statistics/{version_id}", "/admin/course-feedback",
                 f"/admin/course-feedback/{course.id}"):
        assert client.get(path).status_code == 403, path
    sign_in(cast.admin)
    assert client.get("/admin/question-statistics").status_code == 200
    assert client.get(f"/admin/question-statistics/{version_id}").status_code == 200


@pytest.mark.parametrize("relevance", ["9", "0", "five", ""])
def test_an_invalid_evaluation_answer_comes_back_with_its_error_and_saves_nothing(make, course, client, login_as,
                                                                                  relevance):
    from elearn.models import CourseEvaluation

    enrolment = _passed(make, course, make.user())
    login_as(enrolment.user)
    response = client.post("/courses/sample-course/evaluation",
                           data={"relevance": relevance, "clarity": "4", "comment": "Kept"})
    assert response.status_code == 422
    assert "Choose a number from 1 to 5." in response.text and "Kept" in response.text
    assert db.session.scalar(select(func.count()).select_from(CourseEvaluation)) == 0
