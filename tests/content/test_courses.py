"""The four shipped courses meet the course standard, and each can be completed and passed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from elearn.content.item_checks import check_items
from elearn.content.loader import ParsedCourse, load_course
from elearn.extensions import db
from elearn.models import Attempt, Certificate, Course
from tests.assessment.helpers import attempt_id_from, form_data, right, sheet
from tests.learning.clock import stop_lesson_clock

COURSES_DIR = Path(__file__).parents[2] / "courses"
SLUGS = ["child-on-child-abuse", "child-sexual-exploitation", "fgm-awareness", "safeguarding-essentials"]
ADULT_SUPPORT = ("Rape Crisis", "NAPAC", "Education Support", "Samaritans")  # for adults affected by abuse
WORDS_PER_MINUTE = 200  # a comfortable reading speed for careful, adult reading of sensitive material


@pytest.fixture(scope="module", params=SLUGS)
def course(request) -> ParsedCourse:  # type: ignore[no-untyped-def]
    parsed, faults = load_course(COURSES_DIR / request.param)
    assert faults == [], "\n".join(str(f) for f in faults)
    return parsed


def test_the_four_courses_are_shipped():
    assert sorted(p.name for p in COURSES_DIR.iterdir() if p.is_dir()) == SLUGS


def test_settings_follow_the_standard(course):
    assert course.cpd_hours == 1
    assert course.pass_mark == 80
    assert course.validity_months == 12
    assert course.content_warning
    assert 6 <= len(course.outcomes) <= 8
    assert len(course.references) >= 5
    assert all(re.search(r"\b(19|20)\d\d\b", reference) for reference in course.references), "every reference has a year"


def test_every_attempt_follows_a_blueprint_with_critical_outcomes(course):
    assert course.has_blueprint
    assert 12 <= course.questions_per_attempt <= 16
    assert sum(outcome.draw or 0 for outcome in course.outcomes) == course.questions_per_attempt
    critical = [outcome for outcome in course.outcomes if outcome.critical]
    assert critical and all((outcome.draw or 0) >= 2 for outcome in critical)


def test_fgm_treats_the_duty_and_the_routes_as_critical():
    parsed, _ = load_course(COURSES_DIR / "fgm-awareness")
    assert parsed is not None
    assert len([outcome for outcome in parsed.outcomes if outcome.critical]) >= 2


def test_attempts_are_limited_and_a_fail_does_not_give_the_answers_away(course):
    assert course.max_attempts_per_day is not None and course.max_attempts_per_day <= 3
    assert course.review in ("hide-correct-on-fail", "outcomes-on-fail")


def test_the_course_names_its_guidance_and_is_not_past_review(course):
    assert course.aligned_to
    assert course.review_by is not None and course.review_by > date.today()
    assert course.what_changed is not None, "the courses changed for new guidance: holders get the short update"


def test_five_to_ten_lessons_of_about_an_hour(course):
    assert 5 <= len(course.lessons) <= 10
    assert 50 <= course.total_minutes <= 70


def test_every_outcome_is_taught_by_a_lesson(course):
    taught = {key for lesson in course.lessons for key in lesson.outcomes}
    assert taught == {outcome.key for outcome in course.outcomes}


def test_the_text_supports_the_stated_reading_time(course):
    words = sum(lesson.word_count for lesson in course.lessons)
    reading_minutes = words / WORDS_PER_MINUTE
    # Reading alone fills most of the hour; the rest is reflection on the scenarios.
    assert 0.5 * course.total_minutes <= reading_minutes <= course.total_minutes, (words, course.total_minutes)


def test_at_least_two_scenarios_with_a_reflection_and_a_model_answer(course):
    text = "\n".join(lesson.body_markdown for lesson in course.lessons)
    assert text.count("::: scenario") >= 2
    assert text.count("::: reflection") >= 2
    assert text.count("::: answer") >= 2


def test_every_lesson_ends_with_key_points(course):
    for lesson in course.lessons:
        assert "::: keypoints" in lesson.body_markdown, lesson.title


def test_the_final_lesson_says_where_to_get_help(course):
    final = course.lessons[-1].body_markdown
    assert "999" in final
    assert "(/worried-about-a-child)" in final
    assert re.search(r"designated safeguarding lead|DSL", final)


def test_the_final_lesson_offers_support_to_the_adult_taking_it(course):
    final = course.lessons[-1].body_markdown
    services = [name for name in ADULT_SUPPORT if name in final]
    assert len(services) >= 2, services


def test_every_outcome_has_at_least_six_items_and_three_times_its_draw(course):
    per_outcome = Counter(question.outcome for question in course.questions)
    for outcome in course.outcomes:
        assert per_outcome[outcome.key] >= max(6, 3 * (outcome.draw or 1)), outcome.key
    assert set(per_outcome) == {outcome.key for outcome in course.outcomes}


def test_three_quarters_of_the_items_are_applied_cases(course):
    assert sum(question.applied for question in course.questions) >= 0.75 * len(course.questions)


def test_the_bank_passes_the_item_writing_checks(course):
    faults = check_items(course, COURSES_DIR / course.slug)
    assert faults == [], "\n".join(str(f) for f in faults)


def test_every_question_has_an_explanation_and_every_option_feedback(course):
    for question in course.questions:
        assert len(question.explanation) > 20, question.key
        assert all(len(option.feedback) > 5 for option in question.options), question.key


def test_no_all_or_none_of_the_above(course):
    for question in course.questions:
        for option in question.options:
            assert not re.search(r"\b(all|none) of the above\b", option.text, re.IGNORECASE), question.key


def test_the_correct_option_is_not_always_in_the_same_place(course):
    places = Counter(
        next(i for i, option in enumerate(question.options) if option.is_correct)
        for question in course.questions if question.kind == "single"
    )
    assert len(places) >= 3 and max(places.values()) <= 0.5 * sum(places.values())


@pytest.mark.parametrize("slug", SLUGS)
def test_each_course_can_be_completed_and_passed(client, make, login_as, monkeypatch, slug):
    clock = stop_lesson_clock(monkeypatch)  # each lesson is read for its declared minutes
    make.course(folder=make.course_folder(slug=slug, source=f"../../../courses/{slug}"))
    login_as(make.user())
    client.post(f"/courses/{slug}/start")
    course = db.session.query(Course).filter_by(slug=slug).one()
    lessons = sorted(course.versions[-1].lessons, key=lambda lesson: lesson.position)
    for lesson in lessons:
        assert client.get(f"/courses/{slug}/lessons/{lesson.position}").status_code == 200
        clock.advance(minutes=max(lesson.minutes, lesson.min_minutes))
        assert client.post(f"/courses/{slug}/lessons/{lesson.position}/complete").status_code == 302
    response = client.post(f"/courses/{slug}/assessment/start")
    attempt = db.session.get_one(Attempt, attempt_id_from(response.location))
    answers = sheet(attempt, right)
    assert len(answers) == course.versions[-1].questions_per_attempt
    page = client.post(f"/attempts/{attempt.id}/all", data={**form_data(answers), "go": "confirm"})
    assert page.status_code == 302, page.get_data(as_text=True)
    client.post(f"/attempts/{attempt.id}/submit")
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "you passed" in result
    assert db.session.query(Certificate).count() == 1
