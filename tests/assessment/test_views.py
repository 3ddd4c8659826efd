"""The assessment through the web pages: start, answer, leave and resume, confirm, submit, review, retake."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.assessment.kinds import spec_for
from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Certificate, Enrolment
from tests.assessment.helpers import (
    form_data,
    option_labels,
    options_of,
    right,
    sheet,
    start_through_the_page,
    wrong,
)


def start(client) -> Attempt:  # type: ignore[no-untyped-def]
    return start_through_the_page(client)


def drawn(attempt: Attempt) -> list[AttemptQuestion]:
    return list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                                   .order_by(AttemptQuestion.position)))


def answer_page_by_page(client, attempt: Attempt,  # type: ignore[no-untyped-def]
                        answers: dict[int, list[int]]) -> None:
    for position, numbers in sorted(answers.items()):
        response = client.post(f"/attempts/{attempt.id}/questions/{position}",
                               data={**form_data({position: numbers}), "go": "next"})
        assert response.status_code == 302, response.get_data(as_text=True)


def test_a_learner_fails_retakes_and_passes_through_the_pages(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    overview = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "Start the assessment" in overview and "Each attempt has 4 questions" in overview

    first = start(client)
    answer_page_by_page(client, first, sheet(first, wrong))
    assert client.post(f"/attempts/{first.id}/submit").location == f"/attempts/{first.id}/result"
    failed = client.get(f"/attempts/{first.id}/result").get_data(as_text=True)
    assert "0%" in failed and "Not passed" in failed and "Try again" in failed

    second = start(client)
    assert second.id != first.id and second.number == 2
    answer_page_by_page(client, second, sheet(second, right))
    client.post(f"/attempts/{second.id}/submit")
    passed = client.get(f"/attempts/{second.id}/result").get_data(as_text=True)
    assert "100%" in passed and "you passed" in passed and "certificate has been issued" in passed

    db.session.refresh(enrolment)
    assert enrolment.passed_at is not None
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    history = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "You have passed this assessment" in history and "Start the assessment" not in history
    assert f'href="/attempts/{first.id}/result"' in history and f'href="/attempts/{second.id}/result"' in history


def test_the_option_order_on_the_page_is_the_frozen_option_order(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    one_page = client.get(f"/attempts/{attempt.id}/all").get_data(as_text=True)
    for row in drawn(attempt):
        frozen = [option.text for option in options_of(row)]
        single = client.get(f"/attempts/{attempt.id}/questions/{row.position}").get_data(as_text=True)
        assert option_labels(single, row.position) == frozen
        assert option_labels(one_page, row.position) == frozen


def test_the_stored_answers_are_the_options_the_learner_ticked(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    row = drawn(attempt)[0]
    client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": "2"})
    db.session.refresh(row)
    assert [answer.option_id for answer in row.answers] == [row.option_order[1]]
    assert row.answered_at is not None
    page = client.get(f"/attempts/{attempt.id}/questions/1").get_data(as_text=True)
    assert 'value="2" checked' in page


def test_the_one_page_view_saves_every_answer_and_leads_to_the_check(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    client.post("/courses/sample-course/assessment/start", data={"layout": "all"})
    attempt = db.session.scalars(select(Attempt)).one()
    response = client.post(f"/attempts/{attempt.id}/all", data={**form_data(sheet(attempt, right)), "go": "confirm"})
    assert response.location == f"/attempts/{attempt.id}/confirm"
    assert all(row.answered_at is not None for row in drawn(attempt))
    assert "You have answered all 4 questions" in client.get(response.location).get_data(as_text=True)


def test_the_learner_can_leave_and_resume_an_unfinished_attempt(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    answer_page_by_page(client, attempt, sheet(attempt, {1: right, 2: right}))
    client.post("/logout")
    login_as(enrolment.user)
    overview = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "You have an unfinished attempt" in overview
    assert client.get(f"/attempts/{attempt.id}").location == f"/attempts/{attempt.id}/questions/3"
    assert start(client).id == attempt.id  # starting again resumes the open attempt


def test_the_confirmation_page_lists_the_unanswered_questions(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    answer_page_by_page(client, attempt, sheet(attempt, {1: right, 3: right}))
    page = client.get(f"/attempts/{attempt.id}/confirm").get_data(as_text=True)
    assert "You have not answered 2 of 4 questions" in page
    assert f'href="/attempts/{attempt.id}/questions/2"' in page and f'href="/attempts/{attempt.id}/questions/4"' in page
    assert f'href="/attempts/{attempt.id}/questions/1">Answer' not in page


def test_clearing_an_answer_on_a_page_marks_the_question_unanswered(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": "1"})
    client.post(f"/attempts/{attempt.id}/questions/1", data={})
    row = drawn(attempt)[0]
    assert row.answers == [] and row.answered_at is None


@pytest.mark.parametrize(("go", "expected"), [
    ("next", "/questions/3"), ("previous", "/questions/1"), ("confirm", "/confirm"), ("stay", "/questions/2"),
    ("all", "/all"), ("nonsense", "/questions/3"),
])
def test_the_save_buttons_lead_where_they_say(client, make, login_as, go, expected):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    response = client.post(f"/attempts/{attempt.id}/questions/2", data={"go": go})
    assert response.location == f"/attempts/{attempt.id}{expected}"


def test_saving_the_last_question_leads_to_the_check(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    assert client.post(f"/attempts/{attempt.id}/questions/4", data={}).location == f"/attempts/{attempt.id}/confirm"


def test_question_pages_use_a_fieldset_legend_and_labelled_inputs(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    for row in drawn(attempt):
        page = client.get(f"/attempts/{attempt.id}/questions/{row.position}").get_data(as_text=True)
        assert "<fieldset" in page and "<legend" in page
        assert f'type="{"checkbox" if spec_for(row.question.kind).selects_many else "radio"}"' in page
        assert page.count("<label for=\"answer-") == len(row.option_order)


def test_the_assessment_is_closed_until_every_lesson_is_complete(client, make, login_as):
    enrolment = make.enrolment(lessons_done=2)
    login_as(enrolment.user)
    assert "The assessment opens when you have completed every lesson" in client.get(
        "/courses/sample-course/assessment").get_data(as_text=True)
    response = client.post("/courses/sample-course/assessment/start")
    assert response.status_code == 403
    assert "completed every lesson" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_a_learner_not_enrolled_cannot_start_by_url(client, make, login_as):
    make.course()
    login_as(make.user())
    response = client.post("/courses/sample-course/assessment/start")
    assert response.status_code == 404 and "not enrolled" in response.get_data(as_text=True)
    assert "Start the course" in client.get("/courses/sample-course/assessment").get_data(as_text=True)


def test_the_daily_limit_is_shown_and_enforced(client, make, login_as):
    enrolment = make.enrolment(course=make.course(options={"max_attempts_per_day": 1}), lessons_done="all")
    login_as(enrolment.user)
    assert "You can make 1 more attempt in the next 24 hours" in client.get(
        "/courses/sample-course/assessment").get_data(as_text=True)
    attempt = start(client)
    client.post(f"/attempts/{attempt.id}/submit")
    page = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "up to 1 are allowed in any 24 hours. You can try again from" in page and "Start the assessment" not in page
    assert client.post("/courses/sample-course/assessment/start").status_code == 403


def test_a_failed_hide_correct_on_fail_review_shows_only_verdicts_and_outcomes(client, make, login_as):
    enrolment = make.enrolment(course=make.course(options={"review": "hide-correct-on-fail"}), lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    answer_page_by_page(client, attempt, sheet(attempt, {1: right, 2: wrong, 3: wrong, 4: wrong}))
    client.post(f"/attempts/{attempt.id}/submit")
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Not passed" in page and page.count("Not correct") == 3 and page.count("<strong>Correct</strong>") == 1
    assert "Name the four categories of abuse." in page or "Say who to tell about a concern." in page
    for row in drawn(attempt):
        assert row.question.stem not in page and row.question.explanation not in page
        for option in options_of(row):
            assert option.text not in page


def test_after_passing_the_failed_attempt_review_shows_everything(client, make, login_as):
    enrolment = make.enrolment(course=make.course(options={"review": "hide-correct-on-fail"}), lessons_done="all")
    login_as(enrolment.user)
    first = start(client)
    client.post(f"/attempts/{first.id}/submit")
    second = start(client)
    answer_page_by_page(client, second, sheet(second, right))
    client.post(f"/attempts/{second.id}/submit")
    page = client.get(f"/attempts/{first.id}/result").get_data(as_text=True)
    for row in drawn(first):
        assert row.question.explanation in page
    assert "(correct answer)" in page


def test_a_full_review_shows_answer_correct_answer_feedback_and_explanation(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    answer_page_by_page(client, attempt, sheet(attempt, wrong))
    client.post(f"/attempts/{attempt.id}/submit")
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert page.count("(your answer)") == 4 and "(correct answer)" in page
    for row in drawn(attempt):
        assert row.question.stem in page and row.question.explanation in page
        assert all(option.feedback in page for option in options_of(row))


def test_the_result_of_an_open_attempt_leads_to_the_check_page(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    assert client.get(f"/attempts/{attempt.id}/result").location == f"/attempts/{attempt.id}/confirm"


def test_question_pages_of_a_submitted_attempt_lead_to_its_result(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    client.post(f"/attempts/{attempt.id}/submit")
    for path in ("/questions/1", "/all", "/confirm", ""):
        assert client.get(f"/attempts/{attempt.id}{path}").location == f"/attempts/{attempt.id}/result", path


def test_the_history_shows_london_dates_and_scores(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    answer_page_by_page(client, attempt, sheet(attempt, {1: right, 2: right}))
    client.post(f"/attempts/{attempt.id}/submit")
    page = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "50%" in page and "Not passed" in page
    from elearn.clock import LONDON
    db.session.refresh(attempt)
    local = attempt.submitted_at.astimezone(LONDON)
    assert f"{local.day} {local:%B %Y, %H:%M}" in page


def test_the_course_page_states_the_assessment_rules(client, make, login_as):
    make.enrolment(course=make.course(options={"max_attempts_per_day": 3, "review": "hide-correct-on-fail"}),
                   lessons_done="all")
    page = client.get("/courses/sample-course").get_data(as_text=True)
    for text in ("It opens when you have completed every lesson", "Each attempt has 4 questions",
                 "Every learning outcome of the course is tested", "come back to an unfinished attempt",
                 "You pass with 80% or more", "up to 3 attempts in any 24 hours",
                 "If you do not pass, you see which questions you got right", "Each attempt can be submitted once"):
        assert text in page, text


def test_the_course_page_names_the_critical_outcomes_a_pass_needs(client, make):
    from tests.content.test_loader import edit

    folder = make.course_folder()
    edit(folder, "course.yaml", "questions_per_attempt: 4", "questions_per_attempt: 3")
    edit(folder, "course.yaml", "text: Name the four categories of abuse.",
         "text: Name the four categories of abuse.\n    draw: 1")
    edit(folder, "course.yaml", "text: Say who to tell about a concern.",
         "text: Say who to tell about a concern.\n    draw: 2\n    critical: true")
    for extra in range(7, 10):  # the critical outcome's pool holds three times its draw
        edit(folder, "questions.yaml", "questions:\n", f"questions:\n- id: q-{extra}\n  outcome: LO2\n  type: true_false\n"
             "  stem: Extra?\n  options:\n  - {text: 'True', correct: true, feedback: Yes.}\n"
             "  - {text: 'False', correct: false, feedback: No.}\n  explanation: Because.\n")
    make.course(folder=folder)
    page = " ".join(client.get("/courses/sample-course").get_data(as_text=True).split())
    assert ("You pass with 80% or more and with the questions on this critical learning outcome answered right "
            "(every question on “Say who to tell about a concern.”), whatever your total") in page


def test_the_one_page_view_runs_a_bounded_number_of_queries(client, make, login_as, count_queries):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    page = f"/attempts/{start(client).id}/all"
    client.get(page)  # the first view in a process reads the version's texts once (elearn/published.py)
    with count_queries() as counter:
        assert client.get(page).status_code == 200
    assert counter.count <= 3, counter.statements  # the session, the attempt, its drawn questions and answers


def test_enrolment_is_unchanged_by_starting(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    start(client)
    assert db.session.get_one(Enrolment, enrolment.id).passed_at is None


def _tab_stops(page: str) -> list[str]:
    """The keyboard's stops inside <main>, in document order (no tabindex games on these pages)."""
    from html.parser import HTMLParser

    class Stops(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.in_main, self.stops = False, []

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            attributes = dict(attrs)
            if tag == "main":
                self.in_main = True
            focusable = ((tag == "a" and "href" in attributes) or tag in ("button", "summary", "select", "textarea")
                         or (tag == "input" and attributes.get("type") != "hidden"))
            if self.in_main and focusable:
                self.stops.append(f"{tag}:{attributes.get('type') or attributes.get('href') or ''}")

        def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
            if tag == "main":
                self.in_main = False

    parser = Stops()
    parser.feed(page)
    return parser.stops


def test_on_a_question_page_the_answers_come_before_the_question_navigator(client, make, login_as):
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt = start(client)
    stops = _tab_stops(client.get(f"/attempts/{attempt.id}/questions/1").text)
    first_answer = next(i for i, stop in enumerate(stops) if stop in ("input:radio", "input:checkbox"))
    first_navigator_link = stops.index(f"a:/attempts/{attempt.id}/questions/2")
    assert first_answer < first_navigator_link
    assert first_answer <= 3  # only the breadcrumb comes before the first answer
