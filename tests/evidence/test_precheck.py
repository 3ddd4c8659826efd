"""The knowledge check: unscored, before the assessment, and never sharing questions with the first final draw."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from elearn.assessment import attempts, marking
from elearn.assessment import service as assessment
from elearn.errors import Conflict, NotAllowed, NotFound
from elearn.evidence import service
from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Certificate
from tests.assessment.helpers import right, sheet


def _drawn(attempt: Attempt) -> set[int]:
    return set(db.session.scalars(select(AttemptQuestion.question_id).where(AttemptQuestion.attempt_id == attempt.id)))


def test_the_first_final_draw_never_reuses_a_knowledge_check_question(make, course):
    # 6 questions, 2 in the check and 4 in an attempt: only one way to draw disjointly, so any slip shows.
    for seed in range(25):
        enrolment = make.enrolment(course=course, lessons_done="all")
        precheck = service.start_precheck(enrolment, actor=enrolment.user, rng=random.Random(seed))
        assert len(_drawn(precheck)) == 2
        final = assessment.start_attempt(enrolment, actor=enrolment.user, rng=random.Random(seed * 7 + 1))
        assert _drawn(precheck).isdisjoint(_drawn(final)), seed
        assert final.number == 1 and precheck.number == 0


@pytest.mark.parametrize("seed", range(500))
def test_property_a_check_and_the_first_draw_are_disjoint_on_a_real_sized_bank(seed):
    rng = random.Random(seed)
    outcomes = [f"LO{i}" for i in range(1, rng.randint(2, 8) + 1)]
    size = rng.randint(20, 40)
    bank = [marking.BankQuestion(i, outcomes[i % len(outcomes)]) for i in range(1, size + 1)]
    check = marking.draw_questions(bank, 8, rng)
    final = marking.draw_questions(bank, 12, rng, exclude=set(check))
    assert set(check).isdisjoint(final)
    # drawn by outcome: every outcome the check could cover is covered as evenly as possible
    per_outcome = [sum(1 for q in bank if q.id in check and q.outcome == o) for o in outcomes]
    assert max(per_outcome) - min(per_outcome) <= 1


def test_a_perfect_knowledge_check_passes_nothing_and_issues_no_certificate(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    precheck = service.start_precheck(enrolment, actor=enrolment.user)
    assessment.save_answers(precheck, sheet(precheck, right), actor=enrolment.user)
    assessment.submit_attempt(precheck, actor=enrolment.user)
    db.session.refresh(enrolment)
    assert precheck.score_percent == 100 and precheck.passed is None
    assert enrolment.passed_at is None
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_the_check_is_not_an_assessment_attempt(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    service.start_precheck(enrolment, actor=enrolment.user)
    overview = attempts.get_overview(course, actor=enrolment.user)
    assert overview.attempts == [] and overview.open_attempt is None and overview.can_start


def test_an_open_check_is_closed_when_the_assessment_starts(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    precheck = service.start_precheck(enrolment, actor=enrolment.user)
    final = assessment.start_attempt(enrolment, actor=enrolment.user)
    db.session.refresh(precheck)
    assert precheck.submitted_at is not None and precheck.passed is None and final.kind == "final"


def test_the_check_is_offered_once_and_only_before_the_assessment(make, course):
    enrolment = make.enrolment(course=course, lessons_done="all")
    first = service.start_precheck(enrolment, actor=enrolment.user)
    assert service.start_precheck(enrolment, actor=enrolment.user).id == first.id  # resumed, not a second
    assessment.submit_attempt(first, actor=enrolment.user)
    with pytest.raises(Conflict):
        service.start_precheck(enrolment, actor=enrolment.user)
    other = make.enrolment(course=course, lessons_done="all")
    assessment.start_attempt(other, actor=other.user)
    with pytest.raises(NotAllowed):
        service.start_precheck(other, actor=other.user)


def test_a_learner_cannot_start_a_check_on_someone_elses_enrolment(make, course):
    enrolment = make.enrolment(course=course)
    with pytest.raises(NotFound):
        service.start_precheck(enrolment, actor=make.user())


def test_a_course_without_a_check_offers_none(make):
    enrolment = make.enrolment(course=make.course(), lessons_done=1)
    with pytest.raises(NotAllowed):
        service.start_precheck(enrolment, actor=enrolment.user)


def test_the_loader_wants_a_bank_big_enough_for_the_check_and_an_attempt(make):
    from elearn.content.loader import load_course

    parsed, faults = load_course(make.course_folder(options={"precheck_questions": 3}))  # 3 + 4 > 6
    assert parsed is None and any("knowledge check" in str(f) for f in faults)
    too_many = make.course_folder(options={"precheck_questions": 51})
    assert any("precheck_questions" in str(f) for f in load_course(too_many)[1])


def test_the_course_and_first_lesson_pages_nudge_towards_the_check(make, course, client, login_as):
    enrolment = make.enrolment(course=course, lessons_done=0)
    login_as(enrolment.user)
    nudge = "Before you start: a 5-minute knowledge check"
    assert nudge in client.get("/courses/sample-course").get_data(as_text=True)
    assert nudge in client.get("/courses/sample-course/lessons/1").get_data(as_text=True)
    response = client.post("/courses/sample-course/knowledge-check")
    assert response.status_code == 302 and "/attempts/" in response.location
    assert "Continue the knowledge check" in client.get("/courses/sample-course/before").get_data(as_text=True)


def test_the_result_page_compares_the_check_with_the_first_attempt(make, course, client, login_as):
    enrolment = make.enrolment(course=course, lessons_done="all")
    learner = login_as(enrolment.user)
    precheck = service.start_precheck(enrolment, actor=learner)
    assessment.save_answers(precheck, sheet(precheck, {1: right}), actor=learner)  # 1 of 2
    assessment.submit_attempt(precheck, actor=learner)
    page = client.get(f"/attempts/{precheck.id}/result").get_data(as_text=True)
    assert "Your knowledge check" in page and "does not count" in page and "Attempt 0" not in page
    final = assessment.start_attempt(enrolment, actor=learner)
    assessment.save_answers(final, sheet(final, right), actor=learner)
    assessment.submit_attempt(final, actor=learner)
    page = client.get(f"/attempts/{final.id}/result").get_data(as_text=True)
    assert "You answered 1/2 before the course and 4/4 now." in page
    assert "How confident are you now?" in page and "Evaluate the course" in page
